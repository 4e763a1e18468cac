package sso_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/sso"
	"github.com/latchauth/latch/sso/internal/idptest"
)

// refusedCallback asserts that the app's answer to a callback is a
// refusal and that b is signed in as nobody.
func refusedCallback(t *testing.T, b *latchtest.Browser, res *http.Response) {
	t.Helper()
	if res.StatusCode == http.StatusSeeOther || res.StatusCode < 400 {
		t.Fatalf("callback accepted: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if id := signedInAs(t, b); id != "" {
		t.Fatalf("signed in as %s", id)
	}
}

// The provider's answer to a sign-in started in browser A, opened in
// browser B (a link sent to a victim, a leaked callback URL): the state is
// bound to A's flow, so B is not signed in, and B cannot continue A's
// flow; A, whose flow it is, can.
func TestStateFromAnotherBrowserRefused(t *testing.T) {
	e, idp := oneIdP(t, nil)
	idp.SignInAs(map[string]any{"sub": "a-1", "email": "a@example.com", "email_verified": true})
	a := latchtest.NewBrowser(e.Auth.Handler())
	back, _ := atProvider(t, idp, start(t, a, testStrategy))

	other := latchtest.NewBrowser(e.Auth.Handler())
	start(t, other, testStrategy) // B has a sign-in of its own
	res := other.Get(back.RequestURI())
	page := body(res)
	if signedInAs(t, other) != "" {
		t.Fatal("browser B signed in with A's answer")
	}
	action, form := idptest.FormFields(page)
	if action != "" {
		res = other.Post(action, form)
		if res.StatusCode == http.StatusSeeOther && signedInAs(t, other) != "" {
			t.Fatal("browser B continued A's flow")
		}
	}
	// The state is spent: replaying it anywhere fails.
	refusedCallback(t, other, other.Get(back.RequestURI()))
}

// Login CSRF: an attacker signs in at the provider as themselves and
// makes the victim's browser open the answer, so that the victim works in
// the attacker's account. The answer is bound to the attacker's flow: the
// victim's browser is never signed in, and a forged or missing state is
// refused outright.
func TestLoginCSRFRefused(t *testing.T) {
	e, idp := oneIdP(t, nil)
	idp.SignInAs(map[string]any{"sub": "attacker", "email": "mallory@example.com", "email_verified": true})
	attacker := latchtest.NewBrowser(e.Auth.Handler())
	back, _ := atProvider(t, idp, start(t, attacker, testStrategy))

	victim := latchtest.NewBrowser(e.Auth.Handler())
	res := victim.Get(back.RequestURI())
	action, form := idptest.FormFields(body(res))
	if action != "" {
		victim.Post(action, form)
	}
	if id := signedInAs(t, victim); id != "" {
		t.Fatalf("the victim's browser was signed in (as %s)", id)
	}

	q := back.Query()
	for name, state := range map[string]string{"no state": "", "forged state": "vfy_forged", "state of another strategy's shape": q.Get("state") + "x"} {
		t.Run(name, func(t *testing.T) {
			v := latchtest.NewBrowser(e.Auth.Handler())
			start(t, v, testStrategy)
			u := url.Values{"code": {q.Get("code")}, "iss": {q.Get("iss")}}
			if state != "" {
				u.Set("state", state)
			}
			refusedCallback(t, v, v.Get("/v1/callback/"+testStrategy+"?"+u.Encode()))
		})
	}
}

// A code intercepted from one flow and injected into another (with that
// other flow's state) is redeemed with the other flow's PKCE verifier,
// which does not match the challenge the code was issued for: the token
// endpoint refuses it.
func TestPKCEVerifierMismatchRefused(t *testing.T) {
	e, idp := oneIdP(t, nil)
	idp.SignInAs(map[string]any{"sub": "v-1", "email": "v@example.com", "email_verified": true})
	victim := latchtest.NewBrowser(e.Auth.Handler())
	stolen, _ := atProvider(t, idp, start(t, victim, testStrategy))

	attacker := latchtest.NewBrowser(e.Auth.Handler())
	own, _ := atProvider(t, idp, start(t, attacker, testStrategy))
	q := own.Query()
	q.Set("code", stolen.Query().Get("code"))
	refusedCallback(t, attacker, attacker.Get(own.Path+"?"+q.Encode()))
	if a := idp.LastAuthorization(); a.Get("code_challenge_method") != "S256" || len(a.Get("code_challenge")) != 43 {
		t.Fatalf("PKCE is not S256: %v", a)
	}
}

// An ID token replayed into another sign-in (one the provider issued for
// an earlier attempt, or another client's) carries that attempt's nonce:
// refused.
func TestNonceReplayRefused(t *testing.T) {
	e, idp := oneIdP(t, nil)
	idp.SignInAs(map[string]any{"sub": "n-1", "email": "n@example.com", "email_verified": true})
	first := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, first, testStrategy)
	old := idp.LastAuthorization().Get("nonce")
	if signedInAs(t, first) == "" || old == "" {
		t.Fatal("the first sign-in failed")
	}
	idp.Tamper = func(c map[string]any) { c["nonce"] = old }
	b := latchtest.NewBrowser(e.Auth.Handler())
	refusedCallback(t, b, signIn(t, e, b, testStrategy))
	idp.Tamper = func(c map[string]any) { delete(c, "nonce") }
	b = latchtest.NewBrowser(e.Auth.Handler())
	refusedCallback(t, b, signIn(t, e, b, testStrategy))
}

