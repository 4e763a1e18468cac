package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"github.com/latchauth/latch/internal/fakeclock"
	"hash"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// attackFixture is a verifier over one EdDSA and one ES256 key, and an attacker's keys.
type attackFixture struct {
	ed, ec     *Key // ours
	evil       *Key // the attacker's Ed25519 key, unknown to the verifier
	evilEC     *Key
	ks         *KeySet
	v          *Verifier
	goodClaims string // payload JSON of a valid session token
}

func newAttackFixture(t *testing.T) *attackFixture {
	t.Helper()
	f := &attackFixture{
		ed:     mustKey(t, EdDSA, "key-ed"),
		ec:     mustKey(t, ES256, "key-ec"),
		evil:   mustKey(t, EdDSA, "evil-ed"),
		evilEC: mustKey(t, ES256, "evil-ec"),
	}
	f.ks = mustKeySet(t, Keys{Current: f.ed, Next: []*Key{f.ec}})
	f.v = mustVerifier(t, f.ks, Config{})
	c := sessionClaims()
	c.Version = ClaimsVersion
	f.goodClaims = payloadJSON(t, c)
	return f
}

func hmacSign(h func() hash.Hash, key []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(h, key)
		m.Write(input)
		return m.Sum(nil)
	}
}

func noSig([]byte) []byte { return nil }

func wantErr(t *testing.T, v *Verifier, tok string, want error) {
	t.Helper()
	c, err := v.Verify(tok)
	if !errors.Is(err, want) {
		t.Fatalf("Verify: got error %v, want %v", err, want)
	}
	if c != nil {
		t.Fatalf("Verify returned claims with error %v", err)
	}
	c, err = v.VerifyAllowExpired(tok)
	if !errors.Is(err, want) || c != nil {
		t.Fatalf("VerifyAllowExpired: got (%v, %v), want (nil, %v)", c, err, want)
	}
}

func TestSignedTokenVerifies(t *testing.T) {
	f := newAttackFixture(t)
	tok := mustSign(t, f.ks, sessionClaims())
	c, err := f.v.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "user_2abc" || !c.HasPermission("org:invoices:read") {
		t.Fatalf("claims: %+v", c)
	}
	h := splitToken(tok)[0]
	if want := jsonSeg(t, `{"alg":"EdDSA","kid":"key-ed","typ":"JWT"}`); h != want {
		t.Fatalf("header segment %s, want %s", h, want)
	}
}

func TestAlgNoneRejected(t *testing.T) {
	f := newAttackFixture(t)
	for _, alg := range []string{"none", "None", "NONE", "nOnE", ""} {
		t.Run("alg="+alg, func(t *testing.T) {
			for _, sig := range []func([]byte) []byte{noSig, signWith(t, f.ed)} {
				tok := craft(t, header(f.ed, map[string]any{"alg": alg}), f.goodClaims, sig)
				wantErr(t, f.v, tok, ErrAlgorithm)
			}
		})
	}
	t.Run("missing alg", func(t *testing.T) {
		delete := map[string]any{"alg": nil}
		wantErr(t, f.v, craft(t, header(f.ed, delete), f.goodClaims, noSig), ErrAlgorithm)
	})
	t.Run("golang-jwt none method", func(t *testing.T) {
		tk := jwt.NewWithClaims(jwt.SigningMethodNone, sessionClaims())
		tk.Header["kid"] = f.ed.kid
		s, err := tk.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, f.v, s, ErrAlgorithm)
	})
	t.Run("config cannot allow none", func(t *testing.T) {
		if _, err := NewVerifier(f.ks, Config{Issuer: testIssuer, Algorithms: []Algorithm{"none"}}); err == nil {
			t.Fatal("NewVerifier accepted alg none")
		}
	})
}

