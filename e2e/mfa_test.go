package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/latchauth/latch/mfa/mfatest"
)

// Selectors of the two-step verification parts of the hosted pages.
const (
	// setUpTOTP is the authenticator app's "Set up" link on /user.
	setUpTOTP = `a[href$="/mfa/totp"]`
	// beginTOTP is the button that begins the set-up on its page.
	beginTOTP = `form[action$="do=totp_begin"] button[type="submit"]`
	// totpKey is the key to type into an app by hand, on the set-up page.
	totpKey = `code.latch-identity__value`
	// totpSetUpCode is the field for the app's first code.
	totpSetUpCode = "#latch-mfa-totp-code"
	// backupCodesDone leaves the page showing the new backup codes.
	backupCodesDone = `a.latch-button--primary[href="/user?tab=security"]`
	// factorCode is the code field of the second-factor step of sign-in,
	// and of the reverification page.
	factorCode = "#latch-factor-code"
	// reverifyTOTP chooses the authenticator app on the reverification
	// page.
	reverifyTOTP = `button[name="strategy"][value="totp"]`
)

// setUpAuthenticatorApp sets up an authenticator app from /user for the
// signed-in user, as a person would by typing the key shown: it reads the
// key, answers with its current code, leaves the backup codes shown once
// and returns the key (base32).
func (b *browser) setUpAuthenticatorApp() string {
	b.t.Helper()
	b.openProfileSection(setUpTOTP, "link to set up an authenticator app")
	b.follow(setUpTOTP, beginTOTP)
	b.follow(beginTOTP, totpKey)
	secret := strings.ReplaceAll(b.text(totpKey), " ", "")
	if len(secret) != 32 {
		b.t.Fatalf("the set-up page shows the key %q, want 32 base32 characters", secret)
	}
	b.submit(totpSetUpCode, mfatest.Code(b.t, secret, b.app.Clock.Now()), backupCodesDone)
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('ol.latch-list code.latch-list__value').length`))
	if err != nil || n == 0 {
		b.t.Errorf("after the set-up, the page shows %d backup codes (%v), want a set", n, err)
	}
	b.follow(backupCodesDone, setUpTOTPDone)
	return secret
}

// setUpTOTPDone is on /user once an authenticator app is set up: the
// button that removes it.
const setUpTOTPDone = `form[action$="do=totp_remove"] button`

// TestTOTPEnrolmentAndSignIn sets up an authenticator app from /user,
// signs out, and signs in again: after the password, sign-in asks for the
// app's code, and a fresh one (of the next time step) finishes it.
func TestTOTPEnrolmentAndSignIn(t *testing.T) {
	a := newApp(t, onLocalhost, withPlugins)
	const email = "mae@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)

	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
	secret := b.setUpAuthenticatorApp()
	if b.present(setUpTOTP) {
		t.Errorf("after the set-up, /user still offers to set an app up")
	}

	b.signOut()
	b.signIn("/sign-in", email, testPassword, factorCode)
	if b.present("#status") {
		t.Fatalf("the password alone signed in")
	}
	if !b.present(`form:has(input[name="intent"][value="second_factor"]):has(input[name="strategy"][value="totp"]) ` + factorCode) {
		t.Errorf("the second-factor step does not ask for the app's code (at %s)", b.location())
	}
	// The code that finished the set-up used its time step up: wait (on
	// the test clock) for the next one, as a person would see a new code.
	a.Clock.Advance(30 * time.Second)
	b.submit(factorCode, mfatest.Code(t, secret, a.Clock.Now()), "#status")
	b.wantSignedIn(userID)
}

// TestReverificationBeforePasswordChange signs in a user with an
// authenticator app and lets 11 minutes pass (the session is kept, its
// token refreshed): changing the password on /user then goes through the
// reverification page, where the app's code verifies the user and sends
// them back to /user, where the change succeeds. The new password then
// signs in.
func TestReverificationBeforePasswordChange(t *testing.T) {
	a := newApp(t, onLocalhost, withPlugins)
	const email = "lise@example.com"
	const newPassword = "quartz-meadow-harbor-93-falcon"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)

	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
	secret := b.setUpAuthenticatorApp()
	b.open("/", signedIn)
	session := b.attr("#status", "data-session-id")

	// Eleven minutes: past the ten-minute window whatever the rounding of
	// the fva claim's whole minutes.
	a.Clock.Advance(11 * time.Minute)
	b.open("/", "#status")
	b.wantSignedIn(userID)
	if got := b.attr("#status", "data-session-id"); got != session {
		t.Fatalf("after 11 minutes the browser is in session %s, want %s kept", got, session)
	}

	b.open("/user?tab=security", "#latch-profile-new-password")
	b.fill("#latch-profile-current-password", testPassword)
	b.load(chromedp.SendKeys(chromedp.CSS("#latch-profile-new-password"), newPassword+"\r"))
	if p := b.path(); !strings.HasPrefix(p, "/reverify?") {
		t.Fatalf("changing the password after 11 minutes went to %s, want /reverify", p)
	}
	b.wait(reverifyTOTP)
	b.follow(reverifyTOTP, factorCode)
	b.wait(codeBoxes) // the code is typed into digit boxes here too, as on the sign-in page
	if status := b.load(chromedp.SendKeys(chromedp.CSS(factorCode), mfatest.Code(t, secret, a.Clock.Now())+"\r")); status != 200 {
		t.Fatalf("verifying answered %d, want 200 (at %s)", status, b.location())
	}
	b.wait("#latch-profile-new-password")
	if p := b.path(); p != "/user?tab=security" {
		t.Fatalf("after verifying, the browser is at %s, want /user?tab=security", p)
	}

	b.fill("#latch-profile-current-password", testPassword)
	if status := b.load(chromedp.SendKeys(chromedp.CSS("#latch-profile-new-password"), newPassword+"\r")); status != 200 {
		t.Fatalf("changing the password answered %d, want 200 (at %s)", status, b.location())
	}
	b.wait("#latch-profile-new-password")
	if p := b.path(); p != "/user?saved=password&tab=security" {
		t.Errorf("after changing the password, the browser is at %s, want /user?saved=password&tab=security", p)
	}
	if b.present(`[role="alert"]:not(:empty)`) {
		t.Fatalf("changing the password shows an error: %q", b.text(`[role="alert"]:not(:empty)`))
	}
	b.screenshot(t.Name() + "_changed")

	// The new password is the one that signs in now (then the app's code).
	b.signOut()
	b.signIn("/sign-in", email, newPassword, factorCode)
	a.Clock.Advance(30 * time.Second)
	b.submit(factorCode, mfatest.Code(t, secret, a.Clock.Now()), "#status")
	b.wantSignedIn(userID)
}
