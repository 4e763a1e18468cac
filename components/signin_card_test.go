package components

import (
	"strings"
	"testing"
)

// TestIdentifierLabelSaysWhatIsEnabled: the identifier field is named for
// the identifiers users have, with the input type and keyboard that fit,
// in each language.
func TestIdentifierLabelSaysWhatIsEnabled(t *testing.T) {
	cases := []struct {
		kinds       []string
		locale      Locale
		label, typ  string
		extraWanted string
	}{
		{[]string{"email_address"}, nil, "Email address", "email", ""},
		{[]string{"email_address"}, French, "Adresse e-mail", "email", ""},
		{[]string{"phone_number"}, nil, "Phone number", "tel", `inputmode="tel"`},
		{[]string{"username"}, nil, "Username", "text", ""},
		{[]string{"email_address", "username"}, nil, "Email address or username", "text", ""},
		{[]string{"username", "email_address"}, French, "Adresse e-mail ou nom d&#39;utilisateur", "text", ""},
		{[]string{"email_address", "phone_number"}, nil, "Email address or phone number", "text", ""},
		{[]string{"phone_number", "username"}, nil, "Phone number or username", "text", ""},
		{[]string{"email_address", "phone_number", "username"}, nil, "Email, phone or username", "text", ""},
		{nil, nil, "Email, phone or username", "text", ""},
	}
	for _, c := range cases {
		html := render(t, SignIn(SignInProps{Action: "/sign-in", Identifiers: c.kinds, Locale: c.locale}))
		if want := `for="latch-signin-identifier">` + c.label + ` </label>`; !strings.Contains(html, want) {
			t.Errorf("%v: the identifier's label is not %q:\n%s", c.kinds, c.label, html)
		}
		input := between(html, `<input class="latch-input" id="latch-signin-identifier"`, ">")
		if want := `type="` + c.typ + `"`; !strings.Contains(input, want) {
			t.Errorf("%v: the identifier input is %s, want %s", c.kinds, input, want)
		}
		if !strings.Contains(input, `autocomplete="username webauthn"`) {
			t.Errorf("%v: the identifier input is %s, want autocomplete=\"username webauthn\"", c.kinds, input)
		}
		if c.extraWanted != "" && !strings.Contains(input, c.extraWanted) {
			t.Errorf("%v: the identifier input is %s, want %s", c.kinds, input, c.extraWanted)
		}
	}
}

// between is the text of s from the first start to the next end after it.
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

// TestErrorShownOnce: on every step, a field's error is shown beneath the
// field (announced there) and not again in the summary; an error of no
// field shown (or of none) is in the summary, once.
func TestErrorShownOnce(t *testing.T) {
	const msg = "That is wrong."
	totp := &FactorForm{Strategy: "totp", Input: "code", Digits: 6}
	key := &FactorForm{Strategy: "passkey", Input: "webauthn", Options: `{}`}
	signIn := func(step, field string, f *FactorForm) SignInProps {
		return SignInProps{Step: step, Action: "/sign-in", Identifier: "jane@example.com", Factor: f, Errors: Errors{{field, msg}}}
	}
	signUp := func(step, field string) SignUpProps {
		return SignUpProps{Step: step, Action: "/sign-up", Fields: []string{"email_address", "password"}, Legal: true,
			Identifier: "jane@example.com", VerifyField: "email_address", Errors: Errors{{field, msg}}}
	}
	cases := map[string]struct {
		props   any
		inAlert bool
	}{
		"identifier":              {signIn(StepIdentifier, "identifier", nil), false},
		"identifier, general":     {signIn(StepIdentifier, "", nil), true},
		"identifier, other field": {signIn(StepIdentifier, "redirect_url", nil), true},
		"wrong password":          {signIn(StepPassword, "password", nil), false},
		"wrong code":              {signIn(StepCode, "code", nil), false},
		"new password refused":    {signIn(StepNewPassword, "password", nil), false},
		"wrong second factor":     {signIn(StepSecondFactor, "code", totp), false},
		"passkey refused":         {signIn(StepPasskey, "credential", key), false},
		"link sent":               {signIn(StepLinkSent, "", nil), true},
		"choose strategy":         {signIn(StepChooseStrategy, "strategy", nil), true},
		"sign-up field":           {signUp(StepForm, "email_address"), false},
		"sign-up password":        {signUp(StepForm, "password"), false},
		"sign-up legal":           {signUp(StepForm, "legal_accepted"), false},
		"sign-up general":         {signUp(StepForm, ""), true},
		"sign-up wrong code":      {signUp(StepVerify, "code"), false},
		"sign-up link sent":       {signUp(StepLinkSent, "code"), true},
		"reverify password":       {ReverifyProps{Action: "/reverify", Factor: &FactorForm{Strategy: "password"}, Errors: Errors{{"password", msg}}}, false},
		"reverify code":           {ReverifyProps{Action: "/reverify", Factor: &FactorForm{Strategy: "email_code", Input: "code"}, Errors: Errors{{"code", msg}}}, false},
	}
	for name, c := range cases {
		var html string
		switch p := c.props.(type) {
		case SignInProps:
			html = render(t, SignIn(p))
		case SignUpProps:
			html = render(t, SignUp(p))
		case ReverifyProps:
			html = render(t, Reverify(p))
		}
		if n := strings.Count(html, msg); n != 1 {
			t.Errorf("%s: the message is shown %d times, want once:\n%s", name, n, html)
			continue
		}
		if got := strings.Contains(html, `latch-alert--error`); got != c.inAlert {
			t.Errorf("%s: the message is in the summary: %v, want %v", name, got, c.inAlert)
		}
		if n := strings.Count(html, `role="alert">`+msg) + strings.Count(html, `role="alert"><p>`+msg); n != 1 {
			t.Errorf("%s: the message is announced %d times, want once:\n%s", name, n, html)
		}
	}
}

