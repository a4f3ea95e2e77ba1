package db_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"kycdesk/internal/testenv"
	"kycdesk/migrations"
)

// TestMigrationsOfRefusalsAndPartialOutcomes: data written before migrations 9 and 10 (a refusal of
// the document stored as a check that failed; "pass" after one vendor of four) reads as today's
// after them: the refusal is a finished, failed check and fails its open case; an open case that
// passed only some expected checks is "partial"; a request refused (not the document) stays a
// check that did not finish; decided cases keep their outcome. Both migrations go down and up.
func TestMigrationsOfRefusalsAndPartialOutcomes(t *testing.T) {
	ctx := context.Background()
	pool, provider := migratedTo(t, 8)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// newCase opens a case with a passport, its checks as (vendor, state, outcome, kind, code).
	newCase := func(status, outcome string, checks ...[5]string) uuid.UUID {
		t.Helper()
		var cust, id, doc uuid.UUID
		if err := pool.QueryRow(ctx, "INSERT INTO customers (surname) VALUES ('M') RETURNING id").Scan(&cust); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, "INSERT INTO cases (customer_id, status, vendor_outcome, created_at) VALUES ($1, $2, $3, now() - interval '1 hour') RETURNING id",
			cust, status, outcome).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, "INSERT INTO documents (customer_id, type) VALUES ($1, 'passport') RETURNING id", cust).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		for _, k := range checks {
			var o *string
			if k[2] != "" {
				o = &k[2]
			}
			exec(`INSERT INTO checks (case_id, document_id, vendor, kind, state, outcome, error_kind, code, request_key, finished_at)
				VALUES ($1, $2, $3, 'ocr', $4, $5, $6, $7, $8, now())`, id, doc, k[0], k[1], o, k[3], k[4], uuid.NewString())
		}
		return id
	}
	blurry := newCase("new", "review", [5]string{"apptenticate", "failed", "", "business", "826"}, [5]string{"argos", "done", "pass", "", ""})
	request := newCase("new", "review", [5]string{"ooto", "failed", "", "business", "1"}, [5]string{"argos", "failed", "", "business", "1003"})
	oneOfFour := newCase("new", "pass", [5]string{"argos", "done", "pass", "", ""})
	all := newCase("new", "pass", [5]string{"argos", "done", "pass", "", ""}, [5]string{"ooto", "done", "pass", "", ""},
		[5]string{"apptenticate", "done", "pass", "", ""}, [5]string{"cynopsis_ocr", "done", "pass", "", ""})
	decided := newCase("approved", "pass", [5]string{"argos", "done", "pass", "", ""})

	up := func() {
		t.Helper()
		if _, err := provider.Up(ctx); err != nil {
			t.Fatal(err)
		}
	}
	up()
	check(t, pool, blurry, "fail", map[string]string{"apptenticate": "done fail refused", "argos": "done pass "})
	check(t, pool, request, "review", map[string]string{"ooto": "failed  business", "argos": "failed  business"})
	check(t, pool, oneOfFour, "partial", nil)
	check(t, pool, all, "pass", nil)
	check(t, pool, decided, "pass", nil)

	if _, err := provider.DownTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	// Down undoes both: the refusal is a check that did not finish again, its case "review".
	check(t, pool, blurry, "review", map[string]string{"apptenticate": "failed  business"})
	check(t, pool, oneOfFour, "pass", nil)
	up()
	check(t, pool, blurry, "fail", map[string]string{"apptenticate": "done fail refused"})
}

