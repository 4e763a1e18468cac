package components

import (
	"bytes"
	"context"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var (
	hidden1   = map[string]string{"csrf_token": "tok123", "a_first": "1"}
	branding  = Branding{AppName: "Acme"}
	allFields = []string{"email_address", "phone_number", "username", "first_name", "last_name", "password"}
)

func strategies() []StrategyOption {
	return []StrategyOption{{Strategy: "oauth_google", Label: "Continue with Google"}, {Strategy: "email_code", Label: "Email code"}}
}

// cases is every state with a golden file.
// cases is every state of every component with a golden file: the
// kernel's, and the mfa and passkeys plugins' (testdata/mfa_*.html,
// testdata/passkeys_*.html).
func cases() map[string]templ.Component {
	all := coreCases()
	maps.Copy(all, mfaCases())
	maps.Copy(all, passkeyCases())
	maps.Copy(all, orgCases())
	maps.Copy(all, socialCases())
	maps.Copy(all, profileCases())
	return all
}

func coreCases() map[string]templ.Component {
	si := func(step string, mod func(*SignInProps)) templ.Component {
		p := SignInProps{Step: step, Action: "/auth/sign-in", Identifier: "jane@example.com", Hidden: hidden1,
			SignUpURL: "/auth/sign-up", RestartURL: "/auth/sign-in?restart=1", Branding: branding, Strategies: strategies()}
		if mod != nil {
			mod(&p)
		}
		return SignIn(p)
	}
	su := SignUpProps{Action: "/auth/sign-up", Fields: allFields, Optional: []string{"phone_number"},
		Values: map[string]string{"email_address": "jane@example.com", "first_name": "Jane", "password": "secret"},
		Legal:  true, TermsURL: "/terms", PrivacyURL: "/privacy", PoWChallenge: "ch4ll", PoWScriptURL: "/auth/pow.js",
		Hidden: hidden1, SignInURL: "/auth/sign-in", Branding: branding}
	suErr := su
	suErr.Errors = Errors{{"", "Please fix the errors below."}, {"email_address", "That email address is taken."}, {"password", "Password is too short."}, {"legal_accepted", "You must accept the terms."}}
	suVerify := su
	suVerify.Step, suVerify.VerifyField, suVerify.Identifier = StepVerify, "email_address", "jane@example.com"
	suFR := su
	suFR.Locale = French

	ub := UserButtonProps{User: UserSummary{SessionID: "sess_1", Name: "Jane Doe", Email: "jane@example.com"},
		ManageAccountURL: "/auth/profile", SignOutAction: "/auth/sign-out", Hidden: hidden1}
	ubMulti := ub
	ubMulti.MultiSession, ubMulti.SwitchAction, ubMulti.AddAccountURL, ubMulti.SignOutAllAction = true, "/auth/switch", "/auth/sign-in?add=1", "/auth/sign-out-all"
	ubMulti.Others = []UserSummary{{SessionID: "sess_2", Name: "Jane Work", Email: "jane@work.example", ImageURL: "/img/j.png"}, {SessionID: "sess_3", Email: "j@x.example"}}

	acts := func(k string) ContactActions {
		return ContactActions{Add: "/auth/" + k, MakePrimary: "/auth/" + k + "/primary", Remove: "/auth/" + k + "/remove", Resend: "/auth/" + k + "/send", Verify: "/auth/" + k + "/verify"}
	}
	prof := UserProfileProps{FirstName: "Jane", LastName: "Doe", ImageURL: "/img/jane.png",
		UpdateProfileAction: "/auth/profile", UploadImageAction: "/auth/profile/image", RemoveImageAction: "/auth/profile/image/remove",
		Emails: []Contact{{"em_1", "jane@example.com", true, true}, {"em_2", "jd@other.example", false, false}, {"em_3", "j@verified.example", false, true}}, EmailActions: acts("emails"),
		Phones: []Contact{{"ph_1", "+33 6 12 34 56 78", true, true}}, PhoneActions: acts("phones"),
		HasPassword: true, PasswordAction: "/auth/password",
		Devices: []Device{
			{ID: "sess_1", Browser: "Firefox", OS: "Linux", IP: "203.0.113.4", Location: "Paris, FR", LastActive: "just now", Current: true},
			{ID: "sess_9", Browser: "Safari", OS: "iOS", IP: "198.51.100.7", LastActive: "2 days ago", Mobile: true},
		},
		RevokeDeviceAction: "/auth/sessions/revoke", DeleteAccountAction: "/auth/delete",
		Extra:  []templ.Component{templ.Raw(`<section class="latch-section"><h2 class="latch-section__title">Two-step verification</h2></section>`)},
		Notice: "Profile updated.", Errors: Errors{{"code:em_2", "That code is incorrect."}, {"new_password", "Password is too common."}},
		Hidden: hidden1}

	m := map[string]templ.Component{
		"signin_identifier": si(StepIdentifier, nil),
		"signin_identifier_error": si("", func(p *SignInProps) {
			p.Errors = Errors{{"identifier", "No account with that email."}}
			p.Strategies = nil
		}),
		"signin_password":  si(StepPassword, func(p *SignInProps) { p.Errors = Errors{{"password", "Password is incorrect."}} }),
		"signin_code":      si(StepCode, nil),
		"signin_link_sent": si(StepLinkSent, nil),
		"signin_ticket": si(StepTicket, func(p *SignInProps) {
			p.Hidden = map[string]string{"ticket": "ver_1.secret"}
		}),
		"signin_choose_strategy": si(StepChooseStrategy, nil),
		"signin_new_password":    si(StepNewPassword, nil),
		"signin_second_factor": si(StepSecondFactor, func(p *SignInProps) {
			p.Errors = Errors{{"", "Too many attempts."}, {"code", "Code is incorrect."}}
			p.Factor = &FactorForm{Strategy: "totp", Input: "code"}
			p.Strategies = []StrategyOption{{Strategy: "totp", Label: "Authenticator app"}, {Strategy: "backup_code", Label: "Use a backup code"}}
		}),
		"signin_second_factor_enroll": si(StepSecondFactor, func(p *SignInProps) {
			p.Factor = &FactorForm{Strategy: "totp", Input: "code", Enrollment: &CodeEnrollment{Secret: "JBSWY3DPEHPK3PXP", QRCode: "data:image/png;base64,iVBORw0KGgo="}}
		}),
		"signin_second_factor_security_key": si(StepSecondFactor, func(p *SignInProps) {
			p.Factor = &FactorForm{Strategy: "security_key", Input: "webauthn", Options: `{"publicKey":{"challenge":"AAAA"}}`}
		}),
		"signin_passkey": si(StepPasskey, func(p *SignInProps) {
			p.Factor = &FactorForm{Strategy: "passkey", Input: "webauthn", Options: `{"publicKey":{"challenge":"AAAA"}}`}
		}),
		"signin_identifier_passkeys": si(StepIdentifier, func(p *SignInProps) { p.PasskeyStartURL = "/v1/client/sign_ins" }),
		"signin_identifier_pow":      si(StepIdentifier, func(p *SignInProps) { p.PoWChallenge, p.PoWScriptURL = "ch4ll", "/auth/pow.js" }),
		"reverify_choose": Reverify(ReverifyProps{Action: "/reverify", Factors: []StrategyOption{{Strategy: "totp", Label: "Authenticator app"}, {Strategy: "password", Label: "Password"}},
			CancelURL: "/user", Hidden: map[string]string{"redirect_url": "/user"}}),
		"reverify_password": Reverify(ReverifyProps{Action: "/reverify", Factors: []StrategyOption{{Strategy: "password", Label: "Password"}, {Strategy: "email_code", Label: "Email me a code"}},
			Factor: &FactorForm{Strategy: "password"}, Errors: Errors{{"password", "Password is incorrect."}}}),
		"reverify_email_code": Reverify(ReverifyProps{Action: "/reverify", Factors: []StrategyOption{{Strategy: "password", Label: "Password"}, {Strategy: "email_code", Label: "Email me a code"}},
			Factor: &FactorForm{Strategy: "email_code", Input: "code", Resend: true}}),
		"signin_identifier_fr_dark": si(StepIdentifier, func(p *SignInProps) {
			p.Locale = French
			p.Appearance = Appearance{Theme: "dark", ColorPrimary: "#0f766e"}
		}),
		"signup_form":        SignUp(su),
		"signup_form_errors": SignUp(suErr),
		"signup_form_fr":     SignUp(suFR),
		"signup_verify":      SignUp(suVerify),
		"signup_link_sent":   SignUp(SignUpProps{Step: StepLinkSent, Action: "/auth/sign-up", Identifier: "jane@example.com", Branding: branding}),
		"userbutton_single":  UserButton(ub),
		"userbutton_multi":   UserButton(ubMulti),
		"userprofile":        UserProfile(prof),
		"page_signin": Page(PageProps{Title: "Sign in · Acme", StylesheetURL: "/auth/latch.css", Locale: French,
			Appearance: Appearance{Theme: "light", BorderRadius: "4px", FontFamily: "Inter, sans-serif"}}, si(StepIdentifier, nil)),
	}
	return m
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for name, c := range cases() {
		t.Run(name, func(t *testing.T) {
			got := render(t, c)
			path := filepath.Join("testdata", name+".html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s; run go test ./components -update and review the diff\ngot:\n%s", path, got)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for name, c := range cases() {
		first := render(t, c)
		for range 5 {
			if render(t, c) != first {
				t.Fatalf("%s: output changes between renders", name)
			}
		}
	}
}

var (
	tagRe  = regexp.MustCompile(`<(input|label|select|textarea)\b([^>]*)>`)
	attrRe = regexp.MustCompile(`([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?`)
	idRe   = regexp.MustCompile(`\sid="([^"]*)"`)
)

type tag struct {
	name  string
	attrs map[string]string
}

func tags(html string) []tag {
	var out []tag
	for _, m := range tagRe.FindAllStringSubmatch(html, -1) {
		a := map[string]string{}
		for _, am := range attrRe.FindAllStringSubmatch(strings.TrimSuffix(m[2], "/"), -1) {
			a[am[1]] = am[2]
		}
		out = append(out, tag{m[1], a})
	}
	return out
}

func TestInputsAreLabelled(t *testing.T) {
	for name, c := range cases() {
		html := render(t, c)
		ts := tags(html)
		labelFor := map[string]bool{}
		for _, tg := range ts {
			if tg.name == "label" {
				labelFor[tg.attrs["for"]] = true
			}
		}
		for _, tg := range ts {
			if tg.name != "input" || tg.attrs["type"] == "hidden" {
				continue
			}
			if tg.attrs["aria-label"] != "" {
				continue
			}
			id := tg.attrs["id"]
			if id == "" || !labelFor[id] {
				t.Errorf("%s: input %v has no <label for> or aria-label", name, tg.attrs)
			}
		}
	}
}

func TestErrorsAreTiedToFields(t *testing.T) {
	for name, c := range cases() {
		html := render(t, c)
		ids := map[string]int{}
		for _, m := range idRe.FindAllStringSubmatch(html, -1) {
			ids[m[1]]++
		}
		for id, n := range ids {
			if n > 1 {
				t.Errorf("%s: id %q used %d times", name, id, n)
			}
		}
		for _, tg := range tags(html) {
			if tg.name != "input" {
				continue
			}
			invalid := tg.attrs["aria-invalid"] == "true"
			desc := tg.attrs["aria-describedby"]
			if invalid != (desc != "") {
				t.Errorf("%s: input %v: aria-invalid and aria-describedby must come together", name, tg.attrs)
			}
			for _, d := range strings.Fields(desc) {
				if ids[d] == 0 {
					t.Errorf("%s: aria-describedby %q points at no element", name, d)
				}
			}
		}
	}
	// Each state with field errors marks exactly those fields.
	html := render(t, cases()["signup_form_errors"])
	for _, f := range []string{"latch-signup-email_address", "latch-signup-password", "latch-signup-legal"} {
		if !strings.Contains(html, `aria-describedby="`+f+`-error"`) {
			t.Errorf("signup errors: %s not marked invalid", f)
		}
	}
	if !strings.Contains(html, `role="alert"`) {
		t.Error("signup errors: no role=alert summary")
	}
	prof := render(t, cases()["userprofile"])
	if !strings.Contains(prof, `aria-describedby="latch-profile-email-code-em_2-error"`) {
		t.Error("profile: code error for em_2 not shown on its field")
	}
}

func TestPasswordsNotRedisplayed(t *testing.T) {
	if html := render(t, cases()["signup_form"]); strings.Contains(html, "secret") {
		t.Error("sign-up form redisplays the password")
	}
}

func TestSignUpBotDefences(t *testing.T) {
	html := render(t, cases()["signup_form"])
	for _, want := range []string{
		`name="latch_website" tabindex="-1"`,
		`<div class="latch-hp" aria-hidden="true">`,
		`name="bot_token" value="" data-latch-pow="ch4ll"`,
		`<script src="/auth/pow.js" defer></script>`,
		`<noscript>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("sign-up form lacks %s", want)
		}
	}
	noPoW := render(t, SignUp(SignUpProps{Fields: []string{"email_address"}}))
	if strings.Contains(noPoW, "bot_token") || strings.Contains(noPoW, "<script") {
		t.Error("PoW markup rendered without a challenge")
	}
}

func TestHiddenFieldsSorted(t *testing.T) {
	html := render(t, cases()["signin_code"])
	a, c := strings.Index(html, `name="a_first"`), strings.Index(html, `name="csrf_token"`)
	if a < 0 || c < 0 || a > c {
		t.Errorf("hidden fields missing or unsorted")
	}
}

// keyRe finds message keys used in the sources.
var keyRe = regexp.MustCompile(`"((?:common|field|meta|signin|signup|userbutton|profile|factor|reverify|mfa|strategy|org)\.[a-z_.]*[a-z_])"`)

func TestLocalesComplete(t *testing.T) {
	var used []string
	files, _ := filepath.Glob("*.templ")
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range append(files, goFiles...) {
		if strings.HasSuffix(f, "_templ.go") || strings.HasSuffix(f, "_test.go") || f == "locale.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
			used = append(used, m[1])
		}
	}
	// Keys built from a prefix at run time.
	for _, kind := range []string{MFAChannelPhone, MFAChannelEmail} {
		for _, suffix := range []string{"title", "description", "missing", "on_item", "off_item"} {
			used = append(used, "mfa."+kind+"."+suffix)
		}
	}
	for _, kind := range []string{"passkey", "security_key"} {
		for _, prefix := range []string{"profile.passkeys.kind.", "profile.passkeys.add.", "profile.passkeys.add.subtitle.",
			"profile.passkeys.add.button.", "profile.passkeys.default_name.", "profile.passkeys.factor.", "strategy."} {
			used = append(used, prefix+kind)
		}
		used = append(used, "factor."+kind+".button")
	}
	// The enrollment modes' labels.
	for _, m := range OrgEnrollmentModes() {
		used = append(used, "org.enrollment."+m)
	}
	// A factor form's hint names its strategy.
	for _, s := range []string{"totp", "backup_code", "phone_code", "email_code", "password", "passkey", "security_key"} {
		used = append(used, "factor."+s+".hint")
	}
	used = append(used, "field.email_address", "field.phone_number", "field.username",
		"profile.section.email", "profile.section.phone",
		"signup.verify_email.title", "signup.verify_email.subtitle", "signup.verify_phone.title", "signup.verify_phone.subtitle")
	for _, k := range used {
		if _, ok := English[k]; !ok {
			t.Errorf("English lacks %q", k)
		}
	}
	for k, v := range English {
		fv, ok := French[k]
		if !ok {
			t.Errorf("French lacks %q", k)
			continue
		}
		if strings.Count(v, "%") != strings.Count(fv, "%") {
			t.Errorf("%q: English and French take different arguments", k)
		}
	}
	for k := range French {
		if _, ok := English[k]; !ok {
			t.Errorf("French has unknown key %q", k)
		}
	}
	// Rendered output holds no raw keys.
	for name, c := range cases() {
		if m := regexp.MustCompile(`>\s*(signin|signup|profile|userbutton|common|field|factor|reverify|mfa|strategy|org)\.[a-z_.]+`).FindString(render(t, c)); m != "" {
			t.Errorf("%s: untranslated key %q", name, m)
		}
	}
}

func TestLocalizeAndT(t *testing.T) {
	l := Localize(French, map[string]string{"common.continue": "Suivant"})
	if T(l, "common.continue") != "Suivant" || T(l, "common.or") != "ou" {
		t.Error("Localize did not overlay French")
	}
	if French["common.continue"] != "Continuer" {
		t.Error("Localize modified its base")
	}
	if T(Locale{}, "common.or") != "or" || T(nil, "signin.identifier.title", "Acme") != "Sign in to Acme" {
		t.Error("T does not fall back to English")
	}
	if T(nil, "no.such.key") != "no.such.key" {
		t.Error("T does not fall back to the key")
	}
	if Localize(nil, nil)["meta.lang"] != "en" {
		t.Error("Localize(nil) is not English")
	}
}

func TestAppearance(t *testing.T) {
	a := Appearance{
		ColorPrimary:    "#ff0000",
		ColorText:       "red;} body{display:none",
		ColorBackground: "rgb(1 2 3)",
		ColorSurface:    "url(https://evil.example/x.png)",
		ColorBorder:     "a}b",
		ColorDanger:     "</style><script>",
		ColorSuccess:    `\75rl(x)`,
		FontFamily:      `"Inter", system-ui`,
		BorderRadius:    "  6px ",
		Spacing:         "calc(1px * 4",
		FontSize:        "1rem /* x */",
	}
	got := render(t, a.Style())
	want := `<style>:root{--latch-color-primary:#ff0000;--latch-color-background:rgb(1 2 3);--latch-border-radius:6px;--latch-font-family:"Inter", system-ui}</style>`
	if got != want {
		t.Errorf("Style() =\n%s\nwant\n%s", got, want)
	}
	if render(t, Appearance{}.Style()) != "" {
		t.Error("empty appearance renders a style element")
	}
	for _, bad := range []string{"a;b", "a{", "}", "<", ">", `\`, "URL(x)", "expression(x)", "'", "@import"} {
		if _, ok := SanitizeCSSValue(bad); ok {
			t.Errorf("SanitizeCSSValue(%q) accepted", bad)
		}
	}
	for theme, want := range map[string]string{"": "auto", "DARK": "dark", "light": "light", "blue": "auto"} {
		if got := (Appearance{Theme: theme}).ThemeName(); got != want {
			t.Errorf("ThemeName(%q) = %q, want %q", theme, got, want)
		}
	}
	ctx := templ.WithNonce(context.Background(), "n0nce")
	var b bytes.Buffer
	if err := StylesheetInline().Render(ctx, &b); err != nil || !strings.HasPrefix(b.String(), `<style nonce="n0nce">.latch-root`) && !strings.HasPrefix(b.String(), `<style nonce="n0nce">/*`) {
		t.Errorf("StylesheetInline with nonce: %.60q", b.String())
	}
}

func TestStylesheet(t *testing.T) {
	css := CSS()
	for _, want := range []string{`[data-latch-theme="dark"]`, `@media (prefers-color-scheme: dark)`, `:focus-visible`, "--latch-color-primary", "--latch-spacing", "max-width: 28rem"} {
		if !strings.Contains(css, want) {
			t.Errorf("stylesheet lacks %s", want)
		}
	}
	if strings.Contains(css, "http://") || strings.Contains(css, "https://") || strings.Contains(css, "@import") {
		t.Error("stylesheet loads third-party resources")
	}
	if got := render(t, Stylesheet("/auth/latch.css")); got != `<link rel="stylesheet" href="/auth/latch.css">` {
		t.Errorf("Stylesheet = %s", got)
	}
}

func TestPage(t *testing.T) {
	html := render(t, cases()["page_signin"])
	for _, want := range []string{"<!doctype html>", `<html lang="fr" data-latch-theme="light">`, `name="viewport"`, `<title>Sign in · Acme</title>`, `href="/auth/latch.css"`, `--latch-border-radius:4px`} {
		if !strings.Contains(strings.ToLower(html), strings.ToLower(want)) {
			t.Errorf("page lacks %s", want)
		}
	}
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(html) {
		t.Error("page loads a third-party resource")
	}
	inline := render(t, Page(PageProps{Title: "x"}, nil))
	if !strings.Contains(inline, "<style>") || !strings.Contains(inline, `lang="en"`) {
		t.Error("page without StylesheetURL does not inline the stylesheet")
	}
}

func TestControlFlow(t *testing.T) {
	child := templ.Raw("<p>secret</p>")
	ctx := templ.WithChildren(context.Background(), child)
	r := func(c templ.Component) string {
		var b bytes.Buffer
		if err := c.Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if r(SignedIn(true)) != "<p>secret</p>" || r(SignedIn(false)) != "" {
		t.Error("SignedIn")
	}
	if r(SignedOut(false)) != "<p>secret</p>" || r(SignedOut(true)) != "" {
		t.Error("SignedOut")
	}
	if r(Protect(true, templ.Raw("no"))) != "<p>secret</p>" || r(Protect(false, templ.Raw("no"))) != "no" || r(Protect(false, nil)) != "" {
		t.Error("Protect")
	}
}

func TestSignInSteps(t *testing.T) {
	c := cases()
	checks := map[string][]string{
		"signin_identifier":      {`autocomplete="username webauthn"`, `href="/auth/sign-up"`, `name="strategy" value="oauth_google"`, `latch-divider`},
		"signin_password":        {`autocomplete="current-password"`, `form="latch-signin-forgot"`, `href="/auth/sign-in?restart=1"`, `value="choose_strategy"`},
		"signin_code":            {`inputmode="numeric"`, `autocomplete="one-time-code"`, `value="resend"`},
		"signin_new_password":    {`autocomplete="new-password"`, `name="sign_out_other_devices" value="true" checked`},
		"signin_choose_strategy": {`value="use_strategy"`, `value="email_code"`},
		"signin_ticket":          {`name="ticket" value="ver_1.secret"`, `name="intent" value="ticket"`},
		"userbutton_multi":       {`<details class="latch-userbutton">`, `name="session_id" value="sess_2"`, `/auth/sign-out-all`, `aria-hidden="true">J</span>`},
		"userprofile":            {`This device`, `Sign out of Safari on iOS`, `enctype="multipart/form-data"`, `value="em_3"`},
	}
	for name, wants := range checks {
		html := render(t, c[name])
		for _, w := range wants {
			if !strings.Contains(html, w) {
				t.Errorf("%s lacks %s", name, w)
			}
		}
	}
	// The current device cannot be revoked from the list; only unverified rows get a code form.
	prof := render(t, c["userprofile"])
	if strings.Contains(prof, "Sign out of Firefox on Linux") {
		t.Error("current device has a revoke button")
	}
	if strings.Contains(prof, "latch-profile-email-code-em_3") || strings.Contains(prof, "latch-profile-email-code-em_1") {
		t.Error("verified email has a code form")
	}
}

func TestInitials(t *testing.T) {
	for _, tc := range [][3]string{{"Jane Doe", "", "JD"}, {"jane", "", "J"}, {"", "zoe@x.example", "Z"}, {"", "", "?"}, {"élise marie claire", "", "ÉM"}} {
		if got := initials(tc[0], tc[1]); got != tc[2] {
			t.Errorf("initials(%q,%q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
