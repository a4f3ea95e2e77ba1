package resilience

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
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
	at                   time.Time     // when the kill was sent
}

// TestCrashConsistency runs a batch of checks against the real server, kills it with SIGKILL at
// random points (KYCDESK_CRASH_KILLS times, 3 by default), restarting it each time, while a
// reviewer keeps asking for more checks, recording liveness verdicts and claiming and releasing
// cases. Then every check must have completed exactly once to a final state and every verdict
// been delivered once, nothing requested may be lost, a crash must have changed no result, the
// audit chain must verify and the queue counters must equal the cases.
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
	rev := &reviewer{h: h, base: srv.URL, session: session, docs: docs, rng: rand.New(rand.NewPCG(uint64(seed), 2)), artemis: map[uuid.UUID]bool{}}
	stopTrickle := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rev.run(stopTrickle)
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
		r.at = time.Now()
		srv.kill()
		srv.start()
		r.restart = time.Since(r.at)
		table = append(table, r)
	}
	time.Sleep(time.Second) // some requests for the last life too
	close(stopTrickle)
	wg.Wait()
	if rev.err != nil {
		t.Fatal(rev.err)
	}
	// A job rescued again and again waits longer each time (River's backoff: 1 s, 16 s, 81 s …).
	settle := h.waitFinal(time.Duration(3+kills/2) * time.Minute)

	// Nothing requested is lost: the automatic checks of every document, and every request the
	// reviewer made, each exactly once however often it was sent.
	for _, d := range docs {
		h.expectChecks(d, intakeKey(d), defaultSet)
	}
	for _, r := range rev.requests {
		h.expectChecks(r.doc, r.key, r.names)
	}
	perVendor := h.verifyChecks()
	art := h.verifyArtemis(rev.verdicts, srv.lives())
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
	fmt.Fprintf(&b, "\n%d documents by API; the reviewer asked for checks %d times, recorded %d liveness verdicts and claimed or released %d times (%d sends)\n",
		len(docs), len(rev.requests), len(rev.verdicts), rev.claims, rev.tries)
	fmt.Fprintf(&b, "%d verdicts delivered to Artemis, %d of them sent twice after a kill lost Artemis' answer\n", art.delivered, art.resent)
	fmt.Fprintf(&b, "%d Artemis records made twice because a kill came between Artemis' answer and kycdesk keeping the id:\n", len(art.lost))
	for _, l := range art.lost {
		b.WriteString("  " + l + "\n")
	}
	fmt.Fprintf(&b, "%d jobs rescued from a killed server; %d checks asked the vendor again after a kill lost its answer\n", rescued, resent)
	fmt.Fprintf(&b, "every check final %s after the last restart\n", settle.Round(100*time.Millisecond))
	b.WriteString(h.serverErrorReport(srv) + "\n")
	t.Logf("crash consistency, %d kills:\n%s", kills, b.String())
}

// reviewer plays a reviewer while the server is being killed: asks for checks of random
// documents by one or two vendors, records liveness verdicts, claims and releases cases. Every
// request is sent again until an answer comes, as a browser user would; a request that must not
// be done twice carries what makes it recognisable (a request key, a verdict's comment).
type reviewer struct {
	h       *harness
	base    string
	session string
	docs    []intakeDoc
	rng     *rand.Rand
	// artemis holds the documents whose customer has been sent to Artemis (by a check or a
	// verdict): Artemis records a customer once and refuses a second record with the same
	// reference, so each document goes there once, and what this test sees is what crashes
	// do, not two runs of one customer racing each other.
	artemis map[uuid.UUID]bool

	mu       sync.Mutex
	requests []trickleRequest
	verdicts []verdict
	tries    int
	claims   int
	err      error
}

type trickleRequest struct {
	doc   intakeDoc
	key   string
	names []vendors.Name
}

// verdict is a liveness verdict the reviewer recorded, known by its comment.
type verdict struct {
	doc     intakeDoc
	comment string
}

