package latch_test

import (
	"context"
	"errors"

	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

func memStore() storage.Store { return memstore.New() }

// failingStore fails every transaction the way a lost database connection
// does, with details a user must never see.
type failingStore struct{ storage.Store }

func (failingStore) InTx(context.Context, func(storage.Querier) error) error {
	return errors.New("dial tcp 10.0.0.5:5432: connect: connection refused (password=hunter2)")
}
