package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/passkeys"
)

// Selectors of the plugins' parts of the hosted pages.
const (
	// passkeySignIn is "Sign in with a passkey" on the identifier step.
	passkeySignIn = `form:has(input[name="intent"][value="passkey"]) button`
	// webAuthnGet and webAuthnCreate are the buttons of the forms the
	// WebAuthn script answers with navigator.credentials.get or .create.
	webAuthnGet    = `form[data-latch-webauthn="get"] button[type="submit"]`
	webAuthnCreate = `form[data-latch-webauthn="create"] button[type="submit"]`
	// addPasskey and addSecurityKey begin a registration on /user.
	addPasskey     = `form:has(input[name="kind"][value="passkey"]) button`
	addSecurityKey = `form:has(input[name="kind"][value="security_key"]) button`
	// passkeysTitle is the title of the passkeys section of /user.
	passkeysTitle = "#latch-profile-passkeys-title"
)

// withPlugins adds the mfa and passkeys plugins to the app, each with its
// default configuration (second factors optional; the RP ID and origin of
// passkeys taken from BaseURL). Use it with onLocalhost: the passkeys
// plugin refuses an IP address as its RP ID, and so fails latch.New.
func withPlugins(c *latch.Config) {
	c.Plugins = append(c.Plugins, mfa.New(mfa.Config{}), passkeys.New(passkeys.Config{}))
}

// onLocalhost names the test server "localhost" in BaseURL, and so in the
// app's URL that the browser opens, instead of 127.0.0.1. A WebAuthn RP ID
// is a domain, never an IP address (Chromium refuses ceremonies on
// 127.0.0.1), and the passkeys plugin takes its RP ID from BaseURL.
// Chromium resolves localhost to the loopback address itself and treats it
// as a secure context over plain HTTP, as WebAuthn requires.
func onLocalhost(c *latch.Config) {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		panic(fmt.Sprintf("e2e: BaseURL %q: %v", c.BaseURL, err))
	}
	u.Host = "localhost:" + u.Port()
	c.BaseURL = u.String()
}

// platformAuthenticator is a device's built-in authenticator (Touch ID,
// Windows Hello): it keeps passkeys and verifies the user.
var platformAuthenticator = webauthn.VirtualAuthenticatorOptions{
	Protocol:                    webauthn.AuthenticatorProtocolCtap2,
	Transport:                   webauthn.AuthenticatorTransportInternal,
	HasResidentKey:              true,
	HasUserVerification:         true,
	IsUserVerified:              true,
	AutomaticPresenceSimulation: true,
}

// virtualAuthenticator turns on the tab's WebAuthn domain, with no browser
// UI, and attaches a virtual authenticator with opts, which answers every
// ceremony of the pages loaded in the tab (no real device, no prompt). It
// returns the authenticator's ID.
func (b *browser) virtualAuthenticator(opts webauthn.VirtualAuthenticatorOptions) webauthn.AuthenticatorID {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.t.Fatalf("browser: enabling WebAuthn: %v", err)
	}
	res, err := chromedp.Call(b.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &opts})
	if err != nil {
		b.t.Fatalf("browser: adding a virtual authenticator: %v", err)
	}
	return res.AuthenticatorID
}

// withoutPasskeyAutofill makes the pages loaded later in the tab see a
// browser without conditional mediation (passkeys offered in a field's
// autofill), as many browsers still are.
func (b *browser) withoutPasskeyAutofill() {
	b.t.Helper()
	const src = `if (window.PublicKeyCredential) { PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false); }`
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src}); err != nil {
		b.t.Fatalf("browser: turning passkey autofill off: %v", err)
	}
}

// credentials lists the credentials the virtual authenticator id holds.
func (b *browser) credentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		b.t.Fatalf("browser: listing the authenticator's credentials: %v", err)
	}
	return res.Credentials
}

