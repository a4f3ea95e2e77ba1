package checks

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"kycdesk/internal/liveness"
)

// Timeouts bound the runs of jobs (KYCDESK_CHECK_TIMEOUT and KYCDESK_CHECK_RESCUE_AFTER).
type Timeouts struct {
	// Run is the longest one run of a job may take: its context is then cancelled and the job
	// retried.
	Run time.Duration
	// Rescue is how long a job may stay running before River takes its instance for dead (killed,
	// or cut off from the database) and runs it again elsewhere. It must be longer than Run, or a
	// run still alive would be doubled; a run that is doubled anyway cannot finish the check twice
	// (see FinishCheck), it only repeats the vendor call.
	Rescue time.Duration
}

// DefaultTimeouts are the timeouts when none are configured.
var DefaultTimeouts = Timeouts{Run: 6 * time.Minute, Rescue: 7 * time.Minute}

// NewRiver returns the job queue client. With work false it only inserts jobs (an instance that
// serves pages but runs no checks); with work true it also runs them, one queue per vendor. Zero
// timeouts take DefaultTimeouts'.
func NewRiver(r *Runner, log *slog.Logger, work bool, t Timeouts) (*river.Client[pgx.Tx], error) {
	if t.Run <= 0 {
		t.Run = DefaultTimeouts.Run
	}
	if t.Rescue <= 0 {
		t.Rescue = t.Run + time.Minute
	}
	cfg := &river.Config{Logger: log, JobTimeout: t.Run, RescueStuckJobsAfter: t.Rescue, MaxAttempts: 25}
	if work {
		workers := river.NewWorkers()
		// River's rescuer asks the worker, not the client, how long a run may take before it
		// counts as stuck: every worker must answer the configured timeout.
		river.AddWorker[Args](workers, timed[Args]{&Worker{Runner: r}, t.Run})
		river.AddWorker[CallbackArgs](workers, timed[CallbackArgs]{&CallbackWorker{Runner: r}, t.Run})
		river.AddWorker[liveness.Args](workers, timed[liveness.Args]{&liveness.Worker{Deliverer: &liveness.Deliverer{Pool: r.Pool, Store: r.Store, Clients: r.Clients, Records: r, Scope: WithScope, Limit: r.Limit, Log: log}}, t.Run})
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 8}}
		for _, v := range Runnable {
			// The per-vendor limit an admin sets is applied inside the runner (it can change
			// while running); the queue only bounds the goroutines.
			cfg.Queues[Queue(v)] = river.QueueConfig{MaxWorkers: 64}
		}
	}
	return river.NewClient(riverpgxv5.New(r.Pool), cfg)
}

// timed runs a worker's jobs under the configured run timeout rather than the worker's own.
type timed[T river.JobArgs] struct {
	river.Worker[T]
	timeout time.Duration
}

// Timeout is the configured run timeout.
func (w timed[T]) Timeout(*river.Job[T]) time.Duration { return w.timeout }
