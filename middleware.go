package latch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/token"
)

type contextKey struct{}

// SessionFromContext returns the signed-in session of the request whose
// context is ctx, or nil when signed out. Middleware must have run.
func SessionFromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(contextKey{}).(*Session)
	return s
}

// WithSession returns ctx carrying s, for tests and for code that verifies
// tokens itself.
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, contextKey{}, s)
}

// Middleware puts the session of each request (or nil) into its context.
//
// A valid session token (cookie, or Authorization: Bearer) is verified
// locally — signature and claims, no storage call — and remembered, so the
// same token again costs a map lookup. When the browser's token has expired
// (or is missing but the browser has a client cookie), the middleware
// refreshes it from the client cookie with one read and one write (the
// session must still be active, within its lifetime and inactivity timeout;
// banning or revoking ends it) and sets the new cookie. A bearer token is
// never refreshed here: native and SPA clients ask the JSON API for a new
// one. Requests with neither cookie nor token pass through untouched.
//
// Only session tokens sign a request in: JWT-template tokens, signed with
// the same keys, are refused. Invalid tokens are kept cheap: a session
// cookie that holds no readable token is refreshed from the client cookie
// at most once per client every 10 seconds (otherwise the request is signed
// out), and a client address whose tokens fail their signature check more
// than 10 times a minute has its uncached tokens refused unchecked until
// the limit allows again.
func (a *Auth) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := a.authenticate(w, r); s != nil {
			r = r.WithContext(WithSession(r.Context(), s))
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate returns the request's session, refreshing it when needed.
func (a *Auth) authenticate(w http.ResponseWriter, r *http.Request) *Session {
	tok, fromCookie := a.cookies.sessionToken(r)
	if tok == "" {
		// Signed out. A client cookie alone (a sign-in in progress, or a
		// browser that signed out) needs no look-up: every signed-in
		// browser has a session cookie, expired or not.
		return nil
	}
	now := a.cfg.Clock()
	s := a.cache.get(tok, now)
	if s == nil && fromCookie && !validCookieValue(tok) {
		// The session cookie was read without checking its bytes, which
		// a hit needs no check for (it equals a verified token). Before a
		// miss is verified, read it as net/http does: skipping invalid
		// cookies, perhaps for a later one of the same name.
		if tok = a.cookies.sessionCookie(r); tok == "" {
			return nil
		}
		s = a.cache.get(tok, now)
	}
	if s == nil {
		// Load the keys on first use and once a minute after, so that
		// keys another instance created or rotated in verify here.
		if err := a.ensureKeys(r.Context()); err != nil {
			a.cfg.Logger.ErrorContext(r.Context(), "latch: loading signing keys", "err", err)
			return nil
		}
		var claims *token.Claims
		var err error
		ip := ""
		if a.forged.active() {
			ip = a.proxies.clientIP(r)
		}
		if ip != "" && a.forged.blocked(ip, now) {
			// This address sent too many forgeries lately: its tokens
			// are refused without a signature check until it waits.
			err = errForgeries
		} else {
			claims, err = a.verifier.VerifyAllowExpired(tok)
			if err == nil && claims.SessionID == "" {
				// Signed by us but for no session: not a session token,
				// whatever else it is.
				claims, err = nil, errNotSession
			}
			if errors.Is(err, token.ErrSignature) {
				a.noteForgery(r, ip)
			}
		}
		switch {
		case err == nil:
			// A copy: tok points into the request's Cookie or
			// Authorization header, which the cache must not keep alive.
			tok = strings.Clone(tok)
			s = sessionOf(claims, tok)
			a.cache.put(tok, s, now)
		case !fromCookie:
			return nil // bearer tokens are refreshed through the JSON API
		case errors.Is(err, token.ErrExpired):
			return a.refresh(w, r, claims.SessionID)
		default:
			// A forged or unreadable cookie proves nothing: fall back
			// to the client cookie, which is what a refresh checks.
			return a.refreshUnreadable(w, r)
		}
	}
	if a.revoked.has(s.ID) {
		return nil
	}
	if fromCookie && !now.Before(s.Claims.ExpiresAt) {
		// Past its expiry but within the leeway: a browser we can
		// refresh gets a fresh token rather than the grace period.
		return a.refresh(w, r, s.ID)
	}
	return s
}

var (
	errNotSession = errors.New("latch: token names no session")
	errForgeries  = errors.New("latch: too many forged tokens from this address")
)

// Limits on requests that cost the server work and prove nothing. They are
// loose for people and tight for scripts: a browser needs one refresh to
// replace an unreadable cookie, a real token never fails its signature
// check, and a tab asks for a session token about once a minute.
var (
	// unreadableRefreshLimit: refreshes from an unreadable session
	// cookie, per client.
	unreadableRefreshLimit = ratelimit.Limit{Rate: 1, Period: 10 * time.Second, Burst: 1}
	// forgedTokenLimit: tokens failing their signature check, per client
	// address; past it, the address's uncached tokens are refused without a
	// check until the limit allows again.
	forgedTokenLimit = ratelimit.Limit{Rate: 10, Period: time.Minute, Burst: 10}
	// sessionTokenLimit: session and template tokens minted through
	// POST /v1/client/sessions/{id}/tokens, per session.
	sessionTokenLimit = ratelimit.Limit{Rate: 60, Period: time.Minute, Burst: 30}
)

// noteForgery counts a token that failed its signature check against its
// client address (ip, or r's when ""), and blocks the address once it is
// over forgedTokenLimit.
func (a *Auth) noteForgery(r *http.Request, ip string) {
	if ip == "" {
		ip = a.proxies.clientIP(r)
	}
	var re *rateError
	if err := a.limit(r.Context(), ErrRateLimited, limitCheck{"forged-token:" + ip, forgedTokenLimit}); errors.As(err, &re) {
		a.cfg.Logger.WarnContext(r.Context(), "latch: too many forged session tokens; refusing this address's tokens unchecked", "ip", ip, "for", re.retryAfter)
		now := a.cfg.Clock()
		a.forged.block(ip, now, now.Add(re.retryAfter))
	}
}

// limitSessionTokens applies sessionTokenLimit to a request for a token of
// the session in its path. The key is that session under the browser's
// client ID, which the sealed client cookie proves before any storage read,
// so neither another browser nor a flood costs a read or a signature.
// Without a client cookie it lets the request through, to be refused.
func (a *Auth) limitSessionTokens(r *http.Request) error {
	cc, ok := a.cookies.readClient(r)
	if !ok {
		return nil
	}
	return a.limit(r.Context(), ErrRateLimited, limitCheck{"session-token:" + cc.ClientID + "|" + r.PathValue("id"), sessionTokenLimit})
}

// forgeryGuard holds the client addresses that sent too many forged tokens,
// each until its rate limit allows again, so that their tokens are refused
// before a signature check. It is bounded: when full it drops what has
// expired, and everything if nothing had.
type forgeryGuard struct {
	mu    sync.RWMutex
	until map[string]time.Time
	n     atomic.Int64 // len(until), so that the hot path needs no lock when empty
}

const forgeryGuardSize = 1 << 12

func (g *forgeryGuard) active() bool { return g.n.Load() > 0 }

func (g *forgeryGuard) blocked(ip string, now time.Time) bool {
	g.mu.RLock()
	t, ok := g.until[ip]
	g.mu.RUnlock()
	return ok && now.Before(t)
}

func (g *forgeryGuard) block(ip string, now, until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.until == nil {
		g.until = map[string]time.Time{}
	}
	if len(g.until) >= forgeryGuardSize {
		for k, t := range g.until {
			if !now.Before(t) {
				delete(g.until, k)
			}
		}
		if len(g.until) >= forgeryGuardSize {
			clear(g.until)
		}
	}
	g.until[ip] = until
	g.n.Store(int64(len(g.until)))
}

// refresh mints a new token for the session sid ("" for the client's active
// session) of the browser of r: one read (client and session together) and
// one write (last-active time). When the session is over it removes the
// session cookie, so that the next requests are signed out without a
// look-up; when the client cookie proves nothing it removes that too.
func (a *Auth) refresh(w http.ResponseWriter, r *http.Request, sid string) *Session {
	ctx := r.Context()
	cc, ok := a.cookies.readClient(r)
	if !ok {
		a.cookies.clear(w)
		return nil
	}

	c, s, err := a.store.GetClientSession(ctx, cc.ClientID, sid)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		a.cookies.clearSession(w)
		return nil
	case err != nil:
		// Fail closed but keep the cookies: the database may be back in a
		// moment, and an outage must not sign everybody out.
		a.cfg.Logger.ErrorContext(ctx, "latch: refreshing session", "err", err)
		return nil
	case !secretMatches(cc.Secret, c.SecretHash):
		a.cookies.clear(w)
		return nil
	case !a.live(s) || a.revoked.has(s.ID):
		a.cookies.clearSession(w)
		return nil
	}
	if err := a.store.TouchSession(ctx, s.ID, a.now()); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			a.cookies.clearSession(w) // ended between the read and the write
		} else {
			a.cfg.Logger.ErrorContext(ctx, "latch: refreshing session", "err", err)
		}
		return nil
	}
	sess, err := a.mint(ctx, s)
	if err != nil {
		a.cfg.Logger.ErrorContext(ctx, "latch: minting session token", "err", err)
		return nil
	}
	a.cookies.setSession(w, sess.Token)
	return sess
}

