package resilience

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// clientIDs returns the River client ids the process's lives started, read from its log.
func (p *proc) clientIDs() []string {
	b, _ := os.ReadFile(p.logPath)
	var out []string
	for _, m := range riverStarted.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

var riverStarted = regexp.MustCompile(`"msg":"River client started","client_id":"([^"]+)"`)

// workBy counts the check jobs each process finished (the last client to attempt each job), and
// the jobs more than one client attempted.
func (h *harness) workBy(procs ...*proc) (map[string]int, int) {
	h.t.Helper()
	owner := map[string]string{}
	for _, p := range procs {
		for _, id := range p.clientIDs() {
			owner[id] = p.name
		}
	}
	out := map[string]int{}
	rows, err := h.pool.Query(context.Background(), `SELECT attempted_by[array_length(attempted_by, 1)], count(*) FROM river_job
		WHERE kind = 'vendor_check' AND state = 'completed' GROUP BY 1`)
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			h.t.Fatal(err)
		}
		name := owner[id]
		if name == "" {
			name = "unknown client " + id
		}
		out[name] += n
	}
	shared := h.scalar(`SELECT count(*) FROM river_job WHERE kind = 'vendor_check'
		AND (SELECT count(DISTINCT c) FROM unnest(attempted_by) c) > 1`)
	return out, shared
}

// claimNext has the reviewer take the next case of the queue on base, as many times as asked
// (while documents arrive), and returns the cases taken.
func claimNext(base, session string, times int) ([]string, error) {
	var taken []string
	for range times {
		time.Sleep(150 * time.Millisecond)
		res, err := post(base, "/cases/next", session, url.Values{})
		if err != nil {
			return taken, err
		}
		if res.StatusCode != http.StatusSeeOther {
			return taken, fmt.Errorf("POST %s/cases/next: status %d", base, res.StatusCode)
		}
		if loc := res.Header.Get("Location"); strings.HasPrefix(loc, "/cases/") && !strings.HasPrefix(loc, "/cases?") {
			taken = append(taken, strings.TrimPrefix(loc, "/cases/"))
		}
	}
	return taken, nil
}

