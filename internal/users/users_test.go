package users_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"kycdesk/internal/db"
	"kycdesk/internal/testenv"
	"kycdesk/internal/users"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCreateUserValidation(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	existing := app.CreateUser(t, "reviewer")
	cases := []struct {
		form  url.Values
		field string
		msg   string
	}{
		{url.Values{"email": {"not-an-email"}, "name": {"X"}, "role": {"reviewer"}, "setup": {"link"}}, "email", "valid email"},
		{url.Values{"email": {"a@example.com"}, "name": {"  "}, "role": {"reviewer"}, "setup": {"link"}}, "name", "Enter the user's name"},
		{url.Values{"email": {"a@example.com"}, "name": {"A"}, "role": {"superuser"}, "setup": {"link"}}, "role", "reviewer, manager or admin"},
		{url.Values{"email": {"a@example.com"}, "name": {"A"}, "role": {"reviewer"}, "setup": {"magic"}}, "setup", "how the user gets in"},
		{url.Values{"email": {strings.ToUpper(existing.Email)}, "name": {"A"}, "role": {"reviewer"}, "setup": {"link"}}, "email", "already exists"},
	}
	for _, c := range cases {
		res := admin.PostForm(t, "/admin/users", c.form)
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%v: status %d", c.form, res.Status)
		}
		doc := res.Doc(t)
		if msg := doc.Find("#" + c.field + "-error").Text(); !strings.Contains(msg, c.msg) {
			t.Errorf("%s error = %q, want it to say %q", c.field, msg, c.msg)
		}
		// Nothing typed is lost.
		if doc.Find("#name").AttrOr("value", "") != strings.Join(strings.Fields(c.form.Get("name")), " ") && c.form.Get("name") != "  " {
			t.Errorf("name not kept: %q", doc.Find("#name").AttrOr("value", ""))
		}
	}
	var n int
	_ = app.Pool.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&n)
	if n != 2 {
		t.Fatalf("%d users after refused forms, want 2", n)
	}
}

