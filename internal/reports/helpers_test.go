package reports_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// world is a known set of cases for the export, report and dashboard tests.
type world struct {
	app                 *testenv.App
	manager, manager2   testenv.User
	reviewer            testenv.User
	polish, hostile, id uuid.UUID // cases
	polishDoc           uuid.UUID
	now                 time.Time
}

func exec(t testing.TB, app *testenv.App, sql string, args ...any) {
	t.Helper()
	if _, err := app.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func reasonID(t testing.TB, app *testenv.App, outcome string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := app.Pool.QueryRow(context.Background(), "SELECT id FROM decision_reasons WHERE outcome = $1 ORDER BY position LIMIT 1", outcome).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// newWorld makes three cases:
//   - polish: Łukasz Kowalski (POL), approved under four-eyes; Cynopsis passed, Argos failed with
//     1003, OOTO could not run; a liveness verdict delivered to Artemis; a hostile note.
//   - hostile: a customer whose names and reference start like formulas (GBR), an expired
//     passport, the risk flag, new; a decision comment starting with a tab and a formula.
//   - id: a specimen national ID with front, back and selfie images (DEU), in review.
func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	app := testenv.NewApp(t)
	w := &world{app: app, now: time.Now().UTC()}
	w.manager = app.CreateUser(t, "manager")
	w.manager2 = app.CreateUser(t, "manager")
	w.reviewer = app.CreateUser(t, "reviewer")
	svc := app.Server.CustomerService()
	o := customers.Origin{Actor: audit.System, Via: "test"}

	pl, err := svc.Create(ctx, o, customers.Input{ExternalRef: "ref-pl-1", GivenNames: "Łukasz", Surname: "Kowalski", DateOfBirth: "1990-04-12",
		Nationality: "POL", ResidenceCountry: "POL", Email: "lukasz@example.com", Address: "ul. Długa 5, Gdańsk",
		Documents: []customers.DocumentInput{{Type: "passport", IssuingCountry: "POL", Number: "EK1234567", IssueDate: "2021-03-01", ExpiryDate: "2031-02-28"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.polish, w.polishDoc = pl.Case.ID, pl.Documents[0].ID

	ho, err := svc.Create(ctx, o, customers.Input{ExternalRef: "-23", GivenNames: "+SUM(1,2)", Surname: `=HYPERLINK("http://evil.example","x")`,
		DateOfBirth: "1985-01-01", Nationality: "GBR", Email: "h@example.com",
		Documents: []customers.DocumentInput{{Type: "passport", IssuingCountry: "GBR", Number: "123456789", ExpiryDate: "2020-01-01"}}})
	if err != nil {
		t.Fatal(err)
	}
	w.hostile = ho.Case.ID

	sp := specimen.Generate(77, specimen.Options{DocumentType: specimen.NationalID})
	idc, err := svc.Create(ctx, o, customers.Input{ExternalRef: "ref-id-3", GivenNames: sp.GivenNames, Surname: sp.Surname, Nationality: "DEU"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.AddDocument(ctx, o, idc.Customer.ID, customers.DocumentInput{Type: "national_id", IssuingCountry: sp.IssuingCountry,
		Number: sp.DocumentNumber, ExpiryDate: sp.ExpiryDate.Format("2006-01-02")},
		[]customers.File{{Kind: "front", Name: "front.jpg", Data: sp.Front}, {Kind: "back", Name: "back.jpg", Data: sp.Back},
			{Kind: "selfie", Name: "selfie.jpg", Data: sp.Selfie}}); err != nil {
		t.Fatal(err)
	}
	w.id = idc.Case.ID

	// Known times: the polish case is the oldest, the ID card the newest.
	exec(t, app, "UPDATE cases SET created_at = $2, last_activity_at = $2 WHERE id = $1", w.polish, w.now.Add(-72*time.Hour))
	exec(t, app, "UPDATE cases SET created_at = $2, last_activity_at = $2, risk_flag = true WHERE id = $1", w.hostile, w.now.Add(-30*time.Hour))
	exec(t, app, "UPDATE cases SET created_at = $2, last_activity_at = $2, status = 'in_review', assignee_id = $3 WHERE id = $1",
		w.id, w.now.Add(-2*time.Hour), w.reviewer.ID)

	// The polish case: checks, a decision confirmed under four-eyes, a liveness verdict, a note.
	for _, k := range []struct{ vendor, state, outcome, code string }{
		{"cynopsis_ocr", "done", "pass", ""}, {"argos", "done", "fail", "1003"}, {"ooto", "failed", "", "500"},
	} {
		var outcome *string
		if k.outcome != "" {
			outcome = &k.outcome
		}
		exec(t, app, `INSERT INTO checks (case_id, document_id, vendor, kind, state, request_key, outcome, code, reason, created_at, finished_at)
			VALUES ($1, $2, $3, 'ocr', $4, 'k', $5, $6, 'words', $7, $7)`, w.polish, w.polishDoc, k.vendor, k.state, outcome, k.code, w.now.Add(-70*time.Hour))
	}
	ev, _ := json.Marshal(map[string]any{"flags": []string{"vendor_negative:argos", "mismatch:surname"}})
	decided := w.now.Add(-48 * time.Hour).Truncate(time.Second)
	checked := decided.Add(time.Hour)
	exec(t, app, `INSERT INTO case_decisions (case_id, outcome, reason_id, comment, decided_by, decided_at, evidence, four_eyes_rule, state, checker_id, checked_at)
		VALUES ($1, 'approve', $2, 'Looks right', $3, $4, $5, 'flags', 'confirmed', $6, $7)`,
		w.polish, reasonID(t, app, "approve"), w.reviewer.ID, decided, ev, w.manager2.ID, checked)
	exec(t, app, "UPDATE cases SET status = 'approved', decided_at = $2, assignee_id = $3 WHERE id = $1", w.polish, checked, w.reviewer.ID)
	var imgID uuid.UUID
	if err := app.Pool.QueryRow(ctx, `INSERT INTO images (customer_id, document_id, kind, sha256, content_type, size_bytes)
		VALUES ($1, $2, 'selfie', $3, 'image/jpeg', 1) RETURNING id`, pl.Customer.ID, w.polishDoc, strings.Repeat("ab", 32)).Scan(&imgID); err != nil {
		t.Fatal(err)
	}
	// Two verdicts: an earlier one, never delivered and corrected by the later, delivered one.
	var first, verdict uuid.UUID
	if err := app.Pool.QueryRow(ctx, `INSERT INTO liveness_verdicts (case_id, document_id, recorded_by, conclusion, liveness_result, facial_check,
		eyes_closed, eyes_closed_confidence, sunglasses, sunglasses_confidence, face_occluded, face_occluded_confidence, liveness_confidence, reference_image_id)
		VALUES ($1, $2, $3, false, false, true, false, 10, false, 10, false, 10, 40, $4) RETURNING id`, w.polish, w.polishDoc, w.reviewer.ID, imgID).Scan(&first); err != nil {
		t.Fatal(err)
	}
	exec(t, app, "INSERT INTO liveness_deliveries (verdict_id, state, attempts) VALUES ($1, 'superseded', 0)", first)
	if err := app.Pool.QueryRow(ctx, `INSERT INTO liveness_verdicts (case_id, document_id, recorded_by, conclusion, liveness_result, facial_check,
		eyes_closed, eyes_closed_confidence, sunglasses, sunglasses_confidence, face_occluded, face_occluded_confidence, liveness_confidence, reference_image_id, supersedes)
		VALUES ($1, $2, $3, true, true, true, false, 90, false, 95, false, 97, 85, $4, $5) RETURNING id`, w.polish, w.polishDoc, w.reviewer.ID, imgID, first).Scan(&verdict); err != nil {
		t.Fatal(err)
	}
	exec(t, app, "INSERT INTO liveness_deliveries (verdict_id, state, attempts, delivered_at) VALUES ($1, 'delivered', 1, now())", verdict)
	// An older document and an older decision (escalated before the approval): the export shows
	// the latest of each.
	exec(t, app, `INSERT INTO documents (customer_id, type, issuing_country, number, expiry_date, created_at)
		VALUES ($1, 'national_id', 'POL', 'OLD00001', '2019-01-01', $2)`, pl.Customer.ID, w.now.Add(-400*24*time.Hour))
	exec(t, app, `INSERT INTO case_decisions (case_id, outcome, reason_id, decided_by, decided_at) VALUES ($1, 'escalate', $2, $3, $4)`,
		w.polish, reasonID(t, app, "escalate"), w.reviewer.ID, decided.Add(-time.Hour))
	exec(t, app, "INSERT INTO case_notes (case_id, author_id, body) VALUES ($1, $2, $3)", w.polish, w.reviewer.ID, "<script>alert(1)</script> checked by hand")

	// The hostile case: a decision (escalate) whose comment starts with a tab and a formula.
	exec(t, app, `INSERT INTO case_decisions (case_id, outcome, reason_id, comment, decided_by, decided_at)
		VALUES ($1, 'escalate', $2, $3, $4, $5)`, w.hostile, reasonID(t, app, "escalate"), "\t=cmd|' /C calc'!A0", w.reviewer.ID, w.now.Truncate(24*time.Hour).AddDate(0, 0, -3).Add(10*time.Hour))
	return w
}

// auditAfter returns the "after" of the newest audit event with action.
func auditAfter(t testing.TB, app *testenv.App, action string) map[string]any {
	t.Helper()
	var raw []byte
	err := app.Pool.QueryRow(context.Background(), "SELECT after FROM audit_events WHERE action = $1 ORDER BY id DESC LIMIT 1", action).Scan(&raw)
	if err != nil {
		t.Fatalf("no %s event: %v", action, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// count returns how many audit events have action.
func countEvents(t testing.TB, app *testenv.App, action string) int {
	t.Helper()
	var n int
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE action = $1", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var _ = db.New
