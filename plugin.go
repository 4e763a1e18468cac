package latch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/storage"
)

// Plugin adds one feature to an Auth: strategies (ways to prove an
// identity), routes, sections of the account page. Plugins are listed in
// Config.Plugins; New calls Register on each, in order, once.
type Plugin interface {
	// Name identifies the plugin in errors ("mfa", "passkeys").
	Name() string
	// Register wires the plugin in through h. An error fails New.
	Register(h *Host) error
}

// FactorKind says at which step of a sign-in a strategy may be used.
type FactorKind uint8

// Factor kinds; a strategy may be both.
const (
	FirstFactor FactorKind = 1 << iota
	SecondFactor
)

// Inputs a strategy's proof takes, which tell the pages what to show and
// the state machines when a proof arrives: the pages render any strategy,
// a plugin's included, from its Input alone.
const (
	InputCode     = "code"     // a short code typed by the user, after Prepare sent or showed it
	InputWebAuthn = "webauthn" // a WebAuthn ceremony run by the shipped script
	InputPassword = "password" // a password typed with the identifier; no Prepare
	InputLink     = "link"     // a link Prepare sent: the page waits while it is opened
	InputTicket   = "ticket"   // a single-use token handed to the user; no Prepare, never listed
	InputRedirect = "redirect" // a Redirector: the browser leaves for another site and comes back
)

// StrategyInfo describes a strategy.
type StrategyInfo struct {
	// Name is the strategy's name in the API ("totp", "backup_code",
	// "passkey").
	Name string
	// Kind says where the strategy may be used.
	Kind FactorKind
	// Input is InputCode or InputWebAuthn.
	Input string
	// PhishingResistant marks strategies bound to the origin (WebAuthn):
	// sessions they create say so in their amr, and policies may require
	// them (NIST SP 800-63B-4 §3.2.5).
	PhishingResistant bool
	// Label is the key of the strategy's name in the components' string
	// table ("strategy.totp").
	Label string
	// Recovery marks a factor that only stands in for the others (backup
	// codes): it never counts as the one a user keeps when a policy
	// requires a second factor.
	Recovery bool
	// Identifiers, for a first factor, lists the kinds of identifier
	// ("email_address", "phone_number", "username") it is offered for;
	// nil offers it whatever the sign-in names, and before it names
	// anything (a passkey, a social provider: the proof names the user).
	Identifiers []string
	// ResetsPassword marks a first factor that proves access to an
	// address in order to choose a new password: the pages offer it
	// behind "Forgot password?", and a sign-in it passes asks for the new
	// password before going on.
	ResetsPassword bool
	// Resendable says the pages may offer to send its code again
	// (Prepare once more).
	Resendable bool
	// Icon is an SVG document the pages show on the strategy's button (a
	// social provider's logo); "" shows the label alone.
	Icon string
}

// Strategy is one way to prove an identity, added by a plugin. Prepare
// starts an attempt (sends a code, issues a challenge) and Verify checks
// its proof. The kernel's state machines call them; they never create
// sessions themselves.
type Strategy interface {
	Info() StrategyInfo
	// Enrolled reports whether the user has set the strategy up, so that
	// it may be offered as their second factor.
	Enrolled(ctx context.Context, userID string) (bool, error)
	// Prepare starts an attempt and returns what the client needs to
	// answer it (WebAuthn options), or nil. It may keep state for Verify
	// in at.State; the kernel stores it server-side with the flow.
	Prepare(ctx context.Context, at *Attempt) (json.RawMessage, error)
	// Verify checks p. A wrong answer is an *Error (ErrCodeIncorrect…);
	// it must consume what is single-use (a TOTP step, a backup code, a
	// challenge) so that of concurrent attempts with the same proof at most
	// one succeeds.
	Verify(ctx context.Context, at *Attempt, p AttemptParams) (*Proof, error)
}

