package latch

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/storage"
)

// checkPassword verifies a password for a user ("" when the identifier is
// unknown). Unknown users, users without a password and wrong passwords
// take the same path through the hasher and get the same error, so neither
// the answer nor its timing says which accounts exist (CVE-2025-6011).
func (a *Auth) checkPassword(ctx context.Context, userID, pw string) error {
	return a.checkPasswordLocking(ctx, userID, pw, time.Time{})
}

// checkPasswordLocking is checkPassword that, when the password is wrong
// and lockUntil is not zero, records on the user that the account is
// locked until then, so that User.Locked shows the lockout.
func (a *Auth) checkPasswordLocking(ctx context.Context, userID, pw string, lockUntil time.Time) error {
	// An unknown identifier reads and writes a user that does not exist,
	// so that it costs the database what a known one costs.
	lookup := userID
	if lookup == "" {
		lookup = unknownUserID
	}
	u, err := a.store.GetUser(ctx, lookup)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return storageError(err)
	}
	if u == nil || u.PasswordHash == "" {
		_ = a.passwords.DummyVerify(ctx, pw)
		_, _ = a.store.RecordFailedSignIn(ctx, lookup, lockUntil)
		return ErrPasswordIncorrect
	}
	ok, rehash, err := a.passwords.Verify(ctx, pw, u.PasswordHash)
	if err != nil && !errors.Is(err, password.ErrMismatch) {
		if ctx.Err() != nil {
			return ErrUnavailable.wrap(err)
		}
		a.cfg.Logger.ErrorContext(ctx, "latch: verifying a stored password hash", "user_id", u.ID, "err", err)
		return ErrPasswordIncorrect
	}
	if !ok {
		if _, err := a.store.RecordFailedSignIn(ctx, u.ID, lockUntil); err != nil {
			a.cfg.Logger.ErrorContext(ctx, "latch: recording a failed sign-in", "user_id", u.ID, "err", err)
		}
		return ErrPasswordIncorrect
	}
	if rehash || u.FailedAttempts > 0 || !u.LockedUntil.IsZero() {
		// Parameters changed since this hash was made, or failures need
		// resetting: a best-effort write, retried at the next sign-in.
		var hash string
		if rehash {
			hash, _ = a.passwords.Hash(ctx, pw)
		}
		if _, err := a.updateUser(ctx, u.ID, func(_ *tx, cur *storage.User) error {
			if hash != "" && cur.PasswordHash == u.PasswordHash {
				cur.PasswordHash = hash
			}
			cur.FailedAttempts, cur.LockedUntil = 0, time.Time{}
			return nil
		}); err != nil {
			a.cfg.Logger.WarnContext(ctx, "latch: updating a password hash after sign-in", "user_id", u.ID, "err", err)
		}
	}
	return nil
}

// unknownUserID names no user: IDs are prefixed ULIDs, and this is not one.
const unknownUserID = "user_0"

// checkNewPassword applies the password policy, with the user's own words
// as context (a password containing your email name or app name is
// rejected).
func (a *Auth) checkNewPassword(ctx context.Context, pw string, contextWords ...string) error {
	words := append([]string{a.cfg.AppName}, contextWords...)
	if err := a.cfg.Password.Policy.Check(ctx, pw, words...); err != nil {
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			return (&Error{Code: "form_" + pe.Code, Message: pe.Message, Status: ErrPasswordRejected.Status, Field: "password"}).wrap(err)
		}
		return ErrUnavailable.wrap(err)
	}
	return nil
}

// contextWords are the parts of a user's identity a password must not be
// built from.
func contextWords(u *User) []string {
	words := []string{u.FirstName, u.LastName, u.Username}
	for _, e := range u.EmailAddresses {
		local, _, _ := strings.Cut(e.Value, "@")
		words = append(words, local)
	}
	return words
}

// setPassword checks and stores a new password for a user, and tells them.
func (a *Auth) setPassword(ctx context.Context, userID, pw, locale string) error {
	u, err := a.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	if err := a.checkNewPassword(ctx, pw, contextWords(u)...); err != nil {
		return err
	}
	hash, err := a.passwords.Hash(ctx, pw)
	if err != nil {
		return ErrUnavailable.wrap(err)
	}
	if _, err := a.updateUser(ctx, userID, func(_ *tx, cur *storage.User) error {
		cur.PasswordHash, cur.FailedAttempts = hash, 0
		return nil
	}); err != nil {
		return err
	}
	a.notify(ctx, u, locale, MessagePasswordChanged, MessageData{})
	return nil
}