// TestSeveralInstances runs two kycdesk processes on one PostgreSQL database and one
// S3-compatible object store, sharing nothing in memory: a session made on one is good on the
// other (and ends on both when signed out of either), an image uploaded through one is served by
// the other, checks requested through either are processed once across both, reviewers taking
// cases on both keep the queue counters right, and stopping one (SIGTERM) and then killing the
// other (SIGKILL) in the middle of a batch loses no check.
func TestSeveralInstances(t *testing.T) {
	backend := s3mem.New()
	s3 := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(s3.Close)
	const bucket = "kycdesk-images"
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	blobURL := "s3://" + bucket + "?" + url.Values{"endpoint": {s3.URL}, "region": {"us-east-1"}, "use_path_style": {"true"}}.Encode()
	// Vendors answer after 600 ms and take 2 calls at once, so a batch of 16 documents keeps
	// both instances busy for a few seconds.
	const concurrency = 2
	h := newHarness(t, options{Latency: 600 * time.Millisecond, CheckTimeout: 10 * time.Second, RescueAfter: 12 * time.Second, Concurrency: concurrency,
		BlobURL: blobURL, Env: []string{"AWS_ACCESS_KEY_ID=kycdesk-test", "AWS_SECRET_ACCESS_KEY=kycdesk-test-secret", "AWS_EC2_METADATA_DISABLED=true"}})
	a, b := h.newProc("A"), h.newProc("B")
	a.start()
	b.start()

	// A session made on A is good on B; signing out on B ends it on A too, though A holds it in
	// its session cache: A hears PostgreSQL announce the sign-out an instant after it commits
	// (well within a second; unheard, the copy would last 15 s).
	pwA := h.addUser("reviewer.a@example.com", "reviewer")
	pwB := h.addUser("reviewer.b@example.com", "reviewer")
	s := signIn(t, a.URL, "reviewer.a@example.com", pwA)
	for _, u := range []string{a.URL, b.URL} {
		if status, _, err := get(u, "/cases", s); err != nil || status != http.StatusOK {
			t.Fatalf("the session made on A, on %s: status %d, %v; want 200", u, status, err)
		}
	}
	if res, err := post(b.URL, "/logout", s, nil); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out on B: %v %v", res, err)
	}
	if status, _, err := get(b.URL, "/cases", s); err != nil || status != http.StatusSeeOther {
		t.Fatalf("the session signed out on B, on B: status %d, %v; want 303 to the sign-in page", status, err)
	}
	for deadline := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
		status, _, err := get(a.URL, "/cases", s)
		if err == nil && status == http.StatusSeeOther {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session signed out on B, on A a second later: status %d, %v; want 303 to the sign-in page", status, err)
		}
	}
	sessA := signIn(t, a.URL, "reviewer.a@example.com", pwA)
	sessB := signIn(t, b.URL, "reviewer.b@example.com", pwB)

	// An image uploaded through A is in the object store and served by B, byte for byte.
	first := h.pushCustomer(a.URL, 4242)
	objects, err := backend.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objects.Contents) == 0 {
		t.Fatal("the object store holds nothing after an upload through A")
	}
	path := "/images/" + first.frontID.String() + "/display"
	stA, imgA, errA := get(a.URL, path, sessA)
	stB, imgB, errB := get(b.URL, path, sessB)
	if errA != nil || errB != nil || stA != http.StatusOK || stB != http.StatusOK || len(imgA) == 0 || !bytes.Equal(imgA, imgB) {
		t.Fatalf("the image uploaded through A: A %d (%d bytes, %v), B %d (%d bytes, %v); want both 200 with the same bytes",
			stA, len(imgA), errA, stB, len(imgB), errB)
	}

	// Phase 1: documents through both, reviewers taking cases on both at once; then A stops
	// (SIGTERM) with checks in flight, and B finishes the batch.
	seeds := make([]uint64, 16)
	for i := range seeds {
		seeds[i] = uint64(5000 + i)
	}
	var wg sync.WaitGroup
	var takenA, takenB []string
	var errTA, errTB error
	wg.Add(2)
	go func() { defer wg.Done(); takenA, errTA = claimNext(a.URL, sessA, 5) }()
	go func() { defer wg.Done(); takenB, errTB = claimNext(b.URL, sessB, 5) }()
	docs := append([]intakeDoc{first}, h.pushMany([]string{a.URL, b.URL}, seeds, 4)...)
	wg.Wait()
	if errTA != nil || errTB != nil {
		t.Fatalf("taking cases: A %v, B %v", errTA, errTB)
	}
	seen := map[string]bool{}
	for _, id := range append(append([]string{}, takenA...), takenB...) {
		if seen[id] {
			t.Errorf("case %s was given to both reviewers", id)
		}
		seen[id] = true
	}
	inReview := h.scalar("SELECT count(*) FROM cases WHERE status = 'in_review'")
	if inReview != len(takenA)+len(takenB) {
		t.Errorf("%d cases in review, but the reviewers took %d", inReview, len(takenA)+len(takenB))
	}
	// Each instance keeps the tab counts between pages while it hears of their changes: both
	// show the cases the other took within a second.
	tab := regexp.MustCompile(`data-status="in_review"[^>]*>\s*In review <span class="count">(\d+)</span>`)
	for _, p := range []struct {
		name, url, session string
	}{{"A", a.URL, sessA}, {"B", b.URL, sessB}} {
		for deadline := time.Now().Add(time.Second); ; time.Sleep(20 * time.Millisecond) {
			_, body, err := get(p.url, "/cases", p.session)
			m := tab.FindSubmatch(body)
			if err == nil && m != nil && string(m[1]) == strconv.Itoa(inReview) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s's In review tab a second after the claims: %q, %v; want %d", p.name, m, err, inReview)
			}
		}
	}
	runningOnA := h.waitRunning(a, 10*time.Second)
	inFlight1 := h.scalar("SELECT count(*) FROM checks WHERE state NOT IN ('done', 'failed')")
	stopTook := a.stop(time.Minute)
	settle1 := h.waitFinal(2 * time.Minute)
	for _, d := range docs {
		h.expectChecks(d, intakeKey(d), defaultSet)
	}
	h.verifyChecks()
	work1, shared1 := h.workBy(a, b)

	// Phase 2: A back, a batch through A, and B killed (SIGKILL) in the middle of it: A alone
	// must finish every check, B's abandoned runs included.
	a.start()
	for i := range seeds {
		seeds[i] = uint64(6000 + i)
	}
	docs = append(docs, h.pushMany([]string{a.URL}, seeds, 4)...)
	runningOnB := h.waitRunning(b, 10*time.Second)
	inFlight2 := h.scalar("SELECT count(*) FROM checks WHERE state NOT IN ('done', 'failed')")
	b.kill()
	settle2 := h.waitFinal(3 * time.Minute)
	for _, d := range docs {
		h.expectChecks(d, intakeKey(d), defaultSet)
	}
	perVendor := h.verifyChecks()
	work2, shared2 := h.workBy(a, b)
	for _, v := range defaultSet {
		if reqs, _ := h.sim.Requests(string(v)); len(reqs) == 0 {
			t.Errorf("the simulator received nothing for %s", v)
		}
	}
	objects, _ = backend.ListBucket(bucket, nil, gofakes3.ListBucketPage{})

	var out strings.Builder
	tw := tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "phase 1\t%d documents through A and B; reviewers took %d cases on A and %d on B at once\n", len(seeds)+1, len(takenA), len(takenB))
	fmt.Fprintf(tw, "\tA stopped (SIGTERM) with %d checks open, %d of its jobs running, in %s; B finished the rest %s later\n",
		inFlight1, runningOnA, stopTook.Round(100*time.Millisecond), settle1.Round(100*time.Millisecond))
	fmt.Fprintf(tw, "\tcheck jobs finished: A %d, B %d; jobs run by both: %d\n", work1["A"], work1["B"], shared1)
	fmt.Fprintf(tw, "phase 2\t%d documents through A; B killed (SIGKILL) with %d checks open, %d of its jobs running\n", len(seeds), inFlight2, runningOnB)
	fmt.Fprintf(tw, "\tA finished them in %s; check jobs finished in all: A %d, B %d; jobs run by both: %d\n", settle2.Round(100*time.Millisecond), work2["A"], work2["B"], shared2)
	fmt.Fprintf(tw, "store\t%d objects in the S3 bucket\n", len(objects.Contents))
	// The limit holds across the instances: the simulator, which both call, never had more of a
	// vendor's calls at once.
	peak := h.peakConcurrency(defaultSet...)
	fmt.Fprintf(tw, "vendors\tmost calls at once (limit %d per vendor, across both instances):", concurrency)
	for _, v := range defaultSet {
		fmt.Fprintf(tw, " %s %d", v, peak[v])
		if peak[v] > concurrency {
			t.Errorf("the simulator had %d calls to %s at once from the two instances, over the limit of %d", peak[v], v, concurrency)
		}
	}
	fmt.Fprintln(tw)
	_ = tw.Flush()
	out.WriteString(h.serverErrorReport(a, b) + "\n")
	out.WriteString("\nvendor        checks  done  failed  re-run  attempts\n")
	for _, l := range perVendor {
		out.WriteString(l + "\n")
	}
	t.Logf("two instances:\n%s", out.String())
}
