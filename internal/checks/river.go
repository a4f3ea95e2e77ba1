package checks

import (
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// NewRiver returns the job queue client. With work false it only inserts jobs (an instance that
// serves pages but runs no checks); with work true it also runs them, one queue per vendor.
func NewRiver(r *Runner, log *slog.Logger, work bool) (*river.Client[pgx.Tx], error) {
	cfg := &river.Config{Logger: log, JobTimeout: 6 * time.Minute, RescueStuckJobsAfter: 7 * time.Minute, MaxAttempts: 25}
	if work {
		workers := river.NewWorkers()
		river.AddWorker(workers, &Worker{Runner: r})
		river.AddWorker(workers, &CallbackWorker{Runner: r})
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
