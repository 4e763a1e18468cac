// Package oidc runs Latch's social sign-in against real OpenID Providers
// in-process: zitadel's OpenID Provider (its op package and example
// storage, with its own login page), driven through the JSON API and
// through headless Chromium, and mockoidc for adversarial answers. It is
// its own module, so that these test peers stay out of the library's
// go.mod.
package oidc

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/sso"
	"github.com/latchauth/latch/storage/memstore"
)

// The account of zitadel's example user store that the tests sign in as.
const (
	zitadelUser     = "test-user2"
	zitadelPassword = "verysecure"
	zitadelEmail    = "test-user2@zitadel.ch"
)

// op is a zitadel OpenID Provider for one client.
type op struct {
	Issuer, ClientID, ClientSecret string
	srv                            *httptest.Server
}

// newOP starts zitadel's OpenID Provider with a web client (client secret
// by HTTP Basic, PKCE) allowed to come back to redirects.
func newOP(t testing.TB, redirects ...string) *op {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	o := &op{Issuer: issuer, ClientID: "latch-web", ClientSecret: "latch-web-secret", srv: srv}
	client := storage.WebClient(o.ClientID, o.ClientSecret, redirects...)
	st := storage.NewStorageWithClients(storage.NewUserStore(issuer), map[string]*storage.Client{o.ClientID: client})
	srv.Config.Handler = exampleop.SetupServer(issuer, st, nil, false)
	srv.Start()
	t.Cleanup(srv.Close)
	return o
}

// app is Latch with the sso plugin, served over HTTP so that a real
// browser can reach it; its clock is real time, as the provider's is.
type app struct {
	*latchtest.Harness
	URL  string
	pl   *sso.Plugin
	skew atomic.Int64 // added to the app's clock
}

func newApp(t testing.TB, providers func(baseURL string) []sso.Provider) *app {
	t.Helper()
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	pl := sso.New(sso.Config{Providers: providers(srv.URL)})
	a := &app{URL: srv.URL, pl: pl}
	now := func() time.Time { return time.Now().Add(time.Duration(a.skew.Load())) }
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Store: memstore.New(), BaseURL: srv.URL, AppName: "OIDC E2E",
		Clock: now, Plugins: []latch.Plugin{pl}}})
	mux := http.NewServeMux()
	mux.Handle("/", h.Auth.Handler())
	mux.Handle("GET /{$}", h.Auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := latch.SessionFromContext(r.Context()); s != nil {
			_, _ = io.WriteString(w, "<!doctype html><title>Home</title><p id=status>signed in as "+html.EscapeString(s.UserID)+"</p>")
			return
		}
		_, _ = io.WriteString(w, "<!doctype html><title>Home</title><p id=status>signed out</p>")
	})))
	handler = mux
	h.App = mux
	a.Harness = h
	return a
}

func zitadelProvider(o *op) sso.Provider {
	p := sso.OIDC("zitadel", "Zitadel", o.Issuer, o.ClientID, o.ClientSecret)
	p.VerifiesEmail = true
	p.Scopes = append(p.Scopes, "offline_access") // a refresh token
	return p
}

// zitadelApp is an app whose one provider is a fresh zitadel OP.
func zitadelApp(t testing.TB) (*app, *op) {
	var o *op
	a := newApp(t, func(base string) []sso.Provider {
		o = newOP(t, base+"/v1/callback/oauth_custom_zitadel", base+"/v1/me/external_accounts/callback/oauth_custom_zitadel")
		return []sso.Provider{zitadelProvider(o)}
	})
	return a, o
}

