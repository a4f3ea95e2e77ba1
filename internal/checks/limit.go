package checks

import (
	"context"

	"github.com/google/uuid"

	"kycdesk/internal/vendors"
)

// Limit waits for a place among the calls to vendor v (the concurrency an admin sets for it,
// across every instance) and returns the function that gives the place back. Checks take one in
// Run; the liveness pushes take one for Artemis, so both together stay within the limit. When v's
// settings cannot be read, no place is taken: the call itself then fails with the settings' own
// message.
func (r *Runner) Limit(ctx context.Context, v vendors.Name) (func(), error) {
	res, err := r.Clients.Settings.Resolve(ctx, v)
	if err != nil {
		return func() {}, nil
	}
	return r.takePlace(ctx, v, max(res.Concurrency, 1), uuid.New())
}
