package latch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/latchauth/latch/storage"
)

// The registry of strategies. The kernel's own first factors (password,
// codes, links, tickets: strategy_*.go) are registered first, through the
// same Host as any plugin's, so the state machines and pages find every
// strategy the same way and name none of them.

// Redirector is a Strategy whose proof comes back from another site (an
// OAuth or OpenID Connect provider, a SAML identity provider). Its Prepare
// sets Attempt.ExternalURL, carrying Attempt.CallbackState out as the state
// (or RelayState) and Attempt.CallbackURL as where to come back. The
// provider sends the browser back to that URL, the kernel's callback route
// for the strategy, by GET or by a cross-site POST. The kernel checks that
// the request carries the live, single-use state of a flow, then calls
// Callback.
type Redirector interface {
	Strategy
	// Callback checks the provider's answer in r for the attempt at
	// (at.State as Prepare left it) and returns what it proves. It must
	// check everything the protocol asks (signatures, issuer, audience,
	// nonce, PKCE): the kernel has checked only the state.
	Callback(ctx context.Context, at *Attempt, r *http.Request) (*Proof, error)
}

// IdentifierOfferer is a first factor offered only for some identifiers
// (enterprise SSO for the email domains of a connection). OfferedFor must
// depend on the identifier alone, never on whether an account has it, so
// that the list of factors reveals nothing; it is called whenever a
// sign-in is shown, and should be quick.
type IdentifierOfferer interface {
	Strategy
	OfferedFor(identifierKind, identifier string) bool
}

// strategies is the registry: every strategy in registration order, the
// kernel's first, with an index per use.
type strategies struct {
	all     []Strategy
	first   map[string]Strategy
	second  map[string]Strategy
	builtin map[string]bool // first factors the kernel registered, offered per SignInConfig.FirstFactors
}

func (r *strategies) add(s Strategy, builtin bool) error {
	if r.first == nil {
		r.first, r.second, r.builtin = map[string]Strategy{}, map[string]Strategy{}, map[string]bool{}
	}
	info := s.Info()
	if info.Name == "" {
		return errors.New("strategy without a name")
	}
	if info.Kind&(FirstFactor|SecondFactor) == 0 {
		return fmt.Errorf("strategy %q is neither a first nor a second factor", info.Name)
	}
	// A name may serve once as a first factor and once as a second: a
	// plugin adds the second-factor use of phone_code or email_code, as
	// Clerk names them, and never replaces the kernel's first factor.
	if info.Kind&FirstFactor != 0 && r.first[info.Name] != nil {
		if r.builtin[info.Name] {
			return fmt.Errorf("strategy %q is the kernel's first factor", info.Name)
		}
		return fmt.Errorf("strategy %q registered twice", info.Name)
	}
	if info.Kind&SecondFactor != 0 && r.second[info.Name] != nil {
		return fmt.Errorf("strategy %q registered twice", info.Name)
	}
	if info.Kind&FirstFactor != 0 {
		r.first[info.Name] = s
		r.builtin[info.Name] = builtin
	}
	if info.Kind&SecondFactor != 0 {
		r.second[info.Name] = s
	}
	r.all = append(r.all, s)
	return nil
}

// strategy returns the strategy of that name that may be used as kind, or
// nil.
func (a *Auth) strategy(name string, kind FactorKind) Strategy {
	if kind&FirstFactor != 0 {
		if s := a.plugins.reg.first[name]; s != nil {
			return s
		}
	}
	if kind&SecondFactor != 0 {
		return a.plugins.reg.second[name]
	}
	return nil
}

// registerBuiltins adds the kernel's first factors, before any plugin.
func (a *Auth) registerBuiltins() error {
	for _, s := range []Strategy{
		passwordStrategy{a},
		codeStrategy{a: a, name: StrategyEmailCode, kind: storage.KindEmailAddress},
		codeStrategy{a: a, name: StrategyPhoneCode, kind: storage.KindPhoneNumber},
		codeStrategy{a: a, name: StrategyResetPasswordEmailCode, kind: storage.KindEmailAddress, reset: true},
		linkStrategy{a: a, name: StrategyEmailLink},
		linkStrategy{a: a, name: StrategyResetPasswordEmailLink, reset: true},
		ticketStrategy{a},
	} {
		if err := a.plugins.reg.add(s, true); err != nil {
			return err
		}
	}
	return nil
}

