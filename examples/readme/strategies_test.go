package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

func linkingConfig(db storage.Store) (*latch.Auth, error) {
	// readme:begin
	auth, err := latch.New(latch.Config{
		Store: db,
		SignIn: latch.SignInConfig{
			// Never link a provider's identity to an existing account by
			// its email address; users connect providers themselves.
			Linking: latch.LinkNever,
		},
	})
	// readme:end
	return auth, err
}

// providerStrategy is the README's outline of a Redirector.
type providerStrategy struct{ authorizeURL string }

func (providerStrategy) Info() latch.StrategyInfo {
	return latch.StrategyInfo{Name: "oauth_example", Kind: latch.FirstFactor, Input: latch.InputRedirect}
}
func (providerStrategy) Enrolled(context.Context, string) (bool, error) { return false, nil }
func (providerStrategy) Verify(context.Context, *latch.Attempt, latch.AttemptParams) (*latch.Proof, error) {
	return nil, latch.ErrFlowStep
}

// readme:begin
func (s providerStrategy) Prepare(ctx context.Context, at *latch.Attempt) (json.RawMessage, error) {
	at.State = json.RawMessage(`{"pkce_verifier":"…"}`) // kept server-side with the flow
	at.ExternalURL = s.authorizeURL + "?" + url.Values{
		"redirect_uri": {at.CallbackURL},   // /v1/callback/oauth_example
		"state":        {at.CallbackState}, // single use, bound to this browser's flow
	}.Encode()
	return nil, nil
}

func (s providerStrategy) Callback(ctx context.Context, at *latch.Attempt, r *http.Request) (*latch.Proof, error) {
	// Exchange r.FormValue("code") with the verifier in at.State, check the
	// ID token's signature, issuer, audience and nonce, then:
	return &latch.Proof{AMR: []string{"ext"}, Identity: &latch.Identity{
		Issuer: "https://idp.example", Subject: "248289761001",
		EmailAddress: "ada@example.com", EmailVerified: true, // by the provider's own rule
	}}, nil
}

// readme:end

var (
	_ latch.Redirector = providerStrategy{}
	_                  = linkingConfig
)

// orgsPlugin is the README's outline of a plugin that needs a capability.
type orgsPlugin struct{ orgs storage.OrganizationStore }

func (*orgsPlugin) Name() string { return "orgs" }

// readme:begin
func (p *orgsPlugin) Register(h *latch.Host) error {
	orgs, err := latch.RequireStore[storage.OrganizationStore](h) // New fails, naming it, on a store without it
	if err != nil {
		return err
	}
	p.orgs = orgs
	return nil
}

// readme:end

var _ latch.Plugin = (*orgsPlugin)(nil)