// run plays until stop is closed; a request under way then is finished, not abandoned.
func (r *reviewer) run(stop <-chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Duration(50+r.rng.IntN(150)) * time.Millisecond):
		}
		d := r.docs[r.rng.IntN(len(r.docs))]
		var err error
		switch n := r.rng.IntN(8); {
		case n < 2:
			path := "/cases/" + d.caseID.String() + "/claim"
			if n == 1 {
				path = "/cases/" + d.caseID.String() + "/release"
			}
			err = r.send(ctx, path, nil)
			r.mu.Lock()
			r.claims++
			r.mu.Unlock()
		case n == 2 && !r.artemis[d.documentID]:
			r.artemis[d.documentID] = true
			err = r.verdict(ctx, d)
		default:
			err = r.requestChecks(ctx, d)
		}
		if err != nil {
			r.mu.Lock()
			r.err = err
			r.mu.Unlock()
			return
		}
	}
}

// send posts a form until a server answers it (any answer but a server error).
func (r *reviewer) send(ctx context.Context, path string, form url.Values) error {
	for {
		r.mu.Lock()
		r.tries++
		r.mu.Unlock()
		res, err := post(r.base, path, r.session, form)
		if err == nil && res.StatusCode < 500 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("POST %s: no server answered", path)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (r *reviewer) requestChecks(ctx context.Context, d intakeDoc) error {
	var names []vendors.Name
	for len(names) == 0 || len(names) == 1 && r.rng.IntN(2) == 0 {
		v := checks.Runnable[r.rng.IntN(len(checks.Runnable))]
		if slices.Contains(names, v) || v == vendors.Artemis && r.artemis[d.documentID] {
			continue
		}
		if v == vendors.Artemis {
			r.artemis[d.documentID] = true
		}
		names = append(names, v)
	}
	// Checks run only on a case the reviewer holds, and the reviewer may have released it.
	if err := r.send(ctx, "/cases/"+d.caseID.String()+"/claim", nil); err != nil {
		return err
	}
	key := "trickle-" + uuid.NewString()
	tries, err := requestChecks(ctx, func() string { return r.base }, r.session, d, names, key)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries += tries
	if err == nil {
		r.requests = append(r.requests, trickleRequest{doc: d, key: key, names: names})
	}
	return err
}

// verdict claims the document's case and records a liveness verdict on it, through the form.
// A verdict whose answer was lost is looked for before it is sent again: sending it twice would
// be refused (the form names the newest verdict it follows, none here), not recorded twice.
func (r *reviewer) verdict(ctx context.Context, d intakeDoc) error {
	if err := r.send(ctx, "/cases/"+d.caseID.String()+"/claim", nil); err != nil {
		return err
	}
	comment := "resilience " + uuid.NewString()
	form := url.Values{"conclusion": {"true"}, "liveness_result": {"true"}, "facial_check": {"true"},
		"eyes_closed": {"false"}, "eyes_closed_confidence": {"97"}, "sunglasses": {"false"}, "sunglasses_confidence": {"95"},
		"face_occluded": {"false"}, "face_occluded_confidence": {"96"}, "liveness_confidence": {"93"},
		"reference_image": {d.frontID.String()}, "comment": {comment}}
	path := "/cases/" + d.caseID.String() + "/documents/" + d.documentID.String() + "/liveness"
	for {
		var recorded int
		if err := r.h.pool.QueryRow(ctx, "SELECT count(*) FROM liveness_verdicts WHERE comment = $1", comment).Scan(&recorded); err != nil {
			return err
		}
		if recorded > 0 {
			break
		}
		r.mu.Lock()
		r.tries++
		r.mu.Unlock()
		res, err := post(r.base, path, r.session, form)
		if err == nil && res.StatusCode == http.StatusSeeOther {
			break
		}
		if err == nil && res.StatusCode < 500 && res.StatusCode != http.StatusConflict {
			return fmt.Errorf("record a liveness verdict: status %d", res.StatusCode)
		}
		select {
		case <-ctx.Done():
			return errors.New("record a liveness verdict: no server answered")
		case <-time.After(50 * time.Millisecond):
		}
	}
	r.mu.Lock()
	r.verdicts = append(r.verdicts, verdict{doc: d, comment: comment})
	r.mu.Unlock()
	return nil
}
