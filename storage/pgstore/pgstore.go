// Package pgstore stores Latch's data in PostgreSQL through pgx, for apps
// that run on several machines.
//
// All of the SQL lives in the shared implementation behind [Store]; this
// package wraps the app's *pgxpool.Pool and says how PostgreSQL differs.
//
// Tables are named latch_* and created in the connection's current schema
// (the first entry of search_path): to keep them in a schema of their own,
// set search_path in the DSN, e.g. "postgres://…/app?search_path=auth".
// Columns are real and typed: timestamptz (NULL when unset), jsonb, bytea,
// and IDs as text COLLATE "C", so that lists are in byte order whatever the
// database's collation.
package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/latchauth/latch/internal/sqlstore"
	"github.com/latchauth/latch/storage"
)

// Store is a storage.Store on a PostgreSQL database. Besides the storage
// methods it has Migrate (bring the schema up to date) and DB (a
// database/sql view of the pool).
type Store struct {
	*sqlstore.Store
	pool  *pgxpool.Pool
	owned bool // Open created the pool, so Close closes it
}

// The core Store and every capability, so that a plugin requiring one
// works on this store.
var (
	_ storage.Store                 = (*Store)(nil)
	_ storage.OrganizationStore     = (*Store)(nil)
	_ storage.MembershipStore       = (*Store)(nil)
	_ storage.DomainStore           = (*Store)(nil)
	_ storage.RoleStore             = (*Store)(nil)
	_ storage.BillingStore          = (*Store)(nil)
	_ storage.ConnectedAccountStore = (*Store)(nil)
	_ storage.AdminStore            = (*Store)(nil)
	_ storage.SigningKeyPruneStore  = (*Store)(nil)

	_ storage.OrganizationLockStore       = (*Store)(nil)
	_ storage.OrganizationInvitationStore = (*Store)(nil)
	_ storage.MembershipClaimsStore       = (*Store)(nil)
	_ storage.RoleSetStore                = (*Store)(nil)
	_ storage.MembershipRequestStore      = (*Store)(nil)
	_ storage.TeamStore                   = (*Store)(nil)
)

var dialect = &sqlstore.Dialect{
	Name:                 "postgres",
	NumberedPlaceholders: true,
	Types: sqlstore.ColumnTypes{
		Key: `TEXT COLLATE "C"`, Text: "TEXT", Int: "BIGINT", Bool: "BOOLEAN",
		Time: "TIMESTAMPTZ", JSON: "JSONB", Bytes: "BYTEA",
	},
	Times:                 sqlstore.TimeNative,
	StatementSavepoints:   true,
	Conn:                  func(dc any) sqlstore.DriverConn { return pgxConn{dc.(*stdlib.Conn).Conn()} },
	RowLock:               " FOR NO KEY UPDATE",
	IsUniqueViolation:     func(err error) bool { return sqlState(err) == "23505" },
	IsForeignKeyViolation: func(err error) bool { return sqlState(err) == "23503" },
	// One fixed key for every schema: migrations are rare and short, so
	// serialising those of unrelated schemas costs nothing.
	MigrationLock: "SELECT pg_advisory_xact_lock(7236500826174013249)",
}

// pgxConn gives sqlstore what database/sql cannot: a pipeline, so that a
// write in a transaction travels with its savepoint in one round trip
// rather than three, and the command tag of COMMIT.
type pgxConn struct{ *pgx.Conn }

func (c pgxConn) ExecBatch(ctx context.Context, stmts []sqlstore.Stmt) ([]int64, error) {
	b := &pgx.Batch{}
	for _, s := range stmts {
		b.Queue(s.SQL, s.Args...)
	}
	br := c.SendBatch(ctx, b)
	n := make([]int64, 0, len(stmts))
	for range stmts {
		tag, err := br.Exec()
		if err != nil {
			// Close reads what is left of the answers; the statements
			// after the one that failed were skipped by the server.
			br.Close()
			return n, err
		}
		n = append(n, tag.RowsAffected())
	}
	return n, br.Close()
}

func (c pgxConn) Commit(ctx context.Context) error {
	tag, err := c.Exec(ctx, "COMMIT")
	if err == nil && tag.String() == "ROLLBACK" {
		err = pgx.ErrTxCommitRollback
	}
	return err
}

// sqlState is the SQLSTATE of a PostgreSQL error, or "".
func sqlState(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// New returns a Store on pool, which the caller owns and closes (after the
// Store is no longer used). It does not migrate: call Migrate.
//
// Statements run at the pool's default isolation, READ COMMITTED, under
// which every conditional write of the contract is still exactly-once: each
// is a single UPDATE whose WHERE PostgreSQL re-checks after waiting for a
// concurrent writer of the same row.
func New(pool *pgxpool.Pool) *Store {
	// OpenDBFromPool keeps no idle connections in database/sql: every
	// statement borrows a connection from the pool and gives it back, so
	// the Store never holds connections the app's own queries need.
	return &Store{Store: sqlstore.New(stdlib.OpenDBFromPool(pool), dialect), pool: pool}
}

// Open connects to the database at dsn (a URL or key=value string as pgx
// accepts; set search_path in it to choose the schema), migrates it and
// returns a Store that owns the pool: Close closes it.
func Open(ctx context.Context, dsn string) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := New(pool)
	s.owned = true
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("pgstore: migrate: %w", err)
	}
	return s, nil
}

// Pool returns the pool the Store runs on.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close releases the database/sql wrapper and, if Open created the pool,
// the pool. A pool passed to New stays open.
func (s *Store) Close() error {
	err := s.DB().Close()
	if s.owned {
		s.pool.Close()
	}
	return err
}
