package loadtest_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/cases"
	"kycdesk/internal/config"
	"kycdesk/internal/db"
	"kycdesk/internal/loadtest"
	"kycdesk/internal/normalize"
	"kycdesk/internal/testenv"
)

// clients is the concurrency the issue asks for: 32 signed-in reviewers at once.
const clients = 32

// scenario is one view of the queue, as a bookmarked URL holds it.
type scenario struct {
	name   string
	query  string        // of /cases
	target time.Duration // p99 the issue asks for on a 2-core machine
}

var scenarios = []scenario{
	{"default", "", 20 * time.Millisecond}, // status=new, oldest first
	{"nationality", "status=in_review&nationality=DEU", 20 * time.Millisecond},
	{"unassigned-activity", "status=escalated&assignee=none&sort=activity", 20 * time.Millisecond},
	{"outcome-risk", "status=new&outcome=fail&risk=yes", 20 * time.Millisecond},
	{"search-accented", "status=approved&q=" + url.QueryEscape("Wöhrm"), 40 * time.Millisecond},
	{"search-plain", "status=approved&q=wohrm", 40 * time.Millisecond},
	// Not in the issue: a common surname, thousands of matches, the hard case for the search.
	{"search-common", "status=approved&q=" + url.QueryEscape("Müller"), 40 * time.Millisecond},
}

func envInt(b *testing.B, name string, def int) int {
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

func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		b.Fatalf("%s=%q: want a duration like 10s", name, s)
	}
	return d
}

// line is one row of the report.
type line struct {
	name   string
	rows   int
	target time.Duration
	// app and floor saturated by the clients; floorHTTP: the floor behind a bare HTTP server;
	// paced: the app at a fixed request rate.
	app, floor, floorHTTP, paced loadtest.Result
	// ratios are app / floor in each round, lowest first: app and floor are the median's.
	ratios []float64
}

