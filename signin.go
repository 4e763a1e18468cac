package latch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

// Strategy names.
const (
	StrategyPassword               = "password"
	StrategyEmailCode              = "email_code"
	StrategyEmailLink              = "email_link"
	StrategyPhoneCode              = "phone_code"
	StrategyTicket                 = "ticket"
	StrategyResetPasswordEmailCode = "reset_password_email_code"
	StrategyResetPasswordEmailLink = "reset_password_email_link"
)

// Sign-in statuses: the states of the sign-in state machine.
const (
	SignInNeedsIdentifier   = "needs_identifier"
	SignInNeedsFirstFactor  = "needs_first_factor"
	SignInNeedsNewPassword  = "needs_new_password"
	SignInNeedsSecondFactor = "needs_second_factor"
	SignInComplete          = "complete"
)

// signInState is what a stored sign-in remembers. It never leaves the
// server: SignIn is the view clients get.
type signInState struct {
	Identifier     string       `json:"identifier,omitempty"`
	IdentifierKind string       `json:"identifier_kind,omitempty"`
	UserID         string       `json:"user_id,omitempty"` // "" while unknown, and for unknown identifiers
	IdentifierID   string       `json:"identifier_id,omitempty"`
	SendTo         string       `json:"send_to,omitempty"` // the stored address of a known identifier
	First          *factorState `json:"first,omitempty"`
	Second         *factorState `json:"second,omitempty"`
	AMR            []string     `json:"amr,omitempty"`
	// SecondFactors are the second factors offered; EnrollSecond says they
	// are to be set up, a policy requiring one the user lacks.
	SecondFactors []string `json:"second_factors,omitempty"`
	EnrollSecond  bool     `json:"enroll_second,omitempty"`
	SessionID     string   `json:"session_id,omitempty"`
	// SignUpID is the sign-up an identity that belongs to nobody
	// became.
	SignUpID    string `json:"sign_up_id,omitempty"`
	RedirectURL string `json:"redirect_url,omitempty"`
	Locale      string `json:"locale,omitempty"`
	// Device and IP are the browser that started the sign-in, named in
	// its link's mail and shown where the link is opened elsewhere.
	Device string `json:"device,omitempty"`
	IP     string `json:"ip,omitempty"`
}

// SignIn is a sign-in in progress, as the JSON API returns it.
type SignIn struct {
	ID                       string        `json:"id"`
	Object                   string        `json:"object"`
	Status                   string        `json:"status"`
	Identifier               string        `json:"identifier,omitempty"`
	SupportedFirstFactors    []Factor      `json:"supported_first_factors"`
	FirstFactorVerification  *Verification `json:"first_factor_verification"`
	SupportedSecondFactors   []Factor      `json:"supported_second_factors"`
	SecondFactorVerification *Verification `json:"second_factor_verification"`
	// SecondFactorEnrollment says the user must set up one of the
	// supported second factors before the sign-in completes.
	SecondFactorEnrollment bool   `json:"second_factor_enrollment,omitempty"`
	CreatedSessionID       string `json:"created_session_id,omitempty"`
	// SignUpID is set when the first factor proved an identity at an
	// outside provider that belongs to nobody: the sign-in became this
	// sign-up (its first-factor verification is "transferable").
	SignUpID string `json:"sign_up_id,omitempty"`
	// BackupCodes, only in the answer that completes a sign-in in which a
	// second factor was set up, are the recovery codes made with it: shown
	// this once.
	BackupCodes []string  `json:"backup_codes,omitempty"`
	ExpireAt    time.Time `json:"expire_at"`
	NativeTokens
}

func (s *SignIn) createdSession() string { return s.CreatedSessionID }

// Factor is one way to pass a step of a sign-in.
type Factor struct {
	Strategy       string `json:"strategy"`
	SafeIdentifier string `json:"safe_identifier,omitempty"`
}

