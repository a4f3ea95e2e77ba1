// Package sessions signs people in and out and keeps their sessions in PostgreSQL. The cookie
// carries a session id and a secret; the database keeps only the secret's SHA-256, so sessions
// survive restarts, work across several instances, and can be listed and revoked.
package sessions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	gsessions "github.com/gorilla/sessions"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"kycdesk/internal/db"
)

// CookieName is the session cookie's name.
const CookieName = "kycdesk_session"

// userIDKey is the session value holding the signed-in user's id.
const userIDKey = "user_id"

// touchEvery limits how often a request writes last_seen_at.
const touchEvery = time.Minute

// Store is a gorilla/sessions Store backed by the sessions table.
type Store struct {
	Pool     *pgxpool.Pool
	Idle     time.Duration
	Lifetime time.Duration
	// Secure forces the cookie's Secure flag; it is also set on any request that came over TLS.
	Secure bool

	cache    cache           // the sessions looked up lately, while Listen runs
	listenTo *pgx.ConnConfig // where Listen listens when not the pool's database (tests)
}

var _ gsessions.Store = (*Store)(nil)

// Get returns the request's session, cached for the request by gorilla's registry.
func (s *Store) Get(r *http.Request, name string) (*gsessions.Session, error) {
	return gsessions.GetRegistry(r).Get(s, name)
}

// New returns the live session named by the request's cookie, or a new empty one.
func (s *Store) New(r *http.Request, name string) (*gsessions.Session, error) {
	sess := gsessions.NewSession(s, name)
	sess.Options = s.options(r)
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	row, err := s.Load(r.Context(), c.Value)
	if err != nil || row == nil {
		return sess, err
	}
	sess.ID = row.ID.String()
	sess.IsNew = false
	var vals map[string]any
	if len(row.Data) > 0 {
		if err := json.Unmarshal(row.Data, &vals); err != nil {
			return sess, fmt.Errorf("session data: %w", err)
		}
	}
	for k, v := range vals {
		sess.Values[k] = v
	}
	sess.Values[userIDKey] = row.UserID.String()
	return sess, nil
}

// Save writes the session: a new one gets a row and a cookie (it must carry a user id), an existing
// one its data, and one with MaxAge < 0 is deleted along with its cookie.
func (s *Store) Save(r *http.Request, w http.ResponseWriter, sess *gsessions.Session) error {
	ctx := r.Context()
	q := db.New(s.Pool)
	if sess.Options != nil && sess.Options.MaxAge < 0 {
		if id, err := uuid.Parse(sess.ID); err == nil {
			if err := q.DeleteSession(ctx, id); err != nil {
				return err
			}
			s.ForgetSession(id)
		}
		s.clearCookie(w, r)
		return nil
	}
	data, err := encodeValues(sess.Values)
	if err != nil {
		return err
	}
	if sess.ID != "" {
		id, err := uuid.Parse(sess.ID)
		if err != nil {
			return err
		}
		defer s.ForgetSession(id)
		return q.UpdateSessionData(ctx, db.UpdateSessionDataParams{ID: id, Data: data})
	}
	uidText, _ := sess.Values[userIDKey].(string)
	uid, err := uuid.Parse(uidText)
	if err != nil {
		return errors.New("sessions: a new session needs the user id")
	}
	row, err := s.Create(ctx, q, w, r, uid, "", "")
	if err != nil {
		return err
	}
	sess.ID = row.ID.String()
	return nil
}

// Create starts a session for userID through q (the sign-in transaction) and sets its cookie.
func (s *Store) Create(ctx context.Context, q *db.Queries, w http.ResponseWriter, r *http.Request, userID uuid.UUID, ip, userAgent string) (db.Session, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return db.Session{}, err
	}
	sum := sha256.Sum256(secret)
	if len(userAgent) > 400 {
		userAgent = userAgent[:400]
	}
	row, err := q.CreateSession(ctx, db.CreateSessionParams{
		UserID: userID, SecretHash: sum[:], Data: json.RawMessage(`{}`), IP: ip, UserAgent: userAgent,
		ExpiresAt: time.Now().Add(s.Lifetime),
	})
	if err != nil {
		return db.Session{}, fmt.Errorf("create session: %w", err)
	}
	opts := s.options(r)
	http.SetCookie(w, gsessions.NewCookie(CookieName, row.ID.String()+"."+base64.RawURLEncoding.EncodeToString(secret), opts))
	return row, nil
}

// Load returns the live session a cookie value names, or nil when there is none: unknown id,
// wrong secret, expired, idle too long, or its user disabled.
func (s *Store) Load(ctx context.Context, cookie string) (*db.GetLiveSessionRow, error) {
	idText, secretText, ok := strings.Cut(cookie, ".")
	if !ok {
		return nil, nil
	}
	id, err := uuid.Parse(idText)
	if err != nil {
		return nil, nil
	}
	secret, err := base64.RawURLEncoding.DecodeString(secretText)
	if err != nil || len(secret) != 32 {
		return nil, nil
	}
	now := time.Now()
	row, ok := s.cache.get(id, now, s.Idle)
	if !ok {
		gen := s.cache.generation()
		row, err = db.New(s.Pool).GetLiveSession(ctx, db.GetLiveSessionParams{ID: id, IdleSeconds: s.Idle.Seconds()})
		if db.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("load session: %w", err)
		}
		s.cache.put(row, gen, now)
	}
	sum := sha256.Sum256(secret)
	if subtle.ConstantTimeCompare(sum[:], row.SecretHash) != 1 {
		return nil, nil
	}
	return &row, nil
}

func (s *Store) options(r *http.Request) *gsessions.Options {
	return &gsessions.Options{
		Path: "/", MaxAge: int(s.Lifetime.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.Secure || (r != nil && r.TLS != nil),
	}
}

func (s *Store) clearCookie(w http.ResponseWriter, r *http.Request) {
	opts := s.options(r)
	opts.MaxAge = -1
	http.SetCookie(w, gsessions.NewCookie(CookieName, "", opts))
}

func encodeValues(vals map[any]any) (json.RawMessage, error) {
	m := map[string]any{}
	for k, v := range vals {
		ks, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("sessions: value key %v is not a string", k)
		}
		if ks == userIDKey {
			continue // the user is a column, not data
		}
		m[ks] = v
	}
	return json.Marshal(m)
}

// Sweep deletes sessions that have ended (expired or idle too long).
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	return db.New(s.Pool).DeleteExpiredSessions(ctx, s.Idle.Seconds())
}
