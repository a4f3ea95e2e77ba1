package db_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
)

// TestMigrationExportsTheCasesDocument: migration 16 makes the export's document the case's
// latest (before any later case of the customer was opened), in the view and in the rows stored
// before it, which had the customer's latest: a decided case's row no longer shows the document
// that opened the customer's next case. The migration goes down and up.
func TestMigrationExportsTheCasesDocument(t *testing.T) {
	ctx := context.Background()
	pool, provider := migratedTo(t, 15)
	var cust, first uuid.UUID
	if err := pool.QueryRow(ctx, "INSERT INTO customers (surname) VALUES ('M') RETURNING id").Scan(&cust); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "INSERT INTO cases (customer_id, status, created_at, decided_at) VALUES ($1, 'rejected', now() - interval '3 hours', now() - interval '2 hours') RETURNING id",
		cust).Scan(&first); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"INSERT INTO documents (customer_id, type, number, created_at) VALUES ($1, 'passport', 'OLD1', now() - interval '170 minutes')",
		"INSERT INTO cases (customer_id, created_at) VALUES ($1, now() - interval '1 hour')",
		"INSERT INTO documents (customer_id, type, number, created_at) VALUES ($1, 'national_id', 'NEW1', now() - interval '1 hour')",
	} {
		if _, err := pool.Exec(ctx, sql, cust); err != nil {
			t.Fatal(err)
		}
	}
	// The stored rows as the export before migration 16 made them.
	if _, err := pool.Exec(ctx, `DELETE FROM case_export_rows; DELETE FROM case_export_stale;
		INSERT INTO case_export_rows SELECT case_id, status, created_at, last_activity_at, vendor_outcome, risk_flag,
		case_nationality, assignee_id, external_ref, given_names, surname, date_of_birth, nationality, document_type, document_number,
		document_country, document_expiry, checks, decision, reason_id, decision_comment, decided_by, decided_at, decision_state, checker_id,
		checked_at, decision_flags, liveness_result, liveness_confidence, delivery_state, case_decided_at, late_documents FROM case_export_source`); err != nil {
		t.Fatal(err)
	}
	numbers := func() (stored, view string) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT r.document_number, v.document_number FROM case_export_rows r JOIN case_export_source v USING (case_id)
			WHERE case_id = $1`, first).Scan(&stored, &view); err != nil {
			t.Fatal(err)
		}
		return stored, view
	}
	if stored, view := numbers(); stored != "NEW1" || view != "NEW1" {
		t.Fatalf("before migration 16: stored %s, view %s, want NEW1 (the customer's latest)", stored, view)
	}
	for range 2 {
		if _, err := provider.Up(ctx); err != nil {
			t.Fatal(err)
		}
		if stored, view := numbers(); stored != "OLD1" || view != "OLD1" {
			t.Errorf("after migration 16: stored %s, view %s, want OLD1 (the rejected case's own)", stored, view)
		}
		if _, err := provider.DownTo(ctx, 15); err != nil {
			t.Fatal(err)
		}
		if stored, view := numbers(); stored != "NEW1" || view != "NEW1" {
			t.Errorf("after down: stored %s, view %s, want NEW1", stored, view)
		}
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatal(err)
	}
}
