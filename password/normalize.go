package password

import "golang.org/x/text/unicode/norm"

// normalize applies NFKC (NIST 800-63B §3.1.1.2: verifiers SHOULD normalise with NFKC or
// NFKD before hashing), so a password typed on a keyboard that produces "é" as one code point
// and one that produces "e"+U+0301 are the same password. Bytes that are not valid UTF-8 pass
// through unchanged rather than being replaced, so two different invalid inputs never
// collide. Callers apply the MaxInputBytes cap first: NFKC can expand its input.
func normalize(pw string) string {
	return norm.NFKC.String(pw)
}
