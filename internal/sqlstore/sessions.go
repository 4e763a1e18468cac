package sqlstore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/latchauth/latch/storage"
)

var clientCols = columns{"id", "secret_hash", "active_session_id", "last_active_at", "expires_at", "created_at", "updated_at", "version"}

var (
	clientSelect = `SELECT ` + clientCols.list() + ` FROM latch_clients`
	clientInsert = `INSERT INTO latch_clients (` + clientCols.list() + `) VALUES (` + clientCols.marks() + `)`
	clientUpdate = `UPDATE latch_clients SET ` + clientCols[1:7].set() + `, version = version + 1 WHERE id = ? AND version = ?`
)

func scanClient(sc scanner) (*storage.Client, error) {
	c := new(storage.Client)
	return c, sc.Scan(clientDest(c)...)
}

// clientDest is where the columns of clientCols scan into.
func clientDest(c *storage.Client) []any {
	return []any{&c.ID, bytesCol{&c.SecretHash}, &c.ActiveSessionID, timeCol{&c.LastActiveAt}, timeCol{&c.ExpiresAt},
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.Version}
}

func (q *querier) clientArgs(c *storage.Client) []any {
	return []any{bs(c.SecretHash), c.ActiveSessionID, q.tm(c.LastActiveAt), q.tm(c.ExpiresAt), q.tm(c.CreatedAt), q.tm(c.UpdatedAt)}
}

// CreateClient implements storage.ClientStore.
func (q *querier) CreateClient(ctx context.Context, c *storage.Client) error {
	args := append(append([]any{c.ID}, q.clientArgs(c)...), int64(1))
	if _, err := q.exec(ctx, clientInsert, args...); err != nil {
		return err
	}
	c.Version = 1
	return nil
}

// GetClient implements storage.ClientStore.
func (q *querier) GetClient(ctx context.Context, id string) (*storage.Client, error) {
	return getOne(ctx, q, scanClient, clientSelect+` WHERE id = ?`, id)
}

// UpdateClient implements storage.ClientStore.
func (q *querier) UpdateClient(ctx context.Context, c *storage.Client) error {
	n, err := q.exec(ctx, clientUpdate, append(q.clientArgs(c), c.ID, c.Version)...)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.missOr(ctx, storage.ErrStale, `SELECT 1 FROM latch_clients WHERE id = ?`, c.ID)
	}
	c.Version++
	return nil
}