// Enroller is a Strategy a user can set up in the middle of a sign-in, when
// a second factor is required and they have none (an authenticator app,
// say). Begin returns what the user needs (a QR code, WebAuthn creation
// options); Finish checks the first proof and completes the set-up.
type Enroller interface {
	Strategy
	BeginEnrollment(ctx context.Context, at *Attempt) (json.RawMessage, error)
	FinishEnrollment(ctx context.Context, at *Attempt, p AttemptParams) (*Proof, error)
}

// Offerer is a Strategy that is not offered after some first factors: a
// code to the mailbox an emailed code just proved is no second factor.
// Offered receives the first factor's methods (Attempt.AMR).
type Offerer interface {
	Strategy
	Offered(amr []string) bool
}

// Purposes of an Attempt.
const (
	PurposeSignIn         = "sign_in"
	PurposeReverification = "reverification"
	PurposeEnrollment     = "enrollment"
)

// Attempt is the context of one use of a strategy.
type Attempt struct {
	// Purpose is one of the Purpose constants.
	Purpose string
	// FlowID binds challenges to the flow that asked for them.
	FlowID string
	// UserID is who is proving their identity; "" for a first factor that
	// names the user itself (a discoverable passkey).
	UserID string
	// AMR lists the methods the sign-in has verified so far (RFC 8176:
	// "pwd", "otp" for an emailed code or link, "sms", …), so that a second
	// factor can refuse to repeat the first ("" outside sign-ins).
	AMR []string
	// Locale is the language of messages sent.
	Locale string
	// Request is the HTTP request being served (for the origin).
	Request *http.Request
	// State is the strategy's own memory between Prepare (or
	// BeginEnrollment) and Verify (or FinishEnrollment); the kernel keeps
	// it with the flow, never in the browser.
	State json.RawMessage
	// Identifier and IdentifierKind are what the sign-in named, as
	// normalised ("" before it names anything). UserID is set only when
	// it names a user; a first factor must behave the same either way, so
	// that its answer reveals nothing about the account.
	Identifier, IdentifierKind string
	// Attempts counts the wrong answers to this strategy in the flow.
	Attempts int
	// RedirectURL is where the browser goes when the flow completes.
	RedirectURL string
	// ExpiresAt may be set by Prepare: when what it sent stops working.
	ExpiresAt time.Time
	// CallbackURL and CallbackState are set for a Redirector's Prepare:
	// the kernel's callback route of this strategy (the redirect_uri) and
	// the single-use value to send out as the state (or RelayState) that
	// the provider hands back. The kernel keeps it server-side, bound to
	// the flow and so to the browser that started it.
	CallbackURL, CallbackState string
	// ExternalURL is set by a Redirector's Prepare: where the browser is
	// sent to prove its identity.
	ExternalURL string

	// sign is the sign-in's own state, for the kernel's strategies.
	sign *signInState
}

// Proof is what a verified strategy established.
type Proof struct {
	// UserID is the user proven; strategies that know the user only from
	// the proof (passkeys) must set it, others may leave it "".
	UserID string
	// AMR lists the methods used (RFC 8176: "otp", "hwk", "swk", "user",
	// "pin", "sms").
	AMR []string
	// MultiFactor says the proof alone is two factors (a passkey with user
	// verification): a sign-in it completes needs no second factor.
	MultiFactor bool
	// BackupCodes are recovery codes made with a factor set up in the
	// middle of a sign-in: the kernel shows them once, in the answer that
	// completes it, and keeps them nowhere.
	BackupCodes []string `json:"-"`
	// Identity is the account at an outside provider the proof
	// established. With no UserID, the kernel signs in its owner, links it
	// to an existing user under SignInConfig.Linking, or continues as a
	// sign-up (see Identity).
	Identity *Identity `json:",omitempty"`
	// SetPassword says the proof lets the user choose a new password
	// (StrategyInfo.ResetsPassword): the sign-in asks for it next.
	SetPassword bool `json:",omitempty"`
}

// ProfileSection renders a plugin's section of the account page for the
// signed-in session s; nil shows nothing.
type ProfileSection func(r *http.Request, s *Session) (templ.Component, error)

