// Package decisions is how a case ends: a reviewer's decision on each document (accept, reject,
// new image of a side) and on the case (approve, reject, request resubmission, escalate), each
// with a reason from a list admins keep and a comment, and the evidence the reviewer saw. Under
// four-eyes rules an approval or rejection waits for a second person with the checker
// permission, never the maker: the database refuses that too.
package decisions

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/words"
)

// Case outcomes.
const (
	Approve             = "approve"
	Reject              = "reject"
	RequestResubmission = "request_resubmission"
	Escalate            = "escalate"
)

// Outcomes lists the case outcomes with their words and keyboard shortcuts.
var Outcomes = []struct{ Value, Label, Key string }{
	{Approve, "Approve", "a"}, {Reject, "Reject", "r"}, {RequestResubmission, "Request resubmission", "s"}, {Escalate, "Escalate", "e"},
}

// target is the status a case outcome moves the case to.
var target = map[string]cases.Status{
	Approve: cases.Approved, Reject: cases.Rejected, RequestResubmission: cases.AwaitingResubmission, Escalate: cases.Escalated,
}

// Rules are the four-eyes rules an admin sets: when an approval or rejection needs a second review.
type Rules struct {
	Always           bool `json:"always"`
	OverrideNegative bool `json:"override_negative"` // the approval overrides a negative result (see negatives)
	Flags            bool `json:"flags"`             // a flag is present (expired document, under-age, a negative result …)
	Escalated        bool `json:"escalated"`         // the case was escalated
	NoChecks         bool `json:"no_checks"`         // an approval no finished vendor check stands behind
}

// Service records decisions.
type Service struct {
	Pool *pgxpool.Pool
	// MoreFlags, when set, adds flags another package computes (field mismatches, MRZ failures).
	MoreFlags func(ctx context.Context, q *db.Queries, caseID uuid.UUID) ([]string, error)
}

// LoadRules returns the four-eyes rules.
func LoadRules(ctx context.Context, q *db.Queries) Rules {
	// The later rules are on where the saved settings predate them.
	r := Rules{OverrideNegative: true, Flags: true, Escalated: true, NoChecks: true}
	if raw, err := q.AppSetting(ctx, "four_eyes.rules"); err == nil {
		_ = json.Unmarshal(raw, &r)
	}
	return r
}

// MinAge is the age under which a customer is flagged (app setting "review.min_age", default 18).
func MinAge(ctx context.Context, q *db.Queries) int {
	if raw, err := q.AppSetting(ctx, "review.min_age"); err == nil {
		var n int
		if json.Unmarshal(raw, &n) == nil && n > 0 && n < 100 {
			return n
		}
	}
	return 18
}

// CaseInput is a case decision as a reviewer makes it.
type CaseInput struct {
	Outcome  string
	ReasonID string
	Comment  string
}

func reason(ctx context.Context, q *db.Queries, id, outcome string) (db.DecisionReason, error) {
	rid, err := uuid.Parse(id)
	if err != nil {
		return db.DecisionReason{}, apperr.Field("reason", "Choose a reason.")
	}
	r, err := q.GetDecisionReason(ctx, rid)
	if db.IsNotFound(err) || (err == nil && (r.Outcome != outcome || !r.Active)) {
		return r, apperr.Field("reason", "Choose a reason that fits this decision.")
	}
	return r, err
}

// cleanText keeps what a reviewer typed, words, line breaks and tabs, and drops what PostgreSQL
// refuses or a page cannot show: invalid UTF-8 becomes U+FFFD, other control characters (NUL
// among them) are dropped.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(strings.ReplaceAll(s, "\r\n", "\n"), "\uFFFD"))
}

func cleanComment(s string) (string, error) {
	s = strings.TrimSpace(cleanText(s))
	if utf8.RuneCountInString(s) > 4000 {
		return s, apperr.Field("comment", "A comment can be at most 4000 characters.")
	}
	return s, nil
}

// decidable reports whether a case in status s takes a case decision from its assignee. A case
// awaiting resubmission does: a reviewer who holds it may reject it when the customer never sends
// anything, approve it on what is there, escalate it, or renew the request.
func decidable(s cases.Status) bool {
	return s == cases.InReview || s == cases.Escalated || s == cases.AwaitingResubmission
}