// ID tokens that are not the provider's for this client: each refused.
func TestIDTokenWrongIssuerAudienceAlgRefused(t *testing.T) {
	e, idp := oneIdP(t, nil)
	idp.SignInAs(map[string]any{"sub": "t-1", "email": "t@example.com", "email_verified": true})
	now := func() time.Time { return e.Clock.Now() }
	cases := []struct {
		name   string
		tamper func(map[string]any)
		sign   func([]byte) string
	}{
		{name: "issuer of another provider", tamper: func(c map[string]any) { c["iss"] = "https://evil.example" }},
		{name: "issuer differing by a slash", tamper: func(c map[string]any) { c["iss"] = idp.Issuer() + "/" }},
		{name: "audience of another client", tamper: func(c map[string]any) { c["aud"] = "someone-else" }},
		{name: "several audiences without azp", tamper: func(c map[string]any) { c["aud"] = []string{idp.ClientID, "other"} }},
		{name: "several audiences, azp another client", tamper: func(c map[string]any) { c["aud"] = []string{idp.ClientID, "other"}; c["azp"] = "other" }},
		{name: "expired", tamper: func(c map[string]any) { c["exp"] = now().Add(-2 * time.Minute).Unix() }},
		{name: "issued in the future", tamper: func(c map[string]any) { c["iat"] = now().Add(10 * time.Minute).Unix() }},
		{name: "issued long ago", tamper: func(c map[string]any) { c["iat"] = now().Add(-time.Hour).Unix() }},
		{name: "signed by an unknown key", sign: idptest.OtherKeySigner()},
		{name: "alg not in discovery (ES256)", sign: idptest.ES256Signer()},
		{name: "alg HS256 keyed by the client secret", sign: idptest.HS256Signer(idp.ClientSecret)},
		{name: "alg none", sign: idptest.NoneSigner()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			idp.Tamper, idp.Sign = c.tamper, c.sign
			b := latchtest.NewBrowser(e.Auth.Handler())
			refusedCallback(t, b, signIn(t, e, b, testStrategy))
		})
	}
	// Within the leeway, and with azp naming this client, it is accepted.
	idp.Tamper = func(c map[string]any) {
		c["exp"] = now().Add(-30 * time.Second).Unix()
		c["aud"] = []string{idp.ClientID, "other"}
		c["azp"] = idp.ClientID
	}
	idp.Sign = nil
	b := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, testStrategy)
	if signedInAs(t, b) == "" {
		t.Fatal("a valid token within the leeway was refused")
	}
}

