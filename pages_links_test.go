package latch_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/storage/memstore"
)

// TestLinkPageInTheHostedFrame: the page an emailed link opens has the
// other pages' card, theme and language, with its stylesheet inline and
// no Referer, so the token in its URL goes nowhere.
func TestLinkPageInTheHostedFrame(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), AppName: "Acme",
		UI: latch.UIConfig{Appearance: components.Appearance{Theme: "dark"}, LogoURL: "https://cdn.example/logo.png"}})
	r := httptest.NewRequest(http.MethodGet, "/v1/verify?token="+url.QueryEscape("ver_x.y"), nil)
	r.Header.Set("Accept-Language", "fr")
	res := e.browser().Do(r)
	html := page(t, res)
	for _, want := range []string{`<html lang="fr" data-latch-theme="dark">`, `<meta name="referrer" content="no-referrer">`, `class="latch-card"`,
		`<p class="latch-appname">Acme</p>`, `<style>`, `name="token" value="ver_x.y"`, "Continuer"} {
		if !strings.Contains(html, want) {
			t.Errorf("the link page lacks %s:\n%s", want, html)
		}
	}
	if strings.Contains(html, "cdn.example") || strings.Contains(html, `<link `) || strings.Contains(html, "<script") {
		t.Error("the link page loads something")
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "https:") || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: CSP %q, Referrer-Policy %q", csp, res.Header.Get("Referrer-Policy"))
	}
}
