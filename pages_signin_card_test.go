package latch_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/memstore"
)

// TestSignedInBrowserOpeningSignInIsSentOn: a signed-in browser that opens
// the sign-in or sign-up page goes on to where a sign-in would have taken
// it (a redirect_url the allowed-redirect check accepts, else "/"),
// without a card to fill in.
func TestSignedInBrowserOpeningSignInIsSentOn(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	_, b := e.SignUp(t, "ada@example.com", goodPassword)
	for _, page := range []string{"/sign-in", "/sign-up"} {
		for query, want := range map[string]string{
			"":                           "/",
			"?redirect_url=%2Fdashboard": "/dashboard",
			"?redirect_url=https%3A%2F%2Fevil.example%2F": "/",
		} {
			res := b.Get(page + query)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
				t.Errorf("signed in, GET %s%s: %d to %q, want %d to %q", page, query, res.StatusCode, res.Header.Get("Location"), http.StatusSeeOther, want)
			}
		}
		if res := e.browser().Get(page); res.StatusCode != http.StatusOK {
			t.Errorf("signed out, GET %s: %d, want the page", page, res.StatusCode)
		}
	}
}

// TestSignedInRedirectIsNotAnOpenRedirect: the redirect a signed-in
// browser is sent to passes the same check as after a sign-in, so a link
// to the sign-in page cannot send a signed-in user to another site.
func TestSignedInRedirectIsNotAnOpenRedirect(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	_, b := e.SignUp(t, "ada@example.com", goodPassword)
	for _, evil := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		res := b.Get("/sign-in?redirect_url=" + url.QueryEscape(evil))
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("redirect_url %q sent the signed-in browser to %q", evil, loc)
		}
	}
}

// TestMultiSessionSignInOffersAnotherAccount: with MultiSession, a
// signed-in browser opening the sign-in page may add an account: the
// card says so, names the account it has and links on as it.
func TestMultiSessionSignInOffersAnotherAccount(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Session: latch.SessionConfig{MultiSession: true}})
	_, b := e.SignUp(t, "ada@example.com", goodPassword)
	res := b.Get("/sign-in?redirect_url=%2Fdashboard")
	html := page(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /sign-in signed in, multi-session: %d", res.StatusCode)
	}
	for _, want := range []string{`<h1 class="latch-title">Add an account</h1>`, `Signed in as <strong>ada@example.com</strong>`,
		`<a class="latch-link" href="/dashboard">Continue</a>`, `name="identifier"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the sign-in page lacks %s", want)
		}
	}
	if html := page(t, b.Get("/sign-up")); !strings.Contains(html, `Signed in as <strong>ada@example.com</strong>`) || !strings.Contains(html, `name="email_address"`) {
		t.Errorf("the sign-up page does not offer a new account beside the signed-in one")
	}
	if html := page(t, e.browser().Get("/sign-in")); strings.Contains(html, "Add an account") || strings.Contains(html, "Signed in as") {
		t.Errorf("a signed-out browser is offered to add an account")
	}
}

// TestResendSaysANewCodeWasSent: after "Resend code", the code step says
// a new code was sent, in a status region, and a new code is mailed.
func TestResendSaysANewCodeWasSent(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	b := e.browser()
	res := b.Post("/sign-up", url.Values{"intent": {"sign_up"}, "email_address": {"ada@example.com"}, "password": {goodPassword}})
	next, _ := url.Parse(res.Header.Get("Location"))
	id := next.Query().Get("sign_up_id")
	if html := page(t, b.Get(next.RequestURI())); id == "" || !strings.Contains(html, `name="code"`) || strings.Contains(html, `role="status"`) {
		t.Fatalf("the code step after sign-up: %s", html)
	}
	before := e.mailCount("ada@example.com")
	res = b.Post("/sign-up", url.Values{"intent": {"resend"}, "sign_up_id": {id}})
	next, _ = url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || next.Query().Get("sign_up_id") != id {
		t.Fatalf("resend: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if html := page(t, b.Get(next.RequestURI())); !strings.Contains(html, `role="status"><p>A new code was sent.</p>`) || !strings.Contains(html, `name="code"`) {
		t.Errorf("after resending, the code step does not say a new code was sent:\n%s", html)
	}
	if after := e.mailCount("ada@example.com"); after != before+1 {
		t.Errorf("resending mailed %d messages, want 1", after-before)
	}
}

// TestIdentifierLabelFollowsSignUpFields: the sign-in page names the
// identifiers users have, from the sign-up fields that are on.
func TestIdentifierLabelFollowsSignUpFields(t *testing.T) {
	for _, c := range []struct {
		signUp latch.SignUpConfig
		label  string
		typ    string
	}{
		{latch.SignUpConfig{}, "Email address", "email"},
		{latch.SignUpConfig{Username: latch.Optional}, "Email address or username", "text"},
		{latch.SignUpConfig{PhoneNumber: latch.Optional}, "Email address or phone number", "text"},
	} {
		e := newFlowEnv(t, latch.Config{Store: memstore.New(), SignUp: c.signUp})
		html := page(t, e.browser().Get("/sign-in"))
		if !strings.Contains(html, `for="latch-signin-identifier">`+c.label+` </label>`) || !strings.Contains(html, `name="identifier" type="`+c.typ+`"`) {
			t.Errorf("%+v: the identifier is not a %s field labelled %q", c.signUp, c.typ, c.label)
		}
	}
}
