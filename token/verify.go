package token

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors returned by [Verifier.Verify]. Every error it returns wraps exactly one of them, so
// callers classify with errors.Is. They are ordered by precedence: a token with several
// faults reports the first that applies, and whatever concerns the key or the signature
// (ErrTooLarge, ErrMalformed, ErrAlgorithm, ErrUnknownKey, ErrSignature) is decided before
// any claim is looked at. In particular ErrExpired and ErrNotYetValid are only ever
// returned for a token whose signature verified, so routing ErrExpired to a refresh can
// never be triggered by a forged token (CVE-2024-51744).
var (
	ErrTooLarge        = errors.New("token: too large")
	ErrMalformed       = errors.New("token: malformed")
	ErrAlgorithm       = errors.New("token: algorithm not allowed")
	ErrUnknownKey      = errors.New("token: unknown or disallowed signing key")
	ErrSignature       = errors.New("token: signature invalid")
	ErrIssuer          = errors.New("token: wrong issuer")
	ErrAuthorizedParty = errors.New("token: authorized party not allowed")
	ErrAudience        = errors.New("token: wrong audience")
	ErrNotYetValid     = errors.New("token: not yet valid")
	ErrExpired         = errors.New("token: expired")
)

// Token types: the "typ" header (RFC 8725 §3.11, explicit typing) says what a token is
// for, so that a token minted for one purpose is never accepted for another although the
// same keys sign both.
const (
	// TypeSession is the typ of session tokens, and what a [Verifier] accepts by default.
	// It is plain "JWT" so that verifiers built before explicit typing keep accepting
	// session tokens.
	TypeSession = "JWT"
	// TypeTemplate is the typ of JWT-template tokens: tokens the kernel mints for other
	// services from a session, signed with the same keys. A session verifier refuses them;
	// a service that accepts them sets Config.Type to TypeTemplate (and Config.Audience to
	// the template's audience).
	TypeTemplate = "latch-template+jwt"
)

// Defaults and bounds of [Config].
const (
	DefaultLeeway       = 5 * time.Second
	MaxLeeway           = 60 * time.Second
	DefaultMaxTokenSize = 8 << 10
)

// Config configures a [Verifier]. The zero value of every field but Issuer is a safe default.
type Config struct {
	// Issuer is the exact "iss" every token must carry: the signer's base URL, compared
	// byte for byte (no normalisation of case, trailing slash or port). Required.
	Issuer string

	// AuthorizedParties, when non-empty, lists the origins (or native client IDs) that
	// tokens may be minted for: "azp" must be present and equal one of them exactly. When
	// empty, "azp" is not checked. Browsers send the token from any page, so a service
	// that accepts tokens from known front ends should list them.
	AuthorizedParties []string

	// Audience lists the names this verifier answers to. A token that has an "aud" claim
	// must name at least one of them (RFC 7519 §4.1.3: a principal that does not identify
	// with a value in a present "aud" must reject), so a verifier with an empty Audience
	// accepts only tokens without "aud". When Audience is non-empty, "aud" is required.
	Audience []string

	// Leeway is the clock skew tolerated on "exp", "nbf" and "iat". Zero means
	// [DefaultLeeway] (5 s); more than [MaxLeeway] (60 s) or less than zero is an error.
	Leeway time.Duration

	// MaxTokenSize bounds the length of a token in bytes. Longer input is rejected before it
	// is split or decoded (CVE-2025-30204). Zero means [DefaultMaxTokenSize] (8 KiB).
	MaxTokenSize int

	// Clock returns the current time. Nil means time.Now.
	Clock func() time.Time

	// Type is the "typ" header every token must carry, compared case-insensitively
	// (RFC 7515 §4.1.9). Empty means [TypeSession]: a session verifier, which refuses
	// JWT-template tokens ([TypeTemplate]) signed with the same keys.
	Type string

	// Algorithms is the allow-list of "alg" values. Nil means {EdDSA, ES256}; only those
	// two may be listed. A token's alg must also be the algorithm of the key its kid names.
	Algorithms []Algorithm

	// Remote configures the JWKS fetching of [NewRemoteVerifier]; other constructors ignore it.
	Remote RemoteConfig
}

