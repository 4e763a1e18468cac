package token

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// This file is the strict decoder of the one header and claim set this package verifies.
// golang-jwt decodes every header into a map[string]any and the payload by reflection,
// which was most of the cost of Verify beyond the signature itself (some 25 allocations
// per token); this decoder reads both in one pass each, straight into typed fields.
//
// It accepts what encoding/json accepts for the same targets (the JSON grammar, null for
// any field, "aud" as a string or an array, numbers as ParseFloat and ParseInt read them,
// invalid UTF-8 and lone surrogates as U+FFFD), except what only an attacker or a bug
// writes, which it refuses with errStrict:
//
//   - a member named twice, when the name is one the decoder reads (a header's alg, typ or
//     kid; any registered claim; act's sub), where encoding/json would keep the last;
//   - a claim name that equals a registered one only case-insensitively ("SUB", "Exp"),
//     which encoding/json would quietly store in the registered field.
//
// FuzzVerifyMatchesGolangJWT holds it to that: a token this decoder accepts verifies to
// the same claims through golang-jwt and encoding/json, and one it refuses is refused
// there with the same error, or only here with errStrict.

// errStrict marks a refusal that encoding/json would not make (see above). It wraps
// ErrMalformed.
var errStrict = &keyError{kind: ErrMalformed, msg: "duplicate or case-variant member name"}

var errSyntax = errors.New("invalid JSON")

// maxJSONDepth is encoding/json's nesting limit, which the decoder shares so that they
// refuse the same input.
const maxJSONDepth = 10000

// jsonScanner reads JSON from s. Strings without escapes or non-ASCII bytes are returned as
// substrings of s, so that a claim set costs one allocation for all its strings (s itself).
type jsonScanner struct {
	s     string
	i     int
	depth int
}

func (d *jsonScanner) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (d *jsonScanner) peek() byte {
	d.ws()
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *jsonScanner) consume(c byte) bool {
	if d.peek() == c {
		d.i++
		return true
	}
	return false
}

// literal consumes lit (true, false, null) at the current position.
func (d *jsonScanner) literal(lit string) bool {
	if strings.HasPrefix(d.s[d.i:], lit) {
		d.i += len(lit)
		return true
	}
	return false
}

// null consumes a null if one is next.
func (d *jsonScanner) null() bool { return d.peek() == 'n' && d.literal("null") }

// str reads a string, which must be next, and returns its value.
func (d *jsonScanner) str() (string, error) {
	if d.peek() != '"' {
		return "", errSyntax
	}
	start := d.i
	d.i++
	simple := true
	for {
		if d.i >= len(d.s) {
			return "", errSyntax
		}
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			if simple {
				return d.s[start+1 : d.i-1], nil
			}
			// Escapes and non-ASCII: encoding/json's own decoding, for its exact semantics.
			var v string
			if err := json.Unmarshal([]byte(d.s[start:d.i]), &v); err != nil {
				return "", errSyntax
			}
			return v, nil
		case c < 0x20:
			return "", errSyntax
		case c == '\\':
			simple = false
			d.i++
			if d.i >= len(d.s) {
				return "", errSyntax
			}
			switch d.s[d.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				if d.i+5 > len(d.s) {
					return "", errSyntax
				}
				for _, h := range []byte(d.s[d.i+1 : d.i+5]) {
					if !isHex(h) {
						return "", errSyntax
					}
				}
				d.i += 5
			default:
				return "", errSyntax
			}
		default:
			if c >= 0x80 {
				simple = false
			}
			d.i++
		}
	}
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// number reads a number literal, which must be next, and returns its text.
func (d *jsonScanner) number() (string, error) {
	d.ws()
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case d.i < len(d.s) && '1' <= d.s[d.i] && d.s[d.i] <= '9':
		d.digits()
	default:
		return "", errSyntax
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if d.digits() == 0 {
			return "", errSyntax
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if d.digits() == 0 {
			return "", errSyntax
		}
	}
	return d.s[start:d.i], nil
}

func (d *jsonScanner) digits() int {
	n := 0
	for d.i < len(d.s) && '0' <= d.s[d.i] && d.s[d.i] <= '9' {
		d.i++
		n++
	}
	return n
}

// errType is a value of the wrong JSON type for its field.
var errType = errors.New("claim of the wrong type")

// float reads a number or null (0) for a float64 field.
func (d *jsonScanner) float() (float64, error) {
	switch c := d.peek(); {
	case c == 'n':
		if d.literal("null") {
			return 0, nil
		}
		return 0, errSyntax
	case c == '-' || '0' <= c && c <= '9':
		n, err := d.number()
		if err != nil {
			return 0, err
		}
		f, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, errType
		}
		return f, nil
	}
	return 0, d.mismatch()
}

