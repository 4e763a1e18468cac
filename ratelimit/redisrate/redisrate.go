// Package redisrate is a ratelimit.Limiter backed by Redis, so that every
// instance of an app draws on one budget per key. Latch needs this for the
// per-account failure limit (SECURITY.md item 9): with a per-process limiter,
// N instances would allow N times the limit.
//
// Each Allow is one atomic Lua script on one key, which stores the key's GCRA
// theoretical arrival time (see package ratelimit) in microseconds since the
// Unix epoch and expires when the key's bucket is full again, so idle keys
// cost nothing. The script reads the time from Redis (TIME), not from the
// calling process, so instances whose clocks disagree still enforce one
// limit. Keys touch a single slot, so the limiter works on Redis Cluster; put
// a hash tag in the prefix only if you need several limiters' keys together.
//
// Any Redis failure (connection refused, timeout, script error) is returned
// as an error and the Result is not Allowed: the limiter never turns an
// outage into permission. Whether the request then proceeds is the caller's
// choice; Latch refuses authentication attempts (SECURITY.md item 61).
//
// Time is kept in whole microseconds; an emission interval (Period/Rate) that
// is not a whole number of microseconds is rounded up, so the limit is never
// looser than asked.
package redisrate

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/latchauth/latch/ratelimit"
)

// allowScript is GCRA on one key. KEYS[1]: the key. ARGV[1]: emission
// interval T in µs. ARGV[2]: tolerance τ = burst·T in µs. It returns
// {allowed (0|1), remaining, retry after µs, reset after µs}.
//
// Numbers are Lua doubles; Allow keeps microseconds since the epoch plus
// τ+T below 2⁵³ (see maxSpanMicros), so the arithmetic is exact.
const allowScript = `
if redis.replicate_commands then
  -- Redis < 5 replicates scripts verbatim, which forbids a write after TIME;
  -- this switches to replicating the effects. A no-op on newer servers.
  redis.replicate_commands()
end
local interval = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = now
local stored = redis.call('GET', KEYS[1])
if stored then
  tat = tonumber(stored)
  if not tat then
    return redis.error_reply('redisrate: key holds a non-numeric value')
  end
  if tat < now then tat = now end
end
local new = tat + interval
local allow_at = new - tau
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000))
return {1, math.floor((tau - (new - now)) / interval), 0, new - now}
`

// maxSpanMicros bounds (burst+1)·T in µs so that adding it to the current
// Unix time in µs (≈1.8·10¹⁵ today) stays below 2⁵³, where doubles are exact.
const maxSpanMicros = 1 << 52

// Limiter is a ratelimit.Limiter on Redis. It is safe for concurrent use and
// across processes: every Limiter with the same prefix on the same Redis
// shares each key's budget.
type Limiter struct {
	rdb    redis.UniversalClient
	prefix string
	allow  *redis.Script
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// New returns a Limiter that stores key k at prefix+k in rdb. The prefix
// namespaces the limiter within a shared Redis (e.g. "latch:rl:"); it is not
// separated from the key, so end it with a delimiter. rdb stays owned by the
// caller, whose options (timeouts, retries, pool size) apply: short timeouts
// keep an outage from stalling sign-in.
func New(rdb redis.UniversalClient, prefix string) *Limiter {
	// redis.Script sends EVALSHA and falls back to EVAL when the server has
	// not cached the script (first use, restart, SCRIPT FLUSH).
	return &Limiter{rdb: rdb, prefix: prefix, allow: redis.NewScript(allowScript)}
}

// Allow implements ratelimit.Limiter. A returned error means Redis did not
// answer or the Limit is invalid (wrapping ratelimit.ErrInvalidLimit); the
// Result is then the zero value, not Allowed.
func (l *Limiter) Allow(ctx context.Context, key string, lim ratelimit.Limit) (ratelimit.Result, error) {
	if err := lim.Validate(); err != nil {
		return ratelimit.Result{}, err
	}
	interval := (int64(lim.Interval()) + 999) / 1000 // ns → µs, rounded up
	burst := int64(lim.BurstSize())
	// Validate bounds (burst+1)·Interval in ns, and interval in µs is at
	// most that in ns, so this product cannot overflow.
	if (burst+1)*interval > maxSpanMicros {
		return ratelimit.Result{}, fmt.Errorf("%w: burst %d × interval %dµs is too long for redisrate", ratelimit.ErrInvalidLimit, burst, interval)
	}
	// The key is not part of the error: keys hold identifiers such as email
	// addresses, which must not reach logs (SECURITY.md item 58).
	vals, err := l.allow.Run(ctx, l.rdb, []string{l.prefix + key}, interval, burst*interval).Int64Slice()
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("redisrate: allow: %w", err)
	}
	if len(vals) != 4 {
		return ratelimit.Result{}, fmt.Errorf("redisrate: allow: script returned %d values, want 4", len(vals))
	}
	return ratelimit.Result{
		Allowed:    vals[0] == 1,
		Remaining:  int(vals[1]),
		RetryAfter: time.Duration(vals[2]) * time.Microsecond,
		ResetAfter: time.Duration(vals[3]) * time.Microsecond,
	}, nil
}

// Reset implements ratelimit.Limiter by deleting the key. A returned error
// means Redis did not confirm the deletion.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if err := l.rdb.Del(ctx, l.prefix+key).Err(); err != nil {
		return fmt.Errorf("redisrate: reset: %w", err)
	}
	return nil
}
