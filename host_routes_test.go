package latch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage/memstore"
)

// funcPlugin is a plugin made of its Register function.
type funcPlugin func(h *latch.Host) error

func (funcPlugin) Name() string                   { return "test" }
func (p funcPlugin) Register(h *latch.Host) error { return p(h) }

// routesPlugin adds routes.
func routesPlugin(rs ...latch.Route) latch.Plugin {
	return funcPlugin(func(h *latch.Host) error {
		for _, r := range rs {
			if err := h.Handle(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func answer(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, text) }
}

func TestPluginRouteRefusedAtRegistration(t *testing.T) {
	ok := answer("ok")
	for name, rs := range map[string][]latch.Route{
		"no method":                  {{Pattern: "/x", Handler: ok}},
		"unknown method":             {{Method: "BREW", Pattern: "/x", Handler: ok}},
		"method in the pattern":      {{Method: "GET", Pattern: "GET /x", Handler: ok}},
		"host in the pattern":        {{Method: "GET", Pattern: "example.com/x", Handler: ok}},
		"malformed wildcard":         {{Method: "GET", Pattern: "/x/{id", Handler: ok}},
		"no handler":                 {{Method: "GET", Pattern: "/x"}},
		"unknown access":             {{Method: "GET", Pattern: "/x", Handler: ok, Access: 9}},
		"a kernel route":             {{Method: "POST", Pattern: "/v1/client/sign_ins", Handler: ok, Access: latch.AccessPublic}},
		"a signed-in kernel route":   {{Method: "GET", Pattern: "/v1/me/sessions", Handler: ok}},
		"another plugin's route":     {{Method: "GET", Pattern: "/x", Handler: ok}, {Method: "GET", Pattern: "/x", Handler: ok}},
		"cross-site GET":             {{Method: "GET", Pattern: "/cb", Handler: ok, Access: latch.AccessPublic, CrossSitePost: true}},
		"cross-site PUT":             {{Method: "PUT", Pattern: "/cb", Handler: ok, Access: latch.AccessPublic, CrossSitePost: true}},
		"cross-site signed in":       {{Method: "POST", Pattern: "/cb", Handler: ok, CrossSitePost: true}},
		"cross-site reverified":      {{Method: "POST", Pattern: "/cb", Handler: ok, Access: latch.AccessReverified, CrossSitePost: true}},
		"a limit without a period":   {{Method: "POST", Pattern: "/x", Handler: ok, Limit: ratelimit.Limit{Rate: 5}}},
		"a limit with a minus burst": {{Method: "POST", Pattern: "/x", Handler: ok, Limit: ratelimit.Limit{Rate: 5, Period: time.Second, Burst: -1}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := latch.New(latch.Config{Store: memstore.New(), Secrets: [][]byte{[]byte(strings.Repeat("s", 32))},
				Plugins: []latch.Plugin{routesPlugin(rs...)}})
			if err == nil {
				t.Fatal("New accepted the route")
			}
			if strings.Contains(err.Error(), "registered at") {
				t.Errorf("the error names source lines: %v", err)
			}
		})
	}
}

// TestCrossSitePostRouteKeepsTheOtherProtections: a route that accepts
// POSTs from other sites is exempt from cross-origin protection and from
// nothing else, and a more specific route under its pattern is not exempt
// at all (the mistake of matching requests against the exempt patterns
// alone).
func TestCrossSitePostRouteKeepsTheOtherProtections(t *testing.T) {
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{BaseURL: base, Plugins: []latch.Plugin{routesPlugin(
		latch.Route{Method: "POST", Pattern: "/v1/test/callback/{provider}", Handler: answer("called back"), Access: latch.AccessPublic, CrossSitePost: true},
		latch.Route{Method: "POST", Pattern: "/v1/test/callback/special", Handler: answer("special"), Access: latch.AccessPublic},
	)}}})
	h := a.Handler()
	crossSite := func(path, contentType string, body io.Reader) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", base+path, body)
		r.Header.Set("Origin", "https://idp.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	form := "application/x-www-form-urlencoded"
	rec := crossSite("/v1/test/callback/apple", form, strings.NewReader(url.Values{"state": {"s"}}.Encode()))
	if rec.Code != 200 || rec.Body.String() != "called back" {
		t.Fatalf("cross-site POST to the callback: %d %q", rec.Code, rec.Body)
	}
	if rec.Header().Get("Content-Security-Policy") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("no security headers on the callback: %v", rec.Header())
	}
	if rec := crossSite("/v1/test/callback/special", form, strings.NewReader("state=s")); rec.Code != http.StatusForbidden {
		t.Errorf("cross-site POST to a protected route under the callback's pattern: %d %q", rec.Code, rec.Body)
	}
	if rec := crossSite("/v1/test/callback/apple", form, strings.NewReader("state="+strings.Repeat("a", 65<<10))); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", rec.Code)
	}
	if rec := crossSite("/v1/test/callback/apple", "multipart/form-data; boundary=x", strings.NewReader("--x--")); rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("multipart body: %d", rec.Code)
	}
	r := httptest.NewRequest("PUT", base+"/v1/test/callback/apple", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusForbidden {
		t.Errorf("cross-site PUT to the callback's path: %d", rec.Code)
	}
}