// DeleteClient implements storage.ClientStore; the client goes first for the
// reason given at DeleteUser.
func (q *querier) DeleteClient(ctx context.Context, id string) error {
	return q.atomic(ctx, func(q *querier) error {
		if err := q.execOne(ctx, `DELETE FROM latch_clients WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := q.exec(ctx, `DELETE FROM latch_sessions WHERE client_id = ?`, id)
		return err
	})
}

var sessionCols = columns{
	"id", "client_id", "user_id", "status", "actor_id", "active_organization_id", "active_team_id",
	"ip", "user_agent", "browser", "os", "device_type", "location",
	"first_factor_at", "second_factor_at", "amr", "last_active_at", "expires_at", "ended_at",
	"created_at", "updated_at", "version",
}

var (
	sessionSelect = `SELECT ` + sessionCols.list() + ` FROM latch_sessions`
	sessionInsert = `INSERT INTO latch_sessions (` + sessionCols.list() + `) SELECT ` + sessionCols.marks() +
		` WHERE EXISTS (SELECT 1 FROM latch_clients WHERE id = ?) AND EXISTS (` + userExists + `)`
	// The EXISTS clauses give UpdateSession the owner checks of
	// CreateSession even where SQLite does not enforce foreign keys.
	sessionUpdate = `UPDATE latch_sessions SET ` + sessionCols[1:len(sessionCols)-1].set() +
		`, version = version + 1 WHERE id = ? AND version = ? AND EXISTS (SELECT 1 FROM latch_clients WHERE id = ?) AND EXISTS (` + userExists + `)`
	sessionTouch = `UPDATE latch_sessions SET last_active_at = ? WHERE id = ? AND status = '` + storage.SessionActive +
		`' AND (last_active_at IS NULL OR last_active_at < ?)`
)

func scanSession(sc scanner) (*storage.Session, error) {
	s := new(storage.Session)
	return s, sc.Scan(sessionDest(s)...)
}

// sessionDest is where the columns of sessionCols scan into.
func sessionDest(s *storage.Session) []any {
	return []any{&s.ID, &s.ClientID, &s.UserID, &s.Status, &s.ActorID, &s.ActiveOrganizationID, &s.ActiveTeamID,
		&s.IP, &s.UserAgent, &s.Browser, &s.OS, &s.DeviceType, &s.Location,
		timeCol{&s.FirstFactorAt}, timeCol{&s.SecondFactorAt}, strsCol{&s.AMR}, timeCol{&s.LastActiveAt},
		timeCol{&s.ExpiresAt}, timeCol{&s.EndedAt}, timeCol{&s.CreatedAt}, timeCol{&s.UpdatedAt}, &s.Version}
}

// clientSessionSelect reads a client and one of its sessions (the named one,
// or the client's active one when the name is "") in one indexed join: the
// single read of a token refresh.
var clientSessionSelect = `SELECT ` + clientCols.prefixed("c") + `, ` + sessionCols.prefixed("s") +
	` FROM latch_clients c JOIN latch_sessions s ON s.client_id = c.id` +
	` WHERE c.id = ? AND s.id = (CASE WHEN ? = '' THEN c.active_session_id ELSE ? END)`

// GetClientSession implements storage.ClientStore.
func (q *querier) GetClientSession(ctx context.Context, clientID, sessionID string) (*storage.Client, *storage.Session, error) {
	c, s := new(storage.Client), new(storage.Session)
	if err := q.queryRow(ctx, clientSessionSelect, clientID, sessionID, sessionID).Scan(append(clientDest(c), sessionDest(s)...)...); err != nil {
		return nil, nil, q.mapErr(err)
	}
	return c, s, nil
}

// sessionArgs is s's columns from sessionCols[1:len-1].
func (q *querier) sessionArgs(s *storage.Session) []any {
	return []any{s.ClientID, s.UserID, s.Status, s.ActorID, s.ActiveOrganizationID, s.ActiveTeamID,
		s.IP, s.UserAgent, s.Browser, s.OS, s.DeviceType, s.Location,
		q.tm(s.FirstFactorAt), q.tm(s.SecondFactorAt), strs(s.AMR), q.tm(s.LastActiveAt),
		q.tm(s.ExpiresAt), q.tm(s.EndedAt), q.tm(s.CreatedAt), q.tm(s.UpdatedAt)}
}

// CreateSession implements storage.SessionStore.
func (q *querier) CreateSession(ctx context.Context, s *storage.Session) error {
	args := append(append([]any{s.ID}, q.sessionArgs(s)...), int64(1), s.ClientID, s.UserID)
	if err := q.execOne(ctx, sessionInsert, args...); err != nil {
		return err
	}
	s.Version = 1
	return nil
}

// GetSession implements storage.SessionStore.
func (q *querier) GetSession(ctx context.Context, id string) (*storage.Session, error) {
	return getOne(ctx, q, scanSession, sessionSelect+` WHERE id = ?`, id)
}

// UpdateSession implements storage.SessionStore.
func (q *querier) UpdateSession(ctx context.Context, s *storage.Session) error {
	n, err := q.exec(ctx, sessionUpdate, append(q.sessionArgs(s), s.ID, s.Version, s.ClientID, s.UserID)...)
	if err != nil {
		return err
	}
	if n == 0 {
		// Nothing matched: no session (ErrNotFound), another version
		// (ErrStale), or, at the caller's version, a missing client or
		// user (ErrNotFound).
		var v int64
		if err := q.queryRow(ctx, `SELECT version FROM latch_sessions WHERE id = ?`, s.ID).Scan(&v); err != nil {
			return q.mapErr(err)
		}
		if v != s.Version {
			return storage.ErrStale
		}
		return storage.ErrNotFound
	}
	s.Version++
	return nil
}

// TouchSession implements storage.SessionStore. Changing no row is success
// when the session is active and simply was touched later already.
func (q *querier) TouchSession(ctx context.Context, id string, at time.Time) error {
	t := q.tm(at)
	n, err := q.exec(ctx, sessionTouch, t, id, t)
	if err == nil && n == 0 {
		err = q.missOr(ctx, nil, `SELECT 1 FROM latch_sessions WHERE id = ? AND status = ?`, id, storage.SessionActive)
	}
	return err
}

func sessionWhere(f storage.SessionFilter) *where {
	w := new(where)
	w.eq("user_id", f.UserID)
	w.eq("client_id", f.ClientID)
	w.eq("status", f.Status)
	if f.ExceptID != "" {
		w.add("id <> ?", f.ExceptID)
	}
	return w
}

// ListSessions implements storage.SessionStore.
func (q *querier) ListSessions(ctx context.Context, f storage.SessionFilter, p storage.Page) ([]*storage.Session, string, error) {
	return page(ctx, q, scanSession, func(s *storage.Session) string { return s.ID }, sessionSelect, sessionWhere(f), p)
}

// EndSessions implements storage.SessionStore: one UPDATE … RETURNING, so
// that a session ended concurrently is reported by exactly one caller.
func (q *querier) EndSessions(ctx context.Context, f storage.SessionFilter, status string, at time.Time) ([]string, error) {
	if f.UserID == "" && f.ClientID == "" {
		return nil, nil
	}
	w := sessionWhere(f)
	w.add("status = ?", storage.SessionActive)
	t := q.tm(at)
	rows, err := q.query(ctx, `UPDATE latch_sessions SET status = ?, ended_at = ?, updated_at = ?, version = version + 1`+w.sql()+` RETURNING id`,
		append([]any{status, t, t}, w.args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, q.mapErr(err)
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, q.mapErr(err)
	}
	slices.Sort(ids)
	return ids, nil
}