// Verification is the progress of one factor, as the JSON API shows it.
type Verification struct {
	Status   string     `json:"status"`
	Strategy string     `json:"strategy"`
	Attempts int        `json:"attempts"`
	ExpireAt *time.Time `json:"expire_at,omitempty"`
	// Options is what the client needs to answer: WebAuthn request or
	// creation options, or an authenticator app's set-up (secret, QR code).
	Options json.RawMessage `json:"options,omitempty"`
	// ExternalVerificationRedirectURL is where to send the browser to
	// answer a strategy that leaves for another site (a Redirector).
	ExternalVerificationRedirectURL string `json:"external_verification_redirect_url,omitempty"`
}

func verificationView(f *factorState) *Verification {
	if f == nil {
		return nil
	}
	v := &Verification{Status: f.Status, Strategy: f.Strategy, Attempts: f.Attempts, Options: f.Options}
	if f.Status == factorUnverified {
		v.ExternalVerificationRedirectURL = f.External
	}
	if !f.ExpiresAt.IsZero() {
		t := f.ExpiresAt
		v.ExpireAt = &t
	}
	return v
}

func (a *Auth) signInView(f *flow[signInState]) *SignIn {
	st := f.state
	v := &SignIn{ID: f.rec.ID, Object: "sign_in_attempt", Status: f.rec.Status, Identifier: st.Identifier,
		SupportedFirstFactors: []Factor{}, SupportedSecondFactors: []Factor{}, FirstFactorVerification: verificationView(st.First),
		SecondFactorVerification: verificationView(st.Second), CreatedSessionID: st.SessionID, SignUpID: st.SignUpID, ExpireAt: f.rec.ExpiresAt,
		SecondFactorEnrollment: st.EnrollSecond}
	if st.Identifier != "" {
		v.SupportedFirstFactors = a.firstFactorsFor(st.IdentifierKind, st.Identifier)
	} else {
		v.SupportedFirstFactors = a.firstFactorsFor("", "")
	}
	if len(st.SecondFactors) > 0 {
		v.SupportedSecondFactors = factorsOf(st.SecondFactors)
	}
	if st.Second != nil && v.SecondFactorVerification != nil {
		v.SecondFactorVerification.Options = a.openOptions(st.Second)
	}
	return v
}

// SignInParams starts a sign-in.
type SignInParams struct {
	BotToken    string `json:"bot_token"` // a solved proof of work or CAPTCHA token, when sign-in is checked for bots
	Identifier  string `json:"identifier"`
	Strategy    string `json:"strategy"`
	Password    string `json:"password"`
	Ticket      string `json:"ticket"`
	RedirectURL string `json:"redirect_url"`
	// Code and Credential are never taken here: a sign-in proves a code
	// or a second factor in its own step. They are read only to refuse a
	// request that sends one (ErrFactorUnexpected), which would otherwise
	// believe it had been checked.
	Code       string          `json:"code,omitempty"`
	Credential json.RawMessage `json:"credential,omitempty"`
}

// unasked refuses a start of sign-in that carries a proof its strategy
// does not take: a start takes a password or a ticket, for the strategy
// of that input.
func (p SignInParams) unasked(input string) error {
	switch {
	case p.Code != "":
		return ErrFactorUnexpected.WithField("code")
	case hasCredential(p.Credential):
		return ErrFactorUnexpected.WithField("credential")
	case p.Ticket != "" && input != InputTicket:
		return ErrFactorUnexpected.WithField("ticket")
	case p.Password != "" && (p.Identifier == "" || (p.Strategy != "" && input != InputPassword)):
		return ErrFactorUnexpected.WithField("password")
	}
	return nil
}

