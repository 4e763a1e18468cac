package latch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/latchauth/latch/components"
)

// The hosted sign-in page, over the sign-in machine.

// signInPage is what the sign-in page shows.
type signInPage struct {
	Step       string // identifier, password, code, link_sent, choose_strategy, new_password, second_factor, ticket
	SignInID   string
	Identifier string
	Strategies []Factor
	Err        *Error
	Redirect   string
	Ticket     string
	Factor     *components.FactorForm // the factor asked for on the second-factor and passkey steps
	Resent     bool                   // a new code or link was just sent
	SignedInAs string                 // the browser's signed-in account, when adding another
}

// stepOf picks the page for a sign-in's state: the pending factor's page,
// the password page when password is offered, or the list of methods.
func (a *Auth) stepOf(s *SignIn) string {
	switch s.Status {
	case SignInNeedsIdentifier:
		return "identifier"
	case SignInNeedsNewPassword:
		return "new_password"
	case SignInNeedsSecondFactor:
		return "second_factor"
	}
	if v := s.FirstFactorVerification; v != nil {
		input := a.inputOf(v.Strategy, FirstFactor)
		switch {
		case v.Status == factorVerified && input == InputLink:
			// The link was opened in another browser, whose user let
			// this tab finish (SignInConfig.CrossDeviceLinks).
			return components.StepLinkVerified
		case v.Status == factorVerified || v.Status == factorTransferable:
		case input == InputCode:
			return components.StepCode
		case input == InputLink:
			return components.StepLinkSent
		case input == InputWebAuthn:
			return components.StepPasskey
		}
	}
	for _, f := range s.SupportedFirstFactors {
		if a.inputOf(f.Strategy, FirstFactor) == InputPassword {
			return components.StepPassword
		}
	}
	return components.StepChooseStrategy
}

// servePortalSignIn shows the sign-in page for ?sign_in_id, or the
// identifier step.
func (a *Auth) servePortalSignIn(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := signInPage{Step: "identifier", Redirect: q.Get("redirect_url")}
	p.Redirect = a.safeRedirect(p.Redirect)
	if q.Get("sign_in_id") == "" && q.Get("__latch_ticket") == "" {
		// A signed-in browser has nothing to sign in to, unless it may
		// add an account; a flow under way, or a sign-in token (which
		// names its user), still shows.
		if a.sendOnIfSignedIn(w, r, p.Redirect) {
			return
		}
		p.SignedInAs = a.signedInAs(r)
	}
	if t := q.Get("__latch_ticket"); t != "" {
		// A sign-in token names its user: one button posts it (a GET
		// spends nothing, as mail scanners open links too).
		p.Step, p.Ticket = components.StepTicket, t
	}
	// Strategies that need no identifier (social providers) are offered
	// from the first page.
	p.Strategies = a.firstFactorsFor("", "")
	if id := q.Get("sign_in_id"); id != "" {
		if f, err := loadFlow[signInState](r.Context(), a, r, flowKindSignIn, id); err == nil {
			a.fillSignInPage(&p, a.signInView(f))
			if p.Redirect == "" {
				p.Redirect = f.state.RedirectURL
			}
			p.Resent = q.Get(resentParam) != ""
		}
	}
	a.renderSignIn(w, r, http.StatusOK, p)
}

func (a *Auth) fillSignInPage(p *signInPage, s *SignIn) {
	p.SignInID, p.Identifier, p.Strategies, p.Step = s.ID, s.Identifier, s.SupportedFirstFactors, a.stepOf(s)
	switch p.Step {
	case components.StepSecondFactor:
		p.Strategies = s.SupportedSecondFactors
		if v := s.SecondFactorVerification; v != nil && v.Status == factorUnverified {
			p.Factor = a.factorForm(v, s.SecondFactorEnrollment)
		}
	case components.StepPasskey:
		p.Factor = a.factorForm(s.FirstFactorVerification, false)
	}
}

