package sessions_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"kycdesk/internal/auth"
	"kycdesk/internal/sessions"
	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestSignInGoesBackWhereTheUserWasGoing(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.CreateUser(t, "admin")
	c := app.NewClient()
	res := c.Get(t, "/admin/users?x=1")
	if res.Status != http.StatusSeeOther || res.Location != "/login?next=%2Fadmin%2Fusers%3Fx%3D1" {
		t.Fatalf("signed out: %d → %q", res.Status, res.Location)
	}
	page := c.Get(t, res.Location)
	if v := page.Doc(t).Find(`input[name=next]`).AttrOr("value", ""); v != "/admin/users?x=1" {
		t.Fatalf("login form does not carry next: %q", v)
	}
	res = c.PostForm(t, "/login", url.Values{"email": {strings.ToUpper(admin.Email)}, "password": {admin.Password}, "next": {"/admin/users?x=1"}})
	if res.Status != http.StatusSeeOther || res.Location != "/admin/users?x=1" {
		t.Fatalf("after sign-in: %d → %q", res.Status, res.Location)
	}
	// Only local paths: anything else lands on the start page.
	for _, next := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)", "/%0d%0aSet-Cookie:x"} {
		res := app.NewClient().PostForm(t, "/login", url.Values{"email": {admin.Email}, "password": {admin.Password}, "next": {next}})
		if res.Location != "/" && !strings.HasPrefix(res.Location, "/%0d") {
			t.Errorf("next=%q redirected to %q", next, res.Location)
		}
		if strings.Contains(res.Location, "evil") || strings.HasPrefix(res.Location, "//") {
			t.Errorf("next=%q left the site: %q", next, res.Location)
		}
	}
}

func TestWrongPasswordSaysNothingAboutTheEmail(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "reviewer")
	known := app.NewClient().PostForm(t, "/login", url.Values{"email": {u.Email}, "password": {"wrong password!"}})
	unknown := app.NewClient().PostForm(t, "/login", url.Values{"email": {"nobody@example.com"}, "password": {"wrong password!"}})
	for _, res := range []testenv.Response{known, unknown} {
		if res.Status != http.StatusUnauthorized {
			t.Fatalf("status %d", res.Status)
		}
		if msg := strings.TrimSpace(res.Doc(t).Find("#login-error").Text()); msg != "Email or password is incorrect." {
			t.Fatalf("message %q", msg)
		}
		if v := res.Doc(t).Find("#email").AttrOr("value", ""); v == "" {
			t.Error("the typed email was lost")
		}
	}
	if got := app.AuditActions(t, "user", u.ID.String()); len(got) == 0 || got[0] != "auth.sign_in_failed" {
		t.Fatalf("failed sign-in not audited: %v", got)
	}
	empty := app.NewClient().PostForm(t, "/login", url.Values{"email": {""}, "password": {""}})
	if empty.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty form: %d", empty.Status)
	}
}

