package cases

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
)

// Service changes cases. Each method is one transaction that writes its audit row with the change.
type Service struct {
	Pool *pgxpool.Pool
}

// Get returns a case or a not-found error.
func Get(ctx context.Context, q *db.Queries, id uuid.UUID) (db.Case, error) {
	c, err := q.GetCase(ctx, id)
	if db.IsNotFound(err) {
		return c, apperr.New(apperr.NotFound, "No such case.")
	}
	if err != nil {
		return c, fmt.Errorf("get case: %w", err)
	}
	return c, nil
}

// RequireAssignee refuses anyone but the case's assignee: only the assignee acts on a case.
func RequireAssignee(c db.Case, p *auth.Principal) error { return RequireHolder(c, p.UserID) }

// RequireHolder refuses anyone but user as the acting holder of the case: RequireAssignee for a
// caller that knows the user by id only. The caller reads c in the transaction that acts, after
// locking the case row, so a release or an assignment cannot slip in between.
func RequireHolder(c db.Case, user uuid.UUID) error {
	if c.AssigneeID == nil {
		return apperr.New(apperr.Conflict, "Claim the case first: only its assignee can act on it.")
	}
	if *c.AssigneeID != user {
		return apperr.New(apperr.Forbidden, "This case is assigned to someone else: only its assignee can act on it.")
	}
	return nil
}

// pendingMessage is why a case waiting for its second review refuses changes to its evidence.
const pendingMessage = "The case waits for its second review: its data, documents, checks and liveness verdicts stay as they were decided until the decision is confirmed or sent back."

// RequireNotPending refuses a change to the evidence of a case whose decision waits for a second
// review: the checker must confirm what the maker saw.
func RequireNotPending(c db.Case) error {
	if c.Status == PendingSecondReview {
		return apperr.New(apperr.Conflict, pendingMessage)
	}
	return nil
}

// disabledMessage and demotedMessage are what a user disabled, or given a role that does not
// work cases, while claiming a case is told. Like a claim lost to someone else, it is a conflict:
// the state changed under them.
const (
	disabledMessage = "Your account has been disabled: you can no longer take cases."
	demotedMessage  = "Your role has been changed: it no longer takes cases."
)

// lockClaimer locks the row of the user claiming a case (db.LockAssignee) and refuses them when
// they have been disabled or given a role that does not work cases, so a disabling or a role
// change committing at the same moment cannot leave them a case. Call it before touching the case.
func lockClaimer(ctx context.Context, q *db.Queries, user uuid.UUID) error {
	u, err := q.LockAssignee(ctx, user)
	if err != nil {
		return fmt.Errorf("lock claimer: %w", err)
	}
	switch {
	case u.DisabledAt != nil:
		return apperr.New(apperr.Conflict, disabledMessage)
	case !auth.Can(u.Role, auth.PermCasesWork):
		return apperr.New(apperr.Conflict, demotedMessage)
	}
	return nil
}

func caseState(c db.Case) map[string]any {
	return map[string]any{"status": c.Status, "assignee_id": c.AssigneeID}
}

// Claim assigns an unassigned open case to p. Of two reviewers claiming at once, exactly one wins;
// the other gets a conflict, as does a reviewer disabled meanwhile.
func (s *Service) Claim(ctx context.Context, p *auth.Principal, id uuid.UUID) (db.Case, error) {
	var out db.Case
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if err := lockClaimer(ctx, q, p.UserID); err != nil {
			return err
		}
		before, err := Get(ctx, q, id)
		if err != nil {
			return err
		}
		out, err = q.ClaimCase(ctx, db.ClaimCaseParams{ID: id, UserID: &p.UserID})
		if db.IsNotFound(err) {
			if before.AssigneeID != nil && *before.AssigneeID == p.UserID {
				out = before
				return nil
			}
			if !Open(before.Status) || before.Status == PendingSecondReview {
				return apperr.New(apperr.Conflict, "A case that is %s cannot be claimed.", strings.ToLower(Label(before.Status)))
			}
			return apperr.New(apperr.Conflict, "Someone else claimed this case first.")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "case.claim", SubjectType: "case", SubjectID: id.String(),
			CaseID: &id, Before: caseState(before), After: caseState(out)})
	})
	return out, err
}

// Release gives up p's own case. A case waiting for its second review cannot be released: a
// returned decision goes back to its maker.
func (s *Service) Release(ctx context.Context, p *auth.Principal, id uuid.UUID) (db.Case, error) {
	var out db.Case
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		before, err := Get(ctx, q, id)
		if err != nil {
			return err
		}
		out, err = q.ReleaseCase(ctx, db.ReleaseCaseParams{ID: id, UserID: &p.UserID})
		if db.IsNotFound(err) {
			if before.Status == PendingSecondReview {
				return apperr.New(apperr.Conflict, "The case waits for its second review: it stays with the reviewer who decided it until the decision is confirmed or sent back.")
			}
			return apperr.New(apperr.Conflict, "Only the case's assignee can release it.")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "case.release", SubjectType: "case", SubjectID: id.String(),
			CaseID: &id, Before: caseState(before), After: caseState(out)})
	})
	return out, err
}

