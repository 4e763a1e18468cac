package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Selectors of the hosted pages and the user button used below.
const (
	// anotherMethod is "Use another method" on the password, code and
	// link-sent steps of sign-in.
	anotherMethod = `form:has(input[name="intent"][value="choose_strategy"]) button`
	// emailLinkMethod is the email-link button among the sign-in methods.
	emailLinkMethod = `button[name="strategy"][value="email_link"]`
	// linkSent is on the "check your email" step of sign-in only.
	linkSent = `form.latch-resend:has(input[name="intent"][value="resend"])`
	// verifyButton is the button of the page an emailed link opens.
	verifyButton = `form[action="/v1/verify"] button[type="submit"]`
	// emailCode is the code input of an unverified email address on /user.
	emailCode = `input[id^="latch-profile-email-code-"]`
	// menuTrigger opens the user button's menu.
	menuTrigger = `summary.latch-userbutton__trigger`
)

// TestMagicLinkSignIn signs in with an emailed link: from the password
// step, "Use another method" lists the methods, "Email link" mails a link,
// and opening the link in the same browser and pressing its button
// finishes sign-in there. The link works once.
func TestMagicLinkSignIn(t *testing.T) {
	a := newApp(t)
	const email = "katherine@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)

	b.open("/sign-in", "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	b.click(anotherMethod, emailLinkMethod)
	b.click(emailLinkMethod, linkSent)
	if got := b.text(".latch-identity__value"); got != email {
		t.Errorf("the link-sent step names %q, want %q", got, email)
	}

	link := a.link(t, email)
	tok, ok := strings.CutPrefix(link, a.URL+"/v1/verify?token=")
	if !ok || tok == "" {
		t.Fatalf("the emailed link is %q, want %s/v1/verify?token=…", link, a.URL)
	}
	b.open(strings.TrimPrefix(link, a.URL), verifyButton)
	b.follow(verifyButton, "#status")
	b.wantSignedIn(userID)

	// A second use of the same link is refused, and changes nothing.
	b.open(strings.TrimPrefix(link, a.URL), verifyButton)
	if status := b.load(chromedp.Click(chromedp.CSS(verifyButton))); status != 410 {
		t.Errorf("a used link answered %d, want 410", status)
	}
	if got := b.text("h1"); !strings.Contains(got, "expired") {
		t.Errorf("a used link shows %q, want the expired-link page", got)
	}
	b.open("/", "#status")
	b.wantSignedIn(userID)
}

// contactBadges returns the badges (Primary, Verified, Unverified) of the
// row for value in the contact lists of /user; ok is false when no row
// shows value.
func (b *browser) contactBadges(value string) (badges []string, ok bool) {
	b.t.Helper()
	v, _ := json.Marshal(value)
	expr := fmt.Sprintf(`(() => {
		const li = [...document.querySelectorAll('.latch-list__item')]
			.find(li => (li.querySelector('.latch-list__value')?.textContent ?? '').trim() === %s);
		return li ? [...li.querySelectorAll('.latch-badge')].map(e => e.textContent.trim()) : null;
	})()`, v)
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](expr))
	if err != nil {
		b.t.Fatalf("browser: reading the badges of %s: %v (at %s)", value, err, b.location())
	}
	return got, got != nil
}

// visible reports whether the first element matching sel is rendered
// (not inside a closed <details>, not display:none).
func (b *browser) visible(sel string) bool {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	shown, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(e => e !== null && e.checkVisibility())(document.querySelector(%s))`, q)))
	if err != nil {
		b.t.Fatalf("browser: looking at %s: %v (at %s)", sel, err, b.location())
	}
	return shown
}

// present reports whether an element matches sel in the page.
func (b *browser) present(sel string) bool {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	found, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%s) !== null`, q)))
	if err != nil {
		b.t.Fatalf("browser: looking for %s: %v (at %s)", sel, err, b.location())
	}
	return found
}