// passkeyKinds lists the kind badges ("Passkey", "Security key") of the
// credentials /user shows.
func (b *browser) passkeyKinds() []string {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.latch-list__item .latch-badge')]
		.map(e => e.textContent.trim()).filter(t => t === 'Passkey' || t === 'Security key')`))
	if err != nil {
		b.t.Fatalf("browser: reading the credentials on /user: %v (at %s)", err, b.location())
	}
	return got
}

// signOut signs out with the landing page's button.
func (b *browser) signOut() {
	b.t.Helper()
	b.open("/", "#sign-out")
	b.follow("#sign-out", "#status")
	b.wantSignedOut()
}

// wantWebAuthnScript checks that the app serves the WebAuthn script the
// hosted pages load: without it their WebAuthn forms post no credential.
func (a *app) wantWebAuthnScript(t *testing.T) {
	t.Helper()
	res, err := http.Get(a.URL + "/v1/webauthn.js")
	if err != nil {
		t.Fatalf("GET /v1/webauthn.js: %v", err)
	}
	_ = res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || !strings.Contains(ct, "javascript") {
		t.Fatalf("GET /v1/webauthn.js answered %s (%s), want the WebAuthn script: the pages' passkey forms cannot run", res.Status, ct)
	}
}

// openProfileSection opens /user and waits for it, failing at once when
// it does not show sel, a control of a plugin's section.
func (b *browser) openProfileSection(sel, what string) {
	b.t.Helper()
	b.open("/user?tab=security", "#latch-profile-devices-title")
	if !b.present(sel) {
		b.t.Fatalf("/user has no %s (%s): the plugin's section is not on the account page", what, sel)
	}
}

// register registers the virtual authenticator's new credential from
// /user: add (addPasskey or addSecurityKey) opens the page of the
// registration, whose button runs navigator.credentials.create and posts
// the result, which lands back on /user.
func (b *browser) register(add string) {
	b.t.Helper()
	b.openProfileSection(add, "button to add a passkey or security key")
	b.app.wantWebAuthnScript(b.t)
	b.follow(add, webAuthnCreate)
	b.follow(webAuthnCreate, passkeysTitle)
	if p := b.path(); p != "/user?tab=security" {
		b.t.Fatalf("after registering, the browser is at %s, want /user?tab=security", p)
	}
	if b.present(`[role="alert"]:not(:empty)`) {
		b.t.Errorf("after registering, /user shows an error: %q", b.text(`[role="alert"]:not(:empty)`))
	}
}

// TestPasskeySignInWithoutPassword registers a passkey from /user with a
// platform authenticator that verifies its user, signs out, and signs in
// again with "Sign in with a passkey" alone: one click, no identifier, no
// password, no page between.
func TestPasskeySignInWithoutPassword(t *testing.T) {
	a := newApp(t, onLocalhost, withPlugins)
	const email = "dorothy@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	auth := b.virtualAuthenticator(platformAuthenticator)

	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
	b.register(addPasskey)
	if kinds := b.passkeyKinds(); !slices.Equal(kinds, []string{"Passkey"}) {
		t.Errorf("after registering, /user lists credentials of kinds %v, want one passkey", kinds)
	}
	creds := b.credentials(auth)
	if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RpID != "localhost" {
		t.Fatalf("the authenticator holds %d credentials (first: %+v), want one discoverable credential for localhost", len(creds), creds)
	}

	b.signOut()
	// Chromium's virtual authenticator answers the conditional request of
	// the identifier field's passkey autofill by itself, as soon as the
	// page loads, which would sign in before the button is pressed: this
	// browser offers no autofill, so the button is the way in.
	b.withoutPasskeyAutofill()
	b.open("/sign-in", passkeySignIn)
	if got := b.text(passkeySignIn); got != "Sign in with a passkey" {
		t.Errorf("the passkey button says %q", got)
	}
	if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.body.innerText.split("Sign in with a passkey").length - 1`)); n != 1 {
		t.Errorf("the sign-in page says \"Sign in with a passkey\" %d times, want once", n)
	}
	b.follow(passkeySignIn, "#status")
	b.wantSignedIn(userID)
}

// TestPasswordPlusSecurityKey registers a roaming security key (USB, no
// resident key, no user verification) from /user as a second factor,
// signs out, and signs in with the password: sign-in then asks for the
// security key, and pressing its button finishes it.
func TestPasswordPlusSecurityKey(t *testing.T) {
	a := newApp(t, onLocalhost, withPlugins)
	const email = "hedy@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	auth := b.virtualAuthenticator(webauthn.VirtualAuthenticatorOptions{
		Protocol:                    webauthn.AuthenticatorProtocolCtap2,
		Transport:                   webauthn.AuthenticatorTransportUsb,
		HasResidentKey:              false,
		HasUserVerification:         false,
		AutomaticPresenceSimulation: true,
	})

	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
	b.register(addSecurityKey)
	if kinds := b.passkeyKinds(); !slices.Equal(kinds, []string{"Security key"}) {
		t.Errorf("after registering, /user lists credentials of kinds %v, want one security key", kinds)
	}
	if creds := b.credentials(auth); len(creds) != 1 || creds[0].IsResidentCredential {
		t.Fatalf("the authenticator holds %d credentials (first: %+v), want one non-resident credential", len(creds), creds)
	}

	b.signOut()
	b.signIn("/sign-in", email, testPassword, webAuthnGet)
	if !b.present(`form[data-latch-webauthn="get"]:has(input[name="intent"][value="second_factor"]):has(input[name="strategy"][value="security_key"])`) {
		t.Fatalf("the second-factor step has no security-key form (at %s)", b.location())
	}
	if got := b.text(webAuthnGet); got != "Use a security key" {
		t.Errorf("the security-key button says %q", got)
	}
	if b.present("#status") {
		t.Fatalf("the password alone signed in")
	}
	b.follow(webAuthnGet, "#status")
	b.wantSignedIn(userID)
}

// TestPasskeyAutofillSignIn: with a passkey on the device, the identifier
// field's autofill (conditional mediation) signs the user in: the shipped
// script starts a passkey sign-in as the page loads, the authenticator
// answers, and the browser lands on the app signed in, with no identifier
// or password typed and no button pressed.
func TestPasskeyAutofillSignIn(t *testing.T) {
	a := newApp(t, onLocalhost, withPlugins)
	const email = "edith@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.virtualAuthenticator(platformAuthenticator)
	b.signIn("/sign-in", email, testPassword, signedIn)
	b.register(addPasskey)
	b.signOut()

	b.run(chromedp.Navigate(b.app.URL + "/sign-in"))
	b.wait(signedIn)
	b.wantSignedIn(userID)
	b.screenshot("TestPasskeyAutofillSignIn")
}
