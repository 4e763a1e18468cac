package latch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/token"
)

// ClaimsContributor adds claims to session tokens. Its Contribute runs each
// time a session token is minted: at sign-in, at every refresh, after a
// reverification, when the active session changes. It never runs when a
// token is verified, so what it costs is paid once per token lifetime, not
// per request.
type ClaimsContributor struct {
	// Claims lists the names Contribute may set, each owned by this
	// contributor alone. The claims Latch sets itself (sub, sid, iss, azp,
	// aud, iat, nbf, exp, jti, typ, fva, amr, act, v) are refused, as is a
	// name another contributor declared. The organization claims (org_id,
	// org_slug, org_role, org_permissions, org_team) and the billing
	// claims (pla, fea) are left to the plugin that owns them: the first
	// to declare one has it, and Role, Permission, Team, Plan and Feature
	// read what it sets. Any other name is a custom claim (Claim and CheckFunc read it).
	Claims []string
	// Contribute sets the claims of one token with c.Set. An error fails
	// the mint with ErrUnavailable, as a store outage does: a token must
	// not go out without the claims that authorize its holder.
	Contribute func(ctx context.Context, c *TokenClaims) error
}

// TokenClaims is a session token being minted, as a ClaimsContributor sees
// it.
type TokenClaims struct {
	// UserID is the token's subject (the impersonated user when
	// Session.ActorID is set).
	UserID string
	// Session is the session the token is for, to read only: its
	// ActiveOrganizationID names the organization to describe, its ActorID
	// the administrator acting as the user.
	Session *storage.Session

	owner   *claimsContributor
	claims  *token.Claims
	dropped []droppedClaim // what Set left out, logged once Contribute returns
}

type droppedClaim struct{ name, why string }

// Set sets claim name to value. org_id, org_slug, org_role, org_team and
// pla take a string, org_permissions and fea a []string; a custom claim takes any
// value encoding/json encodes, and reads back as encoding/json decodes it
// (numbers are float64), on this instance as on any other. A nil value
// removes the claim. A name the contributor did not declare, or a value of
// the wrong type, is left out of the token and logged (once per name).
func (c *TokenClaims) Set(name string, value any) {
	switch {
	case !c.owner.declared[name]:
		c.drop(name, "a claims contributor set a claim it did not declare; it is left out of every session token")
		return
	case isOwnedClaim(name):
		if !setOwnedClaim(c.claims, name, value) {
			c.drop(name, "a claims contributor set a claim to a value of the wrong type; it is left out of every session token")
		}
		return
	case value == nil:
		delete(c.claims.Extra, name)
		return
	}
	v, err := jsonValue(value)
	if err != nil {
		c.drop(name, "a claims contributor set a claim that does not encode as JSON; it is left out of every session token")
		return
	}
	if c.claims.Extra == nil {
		c.claims.Extra = map[string]any{}
	}
	c.claims.Extra[name] = v
}

func (c *TokenClaims) drop(name, why string) {
	c.dropped = append(c.dropped, droppedClaim{name, why})
}

// jsonValue returns v as a verifier decodes it from a token, so that a
// check reads the same value on the instance that minted the token (which
// caches it) as on one that verified it.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// claimsContributor is a registered contributor.
type claimsContributor struct {
	ClaimsContributor
	declared map[string]bool
}

// kernelClaims are the claims only the kernel sets: the registered claims
// of package token other than the owned ones, and jti and typ, which a
// verifier elsewhere may read as the JWT's own.
var kernelClaims = []string{"jti", "typ"}

// isOwnedClaim reports whether name is a registered claim that a plugin
// may own: the organization and billing claims.
func isOwnedClaim(name string) bool {
	switch name {
	case "org_id", "org_slug", "org_role", "org_permissions", "org_team", "pla", "fea":
		return true
	}
	return false
}

