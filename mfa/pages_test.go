package mfa_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/mfa/mfatest"
)

func readBody(t testing.TB, res *http.Response) string {
	t.Helper()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

var secretRE = regexp.MustCompile(`<code class="latch-identity__value"[^>]*>([A-Z2-7 ]+)</code>`)

// TestAccountPagesSetUpAndRemove walks the hosted pages without
// JavaScript: set up an app from its page, see the backup codes once,
// make new ones, remove the app, each form answered by a redirect back to
// the account page or by the page to show.
func TestAccountPagesSetUpAndRemove(t *testing.T) {
	e := newEnv(t, nil, mfa.Config{})
	ctx := context.Background()
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	latchtest.SignIn(t, e.Auth, b, uid)

	res := b.Get("/user/mfa/totp")
	page := readBody(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `action="/user/mfa?do=totp_begin"`) || !strings.Contains(page, "Set up an authenticator app") {
		t.Fatalf("introduction: %d\n%s", res.StatusCode, page)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Error("the set-up page may be cached")
	}
	res = b.Post("/user/mfa?do=totp_begin", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/user/mfa/totp" {
		t.Fatalf("begin: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	page = readBody(t, b.Get("/user/mfa/totp"))
	m := secretRE.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `src="data:image/png;base64,`) || !strings.Contains(page, `href="otpauth://totp/`) ||
		!strings.Contains(page, `action="/user/mfa?do=totp_verify"`) {
		t.Fatalf("set-up page:\n%s", page)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}

	res = b.Post("/user/mfa?do=totp_verify", url.Values{"code": {"000000"}})
	page = readBody(t, res)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "That code is incorrect.") || !strings.Contains(page, `aria-invalid="true"`) {
		t.Fatalf("wrong code: %d\n%s", res.StatusCode, page)
	}
	res = b.Post("/user/mfa?do=totp_verify", url.Values{"code": {mfatest.Code(t, secret, e.Clock.Now())}})
	page = html.UnescapeString(readBody(t, res))
	codes := regexp.MustCompile(`<code class="latch-list__value">([a-z2-7-]+)</code>`).FindAllStringSubmatch(page, -1)
	if res.StatusCode != http.StatusOK || len(codes) != 10 || !strings.Contains(page, "Your authenticator app is set up.") {
		t.Fatalf("after the right code: %d, %d codes\n%s", res.StatusCode, len(codes), page)
	}
	if on, _ := e.mfa.TOTP().Enrolled(ctx, uid); !on {
		t.Fatal("not set up")
	}
	mfatest.NextStep(e.Clock)

	// The kernel's account page shows the section.
	if page := readBody(t, b.Get("/user?tab=security")); !strings.Contains(page, `id="latch-profile-mfa-title"`) {
		t.Error("the account page lacks the two-step verification section")
	}
	// The section shows it on, with the actions that apply.
	section := renderSection(t, e, uid, "/user")
	for _, want := range []string{"Two-step verification", `action="/user/mfa?do=totp_remove"`, `action="/user/mfa?do=backup_codes"`, `data-latch-backup-remaining="10"`, "10 unused codes"} {
		if !strings.Contains(section, want) {
			t.Errorf("section lacks %s", want)
		}
	}
	if strings.Contains(section, `href="/user/mfa/totp"`) {
		t.Error("section offers to set up the app again")
	}

	res = b.Post("/user/mfa?do=backup_codes", url.Values{})
	page = readBody(t, res)
	if res.StatusCode != http.StatusOK || strings.Count(page, `<code class="latch-list__value">`) != 10 || strings.Contains(page, codes[0][1]) {
		t.Fatalf("new backup codes: %d\n%s", res.StatusCode, page)
	}

	res = b.Post("/user/mfa?do=totp_remove", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/user?mfa_notice=totp_off&tab=security" {
		t.Fatalf("remove: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if on, _ := e.mfa.TOTP().Enrolled(ctx, uid); on {
		t.Fatal("still set up")
	}
	section = renderSection(t, e, uid, "/user?mfa_notice=totp_off")
	if !strings.Contains(section, "The authenticator app was removed.") || !strings.Contains(section, `href="/user/mfa/totp"`) || strings.Contains(section, "do=backup_codes") {
		t.Errorf("section after removal:\n%s", section)
	}
	// Only known keys are shown: a link cannot make the page say anything.
	section = renderSection(t, e, uid, "/user?mfa_notice=%3Cb%3Ehi&mfa_error=evil")
	if strings.Contains(section, "hi<") || strings.Contains(section, "evil") || strings.Contains(section, `role="status"`) ||
		!strings.Contains(section, "That change could not be made.") {
		t.Errorf("section shows a message from its URL:\n%s", section)
	}
}

// TestAccountPagesRefusal: a refused change comes back to the account page
// with the reason, in the page's language.
func TestAccountPagesRefusal(t *testing.T) {
	e := newEnv(t, nil, mfa.Config{Policy: mfa.Required})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	latchtest.SignIn(t, e.Auth, b, uid)
	mfatest.EnrolTOTP(t, b, e.Clock)
	res := b.Post("/user/mfa?do=totp_remove", url.Values{})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/user?mfa_error=last_second_factor&tab=security" {
		t.Fatalf("refused removal: %d %q", res.StatusCode, loc)
	}
	r := httptest.NewRequest(http.MethodGet, "/user?mfa_error=last_second_factor", nil)
	r.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	section := renderRequest(t, e, uid, r)
	if !strings.Contains(section, "Configurez une autre méthode avant de supprimer celle-ci.") || !strings.Contains(section, "Vérification en deux étapes") {
		t.Errorf("French refusal:\n%s", section)
	}
}

func renderSection(t testing.TB, e *env, uid, target string) string {
	t.Helper()
	return renderRequest(t, e, uid, httptest.NewRequest(http.MethodGet, target, nil))
}

func renderRequest(t testing.TB, e *env, uid string, r *http.Request) string {
	t.Helper()
	c, err := e.mfa.ProfileSection(r, &latch.Session{UserID: uid})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		t.Fatal(err)
	}
	return html.UnescapeString(buf.String())
}

