package latch

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch/botcheck"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/sms"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/token"
)

// Config configures an [Auth]. Every field but Store has a zero value that
// works in development; New validates the whole struct once and reports
// every problem it finds.
type Config struct {
	// Store holds every record. Required: the application owns its
	// database, so Latch never picks one silently (an in-memory default
	// would lose every account at the first restart). Use
	// sqlitestore.Open for a single machine, pgstore.New for several, and
	// memstore.New in tests.
	Store storage.Store

	// BaseURL is the public origin of the application, e.g.
	// "https://app.example.com". Every link Latch sends (magic links,
	// verification and reset links) is built from it and never from the
	// request's Host or X-Forwarded-* headers, which an attacker controls.
	// Default "http://localhost:8080".
	BaseURL string

	// AppName is shown in emails and pages. Default "Latch".
	AppName string

	// Clock returns the current time. Default time.Now. Tests pass a fake
	// clock (latchtest does) so that expiry is exact.
	Clock func() time.Time

	// Rand is the source of every secret, code and ID. Default
	// crypto/rand.Reader. Only tests should set it.
	Rand io.Reader

	// Logger receives operational logs (never secrets). Default
	// slog.Default().
	Logger *slog.Logger

	// Secrets seal the client cookie and encrypt the token-signing keys at
	// rest. Each is at least 32 random bytes: generate one with
	// `openssl rand -base64 32` and decode it with ParseSecrets. The first
	// one seals; all of them open. To rotate across several instances
	// without signing anybody out, deploy the new secret second, then first,
	// and remove the old one once no cookie sealed with it can be alive
	// (Session.MaxLifetime). Load them from your secret manager, never from
	// the database Latch writes to.
	//
	// Default: SecretsFile when set; otherwise, when BaseURL is
	// http://localhost (development), one random secret per process, with a
	// warning — every restart signs everybody out. Required otherwise.
	Secrets [][]byte

	// SecretsFile names a file holding the secrets, one base64 line each as
	// `openssl rand -base64 32` prints it, first one sealing. When BaseURL is
	// http://localhost and the file does not exist, it is created (mode
	// 0600) with a fresh secret, so a development setup keeps its sessions
	// across restarts with one line: SecretsFile: "app.db.secrets". Elsewhere
	// a missing file is an error. Ignored when Secrets is set.
	SecretsFile string

	// Session configures sessions and their tokens.
	Session SessionConfig

	// SignUp says what sign-up asks for.
	SignUp SignUpConfig

	// SignIn says which first factors sign-in offers.
	SignIn SignInConfig

	// Password configures password hashing and the password policy.
	Password PasswordConfig

	// Mailer sends email: codes, links, security notifications. Default:
	// mail.Console, which prints messages to standard error (development).
	Mailer mail.Sender

	// SMS sends text messages. Default: sms.Console (development).
	SMS sms.Sender

	// Messages overrides the subject and bodies of emails and texts, by
	// message kind (see MessageKind) and, with MessageTemplate.Locales, by
	// language.
	Messages map[MessageKind]MessageTemplate

	// Protection configures rate limits, lockout, bot checks and sign-up
	// screening; on by default.
	Protection ProtectionConfig

	// UI configures the hosted pages and component props: appearance,
	// strings, logo, legal links.
	UI UIConfig

	// Plugins add features: mfa.New (authenticator apps, backup codes, codes
	// as second factors), passkeys.New, and others. Registered in order.
	Plugins []Plugin

	// Events tunes durable event consumers: polling, retries, leases.
	Events EventsConfig

	// Janitor configures the deletion of expired flows and verifications.
	Janitor JanitorConfig
}

// Requirement says whether sign-up asks for a field. The zero value means
// the field's documented default.
type Requirement uint8

// Requirements.
const (
	RequirementDefault Requirement = iota
	Off
	Optional
	Required
)

// SignUpConfig says what sign-up asks for.
type SignUpConfig struct {
	EmailAddress Requirement // default Required
	PhoneNumber  Requirement // default Off
	Username     Requirement // default Off
	Password     Requirement // default Required
	Names        Requirement // first and last name; default Off
	// LegalConsent requires accepting the terms (legal_accepted) to sign up.
	LegalConsent bool
	// EmailVerification is how a new address is verified: "code" (the
	// default, a 6-digit code) or "link".
	EmailVerification string
	// Mode is who may sign up: SignUpPublic (the default), SignUpRestricted
	// (only with an invitation from CreateInvitation) or SignUpWaitlist
	// (people join a waitlist; ApproveWaitlistEntry invites them).
	Mode string
}

