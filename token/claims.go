package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ClaimsVersion is the version of the claim set that this package writes as "v" when
// [Claims.Version] is zero. Readers accept any version: a verifier built from an older
// release must keep working while the signer is upgraded, so a new version may only add
// claims, never change the meaning of one.
const ClaimsVersion = 1

// Claims is the claim set of a Latch session token. The package documentation has the
// table of claims; each field's comment names its JSON claim.
//
// Times are whole seconds on the wire: [KeySet.Sign] drops sub-seconds, and a decoded time
// is in UTC. A zero time means the claim is absent.
//
// Claims implements [jwt.Claims] so that it can be handed to golang-jwt directly. The
// [Verifier] does not call those methods; it checks the typed fields itself.
type Claims struct {
	Subject         string   // "sub": the user ID (user_…), or the impersonated user's ID.
	SessionID       string   // "sid": the session ID (sess_…).
	Issuer          string   // "iss": the Latch instance's base URL; verified by exact match.
	AuthorizedParty string   // "azp": the origin (or native client ID) the token was minted for.
	Audience        []string // "aud": optional; a single value is written as a string. See Config.Audience.

	IssuedAt  time.Time // "iat"
	NotBefore time.Time // "nbf"
	ExpiresAt time.Time // "exp": required by Sign and by every Verifier.

	// FactorVerificationAge is "fva": minutes since the first and the second factor were
	// last verified in this session, -1 for a factor never verified. Nil means the claim is
	// absent, which the helper methods treat as "never verified", so that a forgotten
	// field can never pass a step-up check. [0,0] means both were verified under a minute ago.
	FactorVerificationAge *[2]int

	OrgID          string   // "org_id": the active organization; empty when none is active.
	OrgSlug        string   // "org_slug"
	OrgRole        string   // "org_role": the user's role in the active organization (org:admin, …).
	OrgPermissions []string // "org_permissions": permission keys in the active organization.

	Plan     string   // "pla": the billing plan key of the subject (or of the active organization).
	Features []string // "fea": billing feature keys the plan grants.

	Actor *Actor   // "act": set while an admin impersonates the subject (RFC 8693 §4.1).
	AMR   []string // "amr": authentication methods used in this session (RFC 8176 values).

	Version int // "v": claim-set version; see ClaimsVersion.

	// Extra holds custom claims (from JWT templates and plugins). They round-trip through
	// Sign and Verify; values decode as encoding/json decodes into an interface (numbers
	// become float64). A key that names a registered claim, in any letter case, is rejected
	// by Sign and never appears here after decoding, so that a custom claim cannot override
	// a registered one.
	Extra map[string]any
}

// Actor is the "act" claim: who is acting on behalf of the subject.
type Actor struct {
	Subject string `json:"sub"` // the impersonating admin's user ID
}

// registeredClaims lists every claim name that Claims owns. encoding/json matches object
// keys to struct fields case-insensitively, so the comparison is case-insensitive too.
var registeredClaims = [...]string{
	"sub", "sid", "iss", "azp", "aud", "iat", "nbf", "exp", "fva",
	"org_id", "org_slug", "org_role", "org_permissions", "pla", "fea", "act", "amr", "v",
}

// IsRegisteredClaim reports whether name, in any letter case, is a claim that [Claims]
// owns, and so one that [Claims.Extra] may not hold: [KeySet.Sign] refuses such custom
// claims, and decoding drops them.
func IsRegisteredClaim(name string) bool { return isRegistered(name) }

