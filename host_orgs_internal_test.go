package latch

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch/storage"
)

// TestEvictedTokensAreStaleUntilMintedAgain checks the marks behind
// Host.EvictUserTokens: a token minted before the mark (or in its second,
// elsewhere) is stale, one this instance minted after it is not, and a
// second mark at the same instant makes that one stale too.
func TestEvictedTokensAreStaleUntilMintedAgain(t *testing.T) {
	var s staleSet
	at := time.Date(2030, 1, 1, 12, 0, 0, 500_000_000, time.UTC)
	iat := at.Truncate(time.Second)
	if s.stale("sess_1", iat, "old") {
		t.Fatal("an empty set holds a mark")
	}
	s.add(at, time.Minute, "sess_1")
	if !s.stale("sess_1", iat, "old") || !s.stale("sess_1", iat.Add(-time.Second), "older") {
		t.Error("a token minted before the mark is not stale")
	}
	if s.stale("sess_2", iat, "other") {
		t.Error("another session's token is stale")
	}
	s.minted("sess_1", "fresh")
	if s.stale("sess_1", iat, "fresh") {
		t.Error("the token minted after the mark is stale")
	}
	if s.stale("sess_1", iat.Add(time.Second), "later") {
		t.Error("a token of a later second is stale")
	}
	s.add(at, time.Minute, "sess_1")
	if !s.stale("sess_1", iat, "fresh") {
		t.Error("a second mark at the same instant leaves the token minted between them fresh")
	}
	s.add(at.Add(2*time.Minute), time.Minute, "sess_3")
	if s.stale("sess_1", iat, "old") {
		t.Error("a mark outlives the tokens it is about")
	}
}

// orgClaims is the orgs plugin's claims contributor as the kernel's
// benchmarks see it: one GetMembershipClaims read per mint.
type orgClaims struct{ store storage.MembershipClaimsStore }

func (orgClaims) Name() string { return "orgclaims" }

func (o *orgClaims) Register(h *Host) error {
	var err error
	if o.store, err = RequireStore[storage.MembershipClaimsStore](h); err != nil {
		return err
	}
	return h.AddClaims(ClaimsContributor{Claims: []string{"org_id", "org_slug", "org_role", "org_permissions"},
		Contribute: func(ctx context.Context, c *TokenClaims) error {
			if c.Session.ActiveOrganizationID == "" {
				return nil
			}
			mc, err := o.store.GetMembershipClaims(ctx, c.Session.ActiveOrganizationID, c.UserID, "")
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			c.Set("org_id", mc.Membership.OrganizationID)
			c.Set("org_slug", mc.OrganizationSlug)
			c.Set("org_role", mc.Membership.Role)
			c.Set("org_permissions", mc.Permissions)
			return nil
		}})
}

// newOrgFixture is newFixture with the fixture's user an admin of an
// organization their session acts for.
func newOrgFixture(tb testing.TB, store storage.Store) *fixture {
	tb.Helper()
	f := newFixture(tb, store, &orgClaims{})
	ctx := context.Background()
	now := f.a.now()
	perms := []string{"org:sys_profile:manage", "org:sys_profile:delete", "org:sys_memberships:read", "org:sys_memberships:manage",
		"org:sys_domains:read", "org:sys_domains:manage", "org:sys_billing:read", "org:sys_billing:manage"}
	if err := store.(storage.RoleStore).CreateRole(ctx, &storage.Role{ID: "role_admin", Key: "org:admin", Name: "Admin", Permissions: perms, CreatedAt: now, UpdatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	if err := store.(storage.OrganizationStore).CreateOrganization(ctx, &storage.Organization{ID: "org_acme", Name: "Acme", Slug: "acme", CreatedAt: now, UpdatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	if err := store.(storage.MembershipStore).CreateMembership(ctx, &storage.Membership{ID: "mem_ada", OrganizationID: "org_acme", UserID: f.session.UserID,
		Role: "org:admin", CreatedAt: now, UpdatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	s, err := store.GetSession(ctx, f.session.ID)
	if err != nil {
		tb.Fatal(err)
	}
	s.ActiveOrganizationID = "org_acme"
	if err := store.UpdateSession(ctx, s); err != nil {
		tb.Fatal(err)
	}
	if f.session, err = f.a.mint(ctx, s); err != nil {
		tb.Fatal(err)
	}
	if f.session.Claims.OrgRole != "org:admin" || len(f.session.Claims.OrgPermissions) != len(perms) {
		tb.Fatalf("the fixture's token: %+v", f.session.Claims)
	}
	return f
}

// TestAppCannotSetTheTeamClaim keeps latch.Team for the plugin that owns
// org_team: an application's own claims cannot set it.
func TestAppCannotSetTheTeamClaim(t *testing.T) {
	for _, k := range []string{"org_team", "ORG_TEAM", "org_id"} {
		if !reservedClaim(k) {
			t.Errorf("Config.Session.Claims may set %q", k)
		}
	}
	if reservedClaim("tenant") {
		t.Error("a custom claim is reserved")
	}
}