func TestPluginRouteAccess(t *testing.T) {
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{BaseURL: base, Plugins: []latch.Plugin{routesPlugin(
		latch.Route{Method: "GET", Pattern: "/v1/test/public", Handler: answer("public"), Access: latch.AccessPublic},
		latch.Route{Method: "GET", Pattern: "/v1/test/signed-in", Handler: answer("signed in")},
		latch.Route{Method: "POST", Pattern: "/v1/test/reverified", Handler: answer("reverified"), Access: latch.AccessReverified},
		latch.Route{Method: "GET", Pattern: "/test/page", Handler: answer("page")},
	)}}})
	h := a.Handler()
	b := latchtest.NewBrowser(h)
	if code, out := b.JSON("GET", "/v1/test/signed-in", nil); code != 401 || latchtest.ErrorCode(out) != "signed_out" {
		t.Errorf("signed out, signed-in route: %d %v", code, out)
	}
	if code, out := b.JSON("POST", "/v1/test/reverified", nil); code != 401 || latchtest.ErrorCode(out) != "signed_out" {
		t.Errorf("signed out, reverified route: %d %v", code, out)
	}
	if res := b.Get("/test/page"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/sign-in") {
		t.Errorf("signed out, page: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := b.Get("/v1/test/public"); res.StatusCode != 200 {
		t.Errorf("signed out, public route: %d", res.StatusCode)
	}

	u, err := a.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	latchtest.SignIn(t, a.Auth, b, u.ID)
	body := func(res *http.Response) string { s, _ := io.ReadAll(res.Body); return string(s) }
	if res := b.Get("/v1/test/signed-in"); res.StatusCode != 200 || body(res) != "signed in" {
		t.Errorf("signed in: %d", res.StatusCode)
	}
	if code, out := b.JSON("POST", "/v1/test/reverified", nil); code != 200 {
		t.Errorf("just signed in, reverified route: %d %v", code, out)
	}
	a.Clock.Advance(latch.ReverificationWindow + time.Minute)
	if code, out := b.JSON("POST", "/v1/test/reverified", nil); code != 403 || latchtest.ErrorCode(out) != "session_reverification_required" {
		t.Errorf("long after signing in, reverified route: %d %v", code, out)
	}
}

func TestPluginRouteLimit(t *testing.T) {
	limited := latch.Route{Method: "POST", Pattern: "/v1/test/send", Handler: answer("sent"), Access: latch.AccessPublic,
		Limit: ratelimit.Limit{Rate: 2, Period: time.Hour}}
	other := latch.Route{Method: "POST", Pattern: "/v1/test/other", Handler: answer("other"), Access: latch.AccessPublic}
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{BaseURL: base,
		Protection: latch.ProtectionConfig{Limiter: ratelimit.NewMemory(ratelimit.MemoryConfig{})},
		Plugins:    []latch.Plugin{routesPlugin(limited, other)}}})
	b := latchtest.NewBrowser(a.Handler())
	for i := range 2 {
		if res := b.Post("/v1/test/send", nil); res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i+1, res.StatusCode)
		}
	}
	res := b.Post("/v1/test/send", nil)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("third request within the hour: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	for range 5 {
		if res := b.Post("/v1/test/other", nil); res.StatusCode != 200 {
			t.Fatalf("a route without a limit: %d", res.StatusCode)
		}
	}
	if code, out := b.JSON("POST", "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"}); code == http.StatusTooManyRequests {
		t.Errorf("the route's limit spent the sign-in routes' budget: %v", out)
	}
}