func isRegistered(name string) bool {
	for _, r := range registeredClaims {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// wireClaims is the JSON form of the registered claims. Times are float64 because
// RFC 7519 §2 allows fractional NumericDate values; whole seconds stay exact below 2^53.
type wireClaims struct {
	Subject         string   `json:"sub,omitempty"`
	SessionID       string   `json:"sid,omitempty"`
	Issuer          string   `json:"iss,omitempty"`
	AuthorizedParty string   `json:"azp,omitempty"`
	Audience        audience `json:"aud,omitempty"`
	IssuedAt        float64  `json:"iat,omitempty"`
	NotBefore       float64  `json:"nbf,omitempty"`
	ExpiresAt       float64  `json:"exp,omitempty"`
	FVA             []int    `json:"fva,omitempty"`
	OrgID           string   `json:"org_id,omitempty"`
	OrgSlug         string   `json:"org_slug,omitempty"`
	OrgRole         string   `json:"org_role,omitempty"`
	OrgPermissions  []string `json:"org_permissions,omitempty"`
	Plan            string   `json:"pla,omitempty"`
	Features        []string `json:"fea,omitempty"`
	Actor           *Actor   `json:"act,omitempty"`
	AMR             []string `json:"amr,omitempty"`
	Version         int      `json:"v,omitempty"`
}

// audience is "aud": RFC 7519 §4.1.3 allows a string or an array of strings. Both shapes
// decode to a list (CVE-2020-26160 was a verifier that read an array as ""); any other
// shape is an error. A non-nil empty list means the claim was present but empty.
type audience []string

// UnmarshalJSON accepts a string, an array of strings or null.
func (a *audience) UnmarshalJSON(data []byte) error {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	if bytes.Equal(data, []byte("null")) {
		*a = nil
		return nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return errors.New("aud must be a string or an array of strings")
	}
	if list == nil {
		list = []string{}
	}
	*a = list
	return nil
}

// MarshalJSON writes one audience as a string and several as an array.
func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// MarshalJSON writes the registered claims followed by Extra (in key order). It fails when
// Extra names a registered claim.
func (c *Claims) MarshalJSON() ([]byte, error) {
	w := wireClaims{
		Subject:         c.Subject,
		SessionID:       c.SessionID,
		Issuer:          c.Issuer,
		AuthorizedParty: c.AuthorizedParty,
		Audience:        audience(c.Audience),
		IssuedAt:        toNumericDate(c.IssuedAt),
		NotBefore:       toNumericDate(c.NotBefore),
		ExpiresAt:       toNumericDate(c.ExpiresAt),
		OrgID:           c.OrgID,
		OrgSlug:         c.OrgSlug,
		OrgRole:         c.OrgRole,
		OrgPermissions:  c.OrgPermissions,
		Plan:            c.Plan,
		Features:        c.Features,
		Actor:           c.Actor,
		AMR:             c.AMR,
		Version:         c.Version,
	}
	if c.FactorVerificationAge != nil {
		w.FVA = c.FactorVerificationAge[:]
	}
	out, err := json.Marshal(&w)
	if err != nil || len(c.Extra) == 0 {
		return out, err
	}
	for k := range c.Extra {
		if isRegistered(k) {
			return nil, fmt.Errorf("token: custom claim %q would override a registered claim", k)
		}
	}
	extra, err := json.Marshal(c.Extra)
	if err != nil {
		return nil, fmt.Errorf("token: encoding custom claims: %w", err)
	}
	// Splice the two objects: `{…registered…}` + `{…extra…}` → `{…registered…,…extra…}`.
	out = out[:len(out)-1]
	if len(out) > 1 {
		out = append(out, ',')
	}
	return append(out, extra[1:]...), nil
}

// toNumericDate truncates t to whole seconds; the zero time becomes 0, which omitempty drops.
func toNumericDate(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.Unix())
}

// maxNumericDate bounds decoded times so that the float → int64 conversion is exact and
// cannot overflow (2^53 seconds is some 285 million years).
const maxNumericDate = 1 << 53

func fromNumericDate(f float64) (time.Time, error) {
	if f == 0 {
		return time.Time{}, nil
	}
	if !(f > -maxNumericDate && f < maxNumericDate) {
		return time.Time{}, errors.New("time claim out of range")
	}
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64((f-sec)*1e9)).UTC(), nil
}

// UnmarshalJSON reads a claim set. Registered claims must have their documented types
// ("fva" exactly two integers ≥ -1); every other top-level member goes to Extra.
func (c *Claims) UnmarshalJSON(data []byte) error {
	var w wireClaims
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	extra, err := decodeExtra(data)
	if err != nil {
		return err
	}
	return c.fromWire(&w, extra)
}

