// Package tokencache remembers verified tokens for as long as a verifier
// would accept them, so that a token seen again costs a map lookup instead
// of a signature check. It is bounded in entries and in an estimate of the
// bytes it holds, and forgets what has expired when it fills (everything,
// when nothing has): a token it no longer holds is simply verified again.
package tokencache

import (
	"sync"
	"time"
)

// Cache maps tokens to what verifying them gave (V).
type Cache[V any] struct {
	mu       sync.RWMutex
	m        map[string]entry[V]
	max      int
	maxBytes int
	bytes    int
}

type entry[V any] struct {
	v           V
	from, until time.Time
	size        int
}

// New returns a cache of at most maxEntries tokens and an estimated
// maxBytes.
func New[V any](maxEntries, maxBytes int) *Cache[V] {
	return &Cache[V]{m: make(map[string]entry[V]), max: maxEntries, maxBytes: maxBytes}
}

// Get returns what tok was cached with, when now is within the window it
// was cached for.
func (c *Cache[V]) Get(tok string, now time.Time) (v V, ok bool) {
	c.mu.RLock()
	e, ok := c.m[tok]
	c.mu.RUnlock()
	if !ok || now.Before(e.from) || !now.Before(e.until) {
		return v, false
	}
	return e.v, true
}

// Put caches v for tok, valid from from until until, counting size bytes
// against the bound.
func (c *Cache[V]) Put(tok string, v V, from, until time.Time, size int, now time.Time) {
	e := entry[V]{v: v, from: from, until: until, size: size}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[tok]; ok {
		c.bytes -= old.size
		delete(c.m, tok)
	}
	if len(c.m) >= c.max || c.bytes+size > c.maxBytes {
		for k, old := range c.m {
			if !now.Before(old.until) {
				c.bytes -= old.size
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max || c.bytes+size > c.maxBytes {
			clear(c.m)
			c.bytes = 0
		}
	}
	c.m[tok] = e
	c.bytes += size
}

// Len is the number of tokens held.
func (c *Cache[V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// Bytes is the estimate of what the cache holds.
func (c *Cache[V]) Bytes() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.bytes
}
