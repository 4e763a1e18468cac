// Package sqlstore implements storage.Store on database/sql, once, for every
// SQL database Latch supports. The adapters storage/sqlitestore and
// storage/pgstore only open or wrap a handle and describe their [Dialect].
//
// It imports no driver: recognising a driver's errors is the Dialect's job.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/latchauth/latch/storage"
)

// Store implements storage.Store on a *sql.DB.
type Store struct {
	querier
}

var _ storage.Store = (*Store)(nil)

// New returns a Store that runs its statements on db in dialect d. It does
// not migrate: call [Store.Migrate]. d must not be copied after first use.
func New(db *sql.DB, d *Dialect) *Store {
	var ex execer = db
	if d.PrepareStatements {
		ex = &stmtCache{db: db}
	}
	return &Store{querier{db: db, d: d, ex: ex}}
}

// Close releases the statements the Store keeps prepared. It does not close
// the *sql.DB, which belongs to whoever opened it.
func (s *Store) Close() error {
	if c, ok := s.ex.(*stmtCache); ok {
		return c.close()
	}
	return nil
}

// DB returns the handle the Store runs on.
func (s *Store) DB() *sql.DB { return s.db }

// InTx implements storage.Store.
func (s *Store) InTx(ctx context.Context, fn func(q storage.Querier) error) error {
	return s.inTx(ctx, func(q *querier) error { return fn(q) })
}

// execer is what *sql.DB, *sql.Tx and *sql.Conn have in common.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querier implements storage.Querier on the pool (ex is the *sql.DB or its
// stmtCache) or on one transaction (tx, ex is the transaction).
type querier struct {
	db *sql.DB
	d  *Dialect
	ex execer
	tx bool
}

// txn is a transaction started by begin.
type txn interface {
	execer
	commit(ctx context.Context) error
	rollback()
}

func (q *querier) begin(ctx context.Context) (txn, error) {
	begin := q.d.BeginStatement
	if begin == "" && q.d.Conn != nil {
		begin = "BEGIN"
	}
	if begin == "" {
		tx, err := q.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return sqlTx{tx}, nil
	}
	// A dedicated connection, so that the BEGIN we issue ourselves and every
	// statement after it run on the same connection whatever the caller's
	// DSN says about transaction modes.
	conn, err := q.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		conn.Close()
		return nil, err
	}
	return connTx{conn, q.d.Conn}, nil
}

// inTx runs fn in a new transaction: committed when fn returns nil, rolled
// back when it returns an error (returned unchanged) or panics (re-panicked
// by the runtime after the deferred rollback).
func (q *querier) inTx(ctx context.Context, fn func(q *querier) error) error {
	tx, err := q.begin(ctx)
	if err != nil {
		return q.mapErr(err)
	}
	finished := false
	defer func() {
		if !finished {
			tx.rollback()
		}
	}()
	err = fn(&querier{db: q.db, d: q.d, ex: tx, tx: true})
	finished = true
	if err != nil {
		tx.rollback()
		return err
	}
	return q.mapErr(tx.commit(ctx))
}

// atomic runs fn in a transaction: the caller's when q is already in one,
// a new one otherwise.
func (q *querier) atomic(ctx context.Context, fn func(q *querier) error) error {
	if q.tx {
		return fn(q)
	}
	return q.inTx(ctx, fn)
}

type sqlTx struct{ *sql.Tx }

func (t sqlTx) commit(context.Context) error { return t.Commit() }
func (t sqlTx) rollback()                    { _ = t.Rollback() }

// connTx is a transaction on a dedicated connection; driver, when set, is
// the Dialect's Conn hook.
type connTx struct {
	*sql.Conn
	driver func(driverConn any) DriverConn
}

// raw runs fn on the driver's view of the connection.
func (t connTx) raw(fn func(c DriverConn) error) error {
	var err error
	if rerr := t.Raw(func(dc any) error { err = fn(t.driver(dc)); return nil }); rerr != nil {
		return rerr
	}
	return err
}

func (t connTx) commit(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		t.rollback()
		return err
	}
	// Not cancellable: an interrupted COMMIT would leave us not knowing
	// whether the transaction is still open.
	ctx = context.WithoutCancel(ctx)
	var err error
	if t.driver != nil {
		err = t.raw(func(c DriverConn) error { return c.Commit(ctx) })
	} else {
		_, err = t.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		// A failed COMMIT (deferred constraint, busy) leaves the
		// transaction open in SQLite.
		t.rollback()
		return err
	}
	return t.Close()
}

func (t connTx) rollback() {
	if _, err := t.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		// The connection may still be inside a transaction: have
		// database/sql discard it rather than hand it to someone else.
		_ = t.Raw(func(any) error { return driver.ErrBadConn })
	}
	_ = t.Close()
}

// mapErr turns driver errors into the storage sentinels, keeping the driver
// error in the chain for logs.
func (q *querier) mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	case q.d.IsUniqueViolation != nil && q.d.IsUniqueViolation(err):
		return fmt.Errorf("%w: %w", storage.ErrConflict, err)
	case q.d.IsForeignKeyViolation != nil && q.d.IsForeignKeyViolation(err):
		return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
	}
	return err
}

