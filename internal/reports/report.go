package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/apperr"
	"kycdesk/internal/cases"
	chk "kycdesk/internal/checks"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/decisions"
	"kycdesk/internal/httpx"
	"kycdesk/internal/liveness"
	"kycdesk/internal/mrz"
	"kycdesk/internal/normalize"
	"kycdesk/internal/review"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendors/apptenticate"
	"kycdesk/internal/vendors/argos"
	"kycdesk/internal/vendors/cynopsis"
	"kycdesk/internal/vendors/ooto"
	"kycdesk/internal/vendorsettings"
	"kycdesk/internal/words"
	"kycdesk/web"
)

// CaseReport is everything a case's PDF report shows, read from the database at one moment.
type CaseReport struct {
	CaseID      uuid.UUID
	Status      string
	CreatedAt   time.Time
	DecidedAt   *time.Time
	Assignee    string
	Outcome     string // the vendors' overall outcome
	Risk        bool
	Flags       []string // in words
	Customer    []KV
	Name        string
	ExternalRef string
	Documents   []ReportDocument
	// Selfies given for the customer rather than for one document.
	Selfies  []ReportImage
	Checks   []ReportCheck
	Liveness []ReportVerdict
	// ArtemisHolds says, for each document with verdicts, which one Cynopsis Artemis holds.
	ArtemisHolds []string
	Decisions    []ReportDecision
	DocRulings   []ReportDecision
	Notes        []ReportNote
	Trail        []ReportEvent
	// TrailTruncated is set when the case has more audit events than the report lists.
	TrailTruncated bool
}

// KV is a labelled value.
type KV struct{ Key, Value string }

// ReportDocument is one document with its images, its fields as each source read them, and its
// MRZ checks.
type ReportDocument struct {
	ID     uuid.UUID
	Title  string // "Passport GBR 123456789"
	Facts  []KV
	Images []ReportImage
	Fields FieldTable
	MRZ    []MRZReport
}

// ReportImage is one stored image; the PDF embeds its display JPEG.
type ReportImage struct {
	ID       uuid.UUID
	Kind     string
	FileName string
	SHA256   string
	Width    int
	Height   int
	PDF      bool // a PDF original: no display image to embed
	At       time.Time
}

// FieldTable is the field comparison: one row per canonical field, one column per source.
type FieldTable struct {
	Sources []string
	Rows    []FieldRow
}

// FieldRow is one canonical field's values by source; Mismatch when the sources that gave a
// value disagree after normalisation.
type FieldRow struct {
	Field    string
	Values   []string
	Sources  int // how many sources gave a value
	Mismatch bool
	// Odd marks, by source, the values that disagree with the others: those outside the
	// majority, or every value when there is none (as the review workspace marks its cells).
	Odd []bool
	// Status and Summary say who disagrees, in the review workspace's words ("≠ Cynopsis").
	Status, Summary string
}

// MRZReport is an MRZ as one or more sources read it, parsed and checked by kycdesk: the sources
// that read the same zone share one.
type MRZReport struct {
	Sources  []string
	Lines    []string
	Format   string
	Checks   []mrz.Check
	Problems []string
	Err      string
}

// Source names the sources that read the zone: "Cynopsis, Argos and Apptenticate".
func (m MRZReport) Source() string { return words.Join(m.Sources) }

// ReportCheck is one vendor check with the plain words of its codes.
type ReportCheck struct {
	Vendor   string
	Kind     string
	State    string
	Outcome  string
	Code     string
	Meaning  string
	Attempts int
	Started  *time.Time
	Finished *time.Time
	// Items are what the vendor found, in the review workspace's words (review.Checklist):
	// document verification, the document's state, the vendor's own flags.
	Items []web.CheckItem
	// A face check's evidence, as the face panel shows it (review.FaceScores): its scores in
	// percent with their verdicts, and its failed quality checks in words.
	Face    bool
	Scores  []web.FaceScore
	Quality []string
	Calls   []ReportCall
}

