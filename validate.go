package latch

import (
	"bytes"
	"encoding/json"
	"net/mail"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what users and applications may store, so that one account
// cannot bloat every session token or admin page.
const (
	maxEmailLength    = 254 // RFC 5321 path limit
	maxNameLength     = 256 // runes
	maxURLLength      = 2048
	maxMetadataLength = 8 << 10
	minUsernameLength = 3
	maxUsernameLength = 64
)

// normalizeEmail checks that s is a bare email address (no display name,
// comment, angle brackets, white space or control characters, which would
// let an attacker inject mail headers) and returns it trimmed. Case is kept
// as typed; uniqueness uses storage.Canonical.
func normalizeEmail(s string) (string, *Error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxEmailLength || !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '<' || r == '>' || r == '(' || r == ')' || r == ',' || r == ';' || r == '"' || r == '\\'
	}) >= 0 {
		return "", ErrEmailInvalid
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", ErrEmailInvalid
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 || !validDomain(domain) {
		return "", ErrEmailInvalid
	}
	return s, nil
}

// validDomain accepts a DNS name with at least two labels; labels are 1 to 63
// bytes of letters (any script), digits and inner hyphens.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 || len(d) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// normalizePhone accepts a phone number in E.164 form, allowing the
// separators people type, and returns it as "+" and digits only.
func normalizePhone(s string) (string, *Error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", ErrPhoneInvalid
		}
	}
	p := b.String()
	if len(p) < 9 || len(p) > 16 || p[0] != '+' || p[1] == '0' {
		return "", ErrPhoneInvalid
	}
	return p, nil
}

// validUsername allows letters and digits of ASCII plus ._- so usernames
// cannot impersonate each other with look-alike characters.
func validUsername(s string) *Error {
	if len(s) < minUsernameLength || len(s) > maxUsernameLength {
		return ErrUsernameInvalid
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return ErrUsernameInvalid
		}
	}
	return nil
}

// validName checks a person's name: bounded, printable, valid UTF-8.
func validName(field, s string) *Error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameLength || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return ErrParamInvalid.WithField(field).WithMessage("Names are at most 256 printable characters.")
	}
	return nil
}

// validImageURL accepts "" or an absolute http(s) URL.
func validImageURL(s string) *Error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || len(s) > maxURLLength || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ErrParamInvalid.WithField("image_url").WithMessage("Enter an absolute http or https URL.")
	}
	return nil
}

// validExternalID bounds the application's own user ID.
func validExternalID(s string) *Error {
	if len(s) > 255 || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return ErrParamInvalid.WithField("external_id").WithMessage("External IDs are at most 255 printable characters.")
	}
	return nil
}

// validMetadata accepts nil or a JSON object of bounded size.
func validMetadata(field string, m json.RawMessage) *Error {
	if m == nil {
		return nil
	}
	t := bytes.TrimSpace(m)
	if len(m) > maxMetadataLength || len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return ErrMetadataInvalid.WithField(field)
	}
	return nil
}

// mergeMetadata deep-merges patch into base, as Clerk's metadata update
// does: objects merge key by key, a null value deletes the key, anything else
// replaces. Both must be JSON objects (or nil).
func mergeMetadata(base, patch json.RawMessage) (json.RawMessage, error) {
	if patch == nil {
		return base, nil
	}
	var b, p map[string]any
	if len(base) > 0 {
		if err := json.Unmarshal(base, &b); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return nil, err
	}
	if b == nil {
		b = map[string]any{}
	}
	mergeInto(b, p)
	return json.Marshal(b)
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		switch v := v.(type) {
		case nil:
			delete(dst, k)
		case map[string]any:
			d, ok := dst[k].(map[string]any)
			if !ok {
				d = map[string]any{}
				dst[k] = d
			}
			mergeInto(d, v)
		default:
			dst[k] = v
		}
	}
}

func validUsernameOpt(s string) *Error {
	if s == "" {
		return nil
	}
	return validUsername(s)
}

func optional(p *string, check func(string) *Error) *Error {
	if p == nil {
		return nil
	}
	return check(*p)
}

func firstError(errs ...*Error) *Error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
