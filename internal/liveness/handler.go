package liveness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/internal/images"
	"kycdesk/web"
)

// Handler serves the liveness review page, records verdicts, shows their delivery on the case
// page and lists the undelivered ones for managers.
type Handler struct {
	Pool    *pgxpool.Pool
	Service *Service
	Store   *images.Store
	R       *httpx.Renderer
}

// FillCase adds each document's liveness panel to a case page.
func (h *Handler) FillCase(ctx context.Context, c db.GetCaseViewRow, p *auth.Principal, v *web.CaseView) error {
	cs := db.Case{ID: c.ID, CustomerID: c.CustomerID, Status: c.Status, AssigneeID: c.AssigneeID, CreatedAt: c.CreatedAt}
	all, err := panels(ctx, db.New(db.Reads(ctx, h.Pool)), cs, p)
	if err != nil {
		return err
	}
	for i := range v.Documents {
		id, err := uuid.Parse(v.Documents[i].ID)
		if err != nil {
			return err
		}
		v.Documents[i].Liveness = all[id]
	}
	return nil
}

// ids reads the case and document of the URL.
func (h *Handler) ids(r *http.Request) (db.Case, db.Document, error) {
	caseID, err1 := uuid.Parse(chi.URLParam(r, "id"))
	docID, err2 := uuid.Parse(chi.URLParam(r, "doc"))
	if err1 != nil || err2 != nil {
		return db.Case{}, db.Document{}, apperr.New(apperr.NotFound, "No such document on this case.")
	}
	return caseDocument(r.Context(), db.New(h.Pool), caseID, docID)
}

// Form is the liveness review page of a document: the selfie, the document portrait, what the
// vendors already said, earlier verdicts, and the verdict form.
func (h *Handler) Form(w http.ResponseWriter, r *http.Request) error {
	c, doc, err := h.ids(r)
	if err != nil {
		return err
	}
	v, err := h.formView(r.Context(), c, doc, auth.PrincipalFrom(r.Context()), nil, nil)
	if err != nil {
		return err
	}
	return h.R.WidePage(w, r, http.StatusOK, "Liveness review", web.LivenessPage(v))
}

// formView builds the review page. form is the posted form to show again with errs (nil: a fresh
// form, filled from the newest verdict when there is one).
func (h *Handler) formView(ctx context.Context, c db.Case, doc db.Document, p *auth.Principal, form url.Values, errs map[string]string) (web.LivenessFormView, error) {
	q := db.New(h.Pool)
	v := web.LivenessFormView{CaseID: c.ID.String(), DocumentID: doc.ID.String(), DocumentLabel: customers.DocumentTypeLabel(doc.Type), Errors: errs}
	if doc.Number != "" {
		v.DocumentLabel += " " + doc.Number
	}
	cu, err := q.GetCustomer(ctx, c.CustomerID)
	if err != nil {
		return v, err
	}
	v.CustomerName = customers.Name(cu)
	imgs, err := q.ListCustomerImages(ctx, c.CustomerID)
	if err != nil {
		return v, err
	}
	docs, err := q.ListCustomerDocuments(ctx, c.CustomerID)
	if err != nil {
		return v, err
	}
	labels := imageLabels(imgs, docs)
	var newestSelfie string
	for i := len(imgs) - 1; i >= 0; i-- { // newest first
		im := imgs[i]
		if im.DocumentID == nil || *im.DocumentID != doc.ID || !im.HasThumb {
			continue
		}
		switch im.Kind {
		case db.ImageKindSelfie:
			v.Selfies = append(v.Selfies, web.ImageView{ID: im.ID.String(), Kind: string(im.Kind), KindLabel: customers.KindLabel(im.Kind),
				Width: int(im.Width), Height: int(im.Height), HasThumb: true, FileName: im.FileName, UploadedAt: im.CreatedAt})
			if newestSelfie == "" {
				newestSelfie = im.ID.String()
			}
		case db.ImageKindFront:
			if v.FrontID == "" {
				v.FrontID = im.ID.String()
			}
		}
	}
	face, err := latestFace(ctx, q, c.ID, doc.ID)
	if err != nil {
		return v, err
	}
	v.Signals = face.signals
	if face.portrait != nil && v.FrontID != "" {
		v.PortraitURL = livenessPath(c.ID, doc.ID) + "/portrait"
	}
	all, err := panels(ctx, q, c, p)
	if err != nil {
		return v, err
	}
	if panel := all[doc.ID]; panel != nil {
		v.Panel = *panel
		v.Panel.OnReviewPage = true
	}
	acc := accessFor(c, p)
	v.CanRecord, v.Why = acc.record, acc.why
	var latest *web.LivenessVerdictRow
	var latestRow db.LivenessVerdict
	if len(v.Panel.Verdicts) > 0 {
		latest = &v.Panel.Verdicts[0]
		v.Supersedes = latest.ID
		if id, err := uuid.Parse(latest.ID); err == nil {
			if row, err := q.GetLivenessDelivery(ctx, id); err == nil {
				latestRow = row.LivenessVerdict
			}
		}
	}
	ref, audits := map[string]bool{}, map[string]bool{}
	switch {
	case form != nil:
		v.Values = valuesOf(form)
		ref[form.Get(FieldReferenceImage)] = true
		for _, id := range form[FieldAuditImages] {
			audits[id] = true
		}
	case latest != nil:
		v.Values = valuesOfVerdict(latestRow)
		ref[latestRow.ReferenceImageID.String()] = true
		for _, id := range latestRow.AuditImageIds {
			audits[id.String()] = true
		}
	default:
		ref[newestSelfie] = true
	}
	for _, im := range imgs {
		if !sendable(im) {
			continue
		}
		id := im.ID.String()
		v.Images = append(v.Images, web.LivenessImageChoice{ID: id, Label: labels[im.ID], Reference: ref[id], Audit: audits[id]})
	}
	return v, nil
}