// refreshUnreadable refreshes the active session of a browser whose session
// cookie holds no token we can read (garbage, a forgery, a token of another
// instance's configuration) at most once per client per
// unreadableRefreshLimit: a real browser has a good token after the first
// refresh, while a client that keeps sending garbage beside its own client
// cookie would otherwise cost a database write and a signature on every
// request. Refused, the request is signed out.
func (a *Auth) refreshUnreadable(w http.ResponseWriter, r *http.Request) *Session {
	raw := a.cookies.rawClient(r)
	if raw == "" {
		a.cookies.clear(w)
		return nil
	}
	// Keyed on a hash of the sealed value, which is one per client until
	// its next sign-in or sign-out: checking costs no unsealing, and the
	// limiter (perhaps Redis) never sees the secret it carries.
	h := sha256.Sum256([]byte(raw))
	if err := a.limit(r.Context(), ErrRateLimited, limitCheck{"unreadable-token:" + hex.EncodeToString(h[:16]), unreadableRefreshLimit}); err != nil {
		return nil
	}
	return a.refresh(w, r, "")
}

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

// withoutReservedClaims drops from the custom claims of a session token
// those that name a registered claim (sub, sid, org_role, …), which Sign
// would refuse: one misnamed claim must not fail every sign-in with a 503,
// and dropping it can only withhold, never grant. Each name is reported
// once, at error level, naming it, since the hook has a bug to fix.
func (a *Auth) withoutReservedClaims(ctx context.Context, extra map[string]any) map[string]any {
	var bad []string
	for k := range extra {
		if token.IsRegisteredClaim(k) {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return extra
	}
	clean := make(map[string]any, len(extra)-len(bad))
	for k, v := range extra {
		if !token.IsRegisteredClaim(k) {
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

// tokenCache remembers verified tokens for as long as the verifier would
// accept them, so that the signature of a token is checked once, not on
// every request. It is bounded in entries and in bytes (an estimate of what
// each entry holds: its token and the claims decoded from it): when full it
// drops expired entries, and everything if that is not enough. Keys are
// copies of the token, never substrings of a request header, so an entry
// never keeps a request's headers alive.
type tokenCache struct {
	mu       sync.RWMutex
	m        map[string]cachedToken
	max      int
	maxBytes int
	bytes    int
	leeway   time.Duration
}

type cachedToken struct {
	s           *Session
	from, until time.Time // the verifier's acceptance window: nbf/iat - leeway, exp + leeway
	size        int
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
	return &tokenCache{m: make(map[string]cachedToken), max: tokenCacheSize, maxBytes: tokenCacheBytes, leeway: leeway}
}

func (c *tokenCache) get(tok string, now time.Time) *Session {
	c.mu.RLock()
	e, ok := c.m[tok]
	c.mu.RUnlock()
	if !ok || now.Before(e.from) || !now.Before(e.until) {
		return nil
	}
	return e.s
}

// put remembers s under tok, which must not share memory with a request.
func (c *tokenCache) put(tok string, s *Session, now time.Time) {
	from := s.Claims.IssuedAt
	if s.Claims.NotBefore.After(from) {
		from = s.Claims.NotBefore
	}
	size := 2*len(tok) + cachedTokenOverhead
	e := cachedToken{s: s, from: from.Add(-c.leeway), until: s.Claims.ExpiresAt.Add(c.leeway), size: size}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[tok]; ok {
		c.bytes -= old.size
		delete(c.m, tok)
	}
	if len(c.m) >= c.max || c.bytes+size > c.maxBytes {
		for k, v := range c.m {
			if !now.Before(v.until) {
				c.bytes -= v.size
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max || c.bytes+size > c.maxBytes {
			clear(c.m)
			c.bytes = 0
		}
	}
	c.m[tok] = e
	c.bytes += size
}

// Check is one condition of Has and Protect. Make one with Role,
// Permission, Plan, Feature, Reverified, Claim or CheckFunc; a Check is a
// small value, so building one per request costs nothing, and none
// allocates when it is checked.
type Check struct {
	kind   checkKind
	key    string
	value  string
	maxAge time.Duration
	fn     func(*token.Claims) bool
}

type checkKind uint8

const (
	checkRole checkKind = iota + 1
	checkPermission
	checkPlan
	checkFeature
	checkReverified
	checkClaim
	checkFunc
)

// Role requires the session's role in its active organization (org_role).
func Role(key string) Check { return Check{kind: checkRole, key: key} }

// Permission requires a permission in the active organization
// (org_permissions).
func Permission(key string) Check { return Check{kind: checkPermission, key: key} }

// Plan requires the billing plan (pla).
func Plan(key string) Check { return Check{kind: checkPlan, key: key} }

// Feature requires a billing feature (fea).
func Feature(key string) Check { return Check{kind: checkFeature, key: key} }

// Reverified requires that a factor was verified within maxAge (the fva
// claim, which counts whole minutes): a second factor when the session has
// used one, a first factor otherwise.
func Reverified(maxAge time.Duration) Check { return Check{kind: checkReverified, maxAge: maxAge} }

// Claim requires that the claim key hold value: a string claim equal to
// it, or a list of strings that contains it. It reads the registered
// claims (org_id, pla, amr, …) and the custom ones, a plugin's
// (Host.AddClaims) or the application's (SessionConfig.Claims). An empty
// value never holds.
func Claim(key, value string) Check { return Check{kind: checkClaim, key: key, value: value} }

// CheckFunc makes a Check of f, which reports whether the verified claims
// of the request's session token satisfy it. f runs on every check, so it
// should read only claims, as the other checks do; it must not keep c.
func CheckFunc(f func(c *token.Claims) bool) Check { return Check{kind: checkFunc, fn: f} }

func (k Check) holds(c *token.Claims) bool {
	switch k.kind {
	case checkClaim:
		return k.value != "" && claimHolds(c, k.key, k.value)
	case checkFunc:
		return k.fn != nil && k.fn(c)
	case checkRole:
		return c.OrgRole != "" && c.OrgRole == k.key
	case checkPermission:
		return contains(c.OrgPermissions, k.key)
	case checkPlan:
		return c.Plan != "" && c.Plan == k.key
	case checkFeature:
		return contains(c.Features, k.key)
	case checkReverified:
		f := c.FactorVerificationAge
		if f == nil {
			return false
		}
		// A session that ever verified a second factor must verify one
		// again: a password alone must not stand in for the stronger
		// factor (no AAL downgrade, SECURITY.md 24).
		// Ages are whole minutes, rounded down: an age below the limit in
		// minutes is within maxAge (rounded up to a minute).
		limit := int((k.maxAge + time.Minute - 1) / time.Minute)
		if f[1] >= 0 {
			return f[1] < limit
		}
		return f[0] >= 0 && f[0] < limit
	}
	return false
}

// claimHolds reports whether claim key of c is value, or a list holding
// it. Custom claims are read as encoding/json decodes them ([]any) or as
// a contributor set them before a token was cached ([]string).
func claimHolds(c *token.Claims, key, value string) bool {
	switch key {
	case "sub":
		return c.Subject == value
	case "sid":
		return c.SessionID == value
	case "iss":
		return c.Issuer == value
	case "azp":
		return c.AuthorizedParty == value
	case "aud":
		return contains(c.Audience, value)
	case "org_id":
		return c.OrgID == value
	case "org_slug":
		return c.OrgSlug == value
	case "org_role":
		return c.OrgRole == value
	case "org_permissions":
		return contains(c.OrgPermissions, value)
	case "pla":
		return c.Plan == value
	case "fea":
		return contains(c.Features, value)
	case "amr":
		return contains(c.AMR, value)
	}
	switch v := c.Extra[key].(type) {
	case string:
		return v == value
	case []string:
		return contains(v, value)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s == value {
				return true
			}
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// Has reports whether the request is signed in and every check holds. It
// reads only the session token's claims: no I/O.
func Has(ctx context.Context, checks ...Check) bool {
	s := SessionFromContext(ctx)
	if s == nil {
		return false
	}
	for _, k := range checks {
		if !k.holds(s.Claims) {
			return false
		}
	}
	return true
}

// ProtectOptions adjusts Protect.
type ProtectOptions struct {
	// Fallback, when set, answers every request that is refused (signed
	// out or lacking a check) instead of the default answer; it can tell
	// the two apart with SessionFromContext.
	Fallback http.Handler
}

// Protect returns middleware that lets a request through only when it is
// signed in and every check holds (Has). Otherwise API requests (a bearer
// token, or JSON preferred over HTML) get a JSON 401 or 403, and page
// requests are sent to the sign-in page with a redirect back (signed out) or
// get a 403 page. Use it inside Middleware.
func (a *Auth) Protect(checks ...Check) func(http.Handler) http.Handler {
	return a.ProtectWith(ProtectOptions{}, checks...)
}

// ProtectWith is Protect with options.
func (a *Auth) ProtectWith(o ProtectOptions, checks ...Check) func(http.Handler) http.Handler {
	checks = append([]Check(nil), checks...)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if Has(r.Context(), checks...) {
				next.ServeHTTP(w, r)
				return
			}
			if o.Fallback != nil {
				o.Fallback.ServeHTTP(w, r)
				return
			}
			s := SessionFromContext(r.Context())
			err := ErrSignedOut
			if s != nil {
				err = ErrForbidden
				for _, k := range checks {
					if k.kind == checkReverified && !k.holds(s.Claims) {
						err = ErrReverificationRequired
					}
				}
			}
			if s == nil && !wantsJSON(r) && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				http.Redirect(w, r, a.cfg.Session.SignInURL+"?redirect_url="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			if err == ErrReverificationRequired {
				a.refuseUnverified(w, r)
				return
			}
			writeError(w, err)
		})
	}
}

// RequireSignedIn is Protect with no checks.
func (a *Auth) RequireSignedIn(next http.Handler) http.Handler { return a.Protect()(next) }

// wantsJSON tells API requests from page loads. A browser's fetch() sends
// Accept: */* but says with Sec-Fetch-Mode that it is no navigation.
func wantsJSON(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	if m := r.Header.Get("Sec-Fetch-Mode"); m != "" && m != "navigate" {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}
