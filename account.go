package latch

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/latchauth/latch/storage"
)

// ReverificationWindow is how recently a factor must have been verified
// for a sensitive change of an account: its email addresses, phone numbers,
// password and factors (SECURITY.md 35). Plugins use it too.
const ReverificationWindow = 10 * time.Minute

// ChangePasswordParams changes the signed-in user's password.
type ChangePasswordParams struct {
	CurrentPassword        string `json:"current_password"`
	NewPassword            string `json:"new_password"`
	SignOutOfOtherSessions bool   `json:"sign_out_of_other_sessions"`
}

// reverified refuses a sensitive change unless the session verified a
// factor in the last ReverificationWindow.
func reverified(ctx context.Context, s *Session) error {
	if !Has(WithSession(ctx, s), Reverified(ReverificationWindow)) {
		return ErrReverificationRequired
	}
	return nil
}

// changePassword needs a recent reverification. A current password, when
// given, must be right; for an account without a second factor it also
// stands in for the reverification (it is that account's first factor).
func (a *Auth) changePassword(ctx context.Context, s *Session, locale string, p ChangePasswordParams) error {
	u, err := a.store.GetUser(ctx, s.UserID)
	if err != nil {
		return storageError(err)
	}
	fresh := reverified(ctx, s) == nil
	if p.CurrentPassword != "" || (!fresh && u.PasswordHash != "") {
		if err := a.checkPassword(ctx, u.ID, p.CurrentPassword); err != nil {
			return ErrPasswordIncorrect.WithField("current_password").WithMessage("Your current password is incorrect.")
		}
		if !fresh {
			factors, err := a.enrolledSecondFactors(ctx, u.ID)
			if err != nil {
				return err
			}
			fresh = len(factors) == 0
		}
	}
	if !fresh {
		return ErrReverificationRequired
	}
	if err := a.setPassword(ctx, u.ID, p.NewPassword, locale); err != nil {
		return err
	}
	if p.SignOutOfOtherSessions {
		return a.RevokeUserSessions(ctx, u.ID, s.ID)
	}
	return nil
}

// addOwnIdentifier adds an unverified email address or phone number to the
// signed-in user and sends it a code.
func (a *Auth) addOwnIdentifier(ctx context.Context, s *Session, kind storage.IdentifierKind, value, locale string) (*Identifier, error) {
	var (
		i   *Identifier
		err error
	)
	if err := reverified(ctx, s); err != nil {
		return nil, err
	}
	if err := a.screenIdentifier(kind, value); err != nil {
		return nil, err
	}
	if kind == storage.KindEmailAddress {
		i, err = a.AddEmailAddress(ctx, s.UserID, value, false)
	} else {
		i, err = a.AddPhoneNumber(ctx, s.UserID, value, false)
	}
	if err != nil {
		return nil, err
	}
	return i, a.prepareIdentifierVerification(ctx, s, i.ID, locale)
}

// changeOwnIdentifier makes one of the user's identifiers primary, or
// removes it: both need a recent reverification.
func (a *Auth) changeOwnIdentifier(ctx context.Context, s *Session, id string, remove bool) error {
	if _, err := a.ownIdentifier(ctx, s, id); err != nil {
		return err
	}
	if err := reverified(ctx, s); err != nil {
		return err
	}
	if remove {
		return a.RemoveIdentifier(ctx, id)
	}
	return a.SetPrimaryIdentifier(ctx, id)
}

// ownIdentifier returns an identifier of the signed-in user; another user's
// identifier is not found.
func (a *Auth) ownIdentifier(ctx context.Context, s *Session, id string) (*storage.Identifier, error) {
	i, err := a.store.GetIdentifier(ctx, id)
	if err != nil || i.UserID != s.UserID {
		return nil, ErrNotFound
	}
	return i, nil
}

// identifierVerification is the state of verifying one identifier: the
// live code and the failures so far, which a new code does not reset. It is
// stored as a flow whose ID derives from the identifier's.
type identifierVerification struct {
	VerificationID string `json:"verification_id"`
	Attempts       int    `json:"attempts"`
}

