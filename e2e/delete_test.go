package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch"
)

// The account page's "Delete account" section: a <details> whose summary
// opens it, and the button that confirms.
const (
	deleteSummary = `details.latch-danger summary`
	deleteAccount = `details.latch-danger form button[type="submit"]`
)

// TestDeleteAccountNeedsReverification: eleven minutes after signing in,
// deleting the account from /user goes through the reverification page
// first (the account stays until then); after the password is entered
// again, the deletion goes through and the browser is signed out.
func TestDeleteAccountNeedsReverification(t *testing.T) {
	a := newApp(t)
	const email = "margaret@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)

	a.Clock.Advance(11 * time.Minute)
	b.open("/user?tab=security", deleteSummary)
	b.run(chromedp.Click(chromedp.CSS(deleteSummary)), chromedp.WaitVisible(chromedp.CSS(deleteAccount)))
	b.follow(deleteAccount, `button[name="strategy"][value="password"]`)
	if p := b.path(); !strings.HasPrefix(p, "/reverify?") {
		t.Fatalf("deleting the account after 11 minutes went to %s, want /reverify", p)
	}
	if _, err := a.Auth.GetUser(context.Background(), userID); err != nil {
		t.Fatalf("the account was deleted before reverification: %v", err)
	}
	b.follow(`button[name="strategy"][value="password"]`, "#latch-reverify-password")
	if status := b.load(chromedp.SendKeys(chromedp.CSS("#latch-reverify-password"), testPassword+"\r")); status != 200 {
		t.Fatalf("reverifying answered %d (at %s)", status, b.location())
	}
	b.wait(deleteSummary)
	if p := b.path(); p != "/user?tab=security" {
		t.Fatalf("after reverifying, the browser is at %s, want /user?tab=security", p)
	}

	b.run(chromedp.Click(chromedp.CSS(deleteSummary)), chromedp.WaitVisible(chromedp.CSS(deleteAccount)))
	b.follow(deleteAccount, "#status")
	b.wantSignedOut()
	if _, err := a.Auth.GetUser(context.Background(), userID); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("after deleting, the account is still there: %v", err)
	}
}
