package e2e

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Selectors of the sign-in card's code step.
const (
	// emailCodeMethod is the email-code button among the sign-in methods.
	emailCodeMethod = `button[name="strategy"][value="email_code"]`
	// codeBoxes are the digit boxes the code script makes of the code
	// field.
	codeBoxes = `.latch-otp .latch-otp__box`
	// codeResend is the code step's "Resend code" button.
	codeResend = `form.latch-resend button`
	// codeSent is the confirmation after a resend.
	codeSent = `[role="status"]`
)

// cardWidth is the rendered width of the page's card, in CSS pixels.
func (b *browser) cardWidth() float64 {
	b.t.Helper()
	w, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`document.querySelector('.latch-card').getBoundingClientRect().width`))
	if err != nil {
		b.t.Fatalf("browser: measuring the card: %v (at %s)", err, b.location())
	}
	return w
}

// viewport sets the tab's viewport to width × height CSS pixels.
func (b *browser) viewport(width, height int64) {
	b.t.Helper()
	b.run(chromedp.EmulateViewport(width, height))
}

// fitsViewport checks that the page's card and content fit a viewport of
// width px: no horizontal scrolling.
func (b *browser) fitsViewport(step string, width float64) {
	b.t.Helper()
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`[document.querySelector('.latch-card').getBoundingClientRect().right, document.documentElement.scrollWidth]`))
	if err != nil {
		b.t.Fatalf("browser: measuring the page: %v", err)
	}
	if got[0] > width || got[1] > width {
		b.t.Errorf("at %v px, the %s step's card ends at %v px and the page is %v px wide", width, step, got[0], got[1])
	}
}

// toCodeStep goes from the password step to the email-code step: "Use
// another method", then "Email me a code".
func (b *browser) toCodeStep() {
	b.t.Helper()
	b.follow(anotherMethod, emailCodeMethod)
	b.follow(emailCodeMethod, "#latch-signin-code")
}

