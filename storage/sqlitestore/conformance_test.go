package sqlitestore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t testing.TB) storage.Store { return newTestStore(t) })
}

func BenchmarkStore(b *testing.B) {
	storagetest.RunBenchmarks(b, func(t testing.TB) storage.Store { return newTestStore(t) })
}

// TestConformanceCallerHandle runs the suite on a handle opened with only a
// busy timeout: rollback journal, foreign keys not enforced. New must not
// depend on the pragmas Open sets.
func TestConformanceCallerHandle(t *testing.T) {
	storagetest.Run(t, func(t testing.TB) storage.Store {
		db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "latch.db")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s := New(db)
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