// TestAddAndVerifySecondEmail adds a second email address on /user: it is
// listed unverified with a code field, the code mailed to it verifies it,
// and it is then listed as verified (the first stays primary, and is told
// of the new address).
func TestAddAndVerifySecondEmail(t *testing.T) {
	a := newApp(t)
	const email, second = "mary@example.com", "mary.work@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)

	b.signIn("/sign-in", email, testPassword, signedIn)
	b.wantSignedIn(userID)
	b.open("/user", "#latch-profile-add-email")
	b.submit("#latch-profile-add-email", second, emailCode)
	if badges, ok := b.contactBadges(second); !ok || !slices.Contains(badges, "Unverified") {
		t.Fatalf("after adding %s its row has badges %v (listed: %v), want Unverified", second, badges, ok)
	}

	if status := b.load(chromedp.SendKeys(chromedp.CSS(emailCode), a.code(t, second)+"\r")); status != 200 {
		t.Fatalf("sending the code answered %d, want 200 (at %s)", status, b.location())
	}
	b.wait("#latch-profile-add-email")
	if p := b.path(); p != "/user?saved=verify" {
		t.Errorf("after verifying, the browser is at %s, want /user?saved=verify", p)
	}
	if b.present(`[role="alert"]`) {
		t.Errorf("after verifying, /user shows an error: %q", b.text(`[role="alert"]`))
	}
	if b.present(emailCode) {
		t.Errorf("after verifying, /user still asks for a code")
	}
	badges, ok := b.contactBadges(second)
	if !ok || !slices.Contains(badges, "Verified") || slices.Contains(badges, "Unverified") || slices.Contains(badges, "Primary") {
		t.Errorf("after verifying, %s has badges %v (listed: %v), want Verified only", second, badges, ok)
	}
	if badges, _ := b.contactBadges(email); !slices.Contains(badges, "Primary") {
		t.Errorf("after verifying %s, %s has badges %v, want it still Primary", second, email, badges)
	}

	u, err := a.Auth.GetUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	var verified []string
	for _, e := range u.EmailAddresses {
		if e.Verified {
			verified = append(verified, e.Value)
		}
	}
	want := []string{email, second}
	slices.Sort(verified)
	slices.Sort(want)
	if !slices.Equal(verified, want) {
		t.Errorf("the user's verified addresses are %v, want %v", verified, want)
	}
	a.newestIn(t, email, "a notice naming "+second, func(text string) string {
		if strings.Contains(text, second) {
			return second
		}
		return ""
	})
}

// sessionCookie returns the session-token cookie the tab holds for the
// app (named latch_session over plain HTTP), and whether it holds one.
func (b *browser) sessionCookie() (string, bool) {
	b.t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.app.URL + "/"}})
	if err != nil {
		b.t.Fatalf("browser: reading cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == "latch_session" {
			return c.Value, true
		}
	}
	return "", false
}

// TestRevokeAnotherDevice signs one user in from two browsers, revokes the
// second browser's session from the first one's /user, and checks that the
// second browser is signed out at once (this instance refuses the revoked
// session's token) and stays signed out once its token has expired and the
// middleware tries to refresh it, while the first browser's token is
// refreshed.
func TestRevokeAnotherDevice(t *testing.T) {
	a := newApp(t)
	const email = "frances@example.com"
	userID := a.createUser(t, email, testPassword)
	first := newNamedBrowser(t, a, "first")
	second := newNamedBrowser(t, a, "second")

	first.signIn("/sign-in", email, testPassword, signedIn)
	first.wantSignedIn(userID)
	second.signIn("/sign-in", email, testPassword, signedIn)
	second.wantSignedIn(userID)
	mine, theirs := first.attr("#status", "data-session-id"), second.attr("#status", "data-session-id")
	if mine == "" || theirs == "" || mine == theirs {
		t.Fatalf("the two browsers' sessions are %q and %q, want two different sessions", mine, theirs)
	}

	first.open("/user?tab=security", "#latch-profile-devices-title")
	revoke := fmt.Sprintf(`form:has(input[name="id"][value=%q]) button`, theirs)
	askRevoke := fmt.Sprintf(`details.latch-confirm:has(input[name="id"][value=%q]) > summary`, theirs)
	if first.present(fmt.Sprintf(`form:has(input[name="id"][value=%q])`, mine)) {
		t.Errorf("/user offers to sign out of the device it is viewed on")
	}
	if first.visible(revoke) {
		t.Errorf("signing out of a device needs no confirmation")
	}
	first.run(chromedp.Click(chromedp.CSS(askRevoke)), chromedp.WaitVisible(chromedp.CSS(revoke)))
	first.follow(revoke, "#latch-profile-devices-title")
	if p := first.path(); p != "/user?saved=revoke&tab=security" {
		t.Errorf("after revoking, the first browser is at %s, want /user?saved=revoke&tab=security", p)
	}
	if first.present(revoke) {
		t.Errorf("after revoking, /user still lists the second browser's session")
	}

	// The second browser's token has not expired, but this instance knows
	// its session was revoked.
	second.reload("#status")
	second.wantSignedOut()
	second.wantSentToSignIn("/dashboard")

	// Once the token has expired, the middleware tries to refresh it from
	// the client cookie: refused for the revoked session, done for the
	// other one.
	oldToken, _ := first.sessionCookie()
	a.Clock.Advance(tokenLifetime + tokenLeeway + time.Second)
	second.wantSentToSignIn("/dashboard")
	second.open("/", "#status")
	second.wantSignedOut()
	if _, ok := second.sessionCookie(); ok {
		t.Errorf("the refresh of the revoked session left its session cookie in the second browser")
	}
	first.open("/", "#status")
	first.wantSignedIn(userID)
	if got := first.attr("#status", "data-session-id"); got != mine {
		t.Errorf("after its token was refreshed, the first browser is in session %s, want %s", got, mine)
	}
	if tok, _ := first.sessionCookie(); tok == "" || tok == oldToken {
		t.Errorf("the first browser's expired session token was not replaced")
	}
	first.open("/user?tab=security", "#latch-profile-devices-title")
	if first.present(revoke) {
		t.Errorf("/user lists the revoked session again")
	}
}

