package latch_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/ratelimit/redisrate"
	"github.com/latchauth/latch/storage/sqlitestore"
)

// tcpProxy forwards connections to target until closed, as a network
// between the app and Redis that can be cut.
type tcpProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

// cut closes the listener and every connection: Redis is gone.
func (p *tcpProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestSharedRedisLimitsAcrossInstances: two instances of one app share a
// SQLite database and a Redis. Failures on either count on one lockout,
// and when Redis goes away both refuse sign-ins rather than allow
// unlimited guesses.
func TestSharedRedisLimitsAcrossInstances(t *testing.T) {
	url := os.Getenv("LATCH_TEST_REDIS")
	if url == "" {
		t.Skip("LATCH_TEST_REDIS is not set; set it to a Redis URL (redis://127.0.0.1:6379/0) to run the shared-limit tests")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, opts.Addr)
	opts.Addr = proxy.addr()
	opts.MaxRetries = -1 // fail fast when Redis is gone
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, time.Second, time.Second
	prefix := "latch-test:" + t.Name() + ":" + time.Now().Format(time.RFC3339Nano) + ":"
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.db")
	clock := latchtest.NewClock(latchtest.Start)
	instance := func() *flowEnv {
		db, err := sqlitestore.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		rdb := redis.NewClient(opts)
		t.Cleanup(func() { rdb.Close() })
		e := newFlowEnv(t, latch.Config{Store: db, Clock: clock.Now, Protection: latch.ProtectionConfig{
			Limiter: redisrate.New(rdb, prefix),
			Bot:     latch.BotConfig{Disabled: true},
			Limits: latch.Limits{
				Lockout:             ratelimit.Limit{Rate: 6, Period: time.Hour, Burst: 6},
				SignInPerIdentifier: ratelimit.Limit{Rate: 100, Period: time.Second, Burst: 100},
			},
		}})
		e.Clock = clock
		return e
	}
	a, b := instance(), instance()
	if _, err := a.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"alice@example.com"}}); err != nil {
		t.Fatal(err)
	}
	// Six failures, alternating instances and identifier variants.
	variants := []string{"Alice@example.com", "alice@example.com ", "ALICE@example.com"}
	for i := range 6 {
		e := a
		if i%2 == 1 {
			e = b
		}
		if out, _ := signInWith(t, e, variants[i%3], "wrong password!"); errCode(out) != "form_password_incorrect" {
			t.Fatalf("attempt %d: %v", i, out)
		}
	}
	for _, e := range []*flowEnv{a, b} {
		if out, _ := signInWith(t, e, "alice@example.com", "wrong password!"); errCode(out) != "identifier_locked" {
			t.Fatalf("the lockout is not shared: %v", out)
		}
	}

	proxy.cut()
	for _, e := range []*flowEnv{a, b} {
		out, res := signInWith(t, e, "bob@example.com", "whatever password")
		if res.StatusCode != http.StatusServiceUnavailable || strings.Contains(res.Header.Get("Set-Cookie"), "latch_session") {
			t.Fatalf("with Redis gone: %d %v", res.StatusCode, out)
		}
	}
}

// TestCodeGuessBudgetSharedAcrossInstances: wrong codes sent to two
// instances of one app, sharing a database and a Redis, draw on one
// budget: after ten, wherever they land, the next guess waits.
func TestCodeGuessBudgetSharedAcrossInstances(t *testing.T) {
	url := os.Getenv("LATCH_TEST_REDIS")
	if url == "" {
		t.Skip("LATCH_TEST_REDIS is not set; set it to a Redis URL (redis://127.0.0.1:6379/0) to run the shared-limit tests")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "latch-test:" + t.Name() + ":" + time.Now().Format(time.RFC3339Nano) + ":"
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.db")
	loose := ratelimit.Limit{Rate: 10000, Period: time.Hour, Burst: 10000}
	instance := func() *flowEnv {
		db, err := sqlitestore.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		rdb := redis.NewClient(opts)
		t.Cleanup(func() { rdb.Close() })
		return newFlowEnv(t, latch.Config{Store: db, Protection: latch.ProtectionConfig{
			Limiter: redisrate.New(rdb, prefix),
			Bot:     latch.BotConfig{Disabled: true},
			Limits:  latch.Limits{PerIP: loose, SendsPerIdentifier: loose, SendsPerIP: loose},
		}})
	}
	a, b := instance(), instance()
	if _, err := a.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}}); err != nil {
		t.Fatal(err)
	}
	guess := func(e *flowEnv) (string, string) {
		br := e.browser()
		out, _ := call(t, br, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
		id := out["id"].(string)
		out, code := call(t, br, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
		mustStatus(t, out, code, "needs_first_factor")
		res := br.PostJSON("/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": wrongCode(e.LastCode(t, "ada@example.com"))})
		var ans map[string]any
		_ = json.NewDecoder(res.Body).Decode(&ans)
		return errCode(ans), res.Header.Get("Retry-After")
	}
	for i := range 10 {
		e := a
		if i%2 == 1 {
			e = b
		}
		if c, _ := guess(e); c != "form_code_incorrect" {
			t.Fatalf("guess %d: %s", i, c)
		}
	}
	for _, e := range []*flowEnv{a, b} {
		if c, retry := guess(e); c != "rate_limited" || (retry != "60" && retry != "59") {
			t.Fatalf("the 11th guess: %s, Retry-After %q", c, retry)
		}
	}
	if n := a.kindCount("ada@example.com", latch.MessageCodeGuesses) + b.kindCount("ada@example.com", latch.MessageCodeGuesses); n != 1 {
		t.Errorf("%d mails told the owner, want 1", n)
	}
}
