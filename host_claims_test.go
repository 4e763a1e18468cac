package latch_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
	"github.com/latchauth/latch/token"
)

// claimsPlugin adds one claims contributor.
func claimsPlugin(c latch.ClaimsContributor) latch.Plugin {
	return funcPlugin(func(h *latch.Host) error { return h.AddClaims(c) })
}

// orgClaims is what an organizations plugin would contribute: the role
// and permissions of the session's active organization, read at each mint.
type orgClaims struct {
	role  atomic.Value // string
	mints atomic.Int32
}

func (o *orgClaims) contributor() latch.ClaimsContributor {
	return latch.ClaimsContributor{
		Claims: []string{"org_id", "org_role", "org_permissions", "pla", "fea", "tier"},
		Contribute: func(_ context.Context, c *latch.TokenClaims) error {
			o.mints.Add(1)
			role, _ := o.role.Load().(string)
			c.Set("org_id", "org_"+c.UserID)
			c.Set("org_role", role)
			c.Set("org_permissions", []string{"org:invoices:read"})
			c.Set("pla", "pro")
			c.Set("fea", []string{"export", "sso"})
			c.Set("tier", []string{"gold", "early"})
			return nil
		},
	}
}

// TestClaimsContributorAuthorizesRealTokens: what a contributor sets is in
// the signed token, and the checks read it, on the instance that minted
// the token (from its cache) as on another one that verifies it.
func TestClaimsContributorAuthorizesRealTokens(t *testing.T) {
	org := &orgClaims{}
	org.role.Store("org:admin")
	a := newApp(t, latch.Config{Plugins: []latch.Plugin{claimsPlugin(org.contributor())}})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	s := latchtest.SignIn(t, a.Auth, b, u.ID)

	c, err := a.Verifier().Verify(s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if c.OrgID != "org_"+u.ID || c.OrgRole != "org:admin" || !c.HasPermission("org:invoices:read") || c.Plan != "pro" || !c.HasFeature("sso") {
		t.Errorf("the signed token's claims: %+v", c)
	}
	if res := b.Get("/admin"); res.StatusCode != 200 {
		t.Errorf("Protect(Role(org:admin)) with a contributed role: %d", res.StatusCode)
	}

	other := newApp(t, latch.Config{Store: a.Store, Plugins: []latch.Plugin{claimsPlugin((&orgClaims{}).contributor())}})
	checks := []latch.Check{latch.Role("org:admin"), latch.Permission("org:invoices:read"), latch.Plan("pro"), latch.Feature("export"),
		latch.Claim("tier", "gold"), latch.Claim("org_id", "org_"+u.ID), latch.Claim("fea", "sso"),
		latch.CheckFunc(func(c *token.Claims) bool { return c.OrgRole == "org:admin" && len(c.Extra["tier"].([]any)) == 2 })}
	for name, inst := range map[string]*app{"minting instance": a, "another instance": other} {
		var held bool
		h := inst.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { held = latch.Has(r.Context(), checks...) }))
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+s.Token)
		h.ServeHTTP(httptest.NewRecorder(), r)
		if !held {
			t.Errorf("%s: the checks do not hold", name)
		}
	}
}

// TestClaimsContributorRunsAtEveryMint: the claims are read again at each
// refresh, so a changed role reaches the next token.
func TestClaimsContributorRunsAtEveryMint(t *testing.T) {
	org := &orgClaims{}
	org.role.Store("org:admin")
	a := newApp(t, latch.Config{Plugins: []latch.Plugin{claimsPlugin(org.contributor())}})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	latchtest.SignIn(t, a.Auth, b, u.ID)
	if n := org.mints.Load(); n != 1 {
		t.Fatalf("contributor ran %d times at sign-in", n)
	}
	for range 3 {
		b.Get("/whoami") // a cached token: no mint
	}
	if n := org.mints.Load(); n != 1 {
		t.Fatalf("contributor ran %d times on cached requests", n)
	}
	org.role.Store("org:member")
	a.Clock.Advance(2 * time.Minute)
	if res := b.Get("/admin"); res.StatusCode == 200 {
		t.Error("the refreshed token kept the old role")
	}
	if n := org.mints.Load(); n != 2 {
		t.Errorf("contributor ran %d times after a refresh", n)
	}
}