// ratio is app's pages per second over the floor's.
func ratio(app, floor loadtest.Result) float64 { return app.PerSecond() / floor.PerSecond() }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkQueue seeds a million cases and measures the queue page against its floor.
func BenchmarkQueue(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a million cases: not under -short")
	}
	n := envInt(b, "KYCDESK_BENCH_CASES", 1_000_000)
	d := envDuration(b, "KYCDESK_BENCH_DURATION", 10*time.Second)
	ctx := context.Background()

	// KYCDESK_BENCH_CONNS: the requests' pool, by default as production sizes it on this machine.
	conns := envInt(b, "KYCDESK_BENCH_CONNS", config.DefaultDBMaxConns())

	dbURL := testenv.URL(b)
	// Production's pool sizes and log level (config defaults), not the tests' debug settings.
	app := testenv.NewAppAt(b, dbURL, func(c *config.Config) {
		c.DBMaxConns, c.DBBackgroundConns, c.LogLevel = int32(conns), config.DefaultDBBackgroundConns, "info"
	})
	var staff []testenv.User
	var staffIDs []uuid.UUID
	for i := range 8 {
		role := "reviewer"
		if i >= 6 {
			role = "manager"
		}
		u := app.CreateUser(b, role)
		staff, staffIDs = append(staff, u), append(staffIDs, u.ID)
	}
	st, err := loadtest.Seed(ctx, app.Pool, loadtest.Options{Cases: n, Staff: staffIDs, Seed: 1, Now: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("seeded %d cases in %s (invented and copied %s, indexes and foreign keys %s, vacuum analyze %s)\n", n,
		st.Total().Round(time.Second), st.Load.Round(100*time.Millisecond), st.Index.Round(100*time.Millisecond),
		st.Vacuum.Round(100*time.Millisecond))
	var counts []string
	for _, s := range cases.Statuses {
		counts = append(counts, fmt.Sprintf("%s %d", s, st.Counts[s]))
	}
	fmt.Printf("cases per status (counters checked against count(*)): %s\n", strings.Join(counts, ", "))

	measure(b, app, dbURL, staff, n, d)
}

// measure runs every scenario against the app on the database at dbURL and against the floor.
func measure(b *testing.B, app *testenv.App, dbURL string, staff []testenv.User, n int, d time.Duration) {
	ctx := context.Background()
	rate := envInt(b, "KYCDESK_BENCH_RATE", 100)
	rounds := envInt(b, "KYCDESK_BENCH_ROUNDS", 3)
	saturate := loadtest.Load{Clients: clients, For: d}
	paced := loadtest.Load{Clients: clients, For: d, Every: time.Second * clients / time.Duration(rate)}
	// Each client is a reviewer or manager signed in through the login form, on a connection of
	// its own that stays open (keep-alive), as a browser tab.
	signedIn := make([]*testenv.Client, clients)
	tabs := make([]*tab, clients)
	for i := range clients {
		signedIn[i] = app.SignIn(b, staff[i%len(staff)])
		tabs[i] = newTab(b, app.URL, signedIn[i])
	}
	floorPool, err := db.Open(ctx, dbURL, app.Cfg.DBMaxConns)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(floorPool.Close)
	// As the app: the page of cases as cases.Planned sends it, the tab counts and the assignees
	// kept between requests while the app's instance hears of their changes.
	kept := &cases.Kept{Pool: floorPool, Heard: app.Server.Store.Heard}
	me := staff[0].ID
	pgCPU := loadtest.PostgresCPU(floorPool)
	// The floor over HTTP: the same SQL and minimal HTML behind a bare net/http server (no
	// sessions, no middleware, no templates), to tell HTTP's own cost from the app's.
	bufs := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	floorSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _ := cases.ParseFilter(r.URL.Query(), me)
		buf := bufs.Get().(*bytes.Buffer)
		defer bufs.Put(buf)
		if _, err := floorPage(r.Context(), db.New(cases.Planned(floorPool, f)), kept, f, buf); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(buf.Bytes())
	}))
	b.Cleanup(floorSrv.Close)
	plain := make([]*tab, clients)
	for i := range clients {
		plain[i] = newTab(b, floorSrv.URL, nil)
	}

	var report []line
	for _, sc := range scenarios {
		b.Run(sc.name, func(b *testing.B) {
			f, errs := cases.ParseFilter(mustQuery(b, sc.query), me)
			if len(errs) > 0 {
				b.Fatalf("filter %q: %v", sc.query, errs)
			}
			path := "/cases"
			if sc.query != "" {
				path += "?" + sc.query
			}
			// The app and the floor must show the same cases, or the comparison is meaningless.
			body := get(b, signedIn[0], path)
			appRows := strings.Count(body, `class="case-link"`)
			var buf bytes.Buffer
			list := db.New(cases.Planned(floorPool, f))
			floorRows, err := floorPage(ctx, list, kept, f, &buf)
			if err != nil {
				b.Fatal(err)
			}
			if appRows != floorRows {
				b.Fatalf("%s: the app shows %d cases, the floor %d", path, appRows, floorRows)
			}
			appDo := func(_ context.Context, i int) error { return tabs[i].fetch(path) }
			floorBufs := make([]bytes.Buffer, clients)
			floorDo := func(ctx context.Context, i int) error {
				_, err := floorPage(ctx, list, kept, f, &floorBufs[i])
				return err
			}
			floorHTTPDo := func(_ context.Context, i int) error { return plain[i].fetch(path) }

			l := line{name: sc.name, rows: appRows, target: sc.target}
			// The app and the floor take turns, rounds times, so that both meet the machine's
			// slower and faster moments (other programs share it); the line is the round of the
			// median ratio, and all the rounds' ratios are reported with it.
			type round struct{ app, floor loadtest.Result }
			var rs []round
			for i := range rounds {
				var r round
				stop := func() {}
				if i == 0 {
					stop = profileRun(b, sc.name)
				}
				r.app = run(b, pgCPU, saturate, appDo)
				stop()
				r.floor = run(b, pgCPU, saturate, floorDo)
				rs = append(rs, r)
			}
			slices.SortFunc(rs, func(x, y round) int { return cmp.Compare(ratio(x.app, x.floor), ratio(y.app, y.floor)) })
			for _, r := range rs {
				l.ratios = append(l.ratios, ratio(r.app, r.floor))
			}
			l.app, l.floor = rs[len(rs)/2].app, rs[len(rs)/2].floor
			l.floorHTTP = run(b, pgCPU, saturate, floorHTTPDo)
			l.paced = run(b, pgCPU, paced, appDo)
			report = append(report, l)
			l.reportMetrics(b)
		})
	}
	// appOnly measures a scenario that has no floor: saturated, then paced.
	appOnly := func(b *testing.B, l line, do func(context.Context, int) error) {
		l.app = run(b, pgCPU, saturate, do)
		l.paced = run(b, pgCPU, paced, do)
		report = append(report, l)
		l.reportMetrics(b)
	}
	b.Run("counts", func(b *testing.B) {
		q := db.New(app.Pool)
		do := func(ctx context.Context, _ int) error { _, err := cases.Counts(ctx, q); return err }
		appOnly(b, line{name: "tab counts (cases.Counts)", rows: len(cases.Statuses), target: 5 * time.Millisecond}, do)
	})
	// The case page, as reviewers open cases from the queue: each request a different case,
	// drawn from a sample of the whole table, so the pages are not all in the caches.
	b.Run("case-page", func(b *testing.B) {
		ids := sampleCases(b, app, 20_000)
		get(b, signedIn[0], "/cases/"+ids[0].String())
		var next atomic.Int64
		do := func(_ context.Context, i int) error {
			id := ids[int(next.Add(1)-1)%len(ids)]
			return tabs[i].fetch("/cases/" + id.String())
		}
		appOnly(b, line{name: "case page", rows: 1}, do)
	})
	// On stdout as well as in the log, so it shows whatever -v says.
	fmt.Printf("queue page, %d cases, %d clients, %s per measurement (paced: %d req/s in all), %s:\n%s\n%s",
		n, clients, d, rate, time.Now().Format(time.DateOnly), table(report), diagnosis(report))
}

