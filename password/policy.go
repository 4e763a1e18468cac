package password

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Policy defaults and floors (NIST SP 800-63B §3.1.1.2).
const (
	// DefaultMinLength is the minimum length when Policy.MinLength is 0: NIST's minimum
	// where the password is one factor of MFA. Set MinLength to 15 where a password is the
	// only factor (NIST 800-63B rev 4).
	DefaultMinLength = 8
	// DefaultMaxLength is the maximum length when Policy.MaxLength is 0.
	DefaultMaxLength = 256
	// minMaxLength is the floor for Policy.MaxLength: NIST says verifiers SHOULD permit
	// at least 64 characters.
	minMaxLength = 64
	// minContextWordLength is the shortest context word that is refused as a substring;
	// shorter ones ("Al", "Bo", "app") are refused only as the whole password, because
	// refusing every password that contains them would refuse good passphrases.
	minContextWordLength = 4
)

// Stable PolicyError codes. They are part of the API: clients and translations key on them.
const (
	CodeTooShort        = "password_too_short"
	CodeTooLong         = "password_too_long"
	CodeBreached        = "password_breached"
	CodeCommon          = "password_common"
	CodeContainsContext = "password_contains_context"
)

// PolicyError says why a password was refused. Code is stable; Message is safe to show to
// the person choosing the password (it never repeats the password).
type PolicyError struct {
	Code    string
	Message string
}

// Error returns the code and the message.
func (e *PolicyError) Error() string { return "password: " + e.Code + ": " + e.Message }

// Policy is what a new password must satisfy, following NIST SP 800-63B §3.1.1.2 and
// OWASP ASVS 5.0 §6.2: a length range counted in Unicode code points after NFKC, any
// characters (spaces, emoji, any script), no composition rules ("one digit, one symbol"),
// and refusal of common, breached and context-derived passwords. The zero value is the
// default policy: 8 to 256 characters, the offline common-password list, no online check.
//
// Check it only when a password is set or changed, never at sign-in.
type Policy struct {
	// MinLength in code points; 0 means DefaultMinLength (8). Values below 8 are raised
	// to 8. Set MinLength: 15 where the password is the only authentication factor
	// (NIST 800-63B rev 4 §3.1.1.2; SECURITY.md item 1).
	MinLength int
	// MaxLength in code points; 0 means DefaultMaxLength (256). Values below 64 are raised
	// to 64. Independently, an input over MaxInputBytes (4 KiB) is always refused first.
	MaxLength int
	// HIBP, when set, also checks the Have I Been Pwned corpus. If the service fails, Check
	// falls back to the offline list alone, logs a warning and reports it via CheckReport.
	HIBP *HIBP
	// Logger receives the warning when HIBP fails; nil means slog.Default().
	Logger *slog.Logger
}

// Report says how Check reached its answer.
type Report struct {
	// OnlineChecked is true when HIBP answered.
	OnlineChecked bool
	// FellBack is true when HIBP was configured but failed, so only the offline list was
	// consulted; OnlineErr is the failure.
	FellBack  bool
	OnlineErr error
}

// Check returns nil if pw may be used as a new password, a *PolicyError saying why not,
// or ctx.Err() if ctx ended during the online check. contextWords are words the password
// must not be built from: the app name, the user's names, username and email address (for
// anything containing "@", its local part). Empty words are ignored. A context word of
// at least 4 code points is refused anywhere in the password, a shorter one only as the
// whole password; comparisons are case-insensitive after NFKC.
//
// The checks run in this order and the first failure decides the code: length (bytes,
// then code points), context words, the offline common-password list, HIBP. Check is
// deterministic for a given policy and HIBP answer.
func (p *Policy) Check(ctx context.Context, pw string, contextWords ...string) error {
	_, err := p.CheckReport(ctx, pw, contextWords...)
	return err
}

// CheckReport is Check that also reports whether the online check ran or fell back.
func (p *Policy) CheckReport(ctx context.Context, pw string, contextWords ...string) (Report, error) {
	var rep Report
	minLen, maxLen := p.MinLength, p.MaxLength
	if minLen == 0 {
		minLen = DefaultMinLength
	}
	minLen = max(minLen, DefaultMinLength)
	if maxLen == 0 {
		maxLen = DefaultMaxLength
	}
	maxLen = max(maxLen, minMaxLength, minLen)

	if len(pw) > MaxInputBytes {
		// Before any other work: this is the DoS bound.
		return rep, tooLong(maxLen)
	}
	n := normalize(pw)
	switch count := utf8.RuneCountInString(n); {
	case count < minLen:
		return rep, &PolicyError{Code: CodeTooShort, Message: fmt.Sprintf("Use at least %d characters.", minLen)}
	case count > maxLen:
		return rep, tooLong(maxLen)
	}

	folded := strings.ToLower(n)
	if containsContext(folded, contextWords) {
		return rep, &PolicyError{Code: CodeContainsContext,
			Message: "Don't use your name, email address or the name of this service in your password."}
	}
	if _, ok := commonPasswords()[folded]; ok {
		return rep, &PolicyError{Code: CodeCommon, Message: "This password is too common. Choose one that is harder to guess."}
	}
	if p.HIBP == nil {
		return rep, nil
	}
	breached, err := p.HIBP.Breached(ctx, n)
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up; there is no one to answer.
			return rep, ctx.Err()
		}
		// Fail towards availability, not silently: the offline list above has already
		// decided, and the degradation is logged and reported.
		rep.FellBack, rep.OnlineErr = true, err
		logger := p.Logger
		if logger == nil {
			logger = slog.Default()
		}
		logger.WarnContext(ctx, "password: breached-password service unavailable; used the offline list only", "err", err)
		return rep, nil
	}
	rep.OnlineChecked = true
	if breached {
		return rep, &PolicyError{Code: CodeBreached,
			Message: "This password has appeared in a data breach, so it is unsafe. Choose a different one."}
	}
	return rep, nil
}

func tooLong(maxLen int) *PolicyError {
	return &PolicyError{Code: CodeTooLong, Message: fmt.Sprintf("Use at most %d characters.", maxLen)}
}

// containsContext reports whether folded (the NFKC, lowercased password) equals any context
// word or part of one, or contains one of at least minContextWordLength code points. Each
// word is considered whole and split into its letter/digit runs ("Acme Cloud" → "acme",
// "cloud"); an email address is reduced to its local part first ("jane.doe@example.com" →
// "jane.doe" → "jane", "doe"), since the domain is usually a mail provider's.
func containsContext(folded string, words []string) bool {
	for _, w := range words {
		if len(w) > MaxInputBytes {
			w = w[:MaxInputBytes]
		}
		w = fold(strings.TrimSpace(w))
		if w == "" {
			continue
		}
		cands := []string{w}
		if i := strings.LastIndexByte(w, '@'); i >= 0 {
			w = w[:i]
			cands = append(cands, w)
		}
		cands = append(cands, strings.FieldsFunc(w, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsNumber(r)
		})...)
		for _, c := range cands {
			if c == "" {
				continue
			}
			if folded == c || (utf8.RuneCountInString(c) >= minContextWordLength && strings.Contains(folded, c)) {
				return true
			}
		}
	}
	return false
}
