// Package storagetest is the conformance suite for [storage.Store]
// adapters. Every adapter shipped with Latch runs it unchanged, and so
// should an adapter written by a user:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t testing.TB) storage.Store { return mystore.New(...) })
//	}
//
//	func BenchmarkStore(b *testing.B) {
//		storagetest.RunBenchmarks(b, func(t testing.TB) storage.Store { return mystore.New(...) })
//	}
//
// The suite checks every rule of the contract in package storage: round
// trips of every field, canonical uniqueness, the sentinel errors,
// transactions that leave nothing behind, keyset pagination, cascades, and
// exactly-once conditional writes under concurrency (run it with -race).
// Subtest names say which rule they check, grouped by aggregate
// ("Users/…", "Sessions/…", "Concurrency/…"), so `go test -run` can select
// them.
package storagetest

import (
	"context"
	"strings"
	"testing"

	"github.com/latchauth/latch/storage"
)

// test is one named conformance check.
type test struct {
	name string
	fn   func(e *env)
}

// suite lists every test, grouped by aggregate through the name prefix.
func suite() []test {
	var all []test
	for _, group := range [][]test{
		roundTripTests(), valueTests(), userTests(), identifierTests(), externalAccountTests(),
		credentialTests(), factorTests(), clientTests(), sessionTests(), verificationTests(),
		flowTests(), signingKeyTests(), organizationTests(), membershipTests(), invitationTests(),
		domainTests(), roleTests(), billingTests(), eventTests(), outboxTests(), consumerTests(), janitorTests(),
		auditTests(), paginationTests(),
		txTests(), concurrencyTests(),
		organizationRoundTrips(), roleSetTests(), membershipRequestTests(), teamTests(), claimsTests(),
		invitationsForEmailTests(), lockTests(), organizationConcurrencyTests(), organizationTxTests(),
	} {
		all = append(all, group...)
	}
	return all
}

// Run runs the conformance suite. It calls newStore once per subtest; each
// call must return a Store that holds no data (a fresh in-memory store, a
// fresh schema or database), which the adapter may clean up with t.Cleanup.
// The suite generates every ID from one counter, so IDs are time-sortable
// and never repeat within a process. It does not call t.Parallel, so
// adapters may share a server between subtests.
func Run(t *testing.T, newStore func(t testing.TB) storage.Store) {
	for _, tc := range suite() {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(&env{t: t, ctx: context.Background(), s: newStore(t)})
		})
	}
}

// group prefixes the names of tests with their aggregate.
func group(prefix string, tests ...test) []test {
	for i := range tests {
		tests[i].name = prefix + "/" + strings.ReplaceAll(tests[i].name, " ", "_")
	}
	return tests
}