// SecondFactorPolicy reports whether a user must have a second factor.
type SecondFactorPolicy func(ctx context.Context, u *storage.User) (bool, error)

// Host is the part of the kernel a plugin reaches: storage, time,
// randomness, messages, events, encryption at rest, and registration of
// strategies, routes (host_routes.go), session-token claims
// (host_claims.go), OpenAPI fragments (host_openapi.go) and account-page
// sections. A plugin gets it in Register and may keep it.
type Host struct {
	a *Auth
}

// plugins is what the registered plugins added to the kernel.
type plugins struct {
	reg      strategies
	routes   []route
	sections []ProfileSection
	tabs     []profileTab // panes of the account page (pages_profile.go)
	policies []SecondFactorPolicy

	// Routes and the OpenAPI document (host_*.go).
	patterns     *http.ServeMux // every route so far, to refuse a conflicting one
	fragments    []openAPIFragment
	openAPINames map[string]bool // the kernel's and the fragments' paths and components
	openAPI      []byte          // the served document, assembled in New

	// Claims contributors (host_claims.go).
	claims     []*claimsContributor
	claimNames map[string]*claimsContributor // lower-cased name → who declared it
	// claimsReported holds the claims left out of tokens that have been
	// logged, so that each is logged once.
	claimsReported sync.Map
}

func (a *Auth) registerPlugins() error {
	if err := a.registerBuiltins(); err != nil {
		return err
	}
	h := &Host{a: a}
	for _, p := range a.cfg.Plugins {
		if err := p.Register(h); err != nil {
			return fmt.Errorf("latch: plugin %s: %w", p.Name(), err)
		}
	}
	return a.assembleOpenAPI()
}

// AddStrategy makes s available to the sign-in and reverification flows.
// The kernel's own first factors are registered before any plugin's, and
// a plugin cannot replace one.
func (h *Host) AddStrategy(s Strategy) error { return h.a.plugins.reg.add(s, false) }

// AddProfileSection adds a section to the hosted account page.
func (h *Host) AddProfileSection(s ProfileSection) {
	h.a.plugins.sections = append(h.a.plugins.sections, s)
}

// RequireSecondFactor adds a policy: when any policy says a user must have
// a second factor and they have none, sign-in walks them through setting
// one up before it completes, and their last factor cannot be removed.
func (h *Host) RequireSecondFactor(p SecondFactorPolicy) {
	h.a.plugins.policies = append(h.a.plugins.policies, p)
}

// UseWebAuthnScript makes the hosted pages load the WebAuthn script
// shipped in components, which Handler always serves (AddScript is the way
// for a plugin's own scripts).
func (h *Host) UseWebAuthnScript() { h.a.reg.loadScript(webAuthnScriptPath) }

// Logger returns Config.Logger, for operational logs (never secrets).
func (h *Host) Logger() *slog.Logger { return h.a.cfg.Logger }

// Store returns the store.
func (h *Host) Store() storage.Store { return h.a.store }

// Now returns the current time at the precision every adapter stores.
func (h *Host) Now() time.Time { return h.a.now() }

// Rand returns the source of randomness for secrets.
func (h *Host) Rand() io.Reader { return h.a.cfg.Rand }

// BaseURL returns Config.BaseURL.
func (h *Host) BaseURL() string { return h.a.cfg.BaseURL }

// AppName returns Config.AppName.
func (h *Host) AppName() string { return h.a.cfg.AppName }

// NewID returns a fresh time-sortable ID with prefix ("totp", "cred").
func (h *Host) NewID(prefix string) (string, error) { return h.a.newID(prefix) }

// Seal encrypts plaintext at rest under the first of Config.Secrets, for
// purpose (which binds the ciphertext to its use), and returns it with the
// ID of the secret, to store beside it so that the secrets can rotate.
func (h *Host) Seal(purpose string, plaintext []byte) (ciphertext []byte, keyID string, err error) {
	return h.a.secrets.seal(h.a.cfg.Rand, purpose, plaintext)
}

