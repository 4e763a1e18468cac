package latch

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/latchauth/latch/ratelimit"
)

// Access says who may call a plugin's route. The zero value is
// AccessSignedIn, so that a route that forgets to say is closed.
type Access uint8

// Access levels of a Route.
const (
	// AccessSignedIn answers a signed-out request before the handler runs:
	// a JSON 401 on /v1/ routes, a redirect to the sign-in page on pages.
	AccessSignedIn Access = iota
	// AccessPublic lets every request through; the handler decides.
	AccessPublic
	// AccessReverified is AccessSignedIn, and a factor verified within
	// ReverificationWindow: a JSON request gets 403
	// session_reverification_required, a page is sent through the
	// reverification page and back (as Host.Reverified does).
	AccessReverified
)

// Route is a route a plugin adds to Handler. Cross-origin protection (but
// with CrossSitePost), security headers, the 64 KiB bound on bodies
// (multipart refused), the session of the request and cookieless answers
// to native apps apply as to the kernel's own routes.
type Route struct {
	// Method is GET, POST, PUT, PATCH or DELETE (GET serves HEAD too).
	Method string
	// Pattern is an http.ServeMux path pattern ("/v1/me/passkeys/{id}"),
	// without method or host. It may not be a route Handler already has.
	Pattern string
	// Handler serves the route.
	Handler http.HandlerFunc
	// Access says who may call it. Default AccessSignedIn.
	Access Access
	// CrossSitePost lets browsers POST to the route from other sites,
	// which cross-origin protection otherwise refuses: a callback an
	// identity provider's page posts to (Sign in with Apple's form_post,
	// SAML's HTTP-POST binding). Such a request carries no SameSite=Lax
	// cookie, so the route must be a POST with AccessPublic, and its
	// handler must trust nothing the request does not prove itself (a
	// signed answer, a single-use state it looks up server-side).
	CrossSitePost bool
	// Limit bounds the requests to the route from one client address,
	// counted for this route alone (not against Protection.Limits.PerIP,
	// which the sign-in routes share). Default: none, as for the kernel's
	// routes outside sign-in and sign-up; a public route that costs the
	// server work or sends messages should set one.
	Limit ratelimit.Limit
}

// Handle adds r to Handler. It refuses a route that is malformed, that
// conflicts with one Handler already has (the kernel's or another
// plugin's), or that sets CrossSitePost on anything but a public POST.
func (h *Host) Handle(r Route) error {
	rt, err := h.a.pluginRoute(r)
	if err != nil {
		return fmt.Errorf("route %s %s: %w", r.Method, r.Pattern, err)
	}
	h.a.plugins.routes = append(h.a.plugins.routes, rt)
	return nil
}

// pluginRoute checks r against the routes so far and returns its entry of
// the table, its handler wrapped in what Access and Limit ask for.
func (a *Auth) pluginRoute(r Route) (route, error) {
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return route{}, errors.New("method must be GET, POST, PUT, PATCH or DELETE")
	}
	switch {
	case !strings.HasPrefix(r.Pattern, "/"):
		return route{}, errors.New("pattern must be a path starting with /")
	case r.Handler == nil:
		return route{}, errors.New("no handler")
	case r.Access > AccessReverified:
		return route{}, fmt.Errorf("unknown access %d", r.Access)
	case r.CrossSitePost && (r.Method != http.MethodPost || r.Access != AccessPublic):
		return route{}, errors.New("CrossSitePost is for public POST routes only: a cross-site POST carries no session")
	}
	if r.Limit != (ratelimit.Limit{}) {
		if err := r.Limit.Validate(); err != nil {
			return route{}, fmt.Errorf("limit: %w", err)
		}
	}
	rt := route{method: r.Method, pattern: r.Pattern, handler: r.Handler, signedIn: r.Access != AccessPublic, crossSitePost: r.CrossSitePost}
	if err := a.claimPattern(rt); err != nil {
		return route{}, err
	}
	if r.Limit != (ratelimit.Limit{}) {
		rt.handler = a.routeLimit(r.Method+" "+r.Pattern, r.Limit, rt.handler)
	}
	if r.Access == AccessReverified {
		rt.handler = a.requireReverified(rt.handler)
	}
	return rt, nil
}

// claimPattern adds rt to the mux of every route so far, which refuses
// (by panicking) a malformed pattern and one that conflicts with a route
// already there, the kernel's first.
func (a *Auth) claimPattern(rt route) (err error) {
	p := &a.plugins
	if p.patterns == nil {
		p.patterns = http.NewServeMux()
		for _, k := range a.kernelRoutes() {
			if err := addPattern(p.patterns, k); err != nil {
				return err
			}
		}
	}
	return addPattern(p.patterns, rt)
}

func addPattern(mux *http.ServeMux, rt route) (err error) {
	defer func() {
		if v := recover(); v != nil {
			// The mux's message, without the source lines it names.
			registeredAt := regexp.MustCompile(` \(registered at [^)]*\)`)
			err = errors.New(registeredAt.ReplaceAllString(fmt.Sprint(v), ""))
		}
	}()
	mux.Handle(rt.method+" "+rt.pattern, http.NotFoundHandler())
	return nil
}

// routeLimit applies limit to next per client address, under a key of the
// route's own.
func (a *Auth) routeLimit(route string, limit ratelimit.Limit, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.limit(r.Context(), ErrRateLimited, limitCheck{"route:" + route + "|" + a.proxies.ClientIP(r), limit}); err != nil {
			writeError(w, err)
			return
		}
		next(w, r)
	}
}

// requireReverified runs next only for a session that verified a factor
// within ReverificationWindow; Handler has refused signed-out requests.
func (a *Auth) requireReverified(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !Has(r.Context(), Reverified(ReverificationWindow)) {
			a.refuseUnverified(w, r)
			return
		}
		next(w, r)
	}
}
