package loadtest_test

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/checks"
	"kycdesk/internal/config"
	"kycdesk/internal/customers"
	"kycdesk/internal/db"
	"kycdesk/internal/images"
	"kycdesk/internal/loadtest"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// The check pipeline the issue asks for: 10,000 checks against the simulator at 50 ms per call,
// 16 calls at once.
const (
	pipelineLatency     = 50 * time.Millisecond
	pipelineConcurrency = 16
	checksPerDocument   = 4 // a document is checked a few times (reruns), as on a real case
)

// BenchmarkCheckPipeline queues KYCDESK_BENCH_CHECKS (10,000) Cynopsis OCR checks at once, then
// starts the workers and measures the wall time until every check is finished, against the ideal
// of checks × 50 ms / 16 (the simulator answers each call after 50 ms; the per-vendor limit is 16).
//
// The documents carry a tiny front image. The simulator runs in this process, on the same cores,
// and decodes every image it is sent to look for a specimen's code (about 1.5 ms of CPU for a
// 480 × 300 JPEG here, 15 ms for a phone-sized one): with real images the simulator, not kycdesk,
// would use most of the machine, and a real vendor does that work on its own machines.
func BenchmarkCheckPipeline(b *testing.B) {
	if testing.Short() {
		b.Skip("runs 10,000 checks: not under -short")
	}
	n := envInt(b, "KYCDESK_BENCH_CHECKS", 10_000)
	ctx := context.Background()
	// Production's pool sizes and log level (config defaults).
	app := testenv.NewAppAt(b, testenv.URL(b), func(c *config.Config) {
		c.DBMaxConns, c.DBBackgroundConns, c.LogLevel = int32(config.DefaultDBMaxConns()), config.DefaultDBBackgroundConns, "info"
	})
	b.Cleanup(func() { app.Server.StopWorkers(30 * time.Second) })
	admin := app.CreateUser(b, "admin")
	actor := audit.UserActor(admin.ID, admin.Email)

	// Cynopsis OCR is left to the simulator (not enabled) with a limit of 16 calls at once.
	env, err := app.Server.Settings.ActiveEnvironment(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := app.Server.Settings.Save(ctx, actor, vendors.CynopsisOCR, env,
		vendorsettings.Input{TimeoutSeconds: 60, Concurrency: pipelineConcurrency}); err != nil {
		b.Fatal(err)
	}
	if err := app.Server.Sim.SetLatency(string(vendors.CynopsisOCR), pipelineLatency); err != nil {
		b.Fatal(err)
	}

	seedStart := time.Now()
	ids := queueChecks(b, app, actor, n)
	fmt.Printf("queued %d checks on %d documents in %s\n", n, (n+checksPerDocument-1)/checksPerDocument, time.Since(seedStart).Round(time.Second))

	pgCPU := loadtest.PostgresCPU(app.Pool)
	pg0, err := pgCPU(ctx)
	if err != nil {
		b.Fatal(err)
	}
	stopProfile := profileRun(b, "")
	cpu0 := selfCPU()
	b.ResetTimer()
	start := time.Now()
	if err := app.Server.StartWorkers(ctx); err != nil {
		b.Fatal(err)
	}
	wall := waitFinished(b, app, n, start)
	b.StopTimer()
	stopProfile()
	cpu := selfCPU() - cpu0
	pg1, err := pgCPU(ctx)
	if err != nil {
		b.Fatal(err)
	}
	pg := loadtest.CPUSince(pg0, pg1)

	st := pipelineStats(b, app, ids, start)
	ideal := time.Duration(n) * pipelineLatency / pipelineConcurrency
	ratio := wall.Seconds() / ideal.Seconds()
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(ratio, "x-ideal")
	b.ReportMetric(float64(n)/wall.Seconds(), "checks/s")
	b.ReportMetric(ms(st.doneP50), "p50-ms")
	b.ReportMetric(ms(st.doneP99), "p99-ms")
	b.ReportMetric(ms(st.runP50), "run-p50-ms")
	b.ReportMetric(ms(st.runP99), "run-p99-ms")
	b.ReportMetric(0, "ns/op") // one run, not a per-op figure
	fmt.Printf("check pipeline: %d checks, %s per call, %d at once: %.1fs (ideal %.2fs, %.2f×), %.0f checks/s\n",
		n, pipelineLatency, pipelineConcurrency, wall.Seconds(), ideal.Seconds(), ratio, float64(n)/wall.Seconds())
	fmt.Printf("  queued→done p50 %.0f ms, p99 %.0f ms; one run (started, waiting for a place included →done) p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
		ms(st.doneP50), ms(st.doneP99), ms(st.runP50), ms(st.runP99), ms(st.runMax))
	fmt.Printf("  a run's parts, median (mean): before the vendor call %.1f (%.1f) ms, the call %.1f (%.1f) ms, after it %.1f (%.1f) ms; first check started after %.0f ms\n",
		ms(st.beforeP50), ms(st.beforeMean), ms(st.callP50), ms(st.callMean), ms(st.afterP50), ms(st.afterMean), ms(st.firstStart))
	fmt.Printf("  calls in flight on average: %.1f of %d\n", float64(n)*ms(st.callMean)/ms(wall), pipelineConcurrency)
	fmt.Printf("  %d done, %d failed, %d needed more than one attempt; CPU per check: this process (app and simulator) %.2f ms, PostgreSQL %.2f ms\n",
		st.done, st.failed, st.retried, ms(cpu/time.Duration(n)), ms(pg/time.Duration(n)))
	if st.done != n {
		b.Errorf("%d of %d checks done (%d failed)", st.done, n, st.failed)
	}
}

// queueChecks creates the documents and requests n checks through the checks service (its row,
// its job and its audit row in one transaction each), before the workers start.
func queueChecks(b *testing.B, app *testenv.App, actor audit.Actor, n int) []uuid.UUID {
	ctx := context.Background()
	front := smallJPEG(b)
	svc := app.Server.CustomerService()
	requests := &checks.Service{Pool: app.Pool, River: app.Server.River}
	o := customers.Origin{Actor: actor, Via: "bench"}
	docs := (n + checksPerDocument - 1) / checksPerDocument
	var mu sync.Mutex
	ids := make([]uuid.UUID, 0, n)
	var firstErr error
	var wg sync.WaitGroup
	slots := make(chan struct{}, 4) // seeding is not measured: a few at once is quicker
	for d := range docs {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := queueDocument(ctx, svc, requests, o, actor, front, d, min(checksPerDocument, n-d*checksPerDocument), &mu, &ids); err != nil {
				mu.Lock()
				firstErr = cmp.Or(firstErr, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	if len(ids) != n {
		b.Fatalf("%d checks queued, want %d", len(ids), n)
	}
	return ids
}

// queueDocument creates customer d with a passport and requests k checks of it.
func queueDocument(ctx context.Context, svc *customers.Service, requests *checks.Service, o customers.Origin, actor audit.Actor, front []byte,
	d, k int, mu *sync.Mutex, ids *[]uuid.UUID) error {
	out, err := svc.Create(ctx, o, customers.Input{GivenNames: "Anna", Surname: fmt.Sprintf("Pipeline %d", d), Nationality: "SWE"})
	if err != nil {
		return err
	}
	doc, _, err := svc.AddDocument(ctx, o, out.Customer.ID, customers.DocumentInput{Type: "passport", IssuingCountry: "SWE"},
		[]customers.File{{Kind: "front", Name: "front.jpg", Data: front}})
	if err != nil {
		return err
	}
	for i := range k {
		list, err := requests.Request(ctx, actor, nil, "bench", out.Case.ID, doc.ID, []vendors.Name{vendors.CynopsisOCR}, fmt.Sprintf("bench-%d", i))
		if err != nil {
			return err
		}
		mu.Lock()
		for _, c := range list {
			*ids = append(*ids, c.ID)
		}
		mu.Unlock()
	}
	return nil
}

// smallJPEG is the uploaded front: 480 × 320 pixels, the least an upload may have on its shortest
// side (images.DefaultMinSide) with a document's proportions. It carries no specimen code, so
// the simulator answers with a generic reading after a quick look.
func smallJPEG(b *testing.B) []byte {
	const w, h = 480, images.DefaultMinSide
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(200 + x%40), uint8(190 + y%50), 180, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// waitFinished waits until n checks are done or failed and returns the time from start to the
// last one's end. It looks four times a second and reads the end from the checks themselves: a
// tighter poll (counting the finished checks every 20 ms) cost PostgreSQL a fifth of a core, taken
// from the pipeline it measures.
func waitFinished(b *testing.B, app *testenv.App, n int, start time.Time) time.Duration {
	ctx := context.Background()
	deadline := start.Add(max(10*time.Minute, time.Duration(n)*pipelineLatency))
	for {
		time.Sleep(250 * time.Millisecond)
		var finished int
		var last *time.Time
		if err := app.Pool.QueryRow(ctx, "SELECT count(*), max(finished_at) FROM checks WHERE state IN ('done', 'failed')").Scan(&finished, &last); err != nil {
			b.Fatal(err)
		}
		if finished >= n && last != nil {
			return last.Sub(start)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d checks finished after %s", finished, n, time.Since(start).Round(time.Second))
		}
	}
}

type pipelineResult struct {
	done, failed, retried int
	// doneP50/P99: from the start (when every check was queued) to the check's end; runP50/P99:
	// from the last attempt's start to its end (the wait for one of the 16 places, the vendor's
	// 50 ms and kycdesk's own work).
	doneP50, doneP99, runP50, runP99, runMax time.Duration
	// The median run's parts: before the vendor call, the call, after it.
	beforeP50, callP50, afterP50    time.Duration
	beforeMean, callMean, afterMean time.Duration
	// firstStart is how long the workers took to start the first check.
	firstStart time.Duration
}

func pipelineStats(b *testing.B, app *testenv.App, ids []uuid.UUID, start time.Time) pipelineResult {
	rows, err := app.Pool.Query(context.Background(), "SELECT state, attempts, started_at, finished_at FROM checks WHERE id = ANY($1)", ids)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var r pipelineResult
	var done, run []time.Duration
	for rows.Next() {
		var state db.CheckState
		var attempts int32
		var started, finished *time.Time
		if err := rows.Scan(&state, &attempts, &started, &finished); err != nil {
			b.Fatal(err)
		}
		switch state {
		case db.CheckStateDone:
			r.done++
		case db.CheckStateFailed:
			r.failed++
		}
		if attempts > 1 {
			r.retried++
		}
		if started != nil && (r.firstStart == 0 || started.Sub(start) < r.firstStart) {
			r.firstStart = started.Sub(start)
		}
		if started != nil && finished != nil {
			done = append(done, finished.Sub(start))
			run = append(run, finished.Sub(*started))
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	// Where a run's time goes: before the vendor call (starting the check, waiting for a place,
	// reading its document and images), the call itself (the simulator's 50 ms and HTTP), and after it (parsing,
	// logging the call, writing the outcome and its audit row).
	var before, call, after []time.Duration
	rows, err = app.Pool.Query(context.Background(), `SELECT k.started_at, v.started_at, v.latency_ms, k.finished_at
		FROM checks k JOIN vendor_calls v ON v.check_id = k.id AND v.endpoint LIKE '%/ocr%'
		WHERE k.id = ANY($1) AND k.started_at IS NOT NULL AND k.finished_at IS NOT NULL`, ids)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var started, callAt, finished time.Time
		var latency int32
		if err := rows.Scan(&started, &callAt, &latency, &finished); err != nil {
			b.Fatal(err)
		}
		l := time.Duration(latency) * time.Millisecond
		before, call, after = append(before, callAt.Sub(started)), append(call, l), append(after, finished.Sub(callAt.Add(l)))
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	for _, l := range [][]time.Duration{before, call, after} {
		slices.Sort(l)
	}
	r.beforeP50, r.callP50, r.afterP50 = loadtest.Percentile(before, 50), loadtest.Percentile(call, 50), loadtest.Percentile(after, 50)
	r.beforeMean, r.callMean, r.afterMean = mean(before), mean(call), mean(after)
	slices.Sort(done)
	slices.Sort(run)
	r.doneP50, r.doneP99 = loadtest.Percentile(done, 50), loadtest.Percentile(done, 99)
	r.runP50, r.runP99 = loadtest.Percentile(run, 50), loadtest.Percentile(run, 99)
	if len(run) > 0 {
		r.runMax = run[len(run)-1]
	}
	return r
}

// profileRun writes a CPU profile of the measured run alone (not the seeding, which -cpuprofile
// includes) to KYCDESK_BENCH_CPUPROFILE when it is set (with ".<name>" after it when a benchmark
// profiles several runs), and returns what stops it.
func profileRun(b *testing.B, name string) func() {
	path := os.Getenv("KYCDESK_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	if name != "" {
		path += "." + name
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

func mean(l []time.Duration) time.Duration {
	if len(l) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	return sum / time.Duration(len(l))
}

// selfCPU is the user and system time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
