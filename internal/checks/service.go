package checks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/cases"
	"kycdesk/internal/db"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// Service requests checks.
type Service struct {
	Pool  *pgxpool.Pool
	River *river.Client[pgx.Tx]
}

// Runnable lists the integrations a reviewer can run on a document, in page order.
var Runnable = []vendors.Name{vendors.CynopsisOCR, vendors.Apptenticate, vendors.Argos, vendors.OOTO, vendors.Artemis}

// DefaultSet is the vendor set run when none is chosen (and on API intake), until an admin
// changes it.
var DefaultSet = []vendors.Name{vendors.CynopsisOCR, vendors.Apptenticate, vendors.Argos, vendors.OOTO}

// Queue is the job queue of a vendor's checks.
func Queue(v vendors.Name) string { return "vendor_" + string(v) }

// NewRequestKey returns a fresh request key. Pages put one in the form, so a form sent twice
// creates its checks once.
func NewRequestKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Request asks for checks of one document by the given vendors: the check rows, their jobs and
// the audit row are written in one transaction, so a check is never recorded without its job or
// the other way round. A repeated request (same key) creates nothing. A request by a person
// (requestedBy set) needs them to hold the case; one without (the intake API's automatic checks,
// a system actor) does not.
func (s *Service) Request(ctx context.Context, actor audit.Actor, requestedBy *uuid.UUID, via string, caseID, documentID uuid.UUID, names []vendors.Name, key string) ([]db.Check, error) {
	var out []db.Check
	err := db.Transact(ctx, s.Pool, func(q *db.Queries, tx pgx.Tx) error {
		var err error
		out, err = s.RequestTx(ctx, q, tx, actor, requestedBy, via, caseID, documentID, names, key)
		return err
	})
	return out, err
}

// RequestTx is Request inside the caller's transaction, for a mutation whose checks must land
// with it or not at all (a document arriving through the API with automatic checks).
func (s *Service) RequestTx(ctx context.Context, q *db.Queries, tx pgx.Tx, actor audit.Actor, requestedBy *uuid.UUID, via string, caseID, documentID uuid.UUID, names []vendors.Name, key string) ([]db.Check, error) {
	if len(names) == 0 {
		return nil, apperr.Field("vendors", "Choose at least one vendor.")
	}
	if key == "" || len(key) > 100 {
		key = NewRequestKey()
	}
	var out []db.Check
	if requestedBy != nil {
		// Read under the case's lock, so a release or an assignment running now is seen.
		if err := q.LockCase(ctx, caseID); err != nil {
			return nil, err
		}
	}
	c, err := q.GetCase(ctx, caseID)
	if db.IsNotFound(err) {
		return nil, apperr.New(apperr.NotFound, "No such case.")
	}
	if err != nil {
		return nil, err
	}
	if c.Status == db.CaseStatusApproved || c.Status == db.CaseStatusRejected {
		return nil, apperr.New(apperr.Conflict, "The case is decided: open a new case to check again.")
	}
	if requestedBy != nil {
		// A person runs checks only on a case they hold, as they decide it and record verdicts on
		// it: a check costs money with a real vendor, and what it finds is the holder's to act on.
		// Checks with no person behind them (the intake API's automatic checks) need no claim.
		if err := cases.RequireHolder(c, *requestedBy); err != nil {
			return nil, err
		}
	}
	if err := cases.RequireNotPending(c); err != nil {
		return nil, err
	}
	doc, err := q.GetDocument(ctx, documentID)
	if db.IsNotFound(err) || (err == nil && doc.CustomerID != c.CustomerID) {
		return nil, apperr.New(apperr.NotFound, "No such document on this case.")
	}
	if err != nil {
		return nil, err
	}
	// The case row first, the audit chain after: the order every mutation of a case takes.
	if err := q.TouchCase(ctx, caseID); err != nil {
		return nil, err
	}
	for _, v := range names {
		integ, ok := vendorsettings.Lookup(v)
		if !ok {
			return nil, apperr.Field("vendors", fmt.Sprintf("Unknown vendor %q.", v))
		}
		kind := integ.Kind
		if v == vendors.Artemis {
			kind = "record"
		}
		chk, err := q.CreateCheck(ctx, db.CreateCheckParams{CaseID: caseID, DocumentID: documentID, Vendor: string(v), Kind: kind,
			RequestKey: key, RequestedBy: requestedBy, RequestedVia: via})
		if db.IsNotFound(err) {
			continue // this request was made already
		}
		if err != nil {
			return nil, err
		}
		if _, err := s.River.InsertTx(ctx, tx, Args{CheckID: chk.ID}, &river.InsertOpts{Queue: Queue(v), MaxAttempts: 25,
			UniqueOpts: river.UniqueOpts{ByArgs: true}}); err != nil {
			return nil, fmt.Errorf("enqueue check: %w", err)
		}
		if err := audit.Record(ctx, q, audit.Event{Actor: actor, Action: "check.request", SubjectType: "check", SubjectID: chk.ID.String(),
			CaseID: &caseID, After: map[string]any{"vendor": v, "document_id": documentID, "via": via}}); err != nil {
			return nil, err
		}
		out = append(out, chk)
	}
	return out, nil
}

// Defaults returns the vendor set for a document type: the admin's choice, else DefaultSet.
func Defaults(ctx context.Context, q *db.Queries, docType string) []vendors.Name {
	raw, err := q.AppSetting(ctx, "checks.defaults")
	if err == nil {
		var m map[string][]vendors.Name
		if json.Unmarshal(raw, &m) == nil {
			if set, ok := m[docType]; ok {
				return set // an admin's choice, even an empty one
			}
		}
	}
	return DefaultSet
}

// AutoRun reports whether checks run by themselves when a document arrives through the API.
func AutoRun(ctx context.Context, q *db.Queries) bool {
	raw, err := q.AppSetting(ctx, "checks.auto_run")
	var on bool
	return err == nil && json.Unmarshal(raw, &on) == nil && on
}