// Mix-up: two providers. An answer of provider B delivered to provider
// A's callback with A's state is refused: its iss names B, and B's code
// means nothing at A's token endpoint; an answer to A's sign-in on B's
// callback path is refused by the kernel, whose states are per strategy.
func TestCodeFromOtherProviderRefused(t *testing.T) {
	idpA, idpB := idptest.New(t), idptest.New(t)
	e := newEnv(t, nil, []sso.Provider{generic(idpA, "a", true), generic(idpB, "b", true)},
		map[string]*idptest.IdP{"oauth_custom_a": idpA, "oauth_custom_b": idpB})
	idpA.SignInAs(map[string]any{"sub": "alice", "email": "alice@example.com", "email_verified": true})
	idpB.SignInAs(map[string]any{"sub": "alice", "email": "alice@example.com", "email_verified": true})

	b := latchtest.NewBrowser(e.Auth.Handler())
	backA, _ := atProvider(t, idpA, start(t, b, "oauth_custom_a"))
	other := latchtest.NewBrowser(e.Auth.Handler())
	backB, _ := atProvider(t, idpB, start(t, other, "oauth_custom_b"))

	// B's code and iss on A's callback, with A's state.
	q := backA.Query()
	q.Set("code", backB.Query().Get("code"))
	q.Set("iss", backB.Query().Get("iss"))
	refusedCallback(t, b, b.Get(backA.Path+"?"+q.Encode()))

	// A provider that sends no iss (and says so): B's code, without iss,
	// is redeemed at its token endpoint, which never issued it.
	idpC := idptest.New(t)
	idpC.NoIssParam = true
	e2 := newEnv(t, nil, []sso.Provider{generic(idpC, "c", true), generic(idpB, "b", true)},
		map[string]*idptest.IdP{"oauth_custom_c": idpC, "oauth_custom_b": idpB})
	idpC.SignInAs(map[string]any{"sub": "alice", "email": "alice@example.com", "email_verified": true})
	b = latchtest.NewBrowser(e2.Auth.Handler())
	backC, _ := atProvider(t, idpC, start(t, b, "oauth_custom_c"))
	other = latchtest.NewBrowser(e2.Auth.Handler())
	backB, _ = atProvider(t, idpB, start(t, other, "oauth_custom_b"))
	q = backC.Query()
	q.Set("code", backB.Query().Get("code"))
	refusedCallback(t, b, b.Get(backC.Path+"?"+q.Encode()))
	// Its own code signs in: the refusal was the code's.
	b = latchtest.NewBrowser(e2.Auth.Handler())
	signIn(t, e2, b, "oauth_custom_c")
	if signedInAs(t, b) == "" {
		t.Fatal("a provider without iss cannot sign in")
	}

	// A's answer on B's callback path.
	b = latchtest.NewBrowser(e.Auth.Handler())
	backA, _ = atProvider(t, idpA, start(t, b, "oauth_custom_a"))
	refusedCallback(t, b, b.Get("/v1/callback/oauth_custom_b?"+backA.RawQuery))
}

