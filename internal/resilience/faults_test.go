package resilience

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/checks"
	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
)

// faultCase is one fault, injected into every product of a round.
type faultCase struct {
	name string
	// inject is the body of POST /_control/<vendor>/faults, without its count; nil when the
	// fault is not the simulator's (refuse).
	inject map[string]any
	// count is how many requests of each product the fault answers: that many attempts fail.
	count int
	// refuse points the product's settings at a closed port until its check is seen retrying.
	refuse bool
	// phrases are the plain words the failed attempt is described with (any one of them).
	phrases []string
	// retryAfter is the Retry-After the fault sends: the next attempt must wait at least that.
	retryAfter time.Duration
	// backoff: without Retry-After, the next attempt waits at least checks.RetryBase.
	backoff bool
	// slowerThan: the failed call must end before the vendor would have answered (the client's
	// own timeout fired).
	slowerThan time.Duration
	// huge: the process must not have buffered the body.
	huge bool
	// second: the fault is also tried on Argos in asynchronous mode (on the request that Argos
	// acknowledges) and on Artemis' document upload.
	second bool
}

// faultCases are the faults each product is put through.
func faultCases() []faultCase {
	notJSON := []string{"not readable", "not a readable", "not a JSON", "not a document record", "without a customer id", "without a task status", "no result"}
	return []faultCase{
		{second: true, name: "connection refused", refuse: true, count: 1, phrases: []string{"could not be reached"}},
		{second: true, name: "timeout (no answer in 10 s)", inject: map[string]any{"kind": "delay", "delay": "10s"}, count: 1,
			phrases: []string{"did not answer in time"}, slowerThan: 10 * time.Second},
		{name: "slow body (10 s)", inject: map[string]any{"kind": "slow_body", "delay": "10s"}, count: 1,
			phrases: []string{"did not answer in time", "cut off"}, slowerThan: 10 * time.Second},
		{second: true, name: "429 Retry-After: 2", inject: map[string]any{"kind": "status", "status": 429, "retry_after": "2", "body": `{"error":"slow down"}`}, count: 1,
			phrases: []string{"rate limiting"}, retryAfter: 2 * time.Second},
		{name: "429 without Retry-After", inject: map[string]any{"kind": "status", "status": 429, "body": `{"error":"slow down"}`}, count: 1,
			phrases: []string{"rate limiting"}, backoff: true},
		{second: true, name: "5xx burst (3× 503)", inject: map[string]any{"kind": "status", "status": 503, "body": `{"error":"unavailable"}`}, count: 3,
			phrases: []string{"failed (HTTP 503)"}, backoff: true},
		{name: "malformed JSON", inject: map[string]any{"kind": "malformed"}, count: 1, phrases: notJSON},
		{second: true, name: "truncated JSON", inject: map[string]any{"kind": "truncated"}, count: 1, phrases: notJSON},
		{second: true, name: "100 MB body", inject: map[string]any{"kind": "huge", "size": 100 << 20}, count: 1,
			phrases: []string{"larger than"}, huge: true},
		{name: "wrong content type (HTML)", inject: map[string]any{"kind": "content_type"}, count: 1, phrases: notJSON},
		{name: "connection closed, no answer", inject: map[string]any{"kind": "hangup"}, count: 1,
			phrases: []string{"could not be reached", "cut off"}},
	}
}

