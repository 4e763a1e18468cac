package orgs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage/memstore"
)

// hub is an in-process medium for strict mode: what one instance
// publishes, every subscriber gets.
type hub struct {
	mu   sync.Mutex
	subs []func(string)
}

func (h *hub) Publish(_ context.Context, msg string) error {
	h.mu.Lock()
	subs := slices.Clone(h.subs)
	h.mu.Unlock()
	for _, f := range subs {
		f(msg)
	}
	return nil
}

func (h *hub) Subscribe(ctx context.Context, ready chan<- struct{}, fn func(string)) error {
	h.mu.Lock()
	h.subs = append(h.subs, fn)
	h.mu.Unlock()
	close(ready)
	<-ctx.Done()
	return ctx.Err()
}

func TestStrictModeEvictsRemovedMemberOnEveryInstance(t *testing.T) {
	store, medium := memstore.New(), &hub{}
	instance := func() (*latchtest.Harness, *Plugin) {
		p := New(Config{})
		h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Store: store, BaseURL: base,
			Secrets: [][]byte{[]byte(strings.Repeat("s", 32))}, Plugins: []latch.Plugin{p},
			Session: latch.SessionConfig{Broadcaster: medium}}})
		<-h.Ready()
		return h, p
	}
	a, pa := instance()
	b, _ := instance()
	ctx := context.Background()
	ada, _ := a.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	bob, _ := a.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"bob@example.com"}})
	o, err := pa.CreateOrganization(ctx, ada.ID, CreateParams{Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pa.AddMember(ctx, o.ID, bob.ID, ""); err != nil {
		t.Fatal(err)
	}
	s, err := a.CreateSession(ctx, httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil), bob.ID, latch.SessionParams{})
	if err != nil {
		t.Fatal(err)
	}
	s, err = pa.SetActive(ctx, nil, s, o.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	orgOn := func(x *latch.Auth) string {
		var got *latch.Session
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+s.Token)
		x.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = latch.SessionFromContext(r.Context()) })).
			ServeHTTP(httptest.NewRecorder(), r)
		if got == nil {
			return "refused"
		}
		return got.Claims.OrgID
	}
	if got := orgOn(b.Auth); got != o.ID {
		t.Fatalf("the other instance sees %q, want %s", got, o.ID)
	}
	start := time.Now()
	if err := pa.RemoveMember(ctx, o.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	for orgOn(b.Auth) == o.ID {
		if time.Since(start) > time.Second {
			t.Fatal("a second after the removal, the other instance still accepts the token with the organization's claims")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("evicted on the other instance after %v", time.Since(start))
}
