package pgstore

import (
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