func TestThrottleThenLockThenUnlock(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "reviewer")
	admin := app.CreateUser(t, "admin")
	bad := url.Values{"email": {u.Email}, "password": {"wrong password!"}}
	for i := 0; i < 5; i++ {
		if res := app.NewClient().PostForm(t, "/login", bad); res.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, res.Status)
		}
	}
	// After five failures a delay applies, even with the right password.
	res := app.NewClient().PostForm(t, "/login", url.Values{"email": {u.Email}, "password": {u.Password}})
	if res.Status != http.StatusTooManyRequests || !strings.Contains(res.Body, "Too many failed sign-ins") || res.Header.Get("Retry-After") == "" {
		t.Fatalf("no delay after 5 failures: %d", res.Status)
	}
	// Let the delays pass (instead of sleeping) and fail until the lock.
	ctx := context.Background()
	for i := 5; i < app.Cfg.LockAfter; i++ {
		if _, err := app.Pool.Exec(ctx, "UPDATE login_throttle SET last_failure_at = now() - interval '1 day'"); err != nil {
			t.Fatal(err)
		}
		app.NewClient().PostForm(t, "/login", bad)
	}
	if _, err := app.Pool.Exec(ctx, "UPDATE login_throttle SET last_failure_at = now() - interval '1 day'"); err != nil {
		t.Fatal(err)
	}
	res = app.NewClient().PostForm(t, "/login", url.Values{"email": {u.Email}, "password": {u.Password}})
	if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "locked") {
		t.Fatalf("not locked after %d failures: %d", app.Cfg.LockAfter, res.Status)
	}
	// A locked account answers a wrong password as it answers the right one: guessing on tells
	// nothing. An unknown email answers the same after as many failures.
	if _, err := app.Pool.Exec(ctx, "UPDATE login_throttle SET last_failure_at = now() - interval '1 day'"); err != nil {
		t.Fatal(err)
	}
	if res := app.NewClient().PostForm(t, "/login", bad); res.Status != http.StatusForbidden || !strings.Contains(res.Body, "locked") {
		t.Fatalf("a wrong password on a locked account: %d", res.Status)
	}
	nobody := url.Values{"email": {"nobody@example.com"}, "password": {"wrong password!"}}
	for i := 0; i < app.Cfg.LockAfter; i++ {
		if _, err := app.Pool.Exec(ctx, "UPDATE login_throttle SET last_failure_at = now() - interval '1 day'"); err != nil {
			t.Fatal(err)
		}
		res := app.NewClient().PostForm(t, "/login", nobody)
		want := http.StatusUnauthorized
		if i == app.Cfg.LockAfter-1 {
			want = http.StatusForbidden
		}
		if res.Status != want {
			t.Fatalf("unknown email, failure %d: %d, want %d", i+1, res.Status, want)
		}
	}
	// All of these came from one address: let its delay pass before the admin signs in from it.
	if _, err := app.Pool.Exec(ctx, "UPDATE login_throttle SET last_failure_at = now() - interval '1 day'"); err != nil {
		t.Fatal(err)
	}
	ac := app.SignIn(t, admin)
	page := ac.Get(t, "/admin/users/"+u.ID.String())
	if page.Doc(t).Find("#unlock").Length() != 1 {
		t.Fatal("admin page offers no unlock")
	}
	if r := ac.PostForm(t, "/admin/users/"+u.ID.String()+"/unlock", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("unlock: %d", r.Status)
	}
	app.SignIn(t, u)
	got := app.AuditActions(t, "user", u.ID.String())
	if !contains(got, "user.lock") || !contains(got, "user.unlock") {
		t.Fatalf("lock and unlock not audited: %v", got)
	}
}

// TestSignInsAtOnceTakeTurns sends a burst of sign-ins for one account: each is counted before its
// password is checked, so only the free failures get an answer other than "wait", and a burst at
// the lock's threshold locks the account once.
func TestSignInsAtOnceTakeTurns(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "reviewer")
	burst := func(n int) map[int]int {
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				form := url.Values{"email": {u.Email}, "password": {fmt.Sprintf("wrong password %d", i)}}
				req, _ := http.NewRequest(http.MethodPost, app.URL+"/login", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", app.URL)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					statuses <- 0
					return
				}
				res.Body.Close()
				statuses <- res.StatusCode
			}()
		}
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for s := range statuses {
			got[s]++
		}
		return got
	}
	if got := burst(30); got[http.StatusUnauthorized] != auth.EmailFreeFailures || got[http.StatusTooManyRequests] != 30-auth.EmailFreeFailures {
		t.Fatalf("30 sign-ins at once: %v, want %d refused for the password and the rest told to wait", got, auth.EmailFreeFailures)
	}
	// One failure short of the lock, the delay over: a burst locks the account once.
	ctx := context.Background()
	if _, err := app.Pool.Exec(ctx, "UPDATE login_throttle SET failures = $1 - 1, last_failure_at = now() - interval '1 day'", app.Cfg.LockAfter); err != nil {
		t.Fatal(err)
	}
	if got := burst(10); got[http.StatusForbidden] != 1 || got[http.StatusTooManyRequests] != 9 {
		t.Fatalf("10 sign-ins at the lock's threshold: %v, want one locked and nine told to wait", got)
	}
	var locks int
	if err := app.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE action = 'user.lock' AND subject_id = $1", u.ID.String()).Scan(&locks); err != nil || locks != 1 {
		t.Fatalf("user.lock audited %d times (%v), want once", locks, err)
	}
}

