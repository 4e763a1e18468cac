package fakeidp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/fakeidp"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// app is an Auth with the provider's plugin, on store s.
type app struct {
	*latchtest.Harness
	idp *fakeidp.Provider
	pl  *fakeidp.Plugin
}

func newApp(t *testing.T, s storage.Store, formPost bool) *app {
	idp := fakeidp.New(t)
	idp.FormPost = formPost
	pl := &fakeidp.Plugin{Provider: idp}
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Store: s, BaseURL: "https://app.example",
		Plugins: []latch.Plugin{pl}}})
	return &app{Harness: h, idp: idp, pl: pl}
}

// atProvider follows the browser to the provider, which answers for the
// account it was told to: the redirect back (a URL) or, with form_post,
// the page that posts back (its action and fields).
func (e *app) atProvider(t *testing.T, external string) (back *url.URL, fields url.Values) {
	t.Helper()
	if !strings.HasPrefix(external, e.idp.Issuer()+"/authorize?") {
		t.Fatalf("not sent to the provider: %q", external)
	}
	c := e.idp.Server.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(external)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if e.idp.FormPost {
		action, fields := fakeidp.FormFields(string(body))
		u, _ := url.Parse(action)
		return u, fields
	}
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("provider: %d %s", res.StatusCode, body)
	}
	u, _ := url.Parse(res.Header.Get("Location"))
	return u, nil
}

// crossSitePost is the provider's page posting back, as a browser sends
// it: from the provider's origin, without the app's SameSite=Lax cookies.
func (e *app) crossSitePost(back *url.URL, fields url.Values) *http.Response {
	r := httptest.NewRequest(http.MethodPost, back.RequestURI(), strings.NewReader(fields.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", e.idp.Issuer())
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	e.Auth.Handler().ServeHTTP(rec, r)
	return rec.Result()
}

func me(t *testing.T, b *latchtest.Browser) map[string]any {
	t.Helper()
	status, out := b.JSON(http.MethodGet, "/v1/me", nil)
	if status != http.StatusOK {
		return nil
	}
	return out
}

func location(t *testing.T, res *http.Response) string {
	t.Helper()
	if res.StatusCode == http.StatusOK {
		// The sign-in form's answer that leaves for the provider: a page
		// refreshing to it.
		page, _ := io.ReadAll(res.Body)
		if _, rest, ok := strings.Cut(string(page), `<a id="latch-leave" href="`); ok {
			return strings.ReplaceAll(rest[:strings.IndexByte(rest, '"')], "&amp;", "&")
		}
		t.Fatalf("want a redirect, got 200: %s", page)
	}
	if res.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("want a redirect, got %d: %s", res.StatusCode, body)
	}
	return res.Header.Get("Location")
}

// A new user signs up through the hosted pages: the first page offers the
// provider, the browser leaves and comes back, and the account exists with
// the provider's verified address, linked to the provider's subject.
func TestNewUserSignsUpThroughTheHostedPages(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newApp(t, s, false)
		e.idp.SignInAs(fakeidp.Account{Subject: "u-1", Email: "ada@example.com", EmailVerified: true, FirstName: "Ada", LastName: "Lovelace"})
		b := latchtest.NewBrowser(e.Auth.Handler())
		page, _ := io.ReadAll(b.Get("/sign-in").Body)
		if !strings.Contains(string(page), "Continue with Fake IdP") || !strings.Contains(string(page), `value="oauth_fake"`) {
			t.Fatalf("the first page does not offer the provider:\n%s", page)
		}
		back, _ := e.atProvider(t, location(t, b.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"oauth_fake"}, "redirect_url": {"/welcome"}})))
		if back.Path != "/v1/callback/oauth_fake" {
			t.Fatalf("the provider sent the browser to %s, not the strategy's own callback", back)
		}
		if got := location(t, b.Get(back.RequestURI())); got != "/welcome" {
			t.Fatalf("after the callback: %q", got)
		}
		u := me(t, b)
		if u == nil || u["first_name"] != "Ada" {
			t.Fatalf("not signed in as the new user: %v", u)
		}
		users, _, _ := e.Auth.ListUsers(context.Background(), latch.ListUsersParams{EmailAddress: "ada@example.com"})
		if len(users) != 1 || !users[0].EmailAddresses[0].Verified {
			t.Fatalf("users: %+v", users)
		}
		ea, err := s.FindExternalAccount(context.Background(), e.idp.Issuer(), "u-1")
		if err != nil || ea.UserID != users[0].ID || ea.Provider != "oauth_fake" {
			t.Fatalf("external account: %+v %v", ea, err)
		}

		// Signing in again finds the same user by the provider's subject,
		// whatever address the provider now reports.
		e.idp.SignInAs(fakeidp.Account{Subject: "u-1", Email: "ada@elsewhere.example"})
		b2 := latchtest.NewBrowser(e.Auth.Handler())
		back, _ = e.atProvider(t, location(t, b2.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"oauth_fake"}})))
		location(t, b2.Get(back.RequestURI()))
		if u := me(t, b2); u == nil || u["id"] != users[0].ID {
			t.Fatalf("the second sign-in: %v", u)
		}
	})
}

