package tokencache

import (
	"strings"
	"testing"
	"time"
)

// A flood of large tokens cannot exhaust memory: the cache's estimate of
// what it holds stays within its byte bound, and agrees with its entries.
func TestHugeTokensCannotGrowTheCachePastItsBound(t *testing.T) {
	c := New[int](1<<14, 64<<10)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		tok := strings.Repeat("t", 2000) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		c.Put(tok, i, now.Add(-time.Minute), now.Add(time.Minute), 2*len(tok)+1024, now)
		if c.Bytes() > 64<<10 {
			t.Fatalf("after %d puts the cache holds an estimated %d bytes, over its bound", i+1, c.Bytes())
		}
		if v, ok := c.Get(tok, now); !ok || v != i {
			t.Fatal("the token just put is not cached")
		}
	}
	n := 0
	for _, e := range c.m {
		n += e.size
	}
	if c.bytes != n {
		t.Errorf("the cache counts %d bytes, its entries %d", c.bytes, n)
	}
}

// A token is answered only within its window: not before, not after.
func TestWindow(t *testing.T) {
	c := New[string](10, 1<<20)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Put("tok", "s", now, now.Add(time.Minute), 100, now)
	for _, at := range []time.Time{now.Add(-time.Second), now.Add(time.Minute)} {
		if _, ok := c.Get("tok", at); ok {
			t.Errorf("answered at %v", at)
		}
	}
	if v, ok := c.Get("tok", now.Add(30*time.Second)); !ok || v != "s" {
		t.Error("not answered within the window")
	}
}
