// Package sqlitestore stores Latch's data in SQLite, through the pure-Go
// driver modernc.org/sqlite (no cgo). It is the embedded default: one file,
// no server.
//
// All of the SQL lives in the shared implementation behind [Store]; this
// package opens or wraps the database and says how SQLite differs.
//
// Tables are named latch_*, with real columns an app can query: times are
// INTEGER microseconds since the Unix epoch (NULL when unset), JSON and
// string lists are TEXT, binary values BLOB.
package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/latchauth/latch/internal/sqlstore"
	"github.com/latchauth/latch/storage"
)

// Store is a storage.Store on a SQLite database. Besides the storage
// methods it has Migrate (bring the schema up to date) and DB (the
// underlying handle).
type Store struct {
	*sqlstore.Store
	owned bool // Open opened the handle, so Close closes it
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
	Name: "sqlite",
	Types: sqlstore.ColumnTypes{
		Key: "TEXT", Text: "TEXT", Int: "INTEGER", Bool: "INTEGER",
		Time: "INTEGER", JSON: "TEXT", Bytes: "BLOB",
	},
	Times: sqlstore.TimeUnixMicro,
	Lower: "latch_lower",
	IsUniqueViolation: func(err error) bool {
		c := code(err)
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	IsForeignKeyViolation: func(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY },
	// Every write transaction takes the write lock up front: under WAL a
	// deferred transaction that reads and then writes fails with
	// SQLITE_BUSY, without waiting, when another connection committed in
	// between.
	BeginStatement:    "BEGIN IMMEDIATE",
	PrepareStatements: true,
}

// SQLite's own LOWER folds ASCII only; searches must match "Émile" with
// "émile" as the other adapters do. Registered with the driver, so it
// exists on every connection, including those of handles passed to New.
func init() {
	sqlite.MustRegisterDeterministicScalarFunction("latch_lower", 1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case string:
				return strings.ToLower(v), nil
			case []byte:
				return strings.ToLower(string(v)), nil
			}
			return args[0], nil
		})
}

// code is the extended result code of a SQLite error, or 0.
func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// Open opens (creating it if needed) the SQLite database at path and
// migrates it. The connections use WAL journaling (readers do not block the
// writer), wait up to 10 s for the write lock, enforce foreign keys and sync
// with synchronous=NORMAL (safe under WAL; a power loss can lose only the
// last transactions, never corrupt). Close the Store when done.
//
// path is a file name; ":memory:" gives a private in-memory database, held
// on a single connection.
func Open(ctx context.Context, path string) (*Store, error) {
	memory := path == ":memory:"
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	if memory {
		// Each connection to ":memory:" is its own database.
		db.SetMaxOpenConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		// One writer at a time, however many connections; a few for
		// concurrent readers under WAL, kept open to keep their caches.
		n := max(4, runtime.GOMAXPROCS(0))
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
	}
	s := &Store{Store: sqlstore.New(db, dialect), owned: true}
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: migrate: %w", err)
	}
	return s, nil
}

// Migrate brings the schema up to date, as the embedded Store's Migrate
// does, and tries again while the database is busy. Processes opening a
// new database file at the same moment each switch it to WAL, and SQLite
// answers that race with SQLITE_BUSY at once, without waiting for
// busy_timeout; migrations are idempotent, so trying again is safe.
func (s *Store) Migrate(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		err := s.Store.Migrate(ctx)
		if err == nil || !isBusy(err) || attempt == migrateRetries {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
}

// migrateRetries bounds Migrate's attempts: about three seconds of waiting.
const migrateRetries = 24

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED
// (extended codes included).
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == 5 || code == 6
}

// dsn builds a modernc.org/sqlite DSN for path with Open's pragmas. The path
// becomes a "file:" URI so that '?' or '#' in it are not taken for
// parameters.
func dsn(path string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped +
		"?_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)"
}

// New wraps a database the caller opened with the "sqlite" driver of
// modernc.org/sqlite and still owns (Close does not close it). It does not
// migrate: call Migrate.
//
// The Store is correct whatever the DSN says: it starts its own write
// transactions with BEGIN IMMEDIATE and checks parents itself rather than
// rely on foreign_keys. For it to perform well and not fail under load,
// the DSN should set, as Open does,
//
//	_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)
//
// busy_timeout matters most: without it a writer that finds the database
// locked fails at once instead of waiting.
func New(db *sql.DB) *Store {
	return &Store{Store: sqlstore.New(db, dialect)}
}

// Close releases the Store's prepared statements and closes the database if
// Open opened it; a handle passed to New stays open, since the caller owns
// it.
func (s *Store) Close() error {
	err := s.Store.Close()
	if s.owned {
		err = errors.Join(err, s.DB().Close())
	}
	return err
}
