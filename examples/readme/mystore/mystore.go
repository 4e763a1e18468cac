// Package mystore stands for a storage adapter an application writes itself,
// in the README's example of the conformance suite. It is the in-memory store.
package mystore

import (
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// New returns a fresh store.
func New() storage.Store { return memstore.New() }
