package sso

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// Config configures the plugin. The zero value of every field but
// Providers is a working default.
type Config struct {
	// Providers are offered in this order, on every sign-in surface.
	Providers []Provider
	// HTTPClient makes the requests to the providers (discovery, keys,
	// token exchange, user info). Default: a client with a 10-second
	// timeout.
	HTTPClient *http.Client
	// Leeway is the clock skew allowed on an ID token's exp and iat.
	// Default one minute; it is never more than five.
	Leeway time.Duration
}

// Plugin is social sign-in: one first-factor strategy per provider, the
// connected accounts of the signed-in user (JSON routes under
// /v1/me/external_accounts), and the provider's tokens for the back end
// (AccessToken).
type Plugin struct {
	cfg       Config
	h         *latch.Host
	linked    storage.ConnectedAccountStore
	providers []*provider
	byName    map[string]*provider
}

// New returns the plugin for cfg, to list in latch.Config.Plugins. It
// checks the configuration when the Auth is created (Register).
func New(cfg Config) *Plugin { return &Plugin{cfg: cfg} }

// Name implements latch.Plugin.
func (*Plugin) Name() string { return "sso" }

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,39}$`)

// Register implements latch.Plugin.
func (pl *Plugin) Register(h *latch.Host) error {
	pl.h = h
	if pl.cfg.HTTPClient == nil {
		pl.cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	switch {
	case pl.cfg.Leeway <= 0:
		pl.cfg.Leeway = time.Minute
	case pl.cfg.Leeway > 5*time.Minute:
		pl.cfg.Leeway = 5 * time.Minute
	}
	linked, err := latch.RequireStore[storage.ConnectedAccountStore](h)
	if err != nil {
		return err
	}
	pl.linked = linked
	pl.byName = map[string]*provider{}
	for i := range pl.cfg.Providers {
		p, err := pl.newProvider(pl.cfg.Providers[i])
		if err != nil {
			return err
		}
		if pl.byName[p.name] != nil {
			return fmt.Errorf("provider %s configured twice", p.name)
		}
		pl.byName[p.name] = p
		pl.providers = append(pl.providers, p)
		if err := h.AddStrategy(&strategy{pl: pl, p: p}); err != nil {
			return err
		}
	}
	if err := pl.registerStrings(h); err != nil {
		return err
	}
	return pl.registerAccounts(h)
}

func (pl *Plugin) newProvider(c Provider) (*provider, error) {
	name := c.Strategy()
	if c.preset == "" && !keyPattern.MatchString(c.Key) {
		return nil, fmt.Errorf("provider key %q: use 1 to 40 lower-case letters, digits or _", c.Key)
	}
	if c.ClientID == "" {
		return nil, fmt.Errorf("provider %s: no ClientID", name)
	}
	if c.ClientSecret == "" && c.ClientSecretFunc == nil && !c.PublicClient {
		return nil, fmt.Errorf("provider %s: no ClientSecret (set PublicClient for a client without one)", name)
	}
	if c.Issuer == "" && (c.AuthURL == "" || c.TokenURL == "") {
		return nil, fmt.Errorf("provider %s: set Issuer (OpenID Connect discovery) or AuthURL and TokenURL", name)
	}
	if c.Issuer == "" && c.Profile == nil && c.UserInfoURL == "" {
		return nil, fmt.Errorf("provider %s: an OAuth 2.0 provider needs a UserInfoURL", name)
	}
	if c.Label == "" {
		c.Label = c.Key
	}
	if c.Icon == "" {
		c.Icon = presetIcon(c.preset)
	}
	return &provider{Provider: c, name: name, client: pl.cfg.HTTPClient}, nil
}

// provider returns the configured provider whose strategy is name.
func (pl *Plugin) provider(name string) (*provider, error) {
	p := pl.byName[name]
	if p == nil {
		return nil, latch.ErrStrategyNotAllowed
	}
	return p, nil
}

// Providers lists the strategies of the configured providers, in order.
func (pl *Plugin) Providers() []string {
	out := make([]string, len(pl.providers))
	for i, p := range pl.providers {
		out[i] = p.name
	}
	return out
}

// Errors of the callback, in the kernel's words: never a provider's text.
var (
	// ErrProviderAnswer: the provider's answer could not be verified (a
	// wrong issuer, audience, signature, nonce, or a code the token
	// endpoint refused).
	ErrProviderAnswer = &latch.Error{Code: "oauth_answer_invalid", Message: "The sign-in provider's answer could not be verified. Please try again.", Status: http.StatusBadRequest}
	// ErrProviderDenied: the user (or the provider) declined.
	ErrProviderDenied = &latch.Error{Code: "oauth_access_denied", Message: "The sign-in was cancelled at the provider.", Status: http.StatusBadRequest}
	// ErrProviderUnavailable: the provider could not be reached.
	ErrProviderUnavailable = &latch.Error{Code: "oauth_provider_unavailable", Message: "The sign-in provider cannot be reached. Please try again later.", Status: http.StatusBadGateway}
)

func refused(why string, err error) error {
	if err == nil {
		return fmt.Errorf("sso: %s: %w", why, ErrProviderAnswer)
	}
	return fmt.Errorf("sso: %s: %v: %w", why, err, ErrProviderAnswer)
}

func unreachable(err error) error {
	return fmt.Errorf("sso: %v: %w", err, ErrProviderUnavailable)
}

// ctxClient passes the plugin's HTTP client to x/oauth2.
func (p *provider) ctxClient(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.client)
}

func asLatchError(err error) *latch.Error {
	var e *latch.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
