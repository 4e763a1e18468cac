package token

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fullClaims sets every claim, including custom ones of every JSON type.
func fullClaims() *Claims {
	c := sessionClaims()
	c.Audience = []string{"api", "web"}
	c.Actor = &Actor{Subject: "user_admin"}
	c.Version = 7
	c.Extra = map[string]any{
		"tier":    "gold",
		"seats":   float64(12),
		"beta":    true,
		"tags":    []any{"a", "b"},
		"profile": map[string]any{"locale": "fr", "age": float64(3)},
		"nothing": nil,
		"jti":     "tok_1",
		"ünïcode": "ok",
	}
	return c
}

func TestClaimsRoundTrip(t *testing.T) {
	ks := mustKeySet(t, Keys{Current: mustKey(t, EdDSA, "key-ed")})
	v := mustVerifier(t, ks, Config{Audience: []string{"api"}, AuthorizedParties: []string{"https://app.example.com"}})
	cases := map[string]*Claims{
		"every claim":      fullClaims(),
		"no custom claims": sessionClaims(),
		"minimal":          {Issuer: testIssuer, Subject: "user_1", ExpiresAt: testNow.Add(time.Minute), AuthorizedParty: "https://app.example.com", Audience: []string{"api"}},
		"fva never":        func() *Claims { c := sessionClaims(); c.FactorVerificationAge = &[2]int{-1, -1}; return c }(),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			v := v
			if in.Audience == nil {
				v = mustVerifier(t, ks, Config{AuthorizedParties: []string{"https://app.example.com"}})
			}
			out, err := v.Verify(mustSign(t, ks, in))
			if err != nil {
				t.Fatal(err)
			}
			want := *in
			if want.Version == 0 {
				want.Version = ClaimsVersion
			}
			if !reflect.DeepEqual(out, &want) {
				t.Fatalf("round trip:\n got  %+v\n want %+v", out, &want)
			}
			// The same through encoding/json directly.
			b, err := json.Marshal(&want)
			if err != nil {
				t.Fatal(err)
			}
			var back Claims
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&back, &want) {
				t.Fatalf("JSON round trip:\n got  %+v\n want %+v", &back, &want)
			}
		})
	}
	in := sessionClaims()
	in.IssuedAt = in.IssuedAt.Add(900 * time.Millisecond)
	out, err := v.Verify(mustSign(t, ks, &Claims{Issuer: testIssuer, ExpiresAt: testNow.Add(time.Minute + 999*time.Millisecond), IssuedAt: in.IssuedAt, AuthorizedParty: "https://app.example.com", Audience: []string{"api"}}))
	if err != nil {
		t.Fatal(err)
	}
	if !out.IssuedAt.Equal(testNow) || !out.ExpiresAt.Equal(testNow.Add(time.Minute)) || out.IssuedAt.Location() != time.UTC {
		t.Fatalf("times not truncated to UTC seconds: %v %v", out.IssuedAt, out.ExpiresAt)
	}
}

func TestCustomClaimsCannotOverrideRegistered(t *testing.T) {
	ks := mustKeySet(t, Keys{Current: mustKey(t, EdDSA, "key-ed")})
	for _, name := range []string{"sub", "exp", "org_permissions", "v", "SUB", "Exp", "Org_Role", "AMR"} {
		c := sessionClaims()
		c.Extra = map[string]any{name: "x"}
		if _, err := ks.Sign(c); err == nil {
			t.Errorf("Sign accepted custom claim %q", name)
		}
	}
	// A payload that has them anyway (not minted by Sign) never shows them in Extra.
	var c Claims
	if err := json.Unmarshal([]byte(`{"sub":"a","SUB":"b","Org_Role":"x","custom":1}`), &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Extra) != 1 || c.Extra["custom"] != float64(1) {
		t.Fatalf("Extra = %v", c.Extra)
	}
}

