package latch

import (
	"context"
	"encoding/json"

	"github.com/latchauth/latch/storage"
)

// linkStrategy is a single-use link mailed to the sign-in's address:
// email_link and reset_password_email_link. The link page (pages_links.go)
// gives what the link proves to the browser that opens it; Verify only
// lets the asking browser go on when the person who opened the link
// elsewhere chose so (SignInConfig.CrossDeviceLinks). A reset link never
// finishes in the browser that asked for it.
type linkStrategy struct {
	a     *Auth
	name  string
	reset bool
}

func (s linkStrategy) Info() StrategyInfo {
	info := StrategyInfo{Name: s.name, Kind: FirstFactor, Input: InputLink, Identifiers: []string{"email_address"}, ResetsPassword: s.reset}
	if !s.reset {
		info.Label = "strategy." + s.name
	}
	return info
}

func (s linkStrategy) Enrolled(ctx context.Context, userID string) (bool, error) {
	return codeStrategy{a: s.a, kind: storage.KindEmailAddress}.Enrolled(ctx, userID)
}

func (s linkStrategy) Prepare(ctx context.Context, at *Attempt) (json.RawMessage, error) {
	a, st := s.a, at.sign
	if st == nil {
		return nil, ErrStrategyNotAllowed
	}
	if err := a.checkSendFrom(ctx, at.Request, st.limitRecipient(), a.knownDevice(at.Request, st.UserID)); err != nil {
		return nil, err
	}
	tok, err := a.newLink(ctx, a.store, s.name, at.FlowID, st.UserID, st.IdentifierID, linkLifetime, nil)
	if err != nil {
		return nil, err
	}
	at.ExpiresAt = a.now().Add(linkLifetime)
	if st.known() {
		kind := MessageSignInLink
		if s.reset {
			kind = MessageResetPasswordLink
		}
		// The mail names the browser that asked: the link completes
		// where it is opened (SignInConfig.CrossDeviceLinks aside).
		if err := a.send(ctx, kind, st.recipient(), MessageData{Link: a.link("/v1/verify?token=" + tok), Device: st.Device}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func (s linkStrategy) Verify(_ context.Context, at *Attempt, _ AttemptParams) (*Proof, error) {
	st := at.sign
	// Only a link opened on another device, whose user confirmed that
	// this one may finish, lets this step go on.
	if s.reset || st == nil || st.First == nil || st.First.Strategy != s.name || st.First.Status != factorVerified || st.UserID == "" {
		return nil, ErrFlowStep
	}
	return &Proof{UserID: st.UserID, AMR: []string{"otp"}}, nil
}

func (linkStrategy) boundsGuesses() {}

// provesAddress is the kind of address a link to which proves a sign-up's
// control of it; "" for the reset link.
func (s linkStrategy) provesAddress() storage.IdentifierKind {
	if s.reset {
		return ""
	}
	return storage.KindEmailAddress
}

// proveAddress makes the link that verifies a sign-up's address, and the
// message that carries it: the mail names the browser that asked.
func (s linkStrategy) proveAddress(ctx context.Context, flowID string, st *signUpState, fs *factorState) (MessageKind, MessageData, error) {
	tok, err := s.a.newLink(ctx, s.a.store, purposeSignUpLink, flowID, "", "", linkLifetime, nil)
	if err != nil {
		return "", MessageData{}, err
	}
	fs.ExpiresAt = s.a.now().Add(linkLifetime)
	return MessageVerifyLink, MessageData{Link: s.a.link("/v1/verify?token=" + tok), Device: st.Device}, nil
}