const flowKindVerifyIdentifier = "verify_identifier"

func identifierFlowID(identifierID string) string { return "idv_" + identifierID }

// prepareIdentifierVerification sends a code to one of the user's
// unverified addresses or numbers.
func (a *Auth) prepareIdentifierVerification(ctx context.Context, s *Session, id, locale string) error {
	i, err := a.ownIdentifier(ctx, s, id)
	if err != nil {
		return err
	}
	if i.Verified() {
		return ErrFlowStep.WithMessage("This is already verified.")
	}
	rec, st, err := a.identifierFlow(ctx, i)
	if err != nil {
		return err
	}
	if st.VerificationID != "" {
		if _, err := a.store.ConsumeVerification(ctx, st.VerificationID, a.now()); err != nil &&
			!errors.Is(err, storage.ErrConsumed) && !errors.Is(err, storage.ErrNotFound) {
			return storageError(err)
		}
	}
	v, code, err := a.newCode(ctx, a.store, purposeVerifyIdentifier, rec.ID, s.UserID, i.ID, st.Attempts)
	if err != nil {
		return err
	}
	st.VerificationID = v.ID
	if err := a.saveIdentifierFlow(ctx, rec, st); err != nil {
		return err
	}
	to := Recipient{Email: i.Value, Locale: locale}
	if i.Kind == storage.KindPhoneNumber {
		to = Recipient{Phone: i.Value, Locale: locale}
	}
	return a.send(ctx, MessageVerifyCode, to, MessageData{Code: code})
}

func (a *Auth) identifierFlow(ctx context.Context, i *storage.Identifier) (*storage.Flow, *identifierVerification, error) {
	now := a.now()
	rec, err := a.store.GetFlow(ctx, identifierFlowID(i.ID))
	if errors.Is(err, storage.ErrNotFound) {
		rec = &storage.Flow{ID: identifierFlowID(i.ID), Kind: flowKindVerifyIdentifier, UserID: i.UserID, Data: []byte("{}"),
			ExpiresAt: now.Add(24 * time.Hour), CreatedAt: now, UpdatedAt: now}
		if err := a.store.CreateFlow(ctx, rec); err != nil {
			return nil, nil, storageError(err)
		}
	} else if err != nil {
		return nil, nil, storageError(err)
	}
	st := new(identifierVerification)
	if err := json.Unmarshal(rec.Data, st); err != nil {
		return nil, nil, ErrUnavailable.wrap(err)
	}
	return rec, st, nil
}

func (a *Auth) saveIdentifierFlow(ctx context.Context, rec *storage.Flow, st *identifierVerification) error {
	data, err := json.Marshal(st)
	if err != nil {
		return ErrUnavailable.wrap(err)
	}
	rec.Data, rec.UpdatedAt = data, a.now()
	return storageError(a.store.UpdateFlow(ctx, rec))
}

const purposeVerifyIdentifier = "verify_identifier"

// attemptIdentifierVerification checks the code sent to an identifier and
// marks it verified; the user's primary address is told a new one was
// added.
func (a *Auth) attemptIdentifierVerification(ctx context.Context, s *Session, id, code, locale string) (*Identifier, error) {
	i, err := a.ownIdentifier(ctx, s, id)
	if err != nil {
		return nil, err
	}
	rec, st, err := a.identifierFlow(ctx, i)
	if err != nil {
		return nil, err
	}
	if st.VerificationID == "" {
		return nil, ErrFlowStep
	}
	if _, err := a.checkCode(ctx, st.VerificationID, code); err != nil {
		st.Attempts++
		if serr := a.saveIdentifierFlow(ctx, rec, st); serr != nil {
			return nil, serr
		}
		return nil, err
	}
	_ = a.store.DeleteFlow(ctx, rec.ID)
	u, err := a.GetUser(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	out, err := a.VerifyIdentifier(ctx, i.ID)
	if err != nil {
		return nil, err
	}
	if i.Kind == storage.KindEmailAddress {
		a.notify(ctx, u, locale, MessageEmailAdded, MessageData{Email: i.Value})
	}
	return out, nil
}