// Microsoft's common endpoint: any tenant may issue, so the token's
// issuer must be its own tenant's (from its tid). A token whose iss names
// another tenant than its tid is refused; the account is keyed by the
// tenant's issuer and the object ID; xms_edov decides the verified email.
func TestMicrosoftTenantIssuerChecked(t *testing.T) {
	idp := idptest.New(t)
	idp.TenantTemplate = true
	p := sso.Microsoft(idp.ClientID, idp.ClientSecret, "")
	p.Issuer = idp.Issuer()
	p.TenantIssuer = idp.Server.URL + "/{tenantid}/v2.0"
	e := newEnv(t, nil, []sso.Provider{p}, map[string]*idptest.IdP{"oauth_microsoft": idp})
	const tenant, other = "9188040d-6c67-4c5b-b112-36a304b66dad", "72f988bf-86f1-41af-91ab-2d7cd011db47"
	account := map[string]any{"sub": "pairwise-sub", "oid": "00000000-0000-0000-66f3-3332eca7ea81", "tid": tenant,
		"email": "kim@contoso.example", "name": "Kim Akers", "iss": idp.TenantIssuer(other)}
	idp.SignInAs(account)
	b := latchtest.NewBrowser(e.Auth.Handler())
	refusedCallback(t, b, signIn(t, e, b, "oauth_microsoft"))

	account["iss"] = "https://evil.example/" + tenant + "/v2.0"
	b = latchtest.NewBrowser(e.Auth.Handler())
	refusedCallback(t, b, signIn(t, e, b, "oauth_microsoft"))

	// Its own tenant's issuer: accepted, keyed by (tenant issuer, oid),
	// and the address, without xms_edov, is unverified.
	account["iss"] = idp.TenantIssuer(tenant)
	user := newUser(t, e, "kim@contoso.example")
	b = latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, "oauth_microsoft")
	if id := signedInAs(t, b); id == user.ID {
		t.Fatal("an address Microsoft did not verify (no xms_edov) linked to an existing account")
	}
	ea, err := e.Store.FindExternalAccount(ctx(), idp.TenantIssuer(tenant), "00000000-0000-0000-66f3-3332eca7ea81")
	if err == nil && ea.UserID == user.ID {
		t.Fatal("linked to the existing user")
	}

	// With xms_edov true it links.
	account["xms_edov"] = true
	account["oid"] = "11111111-0000-0000-66f3-3332eca7ea81"
	b = latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, "oauth_microsoft")
	if id := signedInAs(t, b); id != user.ID {
		t.Fatalf("a verified (xms_edov) address did not link: signed in as %q", id)
	}
	if ea, err := e.Store.FindExternalAccount(ctx(), idp.TenantIssuer(tenant), "11111111-0000-0000-66f3-3332eca7ea81"); err != nil || ea.UserID != user.ID {
		t.Fatalf("account %+v %v", ea, err)
	}
}

// nOAuth: a provider account claiming the victim's address, unverified
// at the provider, never reaches the victim's account.
func TestUnverifiedProviderEmailDoesNotLink(t *testing.T) {
	for name, verified := range map[string]any{"false": false, "absent": nil} {
		t.Run(name, func(t *testing.T) {
			e, idp := oneIdP(t, nil)
			victim := newUser(t, e, "victim@example.com")
			claims := map[string]any{"sub": "attacker-" + name, "email": "victim@example.com"}
			if verified != nil {
				claims["email_verified"] = verified
			}
			idp.SignInAs(claims)
			b := latchtest.NewBrowser(e.Auth.Handler())
			signIn(t, e, b, testStrategy)
			if signedInAs(t, b) == victim.ID {
				t.Fatal("signed in to the victim's account")
			}
			if ea, err := e.Store.FindExternalAccount(ctx(), idp.Issuer(), "attacker-"+name); err == nil && ea.UserID == victim.ID {
				t.Fatal("linked to the victim")
			}
		})
	}
	// A generic provider without VerifiesEmail: even email_verified true
	// is not believed.
	idp := idptest.New(t)
	e := newEnv(t, nil, []sso.Provider{generic(idp, "lax", false)}, map[string]*idptest.IdP{"oauth_custom_lax": idp})
	victim := newUser(t, e, "victim@example.com")
	idp.SignInAs(map[string]any{"sub": "x", "email": "victim@example.com", "email_verified": true})
	b := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, "oauth_custom_lax")
	if signedInAs(t, b) == victim.ID {
		t.Fatal("a provider not trusted to verify emails linked to the victim")
	}
}

