package latch_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/memstore"
)

// TestSignedOutFetchGetsJSONNotTheSignInPage: a single-page app's
// fetch('/v1/me') sends Accept: */*; while signed out it used to be
// redirected to the sign-in page and read it as a 200, with no way to tell
// it was signed out. Every /v1/ route now answers JSON whatever the Accept
// header (401 when it needs a session), and only page routes redirect.
func TestSignedOutFetchGetsJSONNotTheSignInPage(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	mux := http.NewServeMux()
	mux.Handle("/", e.Handler())
	mux.Handle("GET /dashboard", e.RequireSignedIn(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })))
	app := e.Middleware(mux)
	b := e.browser()
	b.Handler = app

	asks := []map[string]string{
		{"Accept": "*/*", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}, // fetch()
		{"Accept": "*/*"},
		{},
		{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"},
		{"Accept": "application/json"},
	}
	do := func(method, path string, h map[string]string) *http.Response {
		req := httptest.NewRequest(method, path, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		return b.Do(req)
	}
	notJSON := map[string]bool{ // assets, the pages a sign-in link and a provider's answer land on, the account switcher's form
		"GET /v1/latch.css": true, "GET /v1/webauthn.js": true, "GET /v1/userbutton.js": true, "GET /v1/code.js": true, "GET /v1/pow.js": true, "GET /v1/verify": true, "POST /v1/verify": true,
		"POST /v1/switch-session": true, "GET /v1/callback/{strategy}": true, "POST /v1/callback/{strategy}": true,
		"POST /v1/continue": true, "GET /v1/continue.js": true,
	}
	paths := strings.NewReplacer("{id}", "sess_x", "{template}", "x")
	for _, route := range e.Routes() {
		method, pattern, _ := strings.Cut(route, " ")
		if !strings.HasPrefix(pattern, "/v1/") || notJSON[route] {
			continue
		}
		for _, h := range asks {
			res := do(method, paths.Replace(pattern), h)
			if res.StatusCode >= 300 && res.StatusCode < 400 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s signed out, %v: %d %s %s", route, h, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Location"))
			}
		}
	}
	for _, h := range asks {
		res := do(http.MethodGet, "/v1/me", h)
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		if res.StatusCode != http.StatusUnauthorized || errCode(out) != "signed_out" {
			t.Errorf("GET /v1/me signed out, %v: %d %v", h, res.StatusCode, out)
		}
	}

	// Pages still send a signed-out browser to the sign-in page; the
	// app's own protected routes do so for navigations only, and answer
	// a fetch() with JSON.
	for _, path := range []string{"/user", "/dashboard"} {
		res := do(http.MethodGet, path, asks[3])
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/sign-in?redirect_url=") {
			t.Errorf("navigation to %s signed out: %d %s", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res := do(http.MethodGet, "/dashboard", asks[0]); res.StatusCode != http.StatusUnauthorized ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("fetch of a protected app route signed out: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