// Verifier checks session tokens. It is immutable after construction and safe for
// concurrent use. See the package documentation for the rules it applies.
type Verifier struct {
	keys    KeySource
	algs    []Algorithm
	issuer  string
	azp     []string
	aud     []string
	typ     string
	leeway  time.Duration
	maxSize int
	clock   func() time.Time
}

// NewVerifier returns a Verifier that takes keys only from keys (a [*KeySet] or a
// [*RemoteKeySet]) and checks claims against cfg.
func NewVerifier(keys KeySource, cfg Config) (*Verifier, error) {
	switch k := keys.(type) {
	case nil:
		return nil, errors.New("token: NewVerifier needs a key source")
	case *KeySet:
		if k == nil {
			return nil, errors.New("token: NewVerifier needs a key source")
		}
	case *RemoteKeySet:
		if k == nil {
			return nil, errors.New("token: NewVerifier needs a key source")
		}
	}
	if cfg.Issuer == "" {
		return nil, errors.New("token: Config.Issuer is required")
	}
	v := &Verifier{
		keys:    keys,
		issuer:  cfg.Issuer,
		azp:     append([]string(nil), cfg.AuthorizedParties...),
		aud:     append([]string(nil), cfg.Audience...),
		typ:     cfg.Type,
		leeway:  cfg.Leeway,
		maxSize: cfg.MaxTokenSize,
		clock:   cfg.Clock,
	}
	for _, s := range append(append([]string(nil), v.azp...), v.aud...) {
		if s == "" {
			return nil, errors.New("token: empty authorized party or audience")
		}
	}
	if v.typ == "" {
		v.typ = TypeSession
	}
	if err := validType(v.typ); err != nil {
		return nil, err
	}
	switch {
	case v.leeway == 0:
		v.leeway = DefaultLeeway
	case v.leeway < 0 || v.leeway > MaxLeeway:
		return nil, fmt.Errorf("token: Config.Leeway must be between 0 and %v", MaxLeeway)
	}
	switch {
	case v.maxSize == 0:
		v.maxSize = DefaultMaxTokenSize
	case v.maxSize < 0:
		return nil, errors.New("token: Config.MaxTokenSize is negative")
	}
	if v.clock == nil {
		v.clock = time.Now
	}
	algs := cfg.Algorithms
	if algs == nil {
		algs = []Algorithm{EdDSA, ES256}
	}
	if len(algs) == 0 {
		return nil, errors.New("token: Config.Algorithms is empty")
	}
	for _, a := range algs {
		if a.method() == nil {
			return nil, fmt.Errorf("token: algorithm %q is not allowed (only EdDSA and ES256)", a)
		}
	}
	v.algs = append([]Algorithm(nil), algs...)
	return v, nil
}

