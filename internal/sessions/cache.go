package sessions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"

	"kycdesk/internal/db"
)

// channel is where PostgreSQL announces a change to a session or its user (migration 00018).
const channel = "kycdesk_sessions"

// cacheTTL bounds how long a looked-up session is used without reading it again. The
// announcements end it at once; this bound is for a listening connection that died without
// saying so (a network cut), whose announcements are lost.
const cacheTTL = 15 * time.Second

// cache holds the live sessions this instance looked up, while it is listening for changes: every
// page of a signed-in user reads its session, and on a busy queue that lookup was a tenth of the
// app's work. Nothing is cached while the listening connection is down (a change could be
// missed), and everything is forgotten when it comes back.
type cache struct {
	mu      sync.Mutex
	live    bool // listening: announcements arrive
	gen     uint64
	entries map[uuid.UUID]cached
	swept   time.Time
	waiters map[string]chan struct{} // Sync's markers not yet seen
}

type cached struct {
	row db.GetLiveSessionRow
	at  time.Time
}

// get returns the cached session id if it is still live by its own times at now.
func (c *cache) get(id uuid.UUID, now time.Time, idle time.Duration) (db.GetLiveSessionRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || !c.live {
		return db.GetLiveSessionRow{}, false
	}
	if now.Sub(e.at) >= cacheTTL || !now.Before(e.row.ExpiresAt) || now.Sub(e.row.LastSeenAt) >= idle {
		delete(c.entries, id)
		return db.GetLiveSessionRow{}, false
	}
	return e.row, true
}

// generation is taken before a lookup and given back to put: a change announced meanwhile makes
// put drop the row it read, which may predate the change.
func (c *cache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *cache) put(row db.GetLiveSessionRow, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || gen != c.gen {
		return
	}
	if c.entries == nil {
		c.entries = map[uuid.UUID]cached{}
	}
	if now.Sub(c.swept) > cacheTTL { // drop the entries of sessions no longer in use
		for id, e := range c.entries {
			if now.Sub(e.at) >= cacheTTL {
				delete(c.entries, id)
			}
		}
		c.swept = now
	}
	c.entries[row.ID] = cached{row: row, at: now}
}

// forget drops the sessions for which drop is true (all when drop is nil).
func (c *cache) forget(drop func(db.GetLiveSessionRow) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for id, e := range c.entries {
		if drop == nil || drop(e.row) {
			delete(c.entries, id)
		}
	}
}

// setLive records whether announcements arrive; either way what was cached is forgotten.
func (c *cache) setLive(live bool) {
	c.forget(nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	if !live {
		for marker, ch := range c.waiters { // nothing will come: Sync need not wait
			close(ch)
			delete(c.waiters, marker)
		}
	}
}

// announced applies one announcement: session:<id>, user:<id>, all, or sync:<marker>.
func (c *cache) announced(payload string) {
	kind, arg, _ := strings.Cut(payload, ":")
	switch kind {
	case "session":
		if id, err := uuid.Parse(arg); err == nil {
			c.forget(func(r db.GetLiveSessionRow) bool { return r.ID == id })
			return
		}
	case "user":
		if id, err := uuid.Parse(arg); err == nil {
			c.forget(func(r db.GetLiveSessionRow) bool { return r.UserID == id })
			return
		}
	case "sync":
		c.mu.Lock()
		if ch, ok := c.waiters[arg]; ok {
			close(ch)
			delete(c.waiters, arg)
		}
		c.mu.Unlock()
		return
	}
	c.forget(nil) // "all", or one this version does not know: forget everything
}

// ForgetSession drops a session from this instance's cache at once (every instance forgets it
// when the change is announced; this one must not answer its next request from memory first).
func (s *Store) ForgetSession(id uuid.UUID) {
	s.cache.forget(func(r db.GetLiveSessionRow) bool { return r.ID == id })
}

// ForgetUser drops all of a user's sessions from this instance's cache at once; see ForgetSession.
func (s *Store) ForgetUser(id uuid.UUID) {
	s.cache.forget(func(r db.GetLiveSessionRow) bool { return r.UserID == id })
}

// Listen keeps a connection of its own listening for announced changes to sessions and users
// until ctx ends, reconnecting after a failure; sessions are cached only while it listens. onError
// hears of a lost connection.
func (s *Store) Listen(ctx context.Context, onError func(error)) {
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, s.Pool.Config().ConnConfig.Copy())
		},
		LogError: func(ctx context.Context, err error) {
			s.cache.setLive(false)
			if onError != nil && ctx.Err() == nil {
				onError(err)
			}
		},
		ReconnectDelay: 2 * time.Second,
	}
	l.Handle(channel, listenHandler{&s.cache})
	_ = l.Listen(ctx)
	s.cache.setLive(false)
}

type listenHandler struct{ c *cache }

func (h listenHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	h.c.announced(n.Payload)
	return nil
}

// HandleBacklog runs once the connection listens: from now on no change goes unheard.
func (h listenHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.c.setLive(true)
	return nil
}

// Sync returns once this instance has heard every change committed before it was called (it
// announces a marker and waits for it), or at once when it is not listening. A change made
// outside kycdesk's own code (a test, an operator's SQL) is then seen by the next request.
func (s *Store) Sync(ctx context.Context) error {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	marker := hex.EncodeToString(b)
	ch := make(chan struct{})
	s.cache.mu.Lock()
	if !s.cache.live {
		s.cache.mu.Unlock()
		return nil
	}
	if s.cache.waiters == nil {
		s.cache.waiters = map[string]chan struct{}{}
	}
	s.cache.waiters[marker] = ch
	s.cache.mu.Unlock()
	err := db.New(s.Pool).AnnounceSessionChange(ctx, "sync:"+marker)
	if err == nil {
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	s.cache.mu.Lock()
	delete(s.cache.waiters, marker)
	s.cache.mu.Unlock()
	return fmt.Errorf("sessions: sync: %w", err)
}
