package sso

import (
	"context"
	"encoding/json"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

var _ latch.Redirector = (*strategy)(nil)

// strategy is a provider's first factor.
type strategy struct {
	pl *Plugin
	p  *provider
}

// memory is what the strategy keeps with the flow, server-side, between
// leaving and coming back: the PKCE verifier and the nonce. The kernel
// spends the state and drops this memory with the first answer, so each
// is used once.
type memory struct {
	Verifier string `json:"v"`
	Nonce    string `json:"n"`
}

func (s *strategy) Info() latch.StrategyInfo {
	return latch.StrategyInfo{Name: s.p.name, Kind: latch.FirstFactor, Input: latch.InputRedirect, Label: "strategy." + s.p.name,
		Icon: iconURL(s.p.Icon)}
}

func (s *strategy) Enrolled(context.Context, string) (bool, error) { return false, nil }

func (s *strategy) Prepare(ctx context.Context, at *latch.Attempt) (json.RawMessage, error) {
	if at.Purpose != latch.PurposeSignIn || at.CallbackURL == "" || at.CallbackState == "" {
		return nil, latch.ErrStrategyNotAllowed
	}
	if err := s.p.setup(ctx); err != nil {
		return nil, err
	}
	m := memory{Verifier: oauth2.GenerateVerifier(), Nonce: oauth2.GenerateVerifier()}
	state, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	at.State = state
	at.ExternalURL = s.p.authURL(at.CallbackURL, at.CallbackState, m.Nonce, m.Verifier, nil, s.p.FormPost)
	return nil, nil
}

// Verify is never the way in: the answer comes back through Callback.
func (s *strategy) Verify(context.Context, *latch.Attempt, latch.AttemptParams) (*latch.Proof, error) {
	return nil, latch.ErrFlowStep
}

// Callback redeems the code with the verifier of this attempt at the
// provider's token endpoint, verifies the ID token, and returns the
// identity. The provider's tokens are kept sealed for the account, never
// in the proof.
func (s *strategy) Callback(ctx context.Context, at *latch.Attempt, r *http.Request) (*latch.Proof, error) {
	var m memory
	if err := json.Unmarshal(at.State, &m); err != nil || m.Verifier == "" {
		return nil, latch.ErrFlowStep
	}
	if err := s.p.setup(ctx); err != nil {
		return nil, err
	}
	id, tok, err := s.p.exchange(ctx, r, at.CallbackURL, m.Verifier, m.Nonce, s.pl.h.Now(), s.pl.cfg.Leeway)
	if err != nil {
		return nil, err
	}
	if err := s.pl.keepTokens(ctx, s.p, id, tok, nil); err != nil {
		return nil, err
	}
	return &latch.Proof{AMR: []string{"ext"}, Identity: id}, nil
}
