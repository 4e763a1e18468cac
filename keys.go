package latch

import (
	"context"
	"errors"
	"fmt"
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

// createInitialKeys stores a current and a next key. Two instances starting
// at once may both do it; loadKeys then signs with the oldest current key
// and verifies with all.
func (a *Auth) createInitialKeys(ctx context.Context) error {
	return a.store.InTx(ctx, func(q storage.Querier) error {
		for _, state := range []string{storage.KeyCurrent, storage.KeyNext} {
			sk, err := a.newSigningKey(state)
			if err != nil {
				return err
			}
			if err := q.CreateSigningKey(ctx, sk); err != nil {
				return err
			}
		}
		return nil
	})
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

var errRotatedTooSoon = fmt.Errorf("the next signing key was published less than %v ago; rotate later", keyReloadInterval)

// RotateSigningKeys makes the next key current (it has been published in
// the JWKS since the last rotation, so every instance and every verifier
// that caches the JWKS already knows it), demotes the current key to
// previous, publishes a new next key, and retires previous keys whose
// tokens have all expired. Nobody is signed out. Run it on a schedule (say
// daily) from one instance or several: concurrent rotations resolve to one.
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
					return errRotatedTooSoon
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
