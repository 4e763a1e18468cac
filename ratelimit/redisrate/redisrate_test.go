package redisrate_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/ratelimit/ratelimittest"
	"github.com/latchauth/latch/ratelimit/redisrate"
)

// redisOptions returns the options for the test Redis named by
// LATCH_TEST_REDIS, or skips the test when it is unset.
func redisOptions(tb testing.TB) *redis.Options {
	tb.Helper()
	url := os.Getenv("LATCH_TEST_REDIS")
	if url == "" {
		tb.Skip("LATCH_TEST_REDIS is unset; set it (e.g. redis://127.0.0.1:6379/0) to run the Redis tests")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		tb.Fatalf("LATCH_TEST_REDIS=%q: %v", url, err)
	}
	return opt
}

// newClient connects to the test Redis with opt (after edit) and fails, not
// skips, when the variable is set but Redis does not answer.
func newClient(tb testing.TB, edit func(*redis.Options)) *redis.Client {
	tb.Helper()
	opt := redisOptions(tb)
	if edit != nil {
		edit(opt)
	}
	rdb := redis.NewClient(opt)
	tb.Cleanup(func() { _ = rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		tb.Fatalf("LATCH_TEST_REDIS is set but Redis at %s does not answer: %v", opt.Addr, err)
	}
	return rdb
}

// uniquePrefix returns a key prefix no other test run uses, and deletes every
// key under it when the test ends.
func uniquePrefix(tb testing.TB, rdb *redis.Client) string {
	tb.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	prefix := "latchtest:ratelimit:" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			_ = rdb.Del(ctx, iter.Val()).Err()
		}
		if err := iter.Err(); err != nil {
			tb.Errorf("cleaning up %s*: %v", prefix, err)
		}
	})
	return prefix
}

func TestConformance(t *testing.T) {
	rdb := newClient(t, nil)
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Limiter {
		return redisrate.New(rdb, uniquePrefix(t, rdb))
	})
}

