// Package audit writes and verifies the append-only, hash-chained audit log. Every mutation in
// kycdesk records its event through Record on the same transaction as the change itself, so the
// change and its audit row commit together or not at all.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"kycdesk/internal/db"
)

// Actor is who did something: a signed-in user, an API token, or kycdesk itself.
type Actor struct {
	UserID *uuid.UUID
	// Label names the actor in the log: the user's email, "api-token:<name>", "system", or
	// "anonymous" for a sign-in attempt by nobody known.
	Label string
}

// System is kycdesk acting on its own (jobs, start-up, the command line without a user).
var System = Actor{Label: "system"}

// Anonymous is an unauthenticated visitor (e.g. a failed sign-in).
var Anonymous = Actor{Label: "anonymous"}

// UserActor is a signed-in user.
func UserActor(id uuid.UUID, email string) Actor {
	return Actor{UserID: &id, Label: email}
}

// Event is one thing that happened.
type Event struct {
	Actor       Actor
	Action      string // verb in dotted form: "user.create", "session.revoke", "auth.sign_in_failed"
	SubjectType string // "user", "session", "case", …
	SubjectID   string
	CaseID      *uuid.UUID // set when the event belongs on a case's timeline
	Before      any        // the subject before the change (nil for creations)
	After       any        // the subject after the change (nil for deletions)
}

type metaKey struct{}

// Meta is where a request came from; middleware puts it in the context once.
type Meta struct {
	IP        string
	RequestID string
}

// WithMeta returns ctx carrying m, read by Record.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// MetaFrom returns the request metadata in ctx (zero outside a request).
func MetaFrom(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}

// ErrNoActor is returned for an event without an actor: every change has somebody behind it.
var ErrNoActor = errors.New("audit: event without an actor")

// Record appends ev to the log through q, which must be the transaction of the change.
func Record(ctx context.Context, q *db.Queries, ev Event) error {
	if ev.Actor.Label == "" {
		return ErrNoActor
	}
	if ev.Action == "" || ev.SubjectType == "" {
		return fmt.Errorf("audit: event without action or subject type")
	}
	before, err := marshal(ev.Before)
	if err != nil {
		return fmt.Errorf("audit: before: %w", err)
	}
	after, err := marshal(ev.After)
	if err != nil {
		return fmt.Errorf("audit: after: %w", err)
	}
	m := MetaFrom(ctx)
	_, err = q.InsertAuditEvent(ctx, db.InsertAuditEventParams{
		ActorID: ev.Actor.UserID, ActorLabel: ev.Actor.Label, Action: ev.Action,
		SubjectType: ev.SubjectType, SubjectID: ev.SubjectID, CaseID: ev.CaseID,
		Before: before, After: after, IP: m.IP, RequestID: m.RequestID,
	})
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", ev.Action, err)
	}
	return nil
}

func marshal(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(v)
}

// Verification is the outcome of walking the chain.
type Verification struct {
	Rows     int64  // rows checked
	BrokenAt int64  // id of the first broken row; 0 when the chain holds
	Reason   string // why that row breaks the chain
}

// OK reports whether the chain holds.
func (v Verification) OK() bool { return v.BrokenAt == 0 }

// Verify walks the whole chain in id order and reports the first row whose recorded hash is not
// the hash of its content, or whose previous-hash link does not match the row before it.
func Verify(ctx context.Context, q *db.Queries) (Verification, error) {
	var v Verification
	var after int64
	prev := []byte{}
	const page = 5000
	for {
		rows, err := q.AuditChainPage(ctx, db.AuditChainPageParams{AfterID: after, PageSize: page})
		if err != nil {
			return v, fmt.Errorf("audit: read chain: %w", err)
		}
		for _, r := range rows {
			v.Rows++
			switch {
			case !bytes.Equal(r.PrevHash, prev):
				v.BrokenAt, v.Reason = r.ID, "its link to the previous row does not match (a row before it was changed or removed)"
				return v, nil
			case !bytes.Equal(r.Hash, r.Computed):
				v.BrokenAt, v.Reason = r.ID, "its content does not match its hash (the row was changed)"
				return v, nil
			}
			prev = r.Hash
			after = r.ID
		}
		if len(rows) < page {
			return v, nil
		}
	}
}
