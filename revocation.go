package latch

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Broadcaster carries messages to every instance of the application: in
// strict mode, the IDs of revoked sessions, so that each instance refuses
// their tokens within about a second instead of when they expire.
// pgstore.Store (PostgreSQL LISTEN/NOTIFY) and redisbroadcast.Broadcaster
// (Redis pub/sub) implement it.
type Broadcaster interface {
	// Publish sends msg to every subscriber, this instance included.
	Publish(ctx context.Context, msg string) error
	// Subscribe calls fn with each message published after it has started
	// listening, until ctx is done; it returns when ctx is done or the
	// connection fails for good. ready is closed once it is listening.
	Subscribe(ctx context.Context, ready chan<- struct{}, fn func(msg string)) error
}

// revokedSet holds the IDs of sessions revoked in the last token lifetime,
// so their still-valid tokens are refused. Reads (every authenticated
// request) load an immutable map without locking; writes (revocations, rare)
// copy it.
type revokedSet struct {
	ttl time.Duration
	now func() time.Time
	mu  sync.Mutex // serialises writers
	m   atomic.Pointer[map[string]time.Time]
}

func newRevokedSet(ttl time.Duration, now func() time.Time) *revokedSet {
	s := &revokedSet{ttl: ttl, now: now}
	s.m.Store(&map[string]time.Time{})
	return s
}

func (s *revokedSet) has(sid string) bool {
	m := *s.m.Load()
	if len(m) == 0 {
		return false
	}
	_, ok := m[sid]
	return ok
}

// add records sids, dropping entries whose tokens have all expired.
func (s *revokedSet) add(sids ...string) {
	if len(sids) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	old := *s.m.Load()
	m := make(map[string]time.Time, len(old)+len(sids))
	for k, until := range old {
		if now.Before(until) {
			m[k] = until
		}
	}
	for _, sid := range sids {
		m[sid] = now.Add(s.ttl)
	}
	s.m.Store(&m)
}

// revoke makes the sessions' tokens invalid on this instance now and, in
// strict mode, on every other instance.
func (a *Auth) revoke(ctx context.Context, sids ...string) {
	if len(sids) == 0 {
		return
	}
	a.revoked.add(sids...)
	if b := a.cfg.Session.Broadcaster; b != nil {
		for _, sid := range sids {
			if err := b.Publish(ctx, revocationPrefix+sid); err != nil {
				// The session is ended in the store, so other instances
				// refuse it at their next refresh: within TokenLifetime.
				a.cfg.Logger.ErrorContext(ctx, "latch: broadcasting a revocation", "session_id", sid, "err", err)
			}
		}
	}
}

const revocationPrefix = "revoke:"

// listen applies revocations broadcast by other instances until ctx ends,
// reconnecting after failures.
func (a *Auth) listen(ctx context.Context, ready chan struct{}) {
	b := a.cfg.Session.Broadcaster
	once := sync.Once{}
	for ctx.Err() == nil {
		r := make(chan struct{})
		go func() {
			select {
			case <-r:
				once.Do(func() { close(ready) })
			case <-ctx.Done():
			}
		}()
		err := b.Subscribe(ctx, r, func(msg string) {
			if len(msg) > len(revocationPrefix) && msg[:len(revocationPrefix)] == revocationPrefix {
				a.revoked.add(msg[len(revocationPrefix):])
			}
			if len(msg) > len(stalePrefix) && msg[:len(stalePrefix)] == stalePrefix {
				a.applyStale(msg)
			}
		})
		if ctx.Err() != nil {
			return
		}
		a.cfg.Logger.ErrorContext(ctx, "latch: revocation listener stopped; reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