// check asserts a case's vendor outcome and, by vendor, its checks' "state outcome error_kind".
func check(t *testing.T, pool *pgxpool.Pool, caseID uuid.UUID, outcome string, checks map[string]string) {
	t.Helper()
	var got string
	if err := pool.QueryRow(context.Background(), "SELECT vendor_outcome FROM cases WHERE id = $1", caseID).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != outcome {
		t.Errorf("case outcome %q, want %q", got, outcome)
	}
	for vendor, want := range checks {
		var row string
		if err := pool.QueryRow(context.Background(), "SELECT state || ' ' || coalesce(outcome, '') || ' ' || error_kind FROM checks WHERE case_id = $1 AND vendor = $2",
			caseID, vendor).Scan(&row); err != nil {
			t.Fatal(err)
		}
		if row != want {
			t.Errorf("%s check: %q, want %q", vendor, row, want)
		}
	}
}

// TestMigrationForgetsOOTOsEstimates: OOTO's estimates of age, gender and race kept before
// migration 11 leave its checks' raw fields and its calls' stored answers; the rest stays, and an
// answer that is not JSON or another vendor's is left alone.
func TestMigrationForgetsOOTOsEstimates(t *testing.T) {
	ctx := context.Background()
	pool, provider := migratedTo(t, 10)
	var cust, caseID, doc uuid.UUID
	if err := pool.QueryRow(ctx, "INSERT INTO customers (surname) VALUES ('M') RETURNING id").Scan(&cust); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "INSERT INTO cases (customer_id) VALUES ($1) RETURNING id", cust).Scan(&caseID); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "INSERT INTO documents (customer_id, type) VALUES ($1, 'passport') RETURNING id", cust).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	var check uuid.UUID
	if err := pool.QueryRow(ctx, `INSERT INTO checks (case_id, document_id, vendor, kind, state, request_key, result)
		VALUES ($1, $2, 'ooto', 'face_match', 'done', 'k', '{"extra":{"face.quality.age":"34","face.quality.race":"x","face.quality.gender":"female","face.quality.pitch":"2.1"}}')
		RETURNING id`, caseID, doc).Scan(&check); err != nil {
		t.Fatal(err)
	}
	call := func(vendor, body string) int64 {
		t.Helper()
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO vendor_calls (check_id, case_id, vendor, method, endpoint, started_at, latency_ms, body)
			VALUES ($1, $2, $3, 'POST', '/x', now(), 1, $4) RETURNING id`, check, caseID, vendor, []byte(body)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	ooto := call("ooto", `{"result":{"document":{"mrz":"P<UTO"},"face":{"quality":{"Age":34,"RACE":"x","gender":"female","pitch":2.1}}}}`)
	notJSON := call("ooto", `not json`)
	other := call("cynopsis_ocr", `{"result":{"face":{"quality":{"race":"ASIAN"}}}}`)
	if _, err := provider.Up(ctx); err != nil {
		t.Fatal(err)
	}
	var extra string
	if err := pool.QueryRow(ctx, "SELECT result->>'extra' FROM checks WHERE id = $1", check).Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if extra != `{"face.quality.pitch": "2.1"}` {
		t.Errorf("the check's raw fields: %s", extra)
	}
	body := func(id int64) string {
		t.Helper()
		var b []byte
		if err := pool.QueryRow(ctx, "SELECT body FROM vendor_calls WHERE id = $1", id).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if b := body(ooto); b != `{"result": {"face": {"quality": {"pitch": 2.1}}, "document": {"mrz": "P<UTO"}}}` {
		t.Errorf("OOTO's stored answer: %s", b)
	}
	if b := body(notJSON); b != "not json" {
		t.Errorf("an answer that is not JSON changed: %s", b)
	}
	if b := body(other); b != `{"result":{"face":{"quality":{"race":"ASIAN"}}}}` {
		t.Errorf("another vendor's answer changed: %s", b)
	}
}

// migratedTo is a fresh database migrated down to version, and the provider that moves it.
func migratedTo(t *testing.T, version int64) (*pgxpool.Pool, *goose.Provider) {
	t.Helper()
	pool := testenv.DB(t)
	sqlDB := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { sqlDB.Close() })
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(context.Background(), version); err != nil {
		t.Fatal(err)
	}
	return pool, provider
}
