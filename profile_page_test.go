package latch_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/memstore"
)

// TestAccountPagePanesAndNotices: the account page has Profile and
// Security panes behind a navigation and a link back to the app; every
// save comes back to its pane with an announced status message; devices
// read with their system spelled as its maker does and when they were
// last active in words, not a raw UTC time.
func TestAccountPagePanesAndNotices(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), AppName: "Acme", UI: latch.UIConfig{HomeURL: "/app"}})
	b := e.browser()
	e.SignUpOn(t, b, "ada@example.com", goodPassword)

	html := page(t, b.Get("/user"))
	for _, want := range []string{`aria-current="page"`, `href="/user?tab=security"`, `href="/app"`, "Back to Acme", `id="latch-profile-email-title"`} {
		if !strings.Contains(html, want) {
			t.Errorf("Profile pane lacks %s", want)
		}
	}
	if strings.Contains(html, `id="latch-profile-password-title"`) {
		t.Error("the Profile pane shows the password")
	}

	res := b.Post("/user?do=update_profile", url.Values{"first_name": {"Ada"}, "last_name": {"Lovelace"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/user?saved=update_profile" {
		t.Fatalf("save: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if html := page(t, b.Get(res.Header.Get("Location"))); !strings.Contains(html, `role="status"><p>Your profile was saved.</p>`) {
		t.Error("no announced notice after saving the profile")
	}

	res = b.Post("/user?do=password", url.Values{"current_password": {goodPassword}, "new_password": {goodPassword + "x!"}})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || loc != "/user?saved=password&tab=security" {
		t.Fatalf("password: %d %q", res.StatusCode, loc)
	}
	html = page(t, b.Get(loc))
	for _, want := range []string{`role="status"><p>Your password was saved.</p>`, `id="latch-profile-devices-title"`, "Last active just now", "<time datetime="} {
		if !strings.Contains(html, want) {
			t.Errorf("Security pane after the password lacks %s", want)
		}
	}
	if strings.Contains(html, " UTC") {
		t.Error("a raw UTC time on the account page")
	}
	if html := page(t, b.Get("/user?saved=%3Cb%3Ehi")); strings.Contains(html, `role="status"`) {
		t.Error("a notice for an unknown action")
	}
}

// TestPluginProfileTab: a plugin's pane is in the account page's
// navigation under its label, renders only when chosen, and its URL is
// what ProfileTabURL says; a pane name the kernel uses is refused.
func TestPluginProfileTab(t *testing.T) {
	var refused error
	p := &registerPlugin{register: func(h *latch.Host) error {
		refused = h.AddProfileTab("security", "x", nil)
		if err := h.AddStrings("en", map[string]string{"billing.tab": "Billing"}); err != nil {
			return err
		}
		return h.AddProfileTab("billing", "billing.tab", func(*http.Request, *latch.Session) (templ.Component, error) {
			return templ.Raw(`<section class="latch-section" id="billing-plan">Pro plan</section>`), nil
		})
	}}
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Plugins: []latch.Plugin{p}})
	if refused == nil {
		t.Error("a plugin took the Security pane's name")
	}
	if got := p.h.ProfileTabURL("billing"); got != "/user?tab=billing" {
		t.Errorf("ProfileTabURL = %q", got)
	}
	b := e.browser()
	e.SignUpOn(t, b, "ada@example.com", goodPassword)
	html := page(t, b.Get("/user"))
	if !strings.Contains(html, `href="/user?tab=billing"`) || !strings.Contains(html, "Billing") || strings.Contains(html, "Pro plan") {
		t.Error("the Profile pane: no Billing link, or the plan shown")
	}
	html = page(t, b.Get("/user?tab=billing"))
	if !strings.Contains(html, `id="billing-plan"`) || !strings.Contains(html, `href="/user?tab=billing" aria-current="page"`) || strings.Contains(html, "latch-profile-email-title") {
		t.Error("the Billing pane")
	}
}
