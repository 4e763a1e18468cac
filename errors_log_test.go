package latch_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// logRecords is a slog.Handler that keeps every record, for tests that
// read the log.
type logRecords struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

func (l *logRecords) all() []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]slog.Record{}, l.recs...)
}

// text renders a record as a text handler would, attributes included.
func text(r slog.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	return b.String()
}

func attr(r slog.Record, key string) string {
	v := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

// faultyStore fails the operations that the routes below reach, once armed,
// as a database that has gone away does.
type faultyStore struct {
	storage.Store
	armed atomic.Bool
}

var errDiskOnFire = errors.New("disk on fire")

func (f *faultyStore) fail() error {
	if f.armed.Load() {
		return errDiskOnFire
	}
	return nil
}

func (f *faultyStore) GetClient(ctx context.Context, id string) (*storage.Client, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.Store.GetClient(ctx, id)
}
func (f *faultyStore) GetClientSession(ctx context.Context, cid, sid string) (*storage.Client, *storage.Session, error) {
	if err := f.fail(); err != nil {
		return nil, nil, err
	}
	return f.Store.GetClientSession(ctx, cid, sid)
}
func (f *faultyStore) GetVerification(ctx context.Context, id string) (*storage.Verification, error) {
	if err := f.fail(); err != nil {
		return nil, err
	}
	return f.Store.GetVerification(ctx, id)
}
func (f *faultyStore) CreateFlow(ctx context.Context, fl *storage.Flow) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.CreateFlow(ctx, fl)
}
func (f *faultyStore) ListUsers(ctx context.Context, uf storage.UserFilter, p storage.Page) ([]*storage.User, string, error) {
	if err := f.fail(); err != nil {
		return nil, "", err
	}
	return f.Store.ListUsers(ctx, uf, p)
}
func (f *faultyStore) InTx(ctx context.Context, fn func(storage.Querier) error) error {
	if err := f.fail(); err != nil {
		return err
	}
	return f.Store.InTx(ctx, fn)
}

// TestStoreFailureIsLoggedWithItsOperation: every request answered with
// 503 because the store failed leaves an error-level log line naming the
// storage operation that failed, and no log line carries a secret of the
// request (client cookie, session or refresh token, password).
func TestStoreFailureIsLoggedWithItsOperation(t *testing.T) {
	logs := &logRecords{}
	fs := &faultyStore{Store: memstore.New()}
	a := newApp(t, latch.Config{Store: fs, Logger: slog.New(logs)})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	sess := latchtest.SignIn(t, a.Auth, b, u.ID)
	rt, err := a.NewRefreshToken(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	fs.armed.Store(true)
	const password = "correct horse battery staple"
	requests := []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/client", nil},
		{"POST", "/v1/client/sessions/" + sess.ID + "/tokens", nil},
		{"POST", "/v1/client/sessions/" + sess.ID + "/touch", nil},
		{"POST", "/v1/client/sessions/" + sess.ID + "/end", nil},
		{"POST", "/v1/tokens/refresh", map[string]string{"refresh_token": rt}},
		{"POST", "/v1/client/sign_ins", map[string]string{"identifier": "ada@example.com", "password": password}},
		{"POST", "/v1/client/sign_ups", map[string]string{"email_address": "bob@example.com", "password": password}},
	}
	answered503 := 0
	for _, rq := range requests {
		before := len(logs.all())
		status, _ := b.JSON(rq.method, rq.path, rq.body)
		if status != http.StatusServiceUnavailable {
			continue
		}
		answered503++
		logged := false
		for _, r := range logs.all()[before:] {
			if r.Level == slog.LevelError && attr(r, "op") != "" && strings.Contains(attr(r, "err"), errDiskOnFire.Error()) {
				logged = true
			}
		}
		if !logged {
			t.Errorf("%s %s answered 503 with no error-level log line naming the failed operation", rq.method, rq.path)
		}
	}
	if answered503 < 4 {
		t.Fatalf("only %d of %d requests met the failing store; the test no longer exercises it", answered503, len(requests))
	}
	secrets := []string{sess.Token, rt, password, b.Cookie("__Host-latch_client")}
	for _, r := range logs.all() {
		line := text(r)
		for _, s := range secrets {
			if s != "" && strings.Contains(line, s) {
				t.Errorf("a log line carries a secret of the request: %s", line)
			}
		}
	}
}

// TestReservedClaimFromHookIsReportedOnce: a Config.Session.Claims hook
// that returns a claim Latch sets itself no longer fails every sign-in with
// a 503: the claim is left out (it can only withhold, never grant), and the
// log names it once, at error level, however many sign-ins follow.
func TestReservedClaimFromHookIsReportedOnce(t *testing.T) {
	logs := &logRecords{}
	a := newApp(t, latch.Config{Logger: slog.New(logs), Session: latch.SessionConfig{
		Claims: func(context.Context, *storage.Session) (map[string]any, error) {
			return map[string]any{"sub": "user_admin", "Org_Role": "org:admin", "tenant": "acme"}, nil
		},
	}})
	u := a.user(t, "ada@example.com")
	for range 3 {
		b := a.browser()
		s := latchtest.SignIn(t, a.Auth, b, u.ID)
		if s.UserID != u.ID || s.Claims.Subject != u.ID || s.Claims.OrgRole != "" || s.Claims.Extra["tenant"] != "acme" {
			t.Fatalf("claims with a reserved name from the hook: %+v", s.Claims)
		}
		a.Clock.Advance(2 * time.Minute)
		if got := whoami(t, b); !strings.HasPrefix(got, u.ID) {
			t.Fatalf("refresh with a reserved claim from the hook: %q", got)
		}
	}
	reported := map[string]int{}
	for _, r := range logs.all() {
		if c := attr(r, "claim"); c != "" && r.Level == slog.LevelError {
			reported[c]++
		}
	}
	if reported["sub"] != 1 || reported["Org_Role"] != 1 || len(reported) != 2 {
		t.Errorf("reserved claims reported %v, want sub and Org_Role once each", reported)
	}
}

// TestStoreOutageDoesNotSignClientsOut: while the store is down, a
// JavaScript client asking for a fresh session token is told the service
// is unavailable, not that it is signed out (which would make it drop its
// session); once the store is back the same request succeeds.
func TestStoreOutageDoesNotSignClientsOut(t *testing.T) {
	fs := &faultyStore{Store: memstore.New()}
	a := newApp(t, latch.Config{Store: fs, Logger: slog.New(&logRecords{})})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	sess := latchtest.SignIn(t, a.Auth, b, u.ID)
	fs.armed.Store(true)
	path := "/v1/client/sessions/" + sess.ID + "/tokens"
	if status, body := b.JSON("POST", path, nil); status != http.StatusServiceUnavailable {
		t.Fatalf("token during an outage: %d %s, want 503", status, body)
	}
	fs.armed.Store(false)
	if status, body := b.JSON("POST", path, nil); status != http.StatusOK {
		t.Fatalf("token after the outage: %d %s", status, body)
	}
}