// startSignIn creates a sign-in for the browser of r and, when the params
// carry a password or a ticket, attempts it at once. A strategy that needs
// no identifier (a passkey, a social provider) is prepared at once.
func (a *Auth) startSignIn(ctx context.Context, rq *flowReq, p SignInParams) (*SignIn, error) {
	if err := a.checkRedirect(p.RedirectURL); err != nil {
		return nil, err
	}
	var s Strategy
	if p.Strategy != "" {
		if s = a.strategy(p.Strategy, FirstFactor); s == nil {
			return nil, ErrStrategyNotAllowed
		}
	}
	input := ""
	if s != nil {
		input = s.Info().Input
	}
	if err := p.unasked(input); err != nil {
		return nil, err
	}
	if err := a.checkBot(ctx, rq.r, p.BotToken, true); err != nil {
		return nil, err
	}
	st := signInState{RedirectURL: p.RedirectURL, Locale: rq.locale, Device: rq.device, IP: rq.ip}
	switch {
	case input == InputTicket:
		// A ticket names its user: whatever identifier came with it is
		// not asked for.
		f, err := newFlow(ctx, a, rq, flowKindSignIn, "sia", SignInNeedsFirstFactor, st)
		if err != nil {
			return nil, err
		}
		return a.attemptFirstFactor(ctx, rq, f, AttemptParams{Strategy: p.Strategy, Ticket: p.Ticket})
	case p.Identifier == "" && s != nil && s.Info().Identifiers == nil:
		f, err := newFlow(ctx, a, rq, flowKindSignIn, "sia", SignInNeedsFirstFactor, st)
		if err != nil {
			return nil, err
		}
		return a.prepareFirstFactor(ctx, rq, f, PrepareParams{Strategy: p.Strategy, RedirectURL: p.RedirectURL})
	case p.Identifier == "":
		f, err := newFlow(ctx, a, rq, flowKindSignIn, "sia", SignInNeedsIdentifier, st)
		if err != nil {
			return nil, err
		}
		return a.signInView(f), f.save(ctx, a, SignInNeedsIdentifier)
	}
	if err := a.identify(ctx, &st, p.Identifier); err != nil {
		return nil, err
	}
	f, err := newFlow(ctx, a, rq, flowKindSignIn, "sia", SignInNeedsFirstFactor, st)
	if err != nil {
		return nil, err
	}
	if input == InputPassword || p.Password != "" {
		// A wrong password leaves no flow behind: the answer is only the
		// error, and the client starts again.
		pw := s
		if pw == nil {
			if pw = a.firstFactorByInput(&f.state, InputPassword); pw == nil {
				return nil, ErrStrategyNotAllowed
			}
		}
		return a.attemptFirstFactor(ctx, rq, f, AttemptParams{Strategy: pw.Info().Name, Password: p.Password})
	}
	return a.signInView(f), f.save(ctx, a, SignInNeedsFirstFactor)
}

// identify records who the identifier names, if anyone. Unknown
// identifiers carry on exactly like known ones.
func (a *Auth) identify(ctx context.Context, st *signInState, identifier string) error {
	kind, value, verr := classifyIdentifier(identifier)
	if verr != nil {
		return verr
	}
	st.Identifier, st.IdentifierKind = value, kind
	var userID string
	var err error
	if kind == "username" {
		var u *storage.User
		if u, err = a.store.GetUserByUsername(ctx, value); err == nil {
			userID = u.ID
		}
	} else {
		var i *storage.Identifier
		if i, err = a.store.FindIdentifier(ctx, storage.IdentifierKind(kind), value); err == nil {
			userID, st.IdentifierID = i.UserID, i.ID
			// Messages go to the address as stored, never as typed: a
			// look-alike that folds to it must not receive its codes
			// (CVE-2019-19844). What the user typed is still what they
			// see, so the answer does not reveal a stored spelling.
			st.SendTo = i.Value
		}
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil:
		return storageError(err)
	}
	st.UserID = userID
	return nil
}

// classifyIdentifier tells an email address, a phone number and a username
// apart, and normalises the first two.
func classifyIdentifier(s string) (kind, value string, err *Error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.Contains(s, "@"):
		v, e := normalizeEmail(s)
		if e != nil {
			return "", "", e.WithField("identifier")
		}
		return string(storage.KindEmailAddress), v, nil
	case strings.HasPrefix(s, "+"):
		v, e := normalizePhone(s)
		if e != nil {
			return "", "", e.WithField("identifier")
		}
		return string(storage.KindPhoneNumber), v, nil
	case validUsername(s) == nil:
		return "username", s, nil
	}
	return "", "", ErrIdentifierInvalid
}

// PrepareParams asks for a factor to be prepared: a code or link sent.
type PrepareParams struct {
	Strategy    string `json:"strategy"`
	RedirectURL string `json:"redirect_url"`
}

