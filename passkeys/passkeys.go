// Package passkeys is Latch's WebAuthn plugin: passkeys as a first factor
// that needs no identifier, and security keys (or passkeys) as a second
// factor.
//
//	auth, err := latch.New(latch.Config{
//		…
//		Plugins: []latch.Plugin{passkeys.New(passkeys.Config{})},
//	})
//
// It adds two strategies to the sign-in flows: "passkey", a first factor
// that names its user (a discoverable credential, with user verification,
// so that one passkey is both factors), and "security_key", a second factor
// that accepts any of the user's WebAuthn credentials and which a user can
// set up in the middle of a sign-in when a policy requires a second factor.
// It also adds the JSON routes to register, list, rename and remove
// credentials (/v1/me/passkeys…), the "Passkeys and security keys" section
// of the account page with its forms, and has the hosted pages load the
// WebAuthn script of the components package.
//
// The ceremonies are checked by github.com/go-webauthn/webauthn: origin,
// RP ID, challenge, signature, user presence and verification. This package
// adds what is the relying party's to decide: challenges are single use and
// kept server-side (Host.NewChallenge), credential IDs are unique across all
// users, a signature counter that does not move forward (on an
// authenticator that keeps one) refuses the assertion, checked by the
// store's conditional write so that of concurrent assertions with the same
// count at most one passes, and
// the user handle of a discoverable assertion must be the credential's
// owner.
//
// A user whom a policy requires to have a second factor cannot remove their
// last one here: removals of one user's credentials take turns on every
// store, but one that races the removal of another kind of second factor
// (an authenticator app, by its own plugin) may still leave the user
// without any.
package passkeys

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchauth/latch"
)

// Strategy names, as the sign-in API takes them.
const (
	StrategyPasskey     = "passkey"
	StrategySecurityKey = "security_key"
)

// Kinds of credential, as storage.Credential.Kind records them.
const (
	// KindPasskey is a discoverable credential created with user
	// verification: it signs in on its own.
	KindPasskey = "passkey"
	// KindSecurityKey is a credential created as a second factor.
	KindSecurityKey = "security_key"
)

// challengeTTL is how long a ceremony may take: long enough for a person
// to find their key, short enough that a leaked challenge is soon useless.
// Host.NewChallenge caps it at five minutes anyway.
const challengeTTL = 5 * time.Minute

// Config configures the plugin. Its zero value suits an application served
// from one origin, Config.BaseURL.
type Config struct {
	// RPID is the relying party ID, the domain credentials are bound to;
	// they work on it and its subdomains. It cannot change without every
	// credential becoming useless. Default: the host name of
	// latch.Config.BaseURL ("app.example.com").
	RPID string
	// RPDisplayName is the name authenticators show beside the account.
	// Default: latch.Config.AppName.
	RPDisplayName string
	// Origins are the origins allowed to run ceremonies, scheme and host
	// (and port): each must be the RP ID or a subdomain of it. Default: the
	// origin of latch.Config.BaseURL.
	Origins []string
}

// Plugin is the WebAuthn plugin; New makes one and latch.Config.Plugins
// lists it.
type Plugin struct {
	cfg Config
	h   *latch.Host
	wa  *webauthn.WebAuthn
}

// New returns the plugin with cfg; defaults are filled in by Register, when
// the kernel's BaseURL is known. A Plugin serves the one Auth it is
// registered with.
func New(cfg Config) *Plugin { return &Plugin{cfg: cfg} }

// Name is "passkeys".
func (p *Plugin) Name() string { return "passkeys" }

