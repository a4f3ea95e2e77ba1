package sessions

import (
	"fmt"
	"math"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/web"
)

// Account shows the signed-in user's details and active sessions.
func (h *Handler) Account(w http.ResponseWriter, r *http.Request) error {
	v, err := h.accountView(r)
	if err != nil {
		return err
	}
	return h.R.Page(w, r, http.StatusOK, "Your account", web.AccountPage(v))
}

func (h *Handler) accountView(r *http.Request) (web.AccountView, error) {
	p := auth.PrincipalFrom(r.Context())
	rows, err := db.New(h.Pool).ListUserSessions(r.Context(), db.ListUserSessionsParams{UserID: p.UserID, IdleSeconds: h.Store.Idle.Seconds()})
	if err != nil {
		return web.AccountView{}, err
	}
	v := web.AccountView{Name: p.Name, Email: p.Email, Role: string(p.Role), Now: httpx.Now()}
	for _, s := range rows {
		v.Sessions = append(v.Sessions, web.SessionRow{ID: s.ID.String(), Device: Device(s.UserAgent), IP: s.IP,
			Created: s.CreatedAt, LastSeen: s.LastSeenAt, Current: s.ID == p.SessionID})
	}
	return v, nil
}

// RevokeSession ends one of the user's own sessions; revoking the current one signs out.
func (h *Handler) RevokeSession(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := auth.PrincipalFrom(ctx)
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No such session.")
	}
	err = db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		n, err := q.DeleteUserSession(ctx, db.DeleteUserSessionParams{ID: id, UserID: p.UserID})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.NotFound, "That session has already ended.")
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "session.revoke", SubjectType: "session", SubjectID: id.String(),
			After: map[string]any{"user_id": p.UserID, "own": true}})
	})
	h.Store.ForgetSession(id)
	if err != nil {
		return err
	}
	if id == p.SessionID {
		h.Store.clearCookie(w, r)
		return httpx.Redirect(w, r, "/login?notice=session_ended")
	}
	if httpx.Fragment(r) {
		v, err := h.accountView(r)
		if err != nil {
			return err
		}
		return httpx.Render(w, r, http.StatusOK, web.SessionsTable(v))
	}
	httpx.SetFlash(w, "ok", "The session was revoked.")
	return httpx.Redirect(w, r, "/account")
}

// PasswordPage shows the change-password form.
func (h *Handler) PasswordPage(w http.ResponseWriter, r *http.Request) error {
	p := auth.PrincipalFrom(r.Context())
	return h.R.Page(w, r, http.StatusOK, "Change password", web.PasswordPage(web.PasswordView{Forced: p.MustChangePassword}))
}

// ChangePassword sets a new password after checking the current one, and ends the user's other
// sessions: whoever knew the old password is out.
func (h *Handler) ChangePassword(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	p := auth.PrincipalFrom(ctx)
	user, err := db.New(h.Pool).GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	errs := web.FormErrors{}
	// The current password is guarded as at sign-in (the same throttle on the email), so a session
	// left open cannot be used to find it by guessing; every wrong one is on the record.
	keys := []string{"email:" + user.Email}
	wait, failures, err := h.attempt(ctx, keys)
	if err != nil {
		return err
	}
	if wait > 0 {
		errs["current"] = tooMany("wrong passwords", wait)
		w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		return h.R.Page(w, r, http.StatusTooManyRequests, "Change password", web.PasswordPage(web.PasswordView{Forced: p.MustChangePassword, Errors: errs}))
	}
	hash := ""
	if user.PasswordHash != nil {
		hash = *user.PasswordHash
	}
	if auth.VerifyPassword(hash, r.PostFormValue("current")) {
		if err := db.New(h.Pool).ClearLoginThrottle(ctx, keys); err != nil {
			return err
		}
	} else {
		errs["current"] = "This is not your current password."
		err := db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
			return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "user.password_change_failed", SubjectType: "user",
				SubjectID: p.UserID.String(), After: map[string]any{"reason": "wrong current password", "failures": failures}})
		})
		if err != nil {
			return err
		}
	}
	newHash, ferrs := newPassword(r.PostFormValue("password"), r.PostFormValue("confirm"), user.Email)
	for k, v := range ferrs {
		errs[k] = v
	}
	if len(errs) == 0 && r.PostFormValue("password") == r.PostFormValue("current") {
		errs["password"] = "Choose a password different from the current one."
	}
	if len(errs) > 0 {
		return h.R.Page(w, r, http.StatusUnprocessableEntity, "Change password", web.PasswordPage(web.PasswordView{Forced: p.MustChangePassword, Errors: errs}))
	}
	err = db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		if _, err := q.SetUserPassword(ctx, db.SetUserPasswordParams{ID: p.UserID, PasswordHash: &newHash, MustChangePassword: false}); err != nil {
			return err
		}
		if _, err := q.DeleteUserSessions(ctx, p.UserID); err != nil {
			return err
		}
		if _, err := h.Store.Create(ctx, q, w, r, p.UserID, httpx.ClientIP(r, h.TrustProxy), r.UserAgent()); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "user.password_change", SubjectType: "user", SubjectID: p.UserID.String(),
			After: map[string]any{"other_sessions_ended": true}})
	})
	h.Store.ForgetUser(p.UserID)
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", "Your password is changed. Your other sessions were signed out.")
	return httpx.Redirect(w, r, "/")
}

