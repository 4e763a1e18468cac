package token

import (
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const testIssuer = "https://app.example.com"

// testNow is the fake clock's time in most tests.
var testNow = time.Unix(1_700_000_000, 0).UTC()

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// testRand is a deterministic random source, so that keys are the same on every run.
func testRand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return rand.NewChaCha8(s)
}

func mustKey(t testing.TB, alg Algorithm, kid string) *Key {
	t.Helper()
	k, err := GenerateKey(alg, testRand(uint64(len(kid))*7919+uint64(kid[len(kid)-1])+uint64(len(alg))), kid)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustKeySet(t testing.TB, keys Keys) *KeySet {
	t.Helper()
	ks, err := NewKeySet(keys)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func mustVerifier(t testing.TB, src KeySource, cfg Config) *Verifier {
	t.Helper()
	if cfg.Issuer == "" {
		cfg.Issuer = testIssuer
	}
	if cfg.Clock == nil {
		cfg.Clock = fixedClock(testNow)
	}
	v, err := NewVerifier(src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sessionClaims is a typical session token's claims at testNow with a 60 s TTL.
func sessionClaims() *Claims {
	return &Claims{
		Subject:               "user_2abc",
		SessionID:             "sess_2xyz",
		Issuer:                testIssuer,
		AuthorizedParty:       "https://app.example.com",
		IssuedAt:              testNow,
		NotBefore:             testNow.Add(-10 * time.Second),
		ExpiresAt:             testNow.Add(60 * time.Second),
		FactorVerificationAge: &[2]int{3, -1},
		OrgID:                 "org_2def",
		OrgSlug:               "acme",
		OrgRole:               "org:admin",
		OrgPermissions:        []string{"org:invoices:read", "org:invoices:write", "org:members:manage"},
		Plan:                  "pro",
		Features:              []string{"sso", "audit_log"},
		AMR:                   []string{"pwd", "otp"},
	}
}

func mustSign(t testing.TB, ks *KeySet, c *Claims) string {
	t.Helper()
	s, err := ks.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jsonSeg(t testing.TB, v any) string {
	t.Helper()
	if s, ok := v.(string); ok {
		return b64url([]byte(s))
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64url(b)
}

// craft builds a compact JWS from a header and payload (values or raw JSON strings) and
// signs header.payload with sign.
func craft(t testing.TB, header, payload any, sign func(input []byte) []byte) string {
	t.Helper()
	input := jsonSeg(t, header) + "." + jsonSeg(t, payload)
	return input + "." + b64url(sign([]byte(input)))
}

// signWith signs like KeySet.Sign would, for crafting tokens with a chosen header.
func signWith(t testing.TB, k *Key) func([]byte) []byte {
	return func(input []byte) []byte {
		sig, err := k.method.Sign(string(input), k.private)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

func payloadJSON(t testing.TB, c *Claims) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// header returns a session-token header for k with extra members merged in.
func header(k *Key, extra map[string]any) map[string]any {
	h := map[string]any{"alg": string(k.alg), "typ": "JWT", "kid": k.kid}
	for name, v := range extra {
		if v == nil {
			delete(h, name)
			continue
		}
		h[name] = v
	}
	return h
}

func splitToken(s string) []string { return strings.Split(s, ".") }
