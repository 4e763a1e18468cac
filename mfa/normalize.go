package mfa

import (
	"strings"
	"unicode"
)

// normalizeCode returns a typed code as it is compared: spaces and dashes
// (which people and authenticator apps put in to group digits, and which
// pasting from a phone adds in every Unicode variety), and invisible format
// characters (a zero-width space, a soft hyphen) removed, and letters
// lowercased. Every check of a code, including the check that it was not
// used before, sees only this form, so "123 456" and "123456" are one code.
func normalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.In(r, unicode.Pd, unicode.Cf) || r == '\u2212' { // U+2212 MINUS SIGN
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// allDigits reports whether s is n ASCII digits.
func allDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