// An HS256 token whose HMAC key is our public key: a verifier that picks the algorithm from
// the header and passes "the key" to it would accept it (CVE-2015-9235).
func TestHS256SignedWithPublicKeyRejected(t *testing.T) {
	f := newAttackFixture(t)
	edPKIX, err := f.ed.MarshalPublic()
	if err != nil {
		t.Fatal(err)
	}
	ecPKIX, err := f.ec.MarshalPublic()
	if err != nil {
		t.Fatal(err)
	}
	ecPoint, err := f.ec.public.(*ecdsa.PublicKey).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := f.ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	pemish := []byte("-----BEGIN PUBLIC KEY-----\n" + b64url(edPKIX) + "\n-----END PUBLIC KEY-----\n")
	keys := []struct {
		name string
		kid  string
		key  []byte
	}{
		{"Ed25519 raw", f.ed.kid, f.ed.public.(ed25519.PublicKey)},
		{"Ed25519 PKIX DER", f.ed.kid, edPKIX},
		{"Ed25519 PEM-ish", f.ed.kid, pemish},
		{"P-256 point", f.ec.kid, ecPoint},
		{"P-256 PKIX DER", f.ec.kid, ecPKIX},
		{"JWKS document", f.ed.kid, jwks},
	}
	algs := []struct {
		alg string
		h   func() hash.Hash
	}{{"HS256", sha256.New}, {"HS384", sha512.New384}, {"HS512", sha512.New}}
	for _, k := range keys {
		for _, a := range algs {
			t.Run(k.name+"/"+a.alg, func(t *testing.T) {
				h := map[string]any{"alg": a.alg, "typ": "JWT", "kid": k.kid}
				wantErr(t, f.v, craft(t, h, f.goodClaims, hmacSign(a.h, k.key)), ErrAlgorithm)
			})
		}
	}
	if _, err := NewVerifier(f.ks, Config{Issuer: testIssuer, Algorithms: []Algorithm{"HS256"}}); err == nil {
		t.Fatal("NewVerifier accepted HS256")
	}
}

func TestRS256Rejected(t *testing.T) {
	f := newAttackFixture(t)
	rsaKey, err := rsa.GenerateKey(testRand(99), 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []jwt.SigningMethod{jwt.SigningMethodRS256, jwt.SigningMethodPS256, jwt.SigningMethodRS512} {
		t.Run(m.Alg(), func(t *testing.T) {
			sign := func(input []byte) []byte {
				sig, err := m.Sign(string(input), rsaKey)
				if err != nil {
					t.Fatal(err)
				}
				return sig
			}
			for _, kid := range []string{f.ed.kid, f.ec.kid, "rsa-1"} {
				h := map[string]any{"alg": m.Alg(), "typ": "JWT", "kid": kid}
				wantErr(t, f.v, craft(t, h, f.goodClaims, sign), ErrAlgorithm)
			}
			// RS256 "signed" with an HMAC of our public key: the mirror image of the HS256 attack.
			h := map[string]any{"alg": m.Alg(), "typ": "JWT", "kid": f.ed.kid}
			wantErr(t, f.v, craft(t, h, f.goodClaims, hmacSign(sha256.New, f.ed.public.(ed25519.PublicKey))), ErrAlgorithm)
		})
	}
	if _, err := NewVerifier(f.ks, Config{Issuer: testIssuer, Algorithms: []Algorithm{"RS256"}}); err == nil {
		t.Fatal("NewVerifier accepted RS256")
	}
	// ES256 header on an Ed25519 key, and the reverse: the key decides the algorithm too.
	wantErr(t, f.v, craft(t, header(f.ed, map[string]any{"alg": "ES256"}), f.goodClaims, signWith(t, f.ec)), ErrAlgorithm)
	wantErr(t, f.v, craft(t, header(f.ec, map[string]any{"alg": "EdDSA"}), f.goodClaims, signWith(t, f.ed)), ErrAlgorithm)
	// A verifier restricted to EdDSA refuses ES256 even for a key it holds.
	edOnly := mustVerifier(t, f.ks, Config{Algorithms: []Algorithm{EdDSA}})
	wantErr(t, edOnly, craft(t, header(f.ec, nil), f.goodClaims, signWith(t, f.ec)), ErrAlgorithm)
}

// CVE-2018-0114: a token that carries its own key in "jwk" and is signed by it.
func TestEmbeddedJWKHeaderIgnored(t *testing.T) {
	f := newAttackFixture(t)
	evilPub := f.evil.public.(ed25519.PublicKey)
	embedded := map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64url(evilPub), "kid": f.evil.kid}
	for _, kid := range []any{f.evil.kid, f.ed.kid, nil} {
		h := header(f.evil, map[string]any{"jwk": embedded, "kid": kid})
		wantErr(t, f.v, craft(t, h, f.goodClaims, signWith(t, f.evil)), ErrUnknownKey)
	}
	// Even signed by our own key, a token with a jwk header is refused: nothing a token
	// says about keys is ever looked at.
	h := header(f.ed, map[string]any{"jwk": embedded})
	wantErr(t, f.v, craft(t, h, f.goodClaims, signWith(t, f.ed)), ErrUnknownKey)
}

