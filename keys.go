package latch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/token"
)

// keyReloadInterval is how often an instance rereads the signing keys, so
// that it learns of a rotation made by another instance. A rotation's new
// key is published as "next" at the previous rotation, so instances know
// it long before anything is signed with it.
const keyReloadInterval = time.Minute

// signingKeys keeps the token.KeySet of this instance in step with the
// keys in the store.
type signingKeys struct {
	set      *token.KeySet
	mu       sync.Mutex   // serialises loads and rotations
	loadedAt atomic.Int64 // UnixNano of the last load; 0 before the first
}

// ensureKeys loads the signing keys when they were never loaded or were
// loaded more than keyReloadInterval ago, creating the first key on first
// use. The check costs one atomic load when nothing is due.
func (a *Auth) ensureKeys(ctx context.Context) error {
	now := a.cfg.Clock()
	if last := a.keys.loadedAt.Load(); last != 0 && now.Sub(time.Unix(0, last)) < keyReloadInterval {
		return nil
	}
	a.keys.mu.Lock()
	defer a.keys.mu.Unlock()
	if last := a.keys.loadedAt.Load(); last != 0 && now.Sub(time.Unix(0, last)) < keyReloadInterval {
		return nil
	}
	if err := a.loadKeys(ctx); err != nil {
		if a.keys.loadedAt.Load() != 0 {
			// Keep signing with the keys already loaded; a passing store
			// outage must not sign anybody out. Try again next request.
			a.cfg.Logger.WarnContext(ctx, "latch: reloading signing keys", "err", err)
			return nil
		}
		return err
	}
	a.keys.loadedAt.Store(now.UnixNano())
	return nil
}

// loadKeys reads the keys from the store into the key set, creating a current
// and a next key when there is no current one.
func (a *Auth) loadKeys(ctx context.Context) error {
	stored, err := a.store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	if !hasState(stored, storage.KeyCurrent) {
		if err := a.createInitialKeys(ctx); err != nil {
			return err
		}
		if stored, err = a.store.ListSigningKeys(ctx); err != nil {
			return err
		}
	}
	if sealed := a.unopenableKeys(stored); len(sealed) > 0 {
		if err := a.replaceUnopenableKeys(ctx, sealed); err != nil {
			return err
		}
		if stored, err = a.store.ListSigningKeys(ctx); err != nil {
			return err
		}
	}
	var keys token.Keys
	for _, sk := range stored {
		signer := sk.State == storage.KeyCurrent && keys.Current == nil
		k, err := a.decodeKey(sk, signer)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", sk.ID, err)
		}
		switch {
		case signer:
			keys.Current = k
		case sk.State == storage.KeyNext:
			keys.Next = append(keys.Next, k)
		default:
			// A previous key, or a second current key that a racing
			// instance created at first start: it verifies, never signs.
			keys.Previous = append(keys.Previous, k)
		}
	}
	return a.keys.set.Set(keys)
}

func hasState(keys []*storage.SigningKey, state string) bool {
	for _, k := range keys {
		if k.State == state {
			return true
		}
	}
	return false
}

// decodeKey turns a stored key into a token.Key, decrypting the private half
// only for the key that signs.
func (a *Auth) decodeKey(sk *storage.SigningKey, private bool) (*token.Key, error) {
	if !private {
		return token.ParsePublicKey(sk.ID, sk.PublicKey)
	}
	der, err := a.secrets.open("signing-key", sk.EncryptionKeyID, sk.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("decrypting (was its secret removed from Config.Secrets?): %w", err)
	}
	return token.ParsePrivateKey(sk.ID, der)
}

// unopenableKeys returns the current and next keys whose private half no
// configured secret opens: the secret that sealed them was removed from
// Config.Secrets, or was a random development secret of an earlier process.
func (a *Auth) unopenableKeys(stored []*storage.SigningKey) []*storage.SigningKey {
	var bad []*storage.SigningKey
	for _, sk := range stored {
		if sk.State != storage.KeyCurrent && sk.State != storage.KeyNext {
			continue
		}
		if _, err := a.secrets.open("signing-key", sk.EncryptionKeyID, sk.PrivateKey); err != nil {
			bad = append(bad, sk)
		}
	}
	return bad
}

