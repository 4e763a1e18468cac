package token

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"
)

// ErrNoSigningKey is returned by [KeySet.Sign] when the set has no current key with a
// private half.
var ErrNoSigningKey = errors.New("token: no current signing key")

// Keys is the state of a [KeySet] that the kernel supplies on every change: the kernel owns
// key generation, persistence and timing; the KeySet only holds what it is given.
//
// Rotation follows one rule: publish before signing, keep until max TTL + leeway.
//
//  1. A new key enters as Next. It is published in the JWKS but signs nothing, so that
//     verifiers holding a cached JWKS learn it before any token carries its kid. Keep it in
//     Next for at least the JWKS cache lifetime of remote verifiers (RemoteConfig.MaxAge,
//     1 hour by default); a verifier that has not yet seen it would refetch on the unknown
//     kid, but only once per RemoteConfig.MinRefreshInterval.
//  2. The kernel promotes Next to Current and the old Current to Previous.
//  3. A Previous key keeps verifying, and stays in the JWKS, until every token it signed has
//     expired: at least the longest token TTL plus the verifiers' leeway after it stopped
//     being Current. Only then does the kernel drop it.
//
// Following the rule, rotating keys logs nobody out.
type Keys struct {
	Current  *Key   // signs; nil in a verify-only set
	Next     []*Key // published and verifying, not yet signing
	Previous []*Key // retired from signing, still verifying until their tokens expire
}

// KeySet holds the signing and verification keys of one Latch instance. It is safe for
// concurrent use: [KeySet.Set] swaps an immutable snapshot through an atomic pointer, so
// Sign, Verify and JWKS never take a lock, and a key lookup by kid does not allocate.
//
// The zero KeySet is empty and usable: it signs nothing and verifies nothing until Set.
type KeySet struct {
	snap atomic.Pointer[snapshot]
}

// snapshot is one immutable state of a key source.
type snapshot struct {
	state Keys
	byKID map[string]*Key
	jwks  []byte
}

// NewKeySet returns a KeySet holding keys (see [KeySet.Set]).
func NewKeySet(keys Keys) (*KeySet, error) {
	s := &KeySet{}
	if err := s.Set(keys); err != nil {
		return nil, err
	}
	return s, nil
}

// Set replaces the whole state atomically. Every key must be non-nil and key IDs must be
// unique across the three states. Tokens being verified concurrently see either the old or
// the new state, never a mix. On error the previous state is kept.
func (s *KeySet) Set(keys Keys) error {
	keys = Keys{ // copy the slices: the caller may reuse theirs
		Current:  keys.Current,
		Next:     append([]*Key(nil), keys.Next...),
		Previous: append([]*Key(nil), keys.Previous...),
	}
	var all []*Key
	if keys.Current != nil {
		all = append(all, keys.Current)
	}
	all = append(all, keys.Next...)
	all = append(all, keys.Previous...)
	snap, err := newSnapshot(all)
	if err != nil {
		return err
	}
	snap.state = keys
	s.snap.Store(snap)
	return nil
}

func newSnapshot(keys []*Key) (*snapshot, error) {
	snap := &snapshot{byKID: make(map[string]*Key, len(keys))}
	for _, k := range keys {
		if k == nil {
			return nil, errors.New("token: nil key")
		}
		if _, dup := snap.byKID[k.kid]; dup {
			return nil, fmt.Errorf("token: duplicate key ID %q", k.kid)
		}
		snap.byKID[k.kid] = k
	}
	jwks, err := encodeJWKS(keys)
	if err != nil {
		return nil, err
	}
	snap.jwks = jwks
	return snap, nil
}

// Keys returns the current state. The slices are copies; the keys are shared (they are
// immutable).
func (s *KeySet) Keys() Keys {
	snap := s.snap.Load()
	if snap == nil {
		return Keys{}
	}
	return Keys{
		Current:  snap.state.Current,
		Next:     append([]*Key(nil), snap.state.Next...),
		Previous: append([]*Key(nil), snap.state.Previous...),
	}
}

// Lookup returns the key with ID kid in any state, or nil. It does not allocate.
func (s *KeySet) Lookup(kid string) *Key {
	snap := s.snap.Load()
	if snap == nil {
		return nil
	}
	return snap.byKID[kid]
}

// JWKS returns the JSON Web Key Set (RFC 7517 §5) of the public halves of every key in
// every state, to be served at /.well-known/jwks.json. The encoding is computed once per
// state; each call returns a fresh copy. An empty set gives {"keys":[]}.
func (s *KeySet) JWKS() ([]byte, error) {
	snap := s.snap.Load()
	if snap == nil {
		return []byte(`{"keys":[]}`), nil
	}
	return append([]byte(nil), snap.jwks...), nil
}

// Sign returns claims as a compact JWS signed by the current key, with "alg", "kid" and
// "typ":"JWT" in the header. Claims must have an issuer and an expiry (no verifier accepts
// a token without them). "v" is written as [ClaimsVersion] when claims.Version is zero;
// times are truncated to whole seconds. claims is not modified.
func (s *KeySet) Sign(claims *Claims) (string, error) {
	return s.SignType(claims, TypeSession)
}

// SignType is [KeySet.Sign] with another "typ" header, for tokens that are not session
// tokens ([TypeTemplate]): a [Verifier] accepts only the type of its Config.Type, so such a
// token never passes as a session although the same key signs it.
func (s *KeySet) SignType(claims *Claims, typ string) (string, error) {
	if err := validType(typ); err != nil {
		return "", err
	}
	snap := s.snap.Load()
	if snap == nil || snap.state.Current == nil || snap.state.Current.private == nil {
		return "", ErrNoSigningKey
	}
	if claims == nil || claims.Issuer == "" || claims.ExpiresAt.IsZero() {
		return "", errors.New("token: claims need an issuer and an expiry")
	}
	k := snap.state.Current
	c := *claims
	if c.Version == 0 {
		c.Version = ClaimsVersion
	}
	t := jwt.NewWithClaims(k.method, &c)
	t.Header["kid"] = k.kid
	t.Header["typ"] = typ
	signed, err := t.SignedString(k.private)
	if err != nil {
		return "", fmt.Errorf("token: signing: %w", err)
	}
	return signed, nil
}

// KeySource is where a [Verifier] finds verification keys: a [*KeySet] (the keys of this
// process) or a [*RemoteKeySet] (a JWKS fetched over HTTP). It is implemented only by those
// two types.
type KeySource interface {
	// lookupKey returns the key with ID kid, or nil. It must not allocate.
	lookupKey(kid string) *Key
	// refreshUnknown is called after a lookup missed; it reports whether the keys may have
	// changed since, so that one more lookup is worth trying.
	refreshUnknown(ctx context.Context) bool
}

func (s *KeySet) lookupKey(kid string) *Key               { return s.Lookup(kid) }
func (s *KeySet) refreshUnknown(ctx context.Context) bool { return false }