// An existing user whose verified address the provider verified too signs
// in through the JSON API, and the provider is linked to them.
func TestExistingUserSignsInThroughTheJSONAPI(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newApp(t, s, false)
		u, err := e.Auth.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"grace@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		e.idp.SignInAs(fakeidp.Account{Subject: "g-7", Email: "Grace@Example.com", EmailVerified: true})
		b := latchtest.NewBrowser(e.Auth.Handler())
		status, si := b.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"strategy": "oauth_fake"})
		if status != http.StatusOK {
			t.Fatalf("start: %d %v", status, si)
		}
		v, _ := si["first_factor_verification"].(map[string]any)
		external, _ := v["external_verification_redirect_url"].(string)
		back, _ := e.atProvider(t, external)
		location(t, b.Get(back.RequestURI()))
		if got := me(t, b); got == nil || got["id"] != u.ID {
			t.Fatalf("signed in as %v, want %s", got, u.ID)
		}
		if ea, err := s.FindExternalAccount(context.Background(), e.idp.Issuer(), "g-7"); err != nil || ea.UserID != u.ID {
			t.Fatalf("not linked: %+v %v", ea, err)
		}
	})
}

// A provider that answers by a cross-site form post (form_post, SAML's
// HTTP-POST binding): the post carries none of the app's SameSite=Lax
// cookies, so the answer is checked and kept, and a page of the app's own
// origin continues the flow in the browser that started it.
func TestCrossSitePostCallbackLandsOnTheBrowsersOwnClient(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newApp(t, s, true)
		e.idp.SignInAs(fakeidp.Account{Subject: "k-1", Email: "kat@example.com", EmailVerified: true})
		b := latchtest.NewBrowser(e.Auth.Handler())
		back, fields := e.atProvider(t, location(t, b.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"oauth_fake"}})))
		res := e.crossSitePost(back, fields)
		page, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || len(res.Cookies()) != 0 {
			t.Fatalf("cross-site post: %d %v\n%s", res.StatusCode, res.Cookies(), page)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline';") && strings.Contains(csp, "script-src 'unsafe-inline'") {
			t.Fatalf("continue page CSP: %q", csp)
		}
		action, form := fakeidp.FormFields(string(page))
		if action != "/v1/continue" || !strings.Contains(string(page), `<script src="/v1/continue.js"`) || !strings.Contains(string(page), "<noscript>") {
			t.Fatalf("continue page:\n%s", page)
		}
		if me(t, b) != nil {
			t.Fatal("signed in before the browser continued")
		}
		location(t, b.Post(action, form))
		if got := me(t, b); got == nil {
			t.Fatal("not signed in after continuing")
		}
	})
}

