package latch_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// attackerUA is the browser of whoever asks for a link to someone else's
// address; the pages and mails must name it.
const attackerUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"

// requestedFrom checks that a link page names the asking device: browser,
// system, IP address and time, as its flow recorded them.
func requestedFrom(t *testing.T, html string) {
	t.Helper()
	for _, want := range []string{"Firefox 133", "Windows", "192.0.2.1", "12:00 UTC, 1 January 2030"} {
		if !strings.Contains(html, want) {
			t.Errorf("the link page does not say %q:\n%s", want, html)
		}
	}
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

func (e *flowEnv) attacker() *latchtest.Browser {
	b := e.browser()
	b.UserAgent = attackerUA
	return b
}

// firstFactorStatus is the status of a sign-in and of its first factor,
// as the browser that started it can read them.
func firstFactorStatus(t *testing.T, b *latchtest.Browser, id string) (string, string) {
	t.Helper()
	out, code := get(t, b, "/v1/client/sign_ins/"+id)
	if code != 200 {
		t.Fatalf("reading the sign-in: %d %v", code, out)
	}
	ff, _ := out["first_factor_verification"].(map[string]any)
	return out["status"].(string), ff["status"].(string)
}

// TestResetLinkCannotBeFinishedByTheRequester: someone asks for a reset
// link to another's address; its owner opens the genuine mail in their
// own browser and presses Continue. The new password is set in the
// browser that opened the link, which gets the session; the tab that
// asked can neither set it, nor poll its way to a session, nor learn that
// the link was used.
func TestResetLinkCannotBeFinishedByTheRequester(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newFlowEnv(t, latch.Config{Store: s})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		mallory, ada := e.attacker(), e.browser()
		out, _ := call(t, mallory, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
		sid := out["id"].(string)
		out, code := call(t, mallory, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "reset_password_email_link"})
		mustStatus(t, out, code, "needs_first_factor")
		if !e.anyMail("ada@example.com", "asked for from Firefox 133 on Windows") {
			t.Error("the reset mail does not name the device that asked")
		}
		tok := tokenOf(t, e.LastLink(t, "ada@example.com"))

		html := page(t, ada.Get("/v1/verify?token="+url.QueryEscape(tok)))
		requestedFrom(t, html)
		res := ada.Post("/v1/verify", url.Values{"token": {tok}})
		loc, _ := url.Parse(res.Header.Get("Location"))
		here := loc.Query().Get("sign_in_id")
		if res.StatusCode != http.StatusSeeOther || here == "" || here == sid {
			t.Fatalf("the link in the owner's browser: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		if status, _ := firstFactorStatus(t, ada, here); status != "needs_new_password" {
			t.Fatalf("the owner's browser is at %q, want needs_new_password", status)
		}

		// The asking tab: nothing changed, nothing to do.
		if status, ff := firstFactorStatus(t, mallory, sid); status != "needs_first_factor" || ff != "unverified" {
			t.Errorf("the asking tab sees %s/%s: it learns the link was used", status, ff)
		}
		if out, code := call(t, mallory, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "reset_password_email_link"}); code == 200 {
			t.Errorf("the asking tab continued: %v", out)
		}
		if out, code := call(t, mallory, "/v1/client/sign_ins/"+sid+"/reset_password", map[string]any{"password": "mallory's own passphrase"}); code == 200 {
			t.Errorf("the asking tab set the password: %v", out)
		}
		if _, code := get(t, mallory, "/v1/client/sign_ins/"+here); code != 404 {
			t.Errorf("the asking tab read the owner's sign-in: %d", code)
		}
		if out, code := call(t, mallory, "/v1/client/sign_ins/"+here+"/reset_password", map[string]any{"password": "mallory's own passphrase"}); code == 200 {
			t.Errorf("the asking tab set the password through the owner's sign-in: %v", out)
		}

		out, code = call(t, ada, "/v1/client/sign_ins/"+here+"/reset_password", map[string]any{"password": "a brand new passphrase"})
		mustStatus(t, out, code, "complete")
		if e.whoami(t, ada) != uid {
			t.Fatal("the owner's browser is not signed in after the reset")
		}
		if status, ff := firstFactorStatus(t, mallory, sid); status != "needs_first_factor" || ff != "unverified" || e.whoami(t, mallory) != "signed-out" {
			t.Errorf("after the reset the asking tab sees %s/%s, signed in as %s", status, ff, e.whoami(t, mallory))
		}
		if out, _ := call(t, e.browser(), "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": "mallory's own passphrase"}); errCode(out) != "form_password_incorrect" {
			t.Errorf("the asker's password works: %v", out)
		}
		if res := ada.Post("/v1/verify", url.Values{"token": {tok}}); res.StatusCode != http.StatusGone {
			t.Errorf("the link worked twice: %d", res.StatusCode)
		}
	})
}

