package sessions

import (
	"net/http"
	"time"

	"kycdesk/internal/apperr"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
)

// Authenticate puts the signed-in user, if any, into the request's context. It never refuses: the
// routes that need a user say so with RequireUser.
func (s *Store) Authenticate(trustProxy bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie(CookieName)
			if err != nil || c.Value == "" {
				next.ServeHTTP(w, r)
				return
			}
			row, err := s.Load(r.Context(), c.Value)
			if err != nil || row == nil {
				if err == nil {
					s.clearCookie(w, r) // stale or revoked: drop it
				}
				next.ServeHTTP(w, r)
				return
			}
			if time.Since(row.LastSeenAt) > touchEvery {
				_ = db.New(s.Pool).TouchSession(r.Context(), db.TouchSessionParams{ID: row.ID, IP: httpx.ClientIP(r, trustProxy)})
				s.ForgetSession(row.ID) // the next request reads the new last_seen_at
			}
			p := &auth.Principal{UserID: row.UserID, Email: row.Email, Name: row.UserName, Role: row.Role,
				SessionID: row.ID, MustChangePassword: row.MustChangePassword}
			next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
		})
	}
}

// RequireUser sends signed-out visitors to the sign-in page (and back afterwards), and a user who
// signed in with a temporary password to the change-password page first.
func RequireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.PrincipalFrom(r.Context())
		if p == nil {
			httpx.RedirectToLogin(w, r)
			return
		}
		if p.MustChangePassword && r.URL.Path != "/account/password" {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			} else {
				http.Error(w, "Choose a new password first.", http.StatusForbidden)
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Require refuses, with a 403 page, a signed-in user whose role lacks perm.
func Require(rd *httpx.Renderer, perm auth.Perm) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p := auth.PrincipalFrom(r.Context()); !p.Can(perm) {
				msg := "Your role does not allow this."
				if p != nil {
					msg = auth.Refusal(p.Role, perm)
				}
				rd.Error(w, r, apperr.New(apperr.Forbidden, "%s", msg))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
