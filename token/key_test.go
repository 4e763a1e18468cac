package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestGenerateKeyDeterministicAndPersistable(t *testing.T) {
	for _, alg := range []Algorithm{"", EdDSA, ES256} {
		t.Run(string(alg), func(t *testing.T) {
			a, err := GenerateKey(alg, testRand(1), "kid-1")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := GenerateKey(alg, testRand(1), "kid-1")
			c, _ := GenerateKey(alg, testRand(2), "kid-1")
			pa, _ := a.MarshalPublic()
			pb, _ := b.MarshalPublic()
			pc, _ := c.MarshalPublic()
			if !bytes.Equal(pa, pb) || bytes.Equal(pa, pc) {
				t.Fatal("GenerateKey does not follow its random source")
			}
			if want := alg; want == "" && a.Algorithm() != EdDSA || want != "" && a.Algorithm() != want {
				t.Fatalf("algorithm %s", a.Algorithm())
			}

			der, err := a.MarshalPrivate()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParsePrivateKey("kid-1", der)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := ParsePublicKey("kid-1", pa)
			if err != nil {
				t.Fatal(err)
			}
			if pub.CanSign() || !back.CanSign() || back.Algorithm() != a.Algorithm() {
				t.Fatal("wrong key halves after parsing")
			}
			// A token signed by the restored key verifies with the public key alone.
			signer := mustKeySet(t, Keys{Current: back})
			verifier := mustVerifier(t, mustKeySet(t, Keys{Current: pub}), Config{})
			if _, err := verifier.Verify(mustSign(t, signer, sessionClaims())); err != nil {
				t.Fatal(err)
			}
			if _, err := mustKeySet(t, Keys{Current: pub}).Sign(sessionClaims()); !errors.Is(err, ErrNoSigningKey) {
				t.Fatalf("public-only key signed: %v", err)
			}
			if _, err := a.PublicOnly().MarshalPrivate(); err == nil {
				t.Fatal("PublicOnly kept the private key")
			}
		})
	}
}