// DecideCase records p's decision on a case they are assigned to and moves the case on: to its
// outcome's status, or to "pending second review" when a four-eyes rule applies.
func (s *Service) DecideCase(ctx context.Context, p *auth.Principal, caseID uuid.UUID, in CaseInput) (db.CaseDecision, error) {
	to, ok := target[in.Outcome]
	if !ok {
		return db.CaseDecision{}, apperr.Field("outcome", "Choose approve, reject, request resubmission or escalate.")
	}
	// Field errors are collected, so that the reviewer sees every one of them at once.
	fields := map[string]string{}
	comment, err := cleanComment(in.Comment)
	if err != nil {
		maps.Copy(fields, apperr.FieldsOf(err))
	}
	var out db.CaseDecision
	err = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if err := q.LockCase(ctx, caseID); err != nil {
			return err
		}
		c, err := cases.Get(ctx, q, caseID)
		if err != nil {
			return err
		}
		if err := cases.RequireAssignee(c, p); err != nil {
			return err
		}
		if !decidable(c.Status) {
			return apperr.New(apperr.Conflict, "A case that is %s cannot be decided now.", strings.ToLower(cases.Label(c.Status)))
		}
		if c.Status == cases.Escalated && in.Outcome == Escalate {
			return apperr.Field("outcome", "The case is escalated already.")
		}
		if c.Status == cases.Escalated && in.Outcome == RequestResubmission {
			return apperr.Field("outcome", escalatedNoResubmission)
		}
		r, err := reason(ctx, q, in.ReasonID, in.Outcome)
		if f := apperr.FieldsOf(err); f != nil {
			maps.Copy(fields, f)
		} else if err != nil {
			return err
		}
		ev, err := s.Gather(ctx, q, c)
		if err != nil {
			return err
		}
		blocked := ""
		if in.Outcome == Approve {
			blocked = approvalBlocked(ev)
		}
		if blocked != "" {
			fields["outcome"] = blocked // no comment can make it possible: none is asked for
		}
		overrides := in.Outcome == Approve && negative(ev)
		if in.Outcome == Approve && blocked == "" && comment == "" {
			if all := commentNeeded(ev); len(all) > 0 {
				fields["comment"] = "Explain why you approve although " + words.Join(all) + "."
			}
		}
		if err := apperr.Fields(fields); err != nil {
			return err
		}
		rule := ""
		if in.Outcome == Approve || in.Outcome == Reject {
			rule = fourEyes(LoadRules(ctx, q), overrides, ev, in.Outcome, c.Status == cases.Escalated)
		}
		state, next := "final", to
		if rule != "" {
			state, next = "pending", cases.PendingSecondReview
		}
		evJSON, _ := json.Marshal(ev)
		out, err = q.CreateCaseDecision(ctx, db.CreateCaseDecisionParams{CaseID: caseID, Outcome: in.Outcome, ReasonID: r.ID, Comment: comment,
			DecidedBy: p.UserID, Evidence: evJSON, OverridesVendor: overrides, FourEyesRule: nonEmpty(rule), State: state,
			StatusBefore: &c.Status})
		if db.IsUniqueViolation(err, "case_decisions_one_pending") {
			return apperr.New(apperr.Conflict, "A decision on this case already waits for a second review.")
		}
		if err != nil {
			return err
		}
		moved := c
		if next == c.Status {
			// A renewed request for resubmission: the case keeps waiting for the customer; what
			// changes is the request (its reason and comment, which the intake API reports).
			if err := q.TouchCase(ctx, caseID); err != nil {
				return err
			}
		} else if moved, err = cases.Transition(ctx, q, caseID, c.Status, next); err != nil {
			return err
		}
		before := map[string]any{"status": c.Status}
		after := map[string]any{"status": moved.Status, "outcome": in.Outcome, "reason": r.Label, "comment": comment,
			"four_eyes": rule, "overrides_vendor": overrides, "evidence": ev, "decision_id": out.ID}
		if next == cases.Escalated || next == cases.AwaitingResubmission {
			// Someone else picks an escalated case up; a resubmission waits for the customer. The
			// audit row says the case left its holder, for the timeline to say so.
			if err := q.AssignCaseTo(ctx, db.AssignCaseToParams{ID: caseID, AssigneeID: nil}); err != nil {
				return err
			}
			before["assignee_id"], after["assignee_id"] = c.AssigneeID, nil
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "case.decide", SubjectType: "case", SubjectID: caseID.String(),
			CaseID: &caseID, Before: before, After: after})
	})
	return out, err
}

// escalatedNoResubmission says why an escalated case cannot be sent to wait for the customer:
// when the document came back it would return to the queue as any other case, no longer escalated,
// and its approval would lose the second review an escalated case gets.
const escalatedNoResubmission = "An escalated case cannot wait for a resubmission: it is approved or rejected, " +
	"each confirmed by a second review. If the customer must send a new document, reject the case with a reason that says so."