// Verify checks token and returns its claims. The error wraps one of the sentinel errors
// of this package. For a [*RemoteKeySet] an unknown kid may cause a JWKS fetch, bounded by
// the source's rate limit and timeout; use [Verifier.VerifyContext] to bound the wait.
func (v *Verifier) Verify(token string) (*Claims, error) {
	c, err := v.verify(context.Background(), token)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// VerifyContext is [Verifier.Verify] with a context that bounds any wait for a JWKS fetch.
func (v *Verifier) VerifyContext(ctx context.Context, token string) (*Claims, error) {
	c, err := v.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// VerifyAllowExpired is [Verifier.Verify] for the refresh path. When the token is valid in
// every respect except that it has expired, it returns its claims together with an error
// wrapping [ErrExpired]; the middleware uses them to know which session to refresh. The
// claims of an expired token are not proof of anything current: use them only to pick the
// session that the refresh (which checks live session state) will re-examine.
//
// For any other fault it returns nil claims, exactly like Verify.
func (v *Verifier) VerifyAllowExpired(token string) (*Claims, error) {
	return v.verify(context.Background(), token)
}

// verify returns claims with a nil error, claims with ErrExpired (signature and every other
// check passed), or nil claims with another error.
//
// The steps and their order are golang-jwt's (ParseWithClaims with WithValidMethods and
// WithStrictDecoding), which FuzzVerifyMatchesGolangJWT compares this with: the shape, the
// header, the claim set, that alg names a known method, the signature's encoding, the
// allow-list, the header rules and key, the signature; then the claims. Everything up to
// the signature is decided before any claim is looked at.
func (v *Verifier) verify(ctx context.Context, token string) (*Claims, error) {
	// Before anything else, and without allocating: a long input is never split or decoded.
	if len(token) > v.maxSize {
		return nil, ErrTooLarge
	}
	h64, rest, ok1 := strings.Cut(token, ".")
	p64, s64, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || strings.IndexByte(s64, '.') >= 0 {
		return nil, ErrMalformed
	}
	var hbuf [512]byte
	hb, err := decodeSegment(hbuf[:], h64)
	if err != nil {
		return nil, ErrMalformed
	}
	hdr, err := decodeHeader(string(hb))
	if err != nil {
		return nil, malformed(err)
	}
	var pbuf [1024]byte
	pb, err := decodeSegment(pbuf[:], p64)
	if err != nil {
		return nil, ErrMalformed
	}
	target := new(parseTarget) // the wire form and the result, in one allocation
	// One string for the claim set: the decoded claims' strings are substrings of it.
	extra, err := decodeClaims(string(pb), &target.wireClaims)
	if err != nil {
		return nil, malformed(err)
	}
	if !hdr.algOK || jwt.GetSigningMethod(hdr.alg) == nil {
		return nil, ErrAlgorithm // alg missing, not a string, or no method at all
	}
	var sbuf [128]byte
	sig, err := decodeSegment(sbuf[:], s64)
	if err != nil {
		return nil, ErrMalformed
	}
	if !v.allowed(hdr.alg) {
		return nil, ErrAlgorithm // none, HS*, RS*, PS*, …: refused before a key is looked up
	}
	k, err := v.key(ctx, &hdr)
	if err != nil {
		return nil, err
	}
	if k.method.Verify(token[:len(h64)+1+len(p64)], sig, k.verifyKey) != nil {
		return nil, ErrSignature
	}
	// From here on the payload is signed by one of our keys.
	var custom map[string]any
	if extra {
		if custom, err = decodeExtra(pb); err != nil {
			return nil, fmt.Errorf("%w: custom claims: %v", ErrMalformed, err)
		}
	}
	claims := &target.claims // same allocation as the target: one fewer per token
	if err := claims.fromWire(&target.wireClaims, custom); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := v.checkClaims(claims); err != nil {
		if err == ErrExpired {
			return claims, err
		}
		return nil, err
	}
	return claims, nil
}

// malformed wraps a decoding error in ErrMalformed; errStrict already is one.
func malformed(err error) error {
	if err == errStrict {
		return err
	}
	return ErrMalformed
}

// decodeSegment decodes the strict base64url seg into buf when it fits (copying seg to the
// stack first, so that neither escapes), and onto the heap otherwise.
func decodeSegment(buf []byte, seg string) ([]byte, error) {
	if b64.DecodedLen(len(seg)) > len(buf) || len(seg) > 2048 {
		return b64.DecodeString(seg)
	}
	var src [2048]byte
	n, err := b64.Decode(buf, append(src[:0], seg...))
	return buf[:n], err
}

// forbiddenHeaders may name or carry a key, or demand extensions this verifier does not
// implement. Keys come only from the KeySource by kid (CVE-2018-0114); nothing in a token
// is ever fetched.
var forbiddenHeaders = [...]string{"jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "crit"}

// key applies the header rules and returns the key the header names. By now "alg" is in
// the allow-list.
func (v *Verifier) key(ctx context.Context, h *joseHeader) (*Key, error) {
	if f := h.forbidden; f != "" {
		if f == "crit" {
			return nil, errCrit
		}
		return nil, &keyError{kind: ErrUnknownKey, msg: f + " header not allowed: keys come only from the key set"}
	}
	// RFC 7515 §4.1.9: typ is case-insensitive. Requiring it keeps other JWTs signed with
	// these keys (JWT templates, which use TypeTemplate) from passing as session tokens.
	if !h.typOK || !strings.EqualFold(h.typ, v.typ) {
		return nil, errTyp
	}
	if !h.kidOK || h.kid == "" || len(h.kid) > MaxKIDLength {
		return nil, errBadKID
	}
	k := v.keys.lookupKey(h.kid)
	if k == nil && v.keys.refreshUnknown(ctx) {
		// A remote JWKS may have gained the key since it was fetched; look once more.
		k = v.keys.lookupKey(h.kid)
	}
	if k == nil {
		return nil, errKIDNotFound
	}
	if hdr := h.alg; hdr != string(k.alg) {
		return nil, errAlgMismatch
	}
	return k, nil
}

// keyError is what the header and key checks return: our sentinel and a fixed message
// (never header content, which is attacker controlled and would otherwise reach logs).
type keyError struct {
	kind error
	msg  string
}

// Error returns the sentinel's text and the fixed detail.
func (e *keyError) Error() string { return e.kind.Error() + ": " + e.msg }

// Unwrap returns the sentinel, for errors.Is.
func (e *keyError) Unwrap() error { return e.kind }

var (
	errCrit        = &keyError{kind: ErrMalformed, msg: "crit header: no extensions are supported"}
	errTyp         = &keyError{kind: ErrMalformed, msg: "typ header is not the token type this verifier accepts"}
	errBadKID      = &keyError{kind: ErrUnknownKey, msg: "kid header missing, not a string, or too long"}
	errKIDNotFound = &keyError{kind: ErrUnknownKey, msg: "no key with this kid"}
	errAlgMismatch = &keyError{kind: ErrAlgorithm, msg: "alg is not the algorithm of the key named by kid"}
)

func (v *Verifier) allowed(alg string) bool {
	for _, a := range v.algs {
		if string(a) == alg {
			return true
		}
	}
	return false
}

// checkClaims runs after the signature verified. Identity checks come before time checks
// so that ErrExpired means "this would be a good token but for its age" — the only case
// VerifyAllowExpired hands claims back for.
func (v *Verifier) checkClaims(c *Claims) error {
	if c.Issuer != v.issuer {
		return ErrIssuer
	}
	if len(v.azp) > 0 && !contains(v.azp, c.AuthorizedParty) {
		return ErrAuthorizedParty
	}
	if c.Audience != nil || len(v.aud) > 0 {
		ok := false
		for _, a := range c.Audience {
			if contains(v.aud, a) {
				ok = true
				break
			}
		}
		if !ok {
			return ErrAudience
		}
	}
	now := v.clock()
	// Boundaries: a token exactly Leeway past exp, or exactly Leeway before nbf/iat, is
	// still accepted; one nanosecond more is not.
	if !c.NotBefore.IsZero() && now.Add(v.leeway).Before(c.NotBefore) {
		return ErrNotYetValid
	}
	if !c.IssuedAt.IsZero() && now.Add(v.leeway).Before(c.IssuedAt) {
		return ErrNotYetValid
	}
	if c.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: no exp claim", ErrMalformed)
	}
	if now.Add(-v.leeway).After(c.ExpiresAt) {
		return ErrExpired
	}
	return nil
}

// validType bounds a typ value: short printable ASCII, as a media type is.
func validType(typ string) error {
	if typ == "" || len(typ) > 64 {
		return errors.New("token: token type must be 1 to 64 bytes")
	}
	for i := 0; i < len(typ); i++ {
		if typ[i] <= ' ' || typ[i] > '~' {
			return errors.New("token: token type must be printable ASCII without spaces")
		}
	}
	return nil
}