// TestMagicLinkFromAnotherBrowserDoesNotSignInTheRequester: someone asks
// for a sign-in link to another's address; its owner opens it and presses
// the page's buttons. By default nothing signs the asking tab in: the
// page names the asking device and offers to continue in the owner's own
// browser, which then gets the session.
func TestMagicLinkFromAnotherBrowserDoesNotSignInTheRequester(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newFlowEnv(t, latch.Config{Store: s})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		mallory, ada := e.attacker(), e.browser()
		out, _ := call(t, mallory, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
		sid := out["id"].(string)
		call(t, mallory, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_link"})
		if !e.anyMail("ada@example.com", "asked for from Firefox 133 on Windows") {
			t.Error("the sign-in mail does not name the device that asked")
		}
		tok := tokenOf(t, e.LastLink(t, "ada@example.com"))

		html := page(t, ada.Get("/v1/verify?token="+url.QueryEscape(tok)))
		requestedFrom(t, html)
		if !strings.Contains(html, "another device") {
			t.Errorf("the page does not say the link was asked for on another device:\n%s", html)
		}
		if strings.Contains(html, `value="there"`) {
			t.Error("the page offers to sign the asking device in, which is off by default")
		}
		// Continue (the plain button), or a forged "there": the page
		// says where the request came from and spends nothing.
		for _, form := range []url.Values{{"token": {tok}}, {"token": {tok}, "continue": {"there"}, "confirm": {"yes"}}, {"token": {tok}, "continue": {"anything"}}} {
			res := ada.Post("/v1/verify", form)
			if res.StatusCode != 200 {
				t.Fatalf("%v: %d", form, res.StatusCode)
			}
			requestedFrom(t, page(t, res))
		}
		if status, ff := firstFactorStatus(t, mallory, sid); status != "needs_first_factor" || ff != "unverified" {
			t.Errorf("the asking tab sees %s/%s", status, ff)
		}
		if out, code := call(t, mallory, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_link"}); code == 200 {
			t.Errorf("the asking tab continued: %v", out)
		}
		if e.whoami(t, mallory) != "signed-out" || e.whoami(t, ada) != "signed-out" {
			t.Fatal("someone was signed in before a choice was made")
		}

		// Continue in this browser: the owner is signed in here.
		res := ada.Post("/v1/verify", url.Values{"token": {tok}, "continue": {"here"}})
		if res.StatusCode != http.StatusSeeOther || e.whoami(t, ada) != uid {
			t.Fatalf("continuing in the owner's browser: %d %q, signed in as %q", res.StatusCode, res.Header.Get("Location"), e.whoami(t, ada))
		}
		if status, ff := firstFactorStatus(t, mallory, sid); status != "needs_first_factor" || ff != "unverified" || e.whoami(t, mallory) != "signed-out" {
			t.Errorf("after the owner signed in the asking tab sees %s/%s", status, ff)
		}
		if out, code := call(t, mallory, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_link"}); code == 200 {
			t.Errorf("the asking tab continued: %v", out)
		}
		if res := ada.Post("/v1/verify", url.Values{"token": {tok}, "continue": {"here"}}); res.StatusCode != http.StatusGone {
			t.Errorf("the link worked twice: %d", res.StatusCode)
		}
	})
}

