package liveness

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/db"
)

// HeldVerdict is the liveness verdict Artemis holds for a document: the one delivered to it last.
type HeldVerdict struct {
	VerdictID   uuid.UUID
	DocumentID  uuid.UUID
	CaseID      uuid.UUID // the case it was recorded in
	Conclusion  bool
	RecordedBy  string
	RecordedAt  time.Time
	DeliveredAt time.Time
}

// Held returns the verdict Artemis holds for each of documentIDs that it holds one for. The
// Artemis record is the document's, and a document carries across a customer's cases: what
// Artemis holds may have been recorded and delivered in another case than the one shown. The rule
// (the latest delivery; on a tie, the later verdict) is ListHeldLivenessVerdicts'; the liveness
// panel and the case report both say it from here.
func Held(ctx context.Context, q *db.Queries, documentIDs []uuid.UUID) (map[uuid.UUID]HeldVerdict, error) {
	out := map[uuid.UUID]HeldVerdict{}
	if len(documentIDs) == 0 {
		return out, nil
	}
	rows, err := q.ListHeldLivenessVerdicts(ctx, documentIDs)
	if err != nil {
		return nil, fmt.Errorf("liveness: held verdicts: %w", err)
	}
	for _, r := range rows {
		out[r.DocumentID] = HeldVerdict{VerdictID: r.ID, DocumentID: r.DocumentID, CaseID: r.CaseID, Conclusion: r.Conclusion,
			RecordedBy: r.RecordedByName, RecordedAt: r.RecordedAt, DeliveredAt: r.DeliveredAt}
	}
	return out, nil
}

// OtherCase says where the verdict was recorded, seen from the case caseID opened at opened: ""
// when in that case, else "an earlier case" or "a later case".
func (h HeldVerdict) OtherCase(caseID uuid.UUID, opened time.Time) string {
	switch {
	case h.CaseID == caseID:
		return ""
	case h.RecordedAt.Before(opened):
		return "an earlier case"
	}
	return "a later case"
}