func livenessPath(caseID, docID uuid.UUID) string {
	return "/cases/" + caseID.String() + "/documents/" + docID.String() + "/liveness"
}

func valuesOf(f url.Values) web.LivenessFormValues {
	g := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	return web.LivenessFormValues{Conclusion: g(FieldConclusion), LivenessResult: g(FieldLivenessResult), FacialCheck: g(FieldFacialCheck),
		EyesClosed: g(FieldEyesClosed), EyesClosedConfidence: g(FieldEyesClosedConfidence),
		Sunglasses: g(FieldSunglasses), SunglassesConfidence: g(FieldSunglassesConfidence),
		FaceOccluded: g(FieldFaceOccluded), FaceOccludedConfidence: g(FieldFaceOccludedConfidence),
		LivenessConfidence: g(FieldLivenessConfidence), Comment: f.Get(FieldComment)}
}

func valuesOfVerdict(v db.LivenessVerdict) web.LivenessFormValues {
	b := func(x bool) string {
		if x {
			return "true"
		}
		return "false"
	}
	return web.LivenessFormValues{Conclusion: b(v.Conclusion), LivenessResult: b(v.LivenessResult), FacialCheck: b(v.FacialCheck),
		EyesClosed: b(v.EyesClosed), EyesClosedConfidence: pct(v.EyesClosedConfidence),
		Sunglasses: b(v.Sunglasses), SunglassesConfidence: pct(v.SunglassesConfidence),
		FaceOccluded: b(v.FaceOccluded), FaceOccludedConfidence: pct(v.FaceOccludedConfidence),
		LivenessConfidence: fmt.Sprint(v.LivenessConfidence), Comment: v.Comment}
}

// Save records a verdict and queues its delivery. A bad form comes back with 422 and a message per
// field; nothing is stored or sent.
func (h *Handler) Save(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	c, doc, err := h.ids(r)
	if err != nil {
		return err
	}
	p := auth.PrincipalFrom(r.Context())
	_, err = h.Service.Record(r.Context(), p, c.ID, doc.ID, r.PostForm)
	if fields := apperr.FieldsOf(err); fields != nil {
		v, verr := h.formView(r.Context(), c, doc, p, r.PostForm, fields)
		if verr != nil {
			return verr
		}
		return h.R.WidePage(w, r, http.StatusUnprocessableEntity, "Liveness review", web.LivenessPage(v))
	}
	if ae, ok := apperr.As(err); ok && (ae.Code == apperr.Conflict || ae.Code == apperr.Forbidden) {
		// The case changed under the form (released, claimed by someone else, decided, a newer
		// verdict): the form comes back as typed, with what happened, so nothing typed is lost.
		// It is read again as it is now: a newer verdict shows in the history above it.
		c, doc, verr := h.ids(r)
		if verr != nil {
			return verr
		}
		v, verr := h.formView(r.Context(), c, doc, p, r.PostForm, nil)
		if verr != nil {
			return verr
		}
		v.Refused = ae.Message
		status := http.StatusConflict
		if ae.Code == apperr.Forbidden {
			status = http.StatusForbidden
		}
		return h.R.WidePage(w, r, status, "Liveness review", web.LivenessPage(v))
	}
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", "The liveness verdict is recorded and is being sent to Artemis.")
	return httpx.Redirect(w, r, "/cases/"+c.ID.String()+"#liveness-"+doc.ID.String())
}

// Panel is a document's liveness panel alone (htmx polls it while a delivery is under way).
func (h *Handler) Panel(w http.ResponseWriter, r *http.Request) error {
	c, doc, err := h.ids(r)
	if err != nil {
		return err
	}
	return h.renderPanel(w, r, c, doc.ID, r.URL.Query().Get("on") == "review")
}

func (h *Handler) renderPanel(w http.ResponseWriter, r *http.Request, c db.Case, docID uuid.UUID, onReviewPage bool) error {
	all, err := panels(r.Context(), db.New(h.Pool), c, auth.PrincipalFrom(r.Context()))
	if err != nil {
		return err
	}
	panel := all[docID]
	if panel == nil {
		return apperr.New(apperr.NotFound, "No such document on this case.")
	}
	panel.OnReviewPage = onReviewPage
	return httpx.Render(w, r, http.StatusOK, web.LivenessPanel(*panel))
}

