package resilience

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/checks"
	"kycdesk/internal/vendors"
)

// envInt reads a whole number from the environment, or def.
func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q is not a whole number", name, v)
	}
	return n
}

// killRow is one line of the kill table.
type killRow struct {
	up                   time.Duration // how long the server had been ready when it was killed
	final, total         int           // checks final and requested just before the kill
	running, jobsRunning int           // checks and River jobs running just before the kill
	restart              time.Duration // from the kill to ready again
}

// trickleStats counts what the reviewer did while the server was being killed.
type trickleStats struct {
	mu       sync.Mutex
	requests []trickleRequest
	tries    int
	claims   int
	err      error
}

type trickleRequest struct {
	doc   intakeDoc
	key   string
	names []vendors.Name
}

// TestCrashConsistency runs a batch of checks against the real server, kills it with SIGKILL at
// random points (KYCDESK_CRASH_KILLS times, 3 by default), restarting it each time, while a
// reviewer keeps asking for more checks and claiming and releasing cases. Then every check must
// have completed exactly once to a final state, none may be lost, a crash must have changed no
// result, the audit chain must verify and the queue counters must equal the cases.
func TestCrashConsistency(t *testing.T) {
	kills := int(envInt(t, "KYCDESK_CRASH_KILLS", 3))
	seed := envInt(t, "KYCDESK_CRASH_SEED", time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("%d kills; seed %d (KYCDESK_CRASH_SEED=%d replays these kill points)", kills, seed, seed)

	// Each vendor answers after 300 ms and takes 4 calls at once, so the batch is in flight
	// through the kills; a run abandoned by a killed server is taken up again 8 s after it began.
	h := newHarness(t, options{Latency: 300 * time.Millisecond, CheckTimeout: 6 * time.Second, RescueAfter: 8 * time.Second, Concurrency: 4})
	srv := h.newProc("server")
	srv.start()
	password := h.addUser("reviewer@example.com", "reviewer")

	docs := make([]intakeDoc, max(12, kills))
	for i := range docs {
		docs[i] = h.pushCustomer(srv.URL, uint64(seed)%1_000_000+uint64(i)*7919)
	}
	session := signIn(t, srv.URL, "reviewer@example.com", password)

	// The reviewer asks for more checks (a key per request, as the case page's form carries one)
	// and claims and releases cases, against whichever life of the server is up.
	stats := &trickleStats{}
	stopTrickle := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		trickle(stats, stopTrickle, srv.URL, session, docs, rand.New(rand.NewPCG(uint64(seed), 2)))
	}()

	var table []killRow
	for range kills {
		// Anywhere from the first instant of a life to 2.5 s into it: while River starts, while
		// checks wait for their vendor, mid-call, between the answer and its recording.
		up := time.Duration(rng.Int64N(int64(2500 * time.Millisecond)))
		time.Sleep(up)
		var r killRow
		r.up = up
		_ = h.pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE state IN ('done', 'failed')), count(*),
			count(*) FILTER (WHERE state = 'running'), (SELECT count(*) FROM river_job WHERE state = 'running') FROM checks`).
			Scan(&r.final, &r.total, &r.running, &r.jobsRunning)
		killed := time.Now()
		srv.kill()
		srv.start()
		r.restart = time.Since(killed)
		table = append(table, r)
	}
	time.Sleep(time.Second) // some requests for the last life too
	close(stopTrickle)
	wg.Wait()
	if stats.err != nil {
		t.Fatal(stats.err)
	}
	settle := h.waitFinal(3 * time.Minute)

	// Nothing requested is lost: the automatic checks of every document, and every request the
	// reviewer made, each exactly once however often it was sent.
	for _, d := range docs {
		h.expectChecks(d, intakeKey(d), defaultSet)
	}
	for _, r := range stats.requests {
		h.expectChecks(r.doc, r.key, r.names)
	}
	perVendor := h.verifyChecks()
	for _, v := range defaultSet {
		if reqs, _ := h.sim.Requests(string(v)); len(reqs) == 0 {
			t.Errorf("the simulator received nothing for %s: the checks did not reach the vendors", v)
		}
	}

	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kill\tup (ms)\tchecks final\trunning\tjobs running\tback up (ms)\t")
	for i, r := range table {
		fmt.Fprintf(tw, "%d\t%d\t%d/%d\t%d\t%d\t%d\t\n", i+1, r.up.Milliseconds(), r.final, r.total, r.running, r.jobsRunning, r.restart.Milliseconds())
	}
	_ = tw.Flush()
	b.WriteString("\nvendor        checks  done  failed  re-run  attempts\n")
	for _, l := range perVendor {
		b.WriteString(l + "\n")
	}
	rescued := h.scalar(`SELECT count(*) FROM river_job WHERE EXISTS (SELECT 1 FROM unnest(errors) e WHERE e->>'error' LIKE 'Stuck job rescued%')`)
	resent := h.scalar(`SELECT count(DISTINCT c.id) FROM checks c JOIN vendor_calls v ON v.check_id = c.id
		WHERE v.attempt < c.attempts AND v.http_status BETWEEN 200 AND 299 AND NOT v.` + tokenEndpoint)
	fmt.Fprintf(&b, "\n%d documents by API, %d check requests by the reviewer (%d sends), %d claims or releases\n",
		len(docs), len(stats.requests), stats.tries, stats.claims)
	fmt.Fprintf(&b, "%d jobs rescued from a killed server; %d checks asked the vendor again after a kill lost its answer\n", rescued, resent)
	fmt.Fprintf(&b, "every check final %s after the last restart\n", settle.Round(100*time.Millisecond))
	t.Logf("crash consistency, %d kills:\n%s", kills, b.String())
}

// trickle plays the reviewer until stop is closed: requests checks of random documents by one or
// two vendors, and now and then claims or releases a case.
func trickle(st *trickleStats, stop <-chan struct{}, base, session string, docs []intakeDoc, rng *rand.Rand) {
	// A request under way when stop comes is finished (with the same key), not abandoned.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	baseURL := func() string { return base }
	artemis := map[uuid.UUID]bool{}
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(50+rng.IntN(150)) * time.Millisecond):
		}
		d := docs[rng.IntN(len(docs))]
		if rng.IntN(4) == 0 {
			path := "/cases/" + d.caseID.String() + "/claim"
			if rng.IntN(2) == 0 {
				path = "/cases/" + d.caseID.String() + "/release"
			}
			for {
				res, err := post(base, path, session, nil)
				if err == nil && res.StatusCode < 500 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			st.mu.Lock()
			st.claims++
			st.mu.Unlock()
			continue
		}
		var names []vendors.Name
		for len(names) == 0 || len(names) == 1 && rng.IntN(2) == 0 {
			v := checks.Runnable[rng.IntN(len(checks.Runnable))]
			// Artemis records a customer once, and refuses a second record with the same
			// reference: a document's Artemis check is asked for once, so that what this test
			// sees is what crashes do, not two runs of one customer racing each other.
			if slices.Contains(names, v) || v == vendors.Artemis && artemis[d.documentID] {
				continue
			}
			if v == vendors.Artemis {
				artemis[d.documentID] = true
			}
			names = append(names, v)
		}
		key := "trickle-" + uuid.NewString()
		tries, err := requestChecks(ctx, baseURL, session, d, names, key)
		st.mu.Lock()
		st.tries += tries
		if err != nil && st.err == nil {
			st.err = err
		}
		if err == nil {
			st.requests = append(st.requests, trickleRequest{doc: d, key: key, names: names})
		}
		st.mu.Unlock()
		if err != nil {
			return
		}
	}
}
