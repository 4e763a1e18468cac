package e2e

import (
	"strings"
	"testing"

	"github.com/latchauth/latch"
)

// continueHere is the "Continue in this browser" button of a link opened
// in another browser than the one that asked for it.
const continueHere = `form:has(input[name="continue"][value="here"]) button`

// TestEmailedLinksOpenedInAnotherBrowser: a reset link and a magic link,
// asked for in one browser and opened in another, name the asking device
// and finish in the browser that opened them; the asking tab is still
// waiting for its mail, signed out, afterwards.
func TestEmailedLinksOpenedInAnotherBrowser(t *testing.T) {
	a := newApp(t, func(c *latch.Config) {
		c.SignIn.FirstFactors = []string{latch.StrategyPassword, latch.StrategyEmailLink, latch.StrategyResetPasswordEmailLink}
	})
	const email = "grace@example.com"
	const newPassword = "lantern-orchid-basalt-42-river"
	userID := a.createUser(t, email, testPassword)
	asker, owner := newNamedBrowser(t, a, "asker"), newNamedBrowser(t, a, "owner")

	openElsewhere := func(link string) {
		t.Helper()
		owner.open(strings.TrimPrefix(link, a.URL), continueHere)
		if got := owner.text(".requested-from .device"); !strings.Contains(got, "Chrome") {
			t.Errorf("the link page names the asking device %q", got)
		}
		if got := owner.text(".requested-from .ip"); got != "127.0.0.1" {
			t.Errorf("the link page names the asking address %q", got)
		}
	}
	stillWaiting := func() {
		t.Helper()
		asker.reload(linkSent)
		asker.open("/", "#status")
		asker.wantSignedOut()
	}

	// Forgot password, by link.
	asker.open("/sign-in", "#latch-signin-identifier")
	asker.submit("#latch-signin-identifier", email, "#latch-signin-password")
	asker.click(`button[value="forgot_password"]`, linkSent)
	waiting := asker.location()
	openElsewhere(a.link(t, email))
	owner.click(continueHere, "#latch-signin-new-password")
	owner.submit("#latch-signin-new-password", newPassword, signedIn)
	owner.wantSignedIn(userID)
	asker.open(strings.TrimPrefix(waiting, a.URL), linkSent)
	stillWaiting()

	// A magic link.
	owner.click("#sign-out", signedOut)
	asker.open("/sign-in", "#latch-signin-identifier")
	asker.submit("#latch-signin-identifier", email, "#latch-signin-password")
	asker.click(anotherMethod, emailLinkMethod)
	asker.click(emailLinkMethod, linkSent)
	waiting = asker.location()
	openElsewhere(a.link(t, email))
	owner.follow(continueHere, signedIn)
	owner.wantSignedIn(userID)
	asker.open(strings.TrimPrefix(waiting, a.URL), linkSent)
	stillWaiting()
}
