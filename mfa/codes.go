package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// CodeFactor is the second-factor use of "phone_code" or "email_code": a
// one-time code the kernel sends to the user's verified primary phone
// number or email address. A user turns it on for that number or address
// (storage.Identifier.SecondFactor); it is off for everyone until then.
//
// Neither is phishing-resistant, and a texted code can be redirected (SIM
// swap): sessions say "sms" or "otp" in their amr, never "hwk".
type CodeFactor struct {
	p       *Plugin
	channel storage.IdentifierKind
}

// Info implements latch.Strategy.
func (c *CodeFactor) Info() latch.StrategyInfo {
	if c.channel == storage.KindPhoneNumber {
		return latch.StrategyInfo{Name: StrategyPhoneCode, Kind: latch.SecondFactor, Input: latch.InputCode, Label: "strategy.phone_code_2fa"}
	}
	return latch.StrategyInfo{Name: StrategyEmailCode, Kind: latch.SecondFactor, Input: latch.InputCode, Label: "strategy.email_code_2fa"}
}

// Enrolled implements latch.Strategy: the user's primary number (or
// address) is verified and they turned codes on for it.
func (c *CodeFactor) Enrolled(ctx context.Context, userID string) (bool, error) {
	i, err := c.primary(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return i.SecondFactor, nil
}

// primary returns the user's verified primary identifier of c's channel,
// or storage.ErrNotFound.
func (c *CodeFactor) primary(ctx context.Context, userID string) (*storage.Identifier, error) {
	store := c.p.host().Store()
	u, err := store.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	id := u.PrimaryEmailID
	if c.channel == storage.KindPhoneNumber {
		id = u.PrimaryPhoneID
	}
	if id == "" {
		return nil, storage.ErrNotFound
	}
	i, err := store.GetIdentifier(ctx, id)
	if err != nil {
		return nil, err
	}
	if !i.Verified() {
		return nil, storage.ErrNotFound
	}
	return i, nil
}

// codeState is what Prepare keeps for Verify.
type codeState struct {
	VerificationID string `json:"verification_id"`
}

// Prepare implements latch.Strategy: it sends the code and keeps the ID of
// its verification in at.State.
func (c *CodeFactor) Prepare(ctx context.Context, at *latch.Attempt) (json.RawMessage, error) {
	if err := c.distinctFromFirst(ctx, at); err != nil {
		return nil, err
	}
	id, err := c.p.host().SendCode(ctx, at, c.channel)
	if err != nil {
		return nil, err
	}
	at.State, err = json.Marshal(codeState{VerificationID: id})
	return nil, err
}

// Verify implements latch.Strategy: the kernel counts the attempt and
// consumes the code when it is right.
func (c *CodeFactor) Verify(ctx context.Context, at *latch.Attempt, p latch.AttemptParams) (*latch.Proof, error) {
	var st codeState
	if len(at.State) == 0 || json.Unmarshal(at.State, &st) != nil || st.VerificationID == "" {
		// No code was sent for this attempt: there is nothing to match.
		return nil, latch.ErrFlowStep
	}
	if err := c.distinctFromFirst(ctx, at); err != nil {
		return nil, err
	}
	if err := c.p.host().CheckCode(ctx, st.VerificationID, normalizeCode(p.Code)); err != nil {
		return nil, err
	}
	amr := "otp"
	if c.channel == storage.KindPhoneNumber {
		amr = "sms"
	}
	return &latch.Proof{AMR: []string{amr}}, nil
}

// firstFactorAMR are, by channel, the first factors' amr values that
// already proved control of it: an email code, link or password reset
// says "otp", a texted code "sms".
var firstFactorAMR = map[storage.IdentifierKind]string{storage.KindEmailAddress: "otp", storage.KindPhoneNumber: "sms"}

// distinctFromFirst refuses, in a sign-in, a code to the inbox or phone
// that the first factor already proved: the same channel twice is one
// factor, and would let whoever holds the mailbox in with no password.
func (c *CodeFactor) distinctFromFirst(_ context.Context, at *latch.Attempt) error {
	if at.Purpose != latch.PurposeSignIn {
		return nil // reverification: the session already has two factors or none
	}
	if len(at.AMR) == 0 || !c.Offered(at.AMR) {
		return latch.ErrStrategyNotAllowed.WithMessage("Use another second step: this one reaches the same place as your first.")
	}
	return nil
}

// Offered implements latch.Offerer: a code is not offered after a first
// factor that proved its channel.
func (c *CodeFactor) Offered(amr []string) bool {
	return !slices.Contains(amr, firstFactorAMR[c.channel])
}

// setCodeFactor turns codes by c's channel on or off for the signed-in
// user. On needs a verified primary number (or address); off is refused
// when it is the last second factor a policy requires.
func (p *Plugin) setCodeFactor(ctx context.Context, r *http.Request, s *latch.Session, c *CodeFactor, on bool) error {
	i, err := c.primary(ctx, s.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		if on {
			return ErrIdentifierMissing
		}
		return nil // nothing is on: off already
	}
	if err != nil {
		return err
	}
	if i.SecondFactor == on {
		return nil
	}
	name := c.Info().Name
	last := false
	if !on {
		others, err := p.h.OtherSecondFactors(ctx, s.UserID, name)
		if err != nil {
			return err
		}
		if last = len(others) == 0; last {
			if err := p.mayRemoveLast(ctx, s.UserID); err != nil {
				return err
			}
		}
	}
	typ := EventFactorAdded
	if !on {
		typ = EventFactorRemoved
	}
	err = p.h.InTx(ctx, func(t *latch.Tx) error {
		if err := t.SetIdentifierSecondFactor(ctx, i.ID, on, p.h.Now()); err != nil {
			return storageErr(err)
		}
		if last {
			// As when the app is removed: backup codes alone would become
			// the second factor.
			if err := t.ReplaceBackupCodes(ctx, s.UserID, nil); err != nil {
				return storageErr(err)
			}
		}
		return t.Emit(ctx, typ, s.UserID, factorEvent{UserID: s.UserID, Strategy: name})
	})
	if err != nil {
		return err
	}
	kind := latch.MessageFactorAdded
	if !on {
		kind = latch.MessageFactorRemoved
	}
	at := p.attempt(r, s)
	key := "mfa.notify.email"
	if c.channel == storage.KindPhoneNumber {
		key = "mfa.notify.phone"
	}
	p.notify(ctx, at, kind, p.text(at, key))
	return nil
}