func TestClaimsDecodingStrict(t *testing.T) {
	for _, bad := range []string{
		`{"exp":"1700000000"}`, `{"fva":[1]}`, `{"fva":[1,2,3]}`, `{"fva":[-2,0]}`, `{"fva":"1,2"}`,
		`{"exp":1e300}`, `{"org_permissions":"org:x"}`, `{"act":"user_1"}`, `{"v":"1"}`, `{"aud":1}`,
		`{"sub":1}`, `[]`, `{"sub":"a"} {}`, `{"sub":"a"`,
	} {
		var c Claims
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("decoded %s", bad)
		}
	}
	var c Claims
	if err := json.Unmarshal([]byte(`{"exp":1700000000.5,"aud":null,"fva":null}`), &c); err != nil {
		t.Fatal(err)
	}
	if !c.ExpiresAt.Equal(testNow.Add(500*time.Millisecond)) || c.Audience != nil || c.FactorVerificationAge != nil {
		t.Fatalf("%+v", c)
	}
}

func TestHasUnregisteredMember(t *testing.T) {
	cases := map[string]bool{
		`{}`:                                    false,
		`{"sub":"x","exp":1}`:                   false,
		`{"sub":"x","custom":1}`:                true,
		`{"sub":{"custom":1},"amr":["a,b"]}`:    false,
		`{"sub":"\",\"custom\":1","v":1}`:       false,
		`{"su\u0062":"x"}`:                      true, // escaped: decided by encoding/json
		`{ "sub" : "x" , "exp" : [1,{"a":2}] }`: false,
		`{"aud":["x"],"x":[]}`:                  true,
		`{"SUB":"x"}`:                           true,
	}
	for in, want := range cases {
		if got := hasUnregisteredMember([]byte(in)); got != want {
			t.Errorf("hasUnregisteredMember(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestAuthorizationHelpersDoNotAllocate(t *testing.T) {
	c := sessionClaims()
	c.Actor = &Actor{Subject: "user_admin"}
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"permission", c.HasPermission("org:invoices:write"), true},
		{"missing permission", c.HasPermission("org:invoices:delete"), false},
		{"empty permission", c.HasPermission(""), false},
		{"role", c.HasRole("org:admin"), true},
		{"other role", c.HasRole("org:member"), false},
		{"feature", c.HasFeature("sso"), true},
		{"missing feature", c.HasFeature("saml"), false},
		{"plan", c.HasPlan("pro"), true},
		{"empty plan", (&Claims{}).HasPlan(""), false},
		{"amr", c.HasAMR("otp"), true},
		{"impersonated", c.Impersonated(), true},
		{"not impersonated", sessionClaims().Impersonated(), false},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v", ch.name, ch.got)
		}
	}
	if age, ok := c.FirstFactorAge(); !ok || age != 3*time.Minute {
		t.Errorf("FirstFactorAge = %v, %v", age, ok)
	}
	if _, ok := c.SecondFactorAge(); ok {
		t.Error("SecondFactorAge: -1 read as verified")
	}
	if _, ok := (&Claims{}).SecondFactorAge(); ok {
		t.Error("SecondFactorAge: absent fva read as verified")
	}
	n := testing.AllocsPerRun(100, func() {
		_ = c.HasPermission("org:members:manage") && c.HasRole("org:admin") && c.HasFeature("audit_log") &&
			c.HasPlan("pro") && c.HasAMR("pwd") && c.Impersonated()
		c.SecondFactorAge()
		c.GetIssuer()
		c.GetAudience()
	})
	if n != 0 {
		t.Fatalf("authorization helpers allocated %v times", n)
	}
}

func TestVerifyAllowExpired(t *testing.T) {
	ks := mustKeySet(t, Keys{Current: mustKey(t, EdDSA, "key-ed")})
	tok := mustSign(t, ks, sessionClaims())
	later := mustVerifier(t, ks, Config{Clock: fixedClock(testNow.Add(time.Hour))})
	c, err := later.VerifyAllowExpired(tok)
	if !errors.Is(err, ErrExpired) || c == nil || c.SessionID != "sess_2xyz" {
		t.Fatalf("(%v, %v)", c, err)
	}
	if c, err := later.Verify(tok); !errors.Is(err, ErrExpired) || c != nil {
		t.Fatalf("Verify of an expired token: (%v, %v)", c, err)
	}
	now := mustVerifier(t, ks, Config{})
	if c, err := now.VerifyAllowExpired(tok); err != nil || c == nil {
		t.Fatalf("valid token: (%v, %v)", c, err)
	}
	// Not yet valid is not "expired": no claims.
	early := mustVerifier(t, ks, Config{Clock: fixedClock(testNow.Add(-time.Hour))})
	if c, err := early.VerifyAllowExpired(tok); !errors.Is(err, ErrNotYetValid) || c != nil {
		t.Fatalf("early: (%v, %v)", c, err)
	}
}

