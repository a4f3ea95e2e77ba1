package liveness

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
	"kycdesk/web"
)

// imageLabels names each of a customer's images for pages: "Selfie · Passport · 2026-01-05 10:12 UTC".
func imageLabels(imgs []db.Image, docs []db.Document) map[uuid.UUID]string {
	docType := map[uuid.UUID]string{}
	for _, d := range docs {
		docType[d.ID] = customers.DocumentTypeLabel(d.Type)
	}
	out := make(map[uuid.UUID]string, len(imgs))
	for _, im := range imgs {
		parts := []string{customers.KindLabel(im.Kind)}
		if im.DocumentID != nil && docType[*im.DocumentID] != "" {
			parts = append(parts, docType[*im.DocumentID])
		}
		parts = append(parts, web.Stamp(im.CreatedAt))
		out[im.ID] = strings.Join(parts, " · ")
	}
	return out
}

func pct(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// access is what the viewer may do with a case's verdicts.
type access struct {
	record      bool
	retry       bool
	retryPrefix string
	why         string
}

func accessFor(c db.Case, p *auth.Principal) access {
	var a access
	mine := c.AssigneeID != nil && p != nil && *c.AssigneeID == p.UserID
	switch {
	case !p.Can(auth.PermCasesWork):
		a.why = "Only reviewers record liveness verdicts."
	case !cases.Open(c.Status):
		a.why = "The case is decided: a liveness verdict can no longer be recorded on it."
	case c.Status == cases.PendingSecondReview:
		a.why = "The case waits for its second review: no liveness verdict can be recorded until the decision is confirmed or sent back."
	case c.AssigneeID == nil:
		a.why = "Claim the case to record a liveness verdict: only its assignee can."
	case !mine:
		a.why = "This case is assigned to someone else: only its assignee can record a liveness verdict."
	default:
		a.record = true
	}
	switch {
	case mine && p.Can(auth.PermCasesWork):
		a.retry, a.retryPrefix = true, "/cases/"+c.ID.String()+"/liveness/"
	case p.Can(auth.PermReports):
		a.retry, a.retryPrefix = true, "/liveness/undelivered/"
	}
	return a
}

// panels builds the liveness panel of every document of a case.
func panels(ctx context.Context, q *db.Queries, c db.Case, p *auth.Principal) (map[uuid.UUID]*web.LivenessPanelView, error) {
	rows, err := q.ListCaseLivenessVerdicts(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	docs, err := q.ListCustomerDocuments(ctx, c.CustomerID)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(docs))
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	held, err := Held(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	acc := accessFor(c, p)
	out := map[uuid.UUID]*web.LivenessPanelView{}
	for _, d := range docs {
		panel := &web.LivenessPanelView{CaseID: c.ID.String(), DocumentID: d.ID.String(), CanRecord: acc.record,
			CanRetry: acc.retry, RetryPrefix: acc.retryPrefix}
		if h, ok := held[d.ID]; ok {
			panel.Held = &web.LivenessHeld{ID: h.VerdictID.String(), RecordedBy: h.RecordedBy, RecordedAt: h.RecordedAt,
				Conclusion: h.Conclusion, DeliveredAt: h.DeliveredAt, OtherCase: h.OtherCase(c.ID, c.CreatedAt)}
		}
		out[d.ID] = panel
	}
	if len(rows) == 0 {
		return out, nil
	}
	imgs, err := q.ListCustomerImages(ctx, c.CustomerID)
	if err != nil {
		return nil, err
	}
	labels := imageLabels(imgs, docs)
	attempts, err := q.ListCaseLivenessAttempts(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	calls, err := q.ListCaseVendorCalls(ctx, &c.ID)
	if err != nil {
		return nil, err
	}
	history := map[uuid.UUID][]web.LivenessAttemptRow{}
	for _, a := range attempts {
		history[a.VerdictID] = append(history[a.VerdictID], web.LivenessAttemptRow{Attempt: int(a.Attempt), At: a.FinishedAt,
			Outcome: string(a.Outcome), HTTPStatus: int(a.HttpStatus), Error: a.Error, Calls: attemptCalls(calls, attempts, a)})
	}
	recorded := map[uuid.UUID]string{}
	corrected := map[uuid.UUID]bool{}
	for _, r := range rows {
		recorded[r.LivenessVerdict.ID] = web.Stamp(r.LivenessVerdict.RecordedAt)
		if r.LivenessVerdict.Supersedes != nil {
			corrected[*r.LivenessVerdict.Supersedes] = true
		}
	}
	for _, r := range rows {
		v, dl := r.LivenessVerdict, r.LivenessDelivery
		panel := out[v.DocumentID]
		if panel == nil {
			continue
		}
		row := web.LivenessVerdictRow{ID: v.ID.String(), RecordedBy: r.RecordedByName, RecordedAt: v.RecordedAt,
			Conclusion: v.Conclusion, LivenessResult: v.LivenessResult, FacialCheck: v.FacialCheck,
			EyesClosed:         web.LivenessDetail{Value: v.EyesClosed, Confidence: pct(v.EyesClosedConfidence)},
			Sunglasses:         web.LivenessDetail{Value: v.Sunglasses, Confidence: pct(v.SunglassesConfidence)},
			FaceOccluded:       web.LivenessDetail{Value: v.FaceOccluded, Confidence: pct(v.FaceOccludedConfidence)},
			LivenessConfidence: int(v.LivenessConfidence), ReferenceImage: labels[v.ReferenceImageID], Comment: v.Comment,
			CorrectedLater: corrected[v.ID],
			Delivery: web.LivenessDeliveryView{State: string(dl.State), Attempts: int(dl.Attempts), NextAttempt: dl.NextAttemptAt,
				LastError: dl.LastError, HTTPStatus: int(dl.HttpStatus), DeliveredAt: dl.DeliveredAt, History: history[v.ID]}}
		for _, id := range v.AuditImageIds {
			row.AuditImages = append(row.AuditImages, labels[id])
		}
		if v.Supersedes != nil {
			row.Corrects = recorded[*v.Supersedes]
		}
		if dl.State == db.LivenessDeliveryStateDelivered && len(dl.Response) > 0 {
			row.Delivery.Answer = answerView(dl.Response)
		}
		if !final(dl.State) {
			panel.Pending = true
		}
		panel.Verdicts = append(panel.Verdicts, row)
	}
	return out, nil
}

// attemptCalls are the calls (newest first) made during delivery attempt a, one of the case's
// attempts: one push runs at a time for a customer, so a call of the case outside any check that
// started within the attempt is its. The attempt's end is the database's clock and its calls' the
// app's: the window takes half a second more, never into the case's next attempt.
func attemptCalls(calls []db.ListCaseVendorCallsRow, attempts []db.LivenessDeliveryAttempt, a db.LivenessDeliveryAttempt) []web.CallRow {
	end := a.FinishedAt.Add(500 * time.Millisecond)
	for _, o := range attempts {
		if o.StartedAt.After(a.StartedAt) && o.StartedAt.Before(end) {
			end = o.StartedAt
		}
	}
	var out []web.CallRow
	for _, k := range calls {
		if k.CheckID != nil || k.StartedAt.Before(a.StartedAt) || !k.StartedAt.Before(end) {
			continue
		}
		out = append(out, web.CallRow{ID: strconv.FormatInt(k.ID, 10), Endpoint: k.Endpoint, Method: k.Method, At: k.StartedAt,
			LatencyMS: int(k.LatencyMs), HTTPStatus: int(k.HttpStatus), Code: k.VendorCode, Meaning: k.Meaning, Attempt: int(k.Attempt),
			Error: k.Error, BodySize: int(k.BodySize)})
	}
	return out
}

func answerView(raw []byte) *web.ArtemisAnswerView {
	var a Answer
	if json.Unmarshal(raw, &a) != nil {
		return nil
	}
	v := &web.ArtemisAnswerView{CustomerID: strconv.FormatInt(a.CustomerID, 10), DocumentID: strconv.FormatInt(a.DocumentID, 10),
		DocverCheckStatus: a.DocverCheckStatus}
	if len(a.Liveness) > 0 {
		v.Liveness = string(a.Liveness)
		if pretty, ok := vendors.Pretty(a.Liveness); ok {
			v.Liveness = pretty
		}
	}
	if u := a.UpdatedBy; u != nil {
		name := u.FullName
		if name == "" {
			name = strings.TrimSpace(u.FirstName + " " + u.LastName)
		}
		switch {
		case name != "" && u.Email != "":
			v.UpdatedBy = name + " <" + u.Email + ">"
		case name != "":
			v.UpdatedBy = name
		default:
			v.UpdatedBy = u.Email
		}
	}
	if a.UpdatedAt != nil {
		v.UpdatedAt = web.Stamp(*a.UpdatedAt)
	}
	return v
}

// faceEvidence is the newest finished face check of a document: its signals and where the portrait
// is on the front image.
type faceEvidence struct {
	signals  *web.FaceSignalsView
	portrait *vendors.Box
}

func latestFace(ctx context.Context, q *db.Queries, caseID, documentID uuid.UUID) (faceEvidence, error) {
	list, err := q.ListCaseChecks(ctx, caseID) // newest first
	if err != nil {
		return faceEvidence{}, err
	}
	for _, k := range list {
		if k.DocumentID != documentID || k.State != db.CheckStateDone || len(k.Result) == 0 {
			continue
		}
		var res vendors.Result
		if json.Unmarshal(k.Result, &res) != nil || res.Face == nil {
			continue
		}
		f := res.Face
		label := vendorsettings.Label(vendors.Name(k.Vendor))
		at := k.CreatedAt
		if k.FinishedAt != nil {
			at = *k.FinishedAt
		}
		s := &web.FaceSignalsView{Vendor: label, At: at, Liveness: score(f.Liveness), LivenessFine: fine(f.LivenessFine, "live", "not live"),
			Deepfake: score(f.Deepfake), DeepfakeFine: fine(f.DeepfakeFine, "no deepfake detected", "possible deepfake"),
			Similarity: score(f.Similarity), Same: fine(f.Same, "same person", "not the same person"), FailedQuality: f.FailedQuality}
		return faceEvidence{signals: s, portrait: f.PortraitBox}, nil
	}
	return faceEvidence{}, nil
}

// score shows a vendor score from 0 to 1 in percent.
func score(f *float64) string {
	if f == nil {
		return ""
	}
	return fmt.Sprintf("%.0f %%", *f*100)
}

func fine(b *bool, yes, no string) string {
	if b == nil {
		return ""
	}
	if *b {
		return "(" + yes + ")"
	}
	return "(" + no + ")"
}