// allRejected says why a case whose every document is rejected cannot be approved, naming them.
func allRejected(ev Evidence) string {
	docs := ev.rejected()
	what := words.Join(docs) + " was rejected"
	if len(docs) > 1 {
		what = "Every document was rejected: " + words.Join(docs)
	} else {
		what = strings.ToUpper(what[:1]) + what[1:]
	}
	return what + ", and the case has no other document: it cannot be approved. Ask the customer for a new document " +
		"(request resubmission), or, if the rejection was a mistake, record a new decision on the document."
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fourEyes names the rule that sends a decision to a second review, or "" when none applies.
func fourEyes(r Rules, overrides bool, ev Evidence, outcome string, escalated bool) string {
	switch {
	case r.Always:
		return "always"
	case r.OverrideNegative && overrides:
		return "override_negative"
	case r.Flags && len(ev.Flags) > 0:
		return "flags"
	case r.Escalated && escalated:
		return "escalated"
	case r.NoChecks && outcome == Approve && !anyFinished(ev):
		return "no_checks"
	}
	return ""
}

// RuleLabel is a four-eyes rule in words.
func RuleLabel(rule string) string {
	switch rule {
	case "always":
		return "every approval and rejection gets a second review"
	case "override_negative":
		return "the decision overrides a negative result"
	case "flags":
		return "a flag is present"
	case "escalated":
		return "the case was escalated"
	case "no_checks":
		return "no vendor check has finished on the case"
	}
	return rule
}

// SecondReview confirms a pending decision (the case takes its outcome) or returns it to the maker
// with a reason and a comment (the case goes back, assigned to the maker, to the status the
// decision found it in: see returnTo).
func (s *Service) SecondReview(ctx context.Context, p *auth.Principal, caseID uuid.UUID, confirm bool, reasonID, comment string) (db.CaseDecision, error) {
	if !p.Can(auth.PermSecondReview) {
		return db.CaseDecision{}, apperr.New(apperr.Forbidden, "Your role does not include second reviews.")
	}
	comment, err := cleanComment(comment)
	if err != nil {
		return db.CaseDecision{}, err
	}
	var out db.CaseDecision
	err = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if err := q.LockCase(ctx, caseID); err != nil {
			return err
		}
		d, err := q.GetPendingCaseDecision(ctx, caseID)
		if db.IsNotFound(err) {
			return apperr.New(apperr.Conflict, "No decision on this case waits for a second review.")
		}
		if err != nil {
			return err
		}
		if d.DecidedBy == p.UserID {
			return apperr.New(apperr.Forbidden, "You made this decision: a different person must review it.")
		}
		late, err := LateDocuments(ctx, q, caseID, d.DecidedAt)
		if err != nil {
			return err
		}
		var lateNames []string
		for _, l := range late {
			lateNames = append(lateNames, l.Document)
		}
		if confirm && len(late) > 0 && comment == "" {
			return apperr.Field("comment", "After this decision was made, "+words.Join(lateNames)+" arrived, which the maker did not see: "+
				"say in the comment that you weighed it, or send the decision back.")
		}
		params := db.CheckCaseDecisionParams{ID: d.ID, CheckerID: &p.UserID, CheckerComment: comment, State: "confirmed"}
		next := target[d.Outcome]
		if !confirm {
			r, err := reason(ctx, q, reasonID, "return")
			if err != nil {
				return err
			}
			if comment == "" {
				return apperr.Field("comment", "Say what the maker should look at again.")
			}
			params.State, params.CheckerReasonID = "returned", &r.ID
			next = returnTo(d, len(late) > 0)
		}
		out, err = q.CheckCaseDecision(ctx, params)
		if db.IsCheckViolation(err, "case_decisions_checker_is_not_maker") {
			return apperr.New(apperr.Forbidden, "You made this decision: a different person must review it.")
		}
		if err != nil {
			return err
		}
		// A decision sent back goes back to its maker; when the maker has been disabled meanwhile,
		// or given a role that does not work cases, its case goes back to the queue unassigned, as
		// their other cases did (in review: new).
		// The maker is read locked (db.LockAssignee), so a disabling committing at the same moment
		// cannot leave them the case. That lock comes after the case's, against the disabling's
		// order, and still cannot deadlock: a disabling does not lock a case awaiting its second
		// review.
		toQueue, makerDisabled := false, false
		if !confirm {
			maker, err := q.LockAssignee(ctx, d.DecidedBy)
			if err != nil {
				return err
			}
			makerDisabled = maker.DisabledAt != nil
			toQueue = makerDisabled || !auth.Can(maker.Role, auth.PermCasesWork)
			if err := q.AssignCaseTo(ctx, db.AssignCaseToParams{ID: caseID, AssigneeID: &d.DecidedBy}); err != nil {
				return err
			}
		}
		if _, err := cases.Transition(ctx, q, caseID, cases.PendingSecondReview, next); err != nil {
			return err
		}
		if toQueue {
			if next == cases.InReview {
				if _, err := cases.Transition(ctx, q, caseID, cases.InReview, cases.New); err != nil {
					return err
				}
				next = cases.New
			}
			if err := q.AssignCaseTo(ctx, db.AssignCaseToParams{ID: caseID, AssigneeID: nil}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "case.second_review", SubjectType: "case", SubjectID: caseID.String(),
			CaseID: &caseID, After: map[string]any{"decision_id": d.ID, "result": params.State, "outcome": d.Outcome, "comment": comment, "status": next,
				"late_documents": lateNames, "maker_disabled": makerDisabled, "maker_to_queue": toQueue}})
	})
	return out, err
}

