package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"github.com/latchauth/latch/storage"
)

// newTestStore opens a migrated Store on a new database file, closed when
// the test ends.
func newTestStore(t testing.TB) *Store {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	// Each migration recorded once, none missing, however often Migrate
	// runs.
	var n, last int
	if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*), MAX(version) FROM latch_schema_migrations").Scan(&n, &last); err != nil {
		t.Fatal(err)
	}
	if n != last || last < 2 {
		t.Fatalf("latch_schema_migrations has %d rows up to version %d, want one per version from 1", n, last)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "latch.db")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			// A handle of its own, as another process would have.
			db, err := sql.Open("sqlite", dsn(path))
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = New(db).Migrate(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
}

func TestOpenMemory(t *testing.T) {
	s, err := Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.ListRoles(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPathWithQuestionMark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%d.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if matches, _ := filepath.Glob(path); len(matches) != 1 {
		t.Fatalf("database not created at %q", path)
	}
}

// SQLite's LOWER folds only ASCII; the search must fold as strings.ToLower
// does, as memstore and PostgreSQL do.
func TestQueryFoldsUnicode(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t)
	if err := s.CreateUser(ctx, &storage.User{ID: "user_1", FirstName: "ÉMILE"}); err != nil {
		t.Fatal(err)
	}
	n, err := s.CountUsers(ctx, storage.UserFilter{Query: "émile"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("CountUsers(Query: émile) = %d, want 1", n)
	}
}
