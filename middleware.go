package latch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
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
			ip = a.proxies.ClientIP(r)
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
	if a.stale.stale(s.ID, s.Claims.IssuedAt, s.Token) {
		// Its claims changed (Host.EvictUserTokens): a browser gets a
		// fresh token, a bearer token is refused until replaced.
		if !fromCookie {
			return nil
		}
		return a.refresh(w, r, s.ID)
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
		ip = a.proxies.ClientIP(r)
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