// prepareFirstFactor starts the strategy p names: sends a code or link,
// issues a challenge, or sends the browser to another site. Strategies
// never look at whether the identifier names an account, so the answer
// tells nobody.
func (a *Auth) prepareFirstFactor(ctx context.Context, rq *flowReq, f *flow[signInState], p PrepareParams) (*SignIn, error) {
	st := &f.state
	s := a.firstFactor(st, p.Strategy)
	if s == nil || !preparedFirst(s) {
		return nil, ErrStrategyNotAllowed
	}
	// Before an identifier is named, only a strategy that needs none.
	if f.rec.Status != SignInNeedsFirstFactor && (f.rec.Status != SignInNeedsIdentifier || s.Info().Identifiers != nil) {
		return nil, ErrFlowStep
	}
	if err := a.checkRedirect(p.RedirectURL); err != nil {
		return nil, err
	}
	if p.RedirectURL != "" {
		st.RedirectURL = p.RedirectURL
	}
	at := a.signInAttempt(f, rq.r, p.Strategy)
	at.State = nil
	if err := a.prepareCallback(ctx, s, at); err != nil {
		return nil, err
	}
	options, err := s.Prepare(ctx, at)
	if err != nil {
		return nil, asError(err)
	}
	st.First = &factorState{Strategy: p.Strategy, Status: factorUnverified, Attempts: at.Attempts, IdentifierID: st.IdentifierID,
		ExpiresAt: at.ExpiresAt, State: at.State, Options: options, External: at.ExternalURL}
	if err := f.save(ctx, a, SignInNeedsFirstFactor); err != nil {
		return nil, err
	}
	return a.signInView(f), nil
}

// firstStrategy is the first factor the sign-in passed ("" before one).
func (st *signInState) firstStrategy() string {
	if st.First == nil {
		return ""
	}
	return st.First.Strategy
}

// signInAttempt is the context of a use of the strategy name in the
// sign-in f: what the sign-in named, and the strategy's memory and count
// of wrong answers when it was the last one prepared.
func (a *Auth) signInAttempt(f *flow[signInState], r *http.Request, name string) *Attempt {
	st := &f.state
	at := &Attempt{Purpose: PurposeSignIn, FlowID: f.rec.ID, UserID: st.UserID, AMR: st.AMR, Locale: st.Locale, Request: r,
		Identifier: st.Identifier, IdentifierKind: st.IdentifierKind, RedirectURL: st.RedirectURL, sign: st}
	if st.First != nil && st.First.Strategy == name {
		at.State, at.Attempts = st.First.State, st.First.Attempts
	}
	return at
}

// AttemptParams carries the proof of a factor.
type AttemptParams struct {
	Strategy string `json:"strategy"`
	Code     string `json:"code"`
	Password string `json:"password"`
	// Credential is a WebAuthn response (PublicKeyCredential as JSON), for
	// passkeys and security keys.
	Credential json.RawMessage `json:"credential,omitempty"`
	// Ticket is a sign-in token, taken only when a sign-in starts.
	Ticket string `json:"-"`
}

// attemptFirstFactor checks the proof of a first factor and moves the
// sign-in on.
func (a *Auth) attemptFirstFactor(ctx context.Context, rq *flowReq, f *flow[signInState], p AttemptParams) (*SignIn, error) {
	if f.rec.Status != SignInNeedsFirstFactor {
		return nil, ErrFlowStep
	}
	st := &f.state
	s := a.firstFactor(st, p.Strategy)
	if s == nil {
		return nil, ErrStrategyNotAllowed
	}
	// Only the proof of the strategy attempted: a code sent with a
	// password is refused, never ignored.
	if err := p.unasked(inputOf(s)); err != nil {
		return nil, err
	}
	prepared := preparedFirst(s)
	if prepared && (st.First == nil || st.First.Strategy != p.Strategy) {
		return nil, ErrFlowStep
	}
	if _, ok := s.(interface{ boundsGuesses() }); !ok {
		if err := a.limit(ctx, ErrRateLimited, limitCheck{"ff:" + f.rec.ID, a.cfg.Protection.Limits.SignInPerIPIdentifier}); err != nil {
			return nil, err
		}
	}
	at := a.signInAttempt(f, rq.r, p.Strategy)
	proof, err := s.Verify(ctx, at, p.normalized())
	if err == nil && (proof == nil || (proof.UserID == "" && proof.Identity == nil) || (st.UserID != "" && proof.UserID != st.UserID)) {
		err = ErrCodeIncorrect
	}
	if err != nil {
		a.noteFailure(ctx, rq.r, "sign_in.failed", st.UserID, p.Strategy, err)
		if prepared && !errors.Is(err, ErrFlowStep) {
			// The wrong answer counts against this attempt; a password,
			// which prepared nothing, leaves no flow behind.
			st.First.Attempts++
			st.First.Status = factorUnverified
			if errors.Is(err, ErrCodeExpired) {
				st.First.Status = factorFailed
			}
			if serr := f.save(ctx, a, SignInNeedsFirstFactor); serr != nil {
				return nil, serr
			}
		}
		return nil, err
	}
	return a.passFirstFactor(ctx, rq, f, p.Strategy, proof)
}