// TestVendorFaults puts every vendor product through every fault the simulator can inject (and a
// refused connection, which it cannot), through the app as a reviewer uses it: checks requested
// from the case page's form, watched on the checks panel. For each fault and product it checks
// that the failed attempt is retried and the check then completes, once; that the reviewer is
// told in plain words what happened (no Go error text anywhere on the panel); that every attempt
// left its vendor calls in the log; that Retry-After is honoured; that the client's own timeout
// fires; that a 100 MB answer is refused without being read. Then tokens that expire in the
// middle of a batch, and an Argos callback that never comes or comes twice. The table of faults
// and outcomes is printed at the end (go test -v shows it on standard output too).
func TestVendorFaults(t *testing.T) {
	base, wait := checks.RetryBase, checks.CallbackWait
	// Set before the workers start and put back after they stop (cleanups run last-in first-out).
	checks.RetryBase, checks.CallbackWait = 500*time.Millisecond, 4*time.Second
	t.Cleanup(func() { checks.RetryBase, checks.CallbackWait = base, wait })
	app := testenv.NewApp(t)
	s := newFaultSuite(t, app)
	t.Cleanup(s.print)
	for _, p := range []vendors.Name{vendors.CynopsisOCR, vendors.Artemis, vendors.Apptenticate, vendors.Argos, vendors.OOTO} {
		s.configure(t, p, s.simURL, "sync")
	}

	syncProducts := []product{pCynopsis, pApptenticate, pArgosSync, pOOTO, pArtemis}
	for _, fc := range faultCases() {
		t.Run("sync/"+fc.name, func(t *testing.T) { s.round(t, fc, syncProducts) })
	}
	t.Run("token expiry mid-batch", s.tokenExpiry)

	s.configure(t, vendors.Argos, s.simURL, "async")
	for _, fc := range faultCases() {
		if !fc.second {
			continue
		}
		products := []product{pArgosAsync, pArtemisUpload}
		if fc.refuse {
			products = products[:1] // a closed port refuses Artemis' first call, not its upload
		}
		t.Run("async+upload/"+fc.name, func(t *testing.T) { s.round(t, fc, products) })
	}
	t.Run("argos callback never comes", s.callbackNever)
	t.Run("argos callback comes twice", s.callbackTwice)
}