// setOwnedClaim sets an owned claim's field of c when value has its type
// (nil clears it).
func setOwnedClaim(c *token.Claims, name string, value any) bool {
	s, isString := value.(string)
	list, isList := value.([]string)
	if value == nil {
		isString, isList = true, true
	}
	switch {
	case name == "org_id" && isString:
		c.OrgID = s
	case name == "org_slug" && isString:
		c.OrgSlug = s
	case name == "org_role" && isString:
		c.OrgRole = s
	case name == "pla" && isString:
		c.Plan = s
	case name == "org_permissions" && isList:
		c.OrgPermissions = slices.Clone(list) // the token's own: cached, it must not change
	case name == "fea" && isList:
		c.Features = slices.Clone(list)
	case name == "org_team" && isString:
		// No field of its own: a custom claim that only its owner sets.
		if s == "" {
			delete(c.Extra, name)
		} else {
			if c.Extra == nil {
				c.Extra = map[string]any{}
			}
			c.Extra[name] = s
		}
	default:
		return false
	}
	return true
}

// AddClaims registers c. It refuses a contributor without Contribute, a
// name Latch sets itself, and a name another contributor declared (in any
// letter case, as JSON decoders match names).
func (h *Host) AddClaims(c ClaimsContributor) error {
	if c.Contribute == nil {
		return errors.New("claims contributor without Contribute")
	}
	if len(c.Claims) == 0 {
		return errors.New("claims contributor declares no claims")
	}
	p := &h.a.plugins
	if p.claimNames == nil {
		p.claimNames = map[string]*claimsContributor{}
	}
	cc := &claimsContributor{ClaimsContributor: c, declared: map[string]bool{}}
	for _, name := range c.Claims {
		lower := strings.ToLower(name)
		switch {
		case name == "":
			return errors.New("claims contributor declares an empty claim name")
		case isOwnedClaim(lower) && name != lower:
			return fmt.Errorf("claim %q: the registered claim is %q", name, lower)
		case !isOwnedClaim(name) && (token.IsRegisteredClaim(name) || containsFold(kernelClaims, name)):
			return fmt.Errorf("claim %q is set by Latch", name)
		case p.claimNames[lower] != nil || cc.declared[name]:
			return fmt.Errorf("claim %q is declared by another claims contributor", name)
		}
		cc.declared[name] = true
		p.claimNames[lower] = cc
	}
	p.claims = append(p.claims, cc)
	return nil
}

func containsFold(list []string, name string) bool {
	for _, s := range list {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

// contributeClaims runs the contributors on c, the claims of a token for s.
func (a *Auth) contributeClaims(ctx context.Context, s *storage.Session, c *token.Claims) error {
	if len(a.plugins.claims) == 0 {
		return nil
	}
	view := *s // a contributor's mistake must not change the session the kernel holds
	view.AMR = slices.Clone(s.AMR)
	for _, cc := range a.plugins.claims {
		tc := &TokenClaims{UserID: s.UserID, Session: &view, owner: cc, claims: c}
		err := cc.Contribute(ctx, tc)
		for _, d := range tc.dropped {
			a.reportClaim(ctx, d.name, d.why)
		}
		if err != nil {
			a.cfg.Logger.ErrorContext(ctx, "latch: a claims contributor failed", "claims", cc.Claims, "session_id", s.ID, "err", err)
			return ErrUnavailable.wrap(err)
		}
	}
	return nil
}

// addAppClaims adds the custom claims of Config.Session.Claims (registered
// names already dropped) to c, but those a contributor declared: those are
// the contributor's, so the application's value is left out and logged.
func (a *Auth) addAppClaims(ctx context.Context, c *token.Claims, extra map[string]any) {
	if len(c.Extra) == 0 && len(a.plugins.claimNames) == 0 {
		c.Extra = extra
		return
	}
	for k, v := range extra {
		if a.plugins.claimNames[strings.ToLower(k)] != nil {
			a.reportClaim(ctx, k, "Config.Session.Claims returned a claim a plugin declared; the plugin's value is kept")
			continue
		}
		if c.Extra == nil {
			c.Extra = map[string]any{}
		}
		c.Extra[k] = v
	}
}

// reportClaim logs, at error level and once per claim name and message, a
// claim left out of tokens: a bug to fix, which must neither fail every
// sign-in nor fill the log at every mint.
func (a *Auth) reportClaim(ctx context.Context, name, msg string) {
	if _, seen := a.plugins.claimsReported.LoadOrStore(msg+"\x00"+name, true); !seen {
		a.cfg.Logger.ErrorContext(ctx, "latch: "+msg, "claim", name)
	}
}