func TestReservedClaimNamesRefusedAtRegistration(t *testing.T) {
	set := func(context.Context, *latch.TokenClaims) error { return nil }
	one := func(names ...string) []latch.ClaimsContributor {
		return []latch.ClaimsContributor{{Claims: names, Contribute: set}}
	}
	cases := map[string][]latch.ClaimsContributor{
		"no Contribute":        {{Claims: []string{"tier"}}},
		"no claims":            {{Contribute: set}},
		"an empty name":        one(""),
		"a name twice":         one("tier", "tier"),
		"a name, two cases":    one("tier", "Tier"),
		"a registered owned":   one("ORG_ROLE"),
		"two org_role owners":  {{Claims: []string{"org_role"}, Contribute: set}, {Claims: []string{"org_role"}, Contribute: set}},
		"two owners of a name": {{Claims: []string{"tier"}, Contribute: set}, {Claims: []string{"TIER"}, Contribute: set}},
	}
	for _, name := range []string{"sub", "sid", "iss", "azp", "aud", "iat", "nbf", "exp", "jti", "typ", "fva", "amr", "act", "v", "SUB", "Jti"} {
		cases["kernel claim "+name] = one("tier", name)
	}
	for name, cs := range cases {
		t.Run(name, func(t *testing.T) {
			plugins := make([]latch.Plugin, len(cs))
			for i, c := range cs {
				plugins[i] = claimsPlugin(c)
			}
			if _, err := latch.New(latch.Config{Store: memstore.New(), Secrets: [][]byte{[]byte(strings.Repeat("s", 32))}, Plugins: plugins}); err == nil {
				t.Fatal("New accepted the contributor")
			}
		})
	}
	if _, err := latch.New(latch.Config{Store: memstore.New(), Secrets: [][]byte{[]byte(strings.Repeat("s", 32))}, Plugins: []latch.Plugin{
		claimsPlugin(latch.ClaimsContributor{Claims: []string{"org_id", "org_slug", "org_role", "org_permissions"}, Contribute: set}),
		claimsPlugin(latch.ClaimsContributor{Claims: []string{"pla", "fea", "tier"}, Contribute: set}),
	}}); err != nil {
		t.Errorf("an organizations and a billing contributor: %v", err)
	}
}

// TestUndeclaredClaimIsDroppedAndLogged: a contributor that sets a claim it
// did not declare, or an owned claim with a value of the wrong type, does
// not get it into the token, and the bug is logged once, not at every mint.
func TestUndeclaredClaimIsDroppedAndLogged(t *testing.T) {
	logs := &logRecords{}
	a := newApp(t, latch.Config{Logger: slog.New(logs), Plugins: []latch.Plugin{claimsPlugin(latch.ClaimsContributor{
		Claims: []string{"tier", "org_role", "org_permissions"},
		Contribute: func(_ context.Context, c *latch.TokenClaims) error {
			c.Set("tier", "gold")
			c.Set("rank", "captain")        // not declared
			c.Set("org_id", "org_1")        // owned, but not declared
			c.Set("org_role", 7)            // not a string
			c.Set("org_permissions", "all") // not a list
			c.Set("sub", "user_admin")      // the kernel's
			return nil
		},
	})}})
	u := a.user(t, "ada@example.com")
	for range 3 {
		s := latchtest.SignIn(t, a.Auth, a.browser(), u.ID)
		c, err := a.Verifier().Verify(s.Token)
		if err != nil {
			t.Fatal(err)
		}
		if c.Extra["tier"] != "gold" || c.Extra["rank"] != nil || c.OrgID != "" || c.OrgRole != "" || c.OrgPermissions != nil || c.Subject != u.ID {
			t.Fatalf("claims: %+v", c)
		}
	}
	reported := map[string]int{}
	for _, r := range logs.all() {
		if r.Level == slog.LevelError && strings.Contains(r.Message, "claims contributor") {
			reported[attr(r, "claim")]++
		}
	}
	for _, name := range []string{"rank", "org_id", "org_role", "org_permissions", "sub"} {
		if reported[name] != 1 {
			t.Errorf("%s reported %d times over three mints, want once", name, reported[name])
		}
	}
}

func TestClaimsContributorFailureFailsTheMint(t *testing.T) {
	down := errors.New("organizations table unreachable")
	a := newApp(t, latch.Config{Plugins: []latch.Plugin{claimsPlugin(latch.ClaimsContributor{
		Claims:     []string{"org_role"},
		Contribute: func(context.Context, *latch.TokenClaims) error { return down },
	})}})
	u := a.user(t, "ada@example.com")
	r := httptest.NewRequest("POST", "/sign-in", nil)
	_, err := a.CreateSession(ctx, httptest.NewRecorder(), r, u.ID, latch.SessionParams{AMR: []string{"pwd"}})
	var le *latch.Error
	if !errors.Is(err, latch.ErrUnavailable) || !errors.As(err, &le) || strings.Contains(le.Message, "unreachable") {
		t.Errorf("mint with a failing contributor: %v", err)
	}
}

// TestApplicationClaimsCannotOverridePluginClaims: a name a plugin declared
// is the plugin's, whatever SessionConfig.Claims returns for it.
func TestApplicationClaimsCannotOverridePluginClaims(t *testing.T) {
	a := newApp(t, latch.Config{
		Session: latch.SessionConfig{Claims: func(context.Context, *storage.Session) (map[string]any, error) {
			return map[string]any{"tier": "free", "tenant": "acme"}, nil
		}},
		Plugins: []latch.Plugin{claimsPlugin(latch.ClaimsContributor{
			Claims:     []string{"tier"},
			Contribute: func(_ context.Context, c *latch.TokenClaims) error { c.Set("tier", "gold"); return nil },
		})},
	})
	s := latchtest.SignIn(t, a.Auth, a.browser(), a.user(t, "ada@example.com").ID)
	c, err := a.Verifier().Verify(s.Token)
	if err != nil {
		t.Fatal(err)
	}
	if c.Extra["tier"] != "gold" || c.Extra["tenant"] != "acme" {
		t.Errorf("claims: %v", c.Extra)
	}
}
