package sqlstore

import (
	"context"

	"github.com/latchauth/latch/storage"
)

var keyCols = columns{"id", "algorithm", "state", "public_key", "private_key", "encryption_key_id", "created_at", "updated_at", "version"}

func scanKey(sc scanner) (*storage.SigningKey, error) {
	k := new(storage.SigningKey)
	err := sc.Scan(&k.ID, &k.Algorithm, &k.State, bytesCol{&k.PublicKey}, bytesCol{&k.PrivateKey}, &k.EncryptionKeyID,
		timeCol{&k.CreatedAt}, timeCol{&k.UpdatedAt}, &k.Version)
	return k, err
}

// CreateSigningKey implements storage.SigningKeyStore.
func (q *querier) CreateSigningKey(ctx context.Context, k *storage.SigningKey) error {
	_, err := q.exec(ctx, `INSERT INTO latch_signing_keys (`+keyCols.list()+`) VALUES (`+keyCols.marks()+`)`,
		k.ID, k.Algorithm, k.State, bs(k.PublicKey), bs(k.PrivateKey), k.EncryptionKeyID,
		q.tm(k.CreatedAt), q.tm(k.UpdatedAt), int64(1))
	if err != nil {
		return err
	}
	k.Version = 1
	return nil
}

// ListSigningKeys implements storage.SigningKeyStore.
func (q *querier) ListSigningKeys(ctx context.Context) ([]*storage.SigningKey, error) {
	return getAll(ctx, q, scanKey, `SELECT `+keyCols.list()+` FROM latch_signing_keys WHERE state <> ? ORDER BY id`, storage.KeyRetired)
}

// UpdateSigningKey implements storage.SigningKeyStore.
func (q *querier) UpdateSigningKey(ctx context.Context, k *storage.SigningKey) error {
	n, err := q.exec(ctx, `UPDATE latch_signing_keys SET state = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		k.State, q.tm(k.UpdatedAt), k.ID, k.Version)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.missOr(ctx, storage.ErrStale, `SELECT 1 FROM latch_signing_keys WHERE id = ?`, k.ID)
	}
	k.Version++
	return nil
}

// DeleteSigningKey implements storage.SigningKeyStore.
func (q *querier) DeleteSigningKey(ctx context.Context, id string) error {
	return q.execOne(ctx, `DELETE FROM latch_signing_keys WHERE id = ?`, id)
}
