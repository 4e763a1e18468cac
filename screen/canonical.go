package screen

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// fold returns s NFKC-normalised and lower-cased. ASCII input, the common
// case, costs one scan and no allocation when it is already lower case.
func fold(s string) string {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			s = norm.NFKC.String(s)
			s = strings.ToLower(s)
			return norm.NFKC.String(s)
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	if upper {
		return strings.ToLower(s)
	}
	return s
}

// canonicalDomain returns the form of a domain name that lists are matched
// in; see the package documentation.
func canonicalDomain(d string) string { return normDomain(fold(d)) }

// normDomain finishes canonicalDomain for an already folded name.
func normDomain(d string) string {
	// U+3002 IDEOGRAPHIC FULL STOP is a label separator in IDNA; NFKC has
	// already mapped the fullwidth and halfwidth stops to it or to ".".
	if strings.Contains(d, "\u3002") {
		d = strings.ReplaceAll(d, "\u3002", ".")
	}
	d = strings.TrimRight(d, ".")
	if strings.Contains(d, "xn--") {
		d = decodeLabels(d)
	}
	return d
}

// decodeLabels replaces each Punycode label of d by its Unicode form when
// that form is a canonical IDNA label; other labels are kept as they are.
func decodeLabels(d string) string {
	labels := strings.Split(d, ".")
	for i, l := range labels {
		if !strings.HasPrefix(l, "xn--") || len(l) > 63 {
			continue
		}
		u, ok := decodePunycode(l[len("xn--"):])
		if ok && u == fold(u) && !strings.ContainsRune(u, '\u3002') {
			labels[i] = u
		}
	}
	return strings.Join(labels, ".")
}

// Punycode parameters, RFC 3492 section 5.
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
	pcMaxValue    = 1<<31 - 1
)

// decodePunycode decodes one label without its "xn--" prefix (RFC 3492
// section 6.2). It reports false for anything malformed, for overflow, and
// for a result with no non-ASCII code point (not a valid A-label).
func decodePunycode(s string) (string, bool) {
	var out []rune
	if p := strings.LastIndexByte(s, '-'); p >= 0 {
		if p == 0 {
			return "", false
		}
		for i := 0; i < p; i++ {
			if s[i] >= utf8.RuneSelf {
				return "", false
			}
			out = append(out, rune(s[i]))
		}
		s = s[p+1:]
	}
	if s == "" {
		return "", false
	}
	n, i, bias := int64(pcInitialN), int64(0), int64(pcInitialBias)
	for pos := 0; pos < len(s); {
		oldI, w := i, int64(1)
		for k := int64(pcBase); ; k += pcBase {
			if pos >= len(s) {
				return "", false
			}
			digit, ok := punyDigit(s[pos])
			if !ok {
				return "", false
			}
			pos++
			i += digit * w
			if i > pcMaxValue {
				return "", false
			}
			t := k - bias
			if t < pcTMin {
				t = pcTMin
			} else if t > pcTMax {
				t = pcTMax
			}
			if digit < t {
				break
			}
			w *= pcBase - t
			if w > pcMaxValue {
				return "", false
			}
		}
		x := int64(len(out) + 1)
		bias = punyAdapt(i-oldI, x, oldI == 0)
		n += i / x
		i %= x
		if n > unicode.MaxRune || (n >= 0xD800 && n <= 0xDFFF) {
			return "", false
		}
		out = append(out, 0)
		copy(out[i+1:], out[i:])
		out[i] = rune(n)
		i++
	}
	for _, r := range out {
		if r >= utf8.RuneSelf {
			return string(out), true
		}
	}
	return "", false
}

func punyDigit(c byte) (int64, bool) {
	switch {
	case 'a' <= c && c <= 'z':
		return int64(c - 'a'), true
	case '0' <= c && c <= '9':
		return int64(c-'0') + 26, true
	}
	return 0, false
}

func punyAdapt(delta, numPoints int64, first bool) int64 {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := int64(0)
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}

// email is an address split into its canonical parts.
type email struct {
	local, domain string
}

// parseEmail canonicalises addr and splits it at its last "@". Without an
// "@" the whole input is the local part and the domain is empty, which no
// list entry matches.
func parseEmail(addr string) email {
	s := fold(strings.TrimSpace(addr))
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return email{local: s}
	}
	return email{local: s[:at], domain: normDomain(s[at+1:])}
}

// canonicalPhone returns p NFKC-normalised without separators. ok reports
// whether the result is "+" followed by ASCII digits; with prefix set, "+"
// alone is accepted too.
func canonicalPhone(p string, prefix bool) (string, bool) {
	p = fold(strings.TrimSpace(p))
	if !plainPhone(p) {
		p = strings.Map(func(r rune) rune {
			if r == '.' || r == '(' || r == ')' || unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) {
				return -1
			}
			return r
		}, p)
	}
	if !plainPhone(p) || (len(p) == 1 && !prefix) {
		return p, false
	}
	return p, true
}

// plainPhone reports whether p is "+" and zero or more ASCII digits.
func plainPhone(p string) bool {
	if p == "" || p[0] != '+' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}
