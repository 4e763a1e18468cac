package benchmarks

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/pgstore"
	"github.com/latchauth/latch/storage/sqlitestore"
)

// ErrNoPostgres is returned by the PostgreSQL variants when
// LATCH_TEST_POSTGRES is unset.
var ErrNoPostgres = errors.New("LATCH_TEST_POSTGRES is not set; set it to a PostgreSQL DSN to run the PostgreSQL variants")

// Env owns what the variants open (temporary files, databases, schemas) and
// closes it all in Close. The zero value is not usable: call NewEnv.
type Env struct {
	Dir         string // a temporary directory, removed by Close
	PostgresDSN string // "" when no server is configured
	cleanups    []func()
}

// NewEnv makes a temporary directory and reads LATCH_TEST_POSTGRES.
func NewEnv() (*Env, error) {
	dir, err := os.MkdirTemp("", "latch-bench-")
	if err != nil {
		return nil, err
	}
	e := &Env{Dir: dir, PostgresDSN: os.Getenv("LATCH_TEST_POSTGRES")}
	e.Defer(func() { os.RemoveAll(dir) })
	return e, nil
}

// Defer runs f at Close, after everything deferred later.
func (e *Env) Defer(f func()) { e.cleanups = append(e.cleanups, f) }

// Close releases everything, newest first.
func (e *Env) Close() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
	e.cleanups = nil
}

// Path returns a fresh file name in the temporary directory.
func (e *Env) Path(name string) string {
	return filepath.Join(e.Dir, strings.ToLower(rand.Text())[:8]+"-"+name)
}

// SQLite opens a migrated sqlitestore in a new file.
func (e *Env) SQLite(ctx context.Context) (*sqlitestore.Store, error) {
	db, err := sqlitestore.Open(ctx, e.Path("latch.db"))
	if err != nil {
		return nil, err
	}
	e.Defer(func() { db.Close() })
	return db, nil
}

// Postgres opens a migrated pgstore in a fresh schema, dropped at Close.
func (e *Env) Postgres(ctx context.Context) (*pgstore.Store, error) {
	dsn, err := e.PostgresSchema(ctx)
	if err != nil {
		return nil, err
	}
	db, err := pgstore.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	e.Defer(func() { db.Close() })
	return db, nil
}

// PostgresSchema creates a fresh schema, dropped at Close, and returns a DSN
// whose search_path is that schema.
func (e *Env) PostgresSchema(ctx context.Context) (string, error) {
	if e.PostgresDSN == "" {
		return "", ErrNoPostgres
	}
	admin, err := pgxpool.New(ctx, e.PostgresDSN)
	if err != nil {
		return "", err
	}
	schema := "latchbench_" + strings.ToLower(rand.Text())
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", err
	}
	e.Defer(func() {
		defer admin.Close()
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			fmt.Fprintf(os.Stderr, "benchmarks: drop schema %s: %v\n", schema, err)
		}
	})
	return withSearchPath(e.PostgresDSN, schema)
}

// Store opens the named store: "sqlite" or "postgres".
func (e *Env) Store(ctx context.Context, kind string) (storage.Store, error) {
	switch kind {
	case "sqlite":
		return e.SQLite(ctx)
	case "postgres":
		return e.Postgres(ctx)
	}
	return nil, fmt.Errorf("unknown store %q", kind)
}

func withSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