// passFirstFactor moves a sign-in whose first factor name proved proof
// on: to the owner of an identity, to a new password, to the second
// factor, or to completion.
func (a *Auth) passFirstFactor(ctx context.Context, rq *flowReq, f *flow[signInState], name string, proof *Proof) (*SignIn, error) {
	st := &f.state
	if st.First == nil || st.First.Strategy != name {
		st.First = &factorState{Strategy: name, IdentifierID: st.IdentifierID}
	}
	st.First.Status, st.First.State, st.First.Options, st.First.External, st.First.Proof = factorVerified, nil, nil, "", nil
	if proof.UserID == "" && proof.Identity != nil {
		return a.signInWithIdentity(ctx, rq, f, name, proof)
	}
	st.UserID = proof.UserID
	if proof.SetPassword {
		return a.needNewPassword(ctx, f)
	}
	if !proof.MultiFactor {
		return a.afterFirstFactor(ctx, rq, f, proof.AMR)
	}
	u, err := a.store.GetUser(ctx, st.UserID)
	if err != nil {
		return nil, storageError(err)
	}
	if u.Banned {
		return nil, ErrUserBanned
	}
	// Two factors in one satisfy a policy's second factor, not one that
	// allows only other first factors.
	if _, err := a.signInRequirements(ctx, SignInContext{User: u, Strategy: name, AMR: proof.AMR}); err != nil {
		return nil, err
	}
	st.AMR = appendAMR(proof.AMR, "mfa")
	return a.completeSignIn(ctx, rq, f, u, true)
}

func (a *Auth) needNewPassword(ctx context.Context, f *flow[signInState]) (*SignIn, error) {
	if err := f.save(ctx, a, SignInNeedsNewPassword); err != nil {
		return nil, err
	}
	return a.signInView(f), nil
}

// ResetPasswordParams sets a new password at the end of a reset.
type ResetPasswordParams struct {
	Password               string `json:"password"`
	SignOutOfOtherSessions bool   `json:"sign_out_of_other_sessions"`
}

// resetPassword sets the new password of a reset whose code or link was
// verified, then continues the sign-in: a reset proves access to the
// mailbox, never a second factor, so MFA still applies after it.
func (a *Auth) resetPassword(ctx context.Context, rq *flowReq, f *flow[signInState], p ResetPasswordParams) (*SignIn, error) {
	if f.rec.Status != SignInNeedsNewPassword || f.state.UserID == "" {
		return nil, ErrFlowStep
	}
	if err := a.setPassword(ctx, f.state.UserID, p.Password, f.state.Locale); err != nil {
		return nil, err
	}
	if p.SignOutOfOtherSessions {
		if err := a.RevokeUserSessions(ctx, f.state.UserID, ""); err != nil {
			return nil, err
		}
	}
	f.rec.Status = SignInNeedsFirstFactor // afterFirstFactor moves it on
	return a.afterFirstFactor(ctx, rq, f, []string{"otp", "pwd"})
}