// round injects fc into every product and runs one check of each, each on a fresh document of
// its own customer, then judges how each ended.
func (s *faultSuite) round(t *testing.T, fc faultCase, products []product) {
	s.control(t, "POST", "reset", nil)
	mode := "sync"
	if slices.Contains(products, pArgosAsync) {
		mode = "async"
		s.control(t, "POST", "argos/callbacks", map[string]any{"mode": "normal", "delay": "200ms"})
	}
	docs := make([]docRef, len(products))
	for i, p := range products {
		docs[i].caseID, docs[i].docID = s.demoDocument(t)
		if fc.refuse {
			s.configure(t, p.vendor, closedPort(t), mode)
			continue
		}
		body := maps.Clone(fc.inject)
		body["count"] = fc.count
		if p.path != "" {
			body["path_contains"] = p.path
		}
		s.control(t, "POST", p.target+"/faults", body)
	}
	var before runtime.MemStats
	if fc.huge {
		runtime.GC()
		runtime.ReadMemStats(&before)
	}

	for i, p := range products {
		s.request(t, docs[i].caseID, docs[i].docID, p.vendor)
	}
	obs := map[uuid.UUID]*seen{}
	got := s.watch(t, docs, len(products), 90*time.Second, func(c db.Check, row panelRow) {
		o := obs[c.ID]
		if o == nil {
			o = &seen{}
			obs[c.ID] = o
		}
		if c.State == db.CheckStateRetrying && o.reason == "" {
			o.reason = c.Reason
		}
		if c.State == db.CheckStateRetrying && row.state == "retrying" && o.retrying == nil {
			o.retrying, o.nextAt = &row, c.NextAttemptAt
		}
		if c.State == db.CheckStateRunning && c.TransactionID != nil && o.waiting == nil && strings.Contains(row.text, "Waiting for Argos") {
			o.waiting = &row
		}
		// A refused connection lasts until the settings change: put them back once the check
		// has failed an attempt and is waiting to retry.
		if fc.refuse && c.State == db.CheckStateRetrying && o.refusedAt.IsZero() {
			s.configure(t, vendors.Name(c.Vendor), s.simURL, mode)
			o.refusedAt = time.Now()
		}
	})
	var after runtime.MemStats
	if fc.huge {
		runtime.ReadMemStats(&after)
	}

	for i, p := range products {
		d := docs[i]
		final := s.panel(t, d.caseID, d.docID)
		// Nothing lost, nothing doubled: the form was sent twice, one check came of it.
		var mine []db.Check
		for _, c := range got {
			if c.CaseID == d.caseID {
				mine = append(mine, c)
			}
		}
		if len(mine) != 1 || mine[0].Vendor != string(p.vendor) {
			t.Errorf("%s, %s: %d checks for one request sent twice", p.label, fc.name, len(mine))
			continue
		}
		c := mine[0]
		o := obs[c.ID]
		if o == nil {
			o = &seen{}
		}
		calls := s.callsOf(t, d.caseID, c.ID)
		var problems []string
		bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

		if m := rawErrorText.FindString(final.html); m != "" {
			bad("the checks panel shows Go's error text %q: %s", m, context50(final.html, m))
		}
		if c.State != db.CheckStateDone {
			bad("ended %s (%s), want done once the fault cleared", c.State, c.Reason)
		}
		if int(c.Attempts) < fc.count+1 {
			bad("%d attempts, want at least %d (the fault answered %d requests)", c.Attempts, fc.count+1, fc.count)
		}
		if n := s.finishes(t, c.ID); n != 1 {
			bad("finished %d times", n)
		}
		for a := 1; a <= int(c.Attempts); a++ {
			if len(byAttempt(calls, a)) == 0 {
				bad("attempt %d left no vendor call in the log", a)
			}
		}
		if extra := int(c.Attempts) - (fc.count + 1); extra > 0 {
			// More failures than the fault made: say what they were (a slow machine can make a
			// normal answer miss the short timeout; that is retried like any timeout).
			for a := fc.count + 1; a < int(c.Attempts); a++ {
				if ks := byAttempt(calls, a); len(ks) > 0 {
					t.Logf("%s, %s: attempt %d also failed: %s", p.label, fc.name, a, ks[len(ks)-1].Meaning)
				}
			}
		}
		// The failed attempt: its last call is the one the fault answered.
		first := byAttempt(calls, 1)
		var failed db.ListCaseVendorCallsRow
		if len(first) > 0 {
			failed = first[len(first)-1]
		}
		if p.path != "" && !strings.Contains(failed.Endpoint, p.path) {
			bad("the fault was meant for %s, but the failed call was %s", p.path, failed.Endpoint)
		}
		said, where := failed.Meaning, "call log"
		switch {
		case o.retrying != nil:
			said, where = o.retrying.text, "panel"
		case o.reason != "":
			said, where = o.reason, "check"
		}
		if !containsAny(said, fc.phrases) {
			bad("the failed attempt is described as %q (%s), want one of %q", said, where, fc.phrases)
		}
		for _, text := range []string{said, failed.Meaning} {
			if m := rawErrorText.FindString(text); m != "" {
				bad("the reviewer is shown Go's error text %q in %q", m, text)
			}
		}
		if fc.refuse && (failed.HttpStatus != 0 || failed.Error == "") {
			bad("the refused call is logged with status %d and error %q", failed.HttpStatus, failed.Error)
		}
		if fc.slowerThan > 0 && time.Duration(failed.LatencyMs)*time.Millisecond >= fc.slowerThan {
			bad("the failed call took %d ms: the client waited for the vendor instead of timing out after %s", failed.LatencyMs, vendorTimeout)
		}
		second := byAttempt(calls, 2)
		if len(second) > 0 && len(first) > 0 {
			gap := second[0].StartedAt.Sub(failed.StartedAt)
			if fc.retryAfter > 0 && gap < fc.retryAfter {
				bad("retried %s after a 429 with Retry-After %s", gap.Round(time.Millisecond), fc.retryAfter)
			}
			if fc.backoff && gap < checks.RetryBase {
				bad("retried %s after the failure, before the %s backoff", gap.Round(time.Millisecond), checks.RetryBase)
			}
		}
		if fc.retryAfter > 0 && o.retrying != nil {
			if o.nextAt == nil || o.nextAt.Sub(failed.StartedAt) < fc.retryAfter {
				bad("the retry was shown due at %v, less than Retry-After %s after the 429 at %v", o.nextAt, fc.retryAfter, failed.StartedAt)
			}
			if !strings.Contains(o.retrying.text, "retrying at") {
				bad("the panel does not say when it retries: %q", o.retrying.text)
			}
		}
		if p.vendor == vendors.Artemis {
			// The Artemis records were made once: the customer the retries did not create twice
			// is the one kycdesk stored.
			cs, err := db.New(s.app.Pool).GetCase(context.Background(), d.caseID)
			if err != nil {
				t.Fatal(err)
			}
			cust, err := db.New(s.app.Pool).GetCustomer(context.Background(), cs.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			id, ok := s.app.Server.Sim.Cynopsis.CustomerByReference(cs.CustomerID.String())
			if !ok || cust.ArtemisCustomerID == nil || *cust.ArtemisCustomerID != id {
				bad("Artemis holds customer %d (%v), kycdesk stored %v", id, ok, cust.ArtemisCustomerID)
			}
		}

		sees := fmt.Sprintf("%s: %s", where, said)
		if fc.refuse {
			sees += " (settings put back)"
		}
		if o.waiting != nil {
			sees += "; then: " + o.waiting.text
		}
		sees += " → " + final.rows[c.ID.String()].text
		for _, pr := range problems {
			t.Errorf("%s, %s: %s", p.label, fc.name, pr)
		}
		st := string(c.State)
		if c.Outcome != nil {
			st += " (" + *c.Outcome + ")"
		}
		s.add(faultRow{vendor: p.label, fault: fc.name, retries: int(c.Attempts) - 1, final: st, sees: sees, ok: len(problems) == 0})
	}
	if fc.huge {
		// Reading even one 100 MB answer whole allocates several hundred megabytes (the buffer
		// grows by copying); the capped reads of every product together stay far below that.
		grew := after.TotalAlloc - before.TotalAlloc
		t.Logf("allocated %d MB during the round with %d answers of 100 MB", grew>>20, len(products))
		if grew > 200<<20 {
			t.Errorf("allocated %d MB while %d vendors answered 100 MB: a body was read beyond the cap", grew>>20, len(products))
		}
	}
}

// only returns the one check of a round that ran one.
func only(t *testing.T, got map[uuid.UUID]db.Check) db.Check {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%d checks, want 1", len(got))
	}
	for _, c := range got {
		return c
	}
	return db.Check{}
}

