// Package ratelimittest is a conformance suite for ratelimit.Limiter
// implementations: every implementation in Latch runs it unchanged, so they
// are interchangeable. An implementation written outside Latch can run it
// too.
//
// The suite runs on the real clock, because a shared backend such as Redis
// takes time from its own server. It therefore uses limits measured in hours
// where it checks arithmetic (so nothing refills while the test runs and
// timings are checked to within a few seconds) and sleeps briefly only where
// refill itself is under test. Exact arithmetic with a fake clock belongs in
// each implementation's own tests.
package ratelimittest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/ratelimit"
)

// slack is how much real time a subtest may take between the calls whose
// timings it compares, generous for -race and a remote backend.
const slack = 10 * time.Second

// Run runs the conformance suite as subtests of t. newLimiter is called once
// per subtest and must return a Limiter holding no state for any key, or at
// least none visible to other calls (e.g. a fresh Redis key prefix); it may
// use t for t.Cleanup, t.Skip and t.Fatal.
func Run(t *testing.T, newLimiter func(t *testing.T) ratelimit.Limiter) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, l ratelimit.Limiter)
	}{
		{"BurstThenRefusal", testBurstThenRefusal},
		{"BurstDiffersFromRate", testBurstDiffersFromRate},
		{"RefusalDoesNotExtendWait", testRefusalDoesNotExtendWait},
		{"Refill", testRefill},
		{"Reset", testReset},
		{"KeyIsolation", testKeyIsolation},
		{"ConcurrentRequestsOnOneKey", testConcurrent},
		{"InvalidLimitIsAnError", testInvalidLimit},
		{"CancelledContextIsAnError", testCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newLimiter(t)) })
	}
}

func allow(t *testing.T, l ratelimit.Limiter, key string, lim ratelimit.Limit) ratelimit.Result {
	t.Helper()
	r, err := l.Allow(context.Background(), key, lim)
	if err != nil {
		t.Fatalf("Allow(%q, %+v): %v", key, lim, err)
	}
	return r
}

// within fails t unless want-slack < got ≤ want.
func within(t *testing.T, what string, got, want time.Duration) {
	t.Helper()
	if got <= want-slack || got > want {
		t.Errorf("%s = %v, want in (%v, %v]", what, got, want-slack, want)
	}
}

// exhaust consumes the whole burst of key, checking Remaining counts down
// and ResetAfter grows by one interval per request.
func exhaust(t *testing.T, l ratelimit.Limiter, key string, lim ratelimit.Limit) {
	t.Helper()
	b := lim.BurstSize()
	for i := range b {
		r := allow(t, l, key, lim)
		if !r.Allowed || r.Remaining != b-1-i || r.RetryAfter != 0 {
			t.Fatalf("request %d of burst %d: got %+v, want allowed with %d remaining", i+1, b, r, b-1-i)
		}
		within(t, fmt.Sprintf("request %d ResetAfter", i+1), r.ResetAfter, time.Duration(i+1)*lim.Interval())
	}
}

func testBurstThenRefusal(t *testing.T, l ratelimit.Limiter) {
	lim := ratelimit.PerHour(3) // one token every 20 minutes
	exhaust(t, l, "k", lim)
	r := allow(t, l, "k", lim)
	if r.Allowed || r.Remaining != 0 {
		t.Fatalf("request after burst: got %+v, want refused", r)
	}
	within(t, "RetryAfter", r.RetryAfter, 20*time.Minute)
	within(t, "ResetAfter", r.ResetAfter, time.Hour)
}

func testBurstDiffersFromRate(t *testing.T, l ratelimit.Limiter) {
	for _, tc := range []struct {
		name  string
		lim   ratelimit.Limit
		retry time.Duration
	}{
		{"burst above rate", ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 5}, time.Hour},
		{"burst below rate", ratelimit.Limit{Rate: 60, Period: time.Hour, Burst: 1}, time.Minute},
		{"zero burst means rate", ratelimit.Limit{Rate: 4, Period: time.Hour}, 15 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exhaust(t, l, tc.name, tc.lim)
			r := allow(t, l, tc.name, tc.lim)
			if r.Allowed {
				t.Fatalf("request %d: allowed, want refused", tc.lim.BurstSize()+1)
			}
			within(t, "RetryAfter", r.RetryAfter, tc.retry)
		})
	}
}

// testRefusalDoesNotExtendWait checks that refused requests consume nothing:
// otherwise a client retrying in a loop would never get through, and an
// attacker could keep a victim's key locked forever.
func testRefusalDoesNotExtendWait(t *testing.T, l ratelimit.Limiter) {
	lim := ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 1}
	exhaust(t, l, "k", lim)
	first := allow(t, l, "k", lim)
	for range 5 {
		r := allow(t, l, "k", lim)
		if r.Allowed || r.RetryAfter > first.RetryAfter || r.ResetAfter > first.ResetAfter {
			t.Fatalf("repeated refusal: got %+v, want refused and no later than %+v", r, first)
		}
	}
}

