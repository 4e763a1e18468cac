package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"sync"
)

// Dialect is what differs between the SQL databases sqlstore supports. An
// adapter declares one value of it; everything else is shared.
type Dialect struct {
	// Name appears in error messages ("sqlite", "postgres").
	Name string

	// NumberedPlaceholders rewrites the "?" placeholders sqlstore writes into
	// "$1", "$2", … (PostgreSQL). The statements contain no "?" other than
	// placeholders.
	NumberedPlaceholders bool

	// Types are the column types the shared schema is rendered with.
	Types ColumnTypes

	// Times says how times are stored. Either way a zero time is NULL.
	Times TimeEncoding

	// IsUniqueViolation reports whether err is a unique or primary-key
	// violation; sqlstore maps it to storage.ErrConflict.
	IsUniqueViolation func(err error) bool

	// IsForeignKeyViolation reports whether err is a foreign-key violation;
	// sqlstore maps it to storage.ErrNotFound, since the only foreign keys
	// are the ones the contract answers with ErrNotFound ("the user does not
	// exist").
	IsForeignKeyViolation func(err error) bool

	// BeginStatement, when set, starts write transactions on a dedicated
	// connection with this statement (and ends them with COMMIT or
	// ROLLBACK) instead of database/sql's BeginTx ("BEGIN" when only
	// Conn is set). SQLite needs
	// "BEGIN IMMEDIATE": a deferred transaction that later writes fails
	// with SQLITE_BUSY at once, without waiting, when another connection
	// wrote in between, whereas an immediate one waits for the write lock
	// up front under busy_timeout.
	BeginStatement string

	// Lower is the SQL function the free-text searches (ListUsers' Query,
	// ListOrganizations) lower-case columns with; it must agree with Go's
	// strings.ToLower, which lower-cases the query. "" means LOWER, which
	// PostgreSQL applies to all of Unicode but SQLite only to ASCII.
	Lower string

	// StatementSavepoints wraps each write inside a transaction in a
	// savepoint, for databases where a failed statement aborts the whole
	// transaction (PostgreSQL): an InTx callback that gets ErrConflict may
	// then carry on, as it can with SQLite and memstore.
	StatementSavepoints bool

	// Conn, when set, adapts the driver's connection (what database/sql's
	// Conn.Raw hands over) to what database/sql cannot say: sending a
	// write together with its savepoint (see StatementSavepoints), and a
	// COMMIT that reports a transaction the database rolled back instead.
	// Transactions then run on a dedicated connection, as with
	// BeginStatement.
	Conn func(driverConn any) DriverConn

	// PrepareStatements keeps statements run outside transactions prepared
	// on every pool connection, for drivers that do not cache them
	// themselves (SQLite).
	PrepareStatements bool

	// RowLock, appended to a SELECT inside a transaction, locks the rows it
	// reads until the transaction ends, so that transactions locking the
	// same row take turns (PostgreSQL: " FOR NO KEY UPDATE", which leaves
	// foreign-key checks of new child rows unblocked). "" where write
	// transactions are serialised already (SQLite, by BeginStatement).
	RowLock string

	// MigrationLock, when set, is executed first in every migration
	// transaction to serialise concurrent Migrate calls (PostgreSQL:
	// pg_advisory_xact_lock). SQLite needs none: BeginStatement already
	// takes the database's single write lock.
	MigrationLock string

	bound sync.Map // statement with "?" → statement with "$n"
}

// DriverConn is a driver connection as a Dialect's Conn hook adapts it.
type DriverConn interface {
	// ExecBatch sends stmts to the database together, in one round trip,
	// and runs them in order until one fails. It returns the number of
	// rows each changed up to the one that failed, and that one's error;
	// the statements after it do not run.
	ExecBatch(ctx context.Context, stmts []Stmt) ([]int64, error)
	// Commit commits the transaction in progress. It fails when the
	// database ended the transaction without committing it (PostgreSQL
	// answers COMMIT with ROLLBACK once a statement failed in it).
	Commit(ctx context.Context) error
}

// Stmt is one statement of DriverConn.ExecBatch, its placeholders already
// in the dialect's form.
type Stmt struct {
	SQL  string
	Args []any
}

// ColumnTypes names the SQL type of each kind of column in the schema.
type ColumnTypes struct {
	// Key is for IDs and other keys that are compared for equality and
	// ordered; lists are in its byte order (PostgreSQL: TEXT COLLATE "C").
	Key string
	// Text is for free text that is only displayed or searched.
	Text string
	// Int is a 64-bit integer.
	Int string
	// Bool is a boolean.
	Bool string
	// Time is a point in time (see TimeEncoding).
	Time string
	// JSON holds JSON documents and string lists.
	JSON string
	// Bytes holds binary strings.
	Bytes string
}

// TimeEncoding says how a dialect stores times.
type TimeEncoding int

const (
	// TimeNative passes time.Time to the driver (PostgreSQL timestamptz,
	// microsecond precision).
	TimeNative TimeEncoding = iota
	// TimeUnixMicro stores microseconds since the Unix epoch in an integer
	// column (SQLite), which sorts and compares correctly and keeps the
	// precision the contract requires.
	TimeUnixMicro
)

// bind rewrites the placeholders of query for the dialect. Statements are
// static strings (or built from a bounded set of filter combinations), so
// the rewritten form is cached.
func (d *Dialect) bind(query string) string {
	if !d.NumberedPlaceholders {
		return query
	}
	if v, ok := d.bound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	s := b.String()
	d.bound.Store(query, s)
	return s
}
