// Package storelog wraps a storage.Store so that every operation that fails
// unexpectedly (anything but the contract's sentinel outcomes: not found,
// conflict, stale, consumed) is logged at error level with the name of the
// operation. The kernel answers such failures with 503, and an operator
// reading the log must learn what failed without a debugger.
//
// Only the operation's name and the adapter's error are logged, never its
// arguments, which carry secret hashes, tokens' verifications and personal
// data. Errors pass through unchanged, so errors.Is keeps working.
package storelog

//go:generate go run ./gen

import (
	"context"
	"errors"
	"log/slog"

	"github.com/latchauth/latch/storage"
)

// Wrap returns s with its unexpected failures logged to log.
func Wrap(s storage.Store, log *slog.Logger) storage.Store {
	r := &reporter{log: log}
	return store{querier: querier{q: s, r: r}, s: s}
}

type reporter struct{ log *slog.Logger }

// check logs err unless it is nil or an outcome the contract expects, and
// returns it unchanged.
func (r *reporter) check(ctx context.Context, op string, err error) error {
	if err == nil || expected(err) {
		return err
	}
	level := slog.LevelError
	if errors.Is(err, context.Canceled) {
		level = slog.LevelWarn // the caller went away: nobody waits for the answer
	}
	r.log.Log(ctx, level, "latch: storage operation failed", "op", op, "err", err)
	return err
}

func expected(err error) bool {
	return errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrConflict) ||
		errors.Is(err, storage.ErrStale) || errors.Is(err, storage.ErrConsumed)
}

type store struct {
	querier
	s storage.Store
}

// Unwrap returns the wrapped store, so that a plugin can assert the
// capabilities (storage.OrganizationStore, …) the wrapper does not forward.
// Their failures are the plugin's to report.
func (s store) Unwrap() storage.Store { return s.s }

// InTx runs fn with a Querier whose operations report their failures too.
// A failure of the transaction itself (begin, commit) is reported as
// "InTx"; an error fn returns is not, since its operation, or the kernel's
// own logic, accounts for it.
func (s store) InTx(ctx context.Context, fn func(q storage.Querier) error) error {
	var fnErr error
	err := s.s.InTx(ctx, func(q storage.Querier) error {
		fnErr = fn(querier{q: q, r: s.r})
		return fnErr
	})
	if err != nil && (fnErr == nil || !errors.Is(err, fnErr)) {
		return s.r.check(ctx, "InTx", err)
	}
	return err
}