// int reads an integer or null (0) for an int field.
func (d *jsonScanner) int() (int, error) {
	switch c := d.peek(); {
	case c == 'n':
		if d.literal("null") {
			return 0, nil
		}
		return 0, errSyntax
	case c == '-' || '0' <= c && c <= '9':
		n, err := d.number()
		if err != nil {
			return 0, err
		}
		i, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return 0, errType
		}
		return int(i), nil
	}
	return 0, d.mismatch()
}

// string reads a string or null ("") for a string field.
func (d *jsonScanner) string() (string, error) {
	switch d.peek() {
	case '"':
		return d.str()
	case 'n':
		if d.literal("null") {
			return "", nil
		}
		return "", errSyntax
	}
	return "", d.mismatch()
}

// mismatch skips a value of the wrong type, reporting a syntax error before a type error
// as encoding/json (which checks the whole input first) does not distinguish them either.
func (d *jsonScanner) mismatch() error {
	if err := d.skip(); err != nil {
		return err
	}
	return errType
}

// strings reads an array of strings (null elements read as "") or null (nil). An empty
// array is a non-nil empty slice.
func (d *jsonScanner) strings() ([]string, error) {
	return scanArray(d, 4, d.string) // one allocation for the usual short lists
}

// ints reads an array of integers (null elements read as 0) or null (nil).
func (d *jsonScanner) ints() ([]int, error) {
	return scanArray(d, 2, d.int) // fva's two
}

// scanArray reads an array of elements read by elem, or null (nil), into a slice made
// with capacity capHint. An empty array is a non-nil empty slice.
func scanArray[T any](d *jsonScanner, capHint int, elem func() (T, error)) ([]T, error) {
	switch d.peek() {
	case 'n':
		if d.literal("null") {
			return nil, nil
		}
		return nil, errSyntax
	case '[':
	default:
		return nil, d.mismatch()
	}
	d.i++
	if d.consume(']') {
		return []T{}, nil
	}
	list := make([]T, 0, capHint)
	for {
		v, err := elem()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		if d.consume(']') {
			return list, nil
		}
		if !d.consume(',') {
			return nil, errSyntax
		}
	}
}

// skip reads any value, checking its syntax.
func (d *jsonScanner) skip() error {
	switch c := d.peek(); {
	case c == '"':
		_, err := d.str()
		return err
	case c == '-' || '0' <= c && c <= '9':
		_, err := d.number()
		return err
	case c == 't':
		return d.ok(d.literal("true"))
	case c == 'f':
		return d.ok(d.literal("false"))
	case c == 'n':
		return d.ok(d.literal("null"))
	case c == '[':
		if d.depth++; d.depth > maxJSONDepth {
			return errSyntax
		}
		d.i++
		if !d.consume(']') {
			for {
				if err := d.skip(); err != nil {
					return err
				}
				if d.consume(']') {
					break
				}
				if !d.consume(',') {
					return errSyntax
				}
			}
		}
		d.depth--
		return nil
	case c == '{':
		return d.object(func(string) error { return d.skip() })
	}
	return errSyntax
}

func (*jsonScanner) ok(b bool) error {
	if b {
		return nil
	}
	return errSyntax
}

// object reads an object, which must be next, calling member for each member name with the
// scanner at its value; member must consume the value.
func (d *jsonScanner) object(member func(name string) error) error {
	if !d.consume('{') {
		return errSyntax
	}
	if d.depth++; d.depth > maxJSONDepth {
		return errSyntax
	}
	if !d.consume('}') {
		for {
			name, err := d.str()
			if err != nil {
				return err
			}
			if !d.consume(':') {
				return errSyntax
			}
			if err := member(name); err != nil {
				return err
			}
			if d.consume('}') {
				break
			}
			if !d.consume(',') {
				return errSyntax
			}
		}
	}
	d.depth--
	return nil
}

// end checks that only white space follows the top-level value.
func (d *jsonScanner) end() error {
	d.ws()
	if d.i != len(d.s) {
		return errSyntax
	}
	return nil
}

// joseHeader is what the Verifier reads of a token's header.
type joseHeader struct {
	alg, typ, kid       string
	algOK, typOK, kidOK bool   // present and a string
	forbidden           string // the first forbidden member present, or ""
}

