package latch_test

import (
	"context"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/token"
)

// checkSession is a session whose token carries registered and custom
// claims, custom ones in each form a check may meet: as a verifier decodes
// them ([]any) and as an application set them ([]string).
func checkSession() context.Context {
	return latch.WithSession(context.Background(), &latch.Session{ID: "sess_1", UserID: "user_1", Claims: &token.Claims{
		Subject: "user_1", SessionID: "sess_1", AuthorizedParty: "https://app.example", OrgID: "org_1", OrgSlug: "acme",
		OrgRole: "org:admin", OrgPermissions: []string{"org:invoices:read"}, Plan: "pro", Features: []string{"export"},
		AMR: []string{"pwd", "otp"}, Audience: []string{"api"},
		Extra: map[string]any{"tier": "gold", "groups": []any{"staff", 3.0, "ops"}, "regions": []string{"eu"}, "beta": true, "level": 3.0},
	}})
}

func TestClaimAndCheckFuncChecks(t *testing.T) {
	c := checkSession()
	for _, tc := range []struct {
		check latch.Check
		want  bool
	}{
		{latch.Claim("tier", "gold"), true},
		{latch.Claim("tier", "silver"), false},
		{latch.Claim("groups", "ops"), true},
		{latch.Claim("groups", "3"), false},
		{latch.Claim("regions", "eu"), true},
		{latch.Claim("regions", "us"), false},
		{latch.Claim("beta", "true"), false}, // not a string
		{latch.Claim("level", "3"), false},
		{latch.Claim("missing", "x"), false},
		{latch.Claim("tier", ""), false},
		{latch.Claim("sub", "user_1"), true},
		{latch.Claim("sid", "sess_1"), true},
		{latch.Claim("azp", "https://app.example"), true},
		{latch.Claim("aud", "api"), true},
		{latch.Claim("org_id", "org_1"), true},
		{latch.Claim("org_slug", "acme"), true},
		{latch.Claim("org_role", "org:admin"), true},
		{latch.Claim("org_role", ""), false},
		{latch.Claim("org_permissions", "org:invoices:read"), true},
		{latch.Claim("pla", "pro"), true},
		{latch.Claim("fea", "export"), true},
		{latch.Claim("amr", "otp"), true},
		{latch.Claim("amr", "hwk"), false},
		{latch.CheckFunc(func(c *token.Claims) bool { return c.Extra["beta"] == true }), true},
		{latch.CheckFunc(func(c *token.Claims) bool { return c.HasAMR("hwk") }), false},
		{latch.CheckFunc(nil), false},
	} {
		if got := latch.Has(c, tc.check); got != tc.want {
			t.Errorf("%+v: Has = %v, want %v", tc.check, got, tc.want)
		}
	}
	if latch.Has(context.Background(), latch.CheckFunc(func(*token.Claims) bool { return true })) {
		t.Error("a CheckFunc holds for a signed-out request")
	}
}

// staff is a CheckFunc as an application would write one.
func staff(c *token.Claims) bool { return c.HasRole("org:admin") || c.HasAMR("hwk") }

func TestClaimChecksDoNotAllocate(t *testing.T) {
	c := checkSession()
	if n := testing.AllocsPerRun(100, func() {
		latch.Has(c, latch.Claim("groups", "ops"), latch.Claim("regions", "eu"), latch.Claim("org_role", "org:admin"), latch.CheckFunc(staff))
	}); n != 0 {
		t.Errorf("Claim and CheckFunc allocate %v times", n)
	}
}

func BenchmarkChecks(b *testing.B) {
	c := checkSession()
	b.Run("role", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			latch.Has(c, latch.Role("org:admin"))
		}
	})
	b.Run("claim", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			latch.Has(c, latch.Claim("groups", "ops"))
		}
	})
	b.Run("func", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			latch.Has(c, latch.CheckFunc(staff))
		}
	})
}
