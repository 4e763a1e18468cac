package latch_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/token"
)

const base = "https://app.example"

// app is a Latch-protected application under test.
type app struct {
	*latchtest.Harness
	handler http.Handler
}

func newApp(t testing.TB, cfg latch.Config) *app {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = base
	}
	if cfg.Secrets == nil {
		cfg.Secrets = [][]byte{[]byte(strings.Repeat("s", 32))}
	}
	h := latchtest.NewHarness(t, latchtest.Options{Config: cfg})
	mux := http.NewServeMux()
	mux.Handle("/", h.Handler())
	mux.Handle("GET /whoami", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := latch.SessionFromContext(r.Context())
		if s == nil {
			io.WriteString(w, "signed-out")
			return
		}
		io.WriteString(w, s.UserID+" "+s.ID)
	}))
	mux.Handle("GET /admin", h.Protect(latch.Role("org:admin"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "admin area")
	})))
	mux.Handle("GET /dashboard", h.RequireSignedIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "dashboard")
	})))
	return &app{Harness: h, handler: h.Middleware(mux)}
}

func (a *app) user(t testing.TB, email string) *latch.User {
	t.Helper()
	u, err := a.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{email}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (a *app) browser() *latchtest.Browser { return latchtest.NewBrowser(a.handler) }

func body(t testing.TB, res *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func whoami(t testing.TB, b *latchtest.Browser) string {
	return body(t, b.Get("/whoami"))
}

func TestSignedInRequestCarriesSession(t *testing.T) {
	a := newApp(t, latch.Config{})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	if got := whoami(t, b); got != "signed-out" {
		t.Fatalf("before sign-in: %q", got)
	}
	s := latchtest.SignIn(t, a.Auth, b, u.ID)
	if got := whoami(t, b); got != u.ID+" "+s.ID {
		t.Fatalf("after sign-in: %q, want %s %s", got, u.ID, s.ID)
	}
	// A bearer token works without cookies (other services, native apps).
	r := httptest.NewRequest("GET", "/whoami", nil)
	r.Header.Set("Authorization", "Bearer "+s.Token)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, r)
	if rec.Body.String() != u.ID+" "+s.ID {
		t.Errorf("bearer: %q", rec.Body.String())
	}
}

func TestSessionFixation(t *testing.T) {
	a := newApp(t, latch.Config{})
	attacker, victim := a.user(t, "mallory@example.com"), a.user(t, "ada@example.com")

	// The attacker obtains a valid client cookie and plants it in the
	// victim's browser before the victim signs in.
	ab := a.browser()
	latchtest.SignIn(t, a.Auth, ab, attacker.ID)
	planted := ab.Cookie("__Host-latch_client")
	vb := a.browser()
	vb.SetCookie("__Host-latch_client", planted)
	latchtest.SignIn(t, a.Auth, vb, victim.ID)
	if vb.Cookie("__Host-latch_client") == planted {
		t.Fatal("sign-in kept the planted client secret")
	}

	// The attacker's copy of the planted cookie must not reach the victim's
	// session, even once the session token needs refreshing.
	stale := a.browser()
	stale.SetCookie("__Host-latch_client", planted)
	// A session cookie that proves nothing makes the middleware refresh
	// the client's active session, which is now the victim's.
	stale.SetCookie("__Host-latch_session", "garbage")
	a.Clock.Advance(2 * time.Minute)
	if got := whoami(t, stale); got != "signed-out" {
		t.Fatalf("planted pre-auth cookie reaches a session after the victim signed in: %q", got)
	}
	if got := whoami(t, vb); !strings.HasPrefix(got, victim.ID) {
		t.Errorf("victim lost their session: %q", got)
	}
}

func TestCookieAttributes(t *testing.T) {
	for _, c := range []struct {
		base   string
		prefix string
		secure bool
	}{{"https://app.example", "__Host-", true}, {"http://localhost:8080", "", false}} {
		a := newApp(t, latch.Config{BaseURL: c.base})
		u := a.user(t, "ada@example.com")
		r := httptest.NewRequest("POST", "/", nil)
		rec := httptest.NewRecorder()
		if _, err := a.CreateSession(ctx, rec, r, u.ID, latch.SessionParams{}); err != nil {
			t.Fatal(err)
		}
		cookies := rec.Result().Cookies()
		if len(cookies) != 3 {
			t.Fatalf("%s: %d cookies set, want client, session and device", c.base, len(cookies))
		}
		for _, ck := range cookies {
			if !strings.HasPrefix(ck.Name, c.prefix+"latch_") || ck.Secure != c.secure || !ck.HttpOnly || ck.Path != "/" ||
				ck.Domain != "" || ck.SameSite != http.SameSiteLaxMode || len(ck.String()) > 4096 {
				t.Errorf("%s: cookie %s has attributes %q", c.base, ck.Name, ck.String())
			}
		}
	}
}

func TestForgedTokensAreRefused(t *testing.T) {
	a := newApp(t, latch.Config{})
	u := a.user(t, "ada@example.com")
	s := latchtest.SignIn(t, a.Auth, a.browser(), u.ID)
	parts := strings.Split(s.Token, ".")
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	enc := func(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) }
	jwksBody := body(t, a.browser().Get("/.well-known/jwks.json"))

	hs := func(key []byte) string {
		in := enc(`{"alg":"HS256","typ":"JWT","kid":"`+kidOf(t, s.Token)+`"}`) + "." + parts[1]
		m := hmac.New(sha256.New, key)
		m.Write([]byte(in))
		return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	forged := map[string]string{
		"alg none":              enc(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".",
		"HS256 with public key": hs([]byte(jwksBody)),
		"embedded jwk":          enc(`{"alg":"EdDSA","jwk":{"kty":"OKP","crv":"Ed25519","x":"AAAA"}}`) + "." + parts[1] + "." + parts[2],
		"jku":                   enc(`{"alg":"EdDSA","kid":"`+kidOf(t, s.Token)+`","jku":"https://evil.test/jwks"}`) + "." + parts[1] + "." + parts[2],
		"kid injection":         enc(`{"alg":"EdDSA","kid":"../../dev/null"}`) + "." + parts[1] + "." + parts[2],
		"tampered payload":      parts[0] + "." + enc(strings.Replace(string(claims), u.ID, "user_someoneelse0000000000000", 1)) + "." + parts[2],
		"oversized":             strings.Repeat(".", 1<<20),
	}
	for name, tok := range forged {
		r := httptest.NewRequest("GET", "/whoami", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, r)
		if rec.Body.String() != "signed-out" {
			t.Errorf("%s: accepted as %q", name, rec.Body.String())
		}
	}
}

func kidOf(t testing.TB, tok string) string {
	t.Helper()
	h, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	var hdr struct{ Kid string }
	_ = json.Unmarshal(h, &hdr)
	return hdr.Kid
}

func TestExpiredAndForgedTokenIsNotRefreshedAsItsSession(t *testing.T) {
	a := newApp(t, latch.Config{})
	victim := a.user(t, "ada@example.com")
	s := latchtest.SignIn(t, a.Auth, a.browser(), victim.ID)
	a.Clock.Advance(5 * time.Minute)
	// An attacker with only an expired token, re-signed, and no client
	// cookie must get nothing: the refresh needs the client cookie.
	parts := strings.Split(s.Token, ".")
	b := a.browser()
	b.SetCookie("__Host-latch_session", parts[0]+"."+parts[1]+".AAAA")
	if got := whoami(t, b); got != "signed-out" {
		t.Fatalf("forged expired token refreshed into %q", got)
	}
	b.SetCookie("__Host-latch_session", s.Token)
	if got := whoami(t, b); got != "signed-out" {
		t.Fatalf("expired token without client cookie refreshed into %q", got)
	}
}

func TestExpiredTokenRefreshesFromClientCookie(t *testing.T) {
	a := newApp(t, latch.Config{})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	s := latchtest.SignIn(t, a.Auth, b, u.ID)
	a.Clock.Advance(61 * time.Second)
	if got := whoami(t, b); got != u.ID+" "+s.ID {
		t.Fatalf("after expiry: %q", got)
	}
	if b.Cookie("__Host-latch_session") == s.Token {
		t.Error("no new token was set")
	}
	sess, _ := a.Store.GetSession(ctx, s.ID)
	if !sess.LastActiveAt.Equal(latchtest.Start.Add(61 * time.Second)) {
		t.Errorf("last active = %v, want the refresh time", sess.LastActiveAt)
	}
}

func TestRevokedSessionRefused(t *testing.T) {
	a := newApp(t, latch.Config{})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	s := latchtest.SignIn(t, a.Auth, b, u.ID)
	if err := a.RevokeSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if got := whoami(t, b); got != "signed-out" {
		t.Fatalf("revoked session still accepted on this instance: %q", got)
	}
	// Another instance that has not heard of the revocation accepts the
	// token until it expires, and refuses to refresh it.
	other := newAppOnStore(t, a)
	ob := latchtest.NewBrowser(other.handler)
	for _, c := range b.Cookies() {
		ob.SetCookie(c.Name, c.Value)
	}
	ob.SetCookie("__Host-latch_session", s.Token)
	a.Clock.Advance(61 * time.Second)
	if got := whoami(t, ob); got != "signed-out" {
		t.Fatalf("revoked session refreshed on another instance: %q", got)
	}
}

// newAppOnStore is a second instance of a's application: same store, same
// secrets, same clock.
func newAppOnStore(t testing.TB, a *app) *app { return instanceOf(t, a, nil) }

func TestBannedUserCannotRefresh(t *testing.T) {
	a := newApp(t, latch.Config{})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	latchtest.SignIn(t, a.Auth, b, u.ID)
	if err := a.BanUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(61 * time.Second)
	if got := whoami(t, b); got != "signed-out" {
		t.Fatalf("banned user refreshed: %q", got)
	}
	r := httptest.NewRequest("POST", "/", nil)
	if _, err := a.CreateSession(ctx, httptest.NewRecorder(), r, u.ID, latch.SessionParams{}); err == nil {
		t.Error("banned user got a new session")
	}
}

func TestRotationLogsNobodyOut(t *testing.T) {
	a := newApp(t, latch.Config{})
	other := newAppOnStore(t, a)
	u := a.user(t, "ada@example.com")
	b := a.browser()
	s := latchtest.SignIn(t, a.Auth, b, u.ID)
	oldKid := kidOf(t, s.Token)
	if err := a.RotateSigningKeys(ctx); err == nil {
		t.Fatal("rotated to a key that other instances may not have loaded yet")
	}
	// The other instance signs with the key it loaded before the rotation.
	ob := latchtest.NewBrowser(other.handler)
	os := latchtest.SignIn(t, other.Auth, ob, u.ID)

	a.Clock.Advance(2 * time.Minute)
	if err := a.RotateSigningKeys(ctx); err != nil {
		t.Fatal(err)
	}
	// Tokens signed before the rotation, by either instance, still verify.
	for _, tok := range []string{s.Token, os.Token} {
		if _, err := a.Verifier().Verify(tok); err != nil && !strings.Contains(err.Error(), "expired") {
			t.Errorf("pre-rotation token refused: %v", err)
		}
	}
	if got := whoami(t, b); !strings.HasPrefix(got, u.ID) {
		t.Fatalf("signed out by rotation: %q", got)
	}
	if kidOf(t, b.Cookie("__Host-latch_session")) == oldKid {
		t.Error("refresh after rotation still signs with the old key")
	}
	// The other instance, which has not reloaded yet, verifies tokens of
	// the new key: it was published as next before the rotation.
	r := httptest.NewRequest("GET", "/whoami", nil)
	r.Header.Set("Authorization", "Bearer "+b.Cookie("__Host-latch_session"))
	rec := httptest.NewRecorder()
	other.handler.ServeHTTP(rec, r)
	if !strings.HasPrefix(rec.Body.String(), u.ID) {
		t.Errorf("other instance refuses the new key's token: %q", rec.Body.String())
	}
}

func TestClockSkewAtLeeway(t *testing.T) {
	a := newApp(t, latch.Config{Session: latch.SessionConfig{Leeway: 10 * time.Second}})
	u := a.user(t, "ada@example.com")
	s := latchtest.SignIn(t, a.Auth, a.browser(), u.ID)
	bearer := func() string {
		r := httptest.NewRequest("GET", "/whoami", nil)
		r.Header.Set("Authorization", "Bearer "+s.Token)
		rec := httptest.NewRecorder()
		a.handler.ServeHTTP(rec, r)
		return rec.Body.String()
	}
	a.Clock.Set(latchtest.Start.Add(-10 * time.Second)) // a verifier 10 s behind: iat/nbf in its future
	if got := bearer(); !strings.HasPrefix(got, u.ID) {
		t.Errorf("token refused at -leeway: %q", got)
	}
	a.Clock.Set(latchtest.Start.Add(-11 * time.Second))
	if got := bearer(); got != "signed-out" {
		t.Errorf("token accepted beyond -leeway: %q", got)
	}
	a.Clock.Set(latchtest.Start.Add(60*time.Second + 10*time.Second - time.Nanosecond))
	if got := bearer(); !strings.HasPrefix(got, u.ID) {
		t.Errorf("token refused within exp+leeway: %q", got)
	}
	a.Clock.Set(latchtest.Start.Add(60*time.Second + 11*time.Second))
	if got := bearer(); got != "signed-out" {
		t.Errorf("token accepted beyond exp+leeway: %q", got)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	a := newApp(t, latch.Config{})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	latchtest.SignIn(t, a.Auth, b, u.ID)
	r := httptest.NewRequest("POST", "/v1/client/sessions/end", nil)
	r.Header.Set("Origin", "https://evil.test")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := b.Do(r); res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign-out: status %d", res.StatusCode)
	}
	if got := whoami(t, b); !strings.HasPrefix(got, u.ID) {
		t.Fatalf("cross-site POST signed the user out: %q", got)
	}
	// A GET never changes state.
	if res := b.Get("/v1/client/sessions/end"); res.StatusCode == http.StatusOK {
		t.Errorf("GET on a state-changing route answered 200")
	}
	if res := b.Post("/v1/client/sessions/end", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("same-origin sign-out: status %d", res.StatusCode)
	}
	if got := whoami(t, b); got != "signed-out" {
		t.Errorf("after sign-out: %q", got)
	}
}

func TestMultiSessionSwitchAndSignOut(t *testing.T) {
	a := newApp(t, latch.Config{Session: latch.SessionConfig{MultiSession: true}})
	ada, bob := a.user(t, "ada@example.com"), a.user(t, "bob@example.com")
	b := a.browser()
	sa := latchtest.SignIn(t, a.Auth, b, ada.ID)
	sb := latchtest.SignIn(t, a.Auth, b, bob.ID)
	if got := whoami(t, b); !strings.HasPrefix(got, bob.ID) {
		t.Fatalf("the newest session is not active: %q", got)
	}
	var client struct{ Sessions []latch.SessionInfo }
	_ = json.Unmarshal([]byte(body(t, b.Get("/v1/client"))), &client)
	if len(client.Sessions) != 2 || !client.Sessions[0].Current || client.Sessions[0].ID != sb.ID {
		t.Fatalf("client sessions: %+v", client.Sessions)
	}
	if res := b.Post("/v1/client/sessions/"+sa.ID+"/touch", nil); res.StatusCode != 200 {
		t.Fatalf("switch: %d", res.StatusCode)
	}
	if got := whoami(t, b); !strings.HasPrefix(got, ada.ID) {
		t.Fatalf("after switching: %q", got)
	}
	if res := b.Post("/v1/client/sessions/"+sa.ID+"/end", nil); res.StatusCode != 200 {
		t.Fatalf("sign out one: %d", res.StatusCode)
	}
	if got := whoami(t, b); !strings.HasPrefix(got, bob.ID) {
		t.Fatalf("after signing out the active one, the other should be active: %q", got)
	}
	b.Post("/v1/client/sessions/end", nil)
	if got := whoami(t, b); got != "signed-out" {
		t.Fatalf("after signing out of all: %q", got)
	}
}

func TestSingleSessionByDefault(t *testing.T) {
	a := newApp(t, latch.Config{})
	ada, bob := a.user(t, "ada@example.com"), a.user(t, "bob@example.com")
	b := a.browser()
	sa := latchtest.SignIn(t, a.Auth, b, ada.ID)
	latchtest.SignIn(t, a.Auth, b, bob.ID)
	if s, _ := a.Store.GetSession(ctx, sa.ID); s.Status != storage.SessionEnded {
		t.Errorf("first session is %q after a second sign-in on the same browser", s.Status)
	}
}

func TestDevicesListAndRevokeOther(t *testing.T) {
	a := newApp(t, latch.Config{})
	u := a.user(t, "ada@example.com")
	laptop, phone := a.browser(), a.browser()
	phone.UserAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
	ls := latchtest.SignIn(t, a.Auth, laptop, u.ID)
	ps := latchtest.SignIn(t, a.Auth, phone, u.ID)
	var list struct{ Sessions []latch.SessionInfo }
	_ = json.Unmarshal([]byte(body(t, laptop.Get("/v1/me/sessions"))), &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("devices: %+v", list.Sessions)
	}
	for _, s := range list.Sessions {
		switch s.ID {
		case ls.ID:
			if !s.Current || s.DeviceType != "desktop" || !strings.HasPrefix(s.Browser, "Chrome") || s.IP == "" {
				t.Errorf("laptop session: %+v", s)
			}
		case ps.ID:
			if s.Current || s.DeviceType != "mobile" || s.OS != "iOS" {
				t.Errorf("phone session: %+v", s)
			}
		}
	}
	if res := laptop.Post("/v1/me/sessions/"+ps.ID+"/revoke", nil); res.StatusCode != 200 {
		t.Fatalf("revoke phone: %d", res.StatusCode)
	}
	if got := whoami(t, phone); got != "signed-out" {
		t.Errorf("revoked device still signed in: %q", got)
	}
	// Nobody can revoke another user's sessions by ID.
	mallory := a.browser()
	latchtest.SignIn(t, a.Auth, mallory, a.user(t, "mallory@example.com").ID)
	if res := mallory.Post("/v1/me/sessions/"+ls.ID+"/revoke", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("cross-user revoke: status %d", res.StatusCode)
	}
	if got := whoami(t, laptop); !strings.HasPrefix(got, u.ID) {
		t.Errorf("laptop signed out by another user: %q", got)
	}
}

func TestInactivityAndLifetimeLimits(t *testing.T) {
	a := newApp(t, latch.Config{Session: latch.SessionConfig{InactivityTimeout: 30 * time.Minute, MaxLifetime: 2 * time.Hour}})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	latchtest.SignIn(t, a.Auth, b, u.ID)
	for range 4 { // active every 25 minutes: kept alive
		a.Clock.Advance(25 * time.Minute)
		if got := whoami(t, b); !strings.HasPrefix(got, u.ID) {
			t.Fatalf("active session ended early: %q", got)
		}
	}
	a.Clock.Advance(25 * time.Minute) // 125 minutes: past MaxLifetime
	if got := whoami(t, b); got != "signed-out" {
		t.Fatalf("session outlived MaxLifetime: %q", got)
	}
	b2 := a.browser()
	latchtest.SignIn(t, a.Auth, b2, u.ID)
	a.Clock.Advance(31 * time.Minute)
	if got := whoami(t, b2); got != "signed-out" {
		t.Fatalf("idle session outlived InactivityTimeout: %q", got)
	}
}

func TestProtect(t *testing.T) {
	a := newApp(t, latch.Config{})
	b := a.browser()
	res := b.Get("/dashboard")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/sign-in?redirect_url=%2Fdashboard" {
		t.Errorf("signed-out page: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	r := httptest.NewRequest("GET", "/dashboard", nil)
	r.Header.Set("Accept", "application/json")
	res = b.Do(r)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body(t, res), `"code":"signed_out"`) {
		t.Errorf("signed-out API: %d", res.StatusCode)
	}
	latchtest.SignIn(t, a.Auth, b, a.user(t, "ada@example.com").ID)
	if got := body(t, b.Get("/dashboard")); got != "dashboard" {
		t.Errorf("signed in: %q", got)
	}
	r = httptest.NewRequest("GET", "/admin", nil)
	r.Header.Set("Accept", "application/json")
	if res := b.Do(r); res.StatusCode != http.StatusForbidden {
		t.Errorf("missing role: %d", res.StatusCode)
	}
}

func TestHasReadsClaimsOnly(t *testing.T) {
	fva := [2]int{3, -1}
	s := &latch.Session{ID: "sess_1", UserID: "user_1", Claims: &token.Claims{
		OrgRole: "org:admin", OrgPermissions: []string{"org:invoices:read"}, Plan: "pro", Features: []string{"export"},
		FactorVerificationAge: &fva,
	}}
	c := latch.WithSession(context.Background(), s)
	for _, tc := range []struct {
		name  string
		check latch.Check
		want  bool
	}{
		{"role", latch.Role("org:admin"), true},
		{"other role", latch.Role("org:member"), false},
		{"permission", latch.Permission("org:invoices:read"), true},
		{"missing permission", latch.Permission("org:invoices:write"), false},
		{"plan", latch.Plan("pro"), true},
		{"feature", latch.Feature("export"), true},
		{"missing feature", latch.Feature("sso"), false},
		{"reverified 10m", latch.Reverified(10 * time.Minute), true},
		{"reverified 1m", latch.Reverified(time.Minute), false},
	} {
		if got := latch.Has(c, tc.check); got != tc.want {
			t.Errorf("%s: Has = %v, want %v", tc.name, got, tc.want)
		}
	}
	if latch.Has(context.Background()) {
		t.Error("Has is true when signed out")
	}
	if n := testing.AllocsPerRun(100, func() { latch.Has(c, latch.Permission("org:invoices:read"), latch.Plan("pro")) }); n != 0 {
		t.Errorf("Has allocates %v times", n)
	}
}

func TestCustomClaimsAndTemplates(t *testing.T) {
	a := newApp(t, latch.Config{Session: latch.SessionConfig{
		Claims: func(_ context.Context, s *storage.Session) (map[string]any, error) {
			return map[string]any{"tenant": "acme"}, nil
		},
		Templates: []latch.JWTTemplate{
			{Name: "supabase", Audience: "authenticated", Lifetime: time.Hour, SigningKey: []byte(strings.Repeat("k", 32)),
				Claims: map[string]any{"role": "authenticated", "email": "{{user.primary_email_address}}", "meta": "{{user.public_metadata}}",
					"greeting": "hi {{user.first_name}}!", "nested": map[string]any{"plan": "{{user.public_metadata.plan}}"}}},
			{Name: "partner", Claims: map[string]any{"uid": "{{user.id}}"}},
		},
	}})
	u, _ := a.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}, FirstName: "Ada",
		PublicMetadata: json.RawMessage(`{"plan":"pro"}`)})
	b := a.browser()
	s := latchtest.SignIn(t, a.Auth, b, u.ID)
	if s.Claims.Extra["tenant"] != "acme" {
		t.Errorf("custom claim missing: %v", s.Claims.Extra)
	}
	res := b.Post("/v1/client/sessions/"+s.ID+"/tokens/supabase", nil)
	var out struct{ JWT string }
	_ = json.Unmarshal([]byte(body(t, res)), &out)
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(out.JWT, claims, func(*jwt.Token) (any, error) { return []byte(strings.Repeat("k", 32)), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(a.Clock.Now)); err != nil {
		t.Fatalf("template token: %v (%s)", err, out.JWT)
	}
	if claims["email"] != "ada@example.com" || claims["aud"] != "authenticated" || claims["greeting"] != "hi Ada!" ||
		claims["meta"].(map[string]any)["plan"] != "pro" || claims["nested"].(map[string]any)["plan"] != "pro" || claims["sub"] != u.ID {
		t.Errorf("template claims: %v", claims)
	}
	// A template signed by the session keys verifies with the JWKS as a
	// template token, and is not a session token.
	tok, err := a.TemplateToken(ctx, "partner", s.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := templateVerifier(t, a, "partner").Verify(tok)
	if err != nil || c.Extra["uid"] != u.ID || c.SessionID != "" {
		t.Errorf("partner token: %+v %v", c, err)
	}
	if _, err := a.Verifier().Verify(tok); err == nil {
		t.Error("the session verifier accepted a template token")
	}
	if _, err := latch.New(latch.Config{Store: a.Store, Session: latch.SessionConfig{Templates: []latch.JWTTemplate{{Name: "x", Claims: map[string]any{"sub": "admin"}}}}}); err == nil {
		t.Error("a template may override sub")
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	a := newApp(t, latch.Config{})
	u := a.user(t, "ada@example.com")
	s := latchtest.SignIn(t, a.Auth, a.browser(), u.ID)
	rt0, err := a.NewRefreshToken(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	jwt1, rt1, err := a.RefreshWithToken(ctx, rt0)
	if err != nil || jwt1 == "" || rt1 == rt0 {
		t.Fatalf("first refresh: %v", err)
	}
	// Two racing requests with the same token (a retry after a lost
	// response) within the grace period both succeed.
	a.Clock.Advance(2 * time.Second)
	if _, _, err := a.RefreshWithToken(ctx, rt0); err != nil {
		t.Fatalf("benign race within grace refused: %v", err)
	}
	// Replayed later, the old token is theft: the session dies.
	a.Clock.Advance(time.Minute)
	if _, _, err := a.RefreshWithToken(ctx, rt0); err == nil {
		t.Fatal("replayed refresh token accepted")
	}
	if _, _, err := a.RefreshWithToken(ctx, rt1); err == nil {
		t.Fatal("the family survived a replay")
	}
	if st, _ := a.Store.GetSession(ctx, s.ID); st.Status != storage.SessionRevoked {
		t.Errorf("session status after replay: %s", st.Status)
	}
	// A refresh token lives no longer than its session.
	s2 := latchtest.SignIn(t, a.Auth, a.browser(), u.ID)
	rt, _ := a.NewRefreshToken(ctx, s2.ID)
	a.Clock.Advance(7*24*time.Hour + time.Minute)
	if _, _, err := a.RefreshWithToken(ctx, rt); err == nil {
		t.Error("a refresh token outlived its session's lifetime")
	}
	for _, bad := range []string{"", "x", "ver_nope.secret", strings.Repeat("a", 10000)} {
		if _, _, err := a.RefreshWithToken(ctx, bad); err == nil {
			t.Errorf("refresh with %q accepted", bad)
		}
	}
}

func TestConcurrentRefreshFromTwoTabsKeepsUserSignedIn(t *testing.T) {
	a := newApp(t, latch.Config{})
	u := a.user(t, "ada@example.com")
	b := a.browser()
	latchtest.SignIn(t, a.Auth, b, u.ID)
	a.Clock.Advance(2 * time.Minute)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := whoami(t, b); !strings.HasPrefix(got, u.ID) {
				t.Errorf("a tab was signed out by a concurrent refresh: %q", got)
			}
		}()
	}
	wg.Wait()
}

func TestJWKSServed(t *testing.T) {
	a := newApp(t, latch.Config{})
	res := a.browser().Get("/.well-known/jwks.json")
	var doc struct{ Keys []map[string]any }
	if err := json.Unmarshal([]byte(body(t, res)), &doc); err != nil || res.StatusCode != 200 {
		t.Fatalf("jwks: %d %v", res.StatusCode, err)
	}
	if len(doc.Keys) != 2 { // current and next
		t.Errorf("jwks has %d keys, want current and next", len(doc.Keys))
	}
	for _, k := range doc.Keys {
		if _, leaked := k["d"]; leaked {
			t.Fatal("private key material in the JWKS")
		}
	}
}

func TestSignOutFormRedirects(t *testing.T) {
	a := newApp(t, latch.Config{})
	b := a.browser()
	latchtest.SignIn(t, a.Auth, b, a.user(t, "ada@example.com").ID)
	res := b.Post("/sign-out", url.Values{})
	if res.StatusCode != http.StatusSeeOther || whoami(t, b) != "signed-out" {
		t.Errorf("sign-out form: %d", res.StatusCode)
	}
}

func FuzzClientCookie(f *testing.F) {
	a := newApp(f, latch.Config{})
	u := a.user(f, "ada@example.com")
	b := a.browser()
	latchtest.SignIn(f, a.Auth, b, u.ID)
	f.Add(b.Cookie("__Host-latch_client"))
	f.Add("")
	f.Add("MTcw|x|y")
	f.Fuzz(func(t *testing.T, v string) {
		if len(v) > 8192 || strings.ContainsAny(v, "\x00\r\n;\" ,\\") {
			return
		}
		fb := a.browser()
		fb.SetCookie("__Host-latch_client", v)
		got := whoami(t, fb)
		if got != "signed-out" && v != b.Cookie("__Host-latch_client") {
			t.Fatalf("cookie %q signed in as %q", v, got)
		}
	})
}
