package mfa_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/mail/mailtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/storage"
)

const phone = "+15555550100"

// codesEnv is an app offering codes by text and email as second factors,
// with a user who has a password, a verified email address and a verified
// phone number, signed in on the returned browser.
func codesEnv(t *testing.T, s storage.Store, policy mfa.Policy) (*env, string, *latchtest.Browser) {
	t.Helper()
	e := newEnv(t, s, mfa.Config{SMSCode: true, EmailCode: true, Policy: policy})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	if _, err := e.AddPhoneNumber(context.Background(), uid, phone, true); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	latchtest.SignIn(t, e.Auth, b, uid)
	return e, uid, b
}

func supported(out map[string]any) []string {
	var names []string
	list, _ := out["supported_second_factors"].([]any)
	for _, f := range list {
		names = append(names, f.(map[string]any)["strategy"].(string))
	}
	return names
}

// TestCodeSecondFactorsAreOptIn: codes by text or email are no second
// factor until the user turns them on, and then each signs in with its own
// amr.
func TestCodeSecondFactorsAreOptIn(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e, uid, b := codesEnv(t, s, mfa.Optional)
		if _, out := e.signInPassword(t, "ada@example.com"); out["status"] != latch.SignInComplete {
			t.Fatalf("before opting in, sign-in asks for a second factor: %v", out)
		}
		for _, path := range []string{"/v1/me/mfa/phone_code", "/v1/me/mfa/email_code"} {
			if out, status := post(t, b, path, map[string]any{}); status != http.StatusOK || out["enabled"] != true {
				t.Fatalf("turn on %s: %d %v", path, status, out)
			}
		}
		st, _ := call(t, b, http.MethodGet, "/v1/me/mfa", nil)
		if st["phone_code"] != true || st["email_code"] != true || st["totp"] != false {
			t.Fatalf("status: %v", st)
		}
		if !e.mailed("ada@example.com", "sign-in method was added") {
			t.Error("no notification")
		}

		for _, tc := range []struct{ strategy, amr string }{{"phone_code", "sms"}, {"email_code", "otp"}} {
			b1, out := e.signInPassword(t, "ada@example.com")
			if out["status"] != latch.SignInNeedsSecondFactor || !slices.Contains(supported(out), tc.strategy) {
				t.Fatalf("%s: %v", tc.strategy, out)
			}
			id := out["id"].(string)
			// No code sent, nothing to attempt.
			if out, status := attemptSecond(t, b1, id, tc.strategy, "123456"); status == http.StatusOK {
				t.Fatalf("attempt before prepare: %v", out)
			}
			if out, status := post(t, b1, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": tc.strategy}); status != http.StatusOK {
				t.Fatalf("prepare %s: %d %v", tc.strategy, status, out)
			}
			e.Flush()
			code := e.SMS.LastTo(phone)
			if tc.strategy == "email_code" {
				code = e.LastCode(t, "ada@example.com")
			} else {
				code = mailtest.CodeIn(code)
			}
			out, status := attemptSecond(t, b1, id, tc.strategy, code[:3]+" "+code[3:])
			mustStatus(t, out, status, latch.SignInComplete)
			sess := e.session(t, out)
			if !slices.Contains(sess.AMR, tc.amr) || !slices.Contains(sess.AMR, "mfa") || slices.Contains(sess.AMR, "hwk") {
				t.Errorf("%s: amr %v", tc.strategy, sess.AMR)
			}
			if e.whoami(t, b1) != uid {
				t.Errorf("%s did not sign in", tc.strategy)
			}
		}
	})
}

