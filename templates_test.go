package latch_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/token"
)

// partnerTemplate is a template signed with the session keys, with no
// audience of its own and a long lifetime: the shape that could pass for a
// session.
var partnerTemplate = latch.JWTTemplate{Name: "partner", Lifetime: time.Hour, Claims: map[string]any{"uid": "{{user.id}}"}}

// bearerWhoami presents tok to the application as a bearer token and as
// the session cookie of a browser with no client cookie, and returns what
// each answered.
func bearerWhoami(t *testing.T, a *app, tok string) (bearer, cookie string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, r)
	b := a.browser()
	b.SetCookie("__Host-latch_session", tok)
	return rec.Body.String(), whoami(t, b)
}

// templateVerifier is how another service verifies the template's tokens:
// the JWKS, the template type and the template's audience.
func templateVerifier(t *testing.T, a *app, audience string) *token.Verifier {
	t.Helper()
	jwks, err := a.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := token.ParseJWKS(jwks)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := token.NewKeySet(token.Keys{Previous: keys})
	if err != nil {
		t.Fatal(err)
	}
	v, err := token.NewVerifier(ks, token.Config{Issuer: base, Type: token.TypeTemplate, Audience: []string{audience}, Clock: a.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestTemplateTokenIsNotASession: a JWT-template token signed with the
// session keys is for another service. Latch's middleware (bearer or
// cookie) and its session verifier refuse it; the service it is for accepts
// it under the template's default audience; it never outlives its session.
func TestTemplateTokenIsNotASession(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		a := newApp(t, latch.Config{Store: s, Session: latch.SessionConfig{Templates: []latch.JWTTemplate{partnerTemplate}}})
		u := a.user(t, "ada@example.com")
		sess := latchtest.SignIn(t, a.Auth, a.browser(), u.ID)
		tok, err := a.TemplateToken(ctx, "partner", sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bearer, cookie := bearerWhoami(t, a, tok); bearer != "signed-out" || cookie != "signed-out" {
			t.Fatalf("a template token signed a request in: bearer %q, cookie %q", bearer, cookie)
		}
		if _, err := a.Verifier().Verify(tok); err == nil {
			t.Error("the session verifier accepted a template token")
		}
		c, err := templateVerifier(t, a, "partner").Verify(tok)
		if err != nil {
			t.Fatalf("the partner service refused its token: %v", err)
		}
		if c.Extra["uid"] != u.ID || c.SessionID != "" || len(c.Audience) != 1 || c.Audience[0] != "partner" {
			t.Errorf("template claims: %+v", c)
		}
		if _, err := templateVerifier(t, a, "other").Verify(tok); err == nil {
			t.Error("a service with another audience accepted the partner token")
		}
		if _, err := templateVerifier(t, a, "partner").Verify(sess.Token); err == nil {
			t.Error("the partner service accepted a session token as a template token")
		}
		// Near the end of the session's lifetime, the token ends with it.
		a.Clock.Advance(7*24*time.Hour - 10*time.Minute)
		if err := a.Store.TouchSession(ctx, sess.ID, a.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		st, err := a.Store.GetSession(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		late, err := a.TemplateToken(ctx, "partner", sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := templateVerifier(t, a, "partner").Verify(late); err != nil || c.ExpiresAt.After(st.ExpiresAt) {
			t.Errorf("template token outlives its session (%v): exp %v, session ends %v", err, c.ExpiresAt, st.ExpiresAt)
		}
	})
}

// TestTemplateTokenRefusedAfterRevocation: a template token that Latch
// refused before the session ended is still refused after, for as long as
// it lives (the attack was replaying it as a bearer session after
// RevokeSession), and no new one is minted for the ended session.
func TestTemplateTokenRefusedAfterRevocation(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		a := newApp(t, latch.Config{Store: s, Session: latch.SessionConfig{Templates: []latch.JWTTemplate{partnerTemplate}}})
		u := a.user(t, "ada@example.com")
		b := a.browser()
		sess := latchtest.SignIn(t, a.Auth, b, u.ID)
		tok, err := a.TemplateToken(ctx, "partner", sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.RevokeSession(ctx, sess.ID); err != nil {
			t.Fatal(err)
		}
		for _, after := range []time.Duration{0, 30 * time.Minute} {
			a.Clock.Advance(after)
			if bearer, cookie := bearerWhoami(t, a, tok); bearer != "signed-out" || cookie != "signed-out" {
				t.Fatalf("%v after revocation a template token signed a request in: bearer %q, cookie %q", after, bearer, cookie)
			}
			// With the browser's own client cookie next to it, too.
			b.SetCookie("__Host-latch_session", tok)
			if got := whoami(t, b); got != "signed-out" {
				t.Fatalf("%v after revocation a template token with the client cookie signed in: %q", after, got)
			}
		}
		if _, err := a.TemplateToken(ctx, "partner", sess.ID); err == nil {
			t.Error("a template token was minted for a revoked session")
		}
	})
}

// TestSessionTokenEndpointRateLimitedPerSession: minting tokens through
// POST /v1/client/sessions/{id}/tokens is limited per session, so a loop
// cannot turn one session into a stream of signatures; another browser's
// session keeps its own budget.
func TestSessionTokenEndpointRateLimitedPerSession(t *testing.T) {
	clock := latchtest.NewClock(latchtest.Start)
	a := newApp(t, latch.Config{Clock: clock.Now, Protection: latch.ProtectionConfig{Limiter: ratelimit.NewMemory(ratelimit.MemoryConfig{Clock: clock.Now})},
		Session: latch.SessionConfig{Templates: []latch.JWTTemplate{partnerTemplate}}})
	a.Clock = clock
	u := a.user(t, "ada@example.com")
	b := a.browser()
	sess := latchtest.SignIn(t, a.Auth, b, u.ID)
	limited := 0
	for i := range 60 {
		path := "/v1/client/sessions/" + sess.ID + "/tokens"
		if i%2 == 1 {
			path += "/partner"
		}
		res := b.Post(path, nil)
		switch res.StatusCode {
		case http.StatusOK:
			if limited > 0 {
				t.Fatal("a token was minted after the limit refused one")
			}
		case http.StatusTooManyRequests:
			if res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			limited++
		default:
			t.Fatalf("request %d: %d %s", i, res.StatusCode, body(t, res))
		}
	}
	if limited == 0 {
		t.Fatal("60 token requests in a row for one session were all served")
	}
	other := a.browser()
	os := latchtest.SignIn(t, a.Auth, other, u.ID)
	if res := other.Post("/v1/client/sessions/"+os.ID+"/tokens", nil); res.StatusCode != http.StatusOK {
		t.Errorf("another session was limited by the first one's requests: %d", res.StatusCode)
	}
}