// SignInConfig says how people sign in.
type SignInConfig struct {
	// FirstFactors lists the first-factor strategies offered. Default:
	// password, email_code, email_link, the two reset_password_email_*
	// strategies, and phone_code when sign-up collects phone numbers.
	FirstFactors []string

	// CrossDeviceLinks lets an emailed sign-in link or sign-up
	// verification link, opened in another browser than the one that
	// asked for it, finish the sign-in or sign-up in the browser that
	// asked, once the person who opened it ticks a confirmation on a page
	// naming the asking device (browser, system, IP address, time); the
	// mail names that device too. Turn it on when people ask for links on
	// one device and read mail on another (a desktop app, a kiosk, a
	// native app whose links open in the system browser).
	//
	// It gives up a protection. With it off (the default) a link completes
	// only in the browser that asked for it; opened anywhere else it says
	// where the request came from and offers to continue in the browser
	// that opened it, so someone who asks for a link to your address and
	// waits gets nothing even if you open it. With it on, that person is
	// signed in if you confirm without reading which device you approve.
	// Password-reset links are never affected: the browser that opens one
	// sets the new password, and the one that asked learns nothing.
	CrossDeviceLinks bool

	// Linking says when an identity proved at an outside provider (a
	// social or enterprise sign-in) is linked to an existing user with
	// the same email address. Default LinkVerifiedEmail: only when the
	// provider and the user both verified it.
	Linking LinkPolicy
}

// PasswordConfig configures passwords.
type PasswordConfig struct {
	// Hasher configures hashing; the zero value is argon2id with OWASP's
	// parameters.
	Hasher password.Config
	// Policy is what a new password must satisfy; the zero value is
	// NIST 800-63B (8 to 256 characters, no composition rules, common
	// passwords refused). Set Policy.MinLength to 15 where a password is
	// the only factor (NIST 800-63B rev 4).
	Policy password.Policy
}

// SessionConfig configures sessions, session tokens and their cookies. The
// zero value is the recommended setting.
type SessionConfig struct {
	// TokenLifetime is how long a session token (JWT) is valid: the longest
	// a revoked session, banned user or removed role can still act on an
	// instance that has not heard of it (strict mode shortens that to about
	// a second). Default 60 s; 10 s to 10 min.
	TokenLifetime time.Duration

	// MaxLifetime ends every session this long after sign-in, whatever its
	// activity. Default 7 days; 5 minutes to 10 years.
	MaxLifetime time.Duration

	// InactivityTimeout ends a session when no token was refreshed for this
	// long. Default 0: no inactivity timeout. At least 5 minutes when set.
	InactivityTimeout time.Duration

	// Leeway is the clock skew tolerated when checking token times.
	// Default 5 s; at most 60 s.
	Leeway time.Duration

	// AuthorizedParties lists the origins whose pages may use session
	// tokens (the azp claim) and post to Latch's routes from another
	// origin. Default: the origin of BaseURL only.
	AuthorizedParties []string

	// Algorithm signs session tokens: token.EdDSA (default) or token.ES256.
	Algorithm token.Algorithm

	// MultiSession lets several accounts be signed in on one browser at
	// once, switching between them. Default false: signing in ends the
	// browser's other sessions.
	MultiSession bool

	// SameSiteStrict sends the cookies only on same-site navigation.
	// Default false (SameSite=Lax), so that links from email and other
	// sites arrive signed in.
	SameSiteStrict bool

	// SignInURL is where Protect sends signed-out visitors of pages.
	// Default "/sign-in".
	SignInURL string

	// SignUpURL is the hosted sign-up page. Default "/sign-up".
	SignUpURL string

	// ProfileURL is the hosted account page. Default "/user".
	ProfileURL string

	// ReverifyURL is where pages needing a recently verified factor send
	// the user to verify one again (Protect with Reverified). Default
	// "/reverify".
	ReverifyURL string

	// Claims adds custom claims to every session token. It runs at each
	// refresh (about once per TokenLifetime per active user), so it should
	// be fast. Keys that name a registered claim are rejected.
	Claims func(ctx context.Context, s *storage.Session) (map[string]any, error)

	// Broadcaster, when set, turns on strict mode: revocations are sent to
	// every instance and take effect there within about a second instead of
	// at the next refresh. pgstore's Store and redisbroadcast implement it.
	// New then starts one goroutine that listens until Close.
	Broadcaster Broadcaster

	// Templates are the JWT templates served for other services; see
	// JWTTemplate.
	Templates []JWTTemplate
}

