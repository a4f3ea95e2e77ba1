package db

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
)

// AppSetting returns an app setting's value, or pgx.ErrNoRows when it was never set. It reads
// every setting (a few small rows), so the panels of a page behind one read memo (Reads), which
// ask for several, read them once.
func (q *Queries) AppSetting(ctx context.Context, key string) (json.RawMessage, error) {
	list, err := q.ListAppSettings(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range list {
		if s.Key == key {
			return s.Value, nil
		}
	}
	return nil, pgx.ErrNoRows
}
