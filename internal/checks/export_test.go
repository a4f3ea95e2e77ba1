package checks

import "time"

// HoldCalls is holdCalls, for the tests outside the package.
var HoldCalls = holdCalls

// WriteCallsNow is writeCallsNow, for the tests outside the package.
var WriteCallsNow = writeCallsNow

// SetLease sets the lease of a vendor place and its renewal period, until the returned function
// puts them back.
func SetLease(ttl, renew time.Duration) func() {
	t, r := leaseTTL, leaseRenew
	leaseTTL, leaseRenew = ttl, renew
	return func() { leaseTTL, leaseRenew = t, r }
}
