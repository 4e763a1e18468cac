package storage

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Canonical returns the form of an identifier under which uniqueness is
// decided and lookups match: NFKC-normalised, case-folded (full Unicode case
// folding, so "ß" matches "ss" and the Kelvin sign matches "k"), normalised
// again (folding can denormalise), and trimmed of surrounding white space.
// Phone numbers also lose the separators people type (spaces, dots, dashes,
// parentheses).
//
// Adapters call it for [Identifier.Canonical], usernames, organization slugs
// and domain names, and on every lookup value, so that "Alice@Example.com"
// and "alice@example.com " are the same identifier everywhere. It is a pure
// function and safe for concurrent use.
func Canonical(kind IdentifierKind, value string) string {
	s := norm.NFKC.String(value)
	s = cases.Fold().String(s)
	s = norm.NFKC.String(s)
	s = strings.TrimFunc(s, unicode.IsSpace)
	if kind == KindPhoneNumber {
		s = strings.Map(func(r rune) rune {
			switch {
			case unicode.IsSpace(r), r == '-', r == '.', r == '(', r == ')':
				return -1
			}
			return r
		}, s)
	}
	return s
}

// CanonicalName is [Canonical] for values that are not identifiers of a
// kind: usernames, organization slugs, domain names.
func CanonicalName(value string) string { return Canonical("", value) }