// email_verified "false" (a string, as Apple sends it) is false, however
// truthy a non-empty string looks.
func TestStringFalseEmailVerifiedIsFalse(t *testing.T) {
	for _, v := range []any{"false", "False", "0", "no", "", map[string]any{}} {
		e, idp := oneIdP(t, nil)
		victim := newUser(t, e, "victim@example.com")
		idp.SignInAs(map[string]any{"sub": "s", "email": "victim@example.com", "email_verified": v})
		b := latchtest.NewBrowser(e.Auth.Handler())
		signIn(t, e, b, testStrategy)
		if signedInAs(t, b) == victim.ID {
			t.Fatalf("email_verified %#v linked to the victim", v)
		}
	}
	// And "true" is true.
	e, idp := oneIdP(t, nil)
	user := newUser(t, e, "owner@example.com")
	idp.SignInAs(map[string]any{"sub": "s", "email": "owner@example.com", "email_verified": "true"})
	b := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, testStrategy)
	if signedInAs(t, b) != user.ID {
		t.Fatal(`email_verified "true" did not link`)
	}
}

// An address a user added but never verified is not theirs yet: a
// provider vouching for it signs nobody in to that user's account.
func TestUnverifiedLocalAddressIsNotTakenOver(t *testing.T) {
	e, idp := oneIdP(t, nil)
	user := newUser(t, e, "first@example.com")
	owner := latchtest.NewBrowser(e.Auth.Handler())
	latchtest.SignIn(t, e.Auth, owner, user.ID)
	if status, out := owner.JSON(http.MethodPost, "/v1/me/email_addresses", map[string]any{"email_address": "second@example.com"}); status >= 300 {
		t.Fatalf("adding an address: %d %v", status, out)
	}
	idp.SignInAs(map[string]any{"sub": "other-person", "email": "second@example.com", "email_verified": true})
	b := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, testStrategy)
	if signedInAs(t, b) == user.ID {
		t.Fatal("an unverified address of the user was taken over")
	}
	if ea, err := e.Store.FindExternalAccount(ctx(), idp.Issuer(), "other-person"); err == nil && ea.UserID == user.ID {
		t.Fatal("linked to the user")
	}
}

// An identity is (issuer, subject): the address changing at the provider
// keeps the account, and is not a way into another one.
func TestProviderEmailChangeKeepsAccount(t *testing.T) {
	e, idp := oneIdP(t, nil)
	idp.SignInAs(map[string]any{"sub": "stable", "email": "old@example.com", "email_verified": true})
	b := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, testStrategy)
	first := signedInAs(t, b)
	if first == "" {
		t.Fatal("not signed in")
	}
	other := newUser(t, e, "someone@example.com")
	idp.SignInAs(map[string]any{"sub": "stable", "email": "someone@example.com", "email_verified": true})
	b = latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, testStrategy)
	if got := signedInAs(t, b); got != first || got == other.ID {
		t.Fatalf("after the provider's address changed: %q, want %q", got, first)
	}
}

