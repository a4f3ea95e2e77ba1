package loadtest

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Result is what one load run measured.
type Result struct {
	Clients  int
	Requests int           // calls that finished without error
	Elapsed  time.Duration // from the first call to the last one's end
	P50, P99 time.Duration
	Max      time.Duration
	Err      error // the first error a client met; the run stopped there
	// CPU time used meanwhile by this process (the clients and, when in-process, the app) and by
	// the whole machine; zero where not measurable. ServerCPU is the database server's share, for
	// the caller to fill in (see PostgresCPU).
	ProcessCPU, MachineCPU, ServerCPU time.Duration
}

// CPUPerCall splits the machine's CPU time per call between this process, the database server and
// everything else (other programs on a shared machine).
func (r Result) CPUPerCall() (process, server, others time.Duration) {
	if r.Requests == 0 {
		return 0, 0, 0
	}
	n := time.Duration(r.Requests)
	return r.ProcessCPU / n, r.ServerCPU / n, max(r.MachineCPU-r.ProcessCPU-r.ServerCPU, 0) / n
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

// Load is how a run drives its calls.
type Load struct {
	Clients int           // goroutines calling at once
	For     time.Duration // how long calls are started
	// Every, when set, paces each client to one call per Every, the clients staggered evenly,
	// instead of calling again as soon as the last call returns. A call's latency then counts from
	// when it was due, so a server that falls behind is not hidden by clients waiting for it.
	Every time.Duration
}

// Run calls do from l.Clients goroutines for l.For and times every call. Client i always passes
// i, so it can keep its own connection, session or buffer. Calls in flight when the time is up are
// waited for and counted; the first error stops the run.
func (l Load) Run(ctx context.Context, do func(ctx context.Context, client int) error) Result {
	var stop atomic.Bool
	var once sync.Once
	res := Result{Clients: l.Clients}
	lat := make([][]time.Duration, l.Clients)
	var wg sync.WaitGroup
	proc0, mach0 := processCPU(), machineCPU()
	start := time.Now()
	timer := time.AfterFunc(l.For, func() { stop.Store(true) })
	defer timer.Stop()
	for i := range l.Clients {
		wg.Go(func() {
			out := make([]time.Duration, 0, 4096)
			due := start
			if l.Every > 0 {
				due = start.Add(l.Every * time.Duration(i) / time.Duration(l.Clients))
			}
			for !stop.Load() && ctx.Err() == nil {
				if l.Every > 0 {
					time.Sleep(time.Until(due))
					if stop.Load() {
						break
					}
				} else {
					due = time.Now()
				}
				if err := do(ctx, i); err != nil {
					once.Do(func() { res.Err = err })
					stop.Store(true)
					break
				}
				out = append(out, time.Since(due))
				due = due.Add(l.Every)
			}
			lat[i] = out
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if p, m := processCPU(), machineCPU(); p > 0 && m > 0 {
		res.ProcessCPU, res.MachineCPU = p-proc0, m-mach0
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	res.Requests = len(all)
	res.P50, res.P99 = Percentile(all, 50), Percentile(all, 99)
	if len(all) > 0 {
		res.Max = all[len(all)-1]
	}
	return res
}

// processCPU is the user and system time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the busy time of all CPUs so far, from /proc/stat (Linux); 0 elsewhere.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	// user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
	for i, v := range f[1:min(len(f), 9)] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux architecture Go supports.
const clockTicks = 100

// CPUMeter reads the CPU time used so far by a set of processes, keyed by process id.
type CPUMeter func(ctx context.Context) (map[int]time.Duration, error)

// PostgresCPU is a CPUMeter of every process of the PostgreSQL server behind pool (backends and
// background workers alike), read from /proc; Linux only, and the server must run on this machine.
func PostgresCPU(pool *pgxpool.Pool) CPUMeter {
	return func(ctx context.Context) (map[int]time.Duration, error) {
		rs, err := pool.Query(ctx, "SELECT pid FROM pg_stat_activity")
		if err != nil {
			return nil, fmt.Errorf("server processes: %w", err)
		}
		pids, err := pgx.CollectRows(rs, pgx.RowTo[int32])
		if err != nil {
			return nil, fmt.Errorf("server processes: %w", err)
		}
		out := make(map[int]time.Duration, len(pids))
		for _, pid := range pids {
			if t, ok := procCPU(int(pid)); ok {
				out[int(pid)] = t
			}
		}
		return out, nil
	}
}

// CPUSince is how much CPU the processes used between two readings; a process that started in
// between counts from zero, one that ended in between is not counted.
func CPUSince(before, after map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, t := range after {
		d += t - before[pid]
	}
	return d
}

// procCPU is a process's user and system time from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces: count fields after it.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	// After the name: state (3), ppid (4), ... utime (14), stime (15).
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * time.Second / clockTicks, true
}
