package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

type stoppedClock struct{ t time.Time }

func (c *stoppedClock) now() time.Time { return c.t }

// TestMemoryBoundedUnderKeyFlood inserts ten times MaxKeys distinct keys, none
// of which has expired: the limiter must stay within MaxKeys.
func TestMemoryBoundedUnderKeyFlood(t *testing.T) {
	for _, maxKeys := range []int{1, 7, 100, 1000, 10_000, DefaultMaxKeys} {
		t.Run(strconv.Itoa(maxKeys), func(t *testing.T) {
			if maxKeys > 10_000 && testing.Short() {
				t.Skip("a million inserts; skipped in -short")
			}
			c := &stoppedClock{t: time.Unix(1_700_000_000, 0)}
			m := NewMemory(MemoryConfig{MaxKeys: maxKeys, Clock: c.now})
			lim := PerHour(10)
			for i := range 10 * maxKeys {
				r, err := m.Allow(context.Background(), "ip:"+strconv.Itoa(i), lim)
				if err != nil || !r.Allowed {
					t.Fatalf("new key %d: %+v, %v; want allowed", i, r, err)
				}
				if i%97 == 0 {
					if n := m.size(); n > maxKeys {
						t.Fatalf("after %d keys: %d tracked, want ≤ %d", i+1, n, maxKeys)
					}
				}
			}
			if n := m.size(); n > maxKeys || n == 0 {
				t.Fatalf("%d keys tracked, want 1..%d", n, maxKeys)
			}
		})
	}
}

// TestKeyFloodDoesNotResetLimitedKey is the attack eviction must not enable:
// an attacker locks an account out of guesses, then sprays distinct keys to
// push the account's state out of memory and get a fresh budget.
func TestKeyFloodDoesNotResetLimitedKey(t *testing.T) {
	c := &stoppedClock{t: time.Unix(1_700_000_000, 0)}
	const maxKeys = 1000
	m := NewMemory(MemoryConfig{MaxKeys: maxKeys, Clock: c.now})
	ctx := context.Background()
	lim := PerHour(100)
	for {
		r, err := m.Allow(ctx, "signin:acct:victim", lim)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Allowed {
			break
		}
	}
	for i := range 20 * maxKeys {
		c.t = c.t.Add(time.Millisecond) // the flood keeps coming as time passes
		if _, err := m.Allow(ctx, "signin:acct:spray"+strconv.Itoa(i), lim); err != nil {
			t.Fatal(err)
		}
	}
	if r, _ := m.Allow(ctx, "signin:acct:victim", lim); r.Allowed {
		t.Fatalf("victim's exhausted key was evicted by a flood of %d keys", 20*maxKeys)
	}
}

// TestMemoryDropsExpiredKeysFirst checks that keys whose bucket has refilled
// are swept before any still-limited key is evicted.
func TestMemoryDropsExpiredKeysFirst(t *testing.T) {
	c := &stoppedClock{t: time.Unix(1_700_000_000, 0)}
	m := NewMemory(MemoryConfig{MaxKeys: 64, Clock: c.now})
	ctx := context.Background()
	if len(m.shards) != 1 {
		t.Fatalf("%d shards, want 1 for 64 keys", len(m.shards))
	}
	short := Limit{Rate: 1, Period: time.Second}
	long := Limit{Rate: 1, Period: time.Hour}
	for i := range 32 {
		if _, err := m.Allow(ctx, "short"+strconv.Itoa(i), short); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Allow(ctx, "long"+strconv.Itoa(i), long); err != nil {
			t.Fatal(err)
		}
	}
	c.t = c.t.Add(time.Second) // every "short" key is full again
	if _, err := m.Allow(ctx, "new", long); err != nil {
		t.Fatal(err)
	}
	if n := m.size(); n != 33 {
		t.Fatalf("%d keys after the sweep, want the 32 long ones + 1 new", n)
	}
	for i := range 32 {
		if r, _ := m.Allow(ctx, "long"+strconv.Itoa(i), long); r.Allowed {
			t.Fatalf("long%d was evicted while expired keys were available", i)
		}
	}
}