// firstFactorsFor lists the first factors offered for an identifier. It
// depends only on the configuration and the kind of identifier, never on
// the account, so it tells nobody whether the account exists or what it
// has set up (a factor the account lacks simply fails like a wrong
// answer). The kernel's are offered in SignInConfig.FirstFactors' order,
// the plugins' after them in registration order.
func (a *Auth) firstFactorsFor(kind, identifier string) []Factor {
	out := []Factor{}
	for _, name := range a.cfg.SignIn.FirstFactors {
		if s := a.plugins.reg.first[name]; s != nil && a.plugins.reg.builtin[name] && listed(s, kind, identifier) {
			out = append(out, Factor{Strategy: name, SafeIdentifier: identifier})
		}
	}
	for _, s := range a.plugins.reg.all {
		name := s.Info().Name
		if s.Info().Kind&FirstFactor != 0 && !a.plugins.reg.builtin[name] && listed(s, kind, identifier) {
			out = append(out, Factor{Strategy: name, SafeIdentifier: identifier})
		}
	}
	return out
}

// offered reports whether s may be used for an identifier of kind: what
// it lists, and tickets, which are handed out and never listed.
func offered(s Strategy, kind, identifier string) bool {
	info := s.Info()
	if info.Identifiers != nil && !slices.Contains(info.Identifiers, kind) {
		return false
	}
	if o, ok := s.(IdentifierOfferer); ok && !o.OfferedFor(kind, identifier) {
		return false
	}
	return true
}

func listed(s Strategy, kind, identifier string) bool {
	return s.Info().Input != InputTicket && offered(s, kind, identifier)
}

// firstFactor returns the first factor named that the sign-in st may use,
// or nil.
func (a *Auth) firstFactor(st *signInState, name string) Strategy {
	s := a.plugins.reg.first[name]
	if s == nil || !offered(s, st.IdentifierKind, st.Identifier) {
		return nil
	}
	if a.plugins.reg.builtin[name] && s.Info().Input != InputTicket && !slices.Contains(a.cfg.SignIn.FirstFactors, name) {
		return nil
	}
	return s
}

// firstFactorByInput returns the first first factor the sign-in st may use
// that takes input, or nil.
func (a *Auth) firstFactorByInput(st *signInState, input string) Strategy {
	for _, s := range a.plugins.reg.all {
		if info := s.Info(); info.Kind&FirstFactor != 0 && info.Input == input && a.firstFactor(st, info.Name) != nil {
			return s
		}
	}
	return nil
}

// preparedFirst reports whether proofs of s answer a Prepare (a code, a
// link, a challenge, a redirect) rather than arrive on their own (a
// password, a ticket).
func preparedFirst(s Strategy) bool {
	in := s.Info().Input
	return in != InputPassword && in != InputTicket
}

// addressProver is a kernel strategy that also proves a sign-up's control
// of an address nobody holds yet: it makes the code or link and the
// message that carries it.
type addressProver interface {
	provesAddress() storage.IdentifierKind
	proveAddress(ctx context.Context, flowID string, st *signUpState, fs *factorState) (MessageKind, MessageData, error)
}

// verifyStrategy is the strategy the configuration picks to verify a
// sign-up's address of kind: a code by text for a phone number, a code or
// a link (SignUpConfig.EmailVerification) for an email address.
func (a *Auth) verifyStrategy(kind storage.IdentifierKind) string {
	switch {
	case kind == storage.KindPhoneNumber:
		return StrategyPhoneCode
	case a.cfg.SignUp.EmailVerification == "link":
		return StrategyEmailLink
	}
	return StrategyEmailCode
}

// fieldKind is the kind of address a sign-up field holds.
func fieldKind(field string) storage.IdentifierKind {
	if field == fieldPhone {
		return storage.KindPhoneNumber
	}
	return storage.KindEmailAddress
}

// allIdentifierKinds are the identifiers a sign-in may name.
var allIdentifierKinds = []string{string(storage.KindEmailAddress), string(storage.KindPhoneNumber), "username"}

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
