package decisions

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/checks"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
	"kycdesk/internal/words"
)

// Evidence is what the reviewer had in front of them when deciding. It is stored with the
// decision, so a second reviewer and an auditor see what the maker saw.
type Evidence struct {
	VendorOutcome string          `json:"vendor_outcome"`
	Checks        []CheckEvidence `json:"checks"`
	Flags         []string        `json:"flags"`
	Documents     int             `json:"documents"` // the case's documents (db ListCaseDocuments)
	// Unchecked are the vendors of the checks the case expects when none of its checks has
	// finished (with some finished, the missing ones are the checks_missing flag instead).
	Unchecked []string `json:"unchecked,omitempty"`
	// DocumentDecisions is the decision that stands on each document that has one.
	DocumentDecisions []DocumentEvidence `json:"document_decisions,omitempty"`
	// Liveness is the verdict that stands on each document that has one.
	Liveness []LivenessEvidence `json:"liveness,omitempty"`
}

// CheckEvidence is one vendor check's state at decision time: per document and vendor, the newest
// finished check (the result that stands), and the newest check when it has not finished yet.
type CheckEvidence struct {
	Vendor   string `json:"vendor"`
	Document string `json:"document_id,omitempty"`
	State    string `json:"state"`
	Outcome  string `json:"outcome,omitempty"`
	Code     string `json:"code,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Refused: the vendor refused the document (blurry, cropped, not recognised): a negative
	// result without fields.
	Refused bool `json:"refused,omitempty"`
}

// DocumentEvidence is the decision that stands on one document.
type DocumentEvidence struct {
	DocumentID string `json:"document_id"`
	Document   string `json:"document"` // "Passport X1"
	Outcome    string `json:"outcome"`  // accept, reject, new_image
	Side       string `json:"side,omitempty"`
	Reason     string `json:"reason"`
	// Outstanding: a new image was asked for and none of that kind has come for the customer since.
	Outstanding bool `json:"outstanding,omitempty"`
}

// LivenessEvidence is the liveness verdict that stands on one document.
type LivenessEvidence struct {
	DocumentID     string    `json:"document_id"`
	Document       string    `json:"document"`
	VerdictID      string    `json:"verdict_id"`
	Conclusion     bool      `json:"conclusion"`
	LivenessResult bool      `json:"liveness_result"` // a live person
	FacialCheck    bool      `json:"facial_check"`    // the face matches the document portrait
	RecordedBy     string    `json:"recorded_by"`
	RecordedAt     time.Time `json:"recorded_at"`
	Delivery       string    `json:"delivery"` // pending, retrying, delivered, failed, superseded
}

// Fails reports whether the verdict is negative: it concludes fail, or finds the selfie not live
// or not the document's face.
func (l LivenessEvidence) Fails() bool { return !l.Conclusion || !l.LivenessResult || !l.FacialCheck }

// Words says the verdict in words: "fail (live person: no, face matches: no; not yet delivered to
// Artemis)".
func (l LivenessEvidence) Words() string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	s := "pass"
	if !l.Conclusion {
		s = "fail"
	}
	s += " (live person: " + yn(l.LivenessResult) + ", face matches: " + yn(l.FacialCheck)
	switch l.Delivery {
	case "delivered":
		s += "; delivered to Artemis"
	case "failed":
		s += "; its delivery to Artemis failed"
	case "superseded":
	default:
		s += "; not yet delivered to Artemis"
	}
	return s + ")"
}

// Usable counts the documents whose standing decision is not a rejection.
func (ev Evidence) Usable() int {
	n := ev.Documents
	for _, d := range ev.DocumentDecisions {
		if d.Outcome == "reject" {
			n--
		}
	}
	return n
}

// rejected lists the rejected documents in words: "Passport X1 (Document forged or tampered)".
func (ev Evidence) rejected() []string {
	var out []string
	for _, d := range ev.DocumentDecisions {
		if d.Outcome == "reject" {
			out = append(out, d.Document+" ("+d.Reason+")")
		}
	}
	return out
}

// vendorWords is a vendor's name as pages say it, from its code.
func vendorWords(code string) string { return vendorLabel(vendors.Name(code)) }

// DocumentLabel names a document for reviewers, as flags and warnings say it: "Passport X1".
func DocumentLabel(d db.Document) string {
	s := customers.DocumentTypeLabel(d.Type)
	if d.Number != "" {
		s += " " + d.Number
	}
	return s
}

// Gather collects the evidence of a case: the latest finished check per document and vendor, the
// decision and the liveness verdict that stand on each of the case's documents, and the flags. The
// case's documents are those of ListCaseDocuments: a document of an earlier case of the customer,
// and what was decided on it there, is not this case's evidence unless this case took it up.
func (s *Service) Gather(ctx context.Context, q *db.Queries, c db.Case) (Evidence, error) {
	ev := Evidence{VendorOutcome: c.VendorOutcome, Checks: []CheckEvidence{}, Flags: []string{}}
	seenFlag := map[string]bool{}
	flag := func(f string) {
		if !seenFlag[f] {
			seenFlag[f] = true
			ev.Flags = append(ev.Flags, f)
		}
	}
	list, err := q.ListCaseChecks(ctx, c.ID)
	if err != nil {
		return ev, err
	}
	newest, finished := map[string]bool{}, map[string]bool{}
	for _, k := range list { // newest first
		if k.Kind == "record" {
			continue
		}
		key := k.DocumentID.String() + k.Vendor
		done := k.State == db.CheckStateDone || k.State == db.CheckStateFailed
		// The newest check is shown whatever its state; the newest finished one is the result that
		// stands, so a check run again and still running does not hide what the last one found.
		if newest[key] && (!done || finished[key]) {
			continue
		}
		newest[key] = true
		ce := CheckEvidence{Vendor: k.Vendor, Document: k.DocumentID.String(), State: string(k.State), Code: k.Code, Reason: k.Reason,
			Refused: k.ErrorKind == checks.ErrorKindRefused}
		if k.Outcome != nil {
			ce.Outcome = *k.Outcome
		}
		ev.Checks = append(ev.Checks, ce)
		if !done {
			continue
		}
		finished[key] = true
		switch {
		case ce.Refused:
			flag("vendor_refused:" + k.Vendor)
		case ce.Outcome == "fail":
			flag("vendor_negative:" + k.Vendor)
		case k.State == db.CheckStateFailed:
			flag("vendor_unfinished:" + k.Vendor)
		}
	}
	// The expected checks that did not run or have not finished. With some vendor evidence
	// standing, the approval would rest on part of it (a vendor outcome of "partial"): a flag.
	// With no check done, it would rest on no vendor evidence at all (a check that failed
	// technically found nothing): the no_checks rule speaks for four-eyes, and the approval needs
	// a comment all the same (unverified), naming every vendor expected.
	missing, err := q.ListUnfinishedExpectedChecks(ctx, c.ID)
	if err != nil {
		return ev, err
	}
	var names []string
	seen := map[string]bool{}
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			names = append(names, v)
		}
	}
	for _, m := range missing {
		add(m.Vendor)
	}
	switch {
	case anyFinished(ev):
		if len(names) > 0 {
			flag("checks_missing:" + strings.Join(names, ","))
		}
	default:
		for _, k := range ev.Checks {
			if k.State == string(db.CheckStateFailed) {
				add(k.Vendor)
			}
		}
		slices.Sort(names)
		ev.Unchecked = names
	}
	if c.RiskFlag {
		flag("risk")
	}
	now := time.Now()
	docs, err := q.ListCaseDocuments(ctx, c.ID)
	if err != nil {
		return ev, err
	}
	ev.Documents = len(docs)
	labels := map[uuid.UUID]string{}
	ids := make([]uuid.UUID, 0, len(docs))
	for _, d := range docs {
		labels[d.ID] = DocumentLabel(d)
		ids = append(ids, d.ID)
		if d.ExpiryDate != nil && d.ExpiryDate.Before(now) {
			flag("expired_document")
		}
	}
	if err := gatherDocumentDecisions(ctx, q, ids, labels, &ev, flag); err != nil {
		return ev, err
	}
	verdicts, err := q.ListLatestLivenessVerdicts(ctx, ids)
	if err != nil {
		return ev, err
	}
	for _, v := range verdicts {
		le := LivenessEvidence{DocumentID: v.DocumentID.String(), Document: labels[v.DocumentID], VerdictID: v.ID.String(),
			Conclusion: v.Conclusion, LivenessResult: v.LivenessResult, FacialCheck: v.FacialCheck, RecordedBy: v.RecordedByName,
			RecordedAt: v.RecordedAt}
		if v.DeliveryState != nil {
			le.Delivery = string(*v.DeliveryState)
		}
		ev.Liveness = append(ev.Liveness, le)
		if le.Fails() {
			flag("liveness_fail:" + le.Document)
		}
	}
	if cu, err := q.GetCustomer(ctx, c.CustomerID); err == nil && cu.DateOfBirth != nil {
		if cu.DateOfBirth.AddDate(MinAge(ctx, q), 0, 0).After(now) {
			flag("under_age")
		}
	}
	if s.MoreFlags != nil {
		more, err := s.MoreFlags(ctx, q, c.ID)
		if err != nil {
			return ev, err
		}
		for _, f := range more {
			flag(f)
		}
	}
	return ev, nil
}

// gatherDocumentDecisions adds the decision that stands on each of the case's documents (ids), and
// flags a rejected document and a new image asked for that has not come. The customer sends a new
// image as a new document (with its images): the request is met by an image of the kind asked for,
// on any of the customer's documents, that came after the decision.
func gatherDocumentDecisions(ctx context.Context, q *db.Queries, ids []uuid.UUID, labels map[uuid.UUID]string, ev *Evidence, flag func(string)) error {
	rows, err := q.ListLatestDocumentDecisions(ctx, ids)
	if err != nil {
		return err
	}
	for _, r := range rows {
		de := DocumentEvidence{DocumentID: r.DocumentID.String(), Document: labels[r.DocumentID], Outcome: r.Outcome, Reason: r.ReasonLabel}
		if r.Side != nil {
			de.Side = *r.Side
		}
		switch r.Outcome {
		case "reject":
			flag("document_rejected:" + de.Document)
		case "new_image":
			de.Outstanding = !r.ImageSince
			if de.Outstanding {
				flag("new_image_requested:" + de.Side + ":" + de.Document)
			}
		}
		ev.DocumentDecisions = append(ev.DocumentDecisions, de)
	}
	return nil
}

// FlagLabel is a flag in words.
func FlagLabel(f string) string {
	kind, rest, _ := strings.Cut(f, ":")
	switch kind {
	case "expired_document":
		return "The document has expired"
	case "under_age":
		return "The customer is under the minimum age"
	case "vendor_negative":
		return "A vendor returned a negative result (" + vendorWords(rest) + ")"
	case "vendor_refused":
		return vendorWords(rest) + " refused the document"
	case "vendor_unfinished":
		return vendorWords(rest) + " did not finish its check"
	case "document_rejected":
		return "A document was rejected (" + rest + ")"
	case "new_image_requested":
		side, doc, _ := strings.Cut(rest, ":")
		return "A new image of the " + side + " was asked for and has not come (" + doc + ")"
	case "liveness_fail":
		return "The liveness verdict fails (" + rest + ")"
	case "mismatch":
		return "Sources disagree on " + strings.ReplaceAll(rest, "_", " ")
	case "mrz_failure":
		return "An MRZ check digit fails"
	case "checks_missing":
		return "Expected vendor checks did not run or have not finished (" + missingWords(rest) + ")"
	case "risk":
		return "The case carries the risk flag"
	}
	return f
}

// negatives lists, in words, the negative results an approval would override: a vendor's failed
// verdict or refusal of the document, a rejected document, a failing liveness verdict. An
// approval over any of them needs a comment, and falls under the four-eyes rule on overriding a
// negative result.
func negatives(ev Evidence) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, c := range ev.Checks {
		switch {
		case c.Refused:
			add(vendorWords(c.Vendor) + " refused the document")
		case c.Outcome == "fail":
			add(vendorWords(c.Vendor) + "'s result is negative")
		}
	}
	if ev.VendorOutcome == "fail" && len(out) == 0 {
		add("a vendor's result is negative")
	}
	for _, d := range ev.rejected() {
		add(d + " was rejected")
	}
	for _, l := range ev.Liveness {
		if l.Fails() {
			add("the liveness verdict on " + l.Document + " fails")
		}
	}
	return out
}

// missingWords names the vendors of a checks_missing flag: "Argos …, OOTO …".
func missingWords(list string) string {
	var out []string
	for _, v := range strings.Split(list, ",") {
		out = append(out, vendorWords(v))
	}
	return words.Join(out)
}

// unverified lists, in words, what an approval would rest on without: the expected vendor checks
// that did not run or have not finished, while others did or none did. Approving needs a comment
// saying why, as over a negative result; it is not a negative result (four-eyes: the flags rule
// for some missing, the no_checks rule for none finished).
func unverified(ev Evidence) []string {
	if len(ev.Unchecked) > 0 {
		return []string{"no vendor check has finished (expected: " + missingWords(strings.Join(ev.Unchecked, ",")) + ")"}
	}
	for _, f := range ev.Flags {
		if kind, rest, _ := strings.Cut(f, ":"); kind == "checks_missing" {
			return []string{"expected checks did not run or have not finished (" + missingWords(rest) + ")"}
		}
	}
	return nil
}

// commentNeeded lists, in words, why approving needs a comment: the negative results it would
// override and the vendor evidence it would rest on without. The decision panel's hint and
// DecideCase's refusal both say this list, so the form asks for what the service requires.
func commentNeeded(ev Evidence) []string {
	return append(negatives(ev), unverified(ev)...)
}

// approvalBlocked says why the case cannot be approved at all, or "" when it can.
func approvalBlocked(ev Evidence) string {
	switch {
	case ev.Documents == 0:
		return "A case without any document cannot be approved: ask for a resubmission, or reject it."
	case ev.Usable() == 0:
		return allRejected(ev)
	}
	return ""
}

// LateDocument is a document of the case that arrived after its pending decision was made: the
// maker did not see it. The intake API adds documents to a case pending second review (the
// onboarding front end cannot be told to wait), so the checker must be told.
type LateDocument struct {
	Document string    // "Passport X1"
	Via      string    // "through the intake API", "added by Rita Reviewer"
	At       time.Time // when it arrived
}

// LateDocuments lists the case's documents (ListCaseDocuments) that arrived after since (a
// decision's decided_at), oldest first.
func LateDocuments(ctx context.Context, q *db.Queries, caseID uuid.UUID, since time.Time) ([]LateDocument, error) {
	docs, err := q.ListCaseDocuments(ctx, caseID)
	if err != nil {
		return nil, err
	}
	var out []LateDocument
	for _, d := range docs {
		if !d.CreatedAt.After(since) {
			continue
		}
		l := LateDocument{Document: DocumentLabel(d), Via: "through the intake API", At: d.CreatedAt}
		if d.CreatedBy != nil {
			l.Via = "added by someone"
			if u, err := q.GetUser(ctx, *d.CreatedBy); err == nil {
				l.Via = "added by " + u.Name
			}
		}
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// negative reports whether an approval would override a negative result.
func negative(ev Evidence) bool { return len(negatives(ev)) > 0 }

// anyFinished reports whether a vendor check has finished with a result on the case.
func anyFinished(ev Evidence) bool {
	for _, c := range ev.Checks {
		if c.State == string(db.CheckStateDone) {
			return true
		}
	}
	return false
}