func testRefill(t *testing.T, l ratelimit.Limiter) {
	lim := ratelimit.Limit{Rate: 10, Period: time.Second, Burst: 2} // 100ms per token
	for i := range 2 {
		if r := allow(t, l, "k", lim); !r.Allowed {
			t.Fatalf("request %d: refused: %+v", i+1, r)
		}
	}
	r := allow(t, l, "k", lim)
	if r.Allowed || r.RetryAfter <= 0 || r.RetryAfter > lim.Interval() {
		t.Fatalf("request 3: got %+v, want refused with RetryAfter in (0, %v]", r, lim.Interval())
	}
	time.Sleep(r.RetryAfter + 10*time.Millisecond)
	if r := allow(t, l, "k", lim); !r.Allowed {
		t.Fatalf("after waiting RetryAfter: refused: %+v", r)
	}
	r = allow(t, l, "k", lim)
	if r.Allowed {
		t.Skip("the backend was too slow to observe the refusal between refills")
	}
	time.Sleep(r.ResetAfter + 10*time.Millisecond)
	if r := allow(t, l, "k", lim); !r.Allowed || r.Remaining != 1 {
		t.Fatalf("after waiting ResetAfter: got %+v, want the full burst back", r)
	}
}

func testReset(t *testing.T, l ratelimit.Limiter) {
	lim := ratelimit.PerHour(3)
	exhaust(t, l, "k", lim)
	if err := l.Reset(context.Background(), "k"); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	exhaust(t, l, "k", lim)
	if err := l.Reset(context.Background(), "never-seen"); err != nil {
		t.Fatalf("Reset of an unknown key: %v", err)
	}
}

func testKeyIsolation(t *testing.T, l ratelimit.Limiter) {
	lim := ratelimit.PerHour(2)
	exhaust(t, l, "signin:alice", lim)
	if r := allow(t, l, "signin:alice", lim); r.Allowed {
		t.Fatalf("alice after burst: allowed")
	}
	// Neighbouring keys, including prefixes of each other, are unaffected.
	for _, k := range []string{"signin:bob", "signin:alic", "signin:alice:", "signin:ALICE", ""} {
		exhaust(t, l, k, lim)
	}
	if err := l.Reset(context.Background(), "signin:bob"); err != nil {
		t.Fatal(err)
	}
	if r := allow(t, l, "signin:alice", lim); r.Allowed {
		t.Fatalf("alice after resetting bob: allowed")
	}
}

// testConcurrent checks that Allow is atomic per key: however many requests
// race, exactly the burst gets through.
func testConcurrent(t *testing.T, l ratelimit.Limiter) {
	const goroutines, each = 64, 4
	lim := ratelimit.PerHour(10)
	var (
		start   = make(chan struct{})
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
		errs    []error
	)
	for range goroutines {
		wg.Go(func() {
			<-start
			for range each {
				r, err := l.Allow(context.Background(), "hot", lim)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else if r.Allowed {
					allowed++
				}
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
	if allowed != lim.BurstSize() {
		t.Fatalf("%d of %d concurrent requests allowed, want exactly %d", allowed, goroutines*each, lim.BurstSize())
	}
}

func testInvalidLimit(t *testing.T, l ratelimit.Limiter) {
	for _, tc := range []struct {
		name string
		lim  ratelimit.Limit
	}{
		{"zero value", ratelimit.Limit{}},
		{"zero rate", ratelimit.Limit{Period: time.Minute}},
		{"negative rate", ratelimit.Limit{Rate: -1, Period: time.Minute}},
		{"zero period", ratelimit.Limit{Rate: 1}},
		{"negative period", ratelimit.Limit{Rate: 1, Period: -time.Minute}},
		{"negative burst", ratelimit.Limit{Rate: 1, Period: time.Minute, Burst: -1}},
		{"overflowing burst", ratelimit.Limit{Rate: 1, Period: time.Hour, Burst: 1 << 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := l.Allow(context.Background(), "k", tc.lim)
			if !errors.Is(err, ratelimit.ErrInvalidLimit) {
				t.Errorf("error = %v, want ErrInvalidLimit", err)
			}
			if r.Allowed {
				t.Errorf("allowed with an invalid limit")
			}
		})
	}
}

func testCancelled(t *testing.T, l ratelimit.Limiter) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := l.Allow(ctx, "k", ratelimit.PerMinute(5))
	if err == nil || r.Allowed {
		t.Fatalf("Allow with a cancelled context: %+v, %v; want an error and not allowed", r, err)
	}
	if err := l.Reset(ctx, "k"); err == nil {
		t.Fatalf("Reset with a cancelled context: no error")
	}
}
