package sessions

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ListenTo makes Listen listen on another database's connection, where nothing is heard (tests).
func ListenTo(s *Store, cfg *pgx.ConnConfig) { s.listenTo = cfg }

// Cached reports whether the store holds the session in its cache (tests).
func Cached(s *Store, id uuid.UUID) bool {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	_, ok := s.cache.entries[id]
	return ok
}

// Listening reports whether the store caches sessions: its listener is connected (tests).
func Listening(s *Store) bool {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.live
}

// Deaf makes the store cache sessions as though it listened, though it hears nothing (tests: what
// the instance forgets by itself).
func Deaf(s *Store) {
	s.cache.connect(true)
	_, epoch, _ := s.cache.state()
	s.cache.beat(epoch, true)
}