// nOAuth: an attacker's account at a provider that does not verify
// addresses claims the victim's address. It never reaches the victim's
// account: the sign-in becomes a sign-up whose address still has to be
// verified.
func TestUnverifiedProviderEmailNeverLinksAnAccount(t *testing.T) {
	e := newApp(t, nil, false)
	victim, err := e.Auth.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"victim@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	e.idp.SignInAs(fakeidp.Account{Subject: "attacker", Email: "victim@example.com", EmailVerified: false})
	b := latchtest.NewBrowser(e.Auth.Handler())
	back, _ := e.atProvider(t, location(t, b.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"oauth_fake"}})))
	next := location(t, b.Get(back.RequestURI()))
	if !strings.HasPrefix(next, "/sign-up?") {
		t.Fatalf("after the callback: %q, want the sign-up page", next)
	}
	if got := me(t, b); got != nil {
		t.Fatalf("signed in as %v", got["id"])
	}
	if _, err := e.Store.FindExternalAccount(context.Background(), e.idp.Issuer(), "attacker"); err == nil {
		t.Fatal("the attacker's identity was linked")
	}
	accounts, _ := e.Store.(storage.ConnectedAccountStore).ListExternalAccounts(context.Background(), victim.ID)
	if len(accounts) != 0 {
		t.Fatalf("victim's external accounts: %v", accounts)
	}
}

// Login CSRF: an attacker who starts a sign-in in their own browser and
// sends the provider's answer to a victim gets the victim signed in to
// nothing: the answer belongs to the attacker's browser.
func TestCallbackOpenedInAnotherBrowserSignsNobodyIn(t *testing.T) {
	for _, formPost := range []bool{false, true} {
		e := newApp(t, nil, formPost)
		e.idp.SignInAs(fakeidp.Account{Subject: "mallory", Email: "mallory@example.com", EmailVerified: true})
		attacker := latchtest.NewBrowser(e.Auth.Handler())
		back, fields := e.atProvider(t, location(t, attacker.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"oauth_fake"}})))
		victim := latchtest.NewBrowser(e.Auth.Handler())
		var page []byte
		if formPost {
			page, _ = io.ReadAll(e.crossSitePost(back, fields).Body)
		} else {
			res := victim.Get(back.RequestURI())
			page, _ = io.ReadAll(res.Body)
		}
		action, form := fakeidp.FormFields(string(page))
		if action == "" && !formPost {
			t.Fatalf("the victim's callback was not held for its own browser to continue:\n%s", page)
		}
		if action != "" {
			res := victim.Post(action, form)
			if res.StatusCode == http.StatusSeeOther {
				t.Fatalf("form_post=%v: the victim's continue went on to %s", formPost, res.Header.Get("Location"))
			}
		}
		if got := me(t, victim); got != nil {
			t.Fatalf("form_post=%v: the victim is signed in as %v", formPost, got["id"])
		}
	}
}

// A provider's answer is single use: replaying the callback URL, even in
// the browser that started the sign-in, changes nothing.
func TestReplayedCallbackIsRefused(t *testing.T) {
	e := newApp(t, nil, false)
	e.idp.SignInAs(fakeidp.Account{Subject: "r-1", Email: "rita@example.com", EmailVerified: true})
	b := latchtest.NewBrowser(e.Auth.Handler())
	back, _ := e.atProvider(t, location(t, b.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"oauth_fake"}})))
	location(t, b.Get(back.RequestURI()))
	other := latchtest.NewBrowser(e.Auth.Handler())
	if res := other.Get(back.RequestURI()); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback: %d", res.StatusCode)
	}
	if res := b.Get(back.RequestURI()); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback in the same browser: %d", res.StatusCode)
	}
}

// Mix-up: with two providers, an answer meant for one, delivered to the
// other's callback, is refused there; each strategy has its own callback
// path and its states are its own.
func TestAnswerForOneProviderIsRefusedAtAnother(t *testing.T) {
	one, other := fakeidp.New(t), fakeidp.New(t)
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{BaseURL: "https://app.example", Plugins: []latch.Plugin{
		&fakeidp.Plugin{Provider: one, Strategy: "oauth_one"}, &fakeidp.Plugin{Provider: other, Strategy: "oauth_other"}}}})
	one.SignInAs(fakeidp.Account{Subject: "s-1", Email: "sam@example.com", EmailVerified: true})
	e := &app{Harness: h, idp: one}
	b := latchtest.NewBrowser(h.Auth.Handler())
	back, _ := e.atProvider(t, location(t, b.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"oauth_one"}})))
	if back.Path != "/v1/callback/oauth_one" {
		t.Fatalf("callback: %s", back.Path)
	}
	wrong := *back
	wrong.Path = "/v1/callback/oauth_other"
	if res := b.Get(wrong.RequestURI()); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("the other provider's callback took the answer: %d", res.StatusCode)
	}
	if me(t, b) != nil {
		t.Fatal("signed in through the wrong callback")
	}
	// The answer still works where it belongs.
	location(t, b.Get(back.RequestURI()))
	if me(t, b) == nil {
		t.Fatal("the right callback refused its own answer")
	}
}

