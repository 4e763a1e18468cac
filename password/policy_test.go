package password

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// code returns the PolicyError code of err, "" for nil, and fails on any other error.
func code(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *PolicyError", err)
	}
	if pe.Message == "" {
		t.Errorf("code %s has no message", pe.Code)
	}
	return pe.Code
}

func TestLengthCountsCodePoints(t *testing.T) {
	for _, c := range []struct {
		name, pw string
		min      int
		want     string
	}{
		{"8 emoji (32 bytes)", strings.Repeat("🦊", 8), 0, ""},
		{"7 emoji (28 bytes) is short", strings.Repeat("🦊", 7), 0, CodeTooShort},
		{"8 CJK (24 bytes)", "我的秘密花园钥匙", 0, ""},
		{"7 CJK is short", "我的秘密花园钥", 0, CodeTooShort},
		{"ZWJ family counts each code point", "👨\u200d👩\u200d👧\u200d👦", 0, ""}, // 7 code points + below
		{"combining marks count as code points", strings.Repeat("x\u0301", 4), 0, ""},
		{"combining marks that compose count once", strings.Repeat("e\u0301", 7), 0, CodeTooShort},
		{"spaces count", "a b c d ", 0, ""},
		{"7 ASCII is short", "zq7#kpw", 0, CodeTooShort},
		{"NIST rev 4 single factor: 14 is short", "zq7#kpw-vt2!mr", 15, CodeTooShort},
		{"NIST rev 4 single factor: 15 is fine", "zq7#kpw-vt2!mrx", 15, ""},
		{"MinLength below 8 is raised to 8", "zq7#kpw", 4, CodeTooShort},
		{"256 emoji (1024 bytes) is fine", strings.Repeat("🦊", 256), 0, ""},
		{"257 emoji is long", strings.Repeat("🦊", 257), 0, CodeTooLong},
	} {
		pw := c.pw
		if strings.HasPrefix(c.name, "ZWJ") {
			pw += "x" // 8 code points, 26 bytes, one glyph plus x
		}
		p := &Policy{MinLength: c.min}
		if got := code(t, p.Check(context.Background(), pw)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestLongPasswordsAccepted(t *testing.T) {
	p64 := strings.Repeat("tangerine-x!", 6)[:64]
	p256 := strings.Repeat("Opal river, 9 lanterns; ", 11)[:256]
	for _, pw := range []string{p64, p256} {
		if err := (&Policy{}).Check(context.Background(), pw); err != nil {
			t.Errorf("%d characters: %v", len(pw), err)
		}
		for _, alg := range []Algorithm{Argon2id, Bcrypt} {
			cfg := fastConfig
			cfg.Algorithm = alg
			h := mustHasher(t, cfg)
			if ok, _ := verify(t, h, pw, mustHash(t, h, pw)); !ok {
				t.Errorf("%s: %d characters did not round-trip", alg, len(pw))
			}
		}
	}
	// MaxLength may be raised, up to the byte cap.
	long := strings.Repeat("k", 1000)
	if err := (&Policy{MaxLength: 2000}).Check(context.Background(), long); err != nil {
		t.Errorf("1000 characters with MaxLength 2000: %v", err)
	}
	if got := code(t, (&Policy{MaxLength: 10}).Check(context.Background(), strings.Repeat("k", 64))); got != "" {
		t.Errorf("MaxLength below 64 was not raised to 64: %s", got)
	}
}

func TestCommonPasswordRejected(t *testing.T) {
	if n := len(commonPasswords()); n < 3000 {
		t.Fatalf("common list has %d entries, want at least 3000", n)
	}
	for _, pw := range []string{
		"password", "Password1", "PASSWORD123", "ｐａｓｓｗｏｒｄ１２３", "qwertyuiop", "iloveyou",
		"123456789", "1q2w3e4r5t", "11111111", "letmein123", "football1", "p@ssw0rd", "sunshine2024",
	} {
		if got := code(t, (&Policy{}).Check(context.Background(), pw)); got != CodeCommon {
			t.Errorf("%q: got %q, want %s", pw, got, CodeCommon)
		}
		if !IsCommon(pw) {
			t.Errorf("IsCommon(%q) = false", pw)
		}
	}
	for _, pw := range []string{"violet staple orbit", "Tr0ub4dor&3-lamp", "mañana-ceviche-42"} {
		if err := (&Policy{}).Check(context.Background(), pw); err != nil {
			t.Errorf("%q: %v", pw, err)
		}
	}
}

func TestContextWordsRejected(t *testing.T) {
	words := []string{"Acme Cloud", "Jane", "Doe", "jd", "jane.doe@example.com", ""}
	for _, c := range []struct{ pw, want string }{
		{"my-acme-secret-x", CodeContainsContext},     // app name token
		{"ACMECLOUDISGREAT", CodeContainsContext},     // whole app name, case-insensitive
		{"big jane energy 9", CodeContainsContext},    // first name
		{"Ｊａｎｅ rocks it!!", CodeContainsContext},      // after NFKC
		{"x jane.doe x 2024", CodeContainsContext},    // email local part
		{"jane.doe@example.com", CodeContainsContext}, // the address itself
		{"doe-eyed sunrise 42", ""},                   // "doe" is under 4 characters
		{"example.com rocks on", ""},                  // the mail domain is not a context word
		{"quiet harbour lights", ""},
	} {
		if got := code(t, (&Policy{}).Check(context.Background(), c.pw, words...)); got != c.want {
			t.Errorf("%q: got %q, want %q", c.pw, got, c.want)
		}
	}
	// Short context words are refused only as the whole password.
	if got := code(t, (&Policy{}).Check(context.Background(), "Zed9Zed9", "zed9zed9")); got != CodeContainsContext {
		t.Errorf("password equal to a context word: %q", got)
	}
	if !containsContext("abc", []string{"ABC"}) || containsContext("abcdef", []string{"abc"}) {
		t.Error("short context words: want equality only")
	}
}

func TestPolicyErrorShape(t *testing.T) {
	err := (&Policy{}).Check(context.Background(), "short")
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Code != CodeTooShort || !strings.Contains(pe.Message, "8") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(pe.Error(), "short\"") || !strings.Contains(pe.Error(), CodeTooShort) {
		t.Errorf("Error() = %q", pe.Error())
	}
}
