package db_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
	"kycdesk/migrations"
)

// TestMigrationKeepsTheStatusADecisionFound: migration 12 gives the decisions made before it the
// case's status as each found it, from its case.decide audit row, so a decision waiting for its
// second review when the migration runs is sent back where it was; a decision without such a row
// keeps none. The migration goes down and up.
func TestMigrationKeepsTheStatusADecisionFound(t *testing.T) {
	ctx := context.Background()
	pool := testenv.DB(t)
	sqlDB := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { sqlDB.Close() })
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, 11); err != nil {
		t.Fatal(err)
	}
	var user, reason uuid.UUID
	if err := pool.QueryRow(ctx, "INSERT INTO users (email, name, role) VALUES ('m@example.com', 'M', 'reviewer') RETURNING id").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, "SELECT id FROM decision_reasons WHERE outcome = 'reject' LIMIT 1").Scan(&reason); err != nil {
		t.Fatal(err)
	}
	decision := func(audited bool) uuid.UUID {
		t.Helper()
		var cust, caseID, id uuid.UUID
		if err := pool.QueryRow(ctx, "INSERT INTO customers (surname) VALUES ('M') RETURNING id").Scan(&cust); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, "INSERT INTO cases (customer_id, status, assignee_id) VALUES ($1, 'pending_second_review', $2) RETURNING id", cust, user).Scan(&caseID); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `INSERT INTO case_decisions (case_id, outcome, reason_id, decided_by, four_eyes_rule, state)
			VALUES ($1, 'reject', $2, $3, 'always', 'pending') RETURNING id`, caseID, reason, user).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if audited {
			if err := audit.Record(ctx, db.New(pool), audit.Event{Actor: audit.System, Action: "case.decide", SubjectType: "case", SubjectID: caseID.String(),
				CaseID: &caseID, Before: map[string]any{"status": "awaiting_resubmission"},
				After: map[string]any{"status": "pending_second_review", "decision_id": id}}); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	audited, unaudited := decision(true), decision(false)
	for range 2 {
		if _, err := provider.Up(ctx); err != nil {
			t.Fatal(err)
		}
		before := func(id uuid.UUID) *string {
			t.Helper()
			var s *string
			if err := pool.QueryRow(ctx, "SELECT status_before::text FROM case_decisions WHERE id = $1", id).Scan(&s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		if s := before(audited); s == nil || *s != "awaiting_resubmission" {
			t.Errorf("the audited decision found: %v", s)
		}
		if s := before(unaudited); s != nil {
			t.Errorf("the decision without an audit row found: %q", *s)
		}
		if _, err := provider.DownTo(ctx, 11); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatal(err)
	}
}
