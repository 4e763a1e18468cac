package ratelimit_test

import (
	"context"
	"fmt"
	"github.com/latchauth/latch/internal/fakeclock"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/ratelimit/ratelimittest"
)

// newFakeClock is a settable clock, so GCRA arithmetic can be checked
// exactly.
func newFakeClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
}

func TestMemoryConformance(t *testing.T) {
	ratelimittest.Run(t, func(*testing.T) ratelimit.Limiter {
		return ratelimit.NewMemory(ratelimit.MemoryConfig{})
	})
}

func TestMemoryConformanceSmallCapacity(t *testing.T) {
	// One shard of a few keys: eviction must never lose a limited key that
	// the suite is still looking at.
	ratelimittest.Run(t, func(*testing.T) ratelimit.Limiter {
		return ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: 8})
	})
}

// step is one call in a scripted scenario: advance the clock, then Allow (or
// Reset) key and compare the whole Result.
type step struct {
	advance time.Duration
	key     string // "" means "k"
	reset   bool
	want    ratelimit.Result
}

func allowed(remaining int, resetAfter time.Duration) ratelimit.Result {
	return ratelimit.Result{Allowed: true, Remaining: remaining, ResetAfter: resetAfter}
}

func refused(retryAfter, resetAfter time.Duration) ratelimit.Result {
	return ratelimit.Result{RetryAfter: retryAfter, ResetAfter: resetAfter}
}

const ms = time.Millisecond

