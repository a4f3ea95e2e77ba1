package sessions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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

// channel is where PostgreSQL announces a change to a session or its user (migration 00018), and
// a new user (migration 00021).
const channel = "kycdesk_sessions"

// countsChannel is where PostgreSQL announces a change to the cases' status counters (migration
// 00021).
const countsChannel = "kycdesk_counts"

// cacheTTL bounds how long a looked-up session is used without reading it again; the
// announcements end it sooner.
const cacheTTL = 15 * time.Second

// The heartbeat: every beatEvery the listener must hear a marker announced through the pool
// within beatWait, or nothing is cached until it does. It catches a listening connection that
// died without saying so (a network cut) and one that cannot hear at all (a pooler in
// transaction mode between kycdesk and PostgreSQL).
const (
	beatEvery = 5 * time.Second
	beatWait  = 3 * time.Second
)

// cache holds the live sessions this instance looked up, while it hears the announced changes:
// every page of a signed-in user reads its session, and on a busy queue that lookup was a tenth
// of the app's work. Nothing is cached while the listening connection is down or its heartbeat
// is late (a change could be missed), and everything is forgotten when that happens.
type cache struct {
	mu        sync.Mutex
	connected bool   // the listening connection listens
	epoch     uint64 // counts the listening connections made
	live      bool   // connected and its heartbeat heard: sessions may be cached
	gen       uint64
	entries   map[uuid.UUID]cached
	swept     time.Time
	waiters   map[string]chan bool // markers announced, not yet heard: true when heard, false when lost
	// The generations of the other reads kept while listening (db.Heard): users moves with any
	// user's change, counts with the status counters', both whenever everything is forgotten.
	users, counts uint64
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
	c.forgetLocked(drop)
}

func (c *cache) forgetLocked(drop func(db.GetLiveSessionRow) bool) {
	c.gen++
	if drop == nil {
		c.users++
		c.counts++
	}
	for id, e := range c.entries {
		if drop == nil || drop(e.row) {
			delete(c.entries, id)
		}
	}
}

// connect records that the listening connection came up (listening) or went down: either way
// nothing is cached until a heartbeat is heard on it.
func (c *cache) connect(up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgetLocked(nil)
	c.connected, c.live = up, false
	c.epoch++
	if !up {
		for marker, ch := range c.waiters { // they will not be heard
			ch <- false
			delete(c.waiters, marker)
		}
	}
}

// beat records whether the heartbeat begun on connection epoch was heard.
func (c *cache) beat(epoch uint64, heard bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = heard && c.connected && c.epoch == epoch
	if !c.live {
		c.forgetLocked(nil)
	}
}

func (c *cache) state() (connected bool, epoch uint64, live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.connected, c.epoch, c.live
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
			c.mu.Lock()
			c.users++
			c.forgetLocked(func(r db.GetLiveSessionRow) bool { return r.UserID == id })
			c.mu.Unlock()
			return
		}
	case "sync":
		c.mu.Lock()
		if ch, ok := c.waiters[arg]; ok {
			ch <- true
			delete(c.waiters, arg)
		}
		c.mu.Unlock()
		return
	}
	c.forget(nil) // "all", or one this version does not know: forget everything
}

// Heard says what this instance has heard announced, for the reads it keeps between requests
// (db.Kept): nothing is kept while it does not listen.
func (s *Store) Heard() db.Heard {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return db.Heard{Live: s.cache.live, Users: s.cache.users, Counts: s.cache.counts}
}

