package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/passkeys"
)

// callbackPlugin adds a route an identity provider POSTs to from its own
// site, and an ordinary POST route beside it.
type callbackPlugin struct{}

func (callbackPlugin) Name() string { return "callback" }

func (callbackPlugin) Register(h *latch.Host) error {
	called := func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "called back") }
	if err := h.Handle(latch.Route{Method: "POST", Pattern: "/v1/test/callback/{provider}", Handler: called,
		Access: latch.AccessPublic, CrossSitePost: true}); err != nil {
		return err
	}
	return h.Handle(latch.Route{Method: "POST", Pattern: "/v1/test/ordinary", Handler: called, Access: latch.AccessPublic})
}

// crossSitePosts are the routes that take POSTs from other sites: the
// kernel's callback for strategies that leave for a provider, and the test
// plugin's. Every other route refuses them.
var crossSitePosts = map[string]bool{"POST /v1/callback/{strategy}": true, "POST /v1/test/callback/{provider}": true}

// TestCrossSiteRequestForgeryRefusedOnEveryRoute: a page of another site
// that makes a signed-in browser POST (or PUT, PATCH, DELETE) to any route
// of Handler, the kernel's and every shipped plugin's, is refused before
// the route runs; only a route registered with CrossSitePost takes it.
func TestCrossSiteRequestForgeryRefusedOnEveryRoute(t *testing.T) {
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{BaseURL: "https://app.example",
		Plugins: []latch.Plugin{mfa.New(mfa.Config{SMSCode: true, EmailCode: true}), passkeys.New(passkeys.Config{}), callbackPlugin{}}}})
	h := a.Handler()
	u, err := a.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	b := latchtest.NewBrowser(h)
	latchtest.SignIn(t, a.Auth, b, u.ID)

	wildcard := regexp.MustCompile(`\{[^}]*\}`)
	for _, rt := range a.Routes() {
		method, pattern, _ := strings.Cut(rt, " ")
		if method == "GET" {
			method = "POST" // a GET route's path, posted to
		}
		path := wildcard.ReplaceAllString(strings.TrimSuffix(pattern, "{$}"), "x")
		r := httptest.NewRequest(method, "https://app.example"+path, strings.NewReader(`{"identifier":"ada@example.com"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		res := b.Do(r)
		body, _ := io.ReadAll(res.Body)
		var out struct {
			Errors []struct{ Code, Message string }
		}
		_ = json.Unmarshal(body, &out)
		refused := res.StatusCode == http.StatusForbidden && len(out.Errors) == 1 && out.Errors[0].Message == "Cross-origin requests are not allowed."
		switch {
		case pattern == "/v1/test/callback/{provider}":
			if res.StatusCode != 200 || string(body) != "called back" {
				t.Errorf("%s %s, the test plugin's callback: %d %s", method, path, res.StatusCode, body)
			}
		case crossSitePosts[method+" "+pattern]:
			if refused {
				t.Errorf("%s %s, a callback, refused a cross-site POST", method, path)
			}
		case !refused:
			t.Errorf("%s %s from another site: %d %s", method, path, res.StatusCode, body)
		}
	}
}