func TestCreateUserWithTemporaryPassword(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	res := admin.PostForm(t, "/admin/users", url.Values{"email": {"New.Person@Example.com"}, "name": {"New Person"}, "role": {"manager"}, "setup": {"password"}})
	if res.Status != http.StatusOK {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	secret := strings.TrimSpace(res.Doc(t).Find("#one-time-secret").Text())
	if len(secret) < 20 {
		t.Fatalf("no temporary password shown: %q", secret)
	}
	var id, hash string
	var must bool
	if err := app.Pool.QueryRow(context.Background(), "SELECT id, password_hash, must_change_password FROM users WHERE email = 'new.person@example.com'").Scan(&id, &hash, &must); err != nil {
		t.Fatal(err)
	}
	if !must || strings.Contains(hash, secret) || !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("stored: must=%v hash=%q", must, hash)
	}
	if got := app.AuditActions(t, "user", id); len(got) != 1 || got[0] != "user.create" {
		t.Fatalf("audit: %v", got)
	}
	// The audit row never holds the password or its hash.
	var after string
	_ = app.Pool.QueryRow(context.Background(), "SELECT after::text FROM audit_events WHERE subject_id = $1", id).Scan(&after)
	if strings.Contains(after, secret) || strings.Contains(after, "argon2") {
		t.Fatal("secret in the audit log")
	}
	// First sign-in must change the password before anything else.
	c := app.NewClient()
	r := c.PostForm(t, "/login", url.Values{"email": {"new.person@example.com"}, "password": {secret}, "next": {"/account"}})
	if r.Location != "/account/password" {
		t.Fatalf("temporary password not forced to change: %q", r.Location)
	}
	if r := c.Get(t, "/account"); r.Location != "/account/password" {
		t.Fatalf("other pages reachable before the change: %d %q", r.Status, r.Location)
	}
	if r := c.PostForm(t, "/account/password", url.Values{"current": {secret}, "password": {"my own passphrase"}, "confirm": {"my own passphrase"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("change: %d", r.Status)
	}
	if r := c.Get(t, "/account"); r.Status != http.StatusOK {
		t.Fatalf("after the change: %d", r.Status)
	}
}

func TestSetPasswordLink(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	res := admin.PostForm(t, "/admin/users", url.Values{"email": {"link@example.com"}, "name": {"Link User"}, "role": {"reviewer"}, "setup": {"link"}})
	link := strings.TrimSpace(res.Doc(t).Find("#one-time-secret").Text())
	if !strings.HasPrefix(link, app.URL+"/set-password/") {
		t.Fatalf("link = %q", link)
	}
	path := strings.TrimPrefix(link, app.URL)
	c := app.NewClient()
	if r := c.Get(t, path); r.Status != http.StatusOK || !strings.Contains(r.Body, "link@example.com") {
		t.Fatalf("link page: %d", r.Status)
	}
	if r := c.PostForm(t, path, url.Values{"password": {"long enough passphrase"}, "confirm": {"different passphrase"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Doc(t).Find("#confirm-error").Text(), "not the same") {
		t.Fatalf("mismatch: %d", r.Status)
	}
	if r := c.PostForm(t, path, url.Values{"password": {"long enough passphrase"}, "confirm": {"long enough passphrase"}}); r.Status != http.StatusSeeOther || r.Location != "/login?notice=password_set" {
		t.Fatalf("set: %d %q", r.Status, r.Location)
	}
	if r := c.Get(t, path); r.Status != http.StatusNotFound {
		t.Fatalf("a used link still works: %d", r.Status)
	}
	app.SignIn(t, testenv.User{Email: "link@example.com", Password: "long enough passphrase"})
}

func TestDisableEndsAllSessionsAtOnce(t *testing.T) {
	app := testenv.NewApp(t)
	adminUser := app.CreateUser(t, "admin")
	admin := app.SignIn(t, adminUser)
	u := app.CreateUser(t, "reviewer")
	s1, s2 := app.SignIn(t, u), app.SignIn(t, u)
	page := admin.Get(t, "/admin/users/"+u.ID.String())
	if got := strings.TrimSpace(page.Doc(t).Find("#active-sessions").Text()); got != "2" {
		t.Fatalf("active sessions shown: %q", got)
	}
	if r := admin.PostForm(t, "/admin/users/"+u.ID.String()+"/disable", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	for _, c := range []*testenv.Client{s1, s2} {
		if r := c.Get(t, "/account"); r.Status != http.StatusSeeOther {
			t.Fatalf("session survived disabling: %d", r.Status)
		}
	}
	r := app.NewClient().PostForm(t, "/login", url.Values{"email": {u.Email}, "password": {u.Password}})
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "disabled") {
		t.Fatalf("disabled user signed in: %d", r.Status)
	}
	// The refused sign-in is on the record too, after the disabling.
	if got := app.AuditActions(t, "user", u.ID.String()); len(got) < 2 || got[0] != "auth.sign_in_failed" || got[1] != "user.disable" {
		t.Fatalf("audit: %v", got)
	}
	// An admin cannot disable themself, nor demote the last admin.
	if r := admin.PostForm(t, "/admin/users/"+adminUser.ID.String()+"/disable", nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("self-disable: %d", r.Status)
	}
	r = admin.PostForm(t, "/admin/users/"+adminUser.ID.String()+"/role", url.Values{"role": {"reviewer"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Doc(t).Find("#role-error").Text(), "last admin") {
		t.Fatalf("last admin demoted: %d", r.Status)
	}
	if r := admin.PostForm(t, "/admin/users/"+u.ID.String()+"/enable", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("enable: %d", r.Status)
	}
	app.SignIn(t, u)
}

func TestChangeRole(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	u := app.CreateUser(t, "reviewer")
	uc := app.SignIn(t, u)
	if r := uc.Get(t, "/admin/users"); r.Status != http.StatusForbidden {
		t.Fatalf("reviewer reaches users: %d", r.Status)
	}
	if r := admin.PostForm(t, "/admin/users/"+u.ID.String()+"/role", url.Values{"role": {"admin"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("role change: %d", r.Status)
	}
	// The new role applies to the running session at once.
	if r := uc.Get(t, "/admin/users"); r.Status != http.StatusOK {
		t.Fatalf("promoted user still refused: %d", r.Status)
	}
	if r := admin.PostForm(t, "/admin/users/"+u.ID.String()+"/role", url.Values{"role": {"root"}}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad role: %d", r.Status)
	}
	if r := admin.Get(t, "/admin/users/not-a-uuid"); r.Status != http.StatusNotFound {
		t.Fatalf("bad id: %d", r.Status)
	}
}

// An admin's own page offers no temporary password or link (it would end their own sessions);
// the request is refused if sent anyway, and their sessions live on.
func TestNoTemporaryPasswordForOneself(t *testing.T) {
	app := testenv.NewApp(t)
	u := app.CreateUser(t, "admin")
	c := app.SignIn(t, u)
	page := c.Get(t, "/admin/users/"+u.ID.String())
	if page.Doc(t).Find("#temporary-password, #password-link").Length() != 0 || !strings.Contains(page.Body, "/account/password") {
		t.Fatal("one's own page offers a temporary password")
	}
	if r := c.PostForm(t, "/admin/users/"+u.ID.String()+"/temporary-password", url.Values{}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("temporary password for oneself: %d", r.Status)
	}
	if r := c.Get(t, "/account"); r.Status != http.StatusOK {
		t.Fatalf("the admin's session ended: %d", r.Status)
	}
}

// A user's history reads in words, not as the audit log's codes nor the audit row's JSON; each
// line keeps its code beside the words, to find it in the audit log.
func TestHistoryInWords(t *testing.T) {
	app := testenv.NewApp(t)
	admin := app.SignIn(t, app.CreateUser(t, "admin"))
	u := app.CreateUser(t, "reviewer")
	if r := admin.PostForm(t, "/admin/users/"+u.ID.String()+"/role", url.Values{"role": {"manager"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("role change: %d", r.Status)
	}
	if r := app.NewClient().PostForm(t, "/login", url.Values{"email": {u.Email}, "password": {"not the password"}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.Status)
	}
	if r := admin.PostForm(t, "/admin/users/"+u.ID.String()+"/disable", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("disable: %d", r.Status)
	}
	if r := app.NewClient().PostForm(t, "/login", url.Values{"email": {u.Email}, "password": {u.Password}}); r.Status != http.StatusForbidden {
		t.Fatalf("disabled user signs in: %d", r.Status)
	}
	page := admin.Get(t, "/admin/users/"+u.ID.String())
	type line struct{ words, code, detail string }
	var lines []line
	page.Doc(t).Find("table tbody tr").Each(func(_ int, tr *goquery.Selection) {
		lines = append(lines, line{strings.TrimSpace(tr.Find(".audit-words").Text()), strings.TrimSpace(tr.Find(".audit-code").Text()),
			strings.TrimSpace(tr.Find("td.small").Text())})
	})
	// Newest first.
	want := []line{
		{"Sign-in refused: the account is disabled", "auth.sign_in_failed", "failed sign-ins in a row"},
		{"Disabled", "user.disable", "0 sessions ended"},
		{"Sign-in failed", "auth.sign_in_failed", "1 failed sign-in in a row"},
		{"Role changed from reviewer to manager", "user.role_change", ""},
		{"Created as reviewer, with a password given on the command line", "user.create", ""},
	}
	if len(lines) != len(want) {
		t.Fatalf("history: %q", lines)
	}
	for i, w := range want {
		l := lines[i]
		if l.words != w.words || l.code != w.code || !strings.Contains(l.detail, w.detail) {
			t.Errorf("line %d: %q, want %q", i, l, w)
		}
		if strings.ContainsAny(l.detail, "{}\"") {
			t.Errorf("history detail %q is raw JSON", l.detail)
		}
	}
}

// Every action written with the user as its subject has its words; one without is said by its code.
func TestDescribe(t *testing.T) {
	ev := func(action, before, after string) db.AuditEvent {
		return db.AuditEvent{Action: action, Before: []byte(before), After: []byte(after)}
	}
	for _, c := range []struct {
		e             db.AuditEvent
		words, detail string
	}{
		{ev("user.create", ``, `{"user":{"role":"manager","email":"a@example.com"},"setup":"link"}`), "Created as manager, with a set-password link", ""},
		{ev("user.create", ``, `{"user":{"role":"reviewer"},"setup":"password"}`), "Created as reviewer, with a temporary password", ""},
		{ev("user.create", ``, `{"user":{"role":"admin"},"via":"demo seed"}`), "Created as admin (demo seed)", ""},
		{ev("user.role_change", `{"role":"reviewer"}`, `{"role":"manager"}`), "Role changed from reviewer to manager", ""},
		{ev("user.disable", `{}`, `{"user":{},"sessions_ended":2,"cases_released":1}`), "Disabled", "2 sessions ended; 1 open case sent back to the queue"},
		{ev("user.enable", `{}`, `{}`), "Enabled", ""},
		{ev("user.lock", ``, `{"reason":"too many failed sign-ins","failures":5}`), "Locked after 5 failed sign-ins", ""},
		{ev("user.unlock", `{}`, `{}`), "Unlocked", ""},
		{ev("user.sign_in_failures_clear", ``, ``), "Failed sign-ins cleared (the account was not locked)", ""},
		{ev("auth.sign_in_failed", ``, `{"email":"a@example.com","failures":3}`), "Sign-in failed", "3 failed sign-ins in a row"},
		{ev("auth.sign_in_failed", ``, `{"email":"a@example.com","failures":1,"locked":true,"disabled":false}`), "Sign-in refused: the account is locked", "1 failed sign-in in a row"},
		{ev("user.password_link", ``, `{"expires_at":"2026-03-02T10:02:03.123456Z"}`), "Set-password link issued", "valid until 2026-03-02 10:02 UTC"},
		{ev("user.temporary_password", ``, `{"sessions_ended":1}`), "Temporary password issued", "1 session ended"},
		{ev("user.password_change", ``, `{"other_sessions_ended":true}`), "Password changed", "other sessions signed out"},
		{ev("user.password_change_failed", ``, `{"reason":"wrong current password","failures":2}`), "Password change refused: wrong current password", "2 wrong passwords in a row"},
		{ev("user.password_set", ``, `{"via":"one-time link"}`), "Password set with a set-password link", ""},
		{ev("user.password_set", ``, `{"user":{},"via":"demo seed"}`), "Password reset (demo seed)", ""},
		{ev("user.something_new", ``, `{"why":"because","user":{}}`), "user.something_new", "why: because"},
	} {
		if got := users.Describe(c.e); got != c.words {
			t.Errorf("Describe(%s %s) = %q, want %q", c.e.Action, c.e.After, got, c.words)
		}
		if got := users.Detail(c.e); got != c.detail {
			t.Errorf("Detail(%s %s) = %q, want %q", c.e.Action, c.e.After, got, c.detail)
		}
	}
	if got := users.Detail(db.AuditEvent{Action: "user.unlock", IP: "192.0.2.1"}); got != "from 192.0.2.1" {
		t.Errorf("Detail with an address: %q", got)
	}
}
