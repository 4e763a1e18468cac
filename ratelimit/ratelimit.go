// Package ratelimit is the rate-limiting contract of Latch and an in-memory
// implementation of it.
//
// A [Limiter] answers one question per call: may the caller identified by key
// do one more thing now, under [Limit] l? Latch uses it to bound sign-in
// attempts per account and per (IP, account), code sends, and other abusable
// endpoints (SECURITY.md items 9–11). [Memory] serves a single process;
// package ratelimit/redisrate shares one budget across every instance of an
// app, which is what a per-account failure limit needs.
//
// # Algorithm
//
// Both implementations use GCRA, the generic cell rate algorithm (ITU-T
// I.371, the "virtual scheduling" form). It behaves like a token bucket of
// Burst tokens refilled at Rate per Period, but stores a single number per
// key: the theoretical arrival time (TAT), the instant at which the bucket
// would be full again. With emission interval T = Period/Rate and tolerance
// τ = Burst·T, a request at time now is allowed when
//
//	max(TAT, now) + T − τ ≤ now
//
// and, when allowed, sets TAT = max(TAT, now) + T. A refused request changes
// nothing, so hammering a limited key does not push its recovery further out.
// Once TAT ≤ now the key is indistinguishable from one never seen, so its
// state can be dropped: that is what keeps memory bounded and lets Redis keys
// expire.
//
// # Failure
//
// An error from Allow means the backend could not answer (Redis down, context
// cancelled, invalid Limit); the Result is then the zero value, whose Allowed
// is false. Whether to fail closed is the caller's decision; Latch fails closed
// on authentication endpoints (SECURITY.md item 61).
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalidLimit is returned (wrapped) by Allow when the Limit has a
// non-positive Rate or Period, a negative Burst, or a (Burst+1)·Interval
// longer than about 73 years. It is an error rather than "allowed" so a
// misconfigured limit is noticed instead of silently disabling protection.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// Limit is a budget: Rate events per Period on average, with up to Burst of
// them back to back.
//
// Burst 0 means Rate, so PerMinute(5) allows five requests at once and then
// one every twelve seconds. A Burst of 1 spaces every request by
// Period/Rate. A Limit is a value; use one Limit per key, since the stored
// state of a key is only meaningful under the Limit that produced it.
type Limit struct {
	// Rate is how many events are allowed per Period on average. Must be > 0.
	Rate int
	// Period is the window Rate is measured over. Must be > 0.
	Period time.Duration
	// Burst is how many events may happen back to back when the key is idle.
	// 0 means Rate; must not be negative.
	Burst int
}

// PerMinute returns a Limit of n events per minute with a burst of n.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute} }

// PerHour returns a Limit of n events per hour with a burst of n.
func PerHour(n int) Limit { return Limit{Rate: n, Period: time.Hour} }

// Interval returns the emission interval Period/Rate: the time one token takes
// to come back. It is at least 1ns. The result is meaningful only for a Limit
// that passes Validate.
func (l Limit) Interval() time.Duration {
	if l.Rate <= 0 {
		return 0
	}
	return max(l.Period/time.Duration(l.Rate), 1)
}

// BurstSize returns the effective burst: Burst, or Rate when Burst is 0.
func (l Limit) BurstSize() int {
	if l.Burst == 0 {
		return l.Rate
	}
	return l.Burst
}

// Validate reports whether l can be enforced. The error wraps
// ErrInvalidLimit.
func (l Limit) Validate() error {
	switch {
	case l.Rate <= 0:
		return fmt.Errorf("%w: rate %d must be positive", ErrInvalidLimit, l.Rate)
	case l.Period <= 0:
		return fmt.Errorf("%w: period %v must be positive", ErrInvalidLimit, l.Period)
	case l.Burst < 0:
		return fmt.Errorf("%w: burst %d must not be negative", ErrInvalidLimit, l.Burst)
	case int64(l.BurstSize())+1 > maxSpan/int64(l.Interval()):
		// (Burst+1)·T is added to the current time; past maxSpan the sums
		// could overflow and GCRA's comparison would invert.
		return fmt.Errorf("%w: burst %d × interval %v is too long", ErrInvalidLimit, l.BurstSize(), l.Interval())
	}
	return nil
}

// maxSpan bounds (Burst+1)·Interval at 2⁶¹ ns (≈73 years) so that adding it
// to a timestamp never overflows, whether in nanoseconds here or in
// microseconds since the Unix epoch within a Lua double (exact below 2⁵³).
const maxSpan = math.MaxInt64 / 4

// Result is the answer to one Allow call.
type Result struct {
	// Allowed reports whether the event may proceed; a token was consumed
	// only if it is true.
	Allowed bool
	// Remaining is how many more events would be allowed right now.
	Remaining int
	// RetryAfter is, when Allowed is false, how long until one event will be
	// allowed; 0 when Allowed. Suitable for a Retry-After header (round up).
	RetryAfter time.Duration
	// ResetAfter is how long until the key is back to a full Burst, and so
	// how long its state needs to be kept.
	ResetAfter time.Duration
}

// Limiter enforces Limits per key.
//
// Implementations are safe for concurrent use, and Allow is atomic per key:
// of many simultaneous calls on an idle key, exactly Burst are allowed.
type Limiter interface {
	// Allow consumes one token from key's budget under l, if one is
	// available. A non-nil error means the limiter could not decide (backend
	// failure, cancelled ctx, invalid l); the Result is then the zero value
	// and callers choose to fail closed. Keys are opaque; callers should
	// namespace them ("signin:acct:"+id) and canonicalise identifiers first.
	Allow(ctx context.Context, key string, l Limit) (Result, error)
	// Reset forgets key, restoring its full burst; resetting an unknown key
	// is not an error. Latch calls it after a successful sign-in so that
	// failure counters start over.
	Reset(ctx context.Context, key string) error
}
