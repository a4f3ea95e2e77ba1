package auth

import (
	"math"
	"time"
)

// Throttling policy for sign-in. Failures are counted per email typed and per client address.
const (
	// EmailFreeFailures is how many failures an email gets before a delay applies.
	EmailFreeFailures = 5
	// IPFreeFailures is higher: an office shares one address.
	IPFreeFailures = 20
	maxDelay       = 15 * time.Minute
)

// Delay is how long to refuse attempts after the last failure, given the number of failures so far
// and how many are free: nothing up to free, then 1 s, 2 s, 4 s … doubling up to 15 minutes.
func Delay(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	d := time.Duration(math.Pow(2, float64(failures-free))) * time.Second
	if d > maxDelay || d <= 0 {
		return maxDelay
	}
	return d
}