// factorForm describes, for the pages, the factor a verification waits
// for.
func (a *Auth) factorForm(v *Verification, enroll bool) *components.FactorForm {
	f := &components.FactorForm{Strategy: v.Strategy, Input: InputCode}
	kind := FirstFactor
	if enroll || a.strategy(v.Strategy, SecondFactor) != nil {
		kind = SecondFactor
	}
	if s := a.strategy(v.Strategy, kind); s != nil {
		f.Input, f.Resend = inputOf(s), s.Info().Resendable
		if f.Input == InputCode && !s.Info().Recovery {
			// Codes are six digits (Latch's own, an authenticator
			// app's); a recovery code is not, and stays one field.
			f.Digits = components.CodeDigits
		}
	}
	switch {
	case f.Input == InputWebAuthn:
		f.Options, f.Create = string(v.Options), enroll
	case enroll && len(v.Options) > 0:
		var e struct {
			Secret string `json:"secret"`
			URI    string `json:"uri"`
			QRCode string `json:"qr_code"`
		}
		if json.Unmarshal(v.Options, &e) == nil {
			f.Enrollment = &components.CodeEnrollment{Secret: e.Secret, URI: e.URI, QRCode: e.QRCode}
		}
	}
	return f
}

// servePortalSignInPost handles every form of the sign-in page; "intent"
// says which.
func (a *Auth) servePortalSignInPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rq, w := a.drive(w, r)
	if err := r.ParseForm(); err != nil {
		writeError(w, ErrInvalid)
		return
	}
	form := r.PostForm
	redirect := a.safeRedirect(form.Get("redirect_url"))
	p := signInPage{Step: "identifier", Redirect: redirect, Identifier: form.Get("identifier")}
	var s *SignIn
	var err error
	intent := form.Get("intent")
	if intent == "use_strategy" && form.Get("sign_in_id") == "" {
		intent = "start_strategy"
	}
	switch intent {
	case "identifier", "ticket":
		// Any proof the form carries goes along, to be refused: neither
		// step takes one.
		sp := SignInParams{Identifier: form.Get("identifier"), RedirectURL: redirect, BotToken: form.Get("bot_token"),
			Password: form.Get("password"), Code: form.Get("code"), Credential: json.RawMessage(form.Get("credential"))}
		if t := a.firstFactorByInput(&signInState{}, InputTicket); intent == "ticket" && t != nil {
			sp.Strategy, sp.Ticket = t.Info().Name, form.Get("ticket")
		}
		s, err = a.startSignIn(ctx, rq, sp)
	case "start_strategy":
		// A strategy that needs no identifier (a social provider), from
		// the first page.
		s, err = a.startSignIn(ctx, rq, SignInParams{Strategy: form.Get("strategy"), RedirectURL: redirect, BotToken: form.Get("bot_token")})
	case "passkey":
		s, err = a.startSignIn(ctx, rq, SignInParams{Strategy: a.passkeyStrategy(), RedirectURL: redirect})
	default:
		var f *flow[signInState]
		if f, err = loadFlow[signInState](ctx, a, r, flowKindSignIn, form.Get("sign_in_id")); err != nil {
			break
		}
		if redirect == "" {
			redirect, p.Redirect = f.state.RedirectURL, f.state.RedirectURL
		}
		a.fillSignInPage(&p, a.signInView(f))
		pending := ""
		if f.state.First != nil {
			pending = f.state.First.Strategy
		}
		switch intent {
		case "password":
			name := ""
			if pw := a.firstFactorByInput(&f.state, InputPassword); pw != nil {
				name = pw.Info().Name
			}
			s, err = a.attemptFirstFactor(ctx, rq, f, proofsOf(form, name))
		case "code":
			s, err = a.attemptFirstFactor(ctx, rq, f, proofsOf(form, pending))
		case "resend":
			if f.rec.Status == SignInNeedsSecondFactor {
				s, err = a.prepareSecondFactor(ctx, rq, f, PrepareParams{Strategy: form.Get("strategy")})
				break
			}
			s, err = a.prepareFirstFactor(ctx, rq, f, PrepareParams{Strategy: pending, RedirectURL: redirect})
		case "link_continue":
			s, err = a.attemptFirstFactor(ctx, rq, f, proofsOf(form, pending))
		case "second_factor":
			s, err = a.attemptSecondFactor(ctx, rq, f, proofsOf(form, form.Get("strategy")))
		case "use_second_factor":
			s, err = a.prepareSecondFactor(ctx, rq, f, PrepareParams{Strategy: form.Get("strategy")})
		case "passkey_attempt":
			s, err = a.attemptFirstFactor(ctx, rq, f, proofsOf(form, form.Get("strategy")))
		case "forgot_password":
			s, err = a.prepareFirstFactor(ctx, rq, f, PrepareParams{Strategy: a.resetStrategy(&f.state), RedirectURL: redirect})
		case "use_strategy":
			if a.inputOf(form.Get("strategy"), FirstFactor) == InputPassword {
				p.Step = components.StepPassword
				a.renderSignIn(w, r, http.StatusOK, p)
				return
			}
			s, err = a.prepareFirstFactor(ctx, rq, f, PrepareParams{Strategy: form.Get("strategy"), RedirectURL: redirect})
		case "choose_strategy":
			p.Step = "choose_strategy"
			a.renderSignIn(w, r, http.StatusOK, p)
			return
		case "new_password":
			s, err = a.resetPassword(ctx, rq, f, ResetPasswordParams{Password: form.Get("new_password"), SignOutOfOtherSessions: form.Get("sign_out_other_devices") != ""})
		default:
			err = ErrStrategyNotAllowed
		}
	}
	if err != nil {
		le := asError(err)
		p.Err = le
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrFlowExpired) {
			p.Step = "identifier"
		}
		a.renderSignIn(w, r, le.Status, p)
		return
	}
	if s.Status == SignInComplete && len(s.BackupCodes) > 0 {
		// Shown in this answer and never again, before going on.
		if redirect == "" {
			redirect = "/"
		}
		loc := a.locale(r)
		a.renderPage(w, r, http.StatusOK, components.T(loc, "mfa.codes.title"), components.MFABackupCodes(components.MFABackupCodesProps{
			Codes: s.BackupCodes, DoneURL: redirect, Branding: a.branding(), Locale: loc, Appearance: a.cfg.UI.Appearance}))
		return
	}
	if v := s.FirstFactorVerification; v != nil && v.ExternalVerificationRedirectURL != "" {
		// A strategy that leaves for its provider: the browser goes
		// there, and comes back to the strategy's callback.
		a.renderLeave(w, v.ExternalVerificationRedirectURL)
		return
	}
	if s.Status == SignInNeedsSecondFactor && s.SecondFactorVerification == nil {
		a.askSecondFactor(ctx, rq, s.ID)
	}
	a.afterStep(w, r, s.Status == SignInComplete, a.cfg.Session.SignInURL, "sign_in_id", s.ID, redirect, intent == "resend")
}

