package sessions_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"kycdesk/internal/audit"
	"kycdesk/internal/db"
	"kycdesk/internal/sessions"
	"kycdesk/internal/testenv"
	"kycdesk/internal/users"

	"github.com/jackc/pgx/v5"
)

// cookieOf is the session cookie the client holds for app.
func cookieOf(t *testing.T, c *testenv.Client, app *testenv.App) string {
	t.Helper()
	u, _ := url.Parse(app.URL)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == sessions.CookieName {
			return k.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func waitListening(t *testing.T, s *sessions.Store, want bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); sessions.Listening(s) != want; {
		if time.Now().After(deadline) {
			t.Fatalf("store listening: want %v", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// load looks the session up through s and says whether it came from the cache.
func load(t *testing.T, s *sessions.Store, cookie string) (*db.GetLiveSessionRow, bool) {
	t.Helper()
	row, err := s.Load(context.Background(), cookie)
	if err != nil {
		t.Fatal(err)
	}
	if row == nil {
		return nil, false
	}
	return row, sessions.Cached(s, row.ID)
}

// TestSessionCacheHearsEveryChange: an instance keeps the sessions it looked up, and a change made
// anywhere (another instance, a script) ends or changes the cached copy as soon as it is announced;
// a session's last_seen_at moving forward, the one write of every minute, keeps it.
func TestSessionCacheHearsEveryChange(t *testing.T) {
	apps := testenv.NewInstances(t, 2)
	a, b := apps[0], apps[1]
	store := b.Server.Store
	waitListening(t, store, true)
	ctx := context.Background()
	u := a.CreateUser(t, "reviewer")
	// change runs sql on a's connections, then waits until b has heard everything before it.
	change := func(sql string, args ...any) {
		t.Helper()
		if _, err := a.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if err := store.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cookie := cookieOf(t, a.SignIn(t, u), a)
	row, _ := load(t, store, cookie)
	if row == nil || !sessions.Cached(store, row.ID) {
		t.Fatal("a live session is not cached")
	}
	if again, cached := load(t, store, cookie); again == nil || !cached || again.UserID != u.ID {
		t.Fatalf("second look-up: %+v cached=%v", again, cached)
	}
	// A wrong secret is refused from the cache as from the database.
	if forged, _ := load(t, store, row.ID.String()+".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"); forged != nil {
		t.Fatal("a forged secret was accepted from the cache")
	}

	change("UPDATE sessions SET last_seen_at = now() WHERE id = $1", row.ID)
	if _, cached := load(t, store, cookie); !cached {
		t.Error("touching a session dropped it from the cache")
	}
	for _, c := range []struct {
		sql  string
		good func(*db.GetLiveSessionRow) bool
	}{
		{"UPDATE users SET role = 'manager' WHERE id = $1", func(r *db.GetLiveSessionRow) bool { return r.Role == db.UserRoleManager }},
		{"UPDATE users SET name = 'Renata Renamed' WHERE id = $1", func(r *db.GetLiveSessionRow) bool { return r.UserName == "Renata Renamed" }},
		{"UPDATE users SET must_change_password = true WHERE id = $1", func(r *db.GetLiveSessionRow) bool { return r.MustChangePassword }},
	} {
		change(c.sql, u.ID)
		if r, _ := load(t, store, cookie); r == nil || !c.good(r) {
			t.Errorf("after %q: %+v", c.sql, r)
		}
	}
	// Each of these ends the session: each starts from a new, cached one.
	for _, sql := range []string{
		"UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1",
		"UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1",
		"DELETE FROM sessions WHERE user_id = $1",
		"TRUNCATE sessions",
		"UPDATE users SET disabled_at = now() WHERE id = $1",
	} {
		cookie := cookieOf(t, a.SignIn(t, u), a)
		if _, cached := load(t, store, cookie); !cached {
			t.Fatalf("before %q: the session is not cached", sql)
		}
		args := []any{u.ID}
		if sql == "TRUNCATE sessions" {
			args = nil
		}
		change(sql, args...)
		if r, _ := load(t, store, cookie); r != nil {
			t.Errorf("after %q the session still works", sql)
		}
	}
}

// TestSessionCacheOnlyWhileListening: a store that does not listen reads the session every time;
// one whose listening connection is cut stops caching at once and forgets what it held, and
// caches again once it listens again.
func TestSessionCacheOnlyWhileListening(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	u := app.CreateUser(t, "reviewer")
	cookie := cookieOf(t, app.SignIn(t, u), app)
	store := &sessions.Store{Pool: app.Pool, Idle: app.Cfg.SessionIdle, Lifetime: app.Cfg.SessionLifetime}
	if r, cached := load(t, store, cookie); r == nil || cached {
		t.Fatalf("not listening: %+v cached=%v", r, cached)
	}

	listening, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); store.Listen(listening, nil) }()
	waitListening(t, store, true)
	if _, cached := load(t, store, cookie); !cached {
		t.Fatal("listening: the session is not cached")
	}
	// Cut the listening connection (the app's pool is another application_name's connections).
	var n int
	err := app.Pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'listen %'`).Scan(&n)
	if err != nil || n == 0 {
		t.Fatalf("terminate the listener: %d, %v", n, err)
	}
	waitListening(t, store, false)
	row, cached := load(t, store, cookie)
	if row == nil || cached {
		t.Fatalf("connection cut: %+v cached=%v", row, cached)
	}
	waitListening(t, store, true) // it reconnects
	if _, cached := load(t, store, cookie); !cached {
		t.Fatal("listening again: the session is not cached")
	}
	stop()
	<-done
	if sessions.Listening(store) || sessions.Cached(store, row.ID) {
		t.Fatal("stopped listening: still caching")
	}
}

// TestSessionCacheNeedsItsHeartbeat: a listening connection that hears nothing (here: another
// database's, as behind a pooler in transaction mode) never lets the store cache sessions.
func TestSessionCacheNeedsItsHeartbeat(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "reviewer")
	cookie := cookieOf(t, app.SignIn(t, u), app)
	elsewhere, err := pgx.ParseConfig(testenv.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	store := &sessions.Store{Pool: app.Pool, Idle: app.Cfg.SessionIdle, Lifetime: app.Cfg.SessionLifetime}
	sessions.ListenTo(store, elsewhere)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	errs := make(chan error, 10)
	go store.Listen(ctx, func(err error) {
		select {
		case errs <- err:
		default:
		}
	})
	// The first heartbeat goes out as soon as it listens and is given up after 3 s.
	time.Sleep(4 * time.Second)
	if sessions.Listening(store) {
		t.Fatal("caching though the heartbeat was never heard")
	}
	if r, cached := load(t, store, cookie); r == nil || cached {
		t.Fatalf("deaf listener: %+v cached=%v", r, cached)
	}
	select { // the operator is told why nothing is cached
	case err := <-errs:
		if !strings.Contains(err.Error(), "heartbeat") {
			t.Errorf("reported: %v", err)
		}
	default:
		t.Error("a listener that never hears was never reported")
	}
}

// TestChangesMadeHereAreForgottenAtOnce: what this instance changes itself is forgotten before its
// next request, announcement or not (here none arrives).
func TestChangesMadeHereAreForgottenAtOnce(t *testing.T) {
	app := testenv.NewApp(t)
	ctx := context.Background()
	admin, u := app.CreateUser(t, "admin"), app.CreateUser(t, "reviewer")
	store := &sessions.Store{Pool: app.Pool, Idle: app.Cfg.SessionIdle, Lifetime: app.Cfg.SessionLifetime}
	sessions.Deaf(store)
	svc := &users.Service{Pool: app.Pool, Forget: store.ForgetUser}
	actor := audit.UserActor(admin.ID, admin.Email)

	cookie := cookieOf(t, app.SignIn(t, u), app)
	if _, cached := load(t, store, cookie); !cached {
		t.Fatal("the session is not cached")
	}
	if _, err := svc.ChangeRole(ctx, actor, u.ID, "manager"); err != nil {
		t.Fatal(err)
	}
	if r, _ := load(t, store, cookie); r == nil || r.Role != db.UserRoleManager {
		t.Fatalf("after the role change: %+v", r)
	}
	if _, err := svc.Disable(ctx, actor, u.ID); err != nil {
		t.Fatal(err)
	}
	if r, _ := load(t, store, cookie); r != nil {
		t.Fatal("a disabled user's session still works")
	}
	// Without Forget, a deaf store keeps the copy: what the test above relies on is Forget.
	other := app.CreateUser(t, "reviewer")
	cookie = cookieOf(t, app.SignIn(t, other), app)
	load(t, store, cookie)
	if _, err := (&users.Service{Pool: app.Pool}).ChangeRole(ctx, actor, other.ID, "manager"); err != nil {
		t.Fatal(err)
	}
	if r, _ := load(t, store, cookie); r == nil || r.Role != db.UserRoleReviewer {
		t.Fatalf("a deaf store without Forget: %+v", r)
	}
}