func (c *Config) secretDefaults() []error {
	u, _ := url.Parse(c.BaseURL)
	dev := u != nil && u.Scheme == "http" && isLoopbackHost(u.Hostname())
	if len(c.Secrets) == 0 && c.SecretsFile != "" {
		s, created, err := loadSecretsFile(c.SecretsFile, dev, c.Rand)
		if err != nil {
			return []error{err}
		}
		if created {
			c.Logger.Info("latch: created a development secret; keep the file out of version control", "file", c.SecretsFile)
		}
		c.Secrets = s
	}
	if len(c.Secrets) == 0 {
		if !dev {
			return []error{fmt.Errorf("Config.Secrets is required because BaseURL %q is not http://localhost: "+
				"generate a secret with `openssl rand -base64 32`, keep it in your secret manager, and pass it as "+
				"Secrets (latch.ParseSecrets(os.Getenv(\"LATCH_SECRETS\")) decodes it) or name the file holding it in SecretsFile", c.BaseURL)}
		}
		text, err := newSecretText(c.Rand)
		if err != nil {
			return []error{fmt.Errorf("generating a development secret: %w", err)}
		}
		c.Logger.Warn("latch: no Config.Secrets set; using a random development secret, so restarting signs everybody out. " +
			`Set SecretsFile: "app.db.secrets" to keep one across restarts`)
		c.Secrets, _ = ParseSecrets(text)
	}
	for i, s := range c.Secrets {
		if len(s) < minSecretLength {
			return []error{fmt.Errorf("Config.Secrets[%d] is %d bytes; at least %d are required: generate one with `openssl rand -base64 32` and decode it with latch.ParseSecrets", i, len(s), minSecretLength)}
		}
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Bounds of SessionConfig.
const (
	defaultTokenLifetime = 60 * time.Second
	minTokenLifetime     = 10 * time.Second
	maxTokenLifetime     = 10 * time.Minute
	defaultMaxLifetime   = 7 * 24 * time.Hour
	minMaxLifetime       = 5 * time.Minute
	maxMaxLifetime       = 10 * 365 * 24 * time.Hour
	minInactivity        = 5 * time.Minute
	defaultLeeway        = 5 * time.Second
	maxLeeway            = 60 * time.Second
)

func (s *SessionConfig) withDefaults(baseURL string) []error {
	var errs []error
	between := func(name string, v *time.Duration, def, lo, hi time.Duration) {
		switch {
		case *v == 0:
			*v = def
		case *v < lo || *v > hi:
			errs = append(errs, fmt.Errorf("Config.Session.%s is %v; it must be between %v and %v", name, *v, lo, hi))
		}
	}
	between("TokenLifetime", &s.TokenLifetime, defaultTokenLifetime, minTokenLifetime, maxTokenLifetime)
	between("MaxLifetime", &s.MaxLifetime, defaultMaxLifetime, minMaxLifetime, maxMaxLifetime)
	between("Leeway", &s.Leeway, defaultLeeway, time.Nanosecond, maxLeeway)
	if s.InactivityTimeout != 0 && s.InactivityTimeout < minInactivity {
		errs = append(errs, fmt.Errorf("Config.Session.InactivityTimeout must be 0 or at least %v", minInactivity))
	}
	if s.Algorithm == "" {
		s.Algorithm = token.EdDSA
	} else if s.Algorithm != token.EdDSA && s.Algorithm != token.ES256 {
		errs = append(errs, fmt.Errorf("Config.Session.Algorithm %q: only EdDSA and ES256 are allowed", s.Algorithm))
	}
	if len(s.AuthorizedParties) == 0 {
		if u, err := url.Parse(baseURL); err == nil {
			s.AuthorizedParties = []string{u.Scheme + "://" + u.Host}
		}
	}
	for _, o := range s.AuthorizedParties {
		if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || u.User != nil {
			errs = append(errs, fmt.Errorf("Config.Session.AuthorizedParties: %q is not an origin like https://app.example.com", o))
		}
	}
	if s.SignInURL == "" {
		s.SignInURL = "/sign-in"
	}
	if s.SignUpURL == "" {
		s.SignUpURL = "/sign-up"
	}
	if s.ProfileURL == "" {
		s.ProfileURL = "/user"
	}
	if s.ReverifyURL == "" {
		s.ReverifyURL = "/reverify"
	}
	seen := map[string]bool{}
	for _, t := range s.Templates {
		if seen[t.Name] {
			errs = append(errs, fmt.Errorf("Config.Session.Templates: %q defined twice", t.Name))
		}
		seen[t.Name] = true
		if err := t.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (s *SignUpConfig) withDefaults() []error {
	def := func(r *Requirement, d Requirement) {
		if *r == RequirementDefault {
			*r = d
		}
	}
	def(&s.EmailAddress, Required)
	def(&s.PhoneNumber, Off)
	def(&s.Username, Off)
	def(&s.Password, Required)
	def(&s.Names, Off)
	if s.EmailVerification == "" {
		s.EmailVerification = "code"
	}
	if s.Mode == "" {
		s.Mode = SignUpPublic
	}
	var errs []error
	if s.Mode != SignUpPublic && s.Mode != SignUpRestricted && s.Mode != SignUpWaitlist {
		errs = append(errs, fmt.Errorf("Config.SignUp.Mode %q: use SignUpPublic, SignUpRestricted or SignUpWaitlist", s.Mode))
	}
	if s.EmailVerification != "code" && s.EmailVerification != "link" {
		errs = append(errs, fmt.Errorf("Config.SignUp.EmailVerification %q: use \"code\" or \"link\"", s.EmailVerification))
	}
	if s.EmailAddress == Off && s.PhoneNumber == Off && s.Username == Off {
		errs = append(errs, errors.New("Config.SignUp: at least one identifier (email, phone or username) must be collected"))
	}
	if s.Username == Required && s.EmailAddress == Off && s.PhoneNumber == Off && s.Password == Off {
		errs = append(errs, errors.New("Config.SignUp: a username-only sign-up needs a password"))
	}
	return errs
}

func (s *SignInConfig) withDefaults(up SignUpConfig) {
	if s.FirstFactors != nil {
		return
	}
	s.FirstFactors = []string{StrategyPassword, StrategyEmailCode, StrategyEmailLink, StrategyResetPasswordEmailCode, StrategyResetPasswordEmailLink}
	if up.PhoneNumber != Off {
		s.FirstFactors = append(s.FirstFactors, StrategyPhoneCode)
	}
}

// withDefaults returns a copy of c with defaults filled in, or every
// problem found.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Config.Store is required: use sqlitestore.Open, pgstore.New or memstore.New"))
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://localhost:8080"
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("Config.BaseURL %q must be an absolute http(s) URL without credentials, query or fragment", c.BaseURL))
	} else {
		c.BaseURL = strings.TrimSuffix(u.String(), "/")
	}
	if c.AppName == "" {
		c.AppName = "Latch"
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	errs = append(errs, c.secretDefaults()...)
	errs = append(errs, c.SignUp.withDefaults()...)
	c.SignIn.withDefaults(c.SignUp)
	if c.Mailer == nil {
		c.Mailer = &mail.Console{}
	}
	if c.SMS == nil {
		c.SMS = &sms.Console{}
	}
	c.Protection.Limits.withDefaults()
	c.Protection.CodeGuesses.withDefaults()
	if c.Protection.Limiter == nil {
		c.Protection.Limiter = ratelimit.NewMemory(ratelimit.MemoryConfig{Clock: c.Clock})
	}
	if c.Protection.Bot.Difficulty == 0 {
		c.Protection.Bot.Difficulty = botcheck.DefaultDifficulty
	}
	errs = append(errs, c.Session.withDefaults(c.BaseURL)...)
	errs = append(errs, c.Events.withDefaults()...)
	errs = append(errs, c.Janitor.withDefaults()...)
	if len(errs) > 0 {
		return c, fmt.Errorf("latch: invalid Config: %w", errors.Join(errs...))
	}
	return c, nil
}