// proofsOf is an attempt at strategy with every proof the form carries:
// the step checks that only its own is there, so a form cannot slip in a
// proof that would be ignored.
func proofsOf(form url.Values, strategy string) AttemptParams {
	return AttemptParams{Strategy: strategy, Password: form.Get("password"), Code: form.Get("code"),
		Credential: json.RawMessage(form.Get("credential"))}
}

// afterStep redirects after a form: to redirect (or "/") when the flow is
// complete, else back to its page showing the flow's new state
// (post/redirect/get), which says so when resent (a new code or link was
// sent).
func (a *Auth) afterStep(w http.ResponseWriter, r *http.Request, complete bool, page, idParam, id, redirect string, resent bool) {
	if complete {
		if redirect == "" {
			redirect = "/"
		}
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return
	}
	v := url.Values{idParam: {id}}
	if redirect != "" {
		v.Set("redirect_url", redirect)
	}
	if resent {
		v.Set(resentParam, "1")
	}
	http.Redirect(w, r, page+"?"+v.Encode(), http.StatusSeeOther)
}

// inputOf is the input of the strategy name used as kind, or "".
func (a *Auth) inputOf(name string, kind FactorKind) string {
	if s := a.strategy(name, kind); s != nil {
		return inputOf(s)
	}
	return ""
}

// resetStrategy is the first strategy the sign-in st may use to reset a
// password (a code before a link, in SignInConfig.FirstFactors' order), or
// "".
func (a *Auth) resetStrategy(st *signInState) string {
	for _, f := range a.firstFactorsFor(st.IdentifierKind, st.Identifier) {
		if s := a.strategy(f.Strategy, FirstFactor); s != nil && s.Info().ResetsPassword {
			return f.Strategy
		}
	}
	return ""
}

// passkeyStrategy is the plugins' first factor answered by WebAuthn, or "".
func (a *Auth) passkeyStrategy() string {
	for _, s := range a.plugins.reg.all {
		if info := s.Info(); info.Kind&FirstFactor != 0 && info.Input == InputWebAuthn {
			return info.Name
		}
	}
	return ""
}

// askSecondFactor prepares the first of a sign-in's second factors (or its
// set-up), so that the page the user lands on asks for it at once and
// offers the others. If it cannot be prepared (a text that is rate
// limited), the page lists them all.
func (a *Auth) askSecondFactor(ctx context.Context, rq *flowReq, signInID string) {
	f, err := readFlow[signInState](ctx, a, signInID)
	if err != nil || f.rec.Status != SignInNeedsSecondFactor || len(f.state.SecondFactors) == 0 {
		return
	}
	_, _ = a.prepareSecondFactor(ctx, rq, f, PrepareParams{Strategy: f.state.SecondFactors[0]})
}