// TestCodeFieldWorksWithoutScript: the code steps have one plain field
// that a form posts as it is (name, numeric keyboard, one-time-code
// autofill, six digits at most), marked for the script that shows it as
// boxes; a backup code is a plain text field, not digits.
func TestCodeFieldWorksWithoutScript(t *testing.T) {
	pages := map[string]string{
		"sign-in code":   render(t, SignIn(SignInProps{Step: StepCode, Action: "/sign-in", ScriptURL: "/v1/code.js"})),
		"second factor":  render(t, SignIn(SignInProps{Step: StepSecondFactor, Action: "/sign-in", ScriptURL: "/v1/code.js", Factor: &FactorForm{Strategy: "phone_code", Input: "code", Digits: 6, Resend: true}})),
		"sign-up verify": render(t, SignUp(SignUpProps{Step: StepVerify, Action: "/sign-up", ScriptURL: "/v1/code.js", VerifyField: "email_address"})),
	}
	for name, html := range pages {
		if n := strings.Count(html, `name="code"`); n != 1 {
			t.Errorf("%s: %d code fields, want 1", name, n)
		}
		input := between(html, `name="code"`, ">")
		for _, want := range []string{`inputmode="numeric"`, `autocomplete="one-time-code"`, `maxlength="6"`, `data-latch-otp="6"`, `data-latch-otp-label="Digit {i} of {n}"`, `required`} {
			if !strings.Contains(input, want) {
				t.Errorf("%s: the code field %s lacks %s", name, input, want)
			}
		}
		if !strings.Contains(html, `<script src="/v1/code.js" defer></script>`) {
			t.Errorf("%s: the code script is not loaded", name)
		}
		resend := between(html, `data-latch-resend-wait`, ">")
		if !strings.Contains(resend, `data-latch-resend-wait="30" data-latch-resend-label="Resend code ({s})"`) || strings.Contains(resend, "disabled") {
			t.Errorf("%s: the resend button is %q, want it enabled and marked for the countdown", name, resend)
		}
	}
	// A page answering a wrong code sent none: nothing to wait for.
	wrong := render(t, SignIn(SignInProps{Step: StepCode, Action: "/sign-in", Errors: Errors{{"code", "That code is incorrect."}}}))
	if strings.Contains(wrong, "data-latch-resend-wait") || !strings.Contains(wrong, `value="resend"`) {
		t.Errorf("after a wrong code, Resend code waits or is gone:\n%s", wrong)
	}
	backup := render(t, SignIn(SignInProps{Step: StepSecondFactor, Action: "/sign-in", Factor: &FactorForm{Strategy: "backup_code", Input: "code"}}))
	input := between(backup, `name="code"`, ">")
	if strings.Contains(input, "data-latch-otp") || strings.Contains(input, "maxlength") || strings.Contains(input, `inputmode="numeric"`) {
		t.Errorf("the backup code field is %s, want a plain text field", input)
	}
	fr := render(t, SignUp(SignUpProps{Step: StepVerify, Action: "/sign-up", VerifyField: "email_address", Locale: French}))
	if !strings.Contains(fr, `data-latch-otp-label="Chiffre {i} sur {n}"`) || !strings.Contains(fr, `data-latch-resend-label="Renvoyer le code ({s})"`) {
		t.Errorf("the French code step's script labels are not French:\n%s", fr)
	}
}

// TestNoticeIsAStatus: "A new code was sent." is in a role="status"
// region.
func TestNoticeIsAStatus(t *testing.T) {
	for name, html := range map[string]string{
		"sign-in": render(t, SignIn(SignInProps{Step: StepCode, Notice: "A new code was sent."})),
		"sign-up": render(t, SignUp(SignUpProps{Step: StepVerify, Notice: "A new code was sent."})),
	} {
		if !strings.Contains(html, `role="status"><p>A new code was sent.</p>`) {
			t.Errorf("%s: the notice is not a status:\n%s", name, html)
		}
	}
}

