package sqlstore

import (
	"context"
	"time"

	"github.com/latchauth/latch/storage"
)

var eventCols = columns{"id", "type", "seq", "data", "created_at", "dispatched_at"}

func scanEvent(sc scanner) (*storage.Event, error) {
	e := new(storage.Event)
	err := sc.Scan(&e.ID, &e.Type, &e.Seq, jsonCol{&e.Data}, timeCol{&e.CreatedAt}, timeCol{&e.DispatchedAt})
	return e, err
}

// AppendEvent implements storage.EventStore. Taking the next position
// updates the one row of latch_event_sequence, which PostgreSQL keeps
// locked until the transaction ends (SQLite has a single writer anyway):
// appending transactions thus commit in the order of their positions.
func (q *querier) AppendEvent(ctx context.Context, e *storage.Event) error {
	if err := checkJSON(e.Data); err != nil {
		return err
	}
	return q.atomic(ctx, func(q *querier) error {
		var seq int64
		if err := q.queryRow(ctx, `UPDATE latch_event_sequence SET seq = seq + 1 WHERE id = 1 RETURNING seq`).Scan(&seq); err != nil {
			return q.mapErr(err)
		}
		if _, err := q.exec(ctx, `INSERT INTO latch_events (`+eventCols.list()+`) VALUES (`+eventCols.marks()+`)`,
			e.ID, e.Type, seq, js(e.Data), q.tm(e.CreatedAt), q.tm(e.DispatchedAt)); err != nil {
			return err
		}
		e.Seq = seq
		return nil
	})
}

// ListEventsAfterSeq implements storage.EventStore.
func (q *querier) ListEventsAfterSeq(ctx context.Context, afterSeq int64, limit int) ([]*storage.Event, error) {
	return getAll(ctx, q, scanEvent, `SELECT `+eventCols.list()+` FROM latch_events WHERE seq > ? ORDER BY seq LIMIT ?`,
		afterSeq, storage.Page{Limit: limit}.Size())
}

// ListEvents implements storage.EventStore. A limit of 0 or less means
// storage.DefaultLimit, and limits above storage.MaxLimit are lowered to it,
// as for a Page.
func (q *querier) ListEvents(ctx context.Context, afterID string, undispatchedOnly bool, limit int) ([]*storage.Event, error) {
	query := `SELECT ` + eventCols.list() + ` FROM latch_events WHERE id > ? ORDER BY id LIMIT ?`
	if undispatchedOnly {
		query = `SELECT ` + eventCols.list() + ` FROM latch_events WHERE id > ? AND dispatched_at IS NULL ORDER BY id LIMIT ?`
	}
	return getAll(ctx, q, scanEvent, query, afterID, storage.Page{Limit: limit}.Size())
}

// MarkEventDispatched implements storage.EventStore.
func (q *querier) MarkEventDispatched(ctx context.Context, id string, at time.Time) error {
	n, err := q.exec(ctx, `UPDATE latch_events SET dispatched_at = ? WHERE id = ? AND dispatched_at IS NULL`, q.tm(at), id)
	if err == nil && n == 0 {
		err = q.missOr(ctx, storage.ErrConsumed, `SELECT 1 FROM latch_events WHERE id = ?`, id)
	}
	return err
}

var auditCols = columns{"id", "type", "outcome", "actor_id", "user_id", "organization_id", "session_id", "ip", "user_agent", "data", "created_at"}

var auditSelect = `SELECT ` + auditCols.list() + ` FROM latch_audit_events`

func scanAudit(sc scanner) (*storage.AuditEvent, error) {
	e := new(storage.AuditEvent)
	err := sc.Scan(&e.ID, &e.Type, &e.Outcome, &e.ActorID, &e.UserID, &e.OrganizationID, &e.SessionID,
		&e.IP, &e.UserAgent, jsonCol{&e.Data}, timeCol{&e.CreatedAt})
	return e, err
}

// AppendAuditEvent implements storage.AuditStore.
func (q *querier) AppendAuditEvent(ctx context.Context, e *storage.AuditEvent) error {
	if err := checkJSON(e.Data); err != nil {
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO latch_audit_events (`+auditCols.list()+`) VALUES (`+auditCols.marks()+`)`,
		e.ID, e.Type, e.Outcome, e.ActorID, e.UserID, e.OrganizationID, e.SessionID, e.IP, e.UserAgent,
		js(e.Data), q.tm(e.CreatedAt))
	return err
}

// ListAuditEvents implements storage.AuditStore.
func (q *querier) ListAuditEvents(ctx context.Context, f storage.AuditFilter, p storage.Page) ([]*storage.AuditEvent, string, error) {
	w := new(where)
	w.eq("user_id", f.UserID)
	w.eq("organization_id", f.OrganizationID)
	w.eq("type", f.Type)
	return page(ctx, q, scanAudit, func(e *storage.AuditEvent) string { return e.ID }, auditSelect, w, p)
}
