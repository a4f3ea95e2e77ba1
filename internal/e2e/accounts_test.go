package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	cdp "github.com/chromedp/chromedp"

	"kycdesk/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := cdp.Run(ctx, cdp.Text(cdp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := cdp.Run(ctx, cdp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func do(t *testing.T, ctx context.Context, steps ...cdp.Action[cdp.Void]) {
	t.Helper()
	if err := cdp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func signIn(t *testing.T, ctx context.Context, email, password string) {
	t.Helper()
	do(t, ctx,
		cdp.WaitVisible(cdp.CSS("#login-form")),
		cdp.SendKeys(cdp.CSS("#email"), email),
		cdp.SendKeys(cdp.CSS("#password"), password),
		cdp.Submit(cdp.CSS("#login-form")),
		cdp.WaitNotPresent(cdp.CSS("#login-form")),
	)
}

// TestAdminCreatesUserWhoSignsInAndRevokesASession is the foundation's walk-through in a real
// browser: sign in through the form (and land where you were going), create a user with a
// temporary password, sign in as that user in another browser, be made to choose a password,
// and revoke another session from the account page.
func TestAdminCreatesUserWhoSignsInAndRevokesASession(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.CreateUser(t, "admin")

	a := testenv.Browser(t)
	do(t, a, cdp.Navigate(app.URL+"/admin/users"))
	if loc := location(t, a); !strings.Contains(loc, "/login?next=%2Fadmin%2Fusers") {
		t.Fatalf("signed out visitor not sent to sign in: %s", loc)
	}
	signIn(t, a, admin.Email, admin.Password)
	if loc := location(t, a); loc != app.URL+"/admin/users" {
		t.Fatalf("after sign-in: %s", loc)
	}
	do(t, a,
		cdp.Click(cdp.CSS("#new-user")),
		cdp.WaitVisible(cdp.CSS("#user-form")),
		cdp.SendKeys(cdp.CSS("#email"), "not an email"),
		cdp.SendKeys(cdp.CSS("#name"), "Riley <b>Reviewer</b>"),
		cdp.SetAttributeValue(cdp.CSS("#email"), "type", "text"), // let the server, not the browser, judge it
		cdp.Submit(cdp.CSS("#user-form")),
		cdp.WaitVisible(cdp.CSS("#email-error")),
	)
	if msg := text(t, a, "#email-error"); !strings.Contains(msg, "valid email") {
		t.Fatalf("email error: %q", msg)
	}
	if v, _ := cdp.Run(a, cdp.Value(cdp.CSS("#name"))); v != "Riley <b>Reviewer</b>" {
		t.Fatalf("name lost on error: %q", v)
	}
	do(t, a,
		cdp.Clear(cdp.CSS("#email")),
		cdp.SendKeys(cdp.CSS("#email"), "riley@example.com"),
		cdp.SetValue(cdp.CSS("#role"), "reviewer"),
		cdp.Click(cdp.CSS(`input[name=setup][value=password]`)),
		cdp.Submit(cdp.CSS("#user-form")),
		cdp.WaitVisible(cdp.CSS("#one-time-secret")),
	)
	temp := text(t, a, "#one-time-secret")
	if len(temp) < 20 {
		t.Fatalf("temporary password: %q", temp)
	}

	// The new user, in a browser of their own.
	b := testenv.Browser(t)
	do(t, b, cdp.Navigate(app.URL+"/login"))
	signIn(t, b, "riley@example.com", temp)
	if loc := location(t, b); !strings.HasSuffix(loc, "/account/password") {
		t.Fatalf("temporary password not forced to change: %s", loc)
	}
	do(t, b,
		cdp.SendKeys(cdp.CSS("#current"), temp),
		cdp.SendKeys(cdp.CSS("#password"), "riley's own passphrase"),
		cdp.SendKeys(cdp.CSS("#confirm"), "riley's own passphrase"),
		cdp.Submit(cdp.CSS("#password-form")),
		cdp.WaitVisible(cdp.CSS(".flash-ok")),
	)
	// The name typed with markup is shown as text, never as markup.
	if who := text(t, b, `[data-testid=who]`); who != "Riley <b>Reviewer</b>" {
		t.Fatalf("top bar name: %q", who)
	}

	// Riley also signs in elsewhere (another device), then revokes it from this browser.
	other := app.NewClient()
	if res := other.PostForm(t, "/login", url.Values{"email": {"riley@example.com"}, "password": {"riley's own passphrase"}}); res.Status != 303 {
		t.Fatalf("second sign-in: %d", res.Status)
	}
	do(t, b, cdp.Navigate(app.URL+"/account"), cdp.WaitVisible(cdp.CSS("#sessions")))
	rows, err := cdp.Run(b, cdp.Evaluate[int](`document.querySelectorAll("#sessions tbody tr").length`))
	if err != nil || rows != 2 {
		t.Fatalf("sessions listed: %d %v", rows, err)
	}
	do(t, b, cdp.Click(cdp.CSS(`#sessions tbody tr:not(:has(.badge)) button`)))
	if _, err := cdp.Run(b, cdp.Poll[bool](`document.querySelectorAll("#sessions tbody tr").length === 1`)); err != nil {
		t.Fatalf("the revoked row did not go: %v", err)
	}
	if res := other.Get(t, "/account"); res.Status != 303 {
		t.Fatalf("revoked session still works: %d", res.Status)
	}
	testenv.Screenshot(t, b, "account")

	// Back in the admin's browser, the user list shows Riley.
	do(t, a, cdp.Navigate(app.URL+"/admin/users"), cdp.WaitVisible(cdp.CSS(`#users tr[data-email="riley@example.com"]`)))
}