// startCodeSignIn opens /sign-in, enters email and goes to the code step,
// the code mailed.
func (b *browser) startCodeSignIn(email string) {
	b.t.Helper()
	b.open("/sign-in", "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	b.toCodeStep()
}

// TestCardKeepsOneWidthThroughEveryStep walks every step of sign-in
// (identifier, passkey, password, methods, code, link sent, second
// factor) and of sign-up (form, code) at 1280 px, measuring the card: it
// keeps one width. At 390 px it fits the screen.
func TestCardKeepsOneWidthThroughEveryStep(t *testing.T) {
	a := newApp(t, onLocalhost, withPlugins)
	const email = "grace@example.com"
	a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.withoutPasskeyAutofill()

	// A second factor, for its step.
	b.signIn("/sign-in", email, testPassword, signedIn)
	b.setUpAuthenticatorApp()
	b.signOut()

	b.viewport(1280, 900)
	widths := map[string]float64{}
	var order []string
	measure := func(step string) {
		widths[step] = b.cardWidth()
		order = append(order, step)
	}
	b.open("/sign-in", "#latch-signin-identifier")
	measure("identifier")
	// The passkey step, which the button's script skips: the form sent
	// as it is without a script.
	b.load(script(`document.querySelector('form[data-latch-passkey-signin]').submit()`))
	b.wait(webAuthnGet)
	measure("passkey")
	b.open("/sign-in", "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	measure("password")
	b.follow(anotherMethod, emailCodeMethod)
	measure("choose strategy")
	b.follow(emailCodeMethod, "#latch-signin-code")
	measure("code")
	b.viewport(390, 844)
	b.fitsViewport("code", 390)
	b.viewport(1280, 900)
	b.follow(anotherMethod, emailLinkMethod)
	b.follow(emailLinkMethod, linkSent)
	measure("link sent")
	b.open("/sign-in", "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	b.submit("#latch-signin-password", testPassword, factorCode)
	measure("second factor")

	b.open("/sign-up", "#latch-signup-email_address")
	measure("sign-up")
	b.fill("#latch-signup-email_address", "katherine@example.com")
	b.fill("#latch-signup-password", testPassword)
	b.poll(`(document.querySelector('input[name="bot_token"]') || {value: ""}).value.includes(".")`, 30*time.Second)
	b.click(`form:has(input[name="intent"][value="sign_up"]) button.latch-button--primary`, "#latch-signup-code")
	measure("sign-up code")

	var report []string
	for _, step := range order {
		report = append(report, fmt.Sprintf("%s %.1f", step, widths[step]))
	}
	t.Logf("card widths at 1280 px: %s", strings.Join(report, ", "))
	for _, step := range order {
		if math.Abs(widths[step]-widths["identifier"]) > 0.5 {
			t.Errorf("at 1280 px the card is %.1f px wide on the %s step, %.1f px on the identifier step", widths[step], step, widths["identifier"])
		}
	}

	b.viewport(390, 844)
	b.fitsViewport("sign-up code", 390)
	b.open("/sign-up", "#latch-signup-email_address")
	b.fitsViewport("sign-up", 390)
	b.open("/sign-in", "#latch-signin-identifier")
	b.fitsViewport("identifier", 390)
}

// codeBoxState is the digit boxes' values, the index of the focused one
// (-1 when none is) and the hidden field the form posts.
type codeBoxState struct {
	Values  []string `json:"values"`
	Focused int      `json:"focused"`
	Posted  string   `json:"posted"`
}

func (b *browser) codeBoxes() codeBoxState {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[codeBoxState](`(() => {
		const boxes = [...document.querySelectorAll('.latch-otp .latch-otp__box')];
		const posted = document.querySelector('form input[name="code"]');
		return {values: boxes.map(b => b.value), focused: boxes.indexOf(document.activeElement), posted: posted ? posted.value : ""};
	})()`))
	if err != nil {
		b.t.Fatalf("browser: reading the code boxes: %v (at %s)", err, b.location())
	}
	return s
}

// TestCodeBoxesTyping: with the code script, the code step shows six
// labelled digit boxes; typing moves from box to box, Backspace in an
// empty box goes back and clears it, and the sixth digit sends the code,
// which signs in.
func TestCodeBoxesTyping(t *testing.T) {
	a := newApp(t)
	const email = "ada@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.startCodeSignIn(email)
	b.wait(codeBoxes)

	labels, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.latch-otp .latch-otp__box')].map(b => b.getAttribute('aria-label') + '|' + b.autocomplete + '|' + b.inputMode)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 6 || labels[0] != "Digit 1 of 6|one-time-code|numeric" || labels[5] != "Digit 6 of 6|off|numeric" {
		t.Fatalf("the code boxes are %q, want six, labelled Digit n of 6, the first for one-time-code autofill", labels)
	}
	if typ := b.attr(`input[name="code"]`, "type"); typ != "hidden" {
		t.Errorf("with the script, the posted code field is of type %q, want hidden behind the boxes", typ)
	}
	if group := b.attr(".latch-otp", "role"); group != "group" {
		t.Errorf("the boxes' container has role %q, want group", group)
	}

	code := a.code(t, email)
	b.fill("#latch-signin-code", code[:3])
	if s := b.codeBoxes(); strings.Join(s.Values, "") != code[:3] || s.Focused != 3 || s.Posted != code[:3] {
		t.Fatalf("after typing three digits the boxes are %+v, want %s in the first three and the fourth focused", s, code[:3])
	}
	b.run(chromedp.KeyEvent(kb.Backspace))
	if s := b.codeBoxes(); strings.Join(s.Values, "") != code[:2] || s.Focused != 2 {
		t.Fatalf("after Backspace in the empty fourth box the boxes are %+v, want the third cleared and focused", s)
	}
	if status := b.load(chromedp.KeyEvent(code[2:])); status >= 400 {
		t.Fatalf("the completed code was answered with %d", status)
	}
	b.wait(signedIn)
	b.wantSignedIn(userID)
}

// paste dispatches a paste of text, as the browser does for Ctrl+V, into
// the element sel.
func (b *browser) paste(sel, text string) chromedp.Action[chromedp.Void] {
	return script(fmt.Sprintf(`(() => {
		const dt = new DataTransfer();
		dt.setData('text/plain', %q);
		document.querySelector(%q).dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
	})()`, text, sel))
}

// TestCodeBoxesPaste: a code pasted into any box (here the third, with
// the spaces an email client may copy along) fills every box and signs
// in.
func TestCodeBoxesPaste(t *testing.T) {
	a := newApp(t)
	const email = "barbara@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.startCodeSignIn(email)
	b.wait(codeBoxes)

	code := a.code(t, email)
	if status := b.load(b.paste(".latch-otp__box:nth-child(3)", " "+code[:3]+" "+code[3:]+" ")); status >= 400 {
		t.Fatalf("the pasted code was answered with %d", status)
	}
	b.wait(signedIn)
	b.wantSignedIn(userID)
}

// TestCodeBoxesAutofill: a code the browser or keyboard fills into the
// first box at once (autocomplete="one-time-code", as from a text
// message) spreads over the boxes and signs in.
func TestCodeBoxesAutofill(t *testing.T) {
	a := newApp(t)
	const email = "frances@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.startCodeSignIn(email)
	b.wait(codeBoxes)

	code := a.code(t, email)
	b.run(chromedp.Focus(chromedp.CSS(".latch-otp__box:first-child")))
	if status := b.load(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, input.InsertText, input.InsertTextParams{Text: code})
		return err
	})); status >= 400 {
		t.Fatalf("the filled-in code was answered with %d", status)
	}
	b.wait(signedIn)
	b.wantSignedIn(userID)
}

