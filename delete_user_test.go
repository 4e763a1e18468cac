package latch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// localBroadcaster carries strict-mode messages between instances in one
// process, as Redis or PostgreSQL would between machines.
type localBroadcaster struct {
	mu   sync.Mutex
	subs []func(string)
}

func (b *localBroadcaster) Publish(_ context.Context, msg string) error {
	b.mu.Lock()
	subs := append([]func(string){}, b.subs...)
	b.mu.Unlock()
	for _, fn := range subs {
		fn(msg)
	}
	return nil
}

func (b *localBroadcaster) Subscribe(ctx context.Context, ready chan<- struct{}, fn func(string)) error {
	b.mu.Lock()
	b.subs = append(b.subs, fn)
	b.mu.Unlock()
	close(ready)
	<-ctx.Done()
	return ctx.Err()
}

// instanceOf is another instance of a's application (same store, secrets
// and clock), in strict mode when bc is not nil.
func instanceOf(t testing.TB, a *app, bc latch.Broadcaster) *app {
	t.Helper()
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{
		Store: a.Store, BaseURL: base, Secrets: [][]byte{[]byte(strings.Repeat("s", 32))}, Clock: a.Clock.Now,
		Session: latch.SessionConfig{Broadcaster: bc},
	}})
	h.Clock, h.Store = a.Clock, a.Store
	<-h.Ready()
	mux := http.NewServeMux()
	mux.Handle("/", h.Handler())
	mux.Handle("GET /whoami", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := latch.SessionFromContext(r.Context()); s != nil {
			io.WriteString(w, s.UserID+" "+s.ID)
			return
		}
		io.WriteString(w, "signed-out")
	}))
	return &app{Harness: h, handler: h.Middleware(mux)}
}

// TestDeletedUserIsSignedOutAtOnce: deleting a user ends their sessions as
// banning does. The deleting instance refuses their cached token at once,
// another instance in strict mode as soon as the revocation arrives, and
// one without strict mode at its next refresh; the refresh token dies too.
func TestDeletedUserIsSignedOutAtOnce(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		bc := &localBroadcaster{}
		a := instanceOf(t, &app{Harness: latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Store: s}})}, bc)
		strict := instanceOf(t, a, bc)
		lax := instanceOf(t, a, nil)
		u := a.user(t, "ada@example.com")
		b := a.browser()
		sess := latchtest.SignIn(t, a.Auth, b, u.ID)
		rt, err := a.NewRefreshToken(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		bearer := func(x *app) string {
			r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
			r.Header.Set("Authorization", "Bearer "+sess.Token)
			rec := httptest.NewRecorder()
			x.handler.ServeHTTP(rec, r)
			return rec.Body.String()
		}
		for _, x := range []*app{a, strict, lax} {
			if got := bearer(x); !strings.HasPrefix(got, u.ID) {
				t.Fatalf("valid token refused before the deletion: %q", got)
			}
		}
		if err := a.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if got := bearer(a); got != "signed-out" {
			t.Errorf("the deleting instance still accepts the deleted user's token: %q", got)
		}
		if got := whoami(t, b); got != "signed-out" {
			t.Errorf("the deleted user's browser is still signed in: %q", got)
		}
		if got := bearer(strict); got != "signed-out" {
			t.Errorf("a strict-mode instance still accepts the deleted user's token: %q", got)
		}
		// Without strict mode the token lives out its minute; the refresh
		// that follows finds no session.
		lb := latchtest.NewBrowser(lax.handler)
		for _, c := range b.Cookies() {
			lb.SetCookie(c.Name, c.Value)
		}
		lb.SetCookie("__Host-latch_session", sess.Token)
		a.Clock.Advance(61 * time.Second)
		if got := whoami(t, lb); got != "signed-out" {
			t.Errorf("another instance refreshed the deleted user's session: %q", got)
		}
		if _, _, err := a.RefreshWithToken(ctx, rt); err == nil {
			t.Error("the deleted user's refresh token still works")
		}
	})
}
