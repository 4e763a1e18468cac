package sso_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/sso"
	"github.com/latchauth/latch/sso/internal/idptest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// env is an app with the plugin and its providers, each an in-process
// OpenID Provider.
type env struct {
	*latchtest.Harness
	pl   *sso.Plugin
	idps map[string]*idptest.IdP // by strategy
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// generic is a generic OpenID Connect provider at idp under key.
func generic(idp *idptest.IdP, key string, verifies bool) sso.Provider {
	p := sso.OIDC(key, "Test "+key, idp.Issuer(), idp.ClientID, idp.ClientSecret)
	p.VerifiesEmail = verifies
	return p
}

type option func(*latch.Config)

func newEnv(t testing.TB, s storage.Store, providers []sso.Provider, idps map[string]*idptest.IdP, opts ...option) *env {
	t.Helper()
	if s == nil {
		s = memstore.New()
	}
	logs := &syncBuffer{}
	pl := sso.New(sso.Config{Providers: providers})
	cfg := latch.Config{Store: s, BaseURL: "https://app.example", Plugins: []latch.Plugin{pl},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, o := range opts {
		o(&cfg)
	}
	h := latchtest.NewHarness(t, latchtest.Options{Config: cfg})
	for _, idp := range idps {
		idp.Now = h.Clock.Now
	}
	return &env{Harness: h, pl: pl, idps: idps, logs: logs}
}

// oneIdP is an env with one generic provider, "oauth_custom_test", whose
// emails count as verified.
func oneIdP(t *testing.T, s storage.Store, opts ...option) (*env, *idptest.IdP) {
	idp := idptest.New(t)
	e := newEnv(t, s, []sso.Provider{generic(idp, "test", true)}, map[string]*idptest.IdP{"oauth_custom_test": idp}, opts...)
	return e, idp
}

const testStrategy = "oauth_custom_test"

// start begins a sign-in with strategy through the JSON API and returns
// where the browser is sent.
func start(t testing.TB, b *latchtest.Browser, strategy string) string {
	t.Helper()
	status, si := b.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"strategy": strategy})
	if status != http.StatusOK {
		t.Fatalf("start: %d %v", status, si)
	}
	v, _ := si["first_factor_verification"].(map[string]any)
	external, _ := v["external_verification_redirect_url"].(string)
	if external == "" {
		t.Fatalf("no external URL: %v", si)
	}
	return external
}

// atProvider follows the browser to the provider, which answers for its
// account: the URL back, and, for a form post, its fields.
func atProvider(t testing.TB, idp *idptest.IdP, external string) (*url.URL, url.Values) {
	t.Helper()
	if !strings.HasPrefix(external, idp.Server.URL+"/auth?") {
		t.Fatalf("not sent to the provider: %q", external)
	}
	c := idp.Server.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(external)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK {
		action, fields := idptest.FormFields(string(body))
		u, _ := url.Parse(action)
		return u, fields
	}
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("provider: %d %s", res.StatusCode, body)
	}
	u, _ := url.Parse(res.Header.Get("Location"))
	return u, nil
}

// signIn runs a whole sign-in with strategy on b and returns the last
// answer of the app (a redirect when it worked).
func signIn(t testing.TB, e *env, b *latchtest.Browser, strategy string) *http.Response {
	t.Helper()
	back, _ := atProvider(t, e.idps[strategy], start(t, b, strategy))
	return b.Get(back.RequestURI())
}

// crossSitePost is a provider's page posting back, without the app's
// cookies.
func crossSitePost(e *env, idp *idptest.IdP, back *url.URL, fields url.Values) *http.Response {
	r := httptest.NewRequest(http.MethodPost, back.RequestURI(), strings.NewReader(fields.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", idp.Server.URL)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	e.Auth.Handler().ServeHTTP(rec, r)
	return rec.Result()
}

func me(b *latchtest.Browser) map[string]any {
	status, out := b.JSON(http.MethodGet, "/v1/me", nil)
	if status != http.StatusOK {
		return nil
	}
	return out
}

func signedInAs(t *testing.T, b *latchtest.Browser) string {
	t.Helper()
	u := me(b)
	if u == nil {
		return ""
	}
	id, _ := u["id"].(string)
	return id
}

func body(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func ctx() context.Context { return context.Background() }

func newUser(t *testing.T, e *env, email string) *latch.User {
	t.Helper()
	u, err := e.Auth.CreateUser(ctx(), latch.CreateUserParams{EmailAddresses: []string{email}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}
