package latch_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/memstore"
)

func page(t testing.TB, res *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestHostedPagesSignUpSignOutSignIn drives the hosted pages with plain
// form posts, as a browser without JavaScript would.
func TestHostedPagesSignUpSignOutSignIn(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	b := e.browser()
	res := b.Get("/sign-up")
	html := page(t, res)
	if res.StatusCode != 200 || !strings.Contains(html, `name="email_address"`) || !strings.Contains(html, "latch_website") {
		t.Fatalf("sign-up page: %d", res.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		if res.Header.Get(h) == "" {
			t.Errorf("sign-up page lacks %s", h)
		}
	}
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("CSP %q", res.Header.Get("Content-Security-Policy"))
	}
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over HTTPS")
	}

	res = b.Post("/sign-up", url.Values{"intent": {"sign_up"}, "email_address": {"ada@example.com"}, "password": {goodPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up post: %d %s", res.StatusCode, page(t, res))
	}
	next, _ := url.Parse(res.Header.Get("Location"))
	if html := page(t, b.Get(next.RequestURI())); !strings.Contains(html, `name="code"`) {
		t.Fatalf("verify step not shown: %s", html)
	}
	res = b.Post("/sign-up", url.Values{"intent": {"verify"}, "sign_up_id": {next.Query().Get("sign_up_id")}, "code": {e.LastCode(t, "ada@example.com")}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" || e.whoami(t, b) == "signed-out" {
		t.Fatalf("verify post: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := b.Get("/user"); res.StatusCode != 200 || !strings.Contains(page(t, res), "ada@example.com") {
		t.Fatalf("profile page: %d", res.StatusCode)
	}
	b.Post("/sign-out", nil)
	if res := b.Get("/user"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("profile when signed out: %d", res.StatusCode)
	}

	// Sign in: identifier, then a wrong password (the error once, at the
	// field, which is marked invalid and described by it), then the right
	// one.
	res = b.Post("/sign-in", url.Values{"intent": {"identifier"}, "identifier": {"ada@example.com"}, "redirect_url": {"/dashboard"}})
	next, _ = url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(page(t, b.Get(next.RequestURI())), `name="password"`) {
		t.Fatalf("identifier step: %d", res.StatusCode)
	}
	sid := next.Query().Get("sign_in_id")
	res = b.Post("/sign-in", url.Values{"intent": {"password"}, "sign_in_id": {sid}, "password": {"wrong password!"}})
	if html := page(t, res); res.StatusCode != http.StatusUnprocessableEntity || strings.Count(html, "incorrect") != 1 || !strings.Contains(html, `aria-invalid="true" aria-describedby="latch-signin-password-error"`) {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	res = b.Post("/sign-in", url.Values{"intent": {"password"}, "sign_in_id": {sid}, "password": {goodPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" || e.whoami(t, b) == "signed-out" {
		t.Fatalf("password: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestHostedPagesIgnoreUnsafeRedirects(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	for _, bad := range []string{"//evil.test", "/\\evil.test", "https://app.example@evil.test", "https://app.example.evil.test", "%2F%2Fevil.test", " /x"} {
		html := page(t, e.browser().Get("/sign-in?redirect_url="+url.QueryEscape(bad)))
		if strings.Contains(html, "evil") {
			t.Errorf("redirect_url %q reached the page", bad)
		}
	}
}

// TestSignOutFormEndsOnlyTheActiveAccount: with several accounts on one
// browser, the user button's "Sign out" ends the account in use and keeps
// the others; "Sign out of all accounts" (?all=1) ends every one.
func TestSignOutFormEndsOnlyTheActiveAccount(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Session: latch.SessionConfig{MultiSession: true}})
	b := e.browser()
	ada := e.SignUpOn(t, b, "ada@example.com", goodPassword)
	grace := e.SignUpOn(t, b, "grace@example.com", goodPassword)
	if got := e.whoami(t, b); got != grace {
		t.Fatalf("active %s, want the last signed in", got)
	}
	b.Post("/sign-out", nil)
	if got := e.whoami(t, b); got != ada {
		t.Fatalf("after signing out of one account the browser is %s, want the other (%s) kept", got, ada)
	}
	e.SignUpOn(t, b, "edsger@example.com", goodPassword)
	b.Post("/sign-out?all=1", nil)
	if got := e.whoami(t, b); got != "signed-out" {
		t.Fatalf("after signing out of all: %s", got)
	}
}

// TestHostedPagesContinueAfterLinkOpenedElsewhere: with
// SignInConfig.CrossDeviceLinks, a magic link opened on another device and
// confirmed there lets the tab that asked for it finish the sign-in on the
// hosted page. Without it, the tab is never offered to continue.
func TestHostedPagesContinueAfterLinkOpenedElsewhere(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), SignIn: latch.SignInConfig{CrossDeviceLinks: true}})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	laptop, phone := e.browser(), e.browser()
	res := laptop.Post("/sign-in", url.Values{"intent": {"identifier"}, "identifier": {"ada@example.com"}})
	loc, _ := url.Parse(res.Header.Get("Location"))
	id := loc.Query().Get("sign_in_id")
	laptop.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"email_link"}, "sign_in_id": {id}})
	link, _ := url.Parse(e.LastLink(t, "ada@example.com"))
	phone.Post("/v1/verify", url.Values{"token": {link.Query().Get("token")}})
	if html := page(t, laptop.Get("/sign-in?sign_in_id="+id)); strings.Contains(html, `value="link_continue"`) {
		t.Fatalf("the tab offers to continue before the other device confirmed:\n%s", html)
	}
	phone.Post("/v1/verify", url.Values{"token": {link.Query().Get("token")}, "continue": {"there"}, "confirm": {"yes"}})
	if e.whoami(t, phone) != "signed-out" {
		t.Fatal("the other device was signed in")
	}
	if html := page(t, laptop.Get("/sign-in?sign_in_id="+id)); !strings.Contains(html, `value="link_continue"`) {
		t.Fatalf("the tab does not offer to continue:\n%s", html)
	}
	laptop.Post("/sign-in", url.Values{"intent": {"link_continue"}, "sign_in_id": {id}})
	if got := e.whoami(t, laptop); got != uid {
		t.Fatalf("the tab is %s, want %s", got, uid)
	}
}

// TestSignInTokenLinkAsksNoIdentifier: the link of CreateSignInToken
// opens a page with one button, and pressing it signs the user in: the
// token names them, so no identifier is asked for. Opening the page spends
// nothing (mail scanners open links too).
func TestSignInTokenLinkAsksNoIdentifier(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	_, link, err := e.CreateSignInToken(context.Background(), uid, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	b := e.browser()
	html := page(t, b.Get(u.RequestURI()))
	if strings.Contains(html, `name="identifier"`) || !strings.Contains(html, `name="intent" value="ticket"`) {
		t.Fatalf("the token's page asks for an identifier or has no button:\n%s", html)
	}
	if e.whoami(t, b) != "signed-out" {
		t.Fatal("opening the page signed in")
	}
	res := b.Post("/sign-in", url.Values{"intent": {"ticket"}, "ticket": {u.Query().Get("__latch_ticket")}})
	if res.StatusCode != http.StatusSeeOther || e.whoami(t, b) != uid {
		t.Fatalf("pressing the button: %d %q, signed in as %q", res.StatusCode, res.Header.Get("Location"), e.whoami(t, b))
	}
}
