package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch"
)

// TestMailLayoutInABrowser renders the HTML part of a reset-link email as
// a mail client's web view would, on a phone and on a desktop: the button
// is there and the layout fits a 390 px screen without scrolling
// sideways.
func TestMailLayoutInABrowser(t *testing.T) {
	a := newApp(t, func(c *latch.Config) {
		c.SignIn.FirstFactors = []string{latch.StrategyPassword, latch.StrategyResetPasswordEmailLink}
	})
	const email = "ada@example.com"
	a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.open("/sign-in", "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	b.click(`button[value="forgot_password"]`, linkSent)
	a.link(t, email)
	m := a.Mail.Last()
	if m == nil || !strings.Contains(m.HTML, "<table") {
		t.Fatalf("no HTML mail: %+v", m)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(m.HTML))
	}))
	t.Cleanup(srv.Close)

	for _, width := range []int64{390, 1280} {
		b.run(chromedp.EmulateViewport(width, 800), chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("a[href]")))
		wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil || wide {
			t.Errorf("at %d px the mail scrolls sideways (%v)", width, err)
		}
		if got := b.text("td[bgcolor] a"); got != "Continue" {
			t.Errorf("at %d px the button says %q", width, got)
		}
	}
}
