package token

import (
	"context"
	"errors"
	"github.com/latchauth/latch/internal/fakeclock"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// jwksServer serves whatever body is stored in it and counts requests. While gate is
// non-nil, requests wait for it to close.
type jwksServer struct {
	*httptest.Server
	body   atomic.Pointer[[]byte]
	status atomic.Int32
	hits   atomic.Int32
	gate   atomic.Pointer[chan struct{}]
}

func newJWKSServer(t *testing.T, ks *KeySet) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.status.Store(http.StatusOK)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if g := s.gate.Load(); g != nil {
			<-*g
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(s.status.Load()))
		w.Write(*s.body.Load())
	}))
	t.Cleanup(s.Close)
	s.publish(t, ks)
	return s
}

func (s *jwksServer) publish(t *testing.T, ks *KeySet) {
	t.Helper()
	b, err := ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	s.body.Store(&b)
}

func TestRemoteJWKSRefreshRateLimited(t *testing.T) {
	k1, k2 := mustKey(t, EdDSA, "key-1"), mustKey(t, EdDSA, "key-2")
	ks := mustKeySet(t, Keys{Current: k1})
	srv := newJWKSServer(t, ks)
	clock := fakeclock.New(testNow)
	v, err := NewRemoteVerifier(srv.URL+"/.well-known/jwks.json", Config{Issuer: testIssuer, Clock: fixedClock(testNow), Remote: RemoteConfig{Clock: clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	hits := func(want int32, step string) {
		t.Helper()
		if got := srv.hits.Load(); got != want {
			t.Fatalf("%s: %d JWKS requests, want %d", step, got, want)
		}
	}
	verify := func(tok string, want error, step string) {
		t.Helper()
		_, err := v.Verify(tok)
		if want == nil && err != nil || !errors.Is(err, want) {
			t.Fatalf("%s: got %v, want %v", step, err, want)
		}
	}

	t1 := mustSign(t, ks, sessionClaims())
	verify(t1, nil, "first token")
	hits(1, "first token fetches the JWKS")
	verify(t1, nil, "known kid")
	hits(1, "known kid is served from the cache")

	// The signer rotates without publishing first (against the rule). The remote verifier
	// may refetch for the new kid only once the minimum interval has passed.
	ks.Set(Keys{Current: k2, Previous: []*Key{k1}})
	srv.publish(t, ks)
	t2 := mustSign(t, ks, sessionClaims())
	verify(t2, ErrUnknownKey, "new kid within the interval")
	for i := range 100 {
		forged := craft(t, header(k2, map[string]any{"kid": "made-up-" + strconv.Itoa(i)}), payloadJSON(t, sessionClaims()), signWith(t, k2))
		verify(forged, ErrUnknownKey, "made-up kid")
	}
	clock.Advance(DefaultMinRefreshInterval - time.Second)
	verify(t2, ErrUnknownKey, "new kid just before the interval ends")
	hits(1, "no fetch within the interval")
	clock.Advance(time.Second)
	verify(t2, nil, "new kid after the interval")
	hits(2, "one fetch after the interval")
	verify(t1, nil, "old kid still published")

	// A burst of unknown kids while a fetch is in flight shares that fetch.
	clock.Advance(DefaultMinRefreshInterval)
	gate := make(chan struct{})
	srv.gate.Store(&gate)
	var wg sync.WaitGroup
	var unknown atomic.Int32
	forged := craft(t, header(k2, map[string]any{"kid": "missing"}), payloadJSON(t, sessionClaims()), signWith(t, k2))
	for range 50 {
		wg.Go(func() {
			if _, err := v.Verify(forged); errors.Is(err, ErrUnknownKey) {
				unknown.Add(1)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(gate)
	wg.Wait()
	srv.gate.Store(nil)
	hits(3, "50 concurrent unknown kids")
	if unknown.Load() != 50 {
		t.Fatalf("%d of 50 concurrent forged tokens reported ErrUnknownKey", unknown.Load())
	}

	// A failing endpoint keeps the keys already fetched.
	clock.Advance(DefaultMinRefreshInterval)
	srv.status.Store(http.StatusInternalServerError)
	verify(forged, ErrUnknownKey, "unknown kid while the endpoint fails")
	hits(4, "a fetch was attempted")
	verify(t1, nil, "cached keys survive a failed fetch")
	verify(t2, nil, "cached keys survive a failed fetch")
	srv.status.Store(http.StatusOK)

	// Past MaxAge a lookup starts a background refresh and keeps using the cache meanwhile.
	ks.Set(Keys{Current: k2})
	srv.publish(t, ks)
	clock.Advance(DefaultJWKSMaxAge + time.Second)
	verify(t1, nil, "stale cache still serves while it refreshes")
	deadline := time.Now().Add(5 * time.Second)
	for srv.hits.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	hits(5, "background refresh after MaxAge")
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(5 * time.Millisecond) {
		if _, err := v.Verify(t1); errors.Is(err, ErrUnknownKey) {
			return // the dropped key is gone here too
		}
	}
	t.Fatal("a key dropped from the JWKS kept verifying after a refresh")
}

func TestRemoteJWKSNoFetchFromTokenHeaders(t *testing.T) {
	k := mustKey(t, EdDSA, "key-1")
	evilKey := mustKey(t, EdDSA, "evil-1")
	ks := mustKeySet(t, Keys{Current: k})
	srv := newJWKSServer(t, ks)
	evilKS := mustKeySet(t, Keys{Current: evilKey})
	evil := newJWKSServer(t, evilKS)
	v, err := NewRemoteVerifier(srv.URL, Config{Issuer: testIssuer, Clock: fixedClock(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	claims := payloadJSON(t, sessionClaims())
	for _, h := range []string{"jku", "x5u"} {
		for _, kid := range []string{"evil-1", "key-1"} {
			for _, signer := range []*Key{evilKey, k} {
				tok := craft(t, header(k, map[string]any{h: evil.URL, "kid": kid}), claims, signWith(t, signer))
				if _, err := v.Verify(tok); !errors.Is(err, ErrUnknownKey) {
					t.Fatalf("%s=%s kid=%s: %v, want ErrUnknownKey", h, evil.URL, kid, err)
				}
			}
		}
	}
	// A token whose header is clean but whose kid only the attacker's JWKS knows.
	tok := craft(t, header(evilKey, nil), claims, signWith(t, evilKey))
	if _, err := v.Verify(tok); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("attacker kid: %v", err)
	}
	if n := evil.hits.Load(); n != 0 {
		t.Fatalf("the verifier fetched from a URL in a token %d times", n)
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("the configured JWKS was fetched %d times, want 1 (for the unknown kid only)", n)
	}
	if _, err := v.Verify(mustSign(t, ks, sessionClaims())); err != nil {
		t.Fatal(err)
	}
}

func TestRemoteKeySetConfig(t *testing.T) {
	for _, u := range []string{"http://example.com/jwks", "ftp://example.com/jwks", "/jwks", "https://", "::"} {
		if _, err := NewRemoteKeySet(u, RemoteConfig{}); err == nil {
			t.Errorf("NewRemoteKeySet accepted %q", u)
		}
	}
	for _, u := range []string{"https://example.com/jwks", "http://localhost:8080/jwks", "http://127.0.0.1/jwks", "http://[::1]/jwks"} {
		if _, err := NewRemoteKeySet(u, RemoteConfig{}); err != nil {
			t.Errorf("NewRemoteKeySet(%q): %v", u, err)
		}
	}
	if _, err := NewRemoteKeySet("http://auth.internal/jwks", RemoteConfig{InsecureAllowHTTP: true}); err != nil {
		t.Error(err)
	}
}

func TestRemoteJWKSBoundsAndKeyTypes(t *testing.T) {
	ed, ec := mustKey(t, EdDSA, "key-ed"), mustKey(t, ES256, "key-ec")
	ks := mustKeySet(t, Keys{Current: ed, Next: []*Key{ec}})
	srv := newJWKSServer(t, ks)

	// Other key types in the set are skipped; ours are used.
	mixed := `{"keys":[
		{"kty":"RSA","kid":"rsa","n":"sXch","e":"AQAB","alg":"RS256"},
		{"kty":"OKP","crv":"Ed448","kid":"ed448","x":"AAAA"},
		{"kty":"oct","kid":"hmac","use":"enc"},` + strings.TrimPrefix(string(must(ks.JWKS())), `{"keys":[`)
	body := []byte(mixed)
	srv.body.Store(&body)
	r, err := NewRemoteKeySet(srv.URL, RemoteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r.Lookup("key-ed") == nil || r.Lookup("key-ec") == nil || r.Lookup("rsa") != nil || r.Lookup("ed448") != nil {
		t.Fatal("wrong keys kept from a mixed JWKS")
	}
	v := mustVerifier(t, r, Config{})
	for _, k := range []*Key{ed, ec} {
		ks1 := mustKeySet(t, Keys{Current: k})
		if _, err := v.Verify(mustSign(t, ks1, sessionClaims())); err != nil {
			t.Fatalf("%s: %v", k.alg, err)
		}
	}

	// An oversized body is refused and the keys are kept.
	huge := []byte(`{"keys":[` + strings.Repeat(" ", DefaultMaxJWKSBytes) + `]}`)
	srv.body.Store(&huge)
	if err := r.Refresh(t.Context()); err == nil || r.Lookup("key-ed") == nil {
		t.Fatalf("oversized JWKS: err %v", err)
	}
	// So is a set without usable keys.
	empty := []byte(`{"keys":[]}`)
	srv.body.Store(&empty)
	if err := r.Refresh(t.Context()); err == nil || r.Lookup("key-ed") == nil {
		t.Fatalf("empty JWKS: err %v", err)
	}

	// A caller's context bounds its wait for a slow endpoint, without failing the fetch.
	srv.publish(t, ks)
	gate := make(chan struct{})
	srv.gate.Store(&gate)
	slow, _ := NewRemoteVerifier(srv.URL, Config{Issuer: testIssuer, Clock: fixedClock(testNow)})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := slow.VerifyContext(ctx, mustSign(t, ks, sessionClaims())); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("slow JWKS: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("VerifyContext ignored its deadline")
	}
	srv.gate.Store(nil)
	close(gate)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
