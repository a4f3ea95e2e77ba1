// Package intake is the API the onboarding front end pushes customers and document images
// through: bearer tokens that admins create and revoke (stored as hashes), idempotent POSTs,
// JSON errors that name the field, and an OpenAPI description served by the app.
package intake

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/apperr"
	"kycdesk/internal/audit"
	"kycdesk/internal/auth"
	"kycdesk/internal/db"
	"kycdesk/internal/httpx"
	"kycdesk/web"
)

// TokenPrefix starts every API token, so a leaked one is recognisable in logs and scanners.
const TokenPrefix = "kyc_"

// Token is the API token a request authenticated with.
type Token struct {
	ID   uuid.UUID
	Name string
}

// Actor is the token as the audit log names it.
func (t *Token) Actor() audit.Actor { return audit.Actor{Label: "api-token:" + t.Name} }

type tokenKey struct{}

// TokenFrom returns the request's API token, or nil.
func TokenFrom(ctx context.Context) *Token {
	t, _ := ctx.Value(tokenKey{}).(*Token)
	return t
}

// RequireToken authenticates an API request by its bearer token; anything else gets a JSON 401.
// A browser session does not reach the API, and a token reaches nothing but the API.
func RequireToken(pool *pgxpool.Pool, rd *httpx.Renderer, trustProxy bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The scheme's name is case-insensitive (RFC 9110): "bearer" is "Bearer".
			scheme, raw, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
			ok = ok && strings.EqualFold(scheme, "Bearer")
			raw = strings.TrimSpace(raw)
			if !ok || !strings.HasPrefix(raw, TokenPrefix) || len(raw) > 200 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="kycdesk intake"`)
				rd.Error(w, r, apperr.New(apperr.Unauthorized, "Send an API token as 'Authorization: Bearer kyc_…'."))
				return
			}
			t, err := db.New(pool).GetAPITokenByHash(r.Context(), auth.TokenHash(raw))
			if err != nil {
				if !db.IsNotFound(err) {
					rd.Error(w, r, err)
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="kycdesk intake", error="invalid_token"`)
				rd.Error(w, r, apperr.New(apperr.Unauthorized, "The API token is unknown or revoked."))
				return
			}
			if t.LastUsedAt == nil || time.Since(*t.LastUsedAt) > time.Minute {
				_ = db.New(pool).TouchAPIToken(r.Context(), db.TouchAPITokenParams{ID: t.ID, IP: httpx.ClientIP(r, trustProxy)})
			}
			ctx := context.WithValue(r.Context(), tokenKey{}, &Token{ID: t.ID, Name: t.Name})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// TokensHandler serves the admin's API token pages.
type TokensHandler struct {
	Pool *pgxpool.Pool
	R    *httpx.Renderer
}

func (h *TokensHandler) view(ctx context.Context, errs web.FormErrors, name string) (web.TokensView, error) {
	list, err := db.New(h.Pool).ListAPITokens(ctx)
	if err != nil {
		return web.TokensView{}, err
	}
	v := web.TokensView{Errors: errs, Name: name}
	for _, t := range list {
		row := web.TokenRow{ID: t.ID.String(), Name: t.Name, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt,
			LastUsedIP: t.LastUsedIP, Revoked: t.RevokedAt != nil, CreatorDisabled: t.CreatorDisabled}
		if t.CreatorName != nil {
			row.Creator = *t.CreatorName
		}
		v.Tokens = append(v.Tokens, row)
	}
	return v, nil
}

// List shows the tokens (never their values) with their last use.
func (h *TokensHandler) List(w http.ResponseWriter, r *http.Request) error {
	v, err := h.view(r.Context(), nil, "")
	if err != nil {
		return err
	}
	return h.R.Page(w, r, http.StatusOK, "API tokens", web.TokensPage(v))
}

// tokenName reads a token's name: one line of at most 80 characters, without control characters
// (a NUL made storing it fail), invisible format characters (a zero-width space would make a name
// that looks like another's, which the audit log could not tell apart) or invalid UTF-8. ok is
// false when none is left.
func tokenName(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	name := strings.Join(strings.Fields(s), " ")
	return name, name != "" && utf8.RuneCountInString(name) <= 80
}

var errTokenNameTaken = errors.New("token name taken")

// Create makes a token and shows its value once.
func (h *TokensHandler) Create(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	p := auth.PrincipalFrom(ctx)
	name, ok := tokenName(r.PostFormValue("name"))
	refuse := func(msg string) error {
		v, err := h.view(ctx, web.FormErrors{"name": msg}, name)
		if err != nil {
			return err
		}
		return h.R.Page(w, r, http.StatusUnprocessableEntity, "API tokens", web.TokensPage(v))
	}
	if !ok {
		return refuse("Name the token after the system that uses it (at most 80 characters).")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	err := db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		t, err := q.CreateAPIToken(ctx, db.CreateAPITokenParams{Name: name, TokenHash: auth.TokenHash(secret), CreatedBy: &p.UserID})
		if db.IsUniqueViolation(err, "api_tokens_name_key") {
			return errTokenNameTaken
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "api_token.create", SubjectType: "api_token", SubjectID: t.ID.String(),
			After: map[string]any{"name": name}})
	})
	if errors.Is(err, errTokenNameTaken) {
		// The audit log names a token by its name: one name, one token, revoked or not.
		return refuse("A token is already named so (a revoked token keeps its name): choose another name.")
	}
	if err != nil {
		return err
	}
	v, err := h.view(ctx, nil, "")
	if err != nil {
		return err
	}
	v.NewSecret, v.NewName = secret, name
	return h.R.Page(w, r, http.StatusOK, "API tokens", web.TokensPage(v))
}

// Revoke ends a token at once.
func (h *TokensHandler) Revoke(w http.ResponseWriter, r *http.Request) error {
	if err := httpx.ParseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "No such token.")
	}
	p := auth.PrincipalFrom(ctx)
	err = db.Transact(ctx, h.Pool, func(q *db.Queries, _ pgx.Tx) error {
		t, err := q.RevokeAPIToken(ctx, id)
		if db.IsNotFound(err) {
			return apperr.New(apperr.NotFound, "No such token, or it is revoked already.")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, audit.Event{Actor: p.Actor(), Action: "api_token.revoke", SubjectType: "api_token", SubjectID: id.String(),
			After: map[string]any{"name": t.Name}})
	})
	if err != nil {
		return err
	}
	httpx.SetFlash(w, "ok", "The token is revoked.")
	return httpx.Redirect(w, r, "/admin/api-tokens")
}
