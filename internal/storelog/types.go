package storelog

import "github.com/latchauth/latch/storage"

// querier forwards every operation to q and reports its failures to r.
type querier struct {
	q storage.Querier
	r *reporter
}