// ReportCall is one HTTP exchange of a check.
type ReportCall struct {
	At      time.Time
	Method  string
	Target  string
	Status  int
	Latency int
	Code    string
	Meaning string
	Attempt int
	Error   string
}

// ReportVerdict is one manual liveness verdict and its delivery to Artemis.
type ReportVerdict struct {
	N            int // verdicts are numbered 1, 2 … on the case, oldest first
	Document     string
	By, At       string
	Facts        []KV
	Delivery     string
	DeliveryNote string
	// Held: this is the verdict Cynopsis Artemis holds for its document, the latest delivered.
	Held bool
}

// ReportDecision is a decision on the case or on a document.
type ReportDecision struct {
	What, By, At, Reason, Comment string
	Second                        string // four-eyes: what happened, who, when
}

// ReportNote is a note on the case.
type ReportNote struct{ By, At, Body string }

// ReportEvent is one audit event on the case.
type ReportEvent struct {
	ID             int64
	At, Actor, Did string
}

// maxTrail bounds the audit events a report lists.
const maxTrail = 2000

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return when(*t)
}

func dateText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

// vendorLabel names a vendor integration.
func vendorLabel(v string) string { return vendorsettings.Label(vendors.Name(v)) }

// codeMeaning is the plain words for a vendor's code, from the vendor's own catalogue.
func codeMeaning(vendor, code string) string {
	if code == "" {
		return ""
	}
	switch vendors.Name(vendor) {
	case vendors.CynopsisOCR, vendors.Artemis:
		return cynopsis.Meaning(code)
	case vendors.Apptenticate:
		m, _ := apptenticate.Meaning(code)
		return m
	case vendors.Argos:
		return argos.Meaning(code)
	case vendors.OOTO:
		m, _ := ooto.Meaning(code)
		return m
	}
	return ""
}

