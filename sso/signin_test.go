package sso_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/sso"
	"github.com/latchauth/latch/sso/internal/idptest"
	"github.com/latchauth/latch/storage"
)

// A new user signs up through an OpenID Provider, with its verified
// address; signing in again finds the same user. On every store.
func TestNewUserSignsUpAndSignsInAgain(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e, idp := oneIdP(t, s)
		idp.SignInAs(map[string]any{"sub": "u-1", "email": "ada@example.com", "email_verified": true, "given_name": "Ada", "family_name": "Lovelace"})
		b := latchtest.NewBrowser(e.Auth.Handler())
		external := start(t, b, testStrategy)
		back, _ := atProvider(t, idp, external)
		if back.Path != "/v1/callback/"+testStrategy {
			t.Fatalf("callback path %q", back.Path)
		}
		a := idp.LastAuthorization()
		if a.Get("code_challenge_method") != "S256" || a.Get("nonce") == "" || a.Get("redirect_uri") != "https://app.example/v1/callback/"+testStrategy ||
			!strings.Contains(a.Get("scope"), "openid") {
			t.Fatalf("authorization request: %v", a)
		}
		res := b.Get(back.RequestURI())
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback: %d %s", res.StatusCode, body(res))
		}
		u := me(b)
		if u == nil || u["first_name"] != "Ada" {
			t.Fatalf("not signed in: %v", u)
		}
		ea, err := s.FindExternalAccount(ctx(), idp.Issuer(), "u-1")
		if err != nil || ea.UserID != u["id"] || ea.Provider != testStrategy {
			t.Fatalf("external account %+v %v", ea, err)
		}

		// The tokens of the sign-up waited for the account, sealed.
		if tok, err := e.pl.AccessToken(ctx(), ea.UserID, testStrategy); err != nil || !idp.ValidAccessToken(tok.AccessToken) {
			t.Fatalf("the sign-up's access token: %v", err)
		}

		b2 := latchtest.NewBrowser(e.Auth.Handler())
		signIn(t, e, b2, testStrategy)
		if got := signedInAs(t, b2); got != u["id"] {
			t.Fatalf("second sign-in as %q, want %v", got, u["id"])
		}
	})
}

// The provider's tokens reach the back end through AccessToken, and are
// refreshed when they have expired.
func TestAccessTokenRefreshedOnDemand(t *testing.T) {
	e, idp := oneIdP(t, nil)
	idp.SignInAs(map[string]any{"sub": "u-2", "email": "bo@example.com", "email_verified": true})
	b := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, testStrategy)
	uid := signedInAs(t, b)
	if uid == "" {
		t.Fatal("not signed in")
	}
	tok, err := e.pl.AccessToken(ctx(), uid, testStrategy)
	if err != nil || !idp.ValidAccessToken(tok.AccessToken) {
		t.Fatalf("access token %v %v", tok, err)
	}
	e.Clock.Advance(2 * 3600e9)
	fresh, err := e.pl.AccessToken(ctx(), uid, testStrategy)
	if err != nil || fresh.AccessToken == tok.AccessToken || !idp.ValidAccessToken(fresh.AccessToken) {
		t.Fatalf("refreshed %v %v", fresh, err)
	}
	if _, err := e.pl.AccessToken(ctx(), uid, "oauth_custom_other"); err == nil {
		t.Fatal("a token for an unknown provider")
	}
}

