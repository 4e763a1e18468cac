package orgs

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

const (
	base         = "http://app.test"
	goodPassword = "correct horse battery staple"
)

// env is an app with Latch's routes and the orgs plugin on a fake clock,
// with a page protected by a permission and one that shows the claims.
type env struct {
	*latchtest.Harness
	p   *Plugin
	ctx context.Context
}

func newEnv(t testing.TB, store storage.Store, oc Config, mod ...func(*latch.Config)) *env {
	t.Helper()
	if store == nil {
		store = memstore.New()
	}
	e := &env{p: New(oc), ctx: context.Background()}
	cfg := latch.Config{Store: store, BaseURL: base, AppName: "Acme",
		Secrets: [][]byte{[]byte(strings.Repeat("s", 32))}, Plugins: []latch.Plugin{e.p}}
	for _, m := range mod {
		m(&cfg)
	}
	e.Harness = latchtest.NewHarness(t, latchtest.Options{Config: cfg})
	t.Cleanup(func() { e.Flush() })
	mux := http.NewServeMux()
	mux.Handle("/", e.Handler())
	mux.HandleFunc("GET /test/claims", func(w http.ResponseWriter, r *http.Request) {
		s := latch.SessionFromContext(r.Context())
		if s == nil {
			http.Error(w, "signed out", http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(s.Claims)
	})
	mux.Handle("GET /test/invoices", e.Protect(latch.Permission("org:invoices:read"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("invoices"))
	})))
	e.App = e.Middleware(mux)
	return e
}

// user creates a user with a verified email address.
func (e *env) user(t testing.TB, email string) string {
	t.Helper()
	u, err := e.CreateUser(e.ctx, latch.CreateUserParams{EmailAddresses: []string{email}})
	if err != nil {
		t.Fatalf("creating %s: %v", email, err)
	}
	return u.ID
}

// unverified adds an unverified address to a user.
func (e *env) unverified(t testing.TB, userID, email string) {
	t.Helper()
	now := e.Clock.Now()
	err := e.Store.CreateIdentifier(e.ctx, &storage.Identifier{ID: "idn_u" + strings.ReplaceAll(email, "@", "_"), UserID: userID,
		Kind: storage.KindEmailAddress, Value: email, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
}

// signIn returns a browser signed in as userID.
func (e *env) signIn(t testing.TB, userID string) *latchtest.Browser {
	t.Helper()
	b := e.NewBrowser()
	latchtest.SignIn(t, e.Auth, b, userID)
	return b
}

// org creates an organization whose creator is userID.
func (e *env) org(t testing.TB, userID, name string) *Organization {
	t.Helper()
	o, err := e.p.CreateOrganization(e.ctx, userID, CreateParams{Name: name})
	if err != nil {
		t.Fatalf("creating %s: %v", name, err)
	}
	return o
}

// member adds userID to orgID with role.
func (e *env) member(t testing.TB, orgID, userID, role string) {
	t.Helper()
	if _, err := e.p.AddMember(e.ctx, orgID, userID, role); err != nil {
		t.Fatalf("adding %s to %s as %s: %v", userID, orgID, role, err)
	}
}

// claims returns the claims of b's session token as the app sees them.
func claims(t testing.TB, b *latchtest.Browser) map[string]any {
	t.Helper()
	code, out := b.JSON(http.MethodGet, "/test/claims", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /test/claims: %d %v", code, out)
	}
	return out
}

// activate makes orgID the active organization of b.
func activate(t testing.TB, b *latchtest.Browser, orgID string) {
	t.Helper()
	code, out := b.JSON(http.MethodPut, "/v1/me/organizations/active", map[string]any{"organization_id": orgID})
	if code != http.StatusOK {
		t.Fatalf("switching to %s: %d %v", orgID, code, out)
	}
}

// expire moves the clock past the session token's lifetime, so that the
// next request refreshes it.
func (e *env) expire() { e.Clock.Advance(2 * time.Minute) }

var pageAll = storage.Page{Limit: storage.MaxLimit}