// openMenu opens the user button's menu and waits for it to show.
func (b *browser) openMenu() {
	b.t.Helper()
	b.run(chromedp.Click(chromedp.CSS(menuTrigger)), chromedp.WaitVisible(chromedp.CSS(".latch-menu")))
}

// wantMenu checks the user button: its account is current, and the other
// signed-in accounts it offers to switch to are others, by email address.
func (b *browser) wantMenu(current string, others ...string) {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.latch-menu__account .latch-menu__email')].map(e => e.textContent.trim())`))
	if err != nil {
		b.t.Fatalf("browser: reading the user button: %v", err)
	}
	if !slices.Equal(got, []string{current}) {
		b.t.Errorf("the user button is for %v, want %s", got, current)
	}
	got, err = chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.latch-menu__switch .latch-menu__email')].map(e => e.textContent.trim())`))
	if err != nil {
		b.t.Fatalf("browser: reading the user button: %v", err)
	}
	if !slices.Equal(got, others) {
		b.t.Errorf("the user button offers to switch to %v, want %v", got, others)
	}
}

// TestAddSecondAccountAndSwitch, with multi-session on, signs in user A,
// adds user B with the user button's "Add account", then switches back to
// A from the user button's menu: A's own session is active again, and B
// stays signed in in the same browser.
func TestAddSecondAccountAndSwitch(t *testing.T) {
	a := newApp(t) // Session.MultiSession is on
	const emailA, emailB = "ada@example.com", "grace@example.com"
	idA := a.createUser(t, emailA, testPassword)
	idB := a.createUser(t, emailB, testPassword)
	b := newBrowser(t, a)

	b.signIn("/sign-in", emailA, testPassword, signedIn)
	b.wantSignedIn(idA)
	b.wantMenu(emailA)
	sessionA := b.attr("#status", "data-session-id")

	b.openMenu()
	addAccount := `.latch-menu a[href="/sign-in"]`
	if got := b.text(addAccount); got != "Add account" {
		t.Errorf("the add-account item says %q", got)
	}
	b.follow(addAccount, "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", emailB, "#latch-signin-password")
	b.submit("#latch-signin-password", testPassword, "#status")
	b.wantSignedIn(idB)
	b.wantMenu(emailB, emailA)
	if sessionB := b.attr("#status", "data-session-id"); sessionB == sessionA {
		t.Fatalf("B signed in to A's session %s", sessionA)
	}

	b.openMenu()
	b.follow(".latch-menu__switch", "#status")
	b.wantSignedIn(idA)
	b.wantMenu(emailA, emailB)
	if got := b.attr("#status", "data-session-id"); got != sessionA {
		t.Errorf("switching back to A made session %s active, want A's session %s", got, sessionA)
	}
	b.openMenu() // for the screenshot
}

// rgbRE reads the channels of a computed colour, rgb(…) or rgba(…).
var rgbRE = regexp.MustCompile(`^rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)$`)

// luminance is the relative luminance (0 black, 1 white) of the computed
// background colour of sel, ignoring gamma, which is enough to tell a
// light theme from a dark one.
func (b *browser) luminance(sel string) float64 {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	c, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`getComputedStyle(document.querySelector(%s)).backgroundColor`, q)))
	if err != nil {
		b.t.Fatalf("browser: reading the background of %s: %v", sel, err)
	}
	m := rgbRE.FindStringSubmatch(c)
	if m == nil || m[4] == "0" {
		b.t.Fatalf("browser: the background of %s is %q, not an opaque rgb(…)", sel, c)
	}
	var ch [3]float64
	for i := range ch {
		v, _ := strconv.Atoi(m[i+1])
		ch[i] = float64(v) / 255
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2]
}

// TestProfileDarkTheme shows /user in a browser that prefers a dark colour
// scheme: with the default theme ("auto") the page follows it. It saves
// screenshots/profile-dark.png.
func TestProfileDarkTheme(t *testing.T) {
	a := newApp(t, onLocalhost, withPlugins)
	const email = "radia@example.com"
	a.createUser(t, email, testPassword)
	b := newBrowser(t, a)

	b.signIn("/sign-in", email, testPassword, signedIn)
	b.colorScheme("light")
	b.open("/user", ".latch-profile")
	if l := b.luminance(".latch-profile"); l < 0.8 {
		t.Errorf("in the light scheme the account card's luminance is %.2f, want a light card", l)
	}

	b.colorScheme("dark")
	b.reload(".latch-profile")
	if l := b.luminance(".latch-profile"); l > 0.2 {
		t.Errorf("in the dark scheme the account card's luminance is %.2f, want a dark card", l)
	}
	if l := b.luminance("body"); l > 0.2 {
		t.Errorf("in the dark scheme the page's luminance is %.2f, want a dark page", l)
	}
	b.screenshot("profile-dark")
}