// A generic OAuth 2.0 provider: the user-info answer, read by its claim
// mapping, makes the identity (issuer: the authorization endpoint's
// origin); its addresses are unverified without VerifiesEmail; an answer
// whose RFC 9207 iss is not the configured one is refused.
func TestGenericOAuth2Provider(t *testing.T) {
	idp := idptest.New(t)
	p := sso.OAuth2("plain", "Plain", idp.Server.URL+"/auth", idp.Server.URL+"/token", idp.Server.URL+"/userinfo", idp.ClientID, idp.ClientSecret,
		sso.ClaimMapping{Subject: "account.id", Email: "account.mail", Name: "account.display"})
	e := newEnv(t, nil, []sso.Provider{p}, map[string]*idptest.IdP{"oauth_custom_plain": idp})
	victim := newUser(t, e, "v@example.com")
	idp.SignInAs(map[string]any{"account": map[string]any{"id": 77, "mail": "v@example.com", "display": "Val Plain"}})
	b := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, "oauth_custom_plain")
	if signedInAs(t, b) == victim.ID {
		t.Fatal("an unverified address linked")
	}
	if a := idp.LastAuthorization(); a.Get("nonce") != "" || a.Get("code_challenge_method") != "S256" || strings.Contains(a.Get("scope"), "openid") {
		t.Fatalf("authorization request %v", a)
	}

	// Trusted to verify addresses, a new one signs up at once.
	p.VerifiesEmail = true
	e = newEnv(t, nil, []sso.Provider{p}, map[string]*idptest.IdP{"oauth_custom_plain": idp})
	idp.SignInAs(map[string]any{"account": map[string]any{"id": 77, "mail": "val@example.com", "display": "Val Plain"}})
	b = latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, "oauth_custom_plain")
	u := me(b)
	if u == nil || u["first_name"] != "Val" || u["last_name"] != "Plain" {
		t.Fatalf("signed up as %v", u)
	}
	if ea, err := e.Store.FindExternalAccount(ctx(), idp.Server.URL, "77"); err != nil || ea.UserID != u["id"] {
		t.Fatalf("identity (origin, 77): %v", err)
	}

	p.IssuerParameter = "https://plain.example"
	e = newEnv(t, nil, []sso.Provider{p}, map[string]*idptest.IdP{"oauth_custom_plain": idp})
	b = latchtest.NewBrowser(e.Auth.Handler())
	res := signIn(t, e, b, "oauth_custom_plain")
	if res.StatusCode < 400 || signedInAs(t, b) != "" {
		t.Fatalf("an answer from another issuer (RFC 9207): %d", res.StatusCode)
	}
}

// A sign-up through a provider fills what the identity gives and asks
// only for what is missing: here a username and the legal consent, with
// no password and no address to verify.
func TestSignUpThroughProviderAsksOnlyWhatIsMissing(t *testing.T) {
	e, idp := oneIdP(t, nil, func(c *latch.Config) {
		c.SignUp.Username = latch.Required
		c.SignUp.LegalConsent = true
	})
	idp.SignInAs(map[string]any{"sub": "m-1", "email": "mia@example.com", "email_verified": true, "given_name": "Mia", "family_name": "K"})
	b := latchtest.NewBrowser(e.Auth.Handler())
	res := signIn(t, e, b, testStrategy)
	loc := res.Header.Get("Location")
	if res.StatusCode != 303 || !strings.HasPrefix(loc, "/sign-up?sign_up_id=") {
		t.Fatalf("after the provider: %d %q", res.StatusCode, loc)
	}
	page := body(b.Get(loc))
	for _, want := range []string{`name="username"`, `name="legal_accepted"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the sign-up page does not ask for %s:\n%s", want, page)
		}
	}
	for _, unwanted := range []string{`name="password"`, `name="email_address"`, `value="oauth_custom_test"`} {
		if strings.Contains(page, unwanted) {
			t.Fatalf("the sign-up page asks for %s, which the provider gave:\n%s", unwanted, page)
		}
	}
	id := strings.TrimPrefix(loc, "/sign-up?sign_up_id=")
	res = b.Post("/sign-up", map[string][]string{"sign_up_id": {id}, "intent": {"sign_up"}, "username": {"mia"}, "legal_accepted": {"true"}})
	if res.StatusCode != 303 {
		t.Fatalf("completing the sign-up: %d %s", res.StatusCode, body(res))
	}
	u := me(b)
	if u == nil || u["username"] != "mia" || u["first_name"] != "Mia" || u["password_enabled"] != false {
		t.Fatalf("signed up as %v", u)
	}
}

// BenchmarkSocialSignIn is a returning user's whole sign-in through the
// in-process test provider: the JSON API's start, the provider's answer,
// the token exchange, the ID token's verification and the session.
func BenchmarkSocialSignIn(b *testing.B) {
	idp := idptest.New(b)
	e := newEnv(b, nil, []sso.Provider{generic(idp, "test", true)}, map[string]*idptest.IdP{testStrategy: idp})
	idp.SignInAs(map[string]any{"sub": "bench", "email": "bench@example.com", "email_verified": true})
	b.ReportAllocs()
	for b.Loop() {
		br := latchtest.NewBrowser(e.Auth.Handler())
		if res := signIn(b, e, br, testStrategy); res.StatusCode != http.StatusSeeOther {
			b.Fatalf("sign-in: %d", res.StatusCode)
		}
	}
}