// Gather reads the case report of case id.
func (h *Handler) Gather(ctx context.Context, q *db.Queries, id uuid.UUID) (*CaseReport, error) {
	c, err := q.GetCaseView(ctx, id)
	if db.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "No such case.")
	}
	if err != nil {
		return nil, fmt.Errorf("report: case: %w", err)
	}
	cu, err := q.GetCustomer(ctx, c.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("report: customer: %w", err)
	}
	r := &CaseReport{CaseID: c.ID, Status: cases.Label(c.Status), CreatedAt: c.CreatedAt, DecidedAt: c.DecidedAt,
		Assignee: deref(c.AssigneeName), Outcome: c.VendorOutcome, Risk: c.RiskFlag, Name: customers.Name(cu), ExternalRef: deref(cu.ExternalRef)}
	r.Customer = []KV{{"Name", customers.Name(cu)}, {"External reference", deref(cu.ExternalRef)}, {"Date of birth", dateText(cu.DateOfBirth)},
		{"Nationality", cu.Nationality}, {"Country of residence", cu.ResidenceCountry}, {"Email", cu.Email}, {"Phone", cu.Phone},
		{"Address", cu.Address}, {"Created", when(cu.CreatedAt) + " (" + cu.CreatedVia + ")"}}
	if cu.ArtemisCustomerID != nil {
		r.Customer = append(r.Customer, KV{"Artemis customer", strconv.FormatInt(*cu.ArtemisCustomerID, 10)})
	}

	// The documents the case's page shows, its own first: a decided case's report does not list
	// those that came once a later case was opened, and an earlier case's are marked.
	rows, err := q.ListCasePageDocuments(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("report: documents: %w", err)
	}
	docs := make([]db.Document, 0, len(rows))
	for _, row := range rows {
		docs = append(docs, row.Document)
	}
	imgs, err := q.ListCustomerImages(ctx, cu.ID)
	if err != nil {
		return nil, fmt.Errorf("report: images: %w", err)
	}
	checks, err := q.ListCaseChecks(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("report: checks: %w", err)
	}
	for _, row := range rows {
		d := row.Document
		rd := ReportDocument{ID: d.ID, Title: documentTitle(d),
			Facts: []KV{{"Type", customers.DocumentTypeLabel(d.Type)}, {"Number", d.Number}, {"Issuing country", d.IssuingCountry},
				{"Issued", dateText(d.IssueDate)}, {"Expires", dateText(d.ExpiryDate)}, {"Added", when(d.CreatedAt)}}}
		if !row.Weighed {
			// As the case page says it.
			rd.Facts = append(rd.Facts, KV{"Evidence", "From the customer's earlier case: not part of this case's evidence."})
		}
		if d.ArtemisDocumentID != nil {
			rd.Facts = append(rd.Facts, KV{"Artemis document", strconv.FormatInt(*d.ArtemisDocumentID, 10)})
		}
		for _, im := range orderedImages(imgs, &d.ID) {
			rd.Images = append(rd.Images, reportImage(im))
		}
		rd.Fields, rd.MRZ = fieldTable(cu, d, checks, httpx.Now())
		r.Documents = append(r.Documents, rd)
	}
	for _, im := range orderedImages(imgs, nil) {
		r.Selfies = append(r.Selfies, reportImage(im))
	}

	calls, err := q.ListCaseVendorCalls(ctx, &id)
	if err != nil {
		return nil, fmt.Errorf("report: vendor calls: %w", err)
	}
	byCheck := map[uuid.UUID][]ReportCall{}
	for i := len(calls) - 1; i >= 0; i-- { // oldest first
		k := calls[i]
		if k.CheckID == nil {
			continue
		}
		meaning := k.Meaning
		if meaning == "" {
			meaning = codeMeaning(k.Vendor, k.VendorCode)
		}
		byCheck[*k.CheckID] = append(byCheck[*k.CheckID], ReportCall{At: k.StartedAt, Method: k.Method, Target: k.Endpoint,
			Status: int(k.HttpStatus), Latency: int(k.LatencyMs), Code: k.VendorCode, Meaning: meaning, Attempt: int(k.Attempt), Error: k.Error})
	}
	for i := len(checks) - 1; i >= 0; i-- { // oldest first
		k := checks[i]
		rc := ReportCheck{Vendor: vendorLabel(k.Vendor), Kind: k.Kind, State: string(k.State), Outcome: deref(k.Outcome), Code: k.Code,
			Meaning: k.Reason, Attempts: int(k.Attempts), Started: k.StartedAt, Finished: k.FinishedAt, Calls: byCheck[k.ID]}
		if m := codeMeaning(k.Vendor, k.Code); m != "" && !strings.Contains(rc.Meaning, m) {
			rc.Meaning = strings.TrimSpace(rc.Meaning + " " + m)
		}
		var res vendors.Result
		if len(k.Result) > 0 && json.Unmarshal(k.Result, &res) == nil {
			if res.Face != nil {
				// The face vendor's flags are its scores and quality checks, said as the face
				// panel says them.
				rc.Face, rc.Scores, rc.Quality = true, review.FaceScores(res.Face), res.Face.FailedQuality
			} else {
				rc.Items = review.Checklist(vendors.Name(k.Vendor), res).Items
			}
		}
		r.Checks = append(r.Checks, rc)
	}

	if err := gatherLiveness(ctx, q, id, docs, imgs, r); err != nil {
		return nil, err
	}
	if err := gatherDecisions(ctx, q, id, docs, r); err != nil {
		return nil, err
	}
	notes, err := q.ListCaseNotes(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("report: notes: %w", err)
	}
	for i := len(notes) - 1; i >= 0; i-- {
		n := notes[i]
		r.Notes = append(r.Notes, ReportNote{By: n.AuthorName, At: when(n.CreatedAt), Body: n.Body})
	}
	events, err := q.ListCaseTimelineEvents(ctx, db.ListCaseTimelineEventsParams{CaseID: &id, WithViews: true, MaxRows: maxTrail + 1})
	if err != nil {
		return nil, fmt.Errorf("report: audit trail: %w", err)
	}
	if len(events) > maxTrail {
		events, r.TrailTruncated = events[:maxTrail], true
	}
	for i := len(events) - 1; i >= 0; i-- {
		// People by name, as the case page's timeline names them; the email the audit log
		// recorded is in the audit-log export.
		e := events[i]
		row := cases.TimelineRow(e.AuditEvent, e.ActorName, e.AssigneeName, e.PreviousAssigneeName)
		did := row.Subject
		if earlier, ok := cases.EarlierCase(e.AuditEvent); ok {
			// The timeline links to the earlier case; paper names it.
			did += " (case " + earlier.String() + ")"
		}
		r.Trail = append(r.Trail, ReportEvent{ID: e.AuditEvent.ID, At: when(e.AuditEvent.At), Actor: row.Actor, Did: did})
	}

	// Flags, as the decision panel gathers them, plus those other packages compute.
	ev, err := (&decisions.Service{Pool: h.Pool, MoreFlags: h.Flags}).Gather(ctx, q,
		db.Case{ID: c.ID, CustomerID: c.CustomerID, Status: c.Status, VendorOutcome: c.VendorOutcome, RiskFlag: c.RiskFlag})
	if err != nil {
		return nil, fmt.Errorf("report: flags: %w", err)
	}
	for _, f := range ev.Flags {
		r.Flags = append(r.Flags, decisions.FlagLabel(f))
	}
	return r, nil
}

