package oidc

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"

	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/sso"
)

func runMock(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

func mockProvider(key string, m *mockoidc.MockOIDC) sso.Provider {
	c := m.Config()
	p := sso.OIDC(key, key, c.Issuer, c.ClientID, c.ClientSecret)
	p.VerifiesEmail = true
	// mockoidc reads the client's credentials from the form alone, though
	// its discovery lists client_secret_basic first.
	p.AuthStyle = oauth2.AuthStyleInParams
	return p
}

// answer follows external to mockoidc, which answers at once, and returns
// the URL it sends the browser back to.
func answer(t *testing.T, external string) *url.URL {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(external)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound && res.StatusCode != http.StatusSeeOther {
		t.Fatalf("mockoidc answered %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	return back
}

func refused(t *testing.T, b *latchtest.Browser, res *http.Response) {
	t.Helper()
	if res.StatusCode < 400 {
		t.Fatalf("accepted: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if me(b) != nil {
		t.Fatal("signed in")
	}
}

// mockoidc as a second, independent OpenID Provider: a sign-in through it
// works, and its tokens issued by a clock an hour ahead (iat in the
// future) or an hour behind (expired) are refused.
func TestMockOIDCTokensOutOfTimeRefused(t *testing.T) {
	m := runMock(t)
	a := newApp(t, func(string) []sso.Provider { return []sso.Provider{mockProvider("mock", m)} })
	b := latchtest.NewBrowser(a.App)
	m.QueueUser(&mockoidc.MockUser{Subject: "m-1", Email: "m1@example.com", EmailVerified: true})
	if res := b.Get(answer(t, startSignIn(t, b, "oauth_custom_mock")).RequestURI()); res.StatusCode != http.StatusSeeOther || me(b) == nil {
		t.Fatalf("a valid sign-in through mockoidc: %d", res.StatusCode)
	}
	for _, skew := range []time.Duration{time.Hour, -2 * time.Hour} {
		m.FastForward(skew)
		b := latchtest.NewBrowser(a.App)
		refused(t, b, b.Get(answer(t, startSignIn(t, b, "oauth_custom_mock")).RequestURI()))
	}
}

// Mix-up with two mockoidc instances as two providers: B's code on A's
// callback with A's state is redeemed at A, which never issued it.
func TestMockOIDCCodeFromOtherProviderRefused(t *testing.T) {
	ma, mb := runMock(t), runMock(t)
	a := newApp(t, func(string) []sso.Provider { return []sso.Provider{mockProvider("a", ma), mockProvider("b", mb)} })
	b := latchtest.NewBrowser(a.App)
	backA := answer(t, startSignIn(t, b, "oauth_custom_a"))
	other := latchtest.NewBrowser(a.App)
	backB := answer(t, startSignIn(t, other, "oauth_custom_b"))
	q := backA.Query()
	q.Set("code", backB.Query().Get("code"))
	refused(t, b, b.Get(backA.Path+"?"+q.Encode()))
}
