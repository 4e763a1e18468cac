package sqlstore

import (
	"context"

	"github.com/latchauth/latch/storage"
)

var consumerCols = columns{"name", "cursor_seq", "lease_owner", "lease_until", "created_at", "updated_at"}

func scanConsumer(sc scanner) (*storage.Consumer, error) {
	c := new(storage.Consumer)
	err := sc.Scan(&c.Name, &c.Cursor, &c.LeaseOwner, timeCol{&c.LeaseUntil}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

// AcquireConsumer implements storage.ConsumerStore. The insert of a new
// consumer does nothing when a concurrent caller inserted it first (and its
// cursor may predate an event committing meanwhile, which the consumer
// then receives too: at least once, never skipped); the
// conditional UPDATE then lets one owner in (PostgreSQL re-checks its WHERE
// after waiting for a concurrent writer of the row).
func (q *querier) AcquireConsumer(ctx context.Context, name string, l storage.ConsumerLease) (*storage.Consumer, error) {
	var c *storage.Consumer
	err := q.atomic(ctx, func(q *querier) error {
		at := q.tm(l.At)
		var newest int64
		if err := q.queryRow(ctx, `SELECT seq FROM latch_event_sequence WHERE id = 1`).Scan(&newest); err != nil {
			return q.mapErr(err)
		}
		if _, err := q.exec(ctx, `INSERT INTO latch_event_consumers (`+consumerCols.list()+`) VALUES (?, ?, '', NULL, ?, ?)`+
			` ON CONFLICT (name) DO NOTHING`, name, newest, at, at); err != nil {
			return err
		}
		var err error
		c, err = getOne(ctx, q, scanConsumer, `UPDATE latch_event_consumers SET lease_owner = ?, lease_until = ?, updated_at = ?`+
			` WHERE name = ? AND (lease_owner = ? OR lease_owner = '' OR lease_until IS NULL OR lease_until <= ?)`+
			` RETURNING `+consumerCols.list(), l.Owner, q.tm(l.Until), at, name, l.Owner, at)
		if storageNotFound(err) {
			err = storage.ErrConsumed
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AdvanceConsumer implements storage.ConsumerStore.
func (q *querier) AdvanceConsumer(ctx context.Context, name string, cursor int64, l storage.ConsumerLease) error {
	n, err := q.exec(ctx, `UPDATE latch_event_consumers SET cursor_seq = ?, lease_until = ?, updated_at = ?`+
		` WHERE name = ? AND lease_owner = ? AND cursor_seq <= ?`, cursor, q.tm(l.Until), q.tm(l.At), name, l.Owner, cursor)
	if err == nil && n == 0 {
		err = q.missOr(ctx, storage.ErrConsumed, `SELECT 1 FROM latch_event_consumers WHERE name = ?`, name)
	}
	return err
}

// ReleaseConsumer implements storage.ConsumerStore.
func (q *querier) ReleaseConsumer(ctx context.Context, name, owner string) error {
	_, err := q.exec(ctx, `UPDATE latch_event_consumers SET lease_owner = '', lease_until = NULL WHERE name = ? AND lease_owner = ?`, name, owner)
	return err
}
