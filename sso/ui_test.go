package sso_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/sso"
	"github.com/latchauth/latch/sso/internal/idptest"
)

var buttonRE = regexp.MustCompile(`<button class="latch-button latch-button--secondary( latch-button--icon)?" type="submit" name="strategy" value="(oauth_[a-z_]+)"`)

// The hosted sign-in and sign-up pages show the providers' buttons, with
// their icons, above the "or" divider, in the configured order; many make
// a compact row of icon buttons named by their labels.
func TestProviderButtonsOnSignInAndSignUp(t *testing.T) {
	idp := idptest.New(t)
	few := []sso.Provider{sso.GitHub("id", "s"), sso.Google("id", "s")}
	e := newEnv(t, nil, few, map[string]*idptest.IdP{"x": idp})
	b := latchtest.NewBrowser(e.Auth.Handler())
	for _, path := range []string{"/sign-in", "/sign-up"} {
		page := body(b.Get(path))
		got := buttonRE.FindAllStringSubmatch(page, -1)
		if len(got) != 2 || got[0][2] != "oauth_github" || got[1][2] != "oauth_google" || got[0][1] != "" {
			t.Fatalf("%s buttons %v:\n%s", path, got, page)
		}
		if !strings.Contains(page, "Continue with GitHub") || !strings.Contains(page, `<img class="latch-strategy-icon" src="data:image/svg+xml;base64,`) {
			t.Fatalf("%s: no label or icon:\n%s", path, page)
		}
		if strings.Index(page, "oauth_google") > strings.Index(page, "latch-divider") {
			t.Fatalf("%s: the buttons are not above the divider", path)
		}
	}

	fr := httptest.NewRequest(http.MethodGet, "/sign-in", nil)
	fr.Header.Set("Accept-Language", "fr")
	if page := body(b.Do(fr)); !strings.Contains(page, "Continuer avec GitHub") {
		t.Fatalf("French sign-in page:\n%s", page)
	}

	many := []sso.Provider{sso.Google("id", "s"), sso.GitHub("id", "s"), sso.Microsoft("id", "s", ""), sso.Discord("id", "s"), sso.Slack("id", "s")}
	e = newEnv(t, nil, many, nil)
	b = latchtest.NewBrowser(e.Auth.Handler())
	page := body(b.Get("/sign-in"))
	got := buttonRE.FindAllStringSubmatch(page, -1)
	if len(got) != 5 || got[2][2] != "oauth_microsoft" || got[0][1] == "" || !strings.Contains(page, "latch-strategies--compact") ||
		!strings.Contains(page, `aria-label="Continue with Microsoft"`) {
		t.Fatalf("compact row %v:\n%s", got, page)
	}
}

// The account page has a "Connected accounts" section: the user's
// accounts, a way to disconnect each, and a button per provider to
// connect, which leaves for the provider and comes back connected.
func TestAccountPageConnectedAccounts(t *testing.T) {
	idpA, idpB := idptest.New(t), idptest.New(t)
	e := newEnv(t, nil, []sso.Provider{generic(idpA, "a", true), generic(idpB, "b", true)},
		map[string]*idptest.IdP{"oauth_custom_a": idpA, "oauth_custom_b": idpB})
	idpA.SignInAs(map[string]any{"sub": "p-1", "email": "p@example.com", "email_verified": true})
	b := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, "oauth_custom_a")
	page := body(b.Get("/user?tab=security"))
	if !strings.Contains(page, "Connected accounts") || !strings.Contains(page, "p@example.com") || !strings.Contains(page, `value="oauth_custom_b"`) ||
		strings.Contains(page, `value="oauth_custom_a"`) {
		t.Fatalf("account page:\n%s", page)
	}
	idpB.SignInAs(map[string]any{"sub": "p-2"})
	leave := body(b.Post("/user/external_accounts?do=connect", map[string][]string{"strategy": {"oauth_custom_b"}}))
	_, rest, ok := strings.Cut(leave, `<a id="latch-leave" href="`)
	if !ok {
		t.Fatalf("connect page:\n%s", leave)
	}
	back, _ := atProvider(t, idpB, html.UnescapeString(rest[:strings.IndexByte(rest, '"')]))
	if res := b.Get(back.RequestURI()); res.StatusCode != 303 || res.Header.Get("Location") != "/user?tab=security" {
		t.Fatalf("connect callback: %d %q %s", res.StatusCode, res.Header.Get("Location"), body(res))
	}
	accounts, err := e.pl.Accounts(ctx(), signedInAs(t, b))
	if err != nil || len(accounts) != 2 {
		t.Fatalf("accounts %v %v", accounts, err)
	}
	if res := b.Post("/user/external_accounts?do=disconnect", map[string][]string{"id": {accounts[1].ID}}); res.StatusCode != 303 {
		t.Fatalf("disconnect: %d %s", res.StatusCode, body(res))
	}
	if accounts, _ := e.pl.Accounts(ctx(), signedInAs(t, b)); len(accounts) != 1 {
		t.Fatalf("after disconnecting: %v", accounts)
	}
}