func TestMemoryGCRA(t *testing.T) {
	threePerThreeSeconds := ratelimit.Limit{Rate: 3, Period: 3 * time.Second} // T = 1s, burst 3
	for _, tc := range []struct {
		name  string
		limit ratelimit.Limit
		steps []step
	}{
		{"burst then refusal", threePerThreeSeconds, []step{
			{want: allowed(2, 1000*ms)},
			{want: allowed(1, 2000*ms)},
			{want: allowed(0, 3000*ms)},
			{want: refused(1000*ms, 3000*ms)},
		}},
		{"one token refills per interval", threePerThreeSeconds, []step{
			{want: allowed(2, 1000*ms)},
			{want: allowed(1, 2000*ms)},
			{want: allowed(0, 3000*ms)},
			{advance: 1000 * ms, want: allowed(0, 3000*ms)},
			{want: refused(1000*ms, 3000*ms)},
		}},
		{"RetryAfter counts down during a partial refill", threePerThreeSeconds, []step{
			{want: allowed(2, 1000*ms)},
			{want: allowed(1, 2000*ms)},
			{want: allowed(0, 3000*ms)},
			{advance: 400 * ms, want: refused(600*ms, 2600*ms)},
			{advance: 599 * ms, want: refused(1*ms, 2001*ms)},
			{advance: 1 * ms, want: allowed(0, 3000*ms)},
		}},
		{"idle key gets its full burst back, no more", threePerThreeSeconds, []step{
			{want: allowed(2, 1000*ms)},
			{want: allowed(1, 2000*ms)},
			{advance: time.Hour, want: allowed(2, 1000*ms)},
			{want: allowed(1, 2000*ms)},
			{want: allowed(0, 3000*ms)},
			{want: refused(1000*ms, 3000*ms)},
		}},
		{"refused requests consume nothing", threePerThreeSeconds, []step{
			{want: allowed(2, 1000*ms)},
			{want: allowed(1, 2000*ms)},
			{want: allowed(0, 3000*ms)},
			{want: refused(1000*ms, 3000*ms)},
			{want: refused(1000*ms, 3000*ms)},
			{advance: 500 * ms, want: refused(500*ms, 2500*ms)},
			{advance: 500 * ms, want: allowed(0, 3000*ms)},
		}},
		{"burst of one spaces requests", ratelimit.Limit{Rate: 2, Period: time.Second, Burst: 1}, []step{
			{want: allowed(0, 500*ms)},
			{want: refused(500*ms, 500*ms)},
			{advance: 499 * ms, want: refused(1*ms, 1*ms)},
			{advance: 1 * ms, want: allowed(0, 500*ms)},
		}},
		{"burst above rate", ratelimit.Limit{Rate: 1, Period: time.Minute, Burst: 2}, []step{
			{want: allowed(1, time.Minute)},
			{want: allowed(0, 2*time.Minute)},
			{want: refused(time.Minute, 2*time.Minute)},
			{advance: time.Minute, want: allowed(0, 2*time.Minute)},
		}},
		{"uneven interval", ratelimit.Limit{Rate: 3, Period: time.Second}, []step{ // T = 333_333_333ns
			{want: allowed(2, 333_333_333)},
			{want: allowed(1, 666_666_666)},
			{want: allowed(0, 999_999_999)},
			{want: refused(333_333_333, 999_999_999)},
			{advance: 333_333_333, want: allowed(0, 999_999_999)},
		}},
		{"PerMinute", ratelimit.PerMinute(2), []step{
			{want: allowed(1, 30*time.Second)},
			{want: allowed(0, time.Minute)},
			{want: refused(30*time.Second, time.Minute)},
		}},
		{"PerHour", ratelimit.PerHour(100), []step{ // SECURITY.md item 9: ≤ 100 failures per hour
			{want: allowed(99, 36*time.Second)},
		}},
		{"reset restores the burst", threePerThreeSeconds, []step{
			{want: allowed(2, 1000*ms)},
			{want: allowed(1, 2000*ms)},
			{want: allowed(0, 3000*ms)},
			{reset: true},
			{want: allowed(2, 1000*ms)},
		}},
		{"keys are isolated", ratelimit.Limit{Rate: 1, Period: time.Second}, []step{
			{key: "a", want: allowed(0, 1000*ms)},
			{key: "a", want: refused(1000*ms, 1000*ms)},
			{key: "b", want: allowed(0, 1000*ms)},
			{key: "a", reset: true},
			{key: "b", want: refused(1000*ms, 1000*ms)},
			{key: "a", want: allowed(0, 1000*ms)},
		}},
		{"clock stepping back grants nothing", ratelimit.Limit{Rate: 1, Period: time.Second}, []step{
			{want: allowed(0, 1000*ms)},
			{advance: -time.Hour, want: refused(time.Hour+1000*ms, time.Hour+1000*ms)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			m := ratelimit.NewMemory(ratelimit.MemoryConfig{Clock: clock.Now})
			ctx := context.Background()
			for i, s := range tc.steps {
				clock.Advance(s.advance)
				key := s.key
				if key == "" {
					key = "k"
				}
				if s.reset {
					if err := m.Reset(ctx, key); err != nil {
						t.Fatalf("step %d: Reset: %v", i, err)
					}
					continue
				}
				got, err := m.Allow(ctx, key, tc.limit)
				if err != nil {
					t.Fatalf("step %d: Allow: %v", i, err)
				}
				if got != s.want {
					t.Fatalf("step %d (key %q, +%v): got %+v, want %+v", i, key, s.advance, got, s.want)
				}
			}
		})
	}
}

// TestConcurrentRequestsAtOneInstant races many goroutines on one key while
// the clock stands still: exactly Burst may pass, however the scheduler
// interleaves them (run with -race).
func TestConcurrentRequestsAtOneInstant(t *testing.T) {
	for _, burst := range []int{1, 7, 100} {
		t.Run(strconv.Itoa(burst), func(t *testing.T) {
			clock := newFakeClock()
			m := ratelimit.NewMemory(ratelimit.MemoryConfig{Clock: clock.Now})
			lim := ratelimit.Limit{Rate: 1, Period: time.Second, Burst: burst}
			var (
				start = make(chan struct{})
				wg    sync.WaitGroup
				n     atomic.Int64
			)
			for range 100 {
				wg.Go(func() {
					<-start
					for range 10 {
						r, err := m.Allow(context.Background(), "hot", lim)
						if err != nil {
							t.Error(err)
							return
						}
						if r.Allowed {
							n.Add(1)
						}
					}
				})
			}
			close(start)
			wg.Wait()
			if got := n.Load(); got != int64(burst) {
				t.Fatalf("%d of 1000 requests allowed, want exactly %d", got, burst)
			}
		})
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	ctx := context.Background()
	lim := ratelimit.PerMinute(1000)
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = "signin:acct:user_" + strconv.Itoa(i)
	}
	b.Run("distinct keys", func(b *testing.B) {
		m := ratelimit.NewMemory(ratelimit.MemoryConfig{})
		var seq atomic.Uint64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := seq.Add(1) * 7919 // spread goroutines over the keys
			for pb.Next() {
				i++
				if _, err := m.Allow(ctx, keys[i%uint64(len(keys))], lim); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("one key", func(b *testing.B) {
		m := ratelimit.NewMemory(ratelimit.MemoryConfig{})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := m.Allow(ctx, "hot", lim); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("key flood at capacity", func(b *testing.B) {
		// Every call is a new key into a full limiter: the eviction path.
		m := ratelimit.NewMemory(ratelimit.MemoryConfig{MaxKeys: 10_000})
		var seq atomic.Uint64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			buf := make([]byte, 0, 32)
			for pb.Next() {
				buf = strconv.AppendUint(append(buf[:0], "ip:"...), seq.Add(1), 10)
				if _, err := m.Allow(ctx, string(buf), lim); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// A sign-in endpoint limits failures per account; a success resets them.
func ExampleMemory() {
	ctx := context.Background()
	limiter := ratelimit.NewMemory(ratelimit.MemoryConfig{})
	perAccount := ratelimit.Limit{Rate: 5, Period: time.Hour, Burst: 3}

	for i := range 4 {
		r, err := limiter.Allow(ctx, "signin:acct:user_123", perAccount)
		if err != nil {
			fmt.Println("limiter unavailable: fail closed")
			return
		}
		fmt.Printf("attempt %d: allowed=%v remaining=%d retry after %v\n", i+1, r.Allowed, r.Remaining, r.RetryAfter.Round(time.Minute))
	}
	_ = limiter.Reset(ctx, "signin:acct:user_123") // after a successful sign-in
	r, _ := limiter.Allow(ctx, "signin:acct:user_123", perAccount)
	fmt.Println("after reset: allowed =", r.Allowed)
	// Output:
	// attempt 1: allowed=true remaining=2 retry after 0s
	// attempt 2: allowed=true remaining=1 retry after 0s
	// attempt 3: allowed=true remaining=0 retry after 0s
	// attempt 4: allowed=false remaining=0 retry after 12m0s
	// after reset: allowed = true
}
