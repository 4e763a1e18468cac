package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithm is a JWS signature algorithm ("alg" header, RFC 7518 §3.1, RFC 8037 §3.1).
// Only [EdDSA] and [ES256] exist in this package: HMAC algorithms would let anyone who can
// verify also forge, RSA keys are large and slow to sign with, and "none" is not a signature.
type Algorithm string

const (
	// EdDSA is Ed25519 (RFC 8037). It is the default: small keys, fast, deterministic
	// signatures, and a verification routine without malleability.
	EdDSA Algorithm = "EdDSA"
	// ES256 is ECDSA on P-256 with SHA-256 (RFC 7518 §3.4), for verifiers whose platform
	// lacks Ed25519.
	ES256 Algorithm = "ES256"
)

// MaxKIDLength is the longest key ID this package creates, accepts in a JWKS or looks up
// from a token header. A longer "kid" header is rejected before any lookup.
const MaxKIDLength = 128

// method returns the golang-jwt signing method of a, or nil when a is not supported.
func (a Algorithm) method() jwt.SigningMethod {
	switch a {
	case EdDSA:
		return jwt.SigningMethodEdDSA
	case ES256:
		return jwt.SigningMethodES256
	}
	return nil
}

// Key is one signing key pair, or only its public half, with its key ID and algorithm.
//
// A Key is immutable and safe for concurrent use. The private half never leaves the Key
// except through [Key.MarshalPrivate], which exists so that the kernel can encrypt and
// persist it.
type Key struct {
	kid       string
	alg       Algorithm
	method    jwt.SigningMethod
	public    crypto.PublicKey // ed25519.PublicKey or *ecdsa.PublicKey
	verifyKey any              // public, boxed once so that a key lookup does not allocate
	private   crypto.Signer    // ed25519.PrivateKey or *ecdsa.PrivateKey; nil when public-only
}

// GenerateKey creates a key pair for alg ([EdDSA] when alg is empty) identified by kid.
//
// All randomness is read from rand, so a test that passes a deterministic reader gets a
// deterministic key; production callers pass crypto/rand.Reader. (Unlike
// ecdsa.GenerateKey, which since Go 1.26 ignores its reader, this function honours it.)
func GenerateKey(alg Algorithm, rand io.Reader, kid string) (*Key, error) {
	if rand == nil {
		return nil, errors.New("token: GenerateKey needs a random source")
	}
	if err := checkKID(kid); err != nil {
		return nil, err
	}
	switch alg {
	case "", EdDSA:
		seed := make([]byte, ed25519.SeedSize)
		if _, err := io.ReadFull(rand, seed); err != nil {
			return nil, fmt.Errorf("token: generating Ed25519 key: %w", err)
		}
		return newKey(kid, ed25519.NewKeyFromSeed(seed))
	case ES256:
		// Rejection sampling of the scalar: ParseRawPrivateKey refuses 0 and values ≥ N,
		// which happens with probability below 2^-32 per try.
		scalar := make([]byte, 32)
		for range 64 {
			if _, err := io.ReadFull(rand, scalar); err != nil {
				return nil, fmt.Errorf("token: generating P-256 key: %w", err)
			}
			priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar)
			if err == nil {
				return newKey(kid, priv)
			}
		}
		return nil, errors.New("token: random source gave no valid P-256 scalar")
	}
	return nil, fmt.Errorf("token: unsupported algorithm %q", alg)
}

// ParsePrivateKey reads a private key in PKCS #8 DER form (as written by
// [Key.MarshalPrivate]) and identifies it by kid. The algorithm follows from the key type:
// Ed25519 gives [EdDSA], ECDSA P-256 gives [ES256]; anything else is an error.
func ParsePrivateKey(kid string, der []byte) (*Key, error) {
	if err := checkKID(kid); err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("token: parsing private key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("token: unsupported private key type %T", k)
	}
	return newKey(kid, signer)
}

// ParsePublicKey reads a public key in PKIX (SubjectPublicKeyInfo) DER form, as written by
// [Key.MarshalPublic], and identifies it by kid. The result verifies but cannot sign.
func ParsePublicKey(kid string, der []byte) (*Key, error) {
	if err := checkKID(kid); err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("token: parsing public key: %w", err)
	}
	return newPublicKey(kid, k)
}

// NewPublicKey wraps an ed25519.PublicKey or a P-256 *ecdsa.PublicKey as a verify-only Key.
func NewPublicKey(kid string, pub crypto.PublicKey) (*Key, error) {
	if err := checkKID(kid); err != nil {
		return nil, err
	}
	return newPublicKey(kid, pub)
}

func newKey(kid string, priv crypto.Signer) (*Key, error) {
	k, err := newPublicKey(kid, priv.Public())
	if err != nil {
		return nil, err
	}
	k.private = priv
	return k, nil
}

func newPublicKey(kid string, pub crypto.PublicKey) (*Key, error) {
	k := &Key{kid: kid}
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return nil, errors.New("token: Ed25519 public key has the wrong length")
		}
		p = append(ed25519.PublicKey(nil), p...) // own the bytes: the caller may reuse theirs
		k.alg, k.public, k.verifyKey = EdDSA, p, p
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return nil, errors.New("token: ECDSA key is not on P-256")
		}
		k.alg, k.public, k.verifyKey = ES256, p, p
	default:
		return nil, fmt.Errorf("token: unsupported public key type %T", pub)
	}
	k.method = k.alg.method()
	return k, nil
}

func checkKID(kid string) error {
	if kid == "" || len(kid) > MaxKIDLength || !utf8.ValidString(kid) {
		return fmt.Errorf("token: key ID must be 1 to %d bytes of UTF-8", MaxKIDLength)
	}
	return nil
}

// KID returns the key ID, published as "kid" in the JWKS and in every token header the key signs.
func (k *Key) KID() string { return k.kid }

// Algorithm returns the algorithm the key signs and verifies with.
func (k *Key) Algorithm() Algorithm { return k.alg }

// Public returns the public key: an ed25519.PublicKey or a *ecdsa.PublicKey. Do not modify it.
func (k *Key) Public() crypto.PublicKey { return k.public }

// CanSign reports whether k holds a private key.
func (k *Key) CanSign() bool { return k.private != nil }

// PublicOnly returns a Key with the same ID and public key but no private key.
func (k *Key) PublicOnly() *Key {
	c := *k
	c.private = nil
	return &c
}

// MarshalPrivate returns the private key in PKCS #8 DER form, for the kernel to encrypt and
// store. It fails for a public-only key.
func (k *Key) MarshalPrivate() ([]byte, error) {
	if k.private == nil {
		return nil, errors.New("token: key has no private half")
	}
	return x509.MarshalPKCS8PrivateKey(k.private)
}

// MarshalPublic returns the public key in PKIX (SubjectPublicKeyInfo) DER form.
func (k *Key) MarshalPublic() ([]byte, error) {
	return x509.MarshalPKIXPublicKey(k.public)
}