func TestSessionRotatesOnSignInAndEndsOnSignOut(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "reviewer")
	c := app.SignIn(t, u)
	first := cookie(t, c, app.URL)
	// Signing in again from the same browser replaces the session.
	c.PostForm(t, "/login", url.Values{"email": {u.Email}, "password": {u.Password}})
	second := cookie(t, c, app.URL)
	if first == second {
		t.Fatal("session not rotated on sign-in")
	}
	old := app.NewClient()
	setCookie(t, old, app.URL, first)
	if res := old.Get(t, "/account"); res.Status != http.StatusSeeOther {
		t.Fatalf("the replaced session still works: %d", res.Status)
	}
	var n int
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM sessions WHERE user_id = $1", u.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("sessions in the database: %d (%v), want 1", n, err)
	}
	// The cookie holds the secret; the database only its hash.
	var hash []byte
	if err := app.Pool.QueryRow(context.Background(), "SELECT secret_hash FROM sessions WHERE user_id = $1", u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if _, secret, _ := strings.Cut(second, "."); strings.Contains(string(hash), secret) || len(hash) != 32 {
		t.Fatal("the session secret is stored as is")
	}
	if res := c.PostForm(t, "/logout", nil); res.Status != http.StatusSeeOther || res.Location != "/login?notice=signed_out" {
		t.Fatalf("sign out: %d %q", res.Status, res.Location)
	}
	if res := c.Get(t, "/account"); res.Status != http.StatusSeeOther {
		t.Fatalf("still signed in after sign-out: %d", res.Status)
	}
	// A tampered secret is refused.
	setCookie(t, c, app.URL, strings.Split(second, ".")[0]+".AAAA")
	if res := c.Get(t, "/account"); res.Status != http.StatusSeeOther {
		t.Fatal("forged cookie accepted")
	}
}

func TestIdleAndAbsoluteTimeout(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "reviewer")
	// Each session is used first, so the app holds it in its session cache: the change made in
	// the database must end it there too.
	c := app.SignIn(t, u)
	if res := c.Get(t, "/account"); res.Status != http.StatusOK {
		t.Fatalf("new session: %d", res.Status)
	}
	app.Exec(t, "UPDATE sessions SET last_seen_at = now() - interval '31 minutes'")
	if res := c.Get(t, "/account"); res.Status != http.StatusSeeOther {
		t.Fatalf("idle session still works: %d", res.Status)
	}
	c = app.SignIn(t, u)
	if res := c.Get(t, "/account"); res.Status != http.StatusOK {
		t.Fatalf("new session: %d", res.Status)
	}
	app.Exec(t, "UPDATE sessions SET expires_at = now() - interval '1 second'")
	if res := c.Get(t, "/account"); res.Status != http.StatusSeeOther {
		t.Fatalf("expired session still works: %d", res.Status)
	}
}

func TestUserSeesAndRevokesOwnSessions(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "manager")
	other := app.CreateUser(t, "reviewer")
	laptop := app.SignIn(t, u)
	phone := app.SignIn(t, u)
	othersSession := app.SignIn(t, other)
	_ = othersSession
	page := laptop.Get(t, "/account")
	rows := page.Doc(t).Find("#sessions tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("account lists %d sessions, want 2", rows.Length())
	}
	if page.Doc(t).Find("#sessions .badge").Text() != "this browser" {
		t.Error("the current session is not marked")
	}
	var phoneID, othersID string
	ctx := context.Background()
	if err := app.Pool.QueryRow(ctx, "SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1", u.ID).Scan(&phoneID); err != nil {
		t.Fatal(err)
	}
	if err := app.Pool.QueryRow(ctx, "SELECT id FROM sessions WHERE user_id = $1", other.ID).Scan(&othersID); err != nil {
		t.Fatal(err)
	}
	// Someone else's session is not one's own to revoke.
	if res := laptop.PostForm(t, "/account/sessions/"+othersID+"/revoke", nil); res.Status != http.StatusNotFound {
		t.Fatalf("revoking another user's session: %d", res.Status)
	}
	// htmx revokes and gets the table back.
	res := laptop.PostForm(t, "/account/sessions/"+phoneID+"/revoke", nil, "HX-Request", "true")
	if res.Status != http.StatusOK || res.Doc(t).Find("#sessions tbody tr").Length() != 1 || strings.Contains(res.Body, "<html") {
		t.Fatalf("htmx revoke: %d rows=%d", res.Status, res.Doc(t).Find("#sessions tbody tr").Length())
	}
	if r := phone.Get(t, "/account"); r.Status != http.StatusSeeOther {
		t.Fatalf("revoked session still works: %d", r.Status)
	}
	if got := app.AuditActions(t, "session", phoneID); len(got) == 0 || got[0] != "session.revoke" {
		t.Fatalf("revocation not audited: %v", got)
	}
	if r := othersSession.Get(t, "/account"); r.Status != http.StatusOK {
		t.Fatalf("the other user's session was touched: %d", r.Status)
	}
}

