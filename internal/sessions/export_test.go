package sessions

import "github.com/google/uuid"

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
func Deaf(s *Store) { s.cache.setLive(true) }