// Register checks the configuration and adds the strategies, routes,
// account-page section and script.
func (p *Plugin) Register(h *latch.Host) error {
	p.h = h
	cfg, err := p.cfg.withDefaults(h.BaseURL(), h.AppName())
	if err != nil {
		return err
	}
	p.cfg = cfg
	p.wa, err = webauthn.New(&webauthn.Config{
		RPID:          cfg.RPID,
		RPDisplayName: cfg.RPDisplayName,
		RPOrigins:     cfg.Origins,
		// Nothing here acts on a client extension output, and browsers
		// and password managers are known to report credProps unasked:
		// refusing those would refuse real users for nothing.
		ExtensionsUnsolicitedOutputPolicy: protocol.UnsolicitedOutputPolicyIgnore,
	})
	if err != nil {
		return fmt.Errorf("passkeys: %w", err)
	}
	h.UseWebAuthnScript()
	if err := h.DeclareEvents(events...); err != nil {
		return err
	}
	if err := h.AddStrategy(&passkeyStrategy{p}); err != nil {
		return err
	}
	if err := h.AddStrategy(&securityKeyStrategy{p}); err != nil {
		return err
	}
	for _, r := range p.routes() {
		if err := h.Handle(r); err != nil {
			return err
		}
	}
	if err := h.AddOpenAPI(openAPI); err != nil {
		return err
	}
	h.AddProfileSection(p.profileSection)
	return nil
}

// withDefaults fills in the zero fields from the kernel's configuration
// and checks that every origin may use the RP ID, so that a mistake fails
// New rather than every ceremony.
func (c Config) withDefaults(baseURL, appName string) (Config, error) {
	base, err := url.Parse(baseURL)
	if err != nil || base.Host == "" {
		return c, fmt.Errorf("passkeys: latch.Config.BaseURL %q is not an absolute URL", baseURL)
	}
	if c.RPID == "" {
		c.RPID = base.Hostname()
	}
	if c.RPDisplayName == "" {
		c.RPDisplayName = appName
	}
	if c.RPDisplayName == "" {
		c.RPDisplayName = c.RPID
	}
	if len(c.Origins) == 0 {
		c.Origins = []string{base.Scheme + "://" + base.Host}
	}
	c.Origins = append([]string(nil), c.Origins...)
	for _, o := range c.Origins {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || u.Path != "" || (u.Scheme != "https" && u.Scheme != "http") {
			return c, fmt.Errorf("passkeys: origin %q must be scheme://host[:port]", o)
		}
		if host := u.Hostname(); host != c.RPID && !strings.HasSuffix(host, "."+c.RPID) {
			return c, fmt.Errorf("passkeys: origin %q cannot use RP ID %q: the RP ID must be its host or a parent domain of it", o, c.RPID)
		}
	}
	return c, nil
}

// Errors of this plugin, besides the kernel's.
var (
	// ErrCredentialExists: the authenticator's credential is already
	// registered, to this account or another.
	ErrCredentialExists = &latch.Error{Code: "passkey_exists", Message: "This passkey or security key is already registered.",
		Status: http.StatusUnprocessableEntity, Field: "credential"}
	// ErrLastSecondFactor: removing the credential would leave a user
	// whom a policy requires to have a second factor without one (the
	// kernel's, shared by every plugin).
	ErrLastSecondFactor = latch.ErrLastSecondFactor
	// errNotVerified answers every ceremony that fails its checks with one
	// message, so that the answer tells an attacker nothing about which
	// check failed. It is ErrCodeIncorrect to errors.Is, which the flows
	// count as a failed attempt.
	errNotVerified = latch.ErrCodeIncorrect.WithMessage("This passkey or security key could not be verified. Try again.").WithField("credential")
	// errExpired is ErrCodeExpired, in a passkey's words.
	errExpired = latch.ErrCodeExpired.WithMessage("This request has expired or was already used. Try again.").WithField("credential")
	// errNameInvalid: a name that cannot be shown as one line.
	errNameInvalid = latch.ErrParamInvalid.WithMessage("Names are 1 to 64 characters, on one line.").WithField("name")
)

// isKind reports whether k is a kind of credential.
func isKind(k string) bool { return k == KindPasskey || k == KindSecurityKey }

// asExpired turns the kernel's expired challenge into this package's
// message and keeps other errors.
func asExpired(err error) error {
	if errors.Is(err, latch.ErrCodeExpired) {
		return errExpired
	}
	return err
}
