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

const (
	badCredentials = "Email or password is incorrect."
	lockedMessage  = "This account is locked after too many failed sign-ins. Ask an administrator to unlock it."
)

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

	// The attempt counts as a failure before the password is checked, so that attempts sent at
	// once take turns on the throttle and each sees those before it; a right password clears it.
	wait, emailFailures, err := h.attempt(ctx, keys)
	if err != nil {
		return err
	}
	if wait > 0 {
		form.Error = tooMany("failed sign-ins", wait)
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		return h.R.Public(w, r, http.StatusTooManyRequests, "Sign in", web.LoginPage(form))
	}

	q := db.New(h.Pool)
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
		// A locked account answers the same to a right and a wrong password, and an unknown email
		// the same as a known one after as many failures, so the answer tells nothing about either.
		locked := emailFailures >= h.LockAfter || (known && user.LockedAt != nil)
		err := db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
			ev := audit.Event{Actor: audit.Anonymous, Action: "auth.sign_in_failed", SubjectType: "user",
				After: map[string]any{"email": email, "failures": emailFailures}}
			if known {
				ev.SubjectID = user.ID.String()
				if emailFailures >= h.LockAfter {
					n, err := q.LockUser(ctx, user.ID)
					if err != nil {
						return err
					}
					if n == 1 {
						if err := audit.Record(ctx, q, audit.Event{Actor: audit.System, Action: "user.lock", SubjectType: "user",
							SubjectID: user.ID.String(), After: map[string]any{"reason": "too many failed sign-ins", "failures": emailFailures}}); err != nil {
							return err
						}
					}
				}
			}
			return audit.Record(ctx, q, ev)
		})
		if err != nil {
			return err
		}
		if locked {
			form.Error = lockedMessage
			return h.R.Public(w, r, http.StatusForbidden, "Sign in", web.LoginPage(form))
		}
		form.Error = badCredentials
		return h.R.Public(w, r, http.StatusUnauthorized, "Sign in", web.LoginPage(form))
	}

	// The password is right: only now may the page say that the account is disabled. The user is
	// read again in the transaction that signs in, so a lock made meanwhile holds.
	var rotated uuid.UUID
	refused := ""
	err = db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		u, err := q.GetUser(ctx, user.ID)
		if err != nil {
			return err
		}
		switch {
		case u.LockedAt != nil:
			refused = lockedMessage
		case u.DisabledAt != nil:
			refused = "This account is disabled. Ask an administrator."
		}
		if refused != "" {
			return audit.Record(ctx, q, audit.Event{Actor: audit.Anonymous, Action: "auth.sign_in_failed", SubjectType: "user",
				SubjectID: user.ID.String(), After: map[string]any{"email": email, "failures": emailFailures,
					"locked": u.LockedAt != nil, "disabled": u.DisabledAt != nil}})
		}
		user = u
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
	if refused != "" {
		form.Error = refused
		return h.R.Public(w, r, http.StatusForbidden, "Sign in", web.LoginPage(form))
	}
	if user.MustChangePassword {
		next = "/account/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// attempt counts an attempt at a password against keys before the password is checked, in a
// transaction that holds the keys' rows, so attempts made at once take turns and each sees the
// ones before it. It returns how long the keys are throttled (zero when allowed; a throttled
// attempt is not counted) and the email key's failures with this attempt; a right password must
// then clear the keys (ClearLoginThrottle).
func (h *Handler) attempt(ctx context.Context, keys []string) (wait time.Duration, emailFailures int, err error) {
	err = db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if err := q.EnsureLoginThrottle(ctx, keys); err != nil {
			return err
		}
		rows, err := q.LockLoginThrottle(ctx, keys)
		if err != nil {
			return err
		}
		for _, t := range rows {
			free := auth.EmailFreeFailures
			if strings.HasPrefix(t.Key, "ip:") {
				free = auth.IPFreeFailures
			}
			if d := time.Until(t.LastFailureAt.Add(auth.Delay(int(t.Failures), free))); d > wait {
				wait = d
			}
		}
		if wait > 0 {
			return nil
		}
		for _, k := range keys {
			t, err := q.RecordLoginFailure(ctx, k)
			if err != nil {
				return err
			}
			if strings.HasPrefix(k, "email:") {
				emailFailures = int(t.Failures)
			}
		}
		return nil
	})
	return wait, emailFailures, err
}

// tooMany says how long to wait after too many failures of what.
func tooMany(what string, wait time.Duration) string {
	n := int(math.Ceil(wait.Seconds()))
	unit := "seconds"
	if n == 1 {
		unit = "second"
	}
	return fmt.Sprintf("Too many %s. Try again in %d %s.", what, n, unit)
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
