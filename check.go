package latch

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch/token"
)

// Authorization checks: Has and Protect read only the verified claims of
// the request's session token, so a check costs no I/O and no allocation.

// ProtectReverified is Protect for sensitive pages and API routes: the
// request must be signed in, satisfy checks, and have verified a factor
// within maxAge. Pages send a user who has not to the reverification page
// and back; API requests get 403 reverification_required, which tells a
// client to run a reverification (/v1/me/reverification) and retry.
func (a *Auth) ProtectReverified(maxAge time.Duration, checks ...Check) func(http.Handler) http.Handler {
	return a.Protect(append([]Check{Reverified(maxAge)}, checks...)...)
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

// Team requires the session's active team in its active organization
// (org_team, which the orgs plugin sets).
func Team(id string) Check { return Check{kind: checkClaim, key: "org_team", value: id} }

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

// refuseUnverified answers a request whose session has not verified a
// factor recently enough: JSON gets ErrReverificationRequired, a page load
// is sent to the reverification page and back.
func (a *Auth) refuseUnverified(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) || isJSONBody(r) {
		writeError(w, ErrReverificationRequired)
		return
	}
	// A page comes back to itself; a form post to the account page, where
	// the user can submit it again.
	back := a.cfg.Session.ProfileURL
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		back = r.URL.RequestURI()
	}
	http.Redirect(w, r, a.cfg.Session.ReverifyURL+"?redirect_url="+url.QueryEscape(back), http.StatusSeeOther)
}

// isJSONBody tells an API call from a form post.
func isJSONBody(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
}