// TestFailureLimitSharedAcrossInstances is SECURITY.md item 9: three app
// instances, each with its own connection, race on one account's key and
// together get exactly one budget, not three.
func TestFailureLimitSharedAcrossInstances(t *testing.T) {
	first := newClient(t, nil)
	prefix := uniquePrefix(t, first)
	instances := []*redisrate.Limiter{redisrate.New(first, prefix)}
	for range 2 {
		instances = append(instances, redisrate.New(newClient(t, nil), prefix))
	}
	ctx := context.Background()
	lim := ratelimit.PerHour(100)
	const key = "signin:acct:user_123"

	var (
		wg      sync.WaitGroup
		allowed atomic.Int64
		failed  atomic.Int64
	)
	for _, l := range instances {
		for range 20 {
			wg.Go(func() {
				for range 5 {
					r, err := l.Allow(ctx, key, lim)
					switch {
					case err != nil:
						failed.Add(1)
					case r.Allowed:
						allowed.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d calls failed", failed.Load())
	}
	if got := allowed.Load(); got != 100 {
		t.Fatalf("%d of 300 attempts across 3 instances allowed, want exactly 100", got)
	}
	for i, l := range instances {
		if r, err := l.Allow(ctx, key, lim); err != nil || r.Allowed {
			t.Fatalf("instance %d after the shared budget is spent: %+v, %v; want refused", i, r, err)
		}
	}
	// A success on one instance resets the account everywhere.
	if err := instances[0].Reset(ctx, key); err != nil {
		t.Fatal(err)
	}
	if r, err := instances[2].Allow(ctx, key, lim); err != nil || !r.Allowed || r.Remaining != 99 {
		t.Fatalf("instance 2 after a reset on instance 0: %+v, %v; want allowed with 99 remaining", r, err)
	}
}

// TestKeysExpire checks state is kept only while it matters, so Redis memory
// is bounded by the number of keys currently limited.
func TestKeysExpire(t *testing.T) {
	rdb := newClient(t, nil)
	prefix := uniquePrefix(t, rdb)
	l := redisrate.New(rdb, prefix)
	ctx := context.Background()

	r, err := l.Allow(ctx, "slow", ratelimit.PerHour(2))
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := rdb.PTTL(ctx, prefix+"slow").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > r.ResetAfter+time.Millisecond {
		t.Fatalf("PTTL = %v, want in (0, ResetAfter=%v]", ttl, r.ResetAfter)
	}

	if _, err := l.Allow(ctx, "fast", ratelimit.Limit{Rate: 20, Period: time.Second, Burst: 1}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for rdb.Exists(ctx, prefix+"fast").Val() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("key of a 50ms limit still exists after 2s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCorruptStateFailsClosed: a key holding something other than a TAT (a
// collision with another app's key, manual tampering) is an error, never a
// fresh budget.
func TestCorruptStateFailsClosed(t *testing.T) {
	rdb := newClient(t, nil)
	prefix := uniquePrefix(t, rdb)
	l := redisrate.New(rdb, prefix)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		set  func(key string) error
	}{
		{"non-numeric string", func(k string) error { return rdb.Set(ctx, k, "not a time", 0).Err() }},
		{"wrong type", func(k string) error { return rdb.LPush(ctx, k, "x").Err() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.set(prefix + tc.name); err != nil {
				t.Fatal(err)
			}
			r, err := l.Allow(ctx, tc.name, ratelimit.PerMinute(5))
			if err == nil || r.Allowed {
				t.Fatalf("Allow on a corrupt key: %+v, %v; want an error and not allowed", r, err)
			}
		})
	}
}

// proxy is a TCP proxy between a client and Redis that a test can break, to
// see how the limiter behaves when Redis goes away mid-flight.
type proxy struct {
	ln        net.Listener
	target    string
	blackhole atomic.Bool // when set, bytes are swallowed instead of forwarded
	mu        sync.Mutex
	conns     []net.Conn
	wg        sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Go(p.serve)
	t.Cleanup(p.Close)
	return p
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, u)
		p.mu.Unlock()
		p.wg.Go(func() { p.pipe(u, c) })
		p.wg.Go(func() { p.pipe(c, u) })
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer func() { _ = dst.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.blackhole.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Close stops accepting and cuts every open connection, as if Redis died.
func (p *proxy) Close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// TestRedisOutageFailsClosed is SECURITY.md item 61: when Redis becomes
// unreachable mid-test, Allow and Reset return errors and nothing is ever
// reported as allowed.
func TestRedisOutageFailsClosed(t *testing.T) {
	opt := redisOptions(t)
	p := startProxy(t, opt.Addr)
	rdb := newClient(t, func(o *redis.Options) {
		o.Addr = p.Addr()
		// go-redis retries dials and commands by default (seconds per call
		// during an outage); an app guarding sign-in wants it this short.
		o.MaxRetries = -1
		o.DialerRetries = 1
		o.DialTimeout = time.Second
		o.ReadTimeout = 500 * time.Millisecond
		o.WriteTimeout = 500 * time.Millisecond
	})
	l := redisrate.New(rdb, uniquePrefix(t, newClient(t, nil)))
	ctx := context.Background()
	lim := ratelimit.PerMinute(5)

	if r, err := l.Allow(ctx, "k", lim); err != nil || !r.Allowed {
		t.Fatalf("through a healthy proxy: %+v, %v; want allowed", r, err)
	}
	p.Close()
	for i := range 3 { // the pooled connection is dead, then redials fail
		r, err := l.Allow(ctx, "k", lim)
		if err == nil || r.Allowed || r != (ratelimit.Result{}) {
			t.Fatalf("call %d after Redis went away: %+v, %v; want an error and the zero Result", i, r, err)
		}
	}
	if err := l.Reset(ctx, "k"); err == nil {
		t.Fatalf("Reset after Redis went away: no error")
	}
}

// TestRedisBlackholeFailsClosed: a Redis that accepts bytes but never
// answers (a partition, a stuck server) yields an error after the client's
// read timeout, not a hang and not an allowance.
func TestRedisBlackholeFailsClosed(t *testing.T) {
	opt := redisOptions(t)
	p := startProxy(t, opt.Addr)
	rdb := newClient(t, func(o *redis.Options) {
		o.Addr = p.Addr()
		o.ReadTimeout = 200 * time.Millisecond
		o.MaxRetries = -1
	})
	l := redisrate.New(rdb, uniquePrefix(t, newClient(t, nil)))
	ctx := context.Background()
	if r, err := l.Allow(ctx, "k", ratelimit.PerMinute(5)); err != nil || !r.Allowed {
		t.Fatalf("through a healthy proxy: %+v, %v; want allowed", r, err)
	}
	p.blackhole.Store(true)
	start := time.Now()
	r, err := l.Allow(ctx, "k", ratelimit.PerMinute(5))
	if err == nil || r.Allowed {
		t.Fatalf("through a black hole: %+v, %v; want an error and not allowed", r, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Allow took %v to fail; the client's read timeout should bound it", d)
	}
}

// TestNoRedisFailsClosed needs no Redis: a client pointed at a port nobody
// listens on gets errors.
func TestNoRedisFailsClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
	defer rdb.Close()
	l := redisrate.New(rdb, "latchtest:")
	r, err := l.Allow(context.Background(), "k", ratelimit.PerMinute(5))
	if err == nil || r.Allowed {
		t.Fatalf("Allow with Redis down: %+v, %v; want an error and not allowed", r, err)
	}
	if err := l.Reset(context.Background(), "k"); err == nil {
		t.Fatalf("Reset with Redis down: no error")
	}
}

// TestInvalidLimitNeedsNoRedis: limits are checked before any round trip,
// including the bound that keeps the script's doubles exact.
func TestInvalidLimitNeedsNoRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	l := redisrate.New(rdb, "latchtest:")
	for _, tc := range []struct {
		name string
		lim  ratelimit.Limit
	}{
		{"zero", ratelimit.Limit{}},
		{"negative burst", ratelimit.Limit{Rate: 1, Period: time.Second, Burst: -1}},
		{"span beyond 2^52 µs", ratelimit.Limit{Rate: 1_000_000_000, Period: time.Second, Burst: 1 << 55}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := l.Allow(context.Background(), "k", tc.lim)
			if !errors.Is(err, ratelimit.ErrInvalidLimit) || r.Allowed {
				t.Fatalf("got %+v, %v; want ErrInvalidLimit", r, err)
			}
		})
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	rdb := newClient(b, func(o *redis.Options) { o.PoolSize = 64 })
	l := redisrate.New(rdb, uniquePrefix(b, rdb))
	ctx := context.Background()
	lim := ratelimit.PerMinute(1000)
	var seq atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := seq.Add(1) * 7919
		for pb.Next() {
			i++
			if _, err := l.Allow(ctx, "user_"+strconv.FormatUint(i%4096, 10), lim); err != nil {
				b.Fatal(err)
			}
		}
	})
}
