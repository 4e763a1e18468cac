package token

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// referenceVerify is how Verifier.verify worked before it decoded tokens itself: golang-jwt
// parses and checks the signature, encoding/json decodes the header into a map and the
// claims into wireClaims, and custom claims are decoded from the payload a second time.
// FuzzVerifyMatchesGolangJWT compares the two.
func referenceVerify(v *Verifier, token string) (*Claims, error) {
	if len(token) > v.maxSize {
		return nil, ErrTooLarge
	}
	names := make([]string, 0, len(v.algs))
	for _, a := range v.algs {
		names = append(names, string(a))
	}
	parser := jwt.NewParser(jwt.WithValidMethods(names), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())
	keyFunc := func(t *jwt.Token) (any, error) {
		for _, h := range forbiddenHeaders {
			if _, ok := t.Header[h]; ok {
				if h == "crit" {
					return nil, errCrit
				}
				return nil, &keyError{kind: ErrUnknownKey, msg: h + " header not allowed: keys come only from the key set"}
			}
		}
		if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, v.typ) {
			return nil, errTyp
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" || len(kid) > MaxKIDLength {
			return nil, errBadKID
		}
		k := v.keys.lookupKey(kid)
		if k == nil {
			return nil, errKIDNotFound
		}
		if t.Method.Alg() != string(k.alg) {
			return nil, errAlgMismatch
		}
		return k.verifyKey, nil
	}
	target := new(referenceTarget)
	t, err := parser.ParseWithClaims(token, target, keyFunc)
	if err != nil && errors.Is(err, errKIDNotFound) && v.keys.refreshUnknown(context.Background()) {
		target = new(referenceTarget)
		t, err = parser.ParseWithClaims(token, target, keyFunc)
	}
	if err != nil {
		return nil, referenceClassify(v, t, err)
	}
	_, rest, _ := strings.Cut(token, ".")
	seg, _, _ := strings.Cut(rest, ".")
	p, err := b64.DecodeString(seg)
	if err != nil {
		return nil, ErrMalformed
	}
	extra, err := decodeExtra(p)
	if err != nil {
		return nil, fmt.Errorf("%w: custom claims: %v", ErrMalformed, err)
	}
	claims := new(Claims)
	if err := claims.fromWire(&target.wireClaims, extra); err != nil {
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

// referenceTarget is wireClaims as a jwt.Claims, without an UnmarshalJSON method.
type referenceTarget struct{ wireClaims }

func (*referenceTarget) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (*referenceTarget) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (*referenceTarget) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (*referenceTarget) GetIssuer() (string, error)                   { return "", nil }
func (*referenceTarget) GetSubject() (string, error)                  { return "", nil }
func (*referenceTarget) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// referenceClassify maps a golang-jwt error to this package's sentinels.
func referenceClassify(v *Verifier, t *jwt.Token, err error) error {
	var ke *keyError
	if errors.As(err, &ke) {
		return ke
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ErrMalformed
	case t != nil && t.Method != nil && !v.allowed(t.Method.Alg()):
		return ErrAlgorithm
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return ErrAlgorithm
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return ErrSignature
	}
	return ErrMalformed
}
