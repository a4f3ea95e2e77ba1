package db

import "sync"

// Heard is what an instance has heard PostgreSQL announce about the reads it keeps between
// requests (sessions.Store.Heard). While Live, a read kept at generation Users (the users) or
// Counts (the cases' status counters) is still right as long as that generation has not moved:
// each moves when a change is announced, when the instance commits a change itself, and when it
// stops hearing (then Live is false and nothing is kept).
type Heard struct {
	Live          bool
	Users, Counts uint64
}

// Kept is one read an instance keeps between requests while nothing announced says it changed:
// every queue page shows the tab counts and the users a case may be assigned to, which change far
// more rarely than the page is read. The zero value keeps nothing yet; a value it holds is shared
// by the requests that get it and must not be modified.
type Kept[T any] struct {
	mu  sync.Mutex
	ok  bool
	gen uint64
	val T
}

// Get returns the kept value when it was read at generation gen while live, or else reads it
// (read) and keeps it at gen. gen is taken before the read: a change announced during the read
// moves the generation, and the next Get reads again.
func (k *Kept[T]) Get(live bool, gen uint64, read func() (T, error)) (T, error) {
	if live {
		k.mu.Lock()
		if k.ok && k.gen == gen {
			v := k.val
			k.mu.Unlock()
			return v, nil
		}
		k.mu.Unlock()
	}
	v, err := read()
	if err != nil || !live {
		return v, err
	}
	k.mu.Lock()
	if !k.ok || gen >= k.gen { // never over a read made at a later generation
		k.ok, k.gen, k.val = true, gen, v
	}
	k.mu.Unlock()
	return v, nil
}
