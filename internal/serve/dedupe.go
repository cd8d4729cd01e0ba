package serve

import (
	"sync"
	"time"
)

// seen remembers keys for a while, up to a bound: delivery ids GitHub
// sends once each (a replay is refused), and answers given (a duplicate
// request is answered once). The oldest key goes first when it is full.
type seen struct {
	mu    sync.Mutex
	ttl   time.Duration
	max   int
	at    map[string]time.Time
	order []string
}

func newSeen(max int, ttl time.Duration) *seen {
	return &seen{ttl: ttl, max: max, at: map[string]time.Time{}}
}

// add records key at now and reports whether it was new.
func (s *seen) add(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.at[key]; ok && now.Sub(t) < s.ttl {
		return false
	}
	for len(s.order) > 0 && (len(s.order) >= s.max || now.Sub(s.at[s.order[0]]) >= s.ttl) {
		delete(s.at, s.order[0])
		s.order = s.order[1:]
	}
	s.at[key] = now
	s.order = append(s.order, key)
	return true
}

// forget removes key (an answer that could not be given).
func (s *seen) forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.at, key)
}
