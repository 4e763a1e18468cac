package latch

import (
	"context"
	"slices"
	"time"
)

// Step-up reverification (SECURITY.md 35): a signed-in user proves again
// who they are before a sensitive change. A user with a second factor must
// use one (any of them); a user without one uses a first factor. Success
// moves the session's factor-verification time to now, which the fva claim
// of its renewed token carries, so Reverified holds for the next minutes.

const flowKindReverify = "reverification"

// Reverification statuses.
const (
	ReverificationNeedsFactor = "needs_factor"
	ReverificationComplete    = "complete"
)

// reverifyState is what a stored reverification remembers.
type reverifyState struct {
	SessionID string       `json:"session_id"`
	UserID    string       `json:"user_id"`
	Second    bool         `json:"second"` // the user has a second factor, so one must be used
	Factors   []string     `json:"factors"`
	Current   *factorState `json:"current,omitempty"`
	Locale    string       `json:"locale,omitempty"`
}

// Reverification is a reverification in progress, as the JSON API returns
// it.
type Reverification struct {
	ID               string        `json:"id"`
	Object           string        `json:"object"`
	Status           string        `json:"status"`
	Level            string        `json:"level"` // "second_factor" or "first_factor"
	SupportedFactors []Factor      `json:"supported_factors"`
	Verification     *Verification `json:"verification"`
	ExpireAt         time.Time     `json:"expire_at"`
	NativeTokens
}

func (v *Reverification) createdSession() string { return "" }

func (a *Auth) reverifyView(f *flow[reverifyState]) *Reverification {
	v := &Reverification{ID: f.rec.ID, Object: "session_reverification", Status: f.rec.Status, Level: "first_factor",
		SupportedFactors: []Factor{}, Verification: verificationView(f.state.Current), ExpireAt: f.rec.ExpiresAt}
	if f.state.Second {
		v.Level = "second_factor"
	}
	if len(f.state.Factors) > 0 {
		v.SupportedFactors = factorsOf(f.state.Factors)
	}
	return v
}

// ReverifyParams starts a reverification.
type ReverifyParams struct{}

// startReverification starts a reverification of the session of r.
func (a *Auth) startReverification(ctx context.Context, rq *flowReq, _ ReverifyParams) (*Reverification, error) {
	s := SessionFromContext(ctx)
	if s == nil {
		return nil, ErrSignedOut
	}
	st, err := a.reverifyStateFor(ctx, s.ID, s.UserID)
	if err != nil {
		return nil, err
	}
	st.Locale = rq.locale
	f, err := newFlow(ctx, a, rq, flowKindReverify, "rvf", ReverificationNeedsFactor, *st)
	if err != nil {
		return nil, err
	}
	return a.reverifyView(f), f.save(ctx, a, ReverificationNeedsFactor)
}