// Open decrypts what Seal returned, with the secret keyID names.
func (h *Host) Open(purpose, keyID string, ciphertext []byte) ([]byte, error) {
	return h.a.secrets.open(purpose, keyID, ciphertext)
}

// Tx is a write transaction of a plugin: its store and the events it emits,
// written in the same transaction and dispatched after commit.
type Tx struct {
	storage.Querier
	t *tx
}

// Emit records an event about userID (and its audit record).
func (t *Tx) Emit(ctx context.Context, typ, userID string, data any) error {
	return t.t.emit(ctx, typ, data, auditInfo{UserID: userID})
}

// InTx runs fn in a write transaction. Errors that are not *Error reach the
// caller as ErrUnavailable.
func (h *Host) InTx(ctx context.Context, fn func(t *Tx) error) error {
	return h.a.inTx(ctx, func(t *tx) error { return fn(&Tx{Querier: t, t: t}) })
}

// Notify sends a security notification of kind to every verified email
// address of the user (failing any, their primary phone number), with
// data. It does not wait for the delivery.
func (h *Host) Notify(ctx context.Context, userID string, kind MessageKind, locale string, data MessageData) error {
	return h.a.notifyUser(ctx, userID, kind, locale, data)
}

// SendCode sends a one-time code for at to the user's primary email
// address (channel storage.KindEmailAddress) or phone number
// (storage.KindPhoneNumber) and returns the ID of its verification, which
// CheckCode redeems. ErrStrategyNotAllowed when the user has no such
// address.
func (h *Host) SendCode(ctx context.Context, at *Attempt, channel storage.IdentifierKind) (string, error) {
	return h.a.sendFactorCode(ctx, at, channel)
}

// CheckCode counts an attempt at a code SendCode sent and consumes it when
// it is right: ErrCodeIncorrect, ErrCodeExpired or nil. A strategy need not
// bound guesses itself: the kernel runs Verify of every second factor whose
// Input is InputCode under the account's budget of wrong codes for that
// strategy's channel (Config.Protection.CodeGuesses), across sign-ins.
func (h *Host) CheckCode(ctx context.Context, verificationID, code string) error {
	_, err := h.a.checkCode(ctx, verificationID, code)
	return err
}

// NewChallenge stores data, a JSON document (a WebAuthn session, say), as
// a single-use challenge of at's flow and purpose, alive for ttl (at most
// five minutes), and returns its ID.
func (h *Host) NewChallenge(ctx context.Context, at *Attempt, data json.RawMessage, ttl time.Duration) (string, error) {
	ttl = min(ttl, 5*time.Minute)
	id, err := h.a.newID(PrefixVerification)
	if err != nil {
		return "", err
	}
	now := h.a.now()
	err = h.a.store.CreateVerification(ctx, &storage.Verification{ID: id, Purpose: "challenge:" + at.Purpose, FlowID: at.FlowID,
		UserID: at.UserID, Data: data, ExpiresAt: now.Add(ttl), CreatedAt: now})
	return id, storageError(err)
}

// ConsumeChallenge redeems a challenge of at's flow once and returns its
// data. Of concurrent callers exactly one gets it; the others, and anyone
// after expiry, get ErrCodeExpired.
func (h *Host) ConsumeChallenge(ctx context.Context, at *Attempt, id string) ([]byte, error) {
	v, err := h.a.store.GetVerification(ctx, id)
	if err != nil || v.FlowID != at.FlowID || v.Purpose != "challenge:"+at.Purpose {
		return nil, ErrCodeExpired
	}
	v, err = h.a.store.ConsumeVerification(ctx, id, h.a.now())
	if errors.Is(err, storage.ErrConsumed) || errors.Is(err, storage.ErrNotFound) {
		return nil, ErrCodeExpired
	}
	if err != nil {
		return nil, storageError(err)
	}
	return v.Data, nil
}

