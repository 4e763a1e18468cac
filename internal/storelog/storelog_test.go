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