// exec runs a statement and returns the number of rows it changed.
func (q *querier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if q.tx && q.d.StatementSavepoints {
		return q.execSavepoint(ctx, query, args...)
	}
	res, err := q.ex.ExecContext(ctx, q.d.bind(query), args...)
	if err != nil {
		return 0, q.mapErr(err)
	}
	n, err := res.RowsAffected()
	return n, q.mapErr(err)
}

// execSavepoint is exec inside a savepoint, so that a failed statement
// (typically a unique violation, reported as ErrConflict) undoes only
// itself and leaves the transaction usable, as in SQLite and memstore,
// instead of aborting it as PostgreSQL does.
func (q *querier) execSavepoint(ctx context.Context, query string, args ...any) (int64, error) {
	if t, ok := q.ex.(connTx); ok && t.driver != nil {
		return q.execSavepointBatch(ctx, t, query, args)
	}
	if _, err := q.ex.ExecContext(ctx, "SAVEPOINT latch_statement"); err != nil {
		return 0, q.mapErr(err)
	}
	res, err := q.ex.ExecContext(ctx, q.d.bind(query), args...)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		if _, rerr := q.ex.ExecContext(ctx, "ROLLBACK TO SAVEPOINT latch_statement"); rerr != nil {
			return 0, errors.Join(q.mapErr(err), rerr)
		}
		return 0, q.mapErr(err)
	}
	if _, err := q.ex.ExecContext(ctx, "RELEASE SAVEPOINT latch_statement"); err != nil {
		return 0, q.mapErr(err)
	}
	return n, nil
}

// execSavepointBatch is execSavepoint in one round trip: the savepoint,
// the statement and the release sent together. When the statement fails
// the release does not run, and a second round trip rolls back to the
// savepoint.
func (q *querier) execSavepointBatch(ctx context.Context, t connTx, query string, args []any) (int64, error) {
	var n []int64
	err := t.raw(func(c DriverConn) error {
		var err error
		n, err = c.ExecBatch(ctx, []Stmt{{SQL: "SAVEPOINT latch_statement"}, {SQL: q.d.bind(query), Args: args}, {SQL: "RELEASE SAVEPOINT latch_statement"}})
		return err
	})
	switch {
	case err == nil:
		return n[1], nil
	case len(n) == 1: // the statement failed inside the savepoint
		if _, rerr := t.ExecContext(ctx, "ROLLBACK TO SAVEPOINT latch_statement"); rerr != nil {
			return 0, errors.Join(q.mapErr(err), rerr)
		}
	}
	return 0, q.mapErr(err)
}

// execOne runs a statement that must change exactly one row; none is
// ErrNotFound.
func (q *querier) execOne(ctx context.Context, query string, args ...any) error {
	n, err := q.exec(ctx, query, args...)
	if err == nil && n == 0 {
		err = storage.ErrNotFound
	}
	return err
}

func (q *querier) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.ex.QueryRowContext(ctx, q.d.bind(query), args...)
}

func (q *querier) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := q.ex.QueryContext(ctx, q.d.bind(query), args...)
	return rows, q.mapErr(err)
}

// exists reports whether query (a SELECT 1 …) returns a row.
func (q *querier) exists(ctx context.Context, query string, args ...any) (bool, error) {
	var one int
	err := q.queryRow(ctx, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, q.mapErr(err)
}

// missOr is the error of a conditional write that changed nothing: ifExists
// when the record addressed by query exists (the condition failed),
// storage.ErrNotFound when it does not.
func (q *querier) missOr(ctx context.Context, ifExists error, query string, args ...any) error {
	ok, err := q.exists(ctx, query, args...)
	switch {
	case err != nil:
		return err
	case ok:
		return ifExists
	}
	return storage.ErrNotFound
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// getOne scans the single row of query with scan; no row is ErrNotFound.
func getOne[T any](ctx context.Context, q *querier, scan func(scanner) (*T, error), query string, args ...any) (*T, error) {
	v, err := scan(q.queryRow(ctx, query, args...))
	if err != nil {
		return nil, q.mapErr(err)
	}
	return v, nil
}

// getAll scans every row of query with scan.
func getAll[T any](ctx context.Context, q *querier, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, q.mapErr(err)
		}
		out = append(out, v)
	}
	// Close reports what Err may not: in SQLite an autocommit statement
	// commits when it is reset.
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, q.mapErr(err)
	}
	return out, nil
}

func storageNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// The querier a transaction hands out has every capability too, so that a
// plugin can use one inside InTx by asserting it on q.
var (
	_ storage.Querier               = (*querier)(nil)
	_ storage.OrganizationStore     = (*querier)(nil)
	_ storage.MembershipStore       = (*querier)(nil)
	_ storage.DomainStore           = (*querier)(nil)
	_ storage.RoleStore             = (*querier)(nil)
	_ storage.BillingStore          = (*querier)(nil)
	_ storage.ConnectedAccountStore = (*querier)(nil)
	_ storage.AdminStore            = (*querier)(nil)
	_ storage.SigningKeyPruneStore  = (*querier)(nil)

	_ storage.OrganizationLockStore       = (*querier)(nil)
	_ storage.OrganizationInvitationStore = (*querier)(nil)
	_ storage.MembershipClaimsStore       = (*querier)(nil)
	_ storage.RoleSetStore                = (*querier)(nil)
	_ storage.MembershipRequestStore      = (*querier)(nil)
	_ storage.TeamStore                   = (*querier)(nil)
)