// TestSignUpLinkFromAnotherBrowserDoesNotVerifyTheRequester: someone
// starts a sign-up with another's address and a password of their own;
// the address's owner opens the verification link in their own browser.
// No account is created for the asking tab, and continuing in the owner's
// browser carries over nothing it typed: the owner chooses the password.
func TestSignUpLinkFromAnotherBrowserDoesNotVerifyTheRequester(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newFlowEnv(t, latch.Config{Store: s, SignUp: latch.SignUpConfig{EmailVerification: "link", Names: latch.Optional}})
		mallory, ada := e.attacker(), e.browser()
		const malloryPassword = "the asker knows this passphrase"
		out, code := call(t, mallory, "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com", "password": malloryPassword, "first_name": "Mallory"})
		mustStatus(t, out, code, "missing_requirements")
		id := out["id"].(string)
		call(t, mallory, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_link"})
		if !e.anyMail("ada@example.com", "asked for from Firefox 133 on Windows") {
			t.Error("the verification mail does not name the device that asked")
		}
		tok := tokenOf(t, e.LastLink(t, "ada@example.com"))

		requestedFrom(t, page(t, ada.Get("/v1/verify?token="+url.QueryEscape(tok))))
		if res := ada.Post("/v1/verify", url.Values{"token": {tok}}); res.StatusCode != 200 {
			t.Fatalf("pressing Continue: %d", res.StatusCode)
		}
		unverified := func() {
			t.Helper()
			out, _ := get(t, mallory, "/v1/client/sign_ups/"+id)
			if out["status"] != "missing_requirements" || len(out["unverified_fields"].([]any)) != 1 || out["created_user_id"] != nil {
				t.Errorf("the asking tab's sign-up: %v", out)
			}
			if out, code := call(t, mallory, "/v1/client/sign_ups/"+id, map[string]any{"last_name": "X"}); code == 200 && out["status"] == "complete" {
				t.Errorf("the asking tab made the account: %v", out)
			}
		}
		unverified()

		res := ada.Post("/v1/verify", url.Values{"token": {tok}, "continue": {"here"}})
		loc, _ := url.Parse(res.Header.Get("Location"))
		mine := loc.Query().Get("sign_up_id")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.Path, "/sign-up") || mine == "" || mine == id {
			t.Fatalf("continuing in the owner's browser: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		out, _ = get(t, ada, "/v1/client/sign_ups/"+mine)
		if out["password_enabled"] != false || out["first_name"] != nil || len(out["unverified_fields"].([]any)) != 0 || out["email_address"] != "ada@example.com" {
			t.Fatalf("the owner's sign-up carries what the asker typed, or lacks the verified address: %v", out)
		}
		unverified()
		out, code = call(t, ada, "/v1/client/sign_ups/"+mine, map[string]any{"password": goodPassword})
		mustStatus(t, out, code, "complete")
		uid := out["created_user_id"].(string)
		if e.whoami(t, ada) != uid || e.whoami(t, mallory) != "signed-out" {
			t.Fatal("the account is not the owner's alone")
		}
		if out, _ := call(t, e.browser(), "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": malloryPassword}); errCode(out) != "form_password_incorrect" {
			t.Errorf("the asker's password signs in: %v", out)
		}
		unverified()
	})
}

// TestSignUpLinkOnAnotherDeviceWithCrossDeviceLinks: with the opt-in, a
// sign-up's link opened on another device and confirmed there verifies
// the address of the sign-up that asked, which then completes in its own
// browser; the confirming browser gets nothing.
func TestSignUpLinkOnAnotherDeviceWithCrossDeviceLinks(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), SignUp: latch.SignUpConfig{EmailVerification: "link"},
		SignIn: latch.SignInConfig{CrossDeviceLinks: true}})
	laptop, phone := e.browser(), e.browser()
	out, _ := call(t, laptop, "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com", "password": goodPassword})
	id := out["id"].(string)
	call(t, laptop, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_link"})
	tok := tokenOf(t, e.LastLink(t, "ada@example.com"))
	if res := phone.Post("/v1/verify", url.Values{"token": {tok}, "continue": {"there"}, "confirm": {"yes"}}); res.StatusCode != 200 || e.whoami(t, phone) != "signed-out" {
		t.Fatalf("confirming on the phone: %d, phone is %s", res.StatusCode, e.whoami(t, phone))
	}
	out, code := call(t, laptop, "/v1/client/sign_ups/"+id, map[string]any{})
	mustStatus(t, out, code, "complete")
	if e.whoami(t, laptop) != out["created_user_id"] {
		t.Fatal("the laptop is not signed in to the new account")
	}
}