// Assign gives an open case to another user (a manager's move). The assignee is read locked
// (db.LockAssignee), so a case is never assigned to a user whose disabling commits at the same
// moment, and the case's row is locked before it is read, so the holder it is judged by is the one
// it is taken from. Assigning the case to the user who holds it already changes nothing and is
// refused on the field, with nothing written. The audit row's before names the previous holder,
// as its after names the new one, so the timeline can say "reassigned the case from A to B".
func (s *Service) Assign(ctx context.Context, p *auth.Principal, id, assignee uuid.UUID) (db.Case, error) {
	var out db.Case
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		u, err := q.LockAssignee(ctx, assignee)
		switch {
		case db.IsNotFound(err) || (err == nil && !auth.Can(u.Role, auth.PermCasesWork)):
			return apperr.Field("assignee", "Choose an active user who works cases.")
		case err != nil:
			return err
		case u.DisabledAt != nil:
			return apperr.Field("assignee", u.Name+" has been disabled: choose an active user who works cases.")
		}
		if err := q.LockCase(ctx, id); err != nil {
			return fmt.Errorf("lock case: %w", err)
		}
		before, err := Get(ctx, q, id)
		if err != nil {
			return err
		}
		if before.AssigneeID != nil && *before.AssigneeID == assignee && assignable(before.Status) {
			return apperr.Field("assignee", "Already assigned to "+u.Name+": choose someone else.")
		}
		was := caseState(before)
		if before.AssigneeID != nil {
			prev, err := q.GetUser(ctx, *before.AssigneeID)
			if err != nil {
				return fmt.Errorf("previous holder: %w", err)
			}
			was["assignee"], was["assignee_name"] = prev.Email, prev.Name
		}
		out, err = q.AssignCase(ctx, db.AssignCaseParams{ID: id, AssigneeID: &assignee})
		if db.IsNotFound(err) {
			return apperr.New(apperr.Conflict, "A case that is %s cannot be assigned.", strings.ToLower(Label(before.Status)))
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "case.assign", SubjectType: "case", SubjectID: id.String(),
			CaseID: &id, Before: was, After: map[string]any{"status": out.Status, "assignee_id": out.AssigneeID, "assignee": u.Email,
				"assignee_name": u.Name}})
	})
	return out, err
}

// assignable reports whether a case in status s can be given to someone (db.AssignCase): open,
// and not waiting for its second review.
func assignable(s Status) bool { return Open(s) && s != PendingSecondReview }

// Next claims the oldest unassigned case of the queue f shows (its tab and filters) for p. It
// returns a not-found error when that queue has none left.
func (s *Service) Next(ctx context.Context, p *auth.Principal, f Filter) (db.Case, error) {
	var out db.Case
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, tx pgx.Tx) error {
		if err := lockClaimer(ctx, q, p.UserID); err != nil {
			return err
		}
		var err error
		// Planned for this view's filters (see db.CustomPlans).
		out, err = db.New(db.CustomPlans(tx)).ClaimNextCase(ctx, db.ClaimNextCaseParams{UserID: &p.UserID, Status: f.Status, VendorOutcome: f.VendorOutcome,
			Risky: f.Risky(), NotRisky: f.NotRisky(), Nationality: f.Nationality, CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, Search: f.searchArg()})
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "No unassigned case is left in this queue.")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "case.claim", SubjectType: "case", SubjectID: out.ID.String(),
			CaseID: &out.ID, After: map[string]any{"status": out.Status, "assignee_id": out.AssigneeID, "via": "next case"}})
	})
	return out, err
}

// MaxNoteLength bounds a note.
const MaxNoteLength = 10000

// noteBody reads a note as typed: trimmed, line breaks as "\n", not empty, at most MaxNoteLength
// characters. What PostgreSQL refuses or a page cannot show goes: invalid UTF-8 becomes U+FFFD,
// control characters other than line breaks and tabs (NUL among them) are dropped.
func noteBody(body string) (string, error) {
	body = strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(strings.ReplaceAll(body, "\r\n", "\n"), "\uFFFD"))
	body = strings.TrimSpace(body)
	if body == "" {
		return "", apperr.Field("body", "Write the note first.")
	}
	if utf8.RuneCountInString(body) > MaxNoteLength {
		return "", apperr.Field("body", fmt.Sprintf("A note can be at most %d characters.", MaxNoteLength))
	}
	return body, nil
}

// MayNote reports whether p may add a note to a case: anyone who works cases may note any case,
// whoever holds it and whatever its status. A note is commentary: it changes neither the case
// nor its evidence, and a colleague's remark (or a word after the decision) is often what the
// holder or an auditor needs. "Only the assignee acts" is about changing the case. The case page
// offers the note form exactly when this holds.
func MayNote(p *auth.Principal) bool { return p != nil && p.Can(auth.PermCasesWork) }

// noteRefused is what someone who may not add notes is told.
const noteRefused = "Reviewers and admins add notes; your role can read them but not add one."

// AddNote adds a note to a case, for anyone MayNote allows.
func (s *Service) AddNote(ctx context.Context, p *auth.Principal, id uuid.UUID, body string) (db.CaseNote, error) {
	if !MayNote(p) {
		return db.CaseNote{}, apperr.New(apperr.Forbidden, noteRefused)
	}
	body, err := noteBody(body)
	if err != nil {
		return db.CaseNote{}, err
	}
	var out db.CaseNote
	err = db.Transact(ctx, s.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if _, err := Get(ctx, q, id); err != nil {
			return err
		}
		var err error
		if out, err = q.CreateNote(ctx, db.CreateNoteParams{CaseID: id, AuthorID: p.UserID, Body: body}); err != nil {
			return err
		}
		if err := q.TouchCase(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "case.note", SubjectType: "case", SubjectID: id.String(),
			CaseID: &id, After: map[string]any{"note_id": out.ID, "body": body}})
	})
	return out, err
}
