package latch

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/latchauth/latch/storage"
)

// passwordStrategy is the password first factor. Its proof comes with the
// identifier (no Prepare); wrong passwords are slowed down and, past a
// count, lock the account (protection.go), and an unknown identifier costs
// the same hash as a known one.
type passwordStrategy struct{ a *Auth }

func (passwordStrategy) Info() StrategyInfo {
	return StrategyInfo{Name: StrategyPassword, Kind: FirstFactor, Input: InputPassword, Label: "strategy.password",
		Identifiers: allIdentifierKinds}
}

func (s passwordStrategy) Enrolled(ctx context.Context, userID string) (bool, error) {
	u, err := s.a.store.GetUser(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, storageError(err)
	}
	return u.PasswordHash != "", nil
}

func (passwordStrategy) Prepare(context.Context, *Attempt) (json.RawMessage, error) {
	return nil, ErrStrategyNotAllowed
}

func (s passwordStrategy) Verify(ctx context.Context, at *Attempt, p AttemptParams) (*Proof, error) {
	a := s.a
	if at.sign == nil {
		// A reverification of the signed-in user.
		if err := a.checkPassword(ctx, at.UserID, p.Password); err != nil {
			return nil, err
		}
		return &Proof{UserID: at.UserID, AMR: []string{"pwd"}}, nil
	}
	lockIfWrong, err := a.checkSignInAttempt(ctx, at.Request, at.IdentifierKind, at.Identifier)
	if err != nil {
		return nil, err
	}
	if err := a.checkPasswordLocking(ctx, at.UserID, p.Password, lockIfWrong); err != nil {
		return nil, err
	}
	a.signedIn(ctx, at.Request, at.IdentifierKind, at.Identifier)
	return &Proof{UserID: at.UserID, AMR: []string{"pwd"}}, nil
}

// boundsGuesses marks the kernel's strategies that limit wrong answers
// themselves (delays and lockout, code budgets), so the machine adds no
// limit of its own.
func (passwordStrategy) boundsGuesses() {}
