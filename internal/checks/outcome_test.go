package checks_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// TestCaseOutcomeRefresh: the case's vendor outcome is the worst latest result, and finishing a
// check leaves the case's row alone when neither the outcome nor the second of its last activity
// would change (an update rewrites every index of the case).
func TestCaseOutcomeRefresh(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	caseID, docID := demoCase(t, app, 7, specimen.Options{})
	finish := func(q *db.Queries, vendor, outcome string) {
		t.Helper()
		c, err := q.CreateCheck(ctx, db.CreateCheckParams{CaseID: caseID, DocumentID: docID, Vendor: vendor, Kind: "ocr",
			RequestKey: uuid.NewString(), RequestedVia: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = q.StartCheck(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := q.FinishCheck(ctx, db.FinishCheckParams{ID: c.ID, Attempts: c.Attempts, State: db.CheckStateDone, Outcome: &outcome}); err != nil {
			t.Fatal(err)
		}
		if err := q.RefreshCaseVendorOutcome(ctx, caseID); err != nil {
			t.Fatal(err)
		}
	}
	// ctid names the row's current version: a new one means the row was rewritten.
	version := func(tx pgx.Tx) (ctid, outcome string) {
		t.Helper()
		if err := tx.QueryRow(ctx, "SELECT ctid::text, vendor_outcome FROM cases WHERE id = $1", caseID).Scan(&ctid, &outcome); err != nil {
			t.Fatal(err)
		}
		return ctid, outcome
	}
	// One transaction: now() stands still, so every refresh is in the same second.
	err := db.Transact(ctx, app.Pool, func(q *db.Queries, tx pgx.Tx) error {
		finish(q, "cynopsis_ocr", "pass")
		v1, o := version(tx)
		if o != "pass" {
			t.Errorf("outcome %q after a pass, want pass", o)
		}
		finish(q, "apptenticate", "pass")
		if v2, _ := version(tx); v2 != v1 {
			t.Errorf("the case was rewritten (%s → %s) though its outcome and last activity stayed", v1, v2)
		}
		finish(q, "ooto", "fail")
		if v3, o := version(tx); v3 == v1 || o != "fail" {
			t.Errorf("after a failure: outcome %q (version %s → %s), want fail in a new version", o, v1, v3)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second later the activity moves, with the outcome unchanged.
	if _, err := app.Pool.Exec(ctx, "UPDATE cases SET last_activity_at = now() - interval '2 seconds' WHERE id = $1", caseID); err != nil {
		t.Fatal(err)
	}
	finish(db.New(app.Pool), "argos", "pass")
	var moved bool
	var o string
	if err := app.Pool.QueryRow(ctx, "SELECT last_activity_at > now() - interval '1 second', vendor_outcome FROM cases WHERE id = $1", caseID).Scan(&moved, &o); err != nil {
		t.Fatal(err)
	}
	if !moved || o != "fail" {
		t.Errorf("a check finished a second later: activity moved %v, outcome %q; want true, fail", moved, o)
	}
}
