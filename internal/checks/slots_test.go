package checks_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"kycdesk/internal/audit"
	"kycdesk/internal/checks"
	"kycdesk/internal/config"
	"kycdesk/internal/db"
	"kycdesk/internal/specimen"
	"kycdesk/internal/testenv"
	"kycdesk/internal/vendors"
	"kycdesk/internal/vendorsettings"
)

// TestVendorLimitHoldsAcrossInstances: two instances on one database run Argos checks at once
// against a vendor that counts the calls in flight, whichever instance makes them: with a limit of
// 2, never more than 2 at once in all, and every check finishes. Each instance runs half of the
// checks through its own runner (River would let one instance take the whole queue).
func TestVendorLimitHoldsAcrossInstances(t *testing.T) {
	apps := testenv.NewInstances(t, 2, func(c *config.Config) { c.Workers = false })
	a := apps[0]
	sim := a.Server.Sim.Settings(a.URL + "/sim").Argos
	target, err := url.Parse(sim.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var inFlight, peak, calls atomic.Int32
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		calls.Add(1)
		time.Sleep(100 * time.Millisecond) // long enough for the calls of both instances to overlap
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(vendor.Close)
	admin := a.CreateUser(t, "admin")
	in := vendorsettings.Input{Enabled: true, Config: map[string]string{"base_url": vendor.URL, "path": sim.Path, "mode": "sync"},
		Secrets: map[string]string{"api_key": sim.APIKey}, TimeoutSeconds: 30, Concurrency: 2}
	if _, err := a.Server.Settings.Save(context.Background(), audit.UserActor(admin.ID, admin.Email), vendors.Argos, "sandbox", in); err != nil {
		t.Fatal(err)
	}
	c := a.SignIn(t, a.CreateUser(t, "reviewer"))
	var cases []uuid.UUID
	for i := range 16 {
		caseID, docID := demoCase(t, a, uint64(5100+i), specimen.Options{})
		runChecks(t, a, c, caseID, docID, "argos")
		cases = append(cases, caseID)
	}
	var rs []*checks.Runner
	for _, app := range apps {
		rs = append(rs, &checks.Runner{Pool: app.Pool, Store: app.Server.Images,
			Clients: &checks.Clients{Settings: app.Server.Settings, Recorder: &checks.CallLog{Pool: app.Pool}}})
	}
	var wg sync.WaitGroup
	for i, caseID := range cases {
		r := rs[i%2]
		list, err := db.New(a.Pool).ListCaseChecks(context.Background(), caseID)
		if err != nil || len(list) != 1 {
			t.Fatalf("checks of the case: %d, %v", len(list), err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Run(context.Background(), list[0].ID); err != nil {
				t.Errorf("run: %v", err)
			}
		}()
	}
	wg.Wait()
	for _, id := range cases {
		if ck := wait(t, a, id, 1)["argos"]; ck.State != db.CheckStateDone {
			t.Errorf("argos: %s %s", ck.State, ck.Reason)
		}
	}
	if p := peak.Load(); p > 2 {
		t.Fatalf("%d calls to the vendor at once across the instances (%d calls), want at most 2", p, calls.Load())
	}
	t.Logf("%d calls, at most %d at once", calls.Load(), peak.Load())
}

// runners are n instances' check runners on one database (the places are all they share here),
// with the limit for Artemis set to limit.
func runners(t *testing.T, n, limit int) (*testenv.App, []*checks.Runner) {
	t.Helper()
	app := testenv.NewApp(t)
	setLimit(t, app, vendors.Artemis, limit)
	rs := make([]*checks.Runner, n)
	for i := range rs {
		rs[i] = &checks.Runner{Pool: app.Pool, Clients: &checks.Clients{Settings: app.Server.Settings}}
	}
	return app, rs
}

// setLimit sets vendor v's concurrency (left to the simulator) to limit.
func setLimit(t *testing.T, app *testenv.App, v vendors.Name, limit int) {
	t.Helper()
	ctx := context.Background()
	env, err := app.Server.Settings.ActiveEnvironment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Server.Settings.Save(ctx, audit.System, v, env, vendorsettings.Input{TimeoutSeconds: 60, Concurrency: limit}); err != nil {
		t.Fatal(err)
	}
}

// take takes a place for Artemis through r, waiting at most wait; it fails the test unless the
// outcome is as want (a place or none).
func take(t *testing.T, r *checks.Runner, wait time.Duration, want bool) func() {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	release, err := r.Limit(ctx, vendors.Artemis)
	switch {
	case want && err != nil:
		t.Fatalf("no place: %v", err)
	case !want && err == nil:
		release()
		t.Fatal("got a place that another instance holds")
	case !want && !errors.Is(err, context.DeadlineExceeded):
		t.Fatalf("waiting for a place: %v, want the context's end", err)
	}
	return release
}

func liveLeases(t *testing.T, app *testenv.App) int {
	t.Helper()
	var n int
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM vendor_slots WHERE holder IS NOT NULL AND expires_at > now()").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestVendorPlaceOfAKilledHolderComesBack: a place held by an instance that died (its lease left
// behind) is not taken while its lease runs, and is taken again once it has expired.
func TestVendorPlaceOfAKilledHolderComesBack(t *testing.T) {
	app, rs := runners(t, 1, 1)
	ctx := context.Background()
	if _, err := app.Pool.Exec(ctx, "INSERT INTO vendor_slots (vendor, slot, holder, expires_at) VALUES ('artemis', 0, gen_random_uuid(), now() + interval '1 hour')"); err != nil {
		t.Fatal(err)
	}
	take(t, rs[0], 300*time.Millisecond, false)
	if _, err := app.Pool.Exec(ctx, "UPDATE vendor_slots SET expires_at = now() - interval '1 second' WHERE vendor = 'artemis'"); err != nil {
		t.Fatal(err)
	}
	release := take(t, rs[0], 10*time.Second, true)
	if n := liveLeases(t, app); n != 1 {
		t.Fatalf("%d live leases, want 1 (the expired one taken over)", n)
	}
	release()
	if n := liveLeases(t, app); n != 0 {
		t.Fatalf("%d live leases after the place was given back", n)
	}
}

// TestVendorPlaceHeldLongerThanItsLease: a place held for several lease times stays held (its
// holder renews it), and the place of a holder that stopped renewing (killed) comes back within a
// lease time. With a 2 s lease renewed every 500 ms.
func TestVendorPlaceHeldLongerThanItsLease(t *testing.T) {
	defer checks.SetLease(2*time.Second, 500*time.Millisecond)()
	app, rs := runners(t, 2, 1)
	release := take(t, rs[0], 30*time.Second, true)
	time.Sleep(5 * time.Second)
	take(t, rs[1], 300*time.Millisecond, false)
	release()
	take(t, rs[1], 10*time.Second, true)()

	// A holder that died: its lease is left as it was written, and no one renews it.
	if _, err := app.Pool.Exec(context.Background(), "UPDATE vendor_slots SET holder = gen_random_uuid(), expires_at = now() + interval '2 seconds' WHERE vendor = 'artemis' AND slot = 0"); err != nil {
		t.Fatal(err)
	}
	take(t, rs[1], 300*time.Millisecond, false)
	take(t, rs[1], 20*time.Second, true)()
}

// TestWaitForAVendorPlaceEndsWithItsContext: a wait for a place another instance holds ends when
// its context does, and leaves nothing held behind.
func TestWaitForAVendorPlaceEndsWithItsContext(t *testing.T) {
	app, rs := runners(t, 2, 1)
	release := take(t, rs[0], 10*time.Second, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		r, err := rs[1].Limit(ctx, vendors.Artemis)
		if err == nil {
			r()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // let it wait (it returns either way)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("wait ended with %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end with its context")
	}
	release()
	release = take(t, rs[1], 10*time.Second, true)
	release()
	if n := liveLeases(t, app); n != 0 {
		t.Fatalf("%d live leases after every place was given back", n)
	}
}

// TestChangedVendorLimitApplies: a limit changed in the settings applies to the next call on every
// instance: raised, it lets one more in at once; lowered, none until enough places are given back.
func TestChangedVendorLimitApplies(t *testing.T) {
	app, rs := runners(t, 3, 1)
	releaseA := take(t, rs[0], 10*time.Second, true)
	take(t, rs[1], 300*time.Millisecond, false)
	setLimit(t, app, vendors.Artemis, 2)
	releaseB := take(t, rs[1], 10*time.Second, true)
	take(t, rs[2], 300*time.Millisecond, false)
	setLimit(t, app, vendors.Artemis, 1)
	releaseA()
	take(t, rs[2], 300*time.Millisecond, false) // one held, under a limit of one
	releaseB()
	take(t, rs[2], 10*time.Second, true)()
}

// TestPanelSaysACheckWaitsForAPlace: a check started while every place of its vendor is held
// elsewhere is said on its panel to wait for a free place (with the limit), not only "running";
// once it has a place, the panel no longer says so.
func TestPanelSaysACheckWaitsForAPlace(t *testing.T) {
	app := testenv.NewInstances(t, 1, func(c *config.Config) { c.Workers = false })[0]
	setLimit(t, app, vendors.Argos, 1)
	ctx := context.Background()
	holder := &checks.Runner{Pool: app.Pool, Clients: &checks.Clients{Settings: app.Server.Settings}}
	release, err := holder.Limit(ctx, vendors.Argos)
	if err != nil {
		t.Fatal(err)
	}
	c := app.SignIn(t, app.CreateUser(t, "reviewer"))
	caseID, docID := demoCase(t, app, 5301, specimen.Options{})
	runChecks(t, app, c, caseID, docID, "argos")
	list, err := db.New(app.Pool).ListCaseChecks(ctx, caseID)
	if err != nil || len(list) != 1 {
		t.Fatalf("checks of the case: %d, %v", len(list), err)
	}
	// The check's run: started, then waiting for the place held above.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	runner := &checks.Runner{Pool: app.Pool, Store: app.Server.Images, Clients: &checks.Clients{Settings: app.Server.Settings,
		Simulator: func() checks.ClientConfigs { return checks.ClientConfigs(app.Server.Sim.Settings(app.URL + "/sim")) }}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = runner.Run(runCtx, list[0].ID)
	}()
	panel := "/cases/" + caseID.String() + "/documents/" + docID.String() + "/checks"
	want := "Waiting for a free place: Argos ID recognition takes at most 1 call at once."
	reason := func() (string, string) {
		doc := c.Get(t, panel).Doc(t)
		row := doc.Find(`tr[data-vendor="argos"]`)
		return row.AttrOr("data-state", ""), strings.Join(strings.Fields(row.Find(".check-reason").Text()), " ")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		state, said := reason()
		if state == "running" && said == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the panel says %s %q, want running %q", state, said, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The place given back, the check takes it: while it holds it (or once it has ended), the
	// panel no longer says it waits.
	release()
	deadline = time.Now().Add(20 * time.Second)
	for {
		if _, said := reason(); said != want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the panel still says the check waits for a place after the place was given back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	// A check left running by a worker that died holds no place; while the vendor has a free
	// one it is not said to wait for one (River rescues it), and while every place is held it is.
	if _, err := app.Pool.Exec(ctx, "UPDATE checks SET state = 'running', finished_at = NULL WHERE id = $1", list[0].ID); err != nil {
		t.Fatal(err)
	}
	if state, said := reason(); state != "running" || said == want {
		t.Errorf("an orphaned check with a free place: %s %q", state, said)
	}
	release, err = holder.Limit(ctx, vendors.Argos)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if state, said := reason(); state != "running" || said != want {
		t.Errorf("an orphaned check with every place held: %s %q, want %q", state, said, want)
	}
}
