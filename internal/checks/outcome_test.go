package checks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/audit"
	"kycdesk/internal/checks"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

// TestCaseOutcomeRefresh: the case's vendor outcome is the worst latest result, "pass" only once
// every expected check passed ("partial" before), and finishing a check leaves the case's row
// alone when neither the outcome nor the second of its last activity would change (an update
// rewrites every index of the case).
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
		if o != "partial" {
			t.Errorf("outcome %q after one vendor of four passed, want partial", o)
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

// TestCaseOutcomePassMeansEveryExpectedCheck: "pass" needs every vendor of the document type's
// default set (checks.DefaultSet, or the admin's choice) and every vendor asked for to have passed;
// one vendor's pass is "partial"; a vendor's refusal of the document is a "fail", a check that did
// not finish a "review"; a document added afterwards, unchecked, takes a "pass" back to "partial".
func TestCaseOutcomePassMeansEveryExpectedCheck(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	q := db.New(app.Pool)
	finish := func(caseID, docID uuid.UUID, vendor string, state db.CheckState, outcome, errorKind string) string {
		t.Helper()
		c, err := q.CreateCheck(ctx, db.CreateCheckParams{CaseID: caseID, DocumentID: docID, Vendor: vendor, Kind: "ocr",
			RequestKey: uuid.NewString(), RequestedVia: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if c, err = q.StartCheck(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		p := db.FinishCheckParams{ID: c.ID, Attempts: c.Attempts, State: state, ErrorKind: errorKind}
		if outcome != "" {
			p.Outcome = &outcome
		}
		if _, err := q.FinishCheck(ctx, p); err != nil {
			t.Fatal(err)
		}
		if err := q.RefreshCaseVendorOutcome(ctx, caseID); err != nil {
			t.Fatal(err)
		}
		cs, err := q.GetCase(ctx, caseID)
		if err != nil {
			t.Fatal(err)
		}
		return cs.VendorOutcome
	}
	caseID, docID := demoCase(t, app, 8, specimen.Options{})
	var got []string
	for _, v := range checks.DefaultSet {
		got = append(got, finish(caseID, docID, string(v), db.CheckStateDone, "pass", ""))
	}
	if want := "partial partial partial pass"; strings.Join(got, " ") != want {
		t.Errorf("outcomes as the default vendors pass one by one: %v, want %s", got, want)
	}
	// A document arriving unchecked: what passed no longer covers the case.
	sp := specimen.Generate(9, specimen.Options{})
	if _, _, err := app.Server.CustomerService().AddDocument(ctx, customers.Origin{Actor: audit.System, Via: "test"}, customerOf(t, app, caseID),
		customers.DocumentInput{Type: "passport", Number: "N2"}, []customers.File{{Kind: "front", Name: "f.jpg", Data: sp.Front}}); err != nil {
		t.Fatal(err)
	}
	if cs, _ := q.GetCase(ctx, caseID); cs.VendorOutcome != "partial" {
		t.Errorf("a new unchecked document left the outcome %q, want partial", cs.VendorOutcome)
	}

	// The admin's default set for passports is Argos alone: Argos' pass is the case's pass.
	if _, err := app.Pool.Exec(ctx, `INSERT INTO app_settings (key, value) VALUES ('checks.defaults', '{"passport": ["argos", "artemis"]}')
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`); err != nil {
		t.Fatal(err)
	}
	caseID, docID = demoCase(t, app, 10, specimen.Options{})
	if o := finish(caseID, docID, "argos", db.CheckStateDone, "pass", ""); o != "pass" {
		t.Errorf("Argos alone expected and passed: %q, want pass", o)
	}
	// Any vendor asked for counts too.
	if o := finish(caseID, docID, "apptenticate", db.CheckStateFailed, "", "transient"); o != "review" {
		t.Errorf("a check that did not finish: %q, want review", o)
	}
	if o := finish(caseID, docID, "apptenticate", db.CheckStateDone, "fail", checks.ErrorKindRefused); o != "fail" {
		t.Errorf("a refusal of the document: %q, want fail", o)
	}
	if o := finish(caseID, docID, "apptenticate", db.CheckStateDone, "pass", ""); o != "pass" {
		t.Errorf("the asked-for vendor passing at last: %q, want pass", o)
	}
}

func customerOf(t *testing.T, app *testenv.App, caseID uuid.UUID) uuid.UUID {
	t.Helper()
	c, err := db.New(app.Pool).GetCase(context.Background(), caseID)
	if err != nil {
		t.Fatal(err)
	}
	return c.CustomerID
}