// Reverified reports whether the session of r verified a factor within
// maxAge (Reverified), and when not answers r: JSON requests get
// ErrReverificationRequired, page requests are sent to the reverification
// page and back. Handlers of sensitive changes start with it.
func (h *Host) Reverified(w http.ResponseWriter, r *http.Request, maxAge time.Duration) bool {
	if Has(r.Context(), Reverified(maxAge)) {
		return true
	}
	h.a.refuseUnverified(w, r)
	return false
}

// ReverifiedForm is Reverified for a form's POST: a session that did not
// verify a factor within ReverificationWindow is sent through
// reverification back to the page at back (a path; the account page when
// ""), since a POST cannot be sent again after the detour.
func (h *Host) ReverifiedForm(w http.ResponseWriter, r *http.Request, back string) bool {
	if Has(r.Context(), Reverified(ReverificationWindow)) {
		return true
	}
	if back == "" {
		back = h.ProfileURL()
	}
	u, err := url.Parse(back)
	if err != nil {
		u = &url.URL{Path: "/"}
	}
	load := r.Clone(r.Context())
	load.Method, load.URL, load.Body = http.MethodGet, u, http.NoBody
	load.Header.Set("Accept", "text/html")
	load.Header.Del("Authorization")
	return h.Reverified(w, load, ReverificationWindow)
}

// SecondFactorRequired reports whether a policy requires u to keep a
// second factor.
func (h *Host) SecondFactorRequired(ctx context.Context, u *storage.User) (bool, error) {
	return h.a.secondFactorRequired(ctx, u)
}

// EnrolledSecondFactors lists the second-factor strategies userID has set
// up.
func (h *Host) EnrolledSecondFactors(ctx context.Context, userID string) ([]string, error) {
	return h.a.enrolledSecondFactors(ctx, userID)
}

// OtherSecondFactors lists the second factors userID has set up other than
// except, recovery factors left out: what would remain to them if except
// went. A plugin removing the last of its kind refuses (ErrLastSecondFactor)
// when this is empty and SecondFactorRequired holds.
func (h *Host) OtherSecondFactors(ctx context.Context, userID, except string) ([]string, error) {
	names, err := h.a.enrolledSecondFactors(ctx, userID)
	return slices.DeleteFunc(names, func(n string) bool {
		return n == except || h.a.strategy(n, SecondFactor).Info().Recovery
	}), err
}

// MarkSecondFactor records on session s that a second factor was verified
// now (after a factor is set up, which proves it), and sets the renewed
// session token on w.
func (h *Host) MarkSecondFactor(ctx context.Context, w http.ResponseWriter, s *Session) error {
	var fx effects
	if err := h.a.markVerified(ctx, &fx, s.ID, true); err != nil {
		return err
	}
	h.a.cookies.setSession(w, fx.sessionToken)
	return nil
}

// Decode reads the parameters of r (a JSON body or a form) into v.
func (h *Host) Decode(w http.ResponseWriter, r *http.Request, v any) error { return decode(w, r, v) }

// Respond answers with v as JSON, or with err as the kernel's errors are
// answered.
func (h *Host) Respond(w http.ResponseWriter, v any, err error) { respond(w, v, err) }

// Locale returns the string table for r (the configured one, with the
// plugins' strings).
func (h *Host) Locale(r *http.Request) components.Locale { return h.a.locale(r) }

// Appearance returns the configured appearance of the components.
func (h *Host) Appearance() components.Appearance { return h.a.cfg.UI.Appearance }

// RenderPage answers r with a hosted page (the document of the account
// portal) around body, with status.
func (h *Host) RenderPage(w http.ResponseWriter, r *http.Request, status int, title string, body templ.Component) {
	h.a.renderPage(w, r, status, title, body)
}

// ProfileURL returns the URL of the account page.
func (h *Host) ProfileURL() string { return h.a.cfg.Session.ProfileURL }

// AllowedRedirect reports whether raw is a place a plugin's flow may send
// the browser when it completes: a local path or an absolute URL of one
// of Session.AuthorizedParties, as the kernel's own flows check
// redirect_url.
func (h *Host) AllowedRedirect(raw string) bool { return h.a.checkRedirect(raw) == nil && raw != "" }
