// Package storage is the contract between Latch and the database that holds
// its data.
//
// It defines the records Latch stores, one small interface per aggregate
// (users, identifiers, sessions, verifications, …), the sentinel errors every
// implementation returns, and the canonical form under which identifiers are
// unique. An adapter implements [Store]; the adapters shipped with Latch are
// storage/memstore (the reference, in memory), storage/sqlitestore and
// storage/pgstore. Every adapter passes storage/storagetest unchanged, and a
// user-written adapter should run that suite from a test of its own:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t testing.TB) storage.Store { return mystore.New(...) })
//	}
//
// # Core and capabilities
//
// [Store] holds exactly what the kernel and its shipped plugins call.
// Operations that only some plugins need (organizations, memberships,
// domains, roles, billing, connected accounts, administration reads, key
// pruning) are capability interfaces such as [OrganizationStore], which an
// adapter implements beside Store. A plugin asserts the ones it needs when
// it registers (latch.RequireStore), so a store that lacks one fails at
// start-up with the capability's name; storagetest checks each capability a
// store has and skips, naming it, each one it lacks. The shipped adapters
// implement them all.
//
// # Who decides what
//
// The caller (the Latch kernel) generates every ID and every timestamp and
// passes them in the record; an adapter stores what it is given and never
// invents values, so all adapters behave the same. The only fields an adapter
// computes are derived ones documented as such: [Identifier.Canonical] and the
// Version counters.
//
// # Values
//
//   - Times are stored with at least microsecond precision and returned in
//     UTC. The zero time means "not set" and round-trips as the zero time.
//     Callers truncate to microseconds so that every adapter returns exactly
//     what it was given.
//   - JSON fields (metadata, Data) round-trip as equivalent JSON: nil stays
//     nil, an empty object stays an empty object, but key order and spacing
//     may change (PostgreSQL stores jsonb). Adapters reject JSON that is not
//     valid with an error that is not one of the sentinels.
//   - String slices round-trip with their order; nil and empty are both
//     returned as nil.
//   - Byte slices round-trip exactly; nil and empty are both returned as nil.
//
// # Errors
//
// Methods return [ErrNotFound] when the record addressed does not exist,
// [ErrConflict] when a write would break a uniqueness rule, [ErrStale] when an
// optimistic-concurrency check fails (the record changed since it was read)
// and [ErrConsumed] when a single-use record is no longer usable. Adapters wrap
// them with %w so that errors.Is works; any other error is an infrastructure
// failure (connection lost, disk full) and callers must fail closed on it.
//
// # Concurrency and transactions
//
// A Store is safe for concurrent use by many goroutines. Each method is atomic
// on its own. [Store.InTx] runs several methods as one transaction: either all
// of their writes become visible or none do. Methods documented as
// conditional (Consume…, Record…Attempt, RecordCredentialUse, Advance…,
// Transition…, and every Update of a versioned record) are safe against
// races: of many concurrent callers trying the same transition, exactly one
// succeeds.
//
// # Nil
//
// Methods that take a record pointer require it to be non-nil. Methods that
// return a record pointer return a non-nil pointer exactly when the error is
// nil, and the caller owns it: changing it does not change the stored record.
package storage