// The last way a user has to sign in cannot be disconnected; with another
// one it can, after a recent verification.
func TestLastSignInMethodCannotBeDisconnected(t *testing.T) {
	idpA, idpB := idptest.New(t), idptest.New(t)
	e := newEnv(t, nil, []sso.Provider{generic(idpA, "a", true), generic(idpB, "b", true)},
		map[string]*idptest.IdP{"oauth_custom_a": idpA, "oauth_custom_b": idpB},
		func(c *latch.Config) { c.SignUp.EmailAddress = latch.Optional; c.SignUp.Password = latch.Off })
	idpA.SignInAs(map[string]any{"sub": "only"}) // no address at all
	b := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, b, "oauth_custom_a")
	uid := signedInAs(t, b)
	if uid == "" {
		t.Fatal("not signed in")
	}
	_, list := b.JSON(http.MethodGet, "/v1/me/external_accounts", nil)
	data, _ := list["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("accounts: %v", list)
	}
	id := data[0].(map[string]any)["id"].(string)
	status, out := b.JSON(http.MethodDelete, "/v1/me/external_accounts/"+id, nil)
	if status != http.StatusUnprocessableEntity || latchtest.ErrorCode(out) != "last_sign_in_method" {
		t.Fatalf("disconnecting the last method: %d %v", status, out)
	}

	// Connect a second provider, then the first may go.
	idpB.SignInAs(map[string]any{"sub": "second"})
	status, out = b.JSON(http.MethodPost, "/v1/me/external_accounts", map[string]any{"strategy": "oauth_custom_b", "additional_scopes": "repo"})
	if status != http.StatusOK {
		t.Fatalf("connect: %d %v", status, out)
	}
	back, _ := atProvider(t, idpB, out["external_verification_redirect_url"].(string))
	if back.Path != "/v1/me/external_accounts/callback/oauth_custom_b" || !strings.Contains(idpB.LastAuthorization().Get("scope"), "repo") {
		t.Fatalf("connect went to %s with %v", back, idpB.LastAuthorization())
	}
	if res := b.Get(back.RequestURI()); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("connect callback: %d %s", res.StatusCode, body(res))
	}
	if ea, err := e.Store.FindExternalAccount(ctx(), idpB.Issuer(), "second"); err != nil || ea.UserID != uid {
		t.Fatalf("connected %+v %v", ea, err)
	}
	if status, out = b.JSON(http.MethodDelete, "/v1/me/external_accounts/"+id, nil); status != http.StatusOK {
		t.Fatalf("disconnect: %d %v", status, out)
	}
	// A stale session must verify again first.
	e.Clock.Advance(time.Hour)
	_, list = b.JSON(http.MethodGet, "/v1/me/external_accounts", nil)
	data, _ = list["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("accounts after disconnecting: %v", list)
	}
	status, out = b.JSON(http.MethodDelete, "/v1/me/external_accounts/"+data[0].(map[string]any)["id"].(string), nil)
	if status != http.StatusForbidden {
		t.Fatalf("disconnect without reverification: %d %v", status, out)
	}
}

// The provider's tokens (access, refresh, ID) never appear in what the
// browser receives, in the logs, or in the store as plain text; the back
// end gets them through AccessToken.
func TestUpstreamTokensNeverReachTheBrowser(t *testing.T) {
	e, idp := oneIdP(t, nil)
	var seen strings.Builder
	e.App = recordAll(e.Auth.Handler(), &seen)
	idp.SignInAs(map[string]any{"sub": "tok", "email": "tok@example.com", "email_verified": true})
	b := latchtest.NewBrowser(e.App)
	signIn(t, e, b, testStrategy)
	uid := signedInAs(t, b)
	if uid == "" {
		t.Fatal("not signed in")
	}
	b.JSON(http.MethodGet, "/v1/me/external_accounts", nil)
	b.JSON(http.MethodGet, "/v1/me", nil)
	b.Get("/profile")
	ea, err := e.Store.FindExternalAccount(ctx(), idp.Issuer(), "tok")
	if err != nil || len(ea.AccessToken) == 0 || len(ea.RefreshToken) == 0 {
		t.Fatalf("tokens not kept: %+v %v", ea, err)
	}
	issued := idp.Issued()
	if len(issued) < 3 {
		t.Fatalf("issued %v", issued)
	}
	for _, secret := range issued {
		switch {
		case strings.Contains(seen.String(), secret):
			t.Fatalf("the browser received a provider token")
		case strings.Contains(e.logs.String(), secret):
			t.Fatalf("a provider token was logged")
		case strings.Contains(string(ea.AccessToken)+string(ea.RefreshToken), secret):
			t.Fatalf("a provider token is stored in the clear")
		}
	}
	tok, err := e.pl.AccessToken(ctx(), uid, testStrategy)
	if err != nil || tok.AccessToken != issued[0] {
		t.Fatalf("AccessToken: %v %v", tok, err)
	}
}

func recordAll(h http.Handler, into *strings.Builder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, into: into}
		h.ServeHTTP(rec, r)
		for k, v := range w.Header() {
			into.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
	})
}

type recorder struct {
	http.ResponseWriter
	into *strings.Builder
}

func (r *recorder) Write(b []byte) (int, error) {
	r.into.Write(b)
	return r.ResponseWriter.Write(b)
}