// The plugin's other parts, on Host alone: its sign-up hook records, in
// the transaction that creates the user, an event its durable consumer
// receives, and its claim is in the session tokens of linked users, where
// latch.Claim reads it.
func TestPluginAddsAClaimASignUpHookAndAConsumer(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newApp(t, s, false)
		mux := http.NewServeMux()
		mux.Handle("/", e.Auth.Handler())
		mux.Handle("GET /linked", e.Auth.Protect(latch.Claim(e.pl.Claim(), "oauth_fake"))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("linked"))
		})))
		handler := e.Auth.Middleware(mux)

		// A new user signs up through the provider.
		e.idp.SignInAs(fakeidp.Account{Subject: "n-1", Email: "nia@example.com", EmailVerified: true})
		b := latchtest.NewBrowser(handler)
		back, _ := e.atProvider(t, location(t, b.Post("/sign-in", url.Values{"intent": {"use_strategy"}, "strategy": {"oauth_fake"}})))
		location(t, b.Get(back.RequestURI()))
		u := me(t, b)
		if u == nil {
			t.Fatal("not signed in")
		}
		if res := b.Get("/linked"); res.StatusCode != http.StatusOK {
			t.Fatalf("the plugin's claim does not pass latch.Claim: %d", res.StatusCode)
		}
		var got []latch.Event
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if got = e.pl.Provisioned(); len(got) > 0 {
				break
			}
		}
		if len(got) != 1 || got[0].Type != e.pl.Event() || !strings.Contains(string(got[0].Data), u["id"].(string)) {
			t.Fatalf("the durable consumer received %+v", got)
		}

		// A user of the app who never used the provider has no such claim.
		other, err := e.Auth.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"olu@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		ob := latchtest.NewBrowser(handler)
		latchtest.SignIn(t, e.Auth, ob, other.ID)
		if res := ob.Get("/linked"); res.StatusCode == http.StatusOK {
			t.Fatal("a user not linked to the provider passed its claim check")
		}
		if n := len(e.pl.Provisioned()); n != 1 {
			t.Fatalf("%d provisioning events after a back-end user was created", n)
		}
	})
}

// A new user signs up through the JSON API: the sign-in names the
// provider's redirect, the callback creates the account, and the sign-in
// shows the sign-up it became, complete, with its session.
func TestNewUserSignsUpThroughTheJSONAPI(t *testing.T) {
	e := newApp(t, nil, false)
	e.idp.SignInAs(fakeidp.Account{Subject: "j-1", Email: "jo@example.com", EmailVerified: true})
	b := latchtest.NewBrowser(e.Auth.Handler())
	status, si := b.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"strategy": "oauth_fake", "redirect_url": "/app"})
	if status != http.StatusOK || si["status"] != latch.SignInNeedsFirstFactor {
		t.Fatalf("start: %d %v", status, si)
	}
	v, _ := si["first_factor_verification"].(map[string]any)
	back, _ := e.atProvider(t, v["external_verification_redirect_url"].(string))
	if got := location(t, b.Get(back.RequestURI())); got != "/app" {
		t.Fatalf("after the callback: %q", got)
	}
	_, si = b.JSON(http.MethodGet, "/v1/client/sign_ins/"+si["id"].(string), nil)
	if si["status"] != latch.SignInComplete || si["sign_up_id"] == nil || si["created_session_id"] == nil {
		t.Fatalf("the sign-in after the callback: %v", si)
	}
	if u := me(t, b); u == nil || u["primary_email_address"] == nil && u["email_addresses"] == nil {
		t.Fatalf("not signed in as the new user: %v", u)
	}
}