// afterFirstFactor moves a sign-in whose first factor is verified to its
// second factor, or completes it.
func (a *Auth) afterFirstFactor(ctx context.Context, rq *flowReq, f *flow[signInState], amr []string) (*SignIn, error) {
	st := &f.state
	u, err := a.store.GetUser(ctx, st.UserID)
	if err != nil {
		return nil, storageError(err)
	}
	if u.Banned {
		return nil, ErrUserBanned
	}
	a.clearLock(ctx, u) // proving a first factor ends a lockout
	st.AMR = amr
	req, err := a.signInRequirements(ctx, SignInContext{User: u, Strategy: st.firstStrategy(), AMR: amr})
	if err != nil {
		return nil, err
	}
	factors, err := a.offeredSecondFactors(ctx, u.ID, amr)
	if err != nil {
		return nil, err
	}
	if len(factors) == 0 {
		// A user whose only second factors repeat this first one (codes
		// to the mailbox just proved) has two factors all the same: this
		// way in is closed to them, never opened with one.
		if all, err := a.enrolledSecondFactors(ctx, u.ID); err != nil {
			return nil, err
		} else if len(all) > 0 {
			return nil, ErrStrategyNotAllowed.WithMessage("Sign in another way: your second step goes to the same place as this one.")
		}
		if req.SecondFactor {
			// The user must set a second factor up before the session
			// exists: a policy's promise of two factors holds from the
			// first sign-in on.
			if factors, err = a.enrollableSecondFactors(); err != nil {
				return nil, err
			}
			st.EnrollSecond = true
		}
	}
	if len(factors) > 0 {
		st.SecondFactors = factors
		if err := f.save(ctx, a, SignInNeedsSecondFactor); err != nil {
			return nil, err
		}
		return a.signInView(f), nil
	}
	return a.completeSignIn(ctx, rq, f, u, false)
}

// completeSignIn creates the session and marks the sign-in complete. The
// session is created before the flow is saved as complete: a failure in
// between leaves a usable session and a flow that can be retried, never a
// complete flow without a session.
func (a *Auth) completeSignIn(ctx context.Context, rq *flowReq, f *flow[signInState], u *storage.User, second bool) (*SignIn, error) {
	// A browser that remembers this user is not new to them; one that
	// does not (a native app keeps no device cookie) is asked whether the
	// user has a session on its client.
	newDevice := a.knownDevice(rq.r, u.ID) == ""
	if newDevice && f.rec.ClientID != "" {
		earlier, _, err := a.store.ListSessions(ctx, storage.SessionFilter{UserID: u.ID, ClientID: f.rec.ClientID}, storage.Page{Limit: 1})
		if err != nil {
			return nil, storageError(err)
		}
		newDevice = len(earlier) == 0
	}
	// The flow is saved complete in the session's transaction: both or
	// neither.
	_, err := a.createSession(ctx, rq, u.ID, SessionParams{AMR: f.state.AMR, SecondFactor: second}, func(t *tx, s *storage.Session) error {
		f.state.SessionID = s.ID
		if f.rec.ClientID == "" {
			f.rec.ClientID = s.ClientID
		}
		return f.completeIn(ctx, a, t, SignInComplete)
	})
	if err != nil {
		return nil, err
	}
	a.noteSignIn(ctx, rq.r, u, newDevice)
	return a.signInView(f), nil
}

// prepareSecondFactor starts the second factor a user chose (sends a code,
// issues a WebAuthn challenge), or, when the user must set one up first,
// starts its enrolment.
func (a *Auth) prepareSecondFactor(ctx context.Context, rq *flowReq, f *flow[signInState], p PrepareParams) (*SignIn, error) {
	st := &f.state
	if f.rec.Status != SignInNeedsSecondFactor || st.UserID == "" {
		return nil, ErrFlowStep
	}
	s := a.strategy(p.Strategy, SecondFactor)
	if s == nil || !slices.Contains(st.SecondFactors, p.Strategy) {
		return nil, ErrStrategyNotAllowed // only what the sign-in offered
	}
	at := &Attempt{Purpose: PurposeSignIn, FlowID: f.rec.ID, UserID: st.UserID, AMR: st.AMR, Locale: st.Locale, Request: rq.r}
	var (
		options json.RawMessage
		err     error
	)
	if st.EnrollSecond {
		e, ok := s.(Enroller)
		if !ok {
			return nil, ErrStrategyNotAllowed
		}
		at.Purpose = PurposeEnrollment
		options, err = e.BeginEnrollment(ctx, at)
	} else {
		if ok, eerr := s.Enrolled(ctx, st.UserID); eerr != nil || !ok {
			return nil, cmpErr(eerr, ErrStrategyNotAllowed)
		}
		options, err = s.Prepare(ctx, at)
	}
	if err != nil {
		return nil, asError(err)
	}
	attempts := 0
	if st.Second != nil {
		attempts = st.Second.Attempts
	}
	st.Second = &factorState{Strategy: p.Strategy, Status: factorUnverified, Attempts: attempts, State: at.State, Options: options}
	if st.EnrollSecond {
		// Set-up options may hold a seed: never in the clear at rest.
		if err := a.sealOptions(st.Second); err != nil {
			return nil, err
		}
	}
	if err := f.save(ctx, a, SignInNeedsSecondFactor); err != nil {
		return nil, err
	}
	return a.signInView(f), nil
}

