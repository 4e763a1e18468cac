// Package stores opens each store Latch ships for a test: memstore,
// sqlitestore in a temporary directory, and pgstore in a fresh schema of
// the server LATCH_TEST_POSTGRES names. It is apart from latchtest so that
// the stores' own tests can use latchtest.
package stores

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
	"github.com/latchauth/latch/storage/pgstore"
	"github.com/latchauth/latch/storage/sqlitestore"
)

// Each runs fn once per store Latch ships, each as a subtest named after
// it: memstore, sqlitestore in a temporary directory, and pgstore in a
// fresh schema when LATCH_TEST_POSTGRES names a server (that subtest skips,
// saying so, otherwise). A host app's tests use it to check that what they
// build on Latch behaves the same on every database.
func Each(t *testing.T, fn func(t *testing.T, s storage.Store)) {
	t.Run("memstore", func(t *testing.T) { fn(t, memstore.New()) })
	t.Run("sqlitestore", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("pgstore", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a migrated sqlitestore in a file of t.TempDir, closed when
// the test ends.
func SQLite(t testing.TB) storage.Store {
	t.Helper()
	db, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Postgres opens a migrated pgstore in a fresh schema of the server that
// LATCH_TEST_POSTGRES names (a URL or key=value DSN); the schema is dropped
// when the test ends. It skips the test when the variable is unset.
func Postgres(t testing.TB) storage.Store {
	t.Helper()
	dsn := os.Getenv("LATCH_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("LATCH_TEST_POSTGRES is not set; set it to a PostgreSQL DSN to run this test on PostgreSQL")
	}
	ctx := context.Background()
	admin, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := "latchtest_" + strings.ToLower(rand.Text())
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	db, err := pgstore.Open(ctx, withSearchPath(t, dsn, schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // runs before the schema is dropped
	return db
}

// withSearchPath sets search_path in a URL or key=value DSN.
func withSearchPath(t testing.TB, dsn, schema string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