func TestTypHeaderRequired(t *testing.T) {
	k := mustKey(t, EdDSA, "key-ed")
	ks := mustKeySet(t, Keys{Current: k})
	v := mustVerifier(t, ks, Config{})
	p := payloadJSON(t, sessionClaims())
	for _, typ := range []any{"at+jwt", "JWS", "", 1, nil} {
		wantErr(t, v, craft(t, header(k, map[string]any{"typ": typ}), p, signWith(t, k)), ErrMalformed)
	}
	if _, err := v.Verify(craft(t, header(k, map[string]any{"typ": "jwt"}), p, signWith(t, k))); err != nil {
		t.Fatalf("typ is case-insensitive (RFC 7515 §4.1.9): %v", err)
	}
}

// TestTemplateTokenIsNotASession: a token signed with the session keys for another
// service (a JWT template) carries TypeTemplate, which a session verifier refuses; a
// verifier for templates accepts it and refuses session tokens in turn.
func TestTemplateTokenIsNotASession(t *testing.T) {
	k := mustKey(t, EdDSA, "key-ed")
	ks := mustKeySet(t, Keys{Current: k})
	c := sessionClaims()
	c.SessionID = ""
	tmpl, err := ks.SignType(c, TypeTemplate)
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, mustVerifier(t, ks, Config{}), tmpl, ErrMalformed)
	wantErr(t, mustVerifier(t, ks, Config{Type: TypeSession}), tmpl, ErrMalformed)
	tv := mustVerifier(t, ks, Config{Type: TypeTemplate})
	if _, err := tv.Verify(tmpl); err != nil {
		t.Fatalf("a template verifier refused a template token: %v", err)
	}
	wantErr(t, tv, mustSign(t, ks, sessionClaims()), ErrMalformed)
	for _, bad := range []string{"", "a b", strings.Repeat("x", 65), "t\x00"} {
		if _, err := ks.SignType(c, bad); err == nil {
			t.Errorf("SignType accepted typ %q", bad)
		}
		if _, err := NewVerifier(ks, Config{Issuer: testIssuer, Type: bad}); err == nil && bad != "" {
			t.Errorf("NewVerifier accepted typ %q", bad)
		}
	}
}

func TestMalformedTokens(t *testing.T) {
	k := mustKey(t, EdDSA, "key-ed")
	ks := mustKeySet(t, Keys{Current: k})
	v := mustVerifier(t, ks, Config{})
	good := mustSign(t, ks, sessionClaims())
	p := splitToken(good)
	for name, tok := range map[string]string{
		"empty":              "",
		"one segment":        p[0],
		"two segments":       p[0] + "." + p[1],
		"four segments":      good + ".x",
		"padded signature":   good + "==",
		"standard base64":    p[0] + "." + strings.ReplaceAll(strings.ReplaceAll(p[1], "-", "+"), "_", "/") + "+/." + p[2],
		"header not JSON":    b64url([]byte("nope")) + "." + p[1] + "." + p[2],
		"header array":       b64url([]byte("[]")) + "." + p[1] + "." + p[2],
		"payload not object": p[0] + "." + b64url([]byte(`"x"`)) + "." + p[2],
		"whitespace":         " " + good,
		"signature not b64":  p[0] + "." + p[1] + ".!!!",
		"bad fva signed":     craft(t, header(k, nil), `{"iss":"`+testIssuer+`","exp":`+jsonNum(testNow.Add(time.Minute))+`,"fva":[1]}`, signWith(t, k)),
	} {
		t.Run(name, func(t *testing.T) { wantErr(t, v, tok, ErrMalformed) })
	}
	// Non-canonical base64 (stray low bits in the last character) is refused, so a token
	// has exactly one encoding.
	sig := p[2]
	last := sig[len(sig)-1]
	alt := strings.IndexByte("AQgw", last) // 86 chars: the last holds 2 significant bits
	if alt >= 0 {
		tweaked := p[0] + "." + p[1] + "." + sig[:len(sig)-1] + string("BRhx"[alt])
		if _, err := v.Verify(tweaked); err == nil {
			t.Fatal("non-canonical base64 signature accepted")
		}
	}
}