// TestAddAccountContext: a browser already signed in sees "Add an
// account" and a way to go on as the account it has.
func TestAddAccountContext(t *testing.T) {
	html := render(t, SignIn(SignInProps{Action: "/sign-in", SignedInAs: "jane@example.com", ContinueURL: "/dashboard", Branding: branding}))
	for _, want := range []string{`<h1 class="latch-title">Add an account</h1>`, `Signed in as <strong>jane@example.com</strong>`,
		`<a class="latch-link" href="/dashboard">Continue</a>`, `name="identifier"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the sign-in card lacks %s:\n%s", want, html)
		}
	}
	up := render(t, SignUp(SignUpProps{Action: "/sign-up", Fields: []string{"email_address"}, SignedInAs: "jane@example.com", ContinueURL: "/"}))
	if !strings.Contains(up, `Signed in as <strong>jane@example.com</strong>`) {
		t.Errorf("the sign-up card does not say who is signed in:\n%s", up)
	}
	if plain := render(t, SignIn(SignInProps{Action: "/sign-in"})); strings.Contains(plain, "Signed in as") || strings.Contains(plain, "Add an account") {
		t.Errorf("a signed-out sign-in card speaks of a signed-in account")
	}
}

// TestLogoOnEveryStep: the logo (and the dark theme's) is at the top of
// every card of sign-in and sign-up, at a fixed height, named by the
// application.
func TestLogoOnEveryStep(t *testing.T) {
	b := Branding{AppName: "Acme", LogoURL: "/logo.svg", LogoDarkURL: "/logo-dark.svg"}
	var pages []string
	for _, step := range []string{StepIdentifier, StepPassword, StepCode, StepLinkSent, StepChooseStrategy, StepNewPassword, StepSecondFactor, StepPasskey, StepTicket, StepLinkVerified} {
		pages = append(pages, render(t, SignIn(SignInProps{Step: step, Action: "/sign-in", Branding: b, Factor: &FactorForm{Strategy: "totp", Input: "code"}})))
	}
	for _, step := range []string{StepForm, StepVerify, StepLinkSent} {
		pages = append(pages, render(t, SignUp(SignUpProps{Step: step, Action: "/sign-up", Fields: []string{"email_address"}, Branding: b})))
	}
	for i, html := range pages {
		header := between(html, `<header class="latch-header">`, `<h1`)
		for _, want := range []string{`<img class="latch-logo latch-logo--light" src="/logo.svg" alt="Acme" height="32">`,
			`<img class="latch-logo latch-logo--dark" src="/logo-dark.svg" alt="Acme" height="32">`} {
			if !strings.Contains(header, want) {
				t.Errorf("card %d: the header %q lacks %s", i, header, want)
			}
		}
	}
	one := render(t, SignIn(SignInProps{Branding: Branding{AppName: "Acme", LogoURL: "/logo.svg"}}))
	if !strings.Contains(one, `<img class="latch-logo" src="/logo.svg" alt="Acme" height="32">`) || strings.Contains(one, "latch-logo--dark") {
		t.Errorf("a single logo is not shown alone:\n%s", one)
	}
	css := CSS()
	for _, want := range []string{".latch-logo--dark,", `.latch-root[data-latch-theme="dark"] .latch-logo--dark`} {
		if !strings.Contains(css, want) {
			t.Errorf("the stylesheet does not pick the logo by theme: no %s", want)
		}
	}
}

// TestPasskeyButtonOnce: the identifier step's passkey button is one
// form the WebAuthn script answers at once, and its label is on the page
// once.
func TestPasskeyButtonOnce(t *testing.T) {
	html := render(t, SignIn(SignInProps{Action: "/sign-in", PasskeyStartURL: "/v1/client/sign_ins", Hidden: map[string]string{"redirect_url": "/dashboard"}}))
	if n := strings.Count(html, "Sign in with a passkey"); n != 1 {
		t.Errorf("the passkey label is shown %d times, want once", n)
	}
	if !strings.Contains(html, `data-latch-passkey-signin="/v1/client/sign_ins" data-latch-redirect="/dashboard" data-latch-sign-in-url="/sign-in"`) {
		t.Errorf("the passkey button's form is not marked for the WebAuthn script:\n%s", html)
	}
	step := render(t, SignIn(SignInProps{Step: StepPasskey, Action: "/sign-in", Factor: &FactorForm{Strategy: "passkey", Input: "webauthn", Options: "{}"}}))
	hint := T(nil, "factor.passkey.hint")
	if n := strings.Count(step, hint); n != 1 {
		t.Errorf("the passkey step says %q %d times, want once", hint, n)
	}
}
