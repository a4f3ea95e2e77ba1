package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/config"
	"kycdesk/internal/testenv"
)

// TestBackgroundWorkHasItsOwnConnections: the job queue and exports take their connections from
// the background pool, so pages (and the audit page) are served while it is exhausted (long
// exports, busy workers), and an export waits for a background connection rather than taking
// one of the requests'.
func TestBackgroundWorkHasItsOwnConnections(t *testing.T) {
	app := testenv.NewApp(t, func(c *config.Config) { c.DBMaxConns, c.DBBackgroundConns = 3, 2 })
	bg := app.Server.Background
	if got := bg.Stat().MaxConns(); got != 2 {
		t.Fatalf("background pool of %d connections, configured 2", got)
	}
	if got := app.Pool.Stat().MaxConns(); got != 3 {
		t.Fatalf("requests' pool of %d connections, configured 3", got)
	}
	// The workers run: the job queue's statements (it polls for jobs) take background
	// connections, and nothing else uses that pool while the app is idle.
	for deadline := time.Now().Add(10 * time.Second); bg.Stat().AcquireCount() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the job queue holds no background connection: it runs on the requests' pool")
		}
	}
	// Take every background connection the job queue does not keep (its statements give theirs
	// back within milliseconds).
	var held []*pgxpool.Conn
	release := func() {
		for _, c := range held {
			c.Release()
		}
		held = nil
	}
	t.Cleanup(release)
	for len(held) < int(bg.Stat().MaxConns()) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := bg.Acquire(ctx)
		cancel()
		if err != nil {
			break
		}
		held = append(held, c)
	}
	if len(held) == 0 {
		t.Fatal("the job queue keeps every background connection")
	}
	reviewer := app.SignIn(t, app.CreateUser(t, "reviewer"))
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	if res := admin.Get(t, "/audit"); res.Status != http.StatusOK {
		t.Fatalf("the audit page with the background pool exhausted: %d", res.Status)
	}
	for _, path := range []string{"/cases", "/cases?status=approved&q=m%C3%BCller"} {
		if res := reviewer.Get(t, path); res.Status != http.StatusOK {
			t.Fatalf("%s with the background pool exhausted: %d", path, res.Status)
		}
	}
	manager := app.SignIn(t, app.CreateUser(t, "manager"))
	exportCSV := func(wait time.Duration) (*http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "GET", app.URL+"/cases/export.csv", nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := manager.Client.Do(req)
		if err == nil {
			_, err = res.Body.Read(make([]byte, 1))
			res.Body.Close()
		}
		return res, err
	}
	if _, err := exportCSV(1500 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an export with the background pool exhausted: %v (want it to wait for a connection)", err)
	}
	release()
	res := manager.Get(t, "/cases/export.csv")
	if res.Status != http.StatusOK || !strings.HasPrefix(strings.TrimPrefix(res.Body, "\ufeff"), "Case,") {
		t.Fatalf("export once background connections are free: %d %.200s", res.Status, res.Body)
	}
}
