package review

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
)

// Flags are the findings of the workspace on a case's documents, as the decision evidence names
// them: "mismatch:<field>" for each field whose sources disagree after normalisation, and
// "mrz_failure" when a document's MRZ fails a check. The decisions package takes it as its
// MoreFlags, so a mismatch can send a decision to second review.
func Flags(ctx context.Context, q *db.Queries, caseID uuid.UUID) ([]string, error) {
	c, err := q.GetCase(ctx, caseID)
	if err != nil {
		return nil, fmt.Errorf("review flags: %w", err)
	}
	cd, err := loadCase(ctx, q, c)
	if err != nil {
		return nil, err
	}
	now := httpx.Now()
	var out []string
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, d := range cd.docs {
		s := cd.sources(d, now)
		z := pick(candidates(s))
		_, mismatched := fieldsPanel(s, z, nil, "")
		for _, f := range mismatched {
			add("mismatch:" + string(f))
		}
		if z != nil && !z.m.Valid() {
			add("mrz_failure")
		}
	}
	return out, nil
}
