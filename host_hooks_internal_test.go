package latch

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/latchauth/latch/storage"
)

// TestSignInPolicyCannotBeSkippedByAnotherFirstFactor: a policy that
// requires a strategy refuses a sign-in with any other, whatever other
// policies allow, and a second factor required by any policy (a sign-in
// policy or a RequireSecondFactor one) is required.
func TestSignInPolicyCannotBeSkippedByAnotherFirstFactor(t *testing.T) {
	ctx := context.Background()
	member := &storage.User{ID: "user_member"}
	other := &storage.User{ID: "user_other"}
	orgPasskeys := func(_ context.Context, in SignInContext) (SignInRequirement, error) {
		if in.User.ID == member.ID {
			return SignInRequirement{Strategies: []string{"passkey"}}, nil
		}
		return SignInRequirement{}, nil
	}
	orgKeys := func(_ context.Context, in SignInContext) (SignInRequirement, error) {
		if in.OrganizationID == "org_strict" {
			return SignInRequirement{Strategies: []string{"passkey", "security_key"}, SecondFactor: true}, nil
		}
		return SignInRequirement{}, nil
	}
	a := &Auth{}
	a.reg.signIn = []SignInPolicy{orgPasskeys, orgKeys}
	a.plugins.policies = []SecondFactorPolicy{func(_ context.Context, u *storage.User) (bool, error) { return u.MFARequired, nil }}

	for _, tc := range []struct {
		name     string
		in       SignInContext
		refused  bool
		second   bool
		strategy []string
	}{
		{"a member with a password", SignInContext{User: member, Strategy: "password"}, true, false, []string{"passkey"}},
		{"a member with a passkey", SignInContext{User: member, Strategy: "passkey"}, false, false, []string{"passkey"}},
		{"anyone else with a password", SignInContext{User: other, Strategy: "password"}, false, false, nil},
		{"a strict organization, a security key", SignInContext{User: other, Strategy: "security_key", OrganizationID: "org_strict"}, false, true, []string{"passkey", "security_key"}},
		{"a strict organization and a member", SignInContext{User: member, Strategy: "security_key", OrganizationID: "org_strict"}, true, true, []string{"passkey"}},
		{"a strict organization, a password", SignInContext{User: other, Strategy: "password", OrganizationID: "org_strict"}, true, true, nil},
		{"second factor by user", SignInContext{User: &storage.User{ID: "user_mfa", MFARequired: true}, Strategy: "password"}, false, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := a.signInRequirements(ctx, tc.in)
			if refused := errors.Is(err, ErrStrategyNotAllowed); refused != tc.refused {
				t.Fatalf("refused %v (%v), want %v", refused, err, tc.refused)
			}
			if req.SecondFactor != tc.second {
				t.Errorf("second factor %v, want %v", req.SecondFactor, tc.second)
			}
			if tc.strategy != nil && !slices.Equal(req.Strategies, tc.strategy) {
				t.Errorf("strategies %v, want %v", req.Strategies, tc.strategy)
			}
		})
	}

	a.reg.signIn = append(a.reg.signIn, func(context.Context, SignInContext) (SignInRequirement, error) {
		return SignInRequirement{}, errors.New("directory unreachable")
	})
	if _, err := a.signInRequirements(ctx, SignInContext{User: other, Strategy: "password"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a failing policy: %v, want ErrUnavailable", err)
	}
}
