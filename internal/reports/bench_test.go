package reports_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/config"
	"kycdesk/internal/loadtest"
	"kycdesk/internal/reports"
	"kycdesk/internal/testenv"
)

func benchInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive whole number", name, s)
	}
	return n
}

// seeded starts the app on a fresh database holding n cases (loadtest's COPY seeder: a customer,
// a passport and a case each, over two years, most of them decided), with a decision recorded for
// every decided case, and returns a signed-in manager.
func seeded(b *testing.B, n int) (*testenv.App, *testenv.Client) {
	b.Helper()
	ctx := context.Background()
	app := testenv.NewAppAt(b, testenv.URL(b), func(c *config.Config) { c.DBMaxConns = 20; c.LogLevel = "info"; c.Workers = false })
	var staff []uuid.UUID
	for range 6 {
		staff = append(staff, app.CreateUser(b, "reviewer").ID)
	}
	mgr := app.CreateUser(b, "manager")
	start := time.Now()
	if _, err := loadtest.Seed(ctx, app.Pool, loadtest.Options{Cases: n, Staff: staff, Seed: 1, Now: time.Now()}); err != nil {
		b.Fatal(err)
	}
	if _, err := app.Pool.Exec(ctx, `
		INSERT INTO case_decisions (case_id, outcome, reason_id, decided_by, decided_at, state)
		SELECT c.id, o.outcome, (SELECT r.id FROM decision_reasons r WHERE r.outcome = o.outcome ORDER BY r.position LIMIT 1),
			c.assignee_id, c.decided_at, 'final'
		FROM cases c CROSS JOIN LATERAL (SELECT CASE c.status WHEN 'approved' THEN 'approve' ELSE 'reject' END AS outcome) o
		WHERE c.status IN ('approved', 'rejected')`); err != nil {
		b.Fatal(err)
	}
	if _, err := app.Pool.Exec(ctx, "VACUUM (ANALYZE) case_decisions"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d cases with their decisions in %s", n, time.Since(start).Round(time.Second))
	// The export's stored rows, as kycdesk keeps them (the seeder marks every case).
	start = time.Now()
	if err := reports.RefreshExportRows(ctx, app.Pool); err != nil {
		b.Fatal(err)
	}
	if _, err := app.Pool.Exec(ctx, "VACUUM (ANALYZE) case_export_rows, case_export_stale"); err != nil {
		b.Fatal(err)
	}
	b.Logf("computed the export's stored rows in %s", time.Since(start).Round(time.Second))
	return app, app.SignIn(b, mgr)
}

// peaks samples the Go heap in use while an export runs, and reads the process's peak resident
// memory (VmHWM, reset first where Linux allows).
type peaks struct {
	mu      sync.Mutex
	heap    uint64
	stop    chan struct{}
	done    chan struct{}
	hwmBase bool
	baseMB  float64 // resident size when the export starts
}

func watchMemory() *peaks {
	runtime.GC()
	debug.FreeOSMemory()
	p := &peaks{stop: make(chan struct{}), done: make(chan struct{})}
	// Writing 5 to clear_refs resets the peak resident size, so VmHWM is this run's peak.
	p.hwmBase = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	p.baseMB = procStatusMB("VmRSS:")
	go func() {
		defer close(p.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			p.mu.Lock()
			p.heap = max(p.heap, ms.HeapInuse+ms.StackInuse)
			p.mu.Unlock()
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// procStatusMB reads one of /proc/self/status's sizes, in MB (0 when unknown).
func procStatusMB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// end returns the peak heap in use and the peak resident size (0 when unknown), in MB.
func (p *peaks) end() (heapMB, rssMB float64) {
	close(p.stop)
	<-p.done
	if p.hwmBase {
		rssMB = procStatusMB("VmHWM:")
	}
	return float64(p.heap) / (1 << 20), rssMB
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// exportOnce downloads one export and returns its rows and bytes.
func exportOnce(b *testing.B, app *testenv.App, c *testenv.Client, path string) (int64, int64) {
	b.Helper()
	req, err := http.NewRequest("GET", app.URL+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	c.Timeout = 30 * time.Minute
	res, err := c.Client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d", path, res.StatusCode)
	}
	var lines, size int64
	buf := make([]byte, 256<<10)
	for {
		n, err := res.Body.Read(buf)
		size += int64(n)
		lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatalf("%s: %v", path, err)
		}
	}
	return lines, size
}

// BenchmarkExportCSV exports every status of a million seeded cases (KYCDESK_BENCH_CASES) as CSV
// through the HTTP handler, and reports rows per second, the peak memory during the export, and
// the CPU per row of kycdesk and of PostgreSQL. Targets: ≥ 200,000 rows/s, ≤ 64 MB.
func BenchmarkExportCSV(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million cases: not under -short")
	}
	n := benchInt(b, "KYCDESK_BENCH_CASES", 1_000_000)
	app, c := seeded(b, n)
	pgCPU := loadtest.PostgresCPU(app.Pool)
	ctx := context.Background()
	exportOnce(b, app, c, "/cases/export.csv?status=approved&nationality=DEU") // warm the caches a little
	var rows int64
	var elapsed, goCPU, dbCPU time.Duration
	var heapMB, rssMB, growthMB float64
	b.ResetTimer()
	for range b.N {
		before, _ := pgCPU(ctx)
		cpu0 := cpuTime()
		mem := watchMemory()
		start := time.Now()
		lines, size := exportOnce(b, app, c, "/cases/export.csv?status=all")
		elapsed += time.Since(start)
		h, r := mem.end()
		heapMB, rssMB = max(heapMB, h), max(rssMB, r)
		if r > 0 {
			growthMB = max(growthMB, r-mem.baseMB)
		}
		goCPU += cpuTime() - cpu0
		after, _ := pgCPU(ctx)
		dbCPU += loadtest.CPUSince(before, after)
		rows += lines - 1
		if lines-1 != int64(n) {
			b.Fatalf("exported %d rows of %d (%d bytes)", lines-1, n, size)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(heapMB, "peak-heap-MB")
	if rssMB > 0 {
		b.ReportMetric(rssMB, "peak-RSS-MB")
		b.ReportMetric(growthMB, "RSS-growth-MB")
	}
	b.ReportMetric(float64(goCPU.Nanoseconds())/float64(rows), "go-cpu-ns/row")
	b.ReportMetric(float64(dbCPU.Nanoseconds())/float64(rows), "pg-cpu-ns/row")
	b.Logf("%d rows in %s: %.0f rows/s, peak heap %.1f MB, peak RSS %.1f MB (%.1f MB more than at the start); CPU per row: kycdesk %s, PostgreSQL %s",
		rows, elapsed.Round(time.Millisecond), float64(rows)/elapsed.Seconds(), heapMB, rssMB, growthMB,
		time.Duration(goCPU.Nanoseconds()/rows), time.Duration(dbCPU.Nanoseconds()/rows))
}

// BenchmarkExportXLSX exports 100,000 seeded cases (KYCDESK_BENCH_XLSX_CASES) as XLSX.
func BenchmarkExportXLSX(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a hundred thousand cases: not under -short")
	}
	n := benchInt(b, "KYCDESK_BENCH_XLSX_CASES", 100_000)
	app, c := seeded(b, n)
	var elapsed time.Duration
	var rows int64
	var heapMB, rssMB float64
	var size int64
	b.ResetTimer()
	for range b.N {
		mem := watchMemory()
		start := time.Now()
		_, size = exportOnce(b, app, c, "/cases/export.xlsx?status=all")
		elapsed += time.Since(start)
		h, r := mem.end()
		heapMB, rssMB = max(heapMB, h), max(rssMB, r)
		rows += int64(n)
	}
	b.StopTimer()
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(heapMB, "peak-heap-MB")
	if rssMB > 0 {
		b.ReportMetric(rssMB, "peak-RSS-MB")
	}
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
	b.Logf("%d rows in %s: %.0f rows/s, %.1f MB workbook, peak heap %.1f MB, peak RSS %.1f MB",
		rows, elapsed.Round(time.Millisecond), float64(rows)/elapsed.Seconds(), float64(size)/(1<<20), heapMB, rssMB)
}

// BenchmarkReportPDF generates the PDF report of a case with three images (front, back and
// selfie of a national ID), through the HTTP handler: read, rendered, hashed, audited, sent.
// Target: ≤ 300 ms.
func BenchmarkReportPDF(b *testing.B) {
	w := newWorld(b)
	c := w.app.SignIn(b, w.manager)
	path := "/cases/" + w.id.String() + "/report.pdf"
	if res := c.Get(b, path); res.Status != http.StatusOK {
		b.Fatalf("report: %d", res.Status)
	}
	var size int
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		res := c.Get(b, path)
		if res.Status != http.StatusOK {
			b.Fatalf("report: %d", res.Status)
		}
		size = len(res.Body)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(b.N), "ms/report")
	b.ReportMetric(float64(size)/(1<<10), "KB/report")
	b.Logf("%d reports: %s each, %d KB", b.N, (elapsed / time.Duration(b.N)).Round(time.Millisecond), size>>10)
}