// reportMetrics reports l's figures as the benchmark's metrics; the floor's only where measured.
func (l line) reportMetrics(b *testing.B) {
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(l.app.P50), "p50-ms")
	b.ReportMetric(ms(l.app.P99), "p99-ms")
	b.ReportMetric(l.app.PerSecond(), "req/s")
	b.ReportMetric(ms(l.paced.P50), "paced-p50-ms")
	b.ReportMetric(ms(l.paced.P99), "paced-p99-ms")
	if l.floor.PerSecond() > 0 {
		b.ReportMetric(ms(l.floor.P50), "floor-p50-ms")
		b.ReportMetric(ms(l.floor.P99), "floor-p99-ms")
		b.ReportMetric(l.floor.PerSecond(), "floor-req/s")
		b.ReportMetric(ratio(l.app, l.floor), "ratio")
		b.ReportMetric(l.floorHTTP.PerSecond(), "http-floor-req/s")
	}
}

// sampleCases returns up to n case ids spread over the table, in random order.
func sampleCases(b *testing.B, app *testenv.App, n int) []uuid.UUID {
	rows, err := app.Pool.Query(context.Background(), "SELECT id FROM cases TABLESAMPLE BERNOULLI (5) ORDER BY random() LIMIT $1", n)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil || len(ids) == 0 {
		b.Fatalf("sample the cases: %d ids, %v", len(ids), err)
	}
	return ids
}

// run warms up for a fifth of l.For, then measures, with the database server's CPU time; an
// error from a call fails the benchmark.
func run(b *testing.B, server loadtest.CPUMeter, l loadtest.Load, do func(context.Context, int) error) loadtest.Result {
	ctx := context.Background()
	warm := l
	warm.For = l.For / 5
	if r := warm.Run(ctx, do); r.Err != nil {
		b.Fatal(r.Err)
	}
	before, err := server(ctx)
	if err != nil {
		b.Fatal(err)
	}
	r := l.Run(ctx, do)
	if r.Err != nil {
		b.Fatal(r.Err)
	}
	after, err := server(ctx)
	if err != nil {
		b.Fatal(err)
	}
	r.ServerCPU = loadtest.CPUSince(before, after)
	return r
}

