package loadtest

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what one load run measured.
type Result struct {
	Clients  int
	Requests int           // calls that finished without error
	Elapsed  time.Duration // from the first call to the last one's end
	P50, P99 time.Duration
	Max      time.Duration
	Err      error // the first error a client met; the run stopped there
}

// PerSecond is the throughput: calls finished per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted latencies; 0 when none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Run calls do from clients goroutines, each calling again as soon as its last call returns, for
// d, and times every call. Client i always passes i, so it can keep its own connection, session
// or buffer. Calls in flight when d ends are waited for and counted; the first error stops the run.
func Run(ctx context.Context, clients int, d time.Duration, do func(ctx context.Context, client int) error) Result {
	var stop atomic.Bool
	var once sync.Once
	res := Result{Clients: clients}
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	start := time.Now()
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	for i := range clients {
		wg.Go(func() {
			l := make([]time.Duration, 0, 4096)
			for !stop.Load() && ctx.Err() == nil {
				t := time.Now()
				if err := do(ctx, i); err != nil {
					once.Do(func() { res.Err = err })
					stop.Store(true)
					break
				}
				l = append(l, time.Since(t))
			}
			lat[i] = l
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	res.Requests = len(all)
	res.P50, res.P99 = Percentile(all, 50), Percentile(all, 99)
	if len(all) > 0 {
		res.Max = all[len(all)-1]
	}
	return res
}
