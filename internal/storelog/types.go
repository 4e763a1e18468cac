package storelog

import "github.com/latchauth/latch/storage"

// querier forwards every operation to q and reports its failures to r.
type querier struct {
	q storage.Querier
	r *reporter
}

// Unwrap returns the wrapped Querier, so that inside InTx a plugin can
// assert on the transaction's own Querier the capabilities
// (storage.OrganizationLockStore, storage.MembershipStore, …) the wrapper
// does not forward, and run them in that transaction.
func (q querier) Unwrap() storage.Querier { return q.q }