func TestJKUAndX5UHeadersRejected(t *testing.T) {
	f := newAttackFixture(t)
	var hits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"keys":[]}`))
	}))
	defer evil.Close()
	for _, h := range []string{"jku", "x5u", "x5c", "x5t", "x5t#S256"} {
		for _, signer := range []*Key{f.evil, f.ed} {
			t.Run(h+"/"+signer.kid, func(t *testing.T) {
				var val any = evil.URL + "/jwks.json"
				if h == "x5c" {
					val = []string{b64url([]byte("not a cert"))}
				}
				hd := header(f.ed, map[string]any{h: val})
				wantErr(t, f.v, craft(t, hd, f.goodClaims, signWith(t, signer)), ErrUnknownKey)
			})
		}
	}
	t.Run("crit", func(t *testing.T) {
		hd := header(f.ed, map[string]any{"crit": []string{"exp"}, "exp": 1})
		wantErr(t, f.v, craft(t, hd, f.goodClaims, signWith(t, f.ed)), ErrMalformed)
	})
	if n := hits.Load(); n != 0 {
		t.Fatalf("the verifier made %d requests to a URL from a token header", n)
	}
}

func TestKidInjectionRejected(t *testing.T) {
	f := newAttackFixture(t)
	kids := []struct {
		name string
		kid  any
	}{
		{"path traversal", "../../dev/null"},
		{"absolute path", "/dev/null"},
		{"sql", "' OR '1'='1"},
		{"sql union", "x' UNION SELECT 'AAAA' --"},
		{"empty", ""},
		{"huge", strings.Repeat("k", 4000)},
		{"just over limit", strings.Repeat("k", MaxKIDLength+1)},
		{"nul", "key-ed\x00"},
		{"case variant", "KEY-ED"},
		{"prefix", "key-e"},
		{"url", "https://evil.example/key"},
		{"number", 1},
		{"array", []string{"key-ed"}},
		{"object", map[string]string{"kid": "key-ed"}},
		{"null", nil},
	}
	for _, tc := range kids {
		t.Run(tc.name, func(t *testing.T) {
			for _, signer := range []*Key{f.evil, f.ed} {
				h := map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": tc.kid}
				wantErr(t, f.v, craft(t, h, f.goodClaims, signWith(t, signer)), ErrUnknownKey)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		h := map[string]any{"alg": "EdDSA", "typ": "JWT"}
		wantErr(t, f.v, craft(t, h, f.goodClaims, signWith(t, f.ed)), ErrUnknownKey)
	})
}

// CVE-2024-51744: an expired token with a bad signature must be reported as a signature
// failure, or the middleware would route a forged token to its refresh path.
func TestExpiredAndForgedTokenReportsSignatureError(t *testing.T) {
	f := newAttackFixture(t)
	expired := sessionClaims()
	expired.IssuedAt = testNow.Add(-time.Hour)
	expired.NotBefore = time.Time{}
	expired.ExpiresAt = testNow.Add(-time.Hour + time.Minute)
	expiredJSON := payloadJSON(t, expired)

	// The same token with a valid signature is expired, and VerifyAllowExpired hands it back.
	valid := craft(t, header(f.ed, nil), expiredJSON, signWith(t, f.ed))
	if _, err := f.v.Verify(valid); !errors.Is(err, ErrExpired) {
		t.Fatalf("validly signed expired token: %v, want ErrExpired", err)
	}
	if c, err := f.v.VerifyAllowExpired(valid); !errors.Is(err, ErrExpired) || c == nil || c.SessionID != "sess_2xyz" {
		t.Fatalf("VerifyAllowExpired: (%v, %v), want claims and ErrExpired", c, err)
	}

	parts := splitToken(valid)
	sig, _ := b64.DecodeString(parts[2])
	flipped := append([]byte(nil), sig...)
	flipped[5] ^= 1
	tampered := expired
	tampered.Subject = "user_admin"
	cases := map[string]string{
		"signed by attacker key with our kid": craft(t, header(f.ed, nil), expiredJSON, signWith(t, f.evil)),
		"bit flipped in signature":            parts[0] + "." + parts[1] + "." + b64url(flipped),
		"empty signature":                     parts[0] + "." + parts[1] + ".",
		"signature of another token":          parts[0] + "." + parts[1] + "." + splitToken(mustSign(t, f.ks, sessionClaims()))[2],
		"payload swapped":                     parts[0] + "." + jsonSeg(t, payloadJSON(t, tampered)) + "." + parts[2],
		"ES256 key, garbage signature":        craft(t, header(f.ec, nil), expiredJSON, func([]byte) []byte { return make([]byte, 64) }),
		"ES256 key, signed by attacker":       craft(t, header(f.ec, nil), expiredJSON, signWith(t, f.evilEC)),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) { wantErr(t, f.v, tok, ErrSignature) })
	}

	// Other faults dominate expiry too: with an expired, validly signed token from the wrong
	// issuer VerifyAllowExpired must not offer the claims for a refresh.
	other := *expired
	other.Issuer = "https://evil.example.com"
	wantErr(t, f.v, craft(t, header(f.ed, nil), payloadJSON(t, &other), signWith(t, f.ed)), ErrIssuer)
}

// CVE-2025-30204: golang-jwt < 5.2.2 split a token on every dot before looking at it.
func TestOversizedTokenRejectedBeforeSplit(t *testing.T) {
	f := newAttackFixture(t)
	dots := strings.Repeat(".", 1<<20)
	wantErr(t, f.v, dots, ErrTooLarge)
	if n := testing.AllocsPerRun(20, func() { f.v.Verify(dots) }); n != 0 {
		t.Fatalf("rejecting 1 MB of dots allocated %v times per run, want 0", n)
	}
	// Just over the limit is too large; at the limit it gets as far as parsing.
	big := strings.Repeat("a", DefaultMaxTokenSize+1)
	wantErr(t, f.v, big, ErrTooLarge)
	wantErr(t, f.v, big[1:], ErrMalformed)
	small := mustVerifier(t, f.ks, Config{MaxTokenSize: 100})
	wantErr(t, small, mustSign(t, f.ks, sessionClaims()), ErrTooLarge)
	// Many dots under the limit are malformed, cheaply.
	wantErr(t, f.v, strings.Repeat(".", 8000), ErrMalformed)
	if n := testing.AllocsPerRun(20, func() { f.v.Verify(strings.Repeat(".", 8000)) }); n > 10 {
		t.Fatalf("rejecting 8000 dots allocated %v times per run", n)
	}
}

func TestClockSkewAtLeeway(t *testing.T) {
	ks := mustKeySet(t, Keys{Current: mustKey(t, EdDSA, "key-ed")})
	iat := testNow
	exp := testNow.Add(time.Minute)
	nbf := testNow
	tok := mustSign(t, ks, &Claims{Issuer: testIssuer, Subject: "user_1", IssuedAt: iat, NotBefore: nbf, ExpiresAt: exp})
	tokIATOnly := mustSign(t, ks, &Claims{Issuer: testIssuer, Subject: "user_1", IssuedAt: iat, ExpiresAt: exp})
	for _, leeway := range []time.Duration{0, 30 * time.Second, MaxLeeway} {
		eff := leeway
		if eff == 0 {
			eff = DefaultLeeway
		}
		cases := []struct {
			name string
			tok  string
			now  time.Time
			want error
		}{
			{"exactly at exp+leeway", tok, exp.Add(eff), nil},
			{"beyond exp+leeway", tok, exp.Add(eff + time.Nanosecond), ErrExpired},
			{"a second beyond exp+leeway", tok, exp.Add(eff + time.Second), ErrExpired},
			{"exactly at nbf-leeway", tok, nbf.Add(-eff), nil},
			{"before nbf-leeway", tok, nbf.Add(-eff - time.Nanosecond), ErrNotYetValid},
			{"exactly at iat-leeway", tokIATOnly, iat.Add(-eff), nil},
			{"before iat-leeway (issued in the future)", tokIATOnly, iat.Add(-eff - time.Nanosecond), ErrNotYetValid},
			{"mid-life", tok, testNow.Add(30 * time.Second), nil},
		}
		for _, tc := range cases {
			t.Run(eff.String()+"/"+tc.name, func(t *testing.T) {
				v := mustVerifier(t, ks, Config{Leeway: leeway, Clock: fixedClock(tc.now)})
				_, err := v.Verify(tc.tok)
				if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
					t.Fatalf("at %v: got %v, want %v", tc.now.Sub(testNow), err, tc.want)
				}
			})
		}
	}
	for _, bad := range []time.Duration{MaxLeeway + time.Nanosecond, time.Hour, -time.Second} {
		if _, err := NewVerifier(ks, Config{Issuer: testIssuer, Leeway: bad}); err == nil {
			t.Errorf("NewVerifier accepted leeway %v", bad)
		}
	}
	// A token without exp is refused whatever the clock says.
	noExp := craft(t, header(ks.Lookup("key-ed"), nil), `{"iss":"`+testIssuer+`","sub":"u"}`, signWith(t, ks.Lookup("key-ed")))
	wantErr(t, mustVerifier(t, ks, Config{}), noExp, ErrMalformed)
}

func TestIssuerExactMatch(t *testing.T) {
	ks := mustKeySet(t, Keys{Current: mustKey(t, EdDSA, "key-ed")})
	v := mustVerifier(t, ks, Config{})
	for _, iss := range []string{
		testIssuer + "/", "https://APP.example.com", "HTTPS://app.example.com", "http://app.example.com",
		"https://app.example.com:443", "https://app.example.com.evil.com", "https://evil.com/https://app.example.com",
		"https://app.example.co", " https://app.example.com", "https://app.example.com\x00", "",
	} {
		t.Run(iss, func(t *testing.T) {
			c := sessionClaims()
			c.Issuer = iss
			k := ks.Lookup("key-ed")
			wantErr(t, v, craft(t, header(k, nil), payloadJSON(t, c), signWith(t, k)), ErrIssuer)
		})
	}
	if _, err := v.Verify(mustSign(t, ks, sessionClaims())); err != nil {
		t.Fatal(err)
	}
	if _, err := NewVerifier(ks, Config{}); err == nil {
		t.Fatal("NewVerifier accepted an empty issuer")
	}
}

func TestAuthorizedPartyChecked(t *testing.T) {
	ks := mustKeySet(t, Keys{Current: mustKey(t, EdDSA, "key-ed")})
	parties := []string{"https://app.example.com", "https://admin.example.com"}
	strict := mustVerifier(t, ks, Config{AuthorizedParties: parties})
	open := mustVerifier(t, ks, Config{})
	cases := []struct {
		azp            string
		strict, anyAzp error
	}{
		{"https://app.example.com", nil, nil},
		{"https://admin.example.com", nil, nil},
		{"https://evil.example.com", ErrAuthorizedParty, nil},
		{"https://app.example.com/", ErrAuthorizedParty, nil},
		{"https://APP.example.com", ErrAuthorizedParty, nil},
		{"http://app.example.com", ErrAuthorizedParty, nil},
		{"", ErrAuthorizedParty, nil}, // absent: required when the list is non-empty
	}
	for _, tc := range cases {
		t.Run(tc.azp, func(t *testing.T) {
			c := sessionClaims()
			c.AuthorizedParty = tc.azp
			tok := mustSign(t, ks, c)
			for _, x := range []struct {
				v    *Verifier
				want error
			}{{strict, tc.strict}, {open, tc.anyAzp}} {
				_, err := x.v.Verify(tok)
				if x.want == nil && err != nil || !errors.Is(err, x.want) {
					t.Fatalf("got %v, want %v", err, x.want)
				}
			}
		})
	}
	if _, err := NewVerifier(ks, Config{Issuer: testIssuer, AuthorizedParties: []string{""}}); err == nil {
		t.Fatal("NewVerifier accepted an empty authorized party")
	}
}

// CVE-2020-26160: jwt-go read an array "aud" as "" and then matched an empty expectation.
func TestAudienceArrayAndString(t *testing.T) {
	ks := mustKeySet(t, Keys{Current: mustKey(t, EdDSA, "key-ed")})
	k := ks.Lookup("key-ed")
	withAud := mustVerifier(t, ks, Config{Audience: []string{"api"}})
	noAud := mustVerifier(t, ks, Config{})
	base := `"iss":"` + testIssuer + `","sub":"user_1","exp":` + jsonNum(testNow.Add(time.Minute))
	cases := []struct {
		name          string
		aud           string // raw JSON, "" for absent
		withAud, none error
	}{
		{"absent", "", ErrAudience, nil},
		{"string match", `"api"`, nil, ErrAudience},
		{"array match", `["api"]`, nil, ErrAudience},
		{"array second", `["other","api"]`, nil, ErrAudience},
		{"string other", `"other"`, ErrAudience, ErrAudience},
		{"array other", `["other"]`, ErrAudience, ErrAudience},
		{"empty string", `""`, ErrAudience, ErrAudience},
		{"array with empty string", `[""]`, ErrAudience, ErrAudience},
		{"empty array", `[]`, ErrAudience, ErrAudience},
		{"null", `null`, ErrAudience, nil},
		{"case differs", `"API"`, ErrAudience, ErrAudience},
		{"number", `123`, ErrMalformed, ErrMalformed},
		{"array of numbers", `[123]`, ErrMalformed, ErrMalformed},
		{"object", `{"api":true}`, ErrMalformed, ErrMalformed},
		{"nested array", `[["api"]]`, ErrMalformed, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := "{" + base
			if tc.aud != "" {
				p += `,"aud":` + tc.aud
			}
			p += "}"
			tok := craft(t, header(k, nil), p, signWith(t, k))
			for _, x := range []struct {
				v    *Verifier
				want error
			}{{withAud, tc.withAud}, {noAud, tc.none}} {
				_, err := x.v.Verify(tok)
				if x.want == nil && err != nil || !errors.Is(err, x.want) {
					t.Fatalf("got %v, want %v", err, x.want)
				}
			}
		})
	}
	// Signed through Claims: one audience is written as a string, several as an array.
	for _, aud := range [][]string{{"api"}, {"web", "api"}} {
		c := sessionClaims()
		c.Audience = aud
		got, err := withAud.Verify(mustSign(t, ks, c))
		if err != nil || len(got.Audience) != len(aud) {
			t.Fatalf("aud %v: (%v, %v)", aud, got, err)
		}
	}
}

func jsonNum(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestRotationKeepsOldTokensValid(t *testing.T) {
	k1 := mustKey(t, EdDSA, "key-1")
	k2 := mustKey(t, EdDSA, "key-2")
	k3 := mustKey(t, ES256, "key-3")
	ks := mustKeySet(t, Keys{Current: k1})
	v := mustVerifier(t, ks, Config{})

	// A remote verifier that fetched the JWKS once and never refetches within the test.
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := ks.JWKS()
		w.Write(b)
	}))
	defer jwksSrv.Close()
	clock := fakeclock.New(testNow)
	remote, err := NewRemoteVerifier(jwksSrv.URL, Config{Issuer: testIssuer, Clock: fixedClock(testNow), Remote: RemoteConfig{Clock: clock.Now}})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify := func(v *Verifier, tok, step string) {
		t.Helper()
		if _, err := v.Verify(tok); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}

	t1 := mustSign(t, ks, sessionClaims())
	mustVerify(v, t1, "t1 before rotation")
	mustVerify(remote, t1, "remote t1 before rotation")

	// Step 1: publish k2 as next. Signing still uses k1.
	if err := ks.Set(Keys{Current: k1, Next: []*Key{k2}}); err != nil {
		t.Fatal(err)
	}
	if kid := headerKID(t, mustSign(t, ks, sessionClaims())); kid != "key-1" {
		t.Fatalf("next key signed (kid %s)", kid)
	}
	clock.Advance(2 * time.Minute) // the remote verifier's rate limit allows one refetch
	if err := remote.keys.(*RemoteKeySet).Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Step 2: promote k2; k1 becomes previous. Old and new tokens both verify, locally and
	// remotely, without another fetch.
	if err := ks.Set(Keys{Current: k2, Previous: []*Key{k1}, Next: []*Key{k3}}); err != nil {
		t.Fatal(err)
	}
	t2 := mustSign(t, ks, sessionClaims())
	if kid := headerKID(t, t2); kid != "key-2" {
		t.Fatalf("current key not used (kid %s)", kid)
	}
	for _, x := range []*Verifier{v, remote} {
		mustVerify(x, t1, "t1 after promotion")
		mustVerify(x, t2, "t2 after promotion")
	}
	jwks, _ := ks.JWKS()
	for _, kid := range []string{"key-1", "key-2", "key-3"} {
		if !strings.Contains(string(jwks), `"kid":"`+kid+`"`) {
			t.Fatalf("JWKS lacks %s: %s", kid, jwks)
		}
	}

	// Step 3: after max TTL + leeway, drop k1. Its tokens stop verifying; k2's do not.
	if err := ks.Set(Keys{Current: k2, Next: []*Key{k3}}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, v, t1, ErrUnknownKey)
	mustVerify(v, t2, "t2 after k1 dropped")

	// Set rejects duplicates and nil keys and keeps the previous state.
	if err := ks.Set(Keys{Current: k2, Previous: []*Key{k2}}); err == nil {
		t.Fatal("Set accepted a duplicate kid")
	}
	if err := ks.Set(Keys{Current: k2, Next: []*Key{nil}}); err == nil {
		t.Fatal("Set accepted a nil key")
	}
	mustVerify(v, t2, "t2 after failed Set")
}

func headerKID(t *testing.T, tok string) string {
	t.Helper()
	h, err := b64.DecodeString(splitToken(tok)[0])
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(h), `"kid":"`)
	kid, _, _ := strings.Cut(rest, `"`)
	return kid
}

func TestRotationUnderConcurrentVerify(t *testing.T) {
	keys := []*Key{mustKey(t, EdDSA, "key-a"), mustKey(t, EdDSA, "key-b"), mustKey(t, EdDSA, "key-c")}
	ks := mustKeySet(t, Keys{Current: keys[0], Next: []*Key{keys[1]}})
	v := mustVerifier(t, ks, Config{})
	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				tok, err := ks.Sign(sessionClaims())
				if err == nil {
					_, err = v.Verify(tok)
				}
				if err != nil && !errors.Is(err, ErrUnknownKey) {
					errs <- err
					return
				}
			}
		}()
	}
	// Rotate through the keys following the rule; a token signed by the current key must
	// keep verifying while its key is previous.
	for i := range 30 {
		cur, next, prev := keys[(i+1)%3], keys[(i+2)%3], keys[i%3]
		if err := ks.Set(Keys{Current: cur, Next: []*Key{next}, Previous: []*Key{prev}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	close(done)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