// TestCodeFieldWithoutJavaScript: with scripts off, the code step is one
// plain field (numeric keyboard, one-time-code autofill, six digits) and
// an enabled "Resend code", which mails a new code and says so; the new
// code, typed into the field and sent, signs in.
func TestCodeFieldWithoutJavaScript(t *testing.T) {
	a := newApp(t)
	const email = "karen@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.disableScripts()
	b.startCodeSignIn(email)

	if b.present(codeBoxes) {
		t.Fatal("without JavaScript the code step shows digit boxes")
	}
	for attr, want := range map[string]string{"type": "text", "name": "code", "inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"} {
		if got := b.attr("#latch-signin-code", attr); got != want {
			t.Errorf("without JavaScript the code field's %s is %q, want %q", attr, got, want)
		}
	}
	if disabled, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('form.latch-resend button').disabled`)); disabled {
		t.Error("without JavaScript Resend code is disabled")
	}
	if got := b.text(codeResend); got != "Resend code" {
		t.Errorf("without JavaScript the resend button says %q", got)
	}
	first := a.code(t, email)
	b.follow(codeResend, codeSent)
	if got := b.text(codeSent); got != "A new code was sent." {
		t.Errorf("after resending the page says %q, want A new code was sent.", got)
	}
	code := a.code(t, email)
	if code == first {
		t.Fatalf("resending mailed the same code %s", code)
	}
	b.submit("#latch-signin-code", code, signedIn)
	b.wait("#noscript")
	b.wantSignedIn(userID)
}

// resendLabel is the resend button's label while it waits.
var resendLabel = regexp.MustCompile(`^Resend code \((\d+)\)$`)

// TestResendCountdownAndConfirmation: with the code script, "Resend
// code" waits, disabled, counting down in its label; resending says
// "A new code was sent." in a status region and waits again.
func TestResendCountdownAndConfirmation(t *testing.T) {
	a := newApp(t)
	const email = "radia@example.com"
	userID := a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	b.startCodeSignIn(email)
	b.wait(codeBoxes)

	wantWaiting := func(when string) {
		t.Helper()
		label := b.text(codeResend)
		m := resendLabel.FindStringSubmatch(label)
		disabled, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.querySelector('form.latch-resend button').disabled`))
		if m == nil || !disabled {
			t.Fatalf("%s, the resend button says %q (disabled: %v), want a disabled Resend code (n)", when, label, disabled)
		}
		if m[1] != "30" && m[1] != "29" && m[1] != "28" {
			t.Errorf("%s, the countdown starts at %s, want 30", when, m[1])
		}
	}
	wantWaiting("on the code step")
	// The countdown goes on: the label changes as seconds pass.
	initial := b.text(codeResend)
	b.poll(fmt.Sprintf(`document.querySelector('form.latch-resend button').textContent.trim() !== %q`, initial), 5*time.Second)
	if b.present(codeSent) {
		t.Errorf("before any resend the page says %q", b.text(codeSent))
	}

	// The server's limits, not the button, decide; the form may be sent
	// (here without waiting), as a page without the script would.
	if status := b.load(script(`document.querySelector('form.latch-resend').requestSubmit()`)); status >= 400 {
		t.Fatalf("resending was answered with %d", status)
	}
	b.wait(codeSent)
	if got := b.text(codeSent); got != "A new code was sent." {
		t.Errorf("after resending the page says %q, want A new code was sent.", got)
	}
	wantWaiting("after resending")
	if status := b.load(chromedp.SendKeys(chromedp.CSS("#latch-signin-code"), a.code(t, email))); status >= 400 {
		t.Fatalf("the new code was answered with %d", status)
	}
	b.wait(signedIn)
	b.wantSignedIn(userID)
}

// TestCodeStepAccessibility runs axe-core on the code step with its digit
// boxes and countdown, after a wrong code (the error at the boxes), in
// both themes.
func TestCodeStepAccessibility(t *testing.T) {
	axeJS := axeSource(t)
	a := newApp(t)
	const email = "mary@example.com"
	a.createUser(t, email, testPassword)
	b := newBrowser(t, a)
	for _, scheme := range []string{"light", "dark"} {
		// Each theme from a fresh page: switching it on a loaded page
		// would catch colours mid-transition.
		b.colorScheme(scheme)
		b.startCodeSignIn(email)
		b.wait(codeBoxes)
		code := a.code(t, email)
		wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1000000)
		if status := b.load(chromedp.SendKeys(chromedp.CSS("#latch-signin-code"), wrong)); status != 422 {
			t.Fatalf("a wrong code was answered with %d, want 422", status)
		}
		b.wait(codeBoxes)
		if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`(document.body.innerText.match(/That code is incorrect/g) || []).length`)); n != 1 {
			t.Errorf("the wrong code's message is on the page %d times, want once", n)
		}
		for _, line := range b.axeViolations(axeJS, "code step ("+scheme+")") {
			t.Errorf("code step (%s): %s", scheme, line)
		}
	}
}

// script is an action that runs the JavaScript js in the page, its value
// dropped.
func script(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[*runtime.RemoteObject](js)(ctx, tg)
		return err
	})
}

// atoi is the number the digits s spell.
func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