// Retry asks for a failed or retrying delivery to be tried again now, from the case page (the
// case's assignee only).
func (h *Handler) Retry(w http.ResponseWriter, r *http.Request) error {
	caseID, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No such case.")
	}
	return h.retry(w, r, &caseID, "/cases/"+caseID.String())
}

// RetryUndelivered is Retry from the managers' list of undelivered verdicts.
func (h *Handler) RetryUndelivered(w http.ResponseWriter, r *http.Request) error {
	return h.retry(w, r, nil, "/liveness/undelivered")
}

func (h *Handler) retry(w http.ResponseWriter, r *http.Request, caseID *uuid.UUID, back string) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	verdictID, err := uuid.Parse(chi.URLParam(r, "verdict"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No such liveness verdict.")
	}
	v, err := h.Service.Retry(r.Context(), auth.PrincipalFrom(r.Context()), caseID, verdictID)
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Conflict && !httpx.Fragment(r) {
		httpx.SetFlash(w, "error", ae.Message)
		return httpx.Redirect(w, r, back)
	}
	if err != nil {
		return err
	}
	if httpx.Fragment(r) {
		c, err := db.New(h.Pool).GetCase(r.Context(), v.CaseID)
		if err != nil {
			return err
		}
		return h.renderPanel(w, r, c, v.DocumentID, strings.Contains(r.Header.Get("HX-Current-URL"), "/liveness"))
	}
	httpx.SetFlash(w, "ok", "The verdict will be sent to Artemis again now.")
	return httpx.Redirect(w, r, back)
}

// Portrait is the document portrait cut out of the front image by the face check's portrait box.
// Like every look at an image, it is audited.
func (h *Handler) Portrait(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, doc, err := h.ids(r)
	if err != nil {
		return err
	}
	q := db.New(h.Pool)
	face, err := latestFace(ctx, q, c.ID, doc.ID)
	if err != nil {
		return err
	}
	if face.portrait == nil {
		return apperr.New(apperr.NotFound, "No face check has located the portrait on this document.")
	}
	imgs, err := q.ListDocumentImages(ctx, &doc.ID) // newest first
	if err != nil {
		return err
	}
	var front *db.Image
	for i := range imgs {
		if imgs[i].Kind == db.ImageKindFront && imgs[i].HasThumb {
			front = &imgs[i]
			break
		}
	}
	if front == nil {
		return apperr.New(apperr.NotFound, "This document has no front image.")
	}
	key, err := images.DisplayKey(front.Sha256)
	if err != nil {
		return err
	}
	rc, _, err := h.Store.Open(ctx, key)
	if errors.Is(err, images.ErrNotFound) {
		return apperr.New(apperr.NotFound, "The image file is missing from the store.")
	}
	if err != nil {
		return err
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return err
	}
	crop, err := cropJPEG(b, *face.portrait, int(front.Width))
	if errors.Is(err, errNoPortrait) {
		return apperr.New(apperr.NotFound, "The portrait box does not fall on the front image.")
	}
	if err != nil {
		return err
	}
	p := auth.PrincipalFrom(ctx)
	err = db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "image.view", SubjectType: "image", SubjectID: front.ID.String(),
			CaseID: &c.ID, After: map[string]any{"variant": "portrait", "kind": front.Kind, "sha256": front.Sha256}})
	})
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/jpeg")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Disposition", `inline; filename="portrait.jpg"`)
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	_, err = w.Write(crop)
	return err
}

// MaxUndelivered bounds the managers' list.
const MaxUndelivered = 500

// Undelivered lists every verdict that has not reached Artemis, across cases, oldest first.
func (h *Handler) Undelivered(w http.ResponseWriter, r *http.Request) error {
	rows, err := db.New(h.Pool).ListUndeliveredLiveness(r.Context(), MaxUndelivered)
	if err != nil {
		return err
	}
	var v web.UndeliveredView
	for _, x := range rows {
		doc := customers.DocumentTypeLabel(x.DocumentType)
		if x.DocumentNumber != "" {
			doc += " " + x.DocumentNumber
		}
		v.Rows = append(v.Rows, web.UndeliveredRow{VerdictID: x.VerdictID.String(), CaseID: x.CaseID.String(), DocumentID: x.DocumentID.String(),
			Customer: strings.TrimSpace(x.GivenNames + " " + x.Surname), Document: doc, RecordedBy: x.RecordedByName, RecordedAt: x.RecordedAt,
			State: string(x.State), Attempts: int(x.Attempts), LastError: x.LastError, HTTPStatus: int(x.HttpStatus), NextAttempt: x.NextAttemptAt})
	}
	return h.R.Page(w, r, http.StatusOK, "Undelivered liveness verdicts", web.UndeliveredPage(v))
}
