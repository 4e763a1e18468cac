package ratelimit

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"time"
)

// DefaultMaxKeys is the MaxKeys a Memory uses when MemoryConfig.MaxKeys is 0.
// At roughly 100 bytes per key it is about 10 MB.
const DefaultMaxKeys = 100_000

// MemoryConfig configures NewMemory. The zero value is ready to use.
type MemoryConfig struct {
	// MaxKeys bounds how many keys are tracked at once; ≤ 0 means
	// DefaultMaxKeys. See Memory for what happens when it is reached.
	MaxKeys int
	// Clock returns the current time; nil means time.Now. Tests pass a fake
	// clock to check exact GCRA arithmetic.
	Clock func() time.Time
}

// Memory is a Limiter that keeps state in the process, using GCRA (see the
// package documentation). It suits a single instance or limits that need not
// be shared; for a budget shared by several instances use
// ratelimit/redisrate.
//
// Memory is safe for concurrent use. Keys are spread over shards, each with
// its own mutex, so unrelated keys rarely contend.
//
// Memory never holds more than MaxKeys keys. A key whose bucket is full
// again carries no information and is dropped whenever its shard needs
// room. When a shard is full of keys that are all still limited, Memory
// evicts the ones closest to expiry, i.e. those that owe the least: an
// attacker flooding distinct keys (one request each) only evicts other
// nearly-fresh keys, while the keys under sustained attack, being deepest in
// debt, are kept. The alternatives were worse: refusing untracked keys lets a
// flood lock out every new user, and allowing them untracked lets the flood
// disable limiting for the very key being attacked.
type Memory struct {
	clock  func() time.Time
	base   time.Time // times are kept as offsets from base; see now
	seed   maphash.Seed
	mask   uint64
	shards []memShard
}

type memShard struct {
	mu      sync.Mutex
	tat     map[string]int64 // key → theoretical arrival time, ns after Memory.base
	cap     int
	scratch []int64  // reused by makeRoom
	_       [64]byte // keeps neighbouring shards' mutexes off one cache line
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns an empty in-memory limiter.
func NewMemory(cfg MemoryConfig) *Memory {
	maxKeys := cfg.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	// 64 shards remove most contention; fewer when MaxKeys is small so each
	// shard still holds enough keys for "closest to expiry" to mean something.
	n := 64
	for n > 1 && maxKeys/n < 64 {
		n /= 2
	}
	m := &Memory{
		clock: clock,
		base:  clock(),
		// A per-limiter random seed so an attacker cannot aim keys at one
		// shard and evict a victim's state.
		seed:   maphash.MakeSeed(),
		mask:   uint64(n - 1),
		shards: make([]memShard, n),
	}
	for i := range m.shards {
		m.shards[i].cap = maxKeys / n
		m.shards[i].tat = make(map[string]int64)
	}
	return m
}

// now returns the time as nanoseconds after m.base. Subtracting time.Times
// uses the monotonic clock when both carry one, so a wall-clock step (NTP,
// suspend) neither frees nor freezes every limited key.
func (m *Memory) now() int64 { return int64(m.clock().Sub(m.base)) }

func (m *Memory) shard(key string) *memShard {
	return &m.shards[maphash.String(m.seed, key)&m.mask]
}

// Allow implements Limiter. It fails only for a done ctx or an invalid l.
func (m *Memory) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if err := l.Validate(); err != nil {
		return Result{}, err
	}
	interval, tau := int64(l.Interval()), int64(l.BurstSize())*int64(l.Interval())
	now := m.now()
	s := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	tat, known := s.tat[key]
	if !known {
		tat = now
	}
	newTAT, r := gcra(tat, now, interval, tau)
	if r.Allowed {
		if !known && len(s.tat) >= s.cap {
			s.makeRoom(now)
		}
		s.tat[key] = newTAT
	}
	return r, nil
}

// Reset implements Limiter. It fails only for a done ctx.
func (m *Memory) Reset(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s := m.shard(key)
	s.mu.Lock()
	delete(s.tat, key)
	s.mu.Unlock()
	return nil
}

// size returns how many keys are tracked.
func (m *Memory) size() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

// gcra applies one request at now to a key whose theoretical arrival time is
// tat, under emission interval and tolerance tau = burst·interval. It returns
// the TAT to store if the request is allowed. All values are nanoseconds on
// one time line; Validate guarantees the sums do not overflow.
func gcra(tat, now, interval, tau int64) (int64, Result) {
	tat = max(tat, now)
	newTAT := tat + interval
	if allowAt := newTAT - tau; now < allowAt {
		return tat, Result{
			RetryAfter: time.Duration(allowAt - now),
			ResetAfter: time.Duration(tat - now),
		}
	}
	return newTAT, Result{
		Allowed:    true,
		Remaining:  int((tau - (newTAT - now)) / interval),
		ResetAfter: time.Duration(newTAT - now),
	}
}

// makeRoom frees at least one slot in a full shard; s.mu must be held. It
// first drops keys whose bucket is full again (they carry no state), then, if
// that freed less than an eighth of the shard, evicts the keys closest to
// expiry down to 7/8 full. Freeing a batch keeps the O(n log n) pass rare:
// amortised over the inserts it makes room for, it costs O(log n) each.
func (s *memShard) makeRoom(now int64) {
	for k, t := range s.tat {
		if t <= now {
			delete(s.tat, k)
		}
	}
	target := min(s.cap-s.cap/8, s.cap-1)
	excess := len(s.tat) - target
	if excess <= 0 {
		return
	}
	s.scratch = s.scratch[:0]
	for _, t := range s.tat {
		s.scratch = append(s.scratch, t)
	}
	slices.Sort(s.scratch)
	threshold := s.scratch[excess-1]
	for k, t := range s.tat {
		if excess == 0 {
			break
		}
		if t <= threshold {
			delete(s.tat, k)
			excess--
		}
	}
}