// redirect_url must be on the allow-list, at sign-in and when connecting.
func TestRedirectURLOutsideAllowListRefused(t *testing.T) {
	e, idp := oneIdP(t, nil, func(c *latch.Config) { c.Session.AuthorizedParties = []string{"https://spa.example"} })
	idp.SignInAs(map[string]any{"sub": "r", "email": "r@example.com", "email_verified": true})
	for _, bad := range []string{"https://evil.example/", "//evil.example", "https://spa.example.evil.example/", "javascript:alert(1)"} {
		b := latchtest.NewBrowser(e.Auth.Handler())
		status, out := b.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"strategy": testStrategy, "redirect_url": bad})
		if status < 400 {
			t.Fatalf("sign-in with redirect_url %q: %d %v", bad, status, out)
		}
	}
	b := latchtest.NewBrowser(e.Auth.Handler())
	status, si := b.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"strategy": testStrategy, "redirect_url": "https://spa.example/done"})
	if status != http.StatusOK {
		t.Fatalf("allowed redirect: %d %v", status, si)
	}
	ext := si["first_factor_verification"].(map[string]any)["external_verification_redirect_url"].(string)
	back, _ := atProvider(t, idp, ext)
	if got := b.Get(back.RequestURI()).Header.Get("Location"); got != "https://spa.example/done" {
		t.Fatalf("completed to %q", got)
	}
	status, out := b.JSON(http.MethodPost, "/v1/me/external_accounts", map[string]any{"strategy": testStrategy, "redirect_url": "https://evil.example/"})
	if status < 400 {
		t.Fatalf("connect with a foreign redirect_url: %d %v", status, out)
	}
}

// RFC 9207: a provider whose discovery says it sends iss must send it; an
// answer without it (stripped by an attacker mixing providers) is
// refused.
func TestIssParameterRequiredWhenAdvertised(t *testing.T) {
	e, idp := oneIdP(t, nil)
	idp.SignInAs(map[string]any{"sub": "i-1", "email": "i@example.com", "email_verified": true})
	b := latchtest.NewBrowser(e.Auth.Handler())
	back, _ := atProvider(t, idp, start(t, b, testStrategy))
	q := back.Query()
	q.Del("iss")
	refusedCallback(t, b, b.Get(back.Path+"?"+q.Encode()))
}

// An account at the provider that is already another user's cannot be
// connected to a second user: the connection is refused, and the owner
// keeps it.
func TestConnectingAnotherUsersAccountRefused(t *testing.T) {
	e, idp := oneIdP(t, nil)
	idp.SignInAs(map[string]any{"sub": "shared", "email": "owner@example.com", "email_verified": true})
	owner := latchtest.NewBrowser(e.Auth.Handler())
	signIn(t, e, owner, testStrategy)
	ownerID := signedInAs(t, owner)

	other := newUser(t, e, "other@example.com")
	b := latchtest.NewBrowser(e.Auth.Handler())
	latchtest.SignIn(t, e.Auth, b, other.ID)
	status, out := b.JSON(http.MethodPost, "/v1/me/external_accounts", map[string]any{"strategy": testStrategy})
	if status != http.StatusOK {
		t.Fatalf("connect: %d %v", status, out)
	}
	back, _ := atProvider(t, idp, out["external_verification_redirect_url"].(string))
	if res := b.Get(back.RequestURI()); res.StatusCode != http.StatusConflict {
		t.Fatalf("connecting another user's account: %d", res.StatusCode)
	}
	if ea, err := e.Store.FindExternalAccount(ctx(), idp.Issuer(), "shared"); err != nil || ea.UserID != ownerID {
		t.Fatalf("the account moved: %+v %v", ea, err)
	}
	// And a connection's answer is the session's own: another session
	// cannot use it.
	status, out = b.JSON(http.MethodPost, "/v1/me/external_accounts", map[string]any{"strategy": testStrategy})
	if status != http.StatusOK {
		t.Fatalf("connect: %d %v", status, out)
	}
	back, _ = atProvider(t, idp, out["external_verification_redirect_url"].(string))
	if res := owner.Get(back.RequestURI()); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("another session's connection answer: %d", res.StatusCode)
	}
}