// replaceUnopenableKeys takes out of service the keys this instance cannot
// sign with and mints new ones, instead of failing every request until
// someone deletes the database. A current key becomes previous, so tokens it
// signed verify until they expire; a next key never signed anything and is
// retired. The sessions themselves do not survive: their client cookies were
// sealed with the lost secret too.
func (a *Auth) replaceUnopenableKeys(ctx context.Context, sealed []*storage.SigningKey) error {
	ids := make([]string, len(sealed))
	sealedWith := make([]string, len(sealed))
	for i, sk := range sealed {
		ids[i], sealedWith[i] = sk.ID, sk.EncryptionKeyID
	}
	a.cfg.Logger.ErrorContext(ctx, "latch: no configured secret opens these signing keys, so new ones are minted and everybody signs in again. "+
		"The secret that sealed them was removed from Config.Secrets, or was a random development secret of an earlier process "+
		"(set Config.Secrets, or SecretsFile in development, to keep one)",
		"keys", ids, "sealed_with", sealedWith, "configured", a.secrets.secretIDs())
	now := a.now()
	err := a.store.InTx(ctx, func(q storage.Querier) error {
		for _, sk := range sealed {
			if sk.State == storage.KeyCurrent {
				sk.State = storage.KeyPrevious
			} else {
				sk.State = storage.KeyRetired
			}
			sk.UpdatedAt = now
			if err := q.UpdateSigningKey(ctx, sk); err != nil {
				return err
			}
		}
		stored, err := q.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		return a.createMissingKeys(ctx, q, stored)
	})
	if errors.Is(err, storage.ErrStale) || errors.Is(err, storage.ErrNotFound) {
		// Another instance replaced them first; the caller reads its keys.
		return nil
	}
	return err
}

// createInitialKeys stores a current and a next key. Two instances starting
// at once may both do it; loadKeys then signs with the oldest current key
// and verifies with all.
func (a *Auth) createInitialKeys(ctx context.Context) error {
	return a.store.InTx(ctx, func(q storage.Querier) error { return a.createMissingKeys(ctx, q, nil) })
}

// createMissingKeys stores, with q, a current and a next key for whichever
// of the two stored lacks.
func (a *Auth) createMissingKeys(ctx context.Context, q storage.Querier, stored []*storage.SigningKey) error {
	for _, state := range []string{storage.KeyCurrent, storage.KeyNext} {
		if hasState(stored, state) {
			continue
		}
		sk, err := a.newSigningKey(state)
		if err != nil {
			return err
		}
		if err := q.CreateSigningKey(ctx, sk); err != nil {
			return err
		}
	}
	return nil
}

func (a *Auth) newSigningKey(state string) (*storage.SigningKey, error) {
	kid, err := a.newID("key")
	if err != nil {
		return nil, err
	}
	k, err := token.GenerateKey(a.cfg.Session.Algorithm, a.cfg.Rand, kid)
	if err != nil {
		return nil, err
	}
	priv, err := k.MarshalPrivate()
	if err != nil {
		return nil, err
	}
	pub, err := k.MarshalPublic()
	if err != nil {
		return nil, err
	}
	sealed, keyID, err := a.secrets.seal(a.cfg.Rand, "signing-key", priv)
	if err != nil {
		return nil, err
	}
	now := a.now()
	return &storage.SigningKey{
		ID: kid, Algorithm: string(k.Algorithm()), State: state, PublicKey: pub, PrivateKey: sealed,
		EncryptionKeyID: keyID, CreatedAt: now, UpdatedAt: now,
	}, nil
}

