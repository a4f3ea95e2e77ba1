package checks

import (
	"context"
	"time"

	"kycdesk/internal/vendors"
)

// limitHold is how long a place taken through Limit is kept at most when ctx has no deadline.
const limitHold = 10 * time.Minute

// Limit waits for a place among the calls to vendor v (the concurrency an admin sets for it,
// across every instance) and returns the function that gives the place back. Checks take one in
// Run; the liveness pushes take one for Artemis, so both together stay within the limit. The place
// is leased until ctx's deadline (a River job's timeout), or for limitHold without one, and a
// leaseMargin more: the caller must be done with its calls by then. When v's settings cannot be
// read, no place is taken: the call itself then fails with the settings' own message.
func (r *Runner) Limit(ctx context.Context, v vendors.Name) (func(), error) {
	res, err := r.Clients.Settings.Resolve(ctx, v)
	if err != nil {
		return func() {}, nil
	}
	hold := limitHold
	if d, ok := ctx.Deadline(); ok {
		hold = min(hold, time.Until(d))
	}
	return r.takePlace(ctx, v, max(res.Concurrency, 1), hold)
}
