package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// violation is one rule that axe-core found broken, with the elements that
// break it.
type violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
	Summary string   `json:"summary"` // axe's explanation for the first element
}

// runAxe is evaluated after axe.min.js: it runs every rule on the document
// and returns the violations, each target as one CSS selector string.
const runAxe = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help,
	targets: v.nodes.map(n => n.target.join(" ")),
	summary: (v.nodes[0] && v.nodes[0].failureSummary) || "",
})))`

// TestAccessibility runs axe-core on each hosted page (the sign-in
// identifier step, sign-up, and the account page when signed in, with a
// confirmation open) and fails
// on any serious or critical violation. axe.min.js comes from the npm
// package axe-core, at the path in LATCH_TEST_AXE.
func TestAccessibility(t *testing.T) {
	axeJS := axeSource(t)
	a := newApp(t, onLocalhost, withPlugins) // every section of the account page is checked
	const email = "radia@example.com"
	a.createUser(t, email, testPassword)
	b := newBrowser(t, a)

	pages := []struct {
		name, path, ready string
		signIn            bool
		// totp sets up an authenticator app first; confirm is a
		// confirmation's opener, pressed before the check.
		totp    bool
		confirm string
	}{
		{"sign-in", "/sign-in", "#latch-signin-identifier", false, false, ""},
		{"sign-up", "/sign-up", "#latch-signup-email_address", false, false, ""},
		{"user", "/user", ".latch-root", true, false, ""},
		{"user-security", "/user?tab=security", ".latch-root", false, false, ""},
		{"user-security-confirm", "/user?tab=security", removeTOTP, false, true, removeTOTP},
		{"link", "/v1/verify?token=ver_unknown.x", ".latch-card", false, false, ""},
	}
	for _, p := range pages {
		if p.signIn {
			b.signIn("/sign-in", email, testPassword, signedIn)
		}
		if p.totp {
			b.setUpAuthenticatorApp()
		}
		b.open(p.path, p.ready)
		for _, scheme := range []string{"light", "dark"} {
			b.colorScheme(scheme)
			b.reload(p.ready)
			if p.confirm != "" {
				b.run(chromedp.Click(chromedp.CSS(p.confirm)), chromedp.WaitVisible(chromedp.CSS(`details.latch-confirm[open] .latch-confirm__panel`)))
			}
			bad := b.axeViolations(axeJS, p.path)
			shot := t.Name() + "_" + p.name
			if scheme == "dark" {
				shot += "_dark"
			}
			b.screenshot(shot)
			if len(bad) > 0 {
				t.Errorf("%s (%s): %d serious or critical accessibility violations:\n\t%s", p.path, scheme, len(bad), strings.Join(bad, "\n\t"))
			}
		}
	}
}

// axeSource is axe-core's script, read from the path in LATCH_TEST_AXE; the
// test skips, saying so, when it is unset.
func axeSource(t *testing.T) string {
	t.Helper()
	axePath := os.Getenv("LATCH_TEST_AXE")
	if axePath == "" {
		t.Skip("e2e: LATCH_TEST_AXE is not set; set it to axe-core's axe.min.js (npm pack axe-core@4) to run the accessibility test")
	}
	src, err := os.ReadFile(axePath)
	if err != nil {
		t.Fatalf("reading axe-core: %v", err)
	}
	return string(src)
}

// axeViolations runs axe-core (its script source) on the page b shows and
// returns the serious and critical violations, one line each; minor ones
// are only logged, under where.
func (b *browser) axeViolations(source, where string) []string {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[*runtime.RemoteObject](source)); err != nil {
		b.t.Fatalf("%s: injecting axe-core: %v", where, err)
	}
	vs, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]violation](runAxe, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: running axe-core: %v", where, err)
	}
	var bad []string
	for _, v := range vs {
		line := fmt.Sprintf("%s (%s): %s at %s: %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "),
			strings.ReplaceAll(v.Summary, "\n", " "))
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, line)
		} else {
			b.t.Logf("%s: minor: %s", where, line)
		}
	}
	return bad
}
