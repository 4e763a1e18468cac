// Package mfa is Latch's two-step verification plugin: authenticator apps
// (TOTP, RFC 6238), single-use backup codes, and, for users who opt in,
// codes sent by text message or email as a second factor.
//
//	auth, err := latch.New(latch.Config{
//		Store:   db,
//		Plugins: []latch.Plugin{mfa.New(mfa.Config{Policy: mfa.Required})},
//	})
//
// The kernel runs the sign-in: when a user has a second factor, sign-in
// stops at needs_second_factor until one of the strategies this package
// adds verifies. The plugin adds the strategies, a policy saying who must
// have a second factor, JSON routes under /v1/me to manage them, and a
// section of the hosted account page.
package mfa

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/storage"
)

// Policy says who must have a second factor.
type Policy uint8

// Policies. A required second factor is set up during sign-in by a user who
// has none (the kernel asks for an authenticator app before the session
// exists), and the last one cannot be removed.
const (
	// Optional lets each user choose; the zero value.
	Optional Policy = iota
	// Required makes every user have a second factor.
	Required
	// PerUser requires one of the users an administrator marked
	// (storage.User.MFARequired).
	PerUser
)

// Strategy names this package registers. The code strategies share the
// names of the kernel's first factors, as the kernel allows for a
// second-factor use: the name says the channel, the step which use it is.
const (
	// StrategyTOTP is a code from an authenticator app.
	StrategyTOTP = "totp"
	// StrategyBackupCode is one of the user's single-use backup codes.
	StrategyBackupCode = "backup_code"
	// StrategyPhoneCode is a code texted to the primary phone number.
	StrategyPhoneCode = latch.StrategyPhoneCode
	// StrategyEmailCode is a code emailed to the primary address.
	StrategyEmailCode = latch.StrategyEmailCode
)

// Event types this package emits, each with an audit record, when a
// user's second factors change. Data is {"user_id": …, "strategy": …}.
const (
	// EventFactorAdded: a factor was set up or turned on.
	EventFactorAdded = "mfa.factor_added"
	// EventFactorRemoved: a factor was removed or turned off.
	EventFactorRemoved = "mfa.factor_removed"
	// EventBackupCodesRegenerated: a new set of backup codes replaced the
	// old one.
	EventBackupCodesRegenerated = "mfa.backup_codes_regenerated"
)

// Errors of this package, answered like the kernel's own.
var (
	// ErrLastSecondFactor refuses to remove the last second factor of a
	// user whom a policy requires to have one: the kernel's, shared by
	// every plugin.
	ErrLastSecondFactor = latch.ErrLastSecondFactor
	// ErrTOTPExists refuses to set up an authenticator app over the one
	// already set up: removing it first is a deliberate, separate step.
	ErrTOTPExists = &latch.Error{Code: "totp_already_enabled", Status: http.StatusConflict,
		Message: "An authenticator app is already set up. Remove it before setting up another."}
	// ErrNeedsAnotherFactor refuses backup codes to a user with no other
	// second factor: they recover access to one, they do not replace it.
	ErrNeedsAnotherFactor = &latch.Error{Code: "second_factor_missing", Status: http.StatusUnprocessableEntity,
		Message: "Set up an authenticator app or another second factor first."}
	// ErrIdentifierMissing refuses to turn on codes by text or email for a
	// user without a verified primary phone number or email address.
	ErrIdentifierMissing = &latch.Error{Code: "identifier_not_verified", Status: http.StatusUnprocessableEntity,
		Message: "Add and verify a primary phone number or email address first."}
)

// Config configures the plugin. The zero value offers authenticator apps
// and backup codes to whoever wants them.
type Config struct {
	// Issuer names the account in authenticator apps (the otpauth issuer).
	// Default: latch.Config.AppName.
	Issuer string
	// Policy says who must have a second factor. Default Optional.
	Policy Policy
	// BackupCodes is how many codes a set of backup codes holds. Default
	// 10; at most 100.
	BackupCodes int
	// SMSCode offers a code texted to the primary phone number as a second
	// factor, to users who turn it on. Default off: text messages can be
	// redirected (SIM swap), so NIST SP 800-63B calls them restricted.
	SMSCode bool
	// EmailCode offers a code emailed to the primary address as a second
	// factor, to users who turn it on. Default off. It is refused after a
	// first factor that already proved that mailbox (an email code or
	// link, a password reset): the same inbox twice is one factor.
	EmailCode bool
}

// Fixed TOTP parameters: what every authenticator app supports.
const (
	totpDigits = 6
	totpPeriod = 30 // seconds
	totpSkew   = 1  // steps accepted either side of now
)

const (
	defaultBackupCodes = 10
	maxBackupCodes     = 100
)

// Plugin is the MFA plugin. Make it with New and list it in
// latch.Config.Plugins; one Plugin serves one Auth.
type Plugin struct {
	cfg    Config
	h      *latch.Host
	totp   *TOTP
	backup *BackupCodes
	phone  *CodeFactor // nil unless Config.SMSCode
	email  *CodeFactor // nil unless Config.EmailCode
}

