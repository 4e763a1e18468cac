package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Selectors of the landing page's two states.
const (
	signedIn  = `#status[data-state="signed-in"]`
	signedOut = `#status[data-state="signed-out"]`
)

// TestSignUpWithEmailCode signs up through /sign-up with the bot check on:
// the page's proof-of-work script must fill bot_token before the form is
// sent, then the emailed code finishes sign-up and signs the user in.
func TestSignUpWithEmailCode(t *testing.T) {
	a := newApp(t)
	b := newBrowser(t, a)
	const email = "ada@example.com"

	b.open("/sign-up", "#latch-signup-email_address")
	b.fill("#latch-signup-email_address", email)
	b.fill("#latch-signup-password", testPassword)
	// /v1/pow.js solves the challenge and writes "challenge.solution".
	b.poll(`(document.querySelector('input[name="bot_token"]') || {value: ""}).value.includes(".")`, 30*time.Second)
	b.click(`form:has(input[name="intent"][value="sign_up"]) button.latch-button--primary`, "#latch-signup-code")

	b.submit("#latch-signup-code", a.code(t, email), signedIn)
	u, err := a.Auth.GetUserByEmailAddress(context.Background(), email)
	if err != nil {
		t.Fatalf("the user was not created: %v", err)
	}
	b.wantSignedIn(u.ID)
}

// TestSignUpButtonWaitsForBotCheck: Continue cannot be pressed before the
// proof of work is solved (an early press could only fail the bot check),
// says why meanwhile, and is ready once the script has the answer.
func TestSignUpButtonWaitsForBotCheck(t *testing.T) {
	a := newApp(t)
	const button = `form:has(input[name="intent"][value="sign_up"]) button.latch-button--primary`

	// Without scripts the page stays as served: disabled, "Checking…".
	off := newBrowser(t, a)
	off.disableScripts()
	off.open("/sign-up", button+"[disabled]")
	if got := off.text(button); got != "Checking your browser…" {
		t.Fatalf("before the check the button reads %q", got)
	}
	if got := off.attr(button, "aria-busy"); got != "true" {
		t.Fatalf("before the check aria-busy is %q", got)
	}

	on := newBrowser(t, a)
	on.open("/sign-up", "#latch-signup-email_address")
	on.poll(`(document.querySelector('input[name="bot_token"]') || {value: ""}).value.includes(".")`, 30*time.Second)
	on.poll(`!document.querySelector('`+button+`').disabled`, 5*time.Second)
	if got := on.text(button); got != "Continue" {
		t.Fatalf("once solved the button reads %q", got)
	}
}

// TestSignOutThenSignInWithPassword signs in with a password, signs out
// with the landing page's form (POST /sign-out), and signs in again.
func TestSignOutThenSignInWithPassword(t *testing.T) {
	a := newApp(t)
	const email = "grace@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)

	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)

	b.click("#sign-out", signedOut)
	if got := b.text("#status"); got != "signed out" {
		t.Fatalf("after signing out the landing page says %q", got)
	}
	b.open("/dashboard", "#latch-signin-identifier") // really signed out

	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
}

// TestWrongPasswordShowsError checks that a wrong password keeps the
// password step and says why in a role="alert" element.
func TestWrongPasswordShowsError(t *testing.T) {
	a := newApp(t)
	const email = "alan@example.com"
	a.createUser(t, email, testPassword)
	b := newBrowser(t, a)

	b.signIn("/sign-in", email, "not-the-right-password-9", `[role="alert"]`)
	msg := b.text(`[role="alert"]`)
	if !strings.Contains(msg, "password is incorrect") {
		t.Errorf("the alert says %q, want the incorrect-password message", msg)
	}
	b.wait("#latch-signin-password") // still on the password step
	if p := b.path(); !strings.HasPrefix(p, "/sign-in") {
		t.Errorf("after a wrong password the browser is at %s, want /sign-in", p)
	}
}

// TestProtectedPageRedirectsWhenSignedOut opens /dashboard signed out,
// which sends the browser to /sign-in with a redirect_url back to it;
// signing in then lands on /dashboard.
func TestProtectedPageRedirectsWhenSignedOut(t *testing.T) {
	a := newApp(t)
	const email = "barbara@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)

	b.open("/dashboard", "#latch-signin-identifier")
	u, err := url.Parse(b.location())
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/sign-in" || !strings.HasSuffix(u.Query().Get("redirect_url"), "/dashboard") {
		t.Fatalf("signed-out /dashboard went to %s, want /sign-in?redirect_url=…/dashboard", u)
	}

	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	b.submit("#latch-signin-password", testPassword, "#dashboard")
	if p := b.path(); p != "/dashboard" {
		t.Errorf("after signing in the browser is at %s, want /dashboard", p)
	}
	if got := b.text("main p"); !strings.Contains(got, userID) {
		t.Errorf("the dashboard says %q, want the user ID %s", got, userID)
	}
}

// TestSignInWorksWithJavaScriptDisabled signs in through the plain forms
// of the hosted pages with scripts turned off in the browser.
func TestSignInWorksWithJavaScriptDisabled(t *testing.T) {
	a := newApp(t)
	const email = "edsger@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.disableScripts()

	b.signIn("/sign-in", email, testPassword, signedIn)
	// <noscript> content is part of the page only when scripts are off.
	b.wait("#noscript")
	b.wantSignedIn(userID)
}

// TestForgotPassword resets a forgotten password from the password step:
// "Forgot password?" mails a code, the code leads to the new-password
// step, and setting it signs the user in; the new password then works.
func TestForgotPassword(t *testing.T) {
	a := newApp(t)
	const email = "hedy@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	const newPassword = "quartz-meadow-violin-83-harbor"

	b.open("/sign-in", "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	b.click(`button[value="forgot_password"]`, "#latch-signin-code")
	b.submit("#latch-signin-code", a.code(t, email), "#latch-signin-new-password")
	b.submit("#latch-signin-new-password", newPassword, signedIn)
	b.wantSignedIn(userID)

	b.click("#sign-out", signedOut)
	b.signIn("/sign-in", email, newPassword, signedIn)
	b.wantSignedIn(userID)
}
