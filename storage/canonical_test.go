package storage

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCanonicalFoldsLookAlikes(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"Alice@Example.com", "alice@example.com"},
		{"  alice@example.com\t", "alice@example.com"},
		{"ａｌｉｃｅ@example.com", "alice@example.com"},        // fullwidth
		{"\u212Aelvin@example.com", "kelvin@example.com"}, // KELVIN SIGN
		{"straße@example.com", "strasse@example.com"},
		{"e\u0301mile@example.com", "\u00e9mile@example.com"}, // decomposed and composed é
	} {
		if Canonical(KindEmailAddress, c.a) != Canonical(KindEmailAddress, c.b) {
			t.Errorf("%q and %q have different canonical forms: %q, %q", c.a, c.b, Canonical(KindEmailAddress, c.a), Canonical(KindEmailAddress, c.b))
		}
	}
	if Canonical(KindPhoneNumber, "+1 (555) 555-0100") != "+15555550100" {
		t.Errorf("phone separators kept: %q", Canonical(KindPhoneNumber, "+1 (555) 555-0100"))
	}
}

// FuzzCanonical: the canonical form is a fixed point (canonicalising twice
// changes nothing), so a stored canonical value always matches a lookup of
// itself; and it never grows white space at its ends.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"Alice@Example.com", "ｍｉｋｅ@example.org", "MİKE@example.org", "\u212A", "ß", "ﬃ", " +1 555 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		for _, k := range []IdentifierKind{KindEmailAddress, KindPhoneNumber, ""} {
			c := Canonical(k, s)
			if Canonical(k, c) != c {
				t.Fatalf("Canonical(%q, %q) = %q is not a fixed point: %q", k, s, c, Canonical(k, c))
			}
			if strings.TrimSpace(c) != c {
				t.Fatalf("Canonical(%q) = %q keeps surrounding space", s, c)
			}
		}
	})
}
