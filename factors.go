package latch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/latchauth/latch/storage"
)

// enrolledSecondFactors names the second factors a user has set up, in
// the order the plugins registered them.
func (a *Auth) enrolledSecondFactors(ctx context.Context, userID string) ([]string, error) {
	return a.offeredSecondFactors(ctx, userID, nil)
}

// offeredSecondFactors names the second factors a user has set up that may
// follow a first factor of methods amr (nil: any).
func (a *Auth) offeredSecondFactors(ctx context.Context, userID string, amr []string) ([]string, error) {
	var out []string
	for _, s := range a.plugins.reg.all {
		info := s.Info()
		if info.Kind&SecondFactor == 0 {
			continue
		}
		if o, ok := s.(Offerer); ok && amr != nil && !o.Offered(amr) {
			continue
		}
		ok, err := s.Enrolled(ctx, userID)
		if err != nil {
			return nil, asError(err)
		}
		if ok {
			out = append(out, info.Name)
		}
	}
	return out, nil
}

// enrollableSecondFactors names the second factors a user may set up in
// the middle of a sign-in; it is an error that a policy requires one and
// no plugin offers any.
func (a *Auth) enrollableSecondFactors() ([]string, error) {
	var out []string
	for _, s := range a.plugins.reg.all {
		if _, ok := s.(Enroller); ok && s.Info().Kind&SecondFactor != 0 {
			out = append(out, s.Info().Name)
		}
	}
	if len(out) == 0 {
		return nil, ErrUnavailable.wrap(errors.New("latch: a second factor is required but no plugin offers one to set up"))
	}
	return out, nil
}

// factorsOf is the API's view of strategy names.
func factorsOf(names []string) []Factor {
	out := make([]Factor, len(names))
	for i, n := range names {
		out[i] = Factor{Strategy: n}
	}
	return out
}

// secondFactorRequired reports whether any policy requires u to have a
// second factor.
func (a *Auth) secondFactorRequired(ctx context.Context, u *storage.User) (bool, error) {
	for _, p := range a.plugins.policies {
		req, err := p(ctx, u)
		if err != nil {
			return false, asError(err)
		}
		if req {
			return true, nil
		}
	}
	return false, nil
}

// notifyUser is notify for a user known by ID.
func (a *Auth) notifyUser(ctx context.Context, userID string, kind MessageKind, locale string, d MessageData) error {
	u, err := a.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	return a.notify(ctx, u, locale, kind, d)
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

// markVerified records on a session that a factor (the second when second)
// was verified now, and renews its token on w so that the fva claim says
// so at once.
func (a *Auth) markVerified(ctx context.Context, fx *effects, sessionID string, second bool) error {
	var s *storage.Session
	err := a.inTx(ctx, func(t *tx) error {
		var err error
		if s, err = t.GetSession(ctx, sessionID); err != nil {
			return storageError(err)
		}
		now := a.now()
		if second {
			s.SecondFactorAt = now
		} else {
			s.FirstFactorAt = now
		}
		s.UpdatedAt = now
		return storageError(t.UpdateSession(ctx, s))
	})
	if err != nil {
		return err
	}
	sess, err := a.mint(ctx, s)
	if err != nil {
		return err
	}
	fx.setSession(sess.Token)
	return nil
}

// refuseUnverified answers a request whose session has not verified a
// factor recently enough: JSON gets ErrReverificationRequired, a page load
// is sent to the reverification page and back.
func (a *Auth) refuseUnverified(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) || isJSONBody(r) {
		writeError(w, ErrReverificationRequired)
		return
	}
	// A page comes back to itself; a form post to the account page, where
	// the user can submit it again.
	back := a.cfg.Session.ProfileURL
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		back = r.URL.RequestURI()
	}
	http.Redirect(w, r, a.cfg.Session.ReverifyURL+"?redirect_url="+url.QueryEscape(back), http.StatusSeeOther)
}

// isJSONBody tells an API call from a form post.
func isJSONBody(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
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

// verifyGuess runs a second factor's Verify for at.UserID; a strategy
// whose proof is a typed code (an authenticator app, a backup code, a
// code sent by mail or text) draws on the account's budget of wrong codes
// for its channel, across every sign-in and reverification.
func (a *Auth) verifyGuess(ctx context.Context, r *http.Request, s Strategy, at *Attempt, p AttemptParams, locale string) (*Proof, error) {
	var proof *Proof
	verify := func() error {
		var err error
		proof, err = s.Verify(ctx, at, p.normalized())
		if err == nil && proof == nil {
			return ErrCodeIncorrect
		}
		return err
	}
	var err error
	if _, bounded := s.(interface{ boundsGuesses() }); bounded || s.Info().Input != InputCode {
		err = verify()
	} else {
		err = a.tryCode(ctx, r, codeGuess{channel: guessChannel(s.Info().Name), userID: at.UserID, locale: locale}, verify)
	}
	return proof, err
}

// cmpErr returns err when it is not nil, and otherwise def.
func cmpErr(err error, def *Error) error {
	var re *rateError
	if errors.As(err, &re) {
		return re // keeps its Retry-After
	}
	if err != nil {
		return asError(err)
	}
	return def
}

func appendAMR(amr []string, more ...string) []string {
	for _, m := range more {
		if !slices.Contains(amr, m) {
			amr = append(amr, m)
		}
	}
	return amr
}

// normalized turns a WebAuthn response posted by a form (a JSON string)
// into the JSON object the API takes.
func (p AttemptParams) normalized() AttemptParams {
	if len(p.Credential) > 0 && p.Credential[0] == '"' {
		var s string
		if json.Unmarshal(p.Credential, &s) == nil {
			p.Credential = json.RawMessage(s)
		}
	}
	return p
}

// ErrFactorUnexpected: the request carries a proof (a password, a code, a
// credential, a ticket) that the step did not ask for. It is refused, not
// ignored: a client that believes it proved a factor must never see a
// sign-in succeed without that proof being checked (SECURITY.md 12).
var ErrFactorUnexpected = &Error{Code: "factor_unexpected", Message: "This step does not take that. Send only what it asks for.", Status: http.StatusUnprocessableEntity}

// proofPassword is the kind of proof of the password strategy; the others
// are InputCode and InputWebAuthn, and "" is a step that takes none.
const proofPassword = "password"

// unasked returns ErrFactorUnexpected, naming the field, when p carries a
// proof other than the one kind the step takes.
func (p AttemptParams) unasked(want string) error {
	switch {
	case p.Ticket != "" && want != InputTicket:
		return ErrFactorUnexpected.WithField("ticket")
	case p.Password != "" && want != proofPassword:
		return ErrFactorUnexpected.WithField("password")
	case p.Code != "" && want != InputCode:
		return ErrFactorUnexpected.WithField("code")
	case hasCredential(p.Credential) && want != InputWebAuthn:
		return ErrFactorUnexpected.WithField("credential")
	}
	return nil
}

func hasCredential(c json.RawMessage) bool {
	s := strings.TrimSpace(string(c))
	return s != "" && s != "null" && s != `""`
}

// inputOf is the kind of proof a plugin strategy takes.
func inputOf(s Strategy) string {
	if in := s.Info().Input; in != "" {
		return in
	}
	return InputCode
}
