package sqlstore

import (
	"context"
	"time"

	"github.com/latchauth/latch/storage"
)

var verCols = columns{
	"id", "purpose", "flow_id", "user_id", "identifier_id", "secret_hash",
	"attempts", "max_attempts", "data", "expires_at", "consumed_at", "created_at",
}

var (
	verSelect = `SELECT ` + verCols.list() + ` FROM latch_verifications`
	verInsert = `INSERT INTO latch_verifications (` + verCols.list() + `) VALUES (` + verCols.marks() + `)`
	verExists = `SELECT 1 FROM latch_verifications WHERE id = ?`
	// Each is one conditional UPDATE … RETURNING: the row lock (PostgreSQL
	// re-evaluates the WHERE after waiting for a concurrent writer) or the
	// write lock (SQLite) lets exactly one concurrent caller match.
	verAttempt = `UPDATE latch_verifications SET attempts = attempts + 1 WHERE id = ? AND consumed_at IS NULL AND expires_at > ?` +
		` AND (max_attempts <= 0 OR attempts < max_attempts) RETURNING ` + verCols.list()
	verConsume = `UPDATE latch_verifications SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ? RETURNING ` + verCols.list()
)

func scanVer(sc scanner) (*storage.Verification, error) {
	v := new(storage.Verification)
	err := sc.Scan(&v.ID, &v.Purpose, &v.FlowID, &v.UserID, &v.IdentifierID, bytesCol{&v.SecretHash},
		&v.Attempts, &v.MaxAttempts, jsonCol{&v.Data}, timeCol{&v.ExpiresAt}, timeCol{&v.ConsumedAt}, timeCol{&v.CreatedAt})
	return v, err
}

// CreateVerification implements storage.VerificationStore.
func (q *querier) CreateVerification(ctx context.Context, v *storage.Verification) error {
	if err := checkJSON(v.Data); err != nil {
		return err
	}
	_, err := q.exec(ctx, verInsert, v.ID, v.Purpose, v.FlowID, v.UserID, v.IdentifierID, bs(v.SecretHash),
		v.Attempts, v.MaxAttempts, js(v.Data), q.tm(v.ExpiresAt), q.tm(v.ConsumedAt), q.tm(v.CreatedAt))
	return err
}

// GetVerification implements storage.VerificationStore.
func (q *querier) GetVerification(ctx context.Context, id string) (*storage.Verification, error) {
	return getOne(ctx, q, scanVer, verSelect+` WHERE id = ?`, id)
}