// New returns the plugin configured by cfg. Defaults are applied, and cfg
// checked, when the kernel registers it.
func New(cfg Config) *Plugin {
	p := &Plugin{cfg: cfg}
	p.totp = &TOTP{p: p}
	p.backup = &BackupCodes{p: p}
	if cfg.SMSCode {
		p.phone = &CodeFactor{p: p, channel: storage.KindPhoneNumber}
	}
	if cfg.EmailCode {
		p.email = &CodeFactor{p: p, channel: storage.KindEmailAddress}
	}
	return p
}

// Name implements latch.Plugin.
func (p *Plugin) Name() string { return "mfa" }

// TOTP returns the authenticator-app strategy.
func (p *Plugin) TOTP() *TOTP { return p.totp }

// BackupCodes returns the backup-code strategy.
func (p *Plugin) BackupCodes() *BackupCodes { return p.backup }

// Register implements latch.Plugin: it adds the strategies, the policy,
// the routes and the account-page section.
func (p *Plugin) Register(h *latch.Host) error {
	if p.h != nil {
		// The strategies keep h: a second Auth would silently use the
		// first one's store and keys.
		return errors.New("this mfa.Plugin is already registered with another Auth; call mfa.New for each")
	}
	switch {
	case p.cfg.BackupCodes == 0:
		p.cfg.BackupCodes = defaultBackupCodes
	case p.cfg.BackupCodes < 1 || p.cfg.BackupCodes > maxBackupCodes:
		return fmt.Errorf("Config.BackupCodes is %d; it must be between 1 and %d", p.cfg.BackupCodes, maxBackupCodes)
	}
	if p.cfg.Policy > PerUser {
		return fmt.Errorf("Config.Policy %d: use Optional, Required or PerUser", p.cfg.Policy)
	}
	if p.cfg.Issuer == "" {
		p.cfg.Issuer = h.AppName()
	}
	p.h = h
	if err := h.DeclareEvents(events...); err != nil {
		return err
	}
	// Registration order is the order sign-in offers them: the app first,
	// backup codes last, as the fallback they are.
	strategies := []latch.Strategy{p.totp}
	if p.phone != nil {
		strategies = append(strategies, p.phone)
	}
	if p.email != nil {
		strategies = append(strategies, p.email)
	}
	strategies = append(strategies, p.backup)
	for _, s := range strategies {
		if err := h.AddStrategy(s); err != nil {
			return err
		}
	}
	switch p.cfg.Policy {
	case Required:
		h.RequireSecondFactor(func(context.Context, *storage.User) (bool, error) { return true, nil })
	case PerUser:
		h.RequireSecondFactor(func(_ context.Context, u *storage.User) (bool, error) { return u.MFARequired, nil })
	}
	for _, r := range p.routes() {
		if err := h.Handle(r); err != nil {
			return err
		}
	}
	if err := h.AddScript(latch.Script{Path: "/v1/mfa/backup-codes.js", Content: []byte(components.BackupCodesScript())}); err != nil {
		return err
	}
	doc, err := p.openAPIFragment()
	if err != nil {
		return err
	}
	if err := h.AddOpenAPI(doc); err != nil {
		return err
	}
	h.AddProfileSection(p.profileSection)
	return nil
}

// host returns the kernel's Host, failing clearly when the plugin is used
// before latch.New registered it.
func (p *Plugin) host() *latch.Host {
	if p.h == nil {
		panic("mfa: the plugin is used before latch.New registered it")
	}
	return p.h
}

// locale is the string table for at's language: the request's (with the
// application's overrides) when there is one.
func (p *Plugin) locale(at *latch.Attempt) components.Locale {
	if at.Request != nil {
		return p.host().Locale(at.Request)
	}
	if at.Locale == "fr" {
		return components.French
	}
	return components.English
}

// notify sends a security notification. It runs after the change has been
// made: a notification that cannot be queued must not undo it or report
// it as failed, and the kernel logs failed deliveries itself.
func (p *Plugin) notify(ctx context.Context, at *latch.Attempt, kind latch.MessageKind, factor string) {
	_ = p.host().Notify(ctx, at.UserID, kind, at.Locale, latch.MessageData{Factor: factor})
}

// factorEvent is the data of this package's events.
type factorEvent struct {
	UserID   string `json:"user_id"`
	Strategy string `json:"strategy"`
}

// storageErr maps the storage errors a caller can cause to the kernel's
// errors; anything else stays as it is, and the kernel answers it as
// unavailable (keeping it for the logs).
func storageErr(err error) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return latch.ErrNotFound
	case errors.Is(err, storage.ErrStale), errors.Is(err, storage.ErrConflict):
		return latch.ErrConflict
	}
	return err
}

// text is the string key of the components' table in at's language.
func (p *Plugin) text(at *latch.Attempt, key string, args ...any) string {
	return components.T(p.locale(at), key, args...)
}
