package sqlstore

import (
	"context"
	"time"

	"github.com/latchauth/latch/storage"
)

var identCols = columns{"id", "user_id", "kind", "value", "canonical", "verified_at", "verified_by", "second_factor", "created_at", "updated_at"}

var (
	identSelect = `SELECT ` + identCols.list() + ` FROM latch_identifiers`
	// The EXISTS makes "the user does not exist" part of the same statement,
	// whether or not the connection enforces foreign keys.
	identInsert = `INSERT INTO latch_identifiers (` + identCols.list() + `) SELECT ` + identCols.marks() +
		` WHERE EXISTS (` + userExists + `)`
)

func scanIdent(sc scanner) (*storage.Identifier, error) {
	i := new(storage.Identifier)
	var kind string
	err := sc.Scan(&i.ID, &i.UserID, &kind, &i.Value, &i.Canonical, timeCol{&i.VerifiedAt}, &i.VerifiedBy, &i.SecondFactor,
		timeCol{&i.CreatedAt}, timeCol{&i.UpdatedAt})
	i.Kind = storage.IdentifierKind(kind)
	return i, err
}

// CreateIdentifier implements storage.IdentifierStore.
func (q *querier) CreateIdentifier(ctx context.Context, i *storage.Identifier) error {
	canonical := storage.Canonical(i.Kind, i.Value)
	err := q.execOne(ctx, identInsert, i.ID, i.UserID, string(i.Kind), i.Value, canonical,
		q.tm(i.VerifiedAt), i.VerifiedBy, i.SecondFactor, q.tm(i.CreatedAt), q.tm(i.UpdatedAt), i.UserID)
	if err != nil {
		return err
	}
	i.Canonical = canonical
	return nil
}

// GetIdentifier implements storage.IdentifierStore.
func (q *querier) GetIdentifier(ctx context.Context, id string) (*storage.Identifier, error) {
	return getOne(ctx, q, scanIdent, identSelect+` WHERE id = ?`, id)
}

// FindIdentifier implements storage.IdentifierStore.
func (q *querier) FindIdentifier(ctx context.Context, kind storage.IdentifierKind, value string) (*storage.Identifier, error) {
	return getOne(ctx, q, scanIdent, identSelect+` WHERE kind = ? AND canonical = ? AND verified_at IS NOT NULL`,
		string(kind), storage.Canonical(kind, value))
}

// ListIdentifiers implements storage.IdentifierStore.
func (q *querier) ListIdentifiers(ctx context.Context, userID string) ([]*storage.Identifier, error) {
	return getAll(ctx, q, scanIdent, identSelect+` WHERE user_id = ? ORDER BY id`, userID)
}

// UpdateIdentifier implements storage.IdentifierStore. The canonical form
// is computed under the stored kind (which never changes), not whatever
// i.Kind holds.
func (q *querier) UpdateIdentifier(ctx context.Context, i *storage.Identifier) error {
	var kind string
	if err := q.queryRow(ctx, `SELECT kind FROM latch_identifiers WHERE id = ?`, i.ID).Scan(&kind); err != nil {
		return q.mapErr(err)
	}
	canonical := storage.Canonical(storage.IdentifierKind(kind), i.Value)
	err := q.execOne(ctx, `UPDATE latch_identifiers SET value = ?, canonical = ?, verified_at = ?, verified_by = ?, updated_at = ? WHERE id = ?`,
		i.Value, canonical, q.tm(i.VerifiedAt), i.VerifiedBy, q.tm(i.UpdatedAt), i.ID)
	if err != nil {
		return err
	}
	i.Canonical = canonical
	return nil
}

// SetIdentifierSecondFactor implements storage.IdentifierStore.
func (q *querier) SetIdentifierSecondFactor(ctx context.Context, id string, on bool, at time.Time) error {
	return q.execOne(ctx, `UPDATE latch_identifiers SET second_factor = ?, updated_at = ? WHERE id = ?`, on, q.tm(at), id)
}

// DeleteIdentifier implements storage.IdentifierStore.
func (q *querier) DeleteIdentifier(ctx context.Context, id string) error {
	return q.execOne(ctx, `DELETE FROM latch_identifiers WHERE id = ?`, id)
}