func byAttempt(calls []db.ListCaseVendorCallsRow, a int) []db.ListCaseVendorCallsRow {
	var out []db.ListCaseVendorCallsRow
	for _, k := range calls {
		if int(k.Attempt) == a {
			out = append(out, k)
		}
	}
	return out
}

func containsAny(s string, phrases []string) bool {
	for _, p := range phrases {
		if strings.Contains(strings.ToLower(s), strings.ToLower(p)) {
			return true
		}
	}
	return false
}

// context50 is up to 50 characters either side of the first m in s.
func context50(s, m string) string {
	i := strings.Index(s, m)
	if i < 0 {
		return ""
	}
	return s[max(0, i-50):min(len(s), i+len(m)+50)]
}

// tokenExpiry runs a batch of Cynopsis OCR and Apptenticate checks, two at a time per vendor,
// expires every access token as soon as each vendor has finished a check, and expects every check to
// finish done: Cynopsis fetches a new token, Apptenticate refreshes its token or, when the refresh
// is refused too, logs in again. A call that reached the vendor after the expiry carried the old
// token, so each vendor's log must show a refusal (401) and a renewal after it.
func (s *faultSuite) tokenExpiry(t *testing.T) {
	const batch = 6
	s.concurrency = 2
	for _, v := range []vendors.Name{vendors.CynopsisOCR, vendors.Apptenticate} {
		s.configure(t, v, s.simURL, "sync")
	}
	defer func() {
		s.concurrency = 4
		for _, v := range []vendors.Name{vendors.CynopsisOCR, vendors.Apptenticate} {
			s.configure(t, v, s.simURL, "sync")
		}
	}()
	for _, refuseRefresh := range []bool{false, true} {
		s.control(t, "POST", "reset", nil)
		// Slow answers, so that the batch is in flight when the tokens expire.
		s.control(t, "POST", "cynopsis/latency", map[string]any{"latency": "300ms"})
		s.control(t, "POST", "apptenticate/latency", map[string]any{"latency": "300ms"})
		if refuseRefresh {
			s.control(t, "POST", "apptenticate/refuse-refresh", map[string]any{"refuse": true})
		}
		sim := s.app.Server.Sim
		type doc struct{ caseID, docID uuid.UUID }
		var docs []doc
		for range batch {
			caseID, docID := s.demoDocument(t)
			docs = append(docs, doc{caseID, docID})
		}
		for _, d := range docs {
			s.request(t, d.caseID, d.docID, vendors.CynopsisOCR, vendors.Apptenticate)
		}
		all := func() (list []db.Check, final int) {
			for _, d := range docs {
				cs, err := db.New(s.app.Pool).ListCaseChecks(context.Background(), d.caseID)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cs {
					if c.State == db.CheckStateDone || c.State == db.CheckStateFailed {
						final++
					}
				}
				list = append(list, cs...)
			}
			return list, final
		}
		// Expire once each vendor has finished a check: its client then holds a token issued
		// before the expiry. Expiring earlier can meet a token fetch in flight, whose token is
		// issued after the expiry and rightly never refused.
		end := time.Now().Add(60 * time.Second)
		for {
			list, _ := all()
			finished := map[string]bool{}
			for _, c := range list {
				if c.State == db.CheckStateDone || c.State == db.CheckStateFailed {
					finished[c.Vendor] = true
				}
			}
			if finished[string(vendors.CynopsisOCR)] && finished[string(vendors.Apptenticate)] {
				break
			}
			if time.Now().After(end) {
				t.Fatal("a vendor finished no check of the batch in a minute")
			}
			time.Sleep(20 * time.Millisecond)
		}
		s.control(t, "POST", "cynopsis/expire-tokens", nil)
		s.control(t, "POST", "apptenticate/expire-tokens", nil)
		expiredAt := time.Now()
		tokens0, refreshes0, logins0 := sim.Cynopsis.TokensIssued(), sim.Apptenticate.Refreshes(), sim.Apptenticate.Logins()
		var final []db.Check
		for {
			var n int
			final, n = all()
			if len(final) == 2*batch && n == len(final) {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("the batch did not finish: %d of %d final", n, len(final))
			}
			time.Sleep(100 * time.Millisecond)
		}
		if refuseRefresh {
			s.control(t, "POST", "apptenticate/refuse-refresh", map[string]any{"refuse": false})
		}

		variant := fmt.Sprintf("token expiry mid-batch (%d checks, refresh works)", batch)
		if refuseRefresh {
			variant = fmt.Sprintf("token expiry mid-batch (%d checks, refresh refused)", batch)
		}
		for _, p := range []product{pCynopsis, pApptenticate} {
			var problems []string
			bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
			retries, done, refused, after := 0, 0, 0, 0
			var failed []string
			for _, c := range final {
				if c.Vendor != string(p.vendor) {
					continue
				}
				retries += int(c.Attempts) - 1
				if c.State == db.CheckStateDone {
					done++
				} else {
					bad("check %s ended %s: %s", c.ID, c.State, c.Reason)
					failed = append(failed, c.Reason)
				}
				if n := s.finishes(t, c.ID); n != 1 {
					bad("check %s finished %d times", c.ID, n)
				}
				for _, k := range s.callsOf(t, c.CaseID, c.ID) {
					if k.HttpStatus == 401 {
						refused++
					}
					if k.StartedAt.After(expiredAt) && !strings.Contains(k.Endpoint, "token") {
						after++
					}
				}
			}
			var how string
			renewed := true
			switch p.vendor {
			case vendors.CynopsisOCR:
				n := sim.Cynopsis.TokensIssued() - tokens0
				how = fmt.Sprintf("%d new tokens", n)
				renewed = n > 0
			case vendors.Apptenticate:
				r, l := sim.Apptenticate.Refreshes()-refreshes0, sim.Apptenticate.Logins()-logins0
				how = fmt.Sprintf("%d refreshes, %d log-ins", r, l)
				if refuseRefresh {
					how = fmt.Sprintf("%d refreshes refused, %d log-ins", r, l)
				}
				renewed = r > 0 && (!refuseRefresh || l > 0)
			}
			switch {
			case after == 0:
				bad("no call reached the vendor after the expiry: the batch was over before it (%d calls refused)", refused)
			case refused == 0:
				bad("%d calls reached the vendor after the expiry, yet none was refused", after)
			case !renewed:
				bad("calls were refused after the expiry, yet the token was not renewed (%s)", how)
			}
			for _, pr := range problems {
				t.Errorf("%s, %s: %s", p.label, variant, pr)
			}
			sees := fmt.Sprintf("%d of %d done; %d calls after the expiry, %d refused with 401, then %s", done, batch, after, refused, how)
			if len(failed) > 0 {
				sees += "; " + strings.Join(failed, "; ")
			}
			s.add(faultRow{vendor: p.label, fault: variant, retries: retries, final: fmt.Sprintf("%d done", done), sees: sees, ok: len(problems) == 0})
		}
	}
}

