package latch

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
)

// Handler serves Latch's routes (the table in routes, documented in the
// OpenAPI document at /v1/openapi.json); mount it at the root of the
// application's mux. Every state-changing route refuses cross-origin
// browser requests (http.CrossOriginProtection, trusting
// Session.AuthorizedParties) but the callbacks registered with
// Route.CrossSitePost, and no GET changes state. Every route bounds
// its body (maxBodyBytes) and refuses multipart bodies; every /v1/ route
// answers in JSON, a signed-out request included; responses to native apps
// (NativeHeader) carry no cookies.
func (a *Auth) Handler() http.Handler {
	mux := http.NewServeMux()
	crossSite := map[string]bool{}
	for _, rt := range a.routes() {
		var h http.Handler = rt.handler
		switch {
		case rt.signedIn && isAPIRoute(rt.pattern):
			h = requireSessionJSON(h)
		case rt.signedIn:
			h = a.RequireSignedIn(h)
		}
		mux.Handle(rt.method+" "+rt.pattern, limitBody(bodyLimit(rt.method, rt.pattern), h))
		if rt.crossSitePost {
			crossSite[rt.method+" "+rt.pattern] = true
		}
	}

	cop := http.NewCrossOriginProtection()
	for _, o := range a.cfg.Session.AuthorizedParties {
		_ = cop.AddTrustedOrigin(o) // validated in New
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, ErrForbidden.WithMessage("Cross-origin requests are not allowed."))
	}))
	inner := securityHeaders(a.withRequestInfo(a.withSession(mux)))
	return withoutCookiesForNative(crossSitePosts(mux, crossSite, inner, cop.Handler(inner)))
}

// crossSitePosts sends the POSTs that mux routes to a crossSitePost route
// to open, and every other request to protected. The route is the one mux
// itself picks, not a match against the exempt patterns alone
// (CrossOriginProtection.AddInsecureBypassPattern): a more specific route
// under an exempt pattern stays protected. (A path mux redirects, being
// uncleaned or short of a trailing slash, gets only the redirect to that
// same route.) Without such routes it is protected itself.
func crossSitePosts(mux *http.ServeMux, routes map[string]bool, open, protected http.Handler) http.Handler {
	if len(routes) == 0 {
		return protected
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if _, pattern := mux.Handler(r); routes[pattern] {
				open.ServeHTTP(w, r)
				return
			}
		}
		protected.ServeHTTP(w, r)
	})
}

// isAPIRoute tells the JSON API's routes, which answer JSON to every
// request, from the hosted pages, which send a signed-out browser to the
// sign-in page. A browser's fetch() of /v1/me must get a 401 it can act
// on, not the sign-in page with a 200.
func isAPIRoute(pattern string) bool { return strings.HasPrefix(pattern, "/v1/") }

// requireSessionJSON answers a signed-out request with a JSON 401, whatever
// it accepts.
func requireSessionJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if SessionFromContext(r.Context()) == nil {
			writeError(w, ErrSignedOut)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxBodyBytes bounds the body of a request to any of Handler's routes: the
// largest bodies Latch reads (a passkey's attestation, 8 KiB of metadata)
// are a few KiB.
const maxBodyBytes = 64 << 10

// bodyLimit is the bound on the body of a route: maxBodyBytes, or another
// where a route needs one.
func bodyLimit(method, pattern string) int64 {
	switch method + " " + pattern {
	case "POST /v1/tokens/refresh":
		return 4 << 10 // a refresh token
	}
	return maxBodyBytes
}

// limitBody bounds the body of a request at limit bytes before any handler
// reads it, answering 413 past it, and refuses multipart bodies with 415:
// no route takes one, and parsing one (r.FormValue does) spools its files
// to disk. A body of unknown length (chunked) is read here, so that an
// oversized one is refused before a handler has acted on half of it.
func limitBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeError(w, ErrBodyTooLarge)
			return
		}
		if ct := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Type"))); strings.HasPrefix(ct, "multipart/") {
			writeError(w, ErrUnsupportedMediaType)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if r.ContentLength < 0 {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					var tooLarge *http.MaxBytesError
					if errors.As(err, &tooLarge) {
						writeError(w, ErrBodyTooLarge)
					} else {
						writeError(w, ErrInvalid.wrap(err))
					}
					return
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// withoutCookiesForNative removes every cookie from the responses to
// native apps: they keep none (their client value travels in ClientHeader,
// their session token in Authorization), and a cookie a native HTTP stack
// did keep would be a second, unmanaged copy of their credentials.
func withoutCookiesForNative(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isNative(r) {
			next.ServeHTTP(w, r)
			return
		}
		cw := &cookielessWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		cw.dropCookies() // a handler that wrote nothing
	})
}

// cookielessWriter drops Set-Cookie headers before the response's headers
// go out.
type cookielessWriter struct {
	http.ResponseWriter
	sent bool
}

func (w *cookielessWriter) dropCookies() {
	if !w.sent {
		w.sent = true
		w.Header().Del("Set-Cookie")
	}
}

func (w *cookielessWriter) WriteHeader(code int) {
	w.dropCookies()
	w.ResponseWriter.WriteHeader(code)
}

func (w *cookielessWriter) Write(b []byte) (int, error) {
	w.dropCookies()
	return w.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the wrapper.
func (w *cookielessWriter) Flush() {
	w.dropCookies()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *cookielessWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withSession runs the middleware unless the application already has.
func (a *Auth) withSession(next http.Handler) http.Handler {
	mw := a.Middleware(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if SessionFromContext(r.Context()) != nil {
			next.ServeHTTP(w, r)
			return
		}
		mw.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every Latch response carries: nothing of
// it may be framed, sniffed, or leak its URL (which may carry a token).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