// decodeExtra returns the members of the JSON object obj that are not registered claims,
// or nil. obj must already have been validated by encoding/json.
//
// Decoding into a map costs more than all the registered claims together, so a cheap scan
// of the top-level member names comes first: the map is built only when some name is not
// exactly a registered one. The scan only chooses between "no custom claims" and "decode
// them with encoding/json"; when in doubt (an escaped name) it chooses the latter.
func decodeExtra(obj []byte) (map[string]any, error) {
	if !hasUnregisteredMember(obj) {
		return nil, nil
	}
	var extra map[string]any
	// The clone keeps obj from escaping, so that the Verifier can pass a stack buffer.
	if err := json.Unmarshal(bytes.Clone(obj), &extra); err != nil {
		return nil, err
	}
	for k := range extra {
		if isRegistered(k) {
			delete(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil, nil
	}
	return extra, nil
}

// hasUnregisteredMember reports whether the valid JSON object obj has a top-level member
// whose name is not byte for byte a registered claim name.
func hasUnregisteredMember(obj []byte) bool {
	depth := 0
	wantName := false
	for i := 0; i < len(obj); i++ {
		switch obj[i] {
		case '{':
			depth++
			wantName = depth == 1
		case '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			wantName = depth == 1
		case '"':
			start, escaped := i+1, false
			for i++; i < len(obj) && obj[i] != '"'; i++ {
				if obj[i] == '\\' {
					escaped = true
					i++
				}
			}
			if wantName {
				if escaped || !isRegisteredExact(obj[start:min(i, len(obj))]) {
					return true
				}
				wantName = false
			}
		}
	}
	return false
}

func isRegisteredExact(name []byte) bool {
	switch string(name) { // a switch on a converted []byte neither allocates nor loops
	case "sub", "sid", "iss", "azp", "aud", "iat", "nbf", "exp", "fva",
		"org_id", "org_slug", "org_role", "org_permissions", "pla", "fea", "act", "amr", "v":
		return true
	}
	return false
}

// parseTarget is what the Verifier decodes a claim set into: the wire form and the result
// it is converted to, in one allocation.
type parseTarget struct {
	wireClaims
	claims Claims
}

func (c *Claims) fromWire(w *wireClaims, extra map[string]any) error {
	iat, err := fromNumericDate(w.IssuedAt)
	if err != nil {
		return err
	}
	nbf, err := fromNumericDate(w.NotBefore)
	if err != nil {
		return err
	}
	exp, err := fromNumericDate(w.ExpiresAt)
	if err != nil {
		return err
	}
	var fva *[2]int
	if w.FVA != nil {
		if len(w.FVA) != 2 || w.FVA[0] < -1 || w.FVA[1] < -1 {
			return errors.New("fva must be two integers ≥ -1")
		}
		fva = &[2]int{w.FVA[0], w.FVA[1]}
	}
	*c = Claims{
		Subject:               w.Subject,
		SessionID:             w.SessionID,
		Issuer:                w.Issuer,
		AuthorizedParty:       w.AuthorizedParty,
		Audience:              w.Audience,
		IssuedAt:              iat,
		NotBefore:             nbf,
		ExpiresAt:             exp,
		FactorVerificationAge: fva,
		OrgID:                 w.OrgID,
		OrgSlug:               w.OrgSlug,
		OrgRole:               w.OrgRole,
		OrgPermissions:        nilIfEmpty(w.OrgPermissions),
		Plan:                  w.Plan,
		Features:              nilIfEmpty(w.Features),
		Actor:                 w.Actor,
		AMR:                   nilIfEmpty(w.AMR),
		Version:               w.Version,
		Extra:                 extra,
	}
	return nil
}

// HasPermission reports whether the active organization grants permission p. It is false
// for an empty p. It does not allocate.
func (c *Claims) HasPermission(p string) bool { return p != "" && contains(c.OrgPermissions, p) }

// HasRole reports whether the subject has role in the active organization. It is false for
// an empty role. It does not allocate.
func (c *Claims) HasRole(role string) bool { return role != "" && c.OrgRole == role }

// HasFeature reports whether the billing plan grants feature f. It is false for an empty f.
// It does not allocate.
func (c *Claims) HasFeature(f string) bool { return f != "" && contains(c.Features, f) }

// HasPlan reports whether the billing plan is plan. It is false for an empty plan. It does
// not allocate.
func (c *Claims) HasPlan(plan string) bool { return plan != "" && c.Plan == plan }

// HasAMR reports whether authentication method m was used in this session. It does not
// allocate.
func (c *Claims) HasAMR(m string) bool { return m != "" && contains(c.AMR, m) }

// Impersonated reports whether an actor is impersonating the subject.
func (c *Claims) Impersonated() bool { return c.Actor != nil && c.Actor.Subject != "" }

// FirstFactorAge returns the time since the first factor was last verified, in whole
// minutes, and false when the claim is absent or says the factor was never verified.
func (c *Claims) FirstFactorAge() (time.Duration, bool) { return c.factorAge(0) }

// SecondFactorAge returns the time since a second factor was last verified, in whole
// minutes, and false when the claim is absent or says no second factor was verified.
// A step-up check is `age, ok := c.SecondFactorAge(); ok && age <= limit`.
func (c *Claims) SecondFactorAge() (time.Duration, bool) { return c.factorAge(1) }

func (c *Claims) factorAge(i int) (time.Duration, bool) {
	if c.FactorVerificationAge == nil || c.FactorVerificationAge[i] < 0 {
		return 0, false
	}
	return time.Duration(c.FactorVerificationAge[i]) * time.Minute, true
}

// nilIfEmpty makes an empty JSON array read like an absent claim, as Sign writes both the
// same way (not at all). Only "aud" keeps the difference, because there it matters.
func nilIfEmpty(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	return list
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var _ jwt.Claims = (*Claims)(nil)

// GetExpirationTime implements [jwt.Claims]. It allocates the returned date; the Verifier
// does not use it.
func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) { return numericDate(c.ExpiresAt), nil }

// GetIssuedAt implements [jwt.Claims]. It allocates the returned date.
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error) { return numericDate(c.IssuedAt), nil }

// GetNotBefore implements [jwt.Claims]. It allocates the returned date.
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error) { return numericDate(c.NotBefore), nil }

// GetIssuer implements [jwt.Claims]. It does not allocate.
func (c *Claims) GetIssuer() (string, error) { return c.Issuer, nil }

// GetSubject implements [jwt.Claims]. It does not allocate.
func (c *Claims) GetSubject() (string, error) { return c.Subject, nil }

// GetAudience implements [jwt.Claims]. It does not allocate.
func (c *Claims) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings(c.Audience), nil }

func numericDate(t time.Time) *jwt.NumericDate {
	if t.IsZero() {
		return nil
	}
	return jwt.NewNumericDate(t)
}