// callbackNever: Argos acknowledges the asynchronous request and never calls back. The check
// waits checks.CallbackWait, showing that it waits, then fails in plain words, once.
func (s *faultSuite) callbackNever(t *testing.T) {
	s.control(t, "POST", "reset", nil)
	s.control(t, "POST", "argos/callbacks", map[string]any{"mode": "never"})
	caseID, docID := s.demoDocument(t)
	s.request(t, caseID, docID, vendors.Argos)
	var waiting *panelRow
	got := s.watch(t, []docRef{{caseID, docID}}, 1, 60*time.Second, func(c db.Check, row panelRow) {
		if waiting == nil && c.State == db.CheckStateRunning && c.TransactionID != nil && strings.Contains(row.text, "Waiting for Argos") {
			waiting = &row
		}
	})
	final := s.panel(t, caseID, docID)
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	c := only(t, got)
	row := final.rows[c.ID.String()]
	if c.State != db.CheckStateFailed || !strings.Contains(c.Reason, "never came") || !strings.Contains(row.text, "never came") {
		bad("ended %s: %q (panel %q), want failed saying the answer never came", c.State, c.Reason, row.text)
	}
	if c.Attempts != 1 {
		bad("%d attempts: a lost callback is not a reason to send the document again", c.Attempts)
	}
	if n := s.finishes(t, c.ID); n != 1 {
		bad("finished %d times", n)
	}
	if calls := s.callsOf(t, caseID, c.ID); len(calls) != 1 || calls[0].HttpStatus >= 300 {
		bad("vendor calls: %d (want the one acknowledged request)", len(calls))
	}
	if m := rawErrorText.FindString(final.html); m != "" {
		bad("the panel shows Go's error text %q", m)
	}
	sees := ""
	if waiting != nil {
		sees = "panel: " + waiting.text + " → "
	}
	sees += row.text
	for _, pr := range problems {
		t.Errorf("Argos async, callback never: %s", pr)
	}
	s.add(faultRow{vendor: pArgosAsync.label, fault: fmt.Sprintf("callback never comes (wait %s)", checks.CallbackWait), retries: int(c.Attempts) - 1,
		final: string(c.State), sees: sees, ok: len(problems) == 0})
}