// consumeLike runs a conditional UPDATE … RETURNING on one verification;
// no row is ErrConsumed when the verification exists.
func (q *querier) consumeLike(ctx context.Context, query string, id string, args ...any) (*storage.Verification, error) {
	v, err := getOne(ctx, q, scanVer, query, args...)
	if storageNotFound(err) {
		err = q.missOr(ctx, storage.ErrConsumed, verExists, id)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// RecordVerificationAttempt implements storage.VerificationStore.
func (q *querier) RecordVerificationAttempt(ctx context.Context, id string, at time.Time) (*storage.Verification, error) {
	return q.consumeLike(ctx, verAttempt, id, id, q.tm(at))
}

// ConsumeVerification implements storage.VerificationStore.
func (q *querier) ConsumeVerification(ctx context.Context, id string, at time.Time) (*storage.Verification, error) {
	t := q.tm(at)
	return q.consumeLike(ctx, verConsume, id, t, id, t)
}

// RevokeVerifications implements storage.VerificationStore.
func (q *querier) RevokeVerifications(ctx context.Context, f storage.VerificationFilter, at time.Time) (int, error) {
	w := new(where)
	w.eq("user_id", f.UserID)
	w.eq("purpose", f.Purpose)
	w.eq("flow_id", f.FlowID)
	if len(w.conds) == 0 {
		return 0, nil
	}
	w.add("consumed_at IS NULL")
	n, err := q.exec(ctx, `UPDATE latch_verifications SET consumed_at = ?`+w.sql(), append([]any{q.tm(at)}, w.args...)...)
	return int(n), err
}

// DeleteExpiredVerifications implements storage.VerificationStore.
func (q *querier) DeleteExpiredVerifications(ctx context.Context, before time.Time, limit int) (int, error) {
	return q.deleteExpired(ctx, "latch_verifications", before, limit)
}

// deleteExpired deletes up to limit rows of table whose expires_at is
// before before (or unset), soonest expired first, through the expires_at
// index: one bounded statement, so a large backlog is cleared in batches
// that never hold locks for long.
func (q *querier) deleteExpired(ctx context.Context, table string, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = storage.DefaultLimit
	}
	n, err := q.exec(ctx, `DELETE FROM `+table+` WHERE id IN (SELECT id FROM `+table+
		` WHERE expires_at < ? OR expires_at IS NULL ORDER BY expires_at LIMIT ?)`, q.tm(before), limit)
	return int(n), err
}

var flowCols = columns{"id", "kind", "client_id", "user_id", "status", "data", "expires_at", "created_at", "updated_at", "version"}

var (
	flowSelect = `SELECT ` + flowCols.list() + ` FROM latch_flows`
	flowInsert = `INSERT INTO latch_flows (` + flowCols.list() + `) VALUES (` + flowCols.marks() + `)`
	flowUpdate = `UPDATE latch_flows SET ` + flowCols[1:9].set() + `, version = version + 1 WHERE id = ? AND version = ?`
)

func scanFlow(sc scanner) (*storage.Flow, error) {
	f := new(storage.Flow)
	err := sc.Scan(&f.ID, &f.Kind, &f.ClientID, &f.UserID, &f.Status, jsonCol{&f.Data},
		timeCol{&f.ExpiresAt}, timeCol{&f.CreatedAt}, timeCol{&f.UpdatedAt}, &f.Version)
	return f, err
}

func (q *querier) flowArgs(f *storage.Flow) []any {
	return []any{f.Kind, f.ClientID, f.UserID, f.Status, js(f.Data), q.tm(f.ExpiresAt), q.tm(f.CreatedAt), q.tm(f.UpdatedAt)}
}

// CreateFlow implements storage.FlowStore.
func (q *querier) CreateFlow(ctx context.Context, f *storage.Flow) error {
	if err := checkJSON(f.Data); err != nil {
		return err
	}
	if _, err := q.exec(ctx, flowInsert, append(append([]any{f.ID}, q.flowArgs(f)...), int64(1))...); err != nil {
		return err
	}
	f.Version = 1
	return nil
}

// GetFlow implements storage.FlowStore.
func (q *querier) GetFlow(ctx context.Context, id string) (*storage.Flow, error) {
	return getOne(ctx, q, scanFlow, flowSelect+` WHERE id = ?`, id)
}

// UpdateFlow implements storage.FlowStore.
func (q *querier) UpdateFlow(ctx context.Context, f *storage.Flow) error {
	if err := checkJSON(f.Data); err != nil {
		return err
	}
	n, err := q.exec(ctx, flowUpdate, append(q.flowArgs(f), f.ID, f.Version)...)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.missOr(ctx, storage.ErrStale, `SELECT 1 FROM latch_flows WHERE id = ?`, f.ID)
	}
	f.Version++
	return nil
}

// DeleteFlow implements storage.FlowStore.
func (q *querier) DeleteFlow(ctx context.Context, id string) error {
	return q.execOne(ctx, `DELETE FROM latch_flows WHERE id = ?`, id)
}

// DeleteExpiredFlows implements storage.FlowStore.
func (q *querier) DeleteExpiredFlows(ctx context.Context, before time.Time, limit int) (int, error) {
	return q.deleteExpired(ctx, "latch_flows", before, limit)
}
