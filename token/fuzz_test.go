package token

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary strings to a Verifier. None may panic, and none may verify
// unless it is one of the tokens the signer produced (or, for EdDSA, which is not
// malleable, byte for byte such a token; an ES256 signature has a second valid form, so
// for that key the claims must be the signed ones).
func FuzzVerify(f *testing.F) {
	ed, ec := mustKey(f, EdDSA, "key-ed"), mustKey(f, ES256, "key-ec")
	ks := mustKeySet(f, Keys{Current: ed, Next: []*Key{ec}})
	ksEC := mustKeySet(f, Keys{Current: ec})
	v := mustVerifier(f, ks, Config{})

	signed := map[string]bool{}
	var payloads []string
	for _, c := range []*Claims{sessionClaims(), fullClaims(), {Issuer: testIssuer, ExpiresAt: testNow.Add(time.Minute)}} {
		for _, s := range []*KeySet{ks, ksEC} {
			tok := mustSign(f, s, c)
			signed[tok] = true
			payloads = append(payloads, splitToken(tok)[1])
			f.Add(tok)
			p := splitToken(tok)
			f.Add(p[0] + "." + p[1] + ".")
			f.Add(p[0] + "." + p[1] + "." + p[2][:len(p[2])-1] + "A")
			f.Add(p[0] + ".." + p[2])
			f.Add(tok + ".")
			f.Add(strings.Replace(tok, ".", "..", 1))
		}
	}
	for _, s := range []string{
		"", ".", "..", "...", "a.b.c", strings.Repeat(".", 9000),
		jsonSeg(f, `{"alg":"none","typ":"JWT","kid":"key-ed"}`) + "." + payloads[0] + ".",
		jsonSeg(f, `{"alg":"HS256","typ":"JWT","kid":"key-ed"}`) + "." + payloads[0] + ".AAAA",
		jsonSeg(f, `{"alg":"EdDSA","typ":"JWT","kid":"key-ed","jku":"https://evil"}`) + "." + payloads[0] + ".AAAA",
		jsonSeg(f, `{"alg":"EdDSA","typ":"JWT","kid":"../../dev/null"}`) + "." + payloads[0] + ".AAAA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.VerifyAllowExpired(tok)
		if err != nil && !errors.Is(err, ErrExpired) {
			if c != nil {
				t.Fatalf("claims returned with %v", err)
			}
			return
		}
		if c == nil {
			t.Fatalf("no claims and no error")
		}
		if signed[tok] {
			return
		}
		// Only an ES256 token may verify in another form, and only with the signed claims.
		if headerKID(t, tok) != "key-ec" {
			t.Fatalf("a token the signer never produced verified: %q", tok)
		}
		found := false
		for s := range signed {
			if p := splitToken(s); p[0]+"."+p[1] == tok[:strings.LastIndexByte(tok, '.')] {
				found = true
			}
		}
		if !found {
			t.Fatalf("an ES256 token with an unsigned header or payload verified: %q", tok)
		}
	})
}

// FuzzParseJWKS: no input may panic; every key returned is a usable public key that
// survives a JWKS round trip unchanged.
func FuzzParseJWKS(f *testing.F) {
	ks := mustKeySet(f, Keys{Current: mustKey(f, EdDSA, "key-ed"), Next: []*Key{mustKey(f, ES256, "key-ec")}})
	jwks, _ := ks.JWKS()
	f.Add(jwks)
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":"r"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"rfc8037"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"rfc7517"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA","d":"AAAA","kid":"k"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseJWKS(data)
		if err != nil {
			if keys != nil {
				t.Fatal("keys returned with an error")
			}
			return
		}
		seen := map[string]bool{}
		for _, k := range keys {
			if k == nil || k.CanSign() || checkKID(k.kid) != nil || seen[k.kid] || k.verifyKey == nil {
				t.Fatalf("bad key %+v", k)
			}
			seen[k.kid] = true
		}
		if len(keys) == 0 {
			return
		}
		set, err := NewKeySet(Keys{Next: keys})
		if err != nil {
			t.Fatal(err)
		}
		again, _ := set.JWKS()
		back, err := ParseJWKS(again)
		if err != nil || len(back) != len(keys) {
			t.Fatalf("round trip: %v, %d keys", err, len(back))
		}
		for i := range keys {
			a, _ := keys[i].MarshalPublic()
			b, _ := back[i].MarshalPublic()
			if !reflect.DeepEqual(a, b) {
				t.Fatal("key changed in a round trip")
			}
		}
	})
}

// FuzzClaimsJSON: decoding arbitrary JSON never panics, and whatever decodes re-encodes to
// something that decodes to the same claims (custom claims included).
func FuzzClaimsJSON(f *testing.F) {
	for _, c := range []*Claims{sessionClaims(), fullClaims()} {
		b, _ := json.Marshal(c)
		f.Add(b)
	}
	f.Add([]byte(`{"sub":"x","SUB":"y","Custom":1,"su\u0062":"z"}`))
	f.Add([]byte(`{"aud":["a",""],"fva":[-1,-1],"act":{"sub":"a","x":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Claims
		if err := json.Unmarshal(data, &c); err != nil {
			return
		}
		// hasUnregisteredMember must never hide a custom claim that encoding/json sees.
		var all map[string]any
		if json.Unmarshal(data, &all) == nil {
			for k := range all {
				if !isRegistered(k) {
					if _, ok := c.Extra[k]; !ok {
						t.Fatalf("custom claim %q lost", k)
					}
				}
			}
		}
		b, err := json.Marshal(&c)
		if err != nil {
			t.Fatalf("re-encoding decoded claims: %v", err)
		}
		var back Claims
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if c.Audience != nil && len(c.Audience) == 0 {
			back.Audience = c.Audience // an empty aud array is not written back
		}
		if !reflect.DeepEqual(&back, &c) {
			t.Fatalf("round trip:\n%+v\n%+v", &c, &back)
		}
	})
}