// returnTo is the status a case goes back to when its pending decision d is sent back: the one
// the decision found it in (in review, awaiting resubmission, escalated), so a send-back undoes
// the decision and nothing else. A case that was awaiting resubmission goes in review instead when
// a document came meanwhile (the customer's answer, kept while the decision waited): that is what
// the document's arrival does to a case awaiting it. A decision recorded before its status was
// kept goes back in review, as it always did.
func returnTo(d db.CaseDecision, documentCame bool) cases.Status {
	if d.StatusBefore == nil {
		return cases.InReview
	}
	switch before := *d.StatusBefore; {
	case before == cases.Escalated, before == cases.AwaitingResubmission && !documentCame:
		return before
	}
	return cases.InReview
}

// Document outcomes.
var docOutcomes = map[string]string{"accept": "doc_accept", "reject": "doc_reject", "new_image": "doc_new_image"}

// DecideDocument records a decision on one document of a case the reviewer is assigned to.
func (s *Service) DecideDocument(ctx context.Context, p *auth.Principal, caseID, docID uuid.UUID, outcome, side, reasonID, comment string) (db.DocumentDecision, error) {
	reasonOutcome, ok := docOutcomes[outcome]
	if !ok {
		return db.DocumentDecision{}, apperr.Field("doc_outcome", "Choose accept, reject or ask for a new image.")
	}
	var sidePtr *string
	if outcome == "new_image" {
		if side != "front" && side != "back" && side != "selfie" {
			return db.DocumentDecision{}, apperr.Field("side", "Choose which image to ask for again.")
		}
		sidePtr = &side
	}
	comment, err := cleanComment(comment)
	if err != nil {
		// The document decision's own comment field, not the case decision's.
		if fields := apperr.FieldsOf(err); fields != nil {
			return db.DocumentDecision{}, apperr.Field("doc_comment", fields["comment"])
		}
		return db.DocumentDecision{}, err
	}
	var out db.DocumentDecision
	err = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		// Under the case's row lock, as a document's images joining it (customers.AddDocumentToCase)
		// and a liveness verdict are: who holds the case and what its documents hold are judged
		// as they stand when the decision is written.
		if err := q.LockCase(ctx, caseID); err != nil {
			return err
		}
		c, err := cases.Get(ctx, q, caseID)
		if err != nil {
			return err
		}
		if err := cases.RequireAssignee(c, p); err != nil {
			return err
		}
		if !cases.Open(c.Status) {
			return apperr.New(apperr.Conflict, "The case is decided.")
		}
		// A decision on a document is part of the evidence the second reviewer weighs.
		if err := cases.RequireNotPending(c); err != nil {
			return err
		}
		doc, err := q.GetDocument(ctx, docID)
		if db.IsNotFound(err) || (err == nil && doc.CustomerID != c.CustomerID) {
			return apperr.New(apperr.NotFound, "No such document on this case.")
		}
		if err != nil {
			return err
		}
		if side == "back" && outcome == "new_image" && doc.Type == db.DocumentTypePassport {
			return apperr.Field("side", "A passport has no back side: ask for a new front (its data page) instead.")
		}
		r, err := reason(ctx, q, reasonID, reasonOutcome)
		if err != nil {
			var ae *apperr.Error
			if errors.As(err, &ae) && ae.Fields != nil {
				return apperr.Field("doc_reason", ae.Fields["reason"])
			}
			return err
		}
		out, err = q.CreateDocumentDecision(ctx, db.CreateDocumentDecisionParams{DocumentID: docID, CaseID: caseID, Outcome: outcome, Side: sidePtr,
			ReasonID: r.ID, Comment: comment, DecidedBy: p.UserID})
		if err != nil {
			return err
		}
		if err := q.TouchCase(ctx, caseID); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "document.decide", SubjectType: "document", SubjectID: docID.String(),
			CaseID: &caseID, After: map[string]any{"outcome": outcome, "side": side, "reason": r.Label, "comment": comment}})
	})
	return out, err
}
