package password

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswordsText is the offline blocklist; see the header of the file for provenance.
//
//go:embed data/common-passwords.txt
var commonPasswordsText string

// commonPasswords is built on first use (about 14,000 entries) and never written after, so
// it is safe to share between goroutines.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, strings.Count(commonPasswordsText, "\n"))
	for line := range strings.Lines(commonPasswordsText) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[fold(line)] = struct{}{}
	}
	return set
})

// fold is the comparison form for blocklist and context words: NFKC, then lower case.
func fold(s string) string { return strings.ToLower(normalize(s)) }

// IsCommon reports whether pw is on the embedded list of common passwords, compared after
// NFKC normalisation and lowercasing, so "Password1" and "ＰＡＳＳＷＯＲＤ1" are both common.
// The lookup is one map access. Inputs over MaxInputBytes are reported not common (Policy
// rejects them earlier as too long).
func IsCommon(pw string) bool {
	if len(pw) > MaxInputBytes {
		return false
	}
	_, ok := commonPasswords()[fold(pw)]
	return ok
}
