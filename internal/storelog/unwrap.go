package storelog

import "github.com/latchauth/latch/storage"

// Unwrap returns the wrapped transaction's Querier, so that a plugin can
// assert the capabilities (storage.OrganizationLockStore, …) on it, in the
// same transaction.
func (q querier) Unwrap() storage.Querier { return q.q }