func TestChangePassword(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "reviewer")
	c := app.SignIn(t, u)
	other := app.SignIn(t, u)
	res := c.PostForm(t, "/account/password", url.Values{"current": {"nope"}, "password": {"short"}, "confirm": {"short"}})
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad input: %d", res.Status)
	}
	doc := res.Doc(t)
	if doc.Find("#current-error").Text() == "" || !strings.Contains(doc.Find("#password-error").Text(), "at least 12") {
		t.Fatalf("field errors missing: %q %q", doc.Find("#current-error").Text(), doc.Find("#password-error").Text())
	}
	res = c.PostForm(t, "/account/password", url.Values{"current": {u.Password}, "password": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", res.Status, res.Body)
	}
	if r := c.Get(t, "/account"); r.Status != http.StatusOK {
		t.Fatalf("the changing browser was signed out: %d", r.Status)
	}
	if r := other.Get(t, "/account"); r.Status != http.StatusSeeOther {
		t.Fatalf("other sessions survive a password change: %d", r.Status)
	}
	u.Password = "a brand new passphrase"
	app.SignIn(t, u)
}

// TestChangePasswordIsThrottled: a session left open cannot be used to find the password by
// guessing the current one; each wrong one is audited, and a right one clears the count.
func TestChangePasswordIsThrottled(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "reviewer")
	c := app.SignIn(t, u)
	guess := url.Values{"current": {"a wrong guess"}, "password": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}}
	for i := range auth.EmailFreeFailures {
		if res := c.PostForm(t, "/account/password", guess); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: %d", i+1, res.Status)
		}
	}
	res := c.PostForm(t, "/account/password", guess)
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
		!strings.Contains(res.Doc(t).Find("#current-error").Text(), "Too many wrong passwords") {
		t.Fatalf("guess %d: %d, want 429 with the wait on the field", auth.EmailFreeFailures+1, res.Status)
	}
	// The right password waits too while the delay runs.
	right := url.Values{"current": {u.Password}, "password": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}}
	if res := c.PostForm(t, "/account/password", right); res.Status != http.StatusTooManyRequests {
		t.Fatalf("the right password during the delay: %d", res.Status)
	}
	var failed int
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE action = 'user.password_change_failed' AND subject_id = $1",
		u.ID.String()).Scan(&failed); err != nil || failed != auth.EmailFreeFailures {
		t.Fatalf("wrong current passwords audited: %d (%v), want %d", failed, err, auth.EmailFreeFailures)
	}
	if _, err := app.Pool.Exec(context.Background(), "UPDATE login_throttle SET last_failure_at = now() - interval '1 day'"); err != nil {
		t.Fatal(err)
	}
	if res := c.PostForm(t, "/account/password", right); res.Status != http.StatusSeeOther {
		t.Fatalf("the right password after the delay: %d", res.Status)
	}
	var rows int
	if err := app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM login_throttle WHERE key = $1", "email:"+u.Email).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("the count stays after the right password: %d rows (%v)", rows, err)
	}
}

func TestDeviceNames(t *testing.T) {
	cases := map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36":           "Chrome on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15": "Safari on macOS",
		"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0":                                                "Firefox on Linux",
		"": "Unknown browser",
	}
	for ua, want := range cases {
		if got := sessions.Device(ua); got != want {
			t.Errorf("Device(%q) = %q, want %q", ua, got, want)
		}
	}
}

func cookie(t *testing.T, c *testenv.Client, base string) string {
	t.Helper()
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessions.CookieName {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func setCookie(t *testing.T, c *testenv.Client, base, value string) {
	u, _ := url.Parse(base)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: sessions.CookieName, Value: value, Path: "/"}})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
