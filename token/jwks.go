package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// MaxJWKSKeys is the most keys ParseJWKS accepts in one set. A Latch JWKS holds three or
// four; the bound keeps a hostile or broken endpoint from filling memory.
const MaxJWKSKeys = 64

// jwk is one JSON Web Key (RFC 7517 §4) of the two types this package supports: OKP with
// crv Ed25519 (RFC 8037 §2) and EC with crv P-256 (RFC 7518 §6.2).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// b64 is the base64url encoding without padding of RFC 7515 §2; Strict refuses non-zero
// trailing bits, so each key has exactly one accepted encoding.
var b64 = base64.RawURLEncoding.Strict()

func encodeJWKS(keys []*Key) ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(keys))}
	for _, k := range keys {
		j := jwk{Kid: k.kid, Alg: string(k.alg), Use: "sig"}
		switch p := k.public.(type) {
		case ed25519.PublicKey:
			j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64.EncodeToString(p)
		case *ecdsa.PublicKey:
			point, err := p.Bytes() // 0x04 || X || Y, each coordinate 32 bytes
			if err != nil {
				return nil, fmt.Errorf("token: encoding key %q: %w", k.kid, err)
			}
			j.Kty, j.Crv = "EC", "P-256"
			j.X, j.Y = b64.EncodeToString(point[1:33]), b64.EncodeToString(point[33:])
		}
		set.Keys = append(set.Keys, j)
	}
	return json.Marshal(set)
}

// ParseJWKS reads a JSON Web Key Set and returns its verification keys.
//
// Keys of other types or curves (RSA, Ed448, P-384, …), keys whose "use" is not "sig",
// keys whose "alg" is set to something other than the key type's algorithm, and keys
// without a usable "kid" are skipped: a JWKS may legitimately publish them, and a
// verifier that looks keys up by kid cannot use them. A supported key that is malformed
// (bad base64, wrong length, point not on the curve), a key that carries private members,
// a duplicate kid or more than [MaxJWKSKeys] keys make the whole set an error, because
// they mean the endpoint is broken or hostile.
func ParseJWKS(data []byte) ([]*Key, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("token: JWKS: %w", err)
	}
	if set.Keys == nil {
		return nil, errors.New(`token: JWKS has no "keys" array`)
	}
	if len(set.Keys) > MaxJWKSKeys {
		return nil, fmt.Errorf("token: JWKS has more than %d keys", MaxJWKSKeys)
	}
	var keys []*Key
	for i, raw := range set.Keys {
		var j struct {
			jwk
			KeyOps []string `json:"key_ops"`
			// Private members of any key type (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
			D   *json.RawMessage `json:"d"`
			P   *json.RawMessage `json:"p"`
			Q   *json.RawMessage `json:"q"`
			DP  *json.RawMessage `json:"dp"`
			DQ  *json.RawMessage `json:"dq"`
			QI  *json.RawMessage `json:"qi"`
			Oth *json.RawMessage `json:"oth"`
			K   *json.RawMessage `json:"k"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("token: JWKS key %d: %w", i, err)
		}
		if j.D != nil || j.P != nil || j.Q != nil || j.DP != nil || j.DQ != nil || j.QI != nil || j.Oth != nil || j.K != nil {
			return nil, fmt.Errorf("token: JWKS key %d holds private or symmetric key material", i)
		}
		if j.Use != "" && j.Use != "sig" || j.KeyOps != nil && !slices.Contains(j.KeyOps, "verify") {
			continue
		}
		if checkKID(j.Kid) != nil {
			continue
		}
		var k *Key
		var err error
		switch {
		case j.Kty == "OKP" && j.Crv == "Ed25519" && (j.Alg == "" || j.Alg == string(EdDSA)):
			k, err = parseOKP(j.Kid, j.X)
		case j.Kty == "EC" && j.Crv == "P-256" && (j.Alg == "" || j.Alg == string(ES256)):
			k, err = parseEC(j.Kid, j.X, j.Y)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("token: JWKS key %q: %w", j.Kid, err)
		}
		for _, other := range keys {
			if other.kid == k.kid {
				return nil, fmt.Errorf("token: JWKS has key ID %q twice", k.kid)
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func parseOKP(kid, x string) (*Key, error) {
	pub, err := b64.DecodeString(x)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("x is not a base64url Ed25519 public key")
	}
	return newPublicKey(kid, ed25519.PublicKey(pub))
}

func parseEC(kid, x, y string) (*Key, error) {
	xb, errX := b64.DecodeString(x)
	yb, errY := b64.DecodeString(y)
	if errX != nil || errY != nil || len(xb) != 32 || len(yb) != 32 {
		return nil, errors.New("x and y must be base64url 32-byte coordinates")
	}
	point := make([]byte, 0, 65)
	point = append(append(append(point, 4), xb...), yb...)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point) // checks the point is on the curve
	if err != nil {
		return nil, err
	}
	return newPublicKey(kid, pub)
}
