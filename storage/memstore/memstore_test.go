package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
	"github.com/latchauth/latch/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(testing.TB) storage.Store { return memstore.New() })
}

func BenchmarkStore(b *testing.B) {
	storagetest.RunBenchmarks(b, func(testing.TB) storage.Store { return memstore.New() })
}

// A sign-up writes the user and its verified email in one transaction, so
// a second sign-up with the same address leaves nothing behind.
func Example() {
	ctx := context.Background()
	db := memstore.New()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

	signUp := func(userID, email string) error {
		return db.InTx(ctx, func(q storage.Querier) error {
			if err := q.CreateUser(ctx, &storage.User{ID: userID, CreatedAt: now}); err != nil {
				return err
			}
			return q.CreateIdentifier(ctx, &storage.Identifier{
				ID: "idn_" + userID, UserID: userID, Kind: storage.KindEmailAddress,
				Value: email, VerifiedAt: now, VerifiedBy: "email_code",
			})
		})
	}

	fmt.Println(signUp("user_1", "Ada@Example.com"))
	err := signUp("user_2", "ada@example.com ")
	fmt.Println(errors.Is(err, storage.ErrConflict))

	u, _ := db.GetUserByIdentifier(ctx, storage.KindEmailAddress, "ADA@example.com")
	n, _ := db.CountUsers(ctx, storage.UserFilter{})
	fmt.Println(u.ID, n)
	// Output:
	// <nil>
	// true
	// user_1 1
}

// TestNestedTransactionIsRefusedNotDeadlocked: the Querier of a transaction
// is a Store whose methods skip the lock InTx holds; starting a transaction
// on it must fail rather than wait for that lock forever.
func TestNestedTransactionIsRefusedNotDeadlocked(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	err := s.InTx(ctx, func(q storage.Querier) error {
		inner, ok := q.(storage.Store)
		if !ok {
			return nil
		}
		return inner.InTx(ctx, func(storage.Querier) error { return nil })
	})
	if err == nil {
		t.Fatal("a nested transaction was accepted")
	}
	if _, err := s.GetUser(ctx, "user_missing"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the store is unusable after a refused nested transaction: %v", err)
	}
}
