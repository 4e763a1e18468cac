package latch

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/latchauth/latch/storage"
)

// codeStrategy is a one-time code sent to the sign-in's email address or
// phone number: email_code, phone_code and reset_password_email_code. For
// an identifier that names nobody it does everything but send, so that
// the answer and its timing are the same. Wrong codes draw on the
// account's budget per channel (guesses.go), across flows.
type codeStrategy struct {
	a     *Auth
	name  string
	kind  storage.IdentifierKind
	reset bool
}

// codeMemory is what a code strategy keeps with the flow between Prepare
// and Verify.
type codeMemory struct {
	VerificationID string `json:"verification_id"`
}

func (s codeStrategy) Info() StrategyInfo {
	info := StrategyInfo{Name: s.name, Kind: FirstFactor, Input: InputCode, Identifiers: []string{string(s.kind)},
		ResetsPassword: s.reset, Resendable: !s.reset}
	if !s.reset {
		info.Label = "strategy." + s.name
	}
	return info
}

func (s codeStrategy) Enrolled(ctx context.Context, userID string) (bool, error) {
	u, err := s.a.store.GetUser(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, storageError(err)
	}
	if s.kind == storage.KindPhoneNumber {
		return u.PrimaryPhoneID != "", nil
	}
	return u.PrimaryEmailID != "", nil
}

func (s codeStrategy) Prepare(ctx context.Context, at *Attempt) (json.RawMessage, error) {
	a, st := s.a, at.sign
	if st == nil {
		// A reverification: to the signed-in user's primary address.
		if s.reset {
			return nil, ErrStrategyNotAllowed
		}
		id, err := a.sendFactorCode(ctx, at, s.kind)
		if err != nil {
			return nil, err
		}
		return nil, s.remember(at, id)
	}
	if err := a.checkSendFrom(ctx, at.Request, st.limitRecipient(), a.knownDevice(at.Request, st.UserID)); err != nil {
		return nil, err
	}
	v, code, err := a.newCode(ctx, a.store, s.name, at.FlowID, st.UserID, st.IdentifierID, at.Attempts)
	if err != nil {
		return nil, err
	}
	at.ExpiresAt = v.ExpiresAt
	if err := s.remember(at, v.ID); err != nil {
		return nil, err
	}
	if st.known() {
		kind := MessageSignInCode
		if s.reset {
			kind = MessageResetPasswordCode
		}
		if err := a.send(ctx, kind, st.recipient(), MessageData{Code: code}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// remember keeps the ID of the code's verification with the flow.
func (codeStrategy) remember(at *Attempt, verificationID string) error {
	var err error
	if at.State, err = json.Marshal(codeMemory{VerificationID: verificationID}); err != nil {
		return ErrUnavailable.wrap(err)
	}
	return nil
}

func (s codeStrategy) Verify(ctx context.Context, at *Attempt, p AttemptParams) (*Proof, error) {
	a := s.a
	var mem codeMemory
	if json.Unmarshal(at.State, &mem) != nil || mem.VerificationID == "" {
		return nil, ErrFlowStep
	}
	g := codeGuess{channel: guessChannel(s.name), userID: at.UserID, kind: at.IdentifierKind, identifier: at.Identifier, locale: at.Locale}
	if err := a.tryCode(ctx, at.Request, g, func() error {
		_, err := a.checkCode(ctx, mem.VerificationID, p.Code)
		return err
	}); err != nil {
		return nil, err
	}
	if at.UserID == "" {
		// Nobody can know the code of an unknown identifier; this is
		// unreachable but must never sign anyone in.
		return nil, ErrCodeIncorrect
	}
	if at.sign != nil {
		a.signedIn(ctx, at.Request, at.IdentifierKind, at.Identifier) // an emailed code unlocks
	}
	amr := []string{"otp"}
	if s.kind == storage.KindPhoneNumber {
		amr = []string{"sms"}
	}
	return &Proof{UserID: at.UserID, AMR: amr, SetPassword: s.reset}, nil
}

func (codeStrategy) boundsGuesses() {}

// provesAddress is the kind of address a code to which proves a sign-up's
// control of it; "" for the reset code.
func (s codeStrategy) provesAddress() storage.IdentifierKind {
	if s.reset {
		return ""
	}
	return s.kind
}

// proveAddress makes the code that verifies a sign-up's address, and the
// message that carries it.
func (s codeStrategy) proveAddress(ctx context.Context, flowID string, _ *signUpState, fs *factorState) (MessageKind, MessageData, error) {
	v, code, err := s.a.newCode(ctx, s.a.store, "sign_up_"+s.name, flowID, "", "", fs.Attempts)
	if err != nil {
		return "", MessageData{}, err
	}
	fs.VerificationID, fs.ExpiresAt = v.ID, v.ExpiresAt
	return MessageVerifyCode, MessageData{Code: code}, nil
}

// known reports whether the sign-in's identifier names an account's
// address, to which messages may go.
func (st *signInState) known() bool { return st.UserID != "" && st.IdentifierID != "" }

// recipient is the stored address of the sign-in's identifier: messages
// go to the address as stored, never as typed.
func (st *signInState) recipient() Recipient {
	if st.IdentifierKind == string(storage.KindPhoneNumber) {
		return Recipient{Phone: st.SendTo, Locale: st.Locale}
	}
	return Recipient{Email: st.SendTo, Locale: st.Locale}
}

// limitRecipient is the identifier as typed (canonically), which limits
// count, known or not.
func (st *signInState) limitRecipient() Recipient {
	if st.IdentifierKind == string(storage.KindPhoneNumber) {
		return Recipient{Phone: st.Identifier}
	}
	return Recipient{Email: st.Identifier}
}

// sendFactorCode sends a code to the user's primary email address or phone
// number, for an email or SMS second factor or a reverification.
func (a *Auth) sendFactorCode(ctx context.Context, at *Attempt, channel storage.IdentifierKind) (string, error) {
	u, err := a.store.GetUser(ctx, at.UserID)
	if err != nil {
		return "", storageError(err)
	}
	id := u.PrimaryEmailID
	if channel == storage.KindPhoneNumber {
		id = u.PrimaryPhoneID
	}
	if id == "" {
		return "", ErrStrategyNotAllowed
	}
	i, err := a.store.GetIdentifier(ctx, id)
	if err != nil {
		return "", storageError(err)
	}
	to := Recipient{Email: i.Value, Locale: at.Locale}
	if channel == storage.KindPhoneNumber {
		to = Recipient{Phone: i.Value, Locale: at.Locale}
	}
	if err := a.checkSendFrom(ctx, at.Request, to, a.knownDevice(at.Request, u.ID)); err != nil {
		return "", err
	}
	v, code, err := a.newCode(ctx, a.store, "factor:"+at.Purpose, at.FlowID, u.ID, i.ID, 0)
	if err != nil {
		return "", err
	}
	return v.ID, a.send(ctx, MessageSignInCode, to, MessageData{Code: code})
}