// callbackTwice: Argos sends its callback twice, identical. The check completes once; the
// second callback changes nothing, and the simulator's callback log shows both and the app's
// answer to each.
func (s *faultSuite) callbackTwice(t *testing.T) {
	s.control(t, "POST", "reset", nil)
	s.control(t, "POST", "argos/callbacks", map[string]any{"mode": "twice", "delay": "200ms"})
	caseID, docID := s.demoDocument(t)
	s.request(t, caseID, docID, vendors.Argos)
	got := s.watch(t, []docRef{{caseID, docID}}, 1, 60*time.Second, nil)
	c := only(t, got)
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if c.State != db.CheckStateDone || c.TransactionID == nil {
		t.Fatalf("argos async: %s %s", c.State, c.Reason)
	}
	// Both callbacks sent and answered.
	var answers []string
	end := time.Now().Add(20 * time.Second)
	for {
		answers = answers[:0]
		sent, _ := s.control(t, "GET", "argos/callbacks", nil)["sent"].([]any)
		for _, x := range sent {
			cb, _ := x.(map[string]any)
			if cb["transaction_id"] == *c.TransactionID {
				answers = append(answers, fmt.Sprintf("%v", cb["status"]))
			}
		}
		if len(answers) >= 2 || time.Now().After(end) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(answers) != 2 {
		bad("the simulator logged %d callbacks for the transaction, want 2", len(answers))
	}
	// Give a job the second callback might have queued time to run, then look again.
	time.Sleep(time.Second)
	again, err := db.New(s.app.Pool).GetCheck(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again.State != c.State || string(again.Result) != string(c.Result) || !again.FinishedAt.Equal(*c.FinishedAt) || again.Attempts != c.Attempts {
		bad("the second callback changed the check: %s → %s, finished %v → %v", c.State, again.State, c.FinishedAt, again.FinishedAt)
	}
	if n := s.finishes(t, c.ID); n != 1 {
		bad("finished %d times", n)
	}
	final := s.panel(t, caseID, docID)
	if m := rawErrorText.FindString(final.html); m != "" {
		bad("the panel shows Go's error text %q", m)
	}
	for _, pr := range problems {
		t.Errorf("Argos async, callback twice: %s", pr)
	}
	st := string(again.State)
	if again.Outcome != nil {
		st += " (" + *again.Outcome + ")"
	}
	s.add(faultRow{vendor: pArgosAsync.label, fault: "callback comes twice", retries: int(again.Attempts) - 1, final: st,
		sees: fmt.Sprintf("%s; the app answered the callbacks %s; one check.done", final.rows[c.ID.String()].text, strings.Join(answers, " then ")),
		ok:   len(problems) == 0})
}