var hiddenID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// loginAtZitadel follows external to zitadel's login page, signs in there
// as the example user, and returns the URL the provider sends the browser
// back to (on the app).
func loginAtZitadel(t testing.TB, appURL, external string) *url.URL {
	t.Helper()
	app, _ := url.Parse(appURL)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Host == app.Host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	res, err := c.Get(external)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := hiddenID.FindSubmatch(page)
	if m == nil {
		t.Fatalf("not zitadel's login page (%d at %s):\n%s", res.StatusCode, res.Request.URL, page)
	}
	login := *res.Request.URL
	login.RawQuery = ""
	res, err = c.PostForm(login.String(), url.Values{"id": {string(m[1])}, "username": {zitadelUser}, "password": {zitadelPassword}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || back.Host != app.Host {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("the provider did not send the browser back (%d, %q): %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	return back
}

func startSignIn(t testing.TB, b *latchtest.Browser, strategy string) string {
	t.Helper()
	status, si := b.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"strategy": strategy})
	if status != http.StatusOK {
		t.Fatalf("start: %d %v", status, si)
	}
	v, _ := si["first_factor_verification"].(map[string]any)
	external, _ := v["external_verification_redirect_url"].(string)
	return external
}

func me(b *latchtest.Browser) map[string]any {
	if status, out := b.JSON(http.MethodGet, "/v1/me", nil); status == http.StatusOK {
		return out
	}
	return nil
}

// A new user signs up through zitadel's OpenID Provider and its login
// page, through the JSON API: the verified address is the provider's,
// the account is (issuer, subject), and signing in again finds it.
func TestSignInThroughZitadelJSONAPI(t *testing.T) {
	a, o := zitadelApp(t)
	b := latchtest.NewBrowser(a.App)
	back := loginAtZitadel(t, a.URL, startSignIn(t, b, "oauth_custom_zitadel"))
	if back.Path != "/v1/callback/oauth_custom_zitadel" {
		t.Fatalf("callback %s", back)
	}
	res := b.Get(back.RequestURI())
	if res.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("callback: %d %s", res.StatusCode, body)
	}
	u := me(b)
	if u == nil {
		t.Fatal("not signed in")
	}
	addrs, _ := u["email_addresses"].([]any)
	if len(addrs) != 1 || addrs[0].(map[string]any)["value"] != zitadelEmail || addrs[0].(map[string]any)["verified"] != true {
		t.Fatalf("user %v", u)
	}
	ea, err := a.Store.FindExternalAccount(context.Background(), o.Issuer, "id2")
	if err != nil || ea.UserID != u["id"] {
		t.Fatalf("external account %+v %v", ea, err)
	}
	tok, err := a.pl.AccessToken(context.Background(), ea.UserID, "oauth_custom_zitadel")
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("access token: %v", err)
	}
	// Once it has expired (by the app's clock), the back end gets a new
	// one, refreshed at zitadel's token endpoint.
	a.skew.Store(int64(2 * time.Hour))
	fresh, err := a.pl.AccessToken(context.Background(), ea.UserID, "oauth_custom_zitadel")
	if err != nil || fresh.AccessToken == "" || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("refreshed access token: %v", err)
	}
	a.skew.Store(0)

	b2 := latchtest.NewBrowser(a.App)
	back = loginAtZitadel(t, a.URL, startSignIn(t, b2, "oauth_custom_zitadel"))
	b2.Get(back.RequestURI())
	if u2 := me(b2); u2 == nil || u2["id"] != u["id"] {
		t.Fatalf("second sign-in: %v", u2)
	}
}

// The same through the hosted pages in headless Chromium: the "Continue
// with Zitadel" button of the sign-up page (a new user) and of the
// sign-in page (the same user again), zitadel's own login form, and back
// to the app signed in as the same user.
func TestSignInThroughZitadelInChromium(t *testing.T) {
	chrome := os.Getenv("LATCH_TEST_CHROME")
	if chrome == "" {
		t.Skip("LATCH_TEST_CHROME is not set: no browser to drive")
	}
	a, _ := zitadelApp(t)
	first := chromeSignIn(t, chrome, a.URL+"/sign-up")
	if !strings.HasPrefix(first, "signed in as user_") {
		t.Fatalf("after signing up through the provider: %q", first)
	}
	if again := chromeSignIn(t, chrome, a.URL+"/sign-in"); again != first {
		t.Fatalf("signing in again: %q, want %q", again, first)
	}
}

// chromeSignIn opens page in a fresh Chromium, presses the provider's
// button, signs in on zitadel's login page, and returns what the app's
// home page then says.
func chromeSignIn(t *testing.T, chrome, page string) string {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(chrome), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true), chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir())}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	if err := chromedp.Do(tab); err != nil { // starts the browser, bound to tab
		t.Fatal(err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(tab, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(tab, chromedp.Location())
			t.Fatalf("%s: %v (at %s)", what, err, loc)
		}
	}
	button := chromedp.CSS(`button[value="oauth_custom_zitadel"]`)
	step("the app's page", chromedp.Navigate(page), chromedp.WaitVisible(button))
	step("to the provider", chromedp.Click(button), chromedp.WaitVisible(chromedp.CSS(`#username`)))
	step("the provider's login", chromedp.SendKeys(chromedp.CSS(`#username`), zitadelUser),
		chromedp.SendKeys(chromedp.CSS(`#password`), zitadelPassword+"\r"), chromedp.WaitVisible(chromedp.CSS(`#status`)))
	status, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#status`)))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(status)
}

// BenchmarkSocialSignIn is one whole social sign-in through the
// in-process zitadel provider: the JSON API's start, the provider's login
// page and form, its redirect back, the token exchange and ID token
// verification, and the session (a new user first, then returning users).
func BenchmarkSocialSignIn(b *testing.B) {
	a, _ := zitadelApp(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		br := latchtest.NewBrowser(a.App)
		back := loginAtZitadel(b, a.URL, startSignIn(b, br, "oauth_custom_zitadel"))
		if res := br.Get(back.RequestURI()); res.StatusCode != http.StatusSeeOther {
			b.Fatalf("callback: %d", res.StatusCode)
		}
	}
}