// ErrRotationTooSoon: RotateSigningKeys was called less than a minute
// after the previous rotation, when other instances may not have loaded the
// key it would promote. Nothing changed; the message of the error returned
// says when a rotation will be accepted, and RetryAt returns that time.
var ErrRotationTooSoon = &Error{Code: "signing_key_rotation_too_soon", Message: "The signing keys were rotated less than a minute ago. Try again in a minute.", Status: http.StatusConflict}

// retryError is a refusal that clears by itself at a known time.
type retryError struct {
	err *Error
	at  time.Time
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// RetryAt returns when the operation that failed with err may be retried,
// for the errors that know it (ErrRotationTooSoon); ok is false for others.
func RetryAt(err error) (at time.Time, ok bool) {
	var re *retryError
	if errors.As(err, &re) {
		return re.at, true
	}
	return time.Time{}, false
}

func rotationTooSoon(at time.Time) error {
	e := ErrRotationTooSoon.WithMessage("The signing keys were rotated less than a minute ago; other instances may not know the next key yet. Try again at " +
		at.UTC().Format(time.RFC3339) + " or later.")
	return &retryError{err: e, at: at}
}

// RotateSigningKeys makes the next key current (it has been published in
// the JWKS since the last rotation, so every instance and every verifier
// that caches the JWKS already knows it), demotes the current key to
// previous, publishes a new next key, and retires previous keys whose
// tokens have all expired. Nobody is signed out. Run it on a schedule (say
// daily) from one instance or several: concurrent rotations resolve to one.
// Within a minute of the previous rotation it changes nothing and returns
// ErrRotationTooSoon, whose message (and RetryAt) says when to try again.
func (a *Auth) RotateSigningKeys(ctx context.Context) error {
	if err := a.ensureKeys(ctx); err != nil {
		return asError(err)
	}
	a.keys.mu.Lock()
	defer a.keys.mu.Unlock()
	now := a.now()
	// A key demoted now stays published until every token it signed has
	// expired, with the leeway verifiers allow on top.
	keep := a.cfg.Session.TokenLifetime + a.cfg.Session.Leeway
	err := a.store.InTx(ctx, func(q storage.Querier) error {
		stored, err := q.ListSigningKeys(ctx)
		if err != nil {
			return err
		}
		if !hasState(stored, storage.KeyNext) {
			return errors.New("no next key to promote")
		}
		promoted := false
		for _, sk := range stored {
			switch {
			case sk.State == storage.KeyCurrent:
				sk.State = storage.KeyPrevious
			case sk.State == storage.KeyNext && !promoted:
				if now.Sub(sk.CreatedAt) < keyReloadInterval {
					// Other instances may not have loaded it yet.
					return rotationTooSoon(sk.CreatedAt.Add(keyReloadInterval))
				}
				sk.State, promoted = storage.KeyCurrent, true
			case sk.State == storage.KeyPrevious && now.Sub(sk.UpdatedAt) > keep:
				sk.State = storage.KeyRetired
			default:
				continue
			}
			sk.UpdatedAt = now
			if err := q.UpdateSigningKey(ctx, sk); err != nil {
				return err
			}
		}
		next, err := a.newSigningKey(storage.KeyNext)
		if err != nil {
			return err
		}
		return q.CreateSigningKey(ctx, next)
	})
	if _, ok := RetryAt(err); ok {
		return err
	}
	if err != nil && !errors.Is(err, storage.ErrStale) {
		return asError(err)
	}
	// Whoever won, read what is stored now.
	if err := a.loadKeys(ctx); err != nil {
		return asError(err)
	}
	a.keys.loadedAt.Store(a.cfg.Clock().UnixNano())
	return nil
}

// JWKS returns the JSON Web Key Set of the keys that verify session tokens,
// as served at /.well-known/jwks.json.
func (a *Auth) JWKS(ctx context.Context) ([]byte, error) {
	if err := a.ensureKeys(ctx); err != nil {
		return nil, asError(err)
	}
	return a.keys.set.JWKS()
}
