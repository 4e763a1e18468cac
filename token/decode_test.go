package token

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sentinelOf is the one sentinel error err wraps, or nil.
func sentinelOf(err error) error {
	for _, s := range []error{ErrTooLarge, ErrMalformed, ErrAlgorithm, ErrUnknownKey, ErrSignature,
		ErrIssuer, ErrAuthorizedParty, ErrAudience, ErrNotYetValid, ErrExpired} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// FuzzVerifyMatchesGolangJWT compares Verifier with referenceVerify, the golang-jwt and
// encoding/json path it replaced, on tokens built from an arbitrary header and claim set,
// signed with a key of the set (so that the claims are reached) or not. Both must give the
// same claims and the same sentinel error, except that Verifier may refuse with errStrict
// (a member named twice, a case variant of a registered claim) what the other accepts.
func FuzzVerifyMatchesGolangJWT(f *testing.F) {
	ed, ec := mustKey(f, EdDSA, "key-ed"), mustKey(f, ES256, "key-ec")
	ks := mustKeySet(f, Keys{Current: ed, Next: []*Key{ec}})
	v := mustVerifier(f, ks, Config{AuthorizedParties: []string{"https://app.example.com"}})
	full := fullClaims()
	full.Extra = map[string]any{"custom": []any{1.5, "x", map[string]any{"k": nil}}, "n": 3.0}
	for _, c := range []*Claims{sessionClaims(), full, {Issuer: testIssuer, ExpiresAt: testNow.Add(-time.Hour)}} {
		p := payloadJSON(f, c)
		f.Add(`{"alg":"EdDSA","kid":"key-ed","typ":"JWT"}`, p, uint8(0))
		f.Add(`{"alg":"ES256","kid":"key-ec","typ":"jwt"}`, p, uint8(1))
	}
	for _, h := range []string{
		`null`, `{}`, `[]`, `{"alg":"none","typ":"JWT","kid":"key-ed"}`, `{"alg":"HS256","typ":"JWT","kid":"key-ed"}`,
		`{"alg":"EdDSA","typ":"JWT","kid":"key-ed","jku":null}`, `{"alg":"EdDSA","typ":"JWT","kid":"key-ed","crit":["x"]}`,
		`{"alg":"EdDSA","typ":"JWT","kid":"key-ec"}`, `{"alg":"EdDSA","typ":"JWT","kid":"nope"}`, `{"alg":"EdDSA","typ":1,"kid":"key-ed"}`,
		`{"alg":"EdDSA","typ":"JWT","kid":"key-ed","alg":"ES256"}`, `{"al\u0067":"EdDSA","typ":"JWT","kid":"key-ed","x5t#S256":1}`,
		` {"alg" : "EdDSA" , "typ":"JWT","kid":"key-ed","ALG":"none"} `,
	} {
		f.Add(h, `{"iss":"https://app.example.com","exp":1700000060}`, uint8(0))
	}
	for _, p := range []string{
		`null`, `[]`, `"x"`, `{"exp":1700000060,"iss":"https://app.example.com","aud":[]}`,
		`{"exp":1.7e9,"iss":"https://app.example.com","azp":"https://app.example.com","aud":null,"fva":[1,null]}`,
		`{"exp":1700000060,"iss":"https://app.example.com","azp":"https://app.example.com","SUB":"x"}`,
		`{"exp":1700000060,"exp":1,"iss":"https://app.example.com","azp":"https://app.example.com"}`,
		`{"exp":1700000060,"iss":"https://app.example.com","azp":"https://app.example.com","act":{"sub":"a","Sub":"b"}}`,
		`{"exp":1700000060,"iss":"https:\/\/app.example.com","azp":"https://app.example.com","v":1.0}`,
		`{"exp":1e400,"iss":"https://app.example.com"}`, `{"exp":"1","iss":"https://app.example.com"}`,
		`{"exp":1700000060,"iss":"https://app.example.com","azp":"https://app.example.com","sub":"\ud800\xff","x":[[{}]]}`,
		`{"exp":1700000060,"iss":"https://app.example.com","azp":"https://app.example.com","ſub":"kelvin"}`,
	} {
		f.Add(`{"alg":"EdDSA","kid":"key-ed","typ":"JWT"}`, p, uint8(0))
	}
	f.Fuzz(func(t *testing.T, header, payload string, how uint8) {
		input := b64url([]byte(header)) + "." + b64url([]byte(payload))
		var tok string
		switch how % 4 {
		case 0:
			tok = input + "." + b64url(signWith(t, ed)([]byte(input)))
		case 1:
			tok = input + "." + b64url(signWith(t, ec)([]byte(input)))
		case 2:
			tok = input + "." + strings.Repeat("A", 86) // a well-formed, wrong signature
		case 3:
			tok = input + ".!" // not base64
		}
		got, err := v.VerifyAllowExpired(tok)
		want, wantErr := referenceVerify(v, tok)
		if err == errStrict {
			return
		}
		if sentinelOf(err) != sentinelOf(wantErr) {
			t.Fatalf("header %q payload %q (%d): error %v, golang-jwt %v", header, payload, how%4, err, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("header %q payload %q: claims\n%+v\ngolang-jwt\n%+v", header, payload, got, want)
		}
	})
}

// TestDecoderRefusesWhatEncodingJSONWouldGuess: a claim set with a registered claim twice,
// or under another letter case, is refused as malformed rather than resolved the way
// encoding/json would (last one wins; "SUB" fills sub). The same for act's sub and for a
// header's alg, typ and kid.
func TestDecoderRefusesWhatEncodingJSONWouldGuess(t *testing.T) {
	k := mustKey(t, EdDSA, "key-ed")
	v := mustVerifier(t, mustKeySet(t, Keys{Current: k}), Config{})
	good := `{"alg":"EdDSA","typ":"JWT","kid":"key-ed"}`
	base := `"iss":"https://app.example.com","exp":1700000060`
	for _, tc := range []struct{ header, payload string }{
		{good, `{` + base + `,"sid":"a","sid":"b"}`},
		{good, `{` + base + `,"exp":1700000060}`},
		{good, `{` + base + `,"SID":"b"}`},
		{good, `{` + base + `,"Exp":1}`},
		{good, `{` + base + `,"ſid":"kelvin-style fold"}`},
		{good, `{` + base + `,"act":{"sub":"a","SUB":"b"}}`},
		{good, `{` + base + `,"act":{"sub":"a","sub":"b"}}`},
		{`{"alg":"EdDSA","typ":"JWT","kid":"key-ed","kid":"other"}`, `{` + base + `}`},
		{`{"alg":"EdDSA","alg":"EdDSA","typ":"JWT","kid":"key-ed"}`, `{` + base + `}`},
		{`{"alg":"EdDSA","typ":"JWT","typ":"JWT","kid":"key-ed"}`, `{` + base + `}`},
	} {
		tok := craft(t, tc.header, tc.payload, signWith(t, k))
		if _, err := v.Verify(tok); err != errStrict || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s %s: %v, want the strict refusal (ErrMalformed)", tc.header, tc.payload, err)
		}
	}
	// What encoding/json accepts and the decoder must too.
	for _, p := range []string{
		`{` + base + `,"sid":null,"aud":null,"fva":null,"act":null,"amr":null,"v":null}`,
		`{` + base + `,"sub":"\u0075ser","x":1,"x":2}`, // custom claims: the last wins, as in a map
		` {` + base + ` , "amr" : [ "pwd" , null ] } `,
	} {
		if _, err := v.Verify(craft(t, good, p, signWith(t, k))); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestVerifyAllocations pins the cost the decoder removed: a typical session token (three
// lists of strings, fva, no custom claims) verifies in a handful of allocations where
// golang-jwt's path took 58.
func TestVerifyAllocations(t *testing.T) {
	k := mustKey(t, EdDSA, "key-ed")
	ks := mustKeySet(t, Keys{Current: k})
	v := mustVerifier(t, ks, Config{AuthorizedParties: []string{"https://app.example.com"}})
	tok := mustSign(t, ks, sessionClaims())
	n := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(tok); err != nil {
			t.Fatal(err)
		}
	})
	if n > 12 {
		t.Errorf("Verify allocates %v times, want at most 12", n)
	}
}