// newPassword checks a new password and its confirmation and returns its hash, or field errors.
func newPassword(password, confirm, email string) (string, web.FormErrors) {
	errs := web.FormErrors{}
	if err := auth.CheckPasswordPolicy(password, email); err != nil {
		errs["password"] = err.Error()
	} else if password != confirm {
		errs["confirm"] = "The two passwords are not the same."
	}
	if len(errs) > 0 {
		return "", errs
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		errs["password"] = "The password could not be stored; please try again."
		return "", errs
	}
	return hash, nil
}

// SetPasswordPage shows the form behind a one-time set-password link.
func (h *Handler) SetPasswordPage(w http.ResponseWriter, r *http.Request) error {
	token := chi.URLParam(r, "token")
	t, err := db.New(h.Pool).GetUsablePasswordToken(r.Context(), auth.TokenHash(token))
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "This link is not valid: it was used already, it expired, or it was replaced by a newer one. Ask an administrator for a new link.")
	}
	if err != nil {
		return err
	}
	return h.R.Public(w, r, http.StatusOK, "Choose your password", web.SetPasswordPage(web.SetPasswordView{Token: token, Email: t.Email}))
}

// SetPassword uses a one-time link: sets the password, spends the link and every other open link of
// the user, and ends the user's sessions.
func (h *Handler) SetPassword(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	token := chi.URLParam(r, "token")
	t, err := db.New(h.Pool).GetUsablePasswordToken(ctx, auth.TokenHash(token))
	if db.IsNotFound(err) {
		return apperr.New(apperr.NotFound, "This link is not valid: it was used already, it expired, or it was replaced by a newer one. Ask an administrator for a new link.")
	}
	if err != nil {
		return err
	}
	hash, errs := newPassword(r.PostFormValue("password"), r.PostFormValue("confirm"), t.Email)
	if len(errs) > 0 {
		return h.R.Public(w, r, http.StatusUnprocessableEntity, "Choose your password",
			web.SetPasswordPage(web.SetPasswordView{Token: token, Email: t.Email, Errors: errs}))
	}
	err = db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		n, err := q.UsePasswordToken(ctx, t.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.Conflict, "This link was used meanwhile. Ask an administrator for a new link.")
		}
		if err := q.RevokeUserPasswordTokens(ctx, t.UserID); err != nil {
			return err
		}
		if _, err := q.SetUserPassword(ctx, db.SetUserPasswordParams{ID: t.UserID, PasswordHash: &hash, MustChangePassword: false}); err != nil {
			return err
		}
		if _, err := q.DeleteUserSessions(ctx, t.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: audit.UserActor(t.UserID, t.Email), Action: "user.password_set", SubjectType: "user",
			SubjectID: t.UserID.String(), After: map[string]any{"via": "one-time link"}})
	})
	h.Store.ForgetUser(t.UserID)
	if err != nil {
		return err
	}
	return httpx.Redirect(w, r, "/login?notice=password_set")
}
