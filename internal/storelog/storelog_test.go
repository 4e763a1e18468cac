package storelog_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/latchauth/latch/internal/storelog"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

type broken struct{ storage.Store }

var errDown = errors.New("connection reset")

func (broken) GetUser(context.Context, string) (*storage.User, error) { return nil, errDown }
func (broken) InTx(context.Context, func(storage.Querier) error) error {
	return errDown
}

// TestFailuresAreLoggedOnceWithTheOperation: an unexpected failure is
// logged at error level with its operation and returned unchanged; the
// contract's sentinel outcomes are not logged; an error a transaction's
// function returns is not logged again by InTx.
func TestFailuresAreLoggedOnceWithTheOperation(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	ctx := context.Background()

	s := storelog.Wrap(broken{memstore.New()}, log)
	if _, err := s.GetUser(ctx, "user_1"); !errors.Is(err, errDown) {
		t.Fatalf("GetUser: %v", err)
	}
	if err := s.InTx(ctx, func(storage.Querier) error { return nil }); !errors.Is(err, errDown) {
		t.Fatalf("InTx: %v", err)
	}
	out := buf.String()
	for _, want := range []string{"level=ERROR", "op=GetUser", "op=InTx", "connection reset"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}

	buf.Reset()
	m := storelog.Wrap(memstore.New(), log)
	if _, err := m.GetUser(ctx, "user_missing"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetUser of a missing user: %v", err)
	}
	inner := errors.New("kernel refused")
	err := m.InTx(ctx, func(q storage.Querier) error {
		if _, err := q.GetSession(ctx, "sess_missing"); !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		return inner
	})
	if !errors.Is(err, inner) {
		t.Fatalf("InTx: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("expected outcomes were logged:\n%s", buf.String())
	}
}

// TestTransactionQuerierUnwrapsToItsCapabilities: inside InTx the wrapper's
// Querier hands out the transaction's own Querier, whose capabilities run
// in that transaction (a write through it is rolled back with it).
func TestTransactionQuerierUnwrapsToItsCapabilities(t *testing.T) {
	ctx := context.Background()
	m := memstore.New()
	s := storelog.Wrap(m, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	org := &storage.Organization{ID: "org_1", Name: "Acme", Slug: "acme"}
	err := s.InTx(ctx, func(q storage.Querier) error {
		u, ok := q.(interface{ Unwrap() storage.Querier })
		if !ok {
			t.Fatalf("the transaction's Querier (%T) has no Unwrap", q)
		}
		inner := u.Unwrap()
		orgs, ok := inner.(storage.OrganizationStore)
		if !ok {
			t.Fatalf("the unwrapped Querier (%T) lacks storage.OrganizationStore", inner)
		}
		if err := orgs.CreateOrganization(ctx, org); err != nil {
			return err
		}
		if err := inner.(storage.OrganizationLockStore).LockOrganization(ctx, org.ID); err != nil {
			return err
		}
		return errDown
	})
	if !errors.Is(err, errDown) {
		t.Fatalf("InTx: %v", err)
	}
	if _, err := m.GetOrganization(ctx, org.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a capability write through the unwrapped Querier outlived its rolled-back transaction: %v", err)
	}
}
