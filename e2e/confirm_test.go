package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRemovalsAskForConfirmation: on the account page, with scripts off as
// with them on, "Remove" beside an address and "Sign out" beside a device
// only open a question; the address stays until its "Yes, remove" is
// pressed, and the page then says so in a status message.
func TestRemovalsAskForConfirmation(t *testing.T) {
	a := newApp(t)
	const email, second = "grace@example.com", "grace.work@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
	b.open("/user", "#latch-profile-add-email")
	b.submit("#latch-profile-add-email", second, emailCode)

	b.disableScripts()
	b.reload("#latch-profile-add-email")
	ask := fmt.Sprintf(`details.latch-confirm:has(input[value]) > summary[aria-label="Remove %s"]`, second)
	yes := `details.latch-confirm[open] .latch-confirm__panel button[type="submit"]`
	if !b.present(ask) {
		t.Fatalf("no Remove beside %s", second)
	}
	if b.visible(yes) {
		t.Fatal("the removal's button shows before Remove is pressed")
	}
	b.run(chromedp.Click(chromedp.CSS(ask)), chromedp.WaitVisible(chromedp.CSS(yes)))
	if _, listed := b.contactBadges(second); !listed {
		t.Fatal("opening the confirmation removed the address")
	}
	b.follow(yes, "#latch-profile-add-email")
	if _, listed := b.contactBadges(second); listed {
		t.Errorf("after confirming, %s is still listed", second)
	}
	if got := b.text(`[role="status"]`); got != "Removed." {
		t.Errorf("after removing, the status message is %q", got)
	}
}

// TestRemovingTheAuthenticatorAppAsksFirst: on the Security pane,
// "Remove" beside the authenticator app only opens a question; closing it
// keeps the app, and "Yes, remove" removes it, which the section then
// says in a status message.
func TestRemovingTheAuthenticatorAppAsksFirst(t *testing.T) {
	a := newApp(t, onLocalhost, withPlugins)
	const email = "joan@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
	b.setUpAuthenticatorApp()

	b.open("/user?tab=security", removeTOTP)
	if b.visible(removeTOTPYes) {
		t.Fatal("the removal's button shows before Remove is pressed")
	}
	b.run(chromedp.Click(chromedp.CSS(removeTOTP)), chromedp.WaitVisible(chromedp.CSS(removeTOTPYes)))
	if got := b.text(`details.latch-confirm[open] .latch-confirm__panel p`); !strings.HasPrefix(got, "Remove the authenticator app?") {
		t.Errorf("the question reads %q", got)
	}
	// Changing one's mind: the opener closes the question again, and
	// nothing was posted.
	b.run(chromedp.Click(chromedp.CSS(removeTOTP)))
	b.poll(`!document.querySelector('details.latch-confirm:has(form[action$="do=totp_remove"])').open`, 3*time.Second)
	b.reload(removeTOTP)
	if b.present(setUpTOTP) {
		t.Fatal("closing the question removed the authenticator app")
	}

	b.run(chromedp.Click(chromedp.CSS(removeTOTP)), chromedp.WaitVisible(chromedp.CSS(removeTOTPYes)))
	b.follow(removeTOTPYes, setUpTOTP)
	if b.present(removeTOTP) {
		t.Error("after confirming, the authenticator app is still there")
	}
	if got := b.text(`section[aria-labelledby="latch-profile-mfa-title"] [role="status"]`); got != "The authenticator app was removed." {
		t.Errorf("after removing, the status message is %q", got)
	}
}

// The authenticator app's removal on the Security pane: the opener of its
// question, and the question's button.
const (
	removeTOTP    = `details.latch-confirm > summary[aria-label="Remove the authenticator app"]`
	removeTOTPYes = `details.latch-confirm[open]:has(form[action$="do=totp_remove"]) button[type="submit"]`
)
