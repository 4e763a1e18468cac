package orgs

import (
	"testing"
	"unicode/utf8"
)

// FuzzNames feeds the parsers of what users type (organization names,
// slugs, invited addresses, domains): none panics, a slug made from a name
// is valid or empty, and normalising an address twice changes nothing.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"Acme Inc", "ａｃｍｅ-\u212a", "grace@Example.COM", "a@b", "-", "x.example", "\xff"} {
		f.Add(s)
	}
	p := New(Config{})
	if err := p.defaults(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if slug := slugOf(s); slug != "" && validSlug(slug) != nil {
			t.Errorf("slugOf(%q) = %q, which validSlug refuses", s, slug)
		}
		_ = validSlug(s)
		_ = validName(s)
		if a, err := normalizeEmail(s); err == nil {
			if b, err := normalizeEmail(a); err != nil || a != b {
				t.Errorf("normalizeEmail(%q) = %q, then %q %v", s, a, b, err)
			}
		}
		if d, err := p.checkDomain(s); err == nil && !utf8.ValidString(d) {
			t.Errorf("checkDomain(%q) = %q", s, d)
		}
		_ = splitEmails([]string{s})
	})
}