func TestKeyRejects(t *testing.T) {
	if _, err := GenerateKey("RS256", rand.Reader, "k"); err == nil {
		t.Error("GenerateKey(RS256)")
	}
	if _, err := GenerateKey(EdDSA, rand.Reader, ""); err == nil {
		t.Error("empty kid")
	}
	if _, err := GenerateKey(EdDSA, rand.Reader, strings.Repeat("k", MaxKIDLength+1)); err == nil {
		t.Error("long kid")
	}
	if _, err := GenerateKey(EdDSA, bytes.NewReader(make([]byte, 5)), "k"); err == nil {
		t.Error("short random source")
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	if _, err := ParsePrivateKey("k", der); err == nil {
		t.Error("RSA private key accepted")
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ = x509.MarshalPKIXPublicKey(&p384.PublicKey)
	if _, err := ParsePublicKey("k", der); err == nil {
		t.Error("P-384 public key accepted")
	}
	if _, err := NewPublicKey("k", ed25519.PublicKey(make([]byte, 31))); err == nil {
		t.Error("short Ed25519 key accepted")
	}
	if _, err := ParsePublicKey("k", []byte("garbage")); err == nil {
		t.Error("garbage DER accepted")
	}
	var empty KeySet
	if _, err := empty.Sign(sessionClaims()); !errors.Is(err, ErrNoSigningKey) {
		t.Errorf("empty KeySet signed: %v", err)
	}
	ks := mustKeySet(t, Keys{Current: mustKey(t, EdDSA, "k")})
	for _, c := range []*Claims{nil, {Issuer: testIssuer}, {ExpiresAt: testNow}} {
		if _, err := ks.Sign(c); err == nil {
			t.Errorf("Sign(%+v) without issuer or expiry", c)
		}
	}
}

func TestJWKSFormat(t *testing.T) {
	ed, ec := mustKey(t, EdDSA, "key-ed"), mustKey(t, ES256, "key-ec")
	prev := mustKey(t, EdDSA, "key-old")
	ks := mustKeySet(t, Keys{Current: ed, Next: []*Key{ec}, Previous: []*Key{prev}})
	raw, err := ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 3 {
		t.Fatalf("%d keys published, want next, current and previous: %s", len(set.Keys), raw)
	}
	okp, e := set.Keys[0], set.Keys[1]
	if okp["kty"] != "OKP" || okp["crv"] != "Ed25519" || okp["alg"] != "EdDSA" || okp["use"] != "sig" || okp["kid"] != "key-ed" ||
		okp["x"] != b64url(ed.public.(ed25519.PublicKey)) || len(okp) != 6 {
		t.Fatalf("OKP key: %v", okp)
	}
	point, _ := ec.public.(*ecdsa.PublicKey).Bytes()
	if e["kty"] != "EC" || e["crv"] != "P-256" || e["alg"] != "ES256" || e["use"] != "sig" || e["kid"] != "key-ec" ||
		e["x"] != b64url(point[1:33]) || e["y"] != b64url(point[33:]) || len(e) != 7 {
		t.Fatalf("EC key: %v", e)
	}
	if strings.Contains(string(raw), `"d"`) {
		t.Fatal("private key material published")
	}
	// The published set parses back to the same public keys.
	keys, err := ParseJWKS(raw)
	if err != nil || len(keys) != 3 {
		t.Fatalf("ParseJWKS: %v, %v", keys, err)
	}
	for _, k := range keys {
		a, _ := k.MarshalPublic()
		b, _ := ks.Lookup(k.kid).MarshalPublic()
		if !bytes.Equal(a, b) || k.CanSign() {
			t.Fatalf("key %s changed through the JWKS", k.kid)
		}
	}
	// JWKS returns a copy each time.
	raw[0] = 'X'
	again, _ := ks.JWKS()
	if again[0] != '{' {
		t.Fatal("JWKS returned the cached slice")
	}
	var empty KeySet
	if b, _ := empty.JWKS(); string(b) != `{"keys":[]}` {
		t.Fatalf("empty JWKS %s", b)
	}
	if n := testing.AllocsPerRun(100, func() { ks.Lookup("key-ec") }); n != 0 {
		t.Fatalf("Lookup allocated %v times", n)
	}
}

func TestParseJWKSRejects(t *testing.T) {
	ed := mustKey(t, EdDSA, "key-ed")
	x := b64url(ed.public.(ed25519.PublicKey))
	okp := func(extra string) string {
		return `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"` + x + `"` + extra + `}]}`
	}
	for name, in := range map[string]string{
		"not JSON":         `nope`,
		"no keys":          `{}`,
		"keys not array":   `{"keys":{}}`,
		"private d":        okp(`,"d":"AAAA"`),
		"symmetric k":      `{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}`,
		"short x":          `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"AAAA"}]}`,
		"padded x":         `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"` + x + `="}]}`,
		"duplicate kid":    `{"keys":[` + okp("")[9:len(okp(""))-2] + `,` + okp("")[9:len(okp(""))-2] + `]}`,
		"EC off curve":     `{"keys":[{"kty":"EC","crv":"P-256","kid":"e","x":"` + b64url(make([]byte, 32)) + `","y":"` + b64url(make([]byte, 32)) + `"}]}`,
		"EC missing y":     `{"keys":[{"kty":"EC","crv":"P-256","kid":"e","x":"` + b64url(make([]byte, 32)) + `"}]}`,
		"too many keys":    `{"keys":[` + strings.Repeat(`{"kty":"RSA"},`, MaxJWKSKeys) + `{"kty":"RSA"}]}`,
		"kid wrong type":   okp(`,"kid":1`)[:0] + `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":1,"x":"` + x + `"}]}`,
		"trailing garbage": okp("") + "x",
	} {
		if keys, err := ParseJWKS([]byte(in)); err == nil {
			t.Errorf("%s: accepted, %d keys", name, len(keys))
		}
	}
	for name, in := range map[string]string{
		"use enc":         okp(`,"use":"enc"`),
		"alg other":       okp(`,"alg":"ES256"`),
		"key_ops encrypt": okp(`,"key_ops":["encrypt"]`),
		"no kid":          `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + x + `"}]}`,
		"X25519":          `{"keys":[{"kty":"OKP","crv":"X25519","kid":"k","x":"` + x + `"}]}`,
	} {
		keys, err := ParseJWKS([]byte(in))
		if err != nil || len(keys) != 0 {
			t.Errorf("%s: (%v, %v), want the key skipped", name, keys, err)
		}
	}
	keys, err := ParseJWKS([]byte(okp(`,"use":"sig","alg":"EdDSA","key_ops":["verify"]`)))
	if err != nil || len(keys) != 1 {
		t.Fatalf("valid key: (%v, %v)", keys, err)
	}
}
