package botcheck

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"
)

// ReplayGuard remembers used one-time ids so that each is accepted once.
//
// Use records id as used until the given time and reports whether it was
// fresh (not already recorded with a later-than-now expiry). It must be atomic:
// of many concurrent calls with the same id, exactly one reports fresh. After
// until has passed an implementation may forget id; PoW challenges are
// refused by their own expiry from then on. A non-nil error means the guard
// could not decide, and callers fail closed. Implementations shared across
// instances are typically a conditional insert (SQL INSERT … ON CONFLICT DO
// NOTHING, Redis SET NX PX).
type ReplayGuard interface {
	Use(ctx context.Context, id string, until time.Time) (fresh bool, err error)
}

// DefaultReplayGuardEntries is MemoryReplayGuardConfig.MaxEntries when zero.
const DefaultReplayGuardEntries = 100_000

// MemoryReplayGuardConfig configures [NewMemoryReplayGuard].
type MemoryReplayGuardConfig struct {
	// MaxEntries bounds memory: at most this many unexpired ids are
	// remembered (roughly 100 bytes each). Zero means
	// DefaultReplayGuardEntries. Size it above peak accepted challenges per
	// TTL (the default allows about 330 per second with the 5-minute TTL).
	MaxEntries int
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

// MemoryReplayGuard is an in-process [ReplayGuard] for a single instance:
// a map of used ids plus a min-heap by expiry, so expired ids are evicted on
// every call in O(log n) each. It is safe for concurrent use.
//
// When MaxEntries unexpired ids are held, Use fails with an error matching
// ErrUnavailable rather than forgetting an unexpired id: forgetting would let
// an attacker who fills the guard replay solutions for free. Several
// instances behind a load balancer need a shared guard instead.
type MemoryReplayGuard struct {
	max   int
	clock func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time
	exp  expiryHeap
}

var _ ReplayGuard = (*MemoryReplayGuard)(nil)

// NewMemoryReplayGuard returns an empty guard. A negative MaxEntries is
// treated as zero (the default).
func NewMemoryReplayGuard(cfg MemoryReplayGuardConfig) *MemoryReplayGuard {
	g := &MemoryReplayGuard{max: cfg.MaxEntries, clock: cfg.Clock, seen: make(map[string]time.Time)}
	if g.max <= 0 {
		g.max = DefaultReplayGuardEntries
	}
	if g.clock == nil {
		g.clock = time.Now
	}
	return g
}

// Use implements [ReplayGuard]. An id whose until is not after now is
// reported fresh and not stored (there is nothing to protect). ctx is unused.
func (g *MemoryReplayGuard) Use(_ context.Context, id string, until time.Time) (bool, error) {
	if id == "" {
		return false, fmt.Errorf("%w: empty replay id", ErrInvalid)
	}
	now := g.clock()
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.exp) > 0 && !g.exp[0].until.After(now) {
		e := heap.Pop(&g.exp).(expiryEntry)
		if u, ok := g.seen[e.id]; ok && u.Equal(e.until) {
			delete(g.seen, e.id)
		}
	}
	if u, ok := g.seen[id]; ok && u.After(now) {
		return false, nil
	}
	if !until.After(now) {
		return true, nil
	}
	if len(g.seen) >= g.max {
		return false, fmt.Errorf("%w: memory replay guard full (%d entries)", ErrUnavailable, g.max)
	}
	g.seen[id] = until
	heap.Push(&g.exp, expiryEntry{id: id, until: until})
	return true, nil
}

// Len reports how many ids are currently remembered (expired ones included
// until the next Use evicts them).
func (g *MemoryReplayGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.seen)
}

type expiryEntry struct {
	id    string
	until time.Time
}

type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
