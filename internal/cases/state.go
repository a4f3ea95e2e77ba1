// Package cases is the unit of review: the case status state machine, the queue (tabs, filters,
// search, keyset pages), assignment (claim, release, assign, next case), notes and the timeline.
package cases

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/db"
)

// Status is a case's status.
type Status = db.CaseStatus

// The statuses.
const (
	New                  = db.CaseStatusNew
	InReview             = db.CaseStatusInReview
	AwaitingResubmission = db.CaseStatusAwaitingResubmission
	Escalated            = db.CaseStatusEscalated
	PendingSecondReview  = db.CaseStatusPendingSecondReview
	Approved             = db.CaseStatusApproved
	Rejected             = db.CaseStatusRejected
)

// Statuses lists the statuses in the order of the queue's tabs.
var Statuses = []Status{New, InReview, AwaitingResubmission, Escalated, PendingSecondReview, Approved, Rejected}

// Transitions is the state machine: the only status changes kycdesk makes. Every change goes
// through Transition as a guarded UPDATE, except claiming and assigning a new case (new → in
// review) and releasing a case in review (in review → new), which the claim/assign/release
// queries make with CASE expressions that move nothing else.
//
// Awaiting resubmission waits for the customer, not for a reviewer: claiming, releasing or
// assigning it changes who holds it, never its status. It leaves when a document arrives
// (DocumentArrived: to in review when someone holds it, to new when nobody does) or when the
// reviewer holding it decides (approve, reject, escalate, or a four-eyes decision pending a second
// review); a renewed request for resubmission keeps it where it is and changes no status.
//
// A decision sent back by its second review returns the case to the status the decision found it
// in: in review, awaiting resubmission or escalated.
var Transitions = map[Status][]Status{
	New:                  {InReview},
	InReview:             {New, AwaitingResubmission, Escalated, PendingSecondReview, Approved, Rejected},
	AwaitingResubmission: {New, InReview, Escalated, PendingSecondReview, Approved, Rejected},
	Escalated:            {InReview, PendingSecondReview, Approved, Rejected},
	PendingSecondReview:  {InReview, AwaitingResubmission, Escalated, Approved, Rejected},
	Approved:             {},
	Rejected:             {},
}

// CanTransition reports whether a case may go from one status to another.
func CanTransition(from, to Status) bool {
	for _, s := range Transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Open reports whether a case in status s is still being worked.
func Open(s Status) bool { return s != Approved && s != Rejected }

// Label is a status in words.
func Label(s Status) string {
	switch s {
	case New:
		return "New"
	case InReview:
		return "In review"
	case AwaitingResubmission:
		return "Awaiting resubmission"
	case Escalated:
		return "Escalated"
	case PendingSecondReview:
		return "Pending second review"
	case Approved:
		return "Approved"
	case Rejected:
		return "Rejected"
	}
	return string(s)
}

// Transition moves case id from `from` to `to` through q (the caller's transaction). A change the
// state machine does not allow is refused; a case that is no longer in `from` (someone else acted
// first) is a conflict.
func Transition(ctx context.Context, q *db.Queries, id uuid.UUID, from, to Status) (db.Case, error) {
	if !CanTransition(from, to) {
		return db.Case{}, apperr.New(apperr.Conflict, "A case cannot go from %s to %s.", Label(from), Label(to))
	}
	c, err := q.TransitionCase(ctx, db.TransitionCaseParams{ID: id, FromStatus: from, ToStatus: to})
	if db.IsNotFound(err) {
		return db.Case{}, apperr.New(apperr.Conflict, "The case changed meanwhile (it is no longer %s). Reload to see it as it is now.", Label(from))
	}
	if err != nil {
		return db.Case{}, fmt.Errorf("transition case: %w", err)
	}
	return c, nil
}

// DocumentArrived moves case id out of "awaiting resubmission" when a document arrives for it,
// through q (the transaction that adds the document): to in review when someone holds the case,
// to new, back in the queue, when nobody does. A case in any other status stays as it is and
// the event is nil. Otherwise the event is the case's audit row saying why, by actor (who added
// the document) via via; the caller records it after the document's own rows, so the timeline
// reads cause before effect. The caller must not have written to the audit chain before this
// call unless it already holds the case row: the case row first, the audit chain after.
func DocumentArrived(ctx context.Context, q *db.Queries, actor audit.Actor, id, documentID uuid.UUID, via string) (*audit.Event, error) {
	// Locked, so a claim or release running now is seen before the target is chosen.
	if err := q.LockCase(ctx, id); err != nil {
		return nil, fmt.Errorf("lock case: %w", err)
	}
	c, err := Get(ctx, q, id)
	if err != nil || c.Status != AwaitingResubmission {
		return nil, err
	}
	to := New
	if c.AssigneeID != nil {
		to = InReview
	}
	moved, err := Transition(ctx, q, id, AwaitingResubmission, to)
	if err != nil {
		return nil, err
	}
	return &audit.Event{Actor: actor, Action: "case.document_arrived", SubjectType: "case", SubjectID: id.String(), CaseID: &id,
		Before: caseState(c),
		After: map[string]any{"status": moved.Status, "assignee_id": moved.AssigneeID, "from": c.Status, "to": moved.Status,
			"document_id": documentID, "via": via}}, nil
}
