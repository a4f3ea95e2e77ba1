package db_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
)

// TestMigrationStoresLateDocuments: migration 14 gives the stored export rows of the cases there
// are their late documents (those that arrived while the latest decision waited for its second
// review), which only the view knew of; a document before the decision is not late. The migration
// goes down and up.
func TestMigrationStoresLateDocuments(t *testing.T) {
	ctx := context.Background()
	pool, provider := migratedTo(t, 13)
	var user, reason, cust, caseID uuid.UUID
	if err := pool.QueryRow(ctx, "INSERT INTO users (email, name, role) VALUES ('m@example.com', 'M', 'reviewer') RETURNING id").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "SELECT id FROM decision_reasons WHERE outcome = 'approve' LIMIT 1").Scan(&reason); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "INSERT INTO customers (surname) VALUES ('M') RETURNING id").Scan(&cust); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "INSERT INTO cases (customer_id, status, assignee_id, created_at) VALUES ($1, 'pending_second_review', $2, now() - interval '3 hours') RETURNING id",
		cust, user).Scan(&caseID); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"INSERT INTO documents (customer_id, type, number, created_at) VALUES ($1, 'passport', 'SEEN1', now() - interval '2 hours')",
		"INSERT INTO documents (customer_id, type, number, created_at) VALUES ($1, 'national_id', 'LATE1', now() - interval '30 minutes')",
	} {
		if _, err := pool.Exec(ctx, sql, cust); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO case_decisions (case_id, outcome, reason_id, decided_by, decided_at, four_eyes_rule, state)
		VALUES ($1, 'approve', $2, $3, now() - interval '1 hour', 'always', 'pending')`, caseID, reason, user); err != nil {
		t.Fatal(err)
	}
	// The stored rows as the export before migration 14 made them.
	if _, err := pool.Exec(ctx, `DELETE FROM case_export_rows; DELETE FROM case_export_stale`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO case_export_rows SELECT case_id, status, created_at, last_activity_at, vendor_outcome, risk_flag,
		case_nationality, assignee_id, external_ref, given_names, surname, date_of_birth, nationality, document_type, document_number,
		document_country, document_expiry, checks, decision, reason_id, decision_comment, decided_by, decided_at, decision_state, checker_id,
		checked_at, decision_flags, liveness_result, liveness_confidence, delivery_state, case_decided_at FROM case_export_source`); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := provider.Up(ctx); err != nil {
			t.Fatal(err)
		}
		var stored, view string
		if err := pool.QueryRow(ctx, `SELECT coalesce(r.late_documents::text, ''), coalesce(v.late_documents::text, '')
			FROM case_export_rows r JOIN case_export_source v USING (case_id) WHERE case_id = $1`, caseID).Scan(&stored, &view); err != nil {
			t.Fatal(err)
		}
		if want := `[["national_id", "LATE1"]]`; stored != want || view != want {
			t.Errorf("late documents: stored %s, view %s, want %s", stored, view, want)
		}
		if _, err := provider.DownTo(ctx, 13); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns
			WHERE table_name IN ('case_export_rows', 'case_export_source') AND column_name = 'late_documents'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("after down, %d late_documents columns (%v)", n, err)
		}
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatal(err)
	}
}