func mustQuery(b *testing.B, q string) url.Values {
	v, err := url.ParseQuery(q)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func get(b *testing.B, c *testenv.Client, path string) string {
	res := c.Get(b, path)
	if res.Status != http.StatusOK {
		b.Fatalf("GET %s: %d", path, res.Status)
	}
	return res.Body
}

// tab is one client: a keep-alive connection of its own, as a browser tab's, with the session's
// cookie. It is a minimal HTTP/1.1 client, as load generators are (wrk): a request is written
// whole and its answer read to the end by the calling goroutine. net/http's client hands each
// request to two goroutines of its own per connection, and on a 2-core machine shared with the
// server measured its machinery took an eighth of the process's CPU and added hand-offs to every
// request's wait.
type tab struct {
	addr   string
	header string // Host and Cookie lines
	conn   net.Conn
	br     *bufio.Reader
	req    []byte
}

// newTab is a client for base (http://host:port) sending c's cookies, if any.
func newTab(b *testing.B, base string, c *testenv.Client) *tab {
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	header := "Host: " + u.Host + "\r\n"
	if c != nil {
		var cookies []string
		for _, k := range c.Jar.Cookies(u) {
			cookies = append(cookies, k.String())
		}
		if len(cookies) > 0 {
			header += "Cookie: " + strings.Join(cookies, "; ") + "\r\n"
		}
	}
	return &tab{addr: u.Host, header: header}
}

// fetch requests path and reads the page to the end, as a browser would before showing it.
func (t *tab) fetch(path string) error {
	if t.conn == nil {
		conn, err := net.DialTimeout("tcp", t.addr, 10*time.Second)
		if err != nil {
			return err
		}
		t.conn, t.br = conn, bufio.NewReaderSize(conn, 64<<10)
	}
	t.req = append(append(append(append(t.req[:0], "GET "...), path...), " HTTP/1.1\r\n"...), t.header...)
	t.req = append(t.req, "\r\n"...)
	_ = t.conn.SetDeadline(time.Now().Add(time.Minute))
	err := t.roundTrip(path)
	if err != nil && t.conn != nil {
		_ = t.conn.Close()
		t.conn = nil
	}
	return err
}

func (t *tab) roundTrip(path string) error {
	if _, err := t.conn.Write(t.req); err != nil {
		return err
	}
	res, err := http.ReadResponse(t.br, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	switch {
	case err != nil:
		return err
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: status %d", path, res.StatusCode)
	case res.Close:
		_ = t.conn.Close()
		t.conn = nil
	}
	return nil
}

// floorPage is the queue page's SQL through pgx alone (the same sqlc queries the app runs: one
// page of cases through pageQ, the tab counts and the assignee list as kept reads it) written as
// minimal HTML into buf. It returns how many cases the page shows.
func floorPage(ctx context.Context, pageQ *db.Queries, kept *cases.Kept, f cases.Filter, buf *bytes.Buffer) (int, error) {
	var search *string
	if k := normalize.SearchKey(f.Search); k != "" {
		k = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(k)
		search = &k
	}
	type row struct {
		id                       uuid.UUID
		status                   db.CaseStatus
		given, surname, nat, out string
		ref, assignee            *string
		risk                     bool
		at, activity             time.Time
	}
	var list []row
	if f.Sort == "activity" {
		rs, err := pageQ.ListQueueByActivity(ctx, db.ListQueueByActivityParams{Status: f.Status, AssigneeID: f.AssigneeID,
			Unassigned: f.Unassigned, VendorOutcome: f.VendorOutcome, Risky: f.Risky(), NotRisky: f.NotRisky(), Nationality: f.Nationality,
			CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, Search: search})
		if err != nil {
			return 0, err
		}
		for _, r := range rs {
			list = append(list, row{r.ID, r.Status, r.GivenNames, r.Surname, r.Nationality, r.VendorOutcome, r.ExternalRef,
				r.AssigneeName, r.RiskFlag, r.CreatedAt, r.LastActivityAt})
		}
	} else {
		rs, err := pageQ.ListQueueByAge(ctx, db.ListQueueByAgeParams{Status: f.Status, AssigneeID: f.AssigneeID,
			Unassigned: f.Unassigned, VendorOutcome: f.VendorOutcome, Risky: f.Risky(), NotRisky: f.NotRisky(), Nationality: f.Nationality,
			CreatedFrom: f.CreatedFrom, CreatedTo: f.CreatedTo, Search: search})
		if err != nil {
			return 0, err
		}
		for _, r := range rs {
			list = append(list, row{r.ID, r.Status, r.GivenNames, r.Surname, r.Nationality, r.VendorOutcome, r.ExternalRef,
				r.AssigneeName, r.RiskFlag, r.CreatedAt, r.LastActivityAt})
		}
	}
	counts, err := kept.Counts(ctx)
	if err != nil {
		return 0, err
	}
	workers, err := kept.Workers(ctx)
	if err != nil {
		return 0, err
	}
	buf.Reset()
	buf.WriteString("<!doctype html><title>Queue</title><nav>")
	for _, st := range cases.Statuses {
		fmt.Fprintf(buf, `<a href="/cases?status=%s">%s %d</a>`, st, cases.Label(st), counts[st])
	}
	buf.WriteString(`</nav><select name="assignee">`)
	for _, w := range workers {
		fmt.Fprintf(buf, `<option value="%s">%s</option>`, w.Value, html.EscapeString(w.Label))
	}
	buf.WriteString("</select><table>")
	shown := min(len(list), cases.PageSize)
	for _, r := range list[:shown] {
		fmt.Fprintf(buf, `<tr><td><a href="/cases/%s">%s, %s</a><td>%s<td>%s<td>%s<td>%s<td>%s<td>%t<td>%s<td>%s</tr>`,
			r.id, html.EscapeString(r.surname), html.EscapeString(r.given), html.EscapeString(deref(r.ref)), r.nat, r.status,
			html.EscapeString(deref(r.assignee)), r.out, r.risk, r.at.Format(time.DateTime), r.activity.Format(time.DateTime))
	}
	buf.WriteString("</table>")
	return shown, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// table is the report the issue asks for, as a Markdown table for the README.
func table(ls []line) string {
	var b strings.Builder
	b.WriteString("| scenario | cases shown | p50 ms | p99 ms | target p99 | req/s | floor p50 ms | floor p99 ms | floor req/s | app / floor (≥ 0.70) |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, l := range ls {
		target := "none"
		if l.target > 0 {
			target = fmt.Sprintf("%d ms %s", l.target.Milliseconds(), verdict(l.app.P99 <= l.target))
		}
		fmt.Fprintf(&b, "| %s | %d | %.1f | %.1f | %s | %.0f |", l.name, l.rows, ms(l.app.P50), ms(l.app.P99), target, l.app.PerSecond())
		if l.floor.Requests == 0 {
			b.WriteString(" | | | |\n")
			continue
		}
		r := ratio(l.app, l.floor)
		fmt.Fprintf(&b, " %.1f | %.1f | %.0f | %.2f %s%s |\n", ms(l.floor.P50), ms(l.floor.P99), l.floor.PerSecond(), r, verdict(r >= 0.7), roundsNote(l.ratios))
	}
	return b.String()
}

// roundsNote is the ratios of every round, after the median's, when there were several.
func roundsNote(ratios []float64) string {
	if len(ratios) < 2 {
		return ""
	}
	var each []string
	for _, r := range ratios {
		each = append(each, fmt.Sprintf("%.2f", r))
	}
	return " (rounds " + strings.Join(each, ", ") + ")"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

// diagnosis is where the time goes: CPU per request (this Go process, which holds the clients as
// well as the app; PostgreSQL; other programs on the machine), the floor behind a bare HTTP
// server, and the app's latency when not saturated.
func diagnosis(ls []line) string {
	var b strings.Builder
	b.WriteString("| scenario | app CPU ms/req: Go + PG (+ others) | floor CPU ms/req | floor over HTTP req/s | floor over HTTP CPU ms/req " +
		"| app / floor over HTTP | paced p50 ms | paced p99 ms |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	cpu := func(r loadtest.Result) string {
		if r.Requests == 0 {
			return ""
		}
		p, s, o := r.CPUPerCall()
		return fmt.Sprintf("%.2f + %.2f (+ %.2f)", ms(p), ms(s), ms(o))
	}
	for _, l := range ls {
		ratio := ""
		if l.floorHTTP.Requests > 0 {
			ratio = fmt.Sprintf("%.2f", l.app.PerSecond()/l.floorHTTP.PerSecond())
		}
		httpRate := ""
		if l.floorHTTP.Requests > 0 {
			httpRate = fmt.Sprintf("%.0f", l.floorHTTP.PerSecond())
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.1f | %.1f |\n", l.name, cpu(l.app), cpu(l.floor), httpRate, cpu(l.floorHTTP),
			ratio, ms(l.paced.P50), ms(l.paced.P99))
	}
	return b.String()
}