// decodeHeader reads the JSON header h. Like golang-jwt's map decode it takes null for an
// empty header, and it compares member names exactly (JOSE names are case-sensitive).
func decodeHeader(h string) (joseHeader, error) {
	var out joseHeader
	d := jsonScanner{s: h}
	if d.null() {
		return out, d.end()
	}
	var seenAlg, seenTyp, seenKID bool
	str := func(v *string, ok, seen *bool) error {
		if *seen {
			return errStrict
		}
		*seen = true
		if d.peek() == '"' {
			s, err := d.str()
			*v, *ok = s, err == nil
			return err
		}
		return d.skip()
	}
	err := d.object(func(name string) error {
		switch name {
		case "alg":
			return str(&out.alg, &out.algOK, &seenAlg)
		case "typ":
			return str(&out.typ, &out.typOK, &seenTyp)
		case "kid":
			return str(&out.kid, &out.kidOK, &seenKID)
		}
		for _, f := range forbiddenHeaders {
			if name == f && out.forbidden == "" {
				out.forbidden = f
			}
		}
		return d.skip()
	})
	if err != nil {
		return out, err
	}
	return out, d.end()
}

// claim bits, one per registered claim, to refuse a claim named twice.
const (
	bitSub = 1 << iota
	bitSid
	bitIss
	bitAzp
	bitAud
	bitIat
	bitNbf
	bitExp
	bitFva
	bitOrgID
	bitOrgSlug
	bitOrgRole
	bitOrgPermissions
	bitPla
	bitFea
	bitAct
	bitAmr
	bitV
)

// decodeClaims reads the JSON claim set p into w. extra reports a member that is not a
// registered claim, which [decodeExtra] then collects (only once the signature verified).
func decodeClaims(p string, w *wireClaims) (extra bool, err error) {
	d := jsonScanner{s: p}
	if d.null() {
		return false, d.end()
	}
	var seen uint32
	err = d.object(func(name string) error {
		var bit uint32
		var err error
		switch name {
		case "sub":
			bit = bitSub
			w.Subject, err = d.string()
		case "sid":
			bit = bitSid
			w.SessionID, err = d.string()
		case "iss":
			bit = bitIss
			w.Issuer, err = d.string()
		case "azp":
			bit = bitAzp
			w.AuthorizedParty, err = d.string()
		case "aud":
			bit = bitAud
			if d.peek() == '"' {
				var s string
				s, err = d.str()
				w.Audience = audience{s}
			} else {
				var list []string
				list, err = d.strings()
				w.Audience = list
				if err == errType {
					err = errors.New("aud must be a string or an array of strings")
				}
			}
		case "iat":
			bit = bitIat
			w.IssuedAt, err = d.float()
		case "nbf":
			bit = bitNbf
			w.NotBefore, err = d.float()
		case "exp":
			bit = bitExp
			w.ExpiresAt, err = d.float()
		case "fva":
			bit = bitFva
			w.FVA, err = d.ints()
		case "org_id":
			bit = bitOrgID
			w.OrgID, err = d.string()
		case "org_slug":
			bit = bitOrgSlug
			w.OrgSlug, err = d.string()
		case "org_role":
			bit = bitOrgRole
			w.OrgRole, err = d.string()
		case "org_permissions":
			bit = bitOrgPermissions
			w.OrgPermissions, err = d.strings()
		case "pla":
			bit = bitPla
			w.Plan, err = d.string()
		case "fea":
			bit = bitFea
			w.Features, err = d.strings()
		case "act":
			bit = bitAct
			w.Actor, err = d.actor()
		case "amr":
			bit = bitAmr
			w.AMR, err = d.strings()
		case "v":
			bit = bitV
			w.Version, err = d.int()
		default:
			if isRegistered(name) {
				return errStrict
			}
			extra = true
			return d.skip()
		}
		if seen&bit != 0 {
			return errStrict
		}
		seen |= bit
		return err
	})
	if err != nil {
		return false, err
	}
	return extra, d.end()
}

// actor reads "act": an object whose "sub" is read and other members skipped, or null.
func (d *jsonScanner) actor() (*Actor, error) {
	switch d.peek() {
	case 'n':
		if d.literal("null") {
			return nil, nil
		}
		return nil, errSyntax
	case '{':
	default:
		return nil, d.mismatch()
	}
	a := new(Actor)
	seen := false
	err := d.object(func(name string) error {
		if name != "sub" {
			if strings.EqualFold(name, "sub") {
				return errStrict
			}
			return d.skip()
		}
		if seen {
			return errStrict
		}
		seen = true
		var err error
		a.Subject, err = d.string()
		return err
	})
	return a, err
}