// strategyLabel is the string-table key naming a strategy used as kind:
// a plugin's second-factor strategy may share a kernel first factor's name
// (phone_code), and each use has its own wording.
func (a *Auth) strategyLabel(name string, kind FactorKind) string {
	if s := a.strategy(name, kind); s != nil {
		return s.Info().Label
	}
	return ""
}

// strategyIcon is the image on a strategy's button, or "".
func (a *Auth) strategyIcon(name string, kind FactorKind) string {
	if s := a.strategy(name, kind); s != nil {
		return s.Info().Icon
	}
	return ""
}

// redirectStrategies are the first factors that leave for a provider
// (social sign-in), offered on the sign-up page too.
func (a *Auth) redirectStrategies(loc components.Locale) []components.StrategyOption {
	var out []components.StrategyOption
	for _, f := range a.firstFactorsFor("", "") {
		if a.inputOf(f.Strategy, FirstFactor) == InputRedirect {
			out = append(out, components.StrategyOption{Strategy: f.Strategy, Label: components.T(loc, a.strategyLabel(f.Strategy, FirstFactor)),
				Icon: a.strategyIcon(f.Strategy, FirstFactor)})
		}
	}
	return out
}

// passkeyStartURL is where the WebAuthn script starts a passkey sign-in,
// when a plugin offers passkeys.
func (a *Auth) passkeyStartURL() string {
	if a.passkeyStrategy() == "" {
		return ""
	}
	return "/v1/client/sign_ins"
}

func (a *Auth) renderSignIn(w http.ResponseWriter, r *http.Request, status int, p signInPage) {
	loc := a.locale(r)
	hidden := map[string]string{}
	if p.SignInID != "" {
		hidden["sign_in_id"] = p.SignInID
	}
	if p.Redirect != "" {
		hidden["redirect_url"] = p.Redirect
	}
	if p.Ticket != "" {
		hidden["ticket"] = p.Ticket
	}
	var strategies []components.StrategyOption
	kind := FirstFactor
	if p.Step == components.StepSecondFactor {
		kind = SecondFactor
	}
	for _, f := range p.Strategies {
		if kind == FirstFactor && a.inputOf(f.Strategy, FirstFactor) == InputWebAuthn {
			continue // a passkey has its own button
		}
		if key := a.strategyLabel(f.Strategy, kind); key != "" {
			strategies = append(strategies, components.StrategyOption{Strategy: f.Strategy, Label: components.T(loc, key), Icon: a.strategyIcon(f.Strategy, kind)})
		}
	}
	step := p.Step
	restart := a.cfg.Session.SignInURL
	if p.Redirect != "" {
		restart += "?redirect_url=" + url.QueryEscape(p.Redirect)
	}
	signUp := a.cfg.Session.SignUpURL
	if a.cfg.SignUp.Mode != SignUpPublic {
		signUp = ""
	}
	props := components.SignInProps{Step: step, Action: a.cfg.Session.SignInURL, Identifier: p.Identifier, Identifiers: a.identifierKinds(),
		Strategies: strategies, Errors: errorsOf(p.Err), Hidden: hidden, SignUpURL: signUp, RestartURL: restart, Factor: p.Factor,
		PasskeyStartURL: a.passkeyStartURL(), ScriptURL: codeScriptPath, Branding: a.branding(), Locale: loc, Appearance: a.cfg.UI.Appearance}
	if p.Resent && p.Err == nil {
		props.Notice = components.T(loc, "common.code_sent")
		if step == components.StepLinkSent {
			props.Notice = components.T(loc, "signin.link_sent.resent")
		}
	}
	if p.SignedInAs != "" && (step == "" || step == components.StepIdentifier) {
		props.SignedInAs, props.ContinueURL = p.SignedInAs, "/"
		if p.Redirect != "" {
			props.ContinueURL = p.Redirect
		}
	}
	if b := a.cfg.Protection.Bot; b.OnSignIn && (step == "" || step == components.StepIdentifier) && !b.Disabled && b.Verifier == nil {
		if c, err := a.pow.Challenge(); err == nil {
			props.PoWChallenge, props.PoWScriptURL = c.Value, "/v1/pow.js"
		}
	}
	a.renderPage(w, r, status, components.T(loc, "signin.identifier.title_plain"), components.SignIn(props))
}