// attemptSecondFactor checks the second factor and completes the sign-in.
func (a *Auth) attemptSecondFactor(ctx context.Context, rq *flowReq, f *flow[signInState], p AttemptParams) (*SignIn, error) {
	st := &f.state
	if f.rec.Status != SignInNeedsSecondFactor || st.UserID == "" {
		return nil, ErrFlowStep
	}
	s := a.strategy(p.Strategy, SecondFactor)
	if s == nil || !slices.Contains(st.SecondFactors, p.Strategy) {
		return nil, ErrStrategyNotAllowed
	}
	if err := p.unasked(inputOf(s)); err != nil {
		return nil, err
	}
	if err := a.limit(ctx, ErrRateLimited, limitCheck{"mfa:" + st.UserID, a.cfg.Protection.Limits.SignInPerIdentifier}); err != nil {
		return nil, err
	}
	at := &Attempt{Purpose: PurposeSignIn, FlowID: f.rec.ID, UserID: st.UserID, AMR: st.AMR, Locale: st.Locale, Request: rq.r}
	if st.Second != nil && st.Second.Strategy == p.Strategy {
		at.State = st.Second.State
	}
	var (
		proof *Proof
		err   error
	)
	if st.EnrollSecond {
		e, ok := s.(Enroller)
		if !ok || st.Second == nil || st.Second.Strategy != p.Strategy {
			return nil, ErrFlowStep
		}
		at.Purpose = PurposeEnrollment
		proof, err = e.FinishEnrollment(ctx, at, p.normalized())
	} else {
		if ok, eerr := s.Enrolled(ctx, st.UserID); eerr != nil || !ok {
			return nil, cmpErr(eerr, ErrStrategyNotAllowed)
		}
		proof, err = a.verifyGuess(ctx, rq.r, s, at, p, st.Locale)
	}
	if err == nil && proof != nil && proof.UserID != "" && proof.UserID != st.UserID {
		err = ErrCodeIncorrect // a key of another account proves nothing here
	}
	if err != nil || proof == nil {
		a.noteFailure(ctx, rq.r, "sign_in.failed", st.UserID, p.Strategy, cmpErr(err, ErrCodeIncorrect))
		if st.Second == nil {
			st.Second = &factorState{Strategy: p.Strategy, Status: factorUnverified}
		}
		st.Second.Attempts++
		if serr := f.save(ctx, a, SignInNeedsSecondFactor); serr != nil {
			return nil, serr
		}
		return nil, cmpErr(err, ErrCodeIncorrect)
	}
	if err := a.limiter.Reset(ctx, "mfa:"+st.UserID); err != nil {
		a.cfg.Logger.WarnContext(ctx, "latch: resetting a rate limit", "err", err)
	}
	st.Second = &factorState{Strategy: p.Strategy, Status: factorVerified}
	st.AMR = appendAMR(st.AMR, proof.AMR...)
	st.AMR = appendAMR(st.AMR, "mfa")
	u, err := a.store.GetUser(ctx, st.UserID)
	if err != nil {
		return nil, storageError(err)
	}
	v, err := a.completeSignIn(ctx, rq, f, u, true)
	if v != nil {
		v.BackupCodes = proof.BackupCodes
	}
	return v, err
}