// TestHostedSignInEnrolment drives the kernel's sign-in page, without
// JavaScript, through setting up the app that a Required policy asks for:
// the page renders the options BeginEnrollment returns.
func TestHostedSignInEnrolment(t *testing.T) {
	e := newEnv(t, nil, mfa.Config{Policy: mfa.Required})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	step := func(form url.Values) string {
		t.Helper()
		res := b.Post("/sign-in", form)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%v: %d\n%s", form, res.StatusCode, readBody(t, res))
		}
		return res.Header.Get("Location")
	}
	loc := step(url.Values{"intent": {"identifier"}, "identifier": {"ada@example.com"}})
	u, _ := url.Parse(loc)
	id := u.Query().Get("sign_in_id")
	step(url.Values{"intent": {"password"}, "sign_in_id": {id}, "password": {goodPassword}})
	page := html.UnescapeString(readBody(t, b.Get("/sign-in?sign_in_id="+id)))
	if !strings.Contains(page, "<code>") {
		// The page did not begin the only set-up on offer itself: ask.
		step(url.Values{"intent": {"use_second_factor"}, "sign_in_id": {id}, "strategy": {"totp"}})
		page = html.UnescapeString(readBody(t, b.Get("/sign-in?sign_in_id="+id)))
	}
	m := regexp.MustCompile(`<code>([A-Z2-7]{32})</code>`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `src="data:image/png;base64,`) {
		t.Fatalf("the enrolment page lacks the QR code or key:\n%s", page)
	}
	if e.whoami(t, b) != "signed-out" {
		t.Fatal("signed in before the second factor")
	}
	// The right code completes the sign-in, and the answer shows the
	// backup codes made with the app, once, before going on.
	res := b.Post("/sign-in", url.Values{"intent": {"second_factor"}, "sign_in_id": {id}, "strategy": {"totp"}, "code": {mfatest.Code(t, m[1], e.Clock.Now())}})
	done := readBody(t, res)
	if res.StatusCode != http.StatusOK || len(regexp.MustCompile(`<code class="latch-list__value">[a-z2-7-]{27}</code>`).FindAllString(done, -1)) != 10 {
		t.Fatalf("the right code did not complete the sign-in with backup codes: %d\n%s", res.StatusCode, done)
	}
	if e.whoami(t, b) != uid {
		t.Fatal("not signed in after setting the app up")
	}
}
