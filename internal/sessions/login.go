package sessions

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/web"
)

const badCredentials = "Email or password is incorrect."

// LoginPage shows the sign-in form.
func (h *Handler) LoginPage(w http.ResponseWriter, r *http.Request) error {
	if auth.PrincipalFrom(r.Context()) != nil {
		return httpx.Redirect(w, r, httpx.SafeNext(r.URL.Query().Get("next")))
	}
	v := web.LoginView{Next: httpx.SafeNext(r.URL.Query().Get("next"))}
	if v.Next == "/" {
		v.Next = ""
	}
	switch r.URL.Query().Get("notice") {
	case "signed_out":
		v.Notice = "You are signed out."
	case "password_set":
		v.Notice = "Your password is set. Sign in with it."
	case "session_ended":
		v.Notice = "Your session has ended. Sign in again."
	}
	return h.R.Public(w, r, http.StatusOK, "Sign in", web.LoginPage(v))
}

// Login checks the email and password, throttling failures per email and per address, and on
// success starts a new session (never reusing the one the browser had) and goes where the user
// was going.
func (h *Handler) Login(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	next := httpx.SafeNext(r.PostFormValue("next"))
	ip := httpx.ClientIP(r, h.TrustProxy)
	form := web.LoginView{Email: email, Next: r.PostFormValue("next")}
	if form.Next != "" {
		form.Next = next
	}
	if email == "" || password == "" || len(email) > 320 || len(password) > auth.MaxPasswordLength {
		form.Error = "Enter your email and password."
		return h.R.Public(w, r, http.StatusUnprocessableEntity, "Sign in", web.LoginPage(form))
	}
	keys := []string{"email:" + email, "ip:" + ip}

	q := db.New(h.Pool)
	if wait, err := h.throttled(ctx, q, keys); err != nil {
		return err
	} else if wait > 0 {
		n := int(math.Ceil(wait.Seconds()))
		unit := "seconds"
		if n == 1 {
			unit = "second"
		}
		form.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %d %s.", n, unit)
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		return h.R.Public(w, r, http.StatusTooManyRequests, "Sign in", web.LoginPage(form))
	}

	user, err := q.GetUserByEmail(ctx, email)
	known := err == nil
	if err != nil && !db.IsNotFound(err) {
		return err
	}
	hash := ""
	if known && user.PasswordHash != nil {
		hash = *user.PasswordHash
	}
	ok := auth.VerifyPassword(hash, password) && known && hash != ""

	if !ok {
		err := db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
			var emailFailures int32
			for _, k := range keys {
				t, err := q.RecordLoginFailure(ctx, k)
				if err != nil {
					return err
				}
				if strings.HasPrefix(k, "email:") {
					emailFailures = t.Failures
				}
			}
			ev := audit.Event{Actor: audit.Anonymous, Action: "auth.sign_in_failed", SubjectType: "user",
				After: map[string]any{"email": email, "failures": emailFailures}}
			if known {
				ev.SubjectID = user.ID.String()
				if int(emailFailures) >= h.LockAfter && user.LockedAt == nil {
					if err := q.LockUser(ctx, user.ID); err != nil {
						return err
					}
					if err := audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: "user.lock", SubjectType: "user",
						SubjectID: user.ID.String(), After: map[string]any{"reason": "too many failed sign-ins", "failures": emailFailures}}); err != nil {
						return err
					}
				}
			}
			return audit.Record(ctx, q, ev)
		})
		if err != nil {
			return err
		}
		form.Error = badCredentials
		return h.R.Public(w, r, http.StatusUnauthorized, "Sign in", web.LoginPage(form))
	}
	// The password is right: only now may the page say why the account cannot be used.
	switch {
	case user.DisabledAt != nil:
		form.Error = "This account is disabled. Ask an administrator."
		return h.R.Public(w, r, http.StatusForbidden, "Sign in", web.LoginPage(form))
	case user.LockedAt != nil:
		form.Error = "This account is locked after too many failed sign-ins. Ask an administrator to unlock it."
		return h.R.Public(w, r, http.StatusForbidden, "Sign in", web.LoginPage(form))
	}

	var rotated uuid.UUID
	err = db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if err := q.ClearLoginThrottle(ctx, keys); err != nil {
			return err
		}
		// Rotate: whatever session this browser had ends here.
		if c, err := r.Cookie(CookieName); err == nil {
			if old, _ := h.Store.Load(ctx, c.Value); old != nil {
				if err := q.DeleteSession(ctx, old.ID); err != nil {
					return err
				}
				rotated = old.ID
			}
		}
		s, err := h.Store.Create(ctx, q, w, r, user.ID, ip, r.UserAgent())
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: audit.UserActor(user.ID, user.Email), Action: "auth.sign_in",
			SubjectType: "session", SubjectID: s.ID.String(), After: map[string]any{"device": Device(r.UserAgent()), "ip": ip}})
	})
	if rotated != uuid.Nil {
		h.Store.ForgetSession(rotated)
	}
	if err != nil {
		return err
	}
	if user.MustChangePassword {
		next = "/account/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// throttled returns how long sign-in is refused for these keys (zero when allowed).
func (h *Handler) throttled(ctx context.Context, q *db.Queries, keys []string) (time.Duration, error) {
	rows, err := q.GetLoginThrottle(ctx, keys)
	if err != nil {
		return 0, err
	}
	var wait time.Duration
	for _, t := range rows {
		free := auth.EmailFreeFailures
		if strings.HasPrefix(t.Key, "ip:") {
			free = auth.IPFreeFailures
		}
		until := t.LastFailureAt.Add(auth.Delay(int(t.Failures), free))
		if d := time.Until(until); d > wait {
			wait = d
		}
	}
	return wait, nil
}

// Logout ends the current session.
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := auth.PrincipalFrom(ctx)
	if p != nil {
		err := db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
			if err := q.DeleteSession(ctx, p.SessionID); err != nil {
				return err
			}
			return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "auth.sign_out", SubjectType: "session", SubjectID: p.SessionID.String()})
		})
		h.Store.ForgetSession(p.SessionID)
		if err != nil {
			return err
		}
	}
	h.Store.clearCookie(w, r)
	return httpx.Redirect(w, r, "/login?notice=signed_out")
}
