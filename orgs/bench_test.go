package orgs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
	"github.com/latchauth/latch/token"
)

// counting counts the reads a refresh makes; the capabilities it does
// not list are reached through Unwrap.
type counting struct {
	storage.Store
	reads atomic.Int64
}

func (c *counting) Unwrap() storage.Store { return c.Store }

func (c *counting) GetClientSession(ctx context.Context, clientID, sessionID string) (*storage.Client, *storage.Session, error) {
	c.reads.Add(1)
	return c.Store.GetClientSession(ctx, clientID, sessionID)
}

func (c *counting) GetUser(ctx context.Context, id string) (*storage.User, error) {
	c.reads.Add(1)
	return c.Store.GetUser(ctx, id)
}

func (c *counting) GetSession(ctx context.Context, id string) (*storage.Session, error) {
	c.reads.Add(1)
	return c.Store.GetSession(ctx, id)
}

func (c *counting) ListIdentifiers(ctx context.Context, userID string) ([]*storage.Identifier, error) {
	c.reads.Add(1)
	return c.Store.ListIdentifiers(ctx, userID)
}

func (c *counting) GetMembershipClaims(ctx context.Context, orgID, userID, teamID string) (*storage.MembershipClaims, error) {
	c.reads.Add(1)
	return c.Store.(storage.MembershipClaimsStore).GetMembershipClaims(ctx, orgID, userID, teamID)
}

func (c *counting) GetMembership(ctx context.Context, orgID, userID string) (*storage.Membership, error) {
	c.reads.Add(1)
	return c.Store.(storage.MembershipStore).GetMembership(ctx, orgID, userID)
}

func (c *counting) GetOrganization(ctx context.Context, id string) (*storage.Organization, error) {
	c.reads.Add(1)
	return c.Store.(storage.OrganizationStore).GetOrganization(ctx, id)
}

func (c *counting) GetRole(ctx context.Context, key string) (*storage.Role, error) {
	c.reads.Add(1)
	return c.Store.(storage.RoleStore).GetRole(ctx, key)
}

// refreshing returns a request whose session token has expired, so that
// Middleware refreshes it each time it is served, for a user signed in
// with an active organization (withOrg) or none.
func refreshing(t testing.TB, store storage.Store, withOrg bool) (*env, *http.Request) {
	e := newEnv(t, store, Config{})
	u := e.user(t, "ada@example.com")
	o := e.org(t, u, "Acme")
	b := e.signIn(t, u)
	if withOrg {
		activate(t, b, o.ID)
	}
	e.expire()
	r := httptest.NewRequest(http.MethodGet, "/test/claims", nil)
	for _, c := range b.Cookies() {
		r.AddCookie(c)
	}
	return e, r
}

func TestRefreshWithOrgCostsOneReadMore(t *testing.T) {
	reads := map[bool]int64{}
	for _, withOrg := range []bool{false, true} {
		c := &counting{Store: memstore.New()}
		e, r := refreshing(t, c, withOrg)
		c.reads.Store(0)
		w := httptest.NewRecorder()
		e.App.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("refresh: %d %s", w.Code, w.Body)
		}
		reads[withOrg] = c.reads.Load()
	}
	t.Logf("reads per refresh: %d without an active organization, %d with one", reads[false], reads[true])
	if reads[true] != reads[false]+1 {
		t.Errorf("a refresh reads %d times with an active organization, %d without; want one more", reads[true], reads[false])
	}
}

// BenchmarkRefreshOrg is BenchmarkMiddleware's refresh case with and
// without an active organization: the token expired, each request mints
// a new one (on memstore).
func BenchmarkRefreshOrg(b *testing.B) {
	for _, c := range []struct {
		name    string
		withOrg bool
	}{{"refresh", false}, {"refresh-org", true}} {
		b.Run(c.name, func(b *testing.B) {
			e, r := refreshing(b, memstore.New(), c.withOrg)
			h := e.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if latch.SessionFromContext(r.Context()) == nil {
					b.Fatal("signed out")
				}
			}))
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
		})
	}
}

func TestHasPermissionAllocatesNothing(t *testing.T) {
	ctx := latchtest.WithClaims(context.Background(), token.Claims{Subject: "user_1", SessionID: "sess_1", OrgID: "org_1",
		OrgRole: RoleAdmin, OrgPermissions: SystemPermissions, Extra: map[string]any{"org_team": "team_1"}})
	checks := []latch.Check{latch.Permission(PermBillingManage), latch.Role(RoleAdmin), latch.Team("team_1")}
	if !latch.Has(ctx, checks...) {
		t.Fatal("Has: false")
	}
	if n := testing.AllocsPerRun(1000, func() {
		_ = latch.Has(ctx, latch.Permission(PermBillingManage))
		_ = latch.Has(ctx, latch.Permission("org:invoices:read"), latch.Team("team_1"))
	}); n != 0 {
		t.Errorf("Has(Permission) allocates %v times", n)
	}
	if latch.Has(ctx, latch.Team("team_2")) {
		t.Error("Team of another team holds")
	}
}
