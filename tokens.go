package latch

import (
	"context"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/tokencache"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/token"
)

// Session tokens: minting them with their claims, and the cache of
// verified ones that makes a repeated token cost a map lookup.

// mint signs a session token for s with the current claims.
func (a *Auth) mint(ctx context.Context, s *storage.Session) (*Session, error) {
	if err := a.ensureKeys(ctx); err != nil {
		return nil, asError(err)
	}
	c, err := a.claimsFor(ctx, s)
	if err != nil {
		return nil, err
	}
	tok, err := a.keys.set.Sign(c)
	if err != nil {
		return nil, ErrUnavailable.wrap(err)
	}
	sess := sessionOf(c, tok)
	a.stale.minted(s.ID, tok)
	a.cache.put(tok, sess, a.cfg.Clock())
	return sess, nil
}

// claimsFor builds the claims of a new token for s.
func (a *Auth) claimsFor(ctx context.Context, s *storage.Session) (*token.Claims, error) {
	now := a.cfg.Clock().UTC().Truncate(time.Second)
	exp := now.Add(a.cfg.Session.TokenLifetime)
	if s.ExpiresAt.Before(exp) {
		exp = s.ExpiresAt
	}
	fva := [2]int{minutesSince(now, s.FirstFactorAt), minutesSince(now, s.SecondFactorAt)}
	c := &token.Claims{
		Subject: s.UserID, SessionID: s.ID, Issuer: a.cfg.BaseURL, AuthorizedParty: a.cfg.Session.AuthorizedParties[0],
		IssuedAt: now, NotBefore: now, ExpiresAt: exp, FactorVerificationAge: &fva, AMR: s.AMR,
		Version: token.ClaimsVersion,
	}
	if s.ActorID != "" {
		c.Actor = &token.Actor{Subject: s.ActorID}
	}
	if err := a.contributeClaims(ctx, s, c); err != nil {
		return nil, err
	}
	if f := a.cfg.Session.Claims; f != nil {
		extra, err := f(ctx, s)
		if err != nil {
			a.cfg.Logger.ErrorContext(ctx, "latch: Config.Session.Claims failed", "session_id", s.ID, "err", err)
			return nil, ErrUnavailable.wrap(err)
		}
		a.addAppClaims(ctx, c, a.withoutReservedClaims(ctx, extra))
	}
	return c, nil
}

// reservedClaim reports whether an application may not set claim k: a
// registered claim, or an owned one without a field (org_team), which only
// its plugin sets.
func reservedClaim(k string) bool {
	return token.IsRegisteredClaim(k) || strings.EqualFold(k, "org_team")
}

// withoutReservedClaims drops from the custom claims of a session token
// those that name a registered claim (sub, sid, org_role, …), which Sign
// would refuse: one misnamed claim must not fail every sign-in with a 503,
// and dropping it can only withhold, never grant. Each name is reported
// once, at error level, naming it, since the hook has a bug to fix.
func (a *Auth) withoutReservedClaims(ctx context.Context, extra map[string]any) map[string]any {
	var bad []string
	for k := range extra {
		if reservedClaim(k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return extra
	}
	clean := make(map[string]any, len(extra)-len(bad))
	for k, v := range extra {
		if !reservedClaim(k) {
			clean[k] = v
		}
	}
	for _, k := range bad {
		if _, seen := a.reservedReported.LoadOrStore(k, true); !seen {
			a.cfg.Logger.ErrorContext(ctx, "latch: Config.Session.Claims returned a claim that Latch sets itself; it is left out of every session token",
				"claim", k)
		}
	}
	return clean
}

func minutesSince(now, t time.Time) int {
	if t.IsZero() {
		return -1
	}
	if d := now.Sub(t); d > 0 {
		return int(d / time.Minute)
	}
	return 0
}

func sessionOf(c *token.Claims, tok string) *Session {
	s := &Session{ID: c.SessionID, UserID: c.Subject, Claims: c, Token: tok}
	if c.Actor != nil {
		s.ActorID = c.Actor.Subject
	}
	return s
}

// tokenCache is the cache of verified session tokens, each for the window
// its verifier accepts it: nbf (or iat) less the leeway, to exp plus it.
type tokenCache struct {
	c      *tokencache.Cache[*Session]
	leeway time.Duration
}

const (
	tokenCacheSize  = 1 << 14
	tokenCacheBytes = 32 << 20
	// cachedTokenOverhead is what an entry holds besides the token's
	// bytes, measured (TestTokenCacheDoesNotKeepCookieHeaders): the map
	// slot, the Session and the decoded claims, whose strings together
	// are about as long as the token again.
	cachedTokenOverhead = 1024
)

func newTokenCache(leeway time.Duration) *tokenCache {
	return &tokenCache{c: tokencache.New[*Session](tokenCacheSize, tokenCacheBytes), leeway: leeway}
}

func (c *tokenCache) get(tok string, now time.Time) *Session {
	s, _ := c.c.Get(tok, now)
	return s
}

func (c *tokenCache) put(tok string, s *Session, now time.Time) {
	from := s.Claims.IssuedAt
	if s.Claims.NotBefore.After(from) {
		from = s.Claims.NotBefore
	}
	c.c.Put(tok, s, from.Add(-c.leeway), s.Claims.ExpiresAt.Add(c.leeway), 2*len(tok)+cachedTokenOverhead, now)
}
