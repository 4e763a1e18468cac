package latch

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/latchauth/latch/storage"
)

// Emailed links: reading the flow a link resumes, and resuming it in the
// browser that opens it.

// Purposes of link verifications.
const (
	purposeTicket     = "ticket"
	purposeSignUpLink = "sign_up_email_link"
)

// What the POST of a link page asks for.
const (
	continueHere  = "here"  // in the browser that opened the link, a flow of its own
	continueThere = "there" // let the browser that asked finish (SignInConfig.CrossDeviceLinks)
)

// linkPurposes are the links the link page redeems.
var linkPurposes = []string{StrategyEmailLink, StrategyResetPasswordEmailLink, purposeSignUpLink}

// resetsPassword reports whether a link of purpose belongs to a strategy
// that resets a password: the browser that opens it sets the new password,
// and the one that asked never finishes.
func (a *Auth) resetsPassword(purpose string) bool {
	s := a.strategy(purpose, FirstFactor)
	return s != nil && s.Info().ResetsPassword
}

// landing is a live link and the flow it belongs to, as the browser that
// opened it sees them.
type landing struct {
	v    *storage.Verification
	rec  *storage.Flow
	same bool // opened in the browser that asked for it
	// What the flow recorded of the browser that asked, and whom the link
	// is for.
	Device     string `json:"device"`
	IP         string `json:"ip"`
	Identifier string `json:"identifier"`
	Email      string `json:"email_address"`
}

// land reads, without spending it, the link tok names. ErrTokenInvalid
// when it is unknown, spent or expired, or its flow is gone or expired.
func (a *Auth) land(ctx context.Context, r *http.Request, tok string) (*landing, error) {
	v, err := a.findLink(ctx, tok, linkPurposes...)
	if err != nil {
		return nil, err
	}
	now := a.now()
	if !v.ConsumedAt.IsZero() || !now.Before(v.ExpiresAt) {
		return nil, ErrTokenInvalid
	}
	rec, err := a.store.GetFlow(ctx, v.FlowID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, storageError(err)
	}
	if !now.Before(rec.ExpiresAt) {
		return nil, ErrTokenInvalid
	}
	l := &landing{v: v, rec: rec}
	if err := json.Unmarshal(rec.Data, l); err != nil {
		return nil, ErrUnavailable.wrap(err)
	}
	client := a.requestClient(ctx, r)
	l.same = client != "" && subtle.ConstantTimeCompare([]byte(client), []byte(rec.ClientID)) == 1
	return l, nil
}

func (l *landing) who() string {
	if l.v.Purpose == purposeSignUpLink {
		return l.Email
	}
	return l.Identifier
}

// verifySignInLink acts on a sign-in or reset link that was just spent:
// choice "" finishes the flow in the browser that asked (and opened it),
// "here" starts a flow of the opening browser's own, with the link's
// factor verified, and "there" marks the asking browser's flow verified.
func (a *Auth) verifySignInLink(ctx context.Context, rq *flowReq, rec *storage.Flow, v *storage.Verification, choice string) (string, error) {
	f := &flow[signInState]{rec: rec}
	if err := json.Unmarshal(rec.Data, &f.state); err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	st := &f.state
	if rec.Status != SignInNeedsFirstFactor || st.First == nil || st.First.Strategy != v.Purpose || st.UserID == "" || st.UserID != v.UserID {
		return "", ErrFlowStep
	}
	switch choice {
	case continueThere:
		st.First.Status = factorVerified
		return "", f.save(ctx, a, SignInNeedsFirstFactor)
	case continueHere:
		here, err := newFlow(ctx, a, rq, flowKindSignIn, "sia", SignInNeedsFirstFactor, signInState{
			Identifier: st.Identifier, IdentifierKind: st.IdentifierKind, UserID: st.UserID, IdentifierID: st.IdentifierID, SendTo: st.SendTo,
			First:       &factorState{Strategy: v.Purpose, Status: factorVerified, IdentifierID: st.IdentifierID},
			RedirectURL: st.RedirectURL, Locale: rq.locale, Device: rq.device, IP: rq.ip})
		if err != nil {
			return "", err
		}
		f = here
	default:
		st.First.Status = factorVerified
	}
	if a.resetsPassword(v.Purpose) {
		_, err := a.needNewPassword(ctx, f)
		return a.signInPageURL(f.rec.ID, f.state.RedirectURL), err
	}
	si, err := a.afterFirstFactor(ctx, rq, f, []string{"otp"})
	if err == nil && si.Status != SignInComplete {
		// A second factor is next: on the sign-in page, not the app.
		a.askSecondFactor(ctx, rq, f.rec.ID)
		return a.signInPageURL(f.rec.ID, f.state.RedirectURL), nil
	}
	return f.state.RedirectURL, err
}

// signInPageURL is the hosted sign-in page of a sign-in in progress.
func (a *Auth) signInPageURL(id, redirect string) string {
	q := url.Values{"sign_in_id": {id}}
	if redirect != "" {
		q.Set("redirect_url", redirect)
	}
	return a.cfg.Session.SignInURL + "?" + q.Encode()
}

// verifySignUpLink acts on a sign-up's link that was just spent, as
// verifySignInLink does. "here" starts a sign-up of the opening browser's
// own with the address verified and nothing else: what the asking browser
// typed (a password above all) is not carried over, or someone who asked
// for a link to another's address would know the password of the account
// its owner created.
func (a *Auth) verifySignUpLink(ctx context.Context, rq *flowReq, rec *storage.Flow, choice string) (string, error) {
	f := &flow[signUpState]{rec: rec}
	if err := json.Unmarshal(rec.Data, &f.state); err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	if rec.Status == SignUpComplete || f.state.Email == nil || a.inputOf(f.state.Email.Strategy, FirstFactor) != InputLink {
		return "", ErrFlowStep
	}
	switch choice {
	case continueThere:
		f.state.Email.Status = factorVerified
		return "", f.save(ctx, a, SignUpMissingRequirements)
	case continueHere:
		here, err := newFlow(ctx, a, rq, flowKindSignUp, "sua", SignUpMissingRequirements, signUpState{
			EmailAddress: f.state.EmailAddress, Email: &factorState{Strategy: f.state.Email.Strategy, Status: factorVerified},
			RedirectURL: f.state.RedirectURL, Locale: rq.locale, Device: rq.device, IP: rq.ip})
		if err != nil {
			return "", err
		}
		f = here
	default:
		f.state.Email.Status = factorVerified
	}
	su, err := a.continueSignUp(ctx, rq, f)
	switch {
	case err != nil:
		return "", err
	case su.SignInID != "":
		// A second factor is required: set it up on the sign-in page.
		a.askSecondFactor(ctx, rq, su.SignInID)
		return a.signInPageURL(su.SignInID, f.state.RedirectURL), nil
	case su.Status != SignUpComplete:
		// Fields are still missing (those typed elsewhere are not
		// carried over): the sign-up page asks for them.
		q := url.Values{"sign_up_id": {su.ID}}
		if f.state.RedirectURL != "" {
			q.Set("redirect_url", f.state.RedirectURL)
		}
		return a.cfg.Session.SignUpURL + "?" + q.Encode(), nil
	}
	return f.state.RedirectURL, nil
}