// TestCodeSecondFactorNotTheFirstChannelAgain: a code to the inbox (or
// phone) that the first factor proved is not a second factor.
func TestCodeSecondFactorNotTheFirstChannelAgain(t *testing.T) {
	e, _, b := codesEnv(t, nil, mfa.Optional)
	post(t, b, "/v1/me/mfa/phone_code", map[string]any{})
	post(t, b, "/v1/me/mfa/email_code", map[string]any{})

	first := func(identifier, strategy string, code func() string) (*latchtest.Browser, string) {
		b := e.browser()
		out, _ := post(t, b, "/v1/client/sign_ins", map[string]any{"identifier": identifier})
		id := out["id"].(string)
		post(t, b, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": strategy})
		out, status := post(t, b, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": strategy, "code": code()})
		mustStatus(t, out, status, latch.SignInNeedsSecondFactor)
		return b, id
	}
	refused := func(b *latchtest.Browser, id, strategy string) {
		t.Helper()
		out, status := post(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": strategy})
		if status == http.StatusOK || errCode(out) != latch.ErrStrategyNotAllowed.Code {
			t.Errorf("%s after the same channel: %d %v", strategy, status, out)
		}
		if out, status := attemptSecond(t, b, id, strategy, "123456"); status == http.StatusOK {
			t.Errorf("%s attempt after the same channel: %v", strategy, out)
		}
	}
	allowed := func(b *latchtest.Browser, id, strategy string) {
		t.Helper()
		if out, status := post(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": strategy}); status != http.StatusOK {
			t.Errorf("%s after the other channel: %d %v", strategy, status, out)
		}
	}
	b1, id := first("ada@example.com", "email_code", func() string { return e.LastCode(t, "ada@example.com") })
	refused(b1, id, "email_code")
	allowed(b1, id, "phone_code")
	e.Flush() // the code just texted by allowed must be recorded before the next one
	b2, id := first(phone, "phone_code", func() string { return e.LastCode(t, phone) })
	refused(b2, id, "phone_code")
	allowed(b2, id, "email_code")
}

// TestCodeSecondFactorOptInRules: turning on needs a verified primary
// number; turning off the last factor is refused under a policy; with the
// feature off there are neither routes nor strategy.
func TestCodeSecondFactorOptInRules(t *testing.T) {
	t.Run("needs a verified number", func(t *testing.T) {
		e := newEnv(t, nil, mfa.Config{SMSCode: true})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, uid)
		if _, err := e.AddPhoneNumber(context.Background(), uid, phone, false); err != nil {
			t.Fatal(err)
		}
		if out, status := post(t, b, "/v1/me/mfa/phone_code", map[string]any{}); status != http.StatusUnprocessableEntity || errCode(out) != mfa.ErrIdentifierMissing.Code {
			t.Fatalf("turn on without a verified number: %d %v", status, out)
		}
	})
	t.Run("last factor under a policy", func(t *testing.T) {
		e, uid, b := codesEnv(t, nil, mfa.Required)
		post(t, b, "/v1/me/mfa/phone_code", map[string]any{})
		if out, status := call(t, b, http.MethodDelete, "/v1/me/mfa/phone_code", nil); status != http.StatusUnprocessableEntity || errCode(out) != mfa.ErrLastSecondFactor.Code {
			t.Fatalf("turn off the last factor: %d %v", status, out)
		}
		post(t, b, "/v1/me/mfa/email_code", map[string]any{})
		if out, status := call(t, b, http.MethodDelete, "/v1/me/mfa/phone_code", nil); status != http.StatusOK {
			t.Fatalf("turn off with another left: %d %v", status, out)
		}
		if on, _ := e.mfa.BackupCodes().Enrolled(context.Background(), uid); on {
			t.Error("backup codes appeared")
		}
	})
	t.Run("off by default", func(t *testing.T) {
		e := newEnv(t, nil, mfa.Config{})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, uid)
		if _, status := post(t, b, "/v1/me/mfa/phone_code", map[string]any{}); status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			t.Errorf("opt-in route served when SMSCode is off: %d", status)
		}
		if st, _ := call(t, b, http.MethodGet, "/v1/me/mfa", nil); st["phone_code"] != nil || st["email_code"] != nil {
			t.Errorf("status shows disabled factors: %v", st)
		}
	})
}

// TestCodeSecondFactorPages turns codes by text on and off from the
// account page's forms.
func TestCodeSecondFactorPages(t *testing.T) {
	e, uid, b := codesEnv(t, nil, mfa.Optional)
	section := renderSection(t, e, uid, "/user")
	if !strings.Contains(section, `action="/user/mfa?do=phone_on"`) || !strings.Contains(section, "A code texted to +15555550100.") ||
		!strings.Contains(section, `action="/user/mfa?do=email_on"`) {
		t.Fatalf("section:\n%s", section)
	}
	res := b.Post("/user/mfa?do=phone_on", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/user?mfa_notice=phone_on&tab=security" {
		t.Fatalf("turn on: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	section = renderSection(t, e, uid, "/user?mfa_notice=phone_on")
	if !strings.Contains(section, "Text message codes are on.") || !strings.Contains(section, `action="/user/mfa?do=phone_off"`) ||
		!strings.Contains(section, `action="/user/mfa?do=backup_codes"`) {
		t.Fatalf("section after turning on:\n%s", section)
	}
	res = b.Post("/user/mfa?do=phone_off", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/user?mfa_notice=phone_off&tab=security" {
		t.Fatalf("turn off: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if on, _ := e.mfa.Status(context.Background(), uid); *on.PhoneCode {
		t.Fatal("still on")
	}
}

// TestEmailCodeSecondFactorNoSingleChannelSignIn: a user whose only second
// factor is emailed codes cannot get in with the mailbox alone (an emailed
// code as the first factor): that way is closed, never completed with one
// factor; the password still leads to the emailed code.
func TestEmailCodeSecondFactorNoSingleChannelSignIn(t *testing.T) {
	e, _, b := codesEnv(t, nil, mfa.Optional)
	if _, status := post(t, b, "/v1/me/mfa/email_code", map[string]any{}); status != http.StatusOK {
		t.Fatalf("opt in: %d", status)
	}
	nb := e.browser()
	out, _ := post(t, nb, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	id := out["id"].(string)
	post(t, nb, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
	out, status := post(t, nb, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": e.LastCode(t, "ada@example.com")})
	if status == http.StatusOK || errCode(out) != latch.ErrStrategyNotAllowed.Code {
		t.Fatalf("the mailbox alone: %d %v", status, out)
	}
	if e.whoami(t, nb) != "signed-out" {
		t.Fatal("signed in with one factor")
	}
	_, out = e.signInPassword(t, "ada@example.com")
	mustStatus(t, out, http.StatusOK, latch.SignInNeedsSecondFactor)
	if !strings.Contains(mustJSONString(out["supported_second_factors"]), "email_code") {
		t.Errorf("after the password: %v", out["supported_second_factors"])
	}
}

func mustJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