// Wrote records that this instance has committed a change (a request other than GET or HEAD is
// answering): every instance hears of it when PostgreSQL announces it, an instant after the
// commit, but this one must not answer its own user's next page from an older read first.
func (s *Store) Wrote() {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	s.cache.users++
	s.cache.counts++
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
// until ctx ends, reconnecting after a failure, and checks it hears them (the heartbeat):
// sessions are cached only meanwhile. onError hears of a lost connection or a late heartbeat.
func (s *Store) Listen(ctx context.Context, onError func(error)) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	report := func(err error) {
		if onError != nil && ctx.Err() == nil {
			onError(err)
		}
	}
	up := make(chan struct{}, 1)
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			if s.listenTo != nil {
				return pgx.ConnectConfig(ctx, s.listenTo.Copy())
			}
			return pgx.ConnectConfig(ctx, s.Pool.Config().ConnConfig.Copy())
		},
		LogError: func(_ context.Context, err error) {
			s.cache.connect(false)
			report(err)
		},
		ReconnectDelay: 2 * time.Second,
	}
	l.Handle(channel, listenHandler{c: &s.cache, up: up})
	l.Handle(countsChannel, countsHandler{c: &s.cache})
	go s.heartbeat(ctx, up, report)
	_ = l.Listen(ctx)
	s.cache.connect(false)
}

// heartbeat announces a marker every beatEvery (and as soon as the connection listens) and
// caches sessions only while each is heard within beatWait.
func (s *Store) heartbeat(ctx context.Context, up <-chan struct{}, report func(error)) {
	t := time.NewTicker(beatEvery)
	defer t.Stop()
	var reported uint64 // the connection whose failed heartbeat was last reported
	for {
		select {
		case <-ctx.Done():
			return
		case <-up:
		case <-t.C:
		}
		connected, epoch, live := s.cache.state()
		if !connected {
			continue
		}
		wait, cancel := context.WithTimeout(ctx, beatWait)
		heard, err := s.announce(wait)
		cancel()
		if err == nil && !heard {
			err = errors.New("the announcement was not heard")
		}
		s.cache.beat(epoch, err == nil)
		// Said once per connection: when a live one goes deaf, or when one never hears at all
		// (a pooler in transaction mode), else nobody would learn why nothing is cached.
		if err != nil && (live || reported != epoch) {
			reported = epoch
			report(fmt.Errorf("heartbeat: %w", err))
		}
	}
}

type listenHandler struct {
	c  *cache
	up chan<- struct{}
}

func (h listenHandler) HandleNotification(_ context.Context, n *pgconn.Notification, _ *pgx.Conn) error {
	h.c.announced(n.Payload)
	return nil
}

// countsHandler hears of changes to the status counters. It needs no backlog: nothing is kept
// until a heartbeat is heard, and the listener hears nothing before it listens on every channel.
type countsHandler struct{ c *cache }

func (h countsHandler) HandleNotification(context.Context, *pgconn.Notification, *pgx.Conn) error {
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	h.c.counts++
	return nil
}

// HandleBacklog runs once the connection listens: from now on no change goes unheard.
func (h listenHandler) HandleBacklog(context.Context, string, *pgx.Conn) error {
	h.c.connect(true)
	select {
	case h.up <- struct{}{}: // a heartbeat now
	default:
	}
	return nil
}

// announce announces a marker through the pool and waits until the listener hears it: it has
// then heard every change committed before. heard is false when the connection was lost first.
func (s *Store) announce(ctx context.Context) (heard bool, err error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	marker := hex.EncodeToString(b)
	ch := make(chan bool, 1)
	s.cache.mu.Lock()
	if s.cache.waiters == nil {
		s.cache.waiters = map[string]chan bool{}
	}
	s.cache.waiters[marker] = ch
	s.cache.mu.Unlock()
	err = db.New(s.Pool).AnnounceSessionChange(ctx, "sync:"+marker)
	if err == nil {
		select {
		case heard = <-ch:
			return heard, nil
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	s.cache.mu.Lock()
	delete(s.cache.waiters, marker)
	s.cache.mu.Unlock()
	return false, err
}

// Sync returns once this instance has heard every change committed before it was called, or at
// once when it caches nothing. A change made outside kycdesk's own code (a test, an operator's
// SQL) is then seen by the next request.
func (s *Store) Sync(ctx context.Context) error {
	if _, _, live := s.cache.state(); !live {
		return nil
	}
	if _, err := s.announce(ctx); err != nil {
		return fmt.Errorf("sessions: sync: %w", err)
	}
	return nil // heard, or the connection was lost and the cache emptied
}
