package checks

import (
	"context"

	"kycdesk/internal/vendors"
)

// Limit waits for a place among this instance's calls to vendor v (the concurrency an admin sets
// for it) and returns the function that gives the place back. Checks take one in Run; the liveness
// pushes take one for Artemis, so both together stay within the limit. When v's settings cannot
// be read, no place is taken: the call itself then fails with the settings' own message.
func (r *Runner) Limit(ctx context.Context, v vendors.Name) (func(), error) {
	res, err := r.Clients.Settings.Resolve(ctx, v)
	if err != nil {
		return func() {}, nil
	}
	g, limit := r.gate(v), max(res.Concurrency, 1)
	if err := g.acquire(ctx, limit); err != nil {
		return nil, err
	}
	return func() { g.release(limit) }, nil
}