// reverifyStateFor lists the factors a user may reverify with: any of
// their second factors, or, without one, their first factors.
func (a *Auth) reverifyStateFor(ctx context.Context, sessionID, userID string) (*reverifyState, error) {
	st := &reverifyState{SessionID: sessionID, UserID: userID}
	second, err := a.enrolledSecondFactors(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(second) > 0 {
		st.Second, st.Factors = true, second
		return st, nil
	}
	for _, p := range a.plugins.reg.all {
		if !reverifiesFirst(p) {
			continue
		}
		ok, err := p.Enrolled(ctx, userID)
		if err != nil {
			return nil, asError(err)
		}
		if ok {
			st.Factors = append(st.Factors, p.Info().Name)
		}
	}
	return st, nil
}

// reverifyFlowOf checks that a reverification belongs to the session of the
// request and can take a factor named strategy.
func (a *Auth) reverifyFlowOf(ctx context.Context, f *flow[reverifyState], strategy string) error {
	s := SessionFromContext(ctx)
	if s == nil || s.ID != f.state.SessionID {
		return ErrNotFound
	}
	if f.rec.Status != ReverificationNeedsFactor {
		return ErrFlowStep
	}
	if !slices.Contains(f.state.Factors, strategy) {
		return ErrStrategyNotAllowed
	}
	return nil
}

// reverifiesFirst reports whether s can reverify a session as a first
// factor: one answered here and now (a password, a code, a passkey), never
// a link, a ticket, a redirect to a provider or a password reset.
func reverifiesFirst(s Strategy) bool {
	info := s.Info()
	return info.Kind&FirstFactor != 0 && !info.ResetsPassword &&
		(info.Input == InputPassword || info.Input == InputCode || info.Input == InputWebAuthn)
}

// reverifyStrategy is the strategy a reverification uses for name, or nil.
func (a *Auth) reverifyStrategy(st *reverifyState, name string) Strategy {
	if st.Second {
		return a.strategy(name, SecondFactor)
	}
	if s := a.strategy(name, FirstFactor); s != nil && reverifiesFirst(s) {
		return s
	}
	return nil
}

// prepareReverification sends a code or issues a challenge.
func (a *Auth) prepareReverification(ctx context.Context, rq *flowReq, f *flow[reverifyState], p PrepareParams) (*Reverification, error) {
	if err := a.reverifyFlowOf(ctx, f, p.Strategy); err != nil {
		return nil, err
	}
	st := &f.state
	at := &Attempt{Purpose: PurposeReverification, FlowID: f.rec.ID, UserID: st.UserID, Locale: st.Locale, Request: rq.r}
	fs := &factorState{Strategy: p.Strategy, Status: factorUnverified}
	if st.Current != nil {
		fs.Attempts = st.Current.Attempts
	}
	s := a.reverifyStrategy(st, p.Strategy)
	if s == nil {
		return nil, ErrStrategyNotAllowed
	}
	if st.Second || preparedFirst(s) { // a password has nothing to prepare
		options, err := s.Prepare(ctx, at)
		if err != nil {
			return nil, err
		}
		fs.State, fs.Options = at.State, options
	}
	st.Current = fs
	if err := f.save(ctx, a, ReverificationNeedsFactor); err != nil {
		return nil, err
	}
	return a.reverifyView(f), nil
}

// attemptReverification checks the factor and, when right, marks the
// session verified now and renews its token.
func (a *Auth) attemptReverification(ctx context.Context, rq *flowReq, f *flow[reverifyState], p AttemptParams) (*Reverification, error) {
	if err := a.reverifyFlowOf(ctx, f, p.Strategy); err != nil {
		return nil, err
	}
	st := &f.state
	if err := a.limit(ctx, ErrRateLimited, limitCheck{"mfa:" + st.UserID, a.cfg.Protection.Limits.SignInPerIdentifier}); err != nil {
		return nil, err
	}
	s := a.reverifyStrategy(st, p.Strategy)
	if s == nil {
		return nil, ErrStrategyNotAllowed
	}
	if (st.Second || preparedFirst(s)) && (st.Current == nil || st.Current.Strategy != p.Strategy) {
		return nil, ErrFlowStep
	}
	if err := p.unasked(inputOf(s)); err != nil {
		return nil, err
	}
	at := &Attempt{Purpose: PurposeReverification, FlowID: f.rec.ID, UserID: st.UserID, Locale: st.Locale, Request: rq.r}
	if st.Current != nil && st.Current.Strategy == p.Strategy {
		at.State = st.Current.State
	}
	proof, err := a.verifyGuess(ctx, rq.r, s, at, p, st.Locale)
	if err == nil && (proof == nil || (proof.UserID != "" && proof.UserID != st.UserID)) {
		err = ErrCodeIncorrect
	}
	if err != nil {
		a.noteFailure(ctx, rq.r, "reverification.failed", st.UserID, p.Strategy, err)
		if st.Current == nil {
			st.Current = &factorState{Strategy: p.Strategy, Status: factorUnverified}
		}
		st.Current.Attempts++
		if serr := f.save(ctx, a, ReverificationNeedsFactor); serr != nil {
			return nil, serr
		}
		return nil, cmpErr(err, ErrCodeIncorrect)
	}
	if err := a.limiter.Reset(ctx, "mfa:"+st.UserID); err != nil {
		a.cfg.Logger.WarnContext(ctx, "latch: resetting a rate limit", "err", err)
	}
	if err := a.markVerified(ctx, &rq.fx, st.SessionID, st.Second); err != nil {
		return nil, err
	}
	st.Current = &factorState{Strategy: p.Strategy, Status: factorVerified}
	if err := f.completeIn(ctx, a, a.store, ReverificationComplete); err != nil {
		return nil, err
	}
	return a.reverifyView(f), nil
}