func reportImage(im db.Image) ReportImage {
	return ReportImage{ID: im.ID, Kind: customers.KindLabel(im.Kind), FileName: im.FileName, SHA256: im.Sha256, Width: int(im.Width),
		Height: int(im.Height), PDF: !im.HasThumb, At: im.CreatedAt}
}

// orderedImages are a document's images (doc nil: the customer's own), front, back, selfie, newest
// first within a kind.
func orderedImages(all []db.Image, doc *uuid.UUID) []db.Image {
	var out []db.Image
	for _, im := range all {
		if (doc == nil) != (im.DocumentID == nil) || (doc != nil && *im.DocumentID != *doc) {
			continue
		}
		out = append(out, im)
	}
	rank := map[db.ImageKind]int{db.ImageKindFront: 0, db.ImageKindBack: 1, db.ImageKindSelfie: 2}
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].Kind] != rank[out[j].Kind] {
			return rank[out[i].Kind] < rank[out[j].Kind]
		}
		return out[i].CreatedAt.After(out[j].CreatedAt)
	})
	return out
}

// fieldTable compares what each source says about a document: the customer's declaration, each
// vendor's latest finished reading of the document, and the MRZ as kycdesk parses it. Values are
// compared as the review workspace compares them (normalize.Compare: case, accents, date formats,
// country names and codes set aside); sources that still disagree are a mismatch.
func fieldTable(cu db.Customer, d db.Document, checks []db.Check, now time.Time) (FieldTable, []MRZReport) {
	type source struct {
		name   string
		values map[vendors.FieldName]string
	}
	declared := source{"Declared", map[vendors.FieldName]string{vendors.Surname: cu.Surname, vendors.GivenNames: cu.GivenNames,
		vendors.DateOfBirth: dateText(cu.DateOfBirth), vendors.Nationality: cu.Nationality, vendors.DocumentNumber: d.Number,
		vendors.IssueDate: dateText(d.IssueDate), vendors.ExpiryDate: dateText(d.ExpiryDate), vendors.IssuingCountry: d.IssuingCountry,
		vendors.Address: cu.Address}}
	sources := []source{declared}
	type zoneRead struct {
		sources []string
		lines   []string
	}
	var zones []*zoneRead
	byText := map[string]*zoneRead{}
	// The latest reading of each vendor, the vendors in the review workspace's order.
	latest := map[vendors.Name]vendors.Result{}
	var order []vendors.Name
	for _, k := range checks { // newest first
		name := vendors.Name(k.Vendor)
		if _, seen := latest[name]; seen || k.DocumentID != d.ID || k.State != db.CheckStateDone || len(k.Result) == 0 {
			continue
		}
		var res vendors.Result
		if json.Unmarshal(k.Result, &res) != nil || len(res.Fields) == 0 {
			continue
		}
		latest[name] = res
		order = append(order, name)
	}
	rank := func(v vendors.Name) int {
		for i, r := range chk.Runnable {
			if r == v {
				return i
			}
		}
		return len(chk.Runnable)
	}
	sort.SliceStable(order, func(i, j int) bool {
		if ri, rj := rank(order[i]), rank(order[j]); ri != rj {
			return ri < rj
		}
		return order[i] < order[j]
	})
	for _, name := range order {
		res := latest[name]
		s := source{review.VendorLabel(name), map[vendors.FieldName]string{}}
		var lines []string
		for _, f := range res.Fields {
			s.values[f.Name] = f.Value
			switch f.Name {
			case vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3:
				if f.Value != "" {
					lines = append(lines, f.Value)
				}
			}
		}
		sources = append(sources, s)
		// Vendors that read the same zone share its checks: one table per distinct zone.
		if len(lines) > 0 {
			text := strings.Join(lines, "\n")
			if z := byText[text]; z != nil {
				z.sources = append(z.sources, s.name)
			} else {
				z = &zoneRead{sources: []string{s.name}, lines: lines}
				byText[text] = z
				zones = append(zones, z)
			}
		}
	}
	var mrzs []MRZReport
	for _, z := range zones {
		mrzs = append(mrzs, parseMRZ(z.sources, z.lines))
	}
	// The MRZ as kycdesk reads it is a source of its own: the first zone that parses.
	for _, m := range mrzs {
		if m.Err != "" {
			continue
		}
		parsed, err := mrz.Parse(strings.Join(m.Lines, "\n"))
		if err != nil {
			continue
		}
		sources = append(sources, source{"MRZ", map[vendors.FieldName]string{vendors.Surname: parsed.Surname, vendors.GivenNames: parsed.GivenNames,
			vendors.DateOfBirth: parsed.BirthDate.String(), vendors.Sex: parsed.Sex, vendors.Nationality: parsed.Nationality,
			vendors.DocumentNumber: parsed.DocumentNumber, vendors.ExpiryDate: parsed.ExpiryDate.String(), vendors.IssuingCountry: parsed.IssuingState,
			vendors.PersonalNumber: parsed.PersonalNumber}})
		break
	}
	var t FieldTable
	label := map[string]string{}
	for _, s := range sources {
		t.Sources = append(t.Sources, s.name)
		label[s.name] = s.name
	}
	for _, f := range vendors.CanonicalFields {
		switch f {
		case vendors.MRZLine1, vendors.MRZLine2, vendors.MRZLine3:
			continue // shown with the MRZ checks
		}
		row := FieldRow{Field: review.FieldLabel(f)}
		vals := map[string]string{}
		for _, s := range sources {
			v := s.values[f]
			row.Values = append(row.Values, v)
			if strings.TrimSpace(v) != "" {
				vals[s.name] = v
			}
		}
		if len(vals) == 0 {
			continue
		}
		row.Sources = len(vals)
		cmp := normalize.CompareAt(f, vals, now)
		row.Mismatch = cmp.Disagree
		row.Status, row.Summary = review.Agreement(cmp, t.Sources, label)
		row.Odd = make([]bool, len(sources))
		if cmp.Disagree {
			maj, hasMaj := cmp.Majority()
			for i, s := range sources {
				if rd, ok := cmp.Readings[s.name]; ok {
					row.Odd[i] = !hasMaj || cmp.Groups[rd.Group].Key != maj.Key
				}
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t, mrzs
}

func parseMRZ(sources []string, lines []string) MRZReport {
	m := MRZReport{Sources: sources, Lines: lines}
	parsed, err := mrz.Parse(strings.Join(lines, "\n"))
	if err != nil {
		m.Err = err.Error()
		return m
	}
	m.Format, m.Checks, m.Problems = string(parsed.Format), parsed.Checks, parsed.Problems
	return m
}

// gatherLiveness lists the case's liveness verdicts, oldest first and numbered, in the words of
// the liveness panel, and says which verdict Cynopsis Artemis holds for each document with
// verdicts in the case or held by Artemis, as the panel does (liveness.Held): the latest delivered,
// in whichever case it was recorded (a verdict recorded later but not delivered has not replaced
// it there).
func gatherLiveness(ctx context.Context, q *db.Queries, id uuid.UUID, docs []db.Document, imgs []db.Image, r *CaseReport) error {
	list, err := q.ListCaseLivenessVerdicts(ctx, id)
	if err != nil {
		return fmt.Errorf("report: liveness verdicts: %w", err)
	}
	docTitle := map[uuid.UUID]string{}
	ids := make([]uuid.UUID, 0, len(docs))
	for _, d := range docs {
		docTitle[d.ID] = documentTitle(d)
		ids = append(ids, d.ID)
	}
	held, err := liveness.Held(ctx, q, ids)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	imgLabel := map[uuid.UUID]string{}
	for _, im := range imgs {
		imgLabel[im.ID] = customers.KindLabel(im.Kind) + " · " + im.FileName + " · " + when(im.CreatedAt)
	}
	number := map[uuid.UUID]int{}
	var docOrder []uuid.UUID
	for i := len(list) - 1; i >= 0; i-- { // oldest first
		v, d := list[i].LivenessVerdict, list[i].LivenessDelivery
		n := len(r.Liveness) + 1
		number[v.ID] = n
		rv := ReportVerdict{N: n, Document: docTitle[v.DocumentID], By: list[i].RecordedByName, At: when(v.RecordedAt), Delivery: string(d.State)}
		detail := func(b bool, confidence float64) string {
			return words.YesNo(b) + " (" + strconv.FormatFloat(confidence, 'f', -1, 64) + "%)"
		}
		rv.Facts = []KV{{"Conclusion", words.PassFail(v.Conclusion)}, {"Live person", words.YesNo(v.LivenessResult)}, {"Face matches", words.YesNo(v.FacialCheck)},
			{"Liveness confidence", strconv.Itoa(int(v.LivenessConfidence)) + "%"},
			{"Eyes closed", detail(v.EyesClosed, v.EyesClosedConfidence)},
			{"Sunglasses", detail(v.Sunglasses, v.SunglassesConfidence)},
			{"Face occluded", detail(v.FaceOccluded, v.FaceOccludedConfidence)},
			{"Reference image", imgLabel[v.ReferenceImageID]}}
		if v.Comment != "" {
			rv.Facts = append(rv.Facts, KV{"Comment", v.Comment})
		}
		if v.Supersedes != nil {
			if m, ok := number[*v.Supersedes]; ok {
				rv.Facts = append(rv.Facts, KV{"Corrects", fmt.Sprintf("Verdict %d (recorded %s)", m, r.Liveness[m-1].At)})
			} else {
				rv.Facts = append(rv.Facts, KV{"Corrects", "an earlier verdict"})
			}
		}
		switch d.State {
		case db.LivenessDeliveryStateDelivered:
			rv.DeliveryNote = "Delivered to Cynopsis Artemis " + whenPtr(d.DeliveredAt) + " after " + strconv.Itoa(int(d.Attempts)) + " attempt(s)."
		case db.LivenessDeliveryStateRetrying:
			rv.DeliveryNote = "Not delivered yet: " + d.LastError + " Next attempt " + whenPtr(d.NextAttemptAt) + "."
		default:
			rv.DeliveryNote = strings.TrimSpace(d.LastError)
		}
		if !containsID(docOrder, v.DocumentID) {
			docOrder = append(docOrder, v.DocumentID)
		}
		r.Liveness = append(r.Liveness, rv)
	}
	// The documents with verdicts in the case, then the others Artemis holds a verdict on (one
	// recorded in another case).
	for _, d := range docs {
		if _, ok := held[d.ID]; ok && !containsID(docOrder, d.ID) {
			docOrder = append(docOrder, d.ID)
		}
	}
	for _, doc := range docOrder {
		prefix := ""
		if len(docOrder) > 1 {
			prefix = orDash(docTitle[doc]) + ": "
		}
		h, ok := held[doc]
		if !ok {
			r.ArtemisHolds = append(r.ArtemisHolds, prefix+"Cynopsis Artemis holds none of these verdicts: none has been delivered.")
			continue
		}
		if n, here := number[h.VerdictID]; here {
			r.Liveness[n-1].Held = true
			r.ArtemisHolds = append(r.ArtemisHolds, fmt.Sprintf("%sCynopsis Artemis holds verdict %d (conclusion: %s), delivered %s.",
				prefix, n, words.PassFail(h.Conclusion), when(h.DeliveredAt)))
			continue
		}
		r.ArtemisHolds = append(r.ArtemisHolds, fmt.Sprintf("%sCynopsis Artemis holds the verdict recorded by %s at %s in %s (conclusion: %s), delivered %s.",
			prefix, h.RecordedBy, when(h.RecordedAt), h.OtherCase(r.CaseID, r.CreatedAt), words.PassFail(h.Conclusion), when(h.DeliveredAt)))
	}
	return nil
}

func containsID(list []uuid.UUID, id uuid.UUID) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// documentTitle names a document: "Passport GBR 123456789".
func documentTitle(d db.Document) string {
	return strings.TrimSpace(customers.DocumentTypeLabel(d.Type) + " " + d.IssuingCountry + " " + d.Number)
}

func gatherDecisions(ctx context.Context, q *db.Queries, id uuid.UUID, docs []db.Document, r *CaseReport) error {
	list, err := q.ListCaseDecisions(ctx, id)
	if err != nil {
		return fmt.Errorf("report: decisions: %w", err)
	}
	for i := len(list) - 1; i >= 0; i-- {
		d := list[i]
		rd := ReportDecision{What: decisionLabels[d.Outcome], By: d.MakerName, At: when(d.DecidedAt), Reason: d.ReasonLabel, Comment: d.Comment}
		if d.OverridesVendor {
			rd.What += " (overrides a vendor's negative result)"
		}
		switch d.State {
		case "pending":
			rd.Second = "Waiting for a second review (" + decisions.RuleLabel(deref(d.FourEyesRule)) + ")."
		case "confirmed":
			rd.Second = "Confirmed by " + deref(d.CheckerName) + " at " + whenPtr(d.CheckedAt) + "."
		case "returned":
			rd.Second = "Returned by " + deref(d.CheckerName) + " at " + whenPtr(d.CheckedAt) + ": " + deref(d.CheckerReasonLabel)
			if d.CheckerComment != "" {
				rd.Second += " (" + d.CheckerComment + ")"
			}
		}
		if d.State != "final" && d.CheckerComment != "" && d.State == "confirmed" {
			rd.Second += " Comment: " + d.CheckerComment
		}
		if d.State != "final" {
			// A document the intake API added while the decision waited: the maker did not see it,
			// the second reviewer was told (as the decision panel tells them).
			late, err := decisions.LateDocuments(ctx, q, id, d.DecidedAt)
			if err != nil {
				return fmt.Errorf("report: late documents: %w", err)
			}
			for _, l := range late {
				if d.CheckedAt != nil && l.At.After(*d.CheckedAt) {
					continue
				}
				rd.Second += " After this decision was made, " + l.Document + " arrived (" + l.Via + ", " + when(l.At) + "); the maker did not see it."
			}
		}
		r.Decisions = append(r.Decisions, rd)
	}
	docTitle := map[uuid.UUID]string{}
	for _, d := range docs {
		docTitle[d.ID] = customers.DocumentTypeLabel(d.Type) + " " + d.Number
	}
	dl, err := q.ListDocumentDecisions(ctx, id)
	if err != nil {
		return fmt.Errorf("report: document decisions: %w", err)
	}
	for i := len(dl) - 1; i >= 0; i-- {
		d := dl[i]
		what := map[string]string{"accept": "Accepted", "reject": "Rejected", "new_image": "New image asked for"}[d.Outcome]
		if d.Side != nil {
			what += " (" + *d.Side + ")"
		}
		r.DocRulings = append(r.DocRulings, ReportDecision{What: docTitle[d.DocumentID] + ": " + what, By: d.MakerName, At: when(d.DecidedAt),
			Reason: d.ReasonLabel, Comment: d.Comment})
	}
	return nil
}
