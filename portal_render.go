package latch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/latchauth/latch/components"
)

// stylesheetPath is where Handler serves the components' stylesheet.
const stylesheetPath = "/v1/latch.css"

// UIConfig configures the hosted pages and the props Latch builds for the
// components.
type UIConfig struct {
	// Appearance restyles the components (colours, radius, fonts, theme).
	Appearance components.Appearance
	// Strings overrides any string of the components, by key, in every
	// language.
	Strings map[string]string
	// LogoURL is shown above the forms.
	LogoURL string
	// TermsURL and PrivacyURL are linked from sign-up's legal consent.
	TermsURL, PrivacyURL string
}

// locale is the string table of the request's language, with the plugins'
// strings and Config.UI.Strings.
func (a *Auth) locale(r *http.Request) components.Locale { return a.reg.tables[a.language(r)] }

// pageHeaders are the headers of every hosted page (setPageHeaders), with
// HSTS when the app is served over HTTPS.
func (a *Auth) pageHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	setPageHeaders(w.Header(), strings.HasPrefix(a.cfg.BaseURL, "https://"))
}

// setPageHeaders sets the security headers of a page: nothing of it may be
// framed or sniffed, its URL (which may hold a token) goes nowhere, scripts
// and styles come only from this origin, and no cache keeps it (it shows
// who is signed in).
func setPageHeaders(h http.Header, https bool) {
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if https {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}

// SecureHeaders wraps an application's own pages so that they carry the
// security headers Latch's hosted pages carry: a Content-Security-Policy
// that allows scripts, styles, images and connections from the page's own
// origin only (and inline styles), forbids framing and sends forms only to
// the same origin; Referrer-Policy: no-referrer; X-Content-Type-Options:
// nosniff; Cache-Control: no-store; and Strict-Transport-Security when the
// request came over TLS (behind a proxy that ends TLS, let the proxy send
// it). The headers are set before next runs, so a handler that needs
// another policy (a cacheable page, a script from a CDN) sets its own.
func SecureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setPageHeaders(w.Header(), r.TLS != nil)
		next.ServeHTTP(w, r)
	})
}

func (a *Auth) renderPage(w http.ResponseWriter, r *http.Request, status int, title string, body templ.Component) {
	a.pageHeaders(w)
	w.WriteHeader(status)
	page := components.Page(components.PageProps{Title: title + " · " + a.cfg.AppName, StylesheetURL: stylesheetPath,
		ScriptURLs: a.reg.pageScripts, Locale: a.locale(r), Appearance: a.cfg.UI.Appearance}, body)
	if err := page.Render(r.Context(), w); err != nil {
		a.cfg.Logger.ErrorContext(r.Context(), "latch: rendering a page", "err", err)
	}
}

func serveWebAuthnScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(components.WebAuthnScript()))
}

// profileSections renders the plugins' sections of the account page.
func (a *Auth) profileSections(r *http.Request) []templ.Component {
	s := SessionFromContext(r.Context())
	var out []templ.Component
	for _, section := range a.plugins.sections {
		c, err := section(r, s)
		if err != nil {
			a.cfg.Logger.ErrorContext(r.Context(), "latch: rendering a plugin's account section", "err", err)
			continue
		}
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

func serveStylesheet(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(components.CSS()))
}

func errorsOf(e *Error) components.Errors {
	if e == nil {
		return nil
	}
	return components.Errors{{Field: e.Field, Message: e.Message}}
}

func (a *Auth) branding() components.Branding {
	return components.Branding{AppName: a.cfg.AppName, LogoURL: a.cfg.UI.LogoURL}
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

// passkeyStartURL is where the WebAuthn script starts a passkey sign-in,
// when a plugin offers passkeys.
func (a *Auth) passkeyStartURL() string {
	if a.passkeyStrategy() == "" {
		return ""
	}
	return "/v1/client/sign_ins"
}

// webAuthnScriptPath is where Handler serves the WebAuthn script.
const webAuthnScriptPath = "/v1/webauthn.js"

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
			strategies = append(strategies, components.StrategyOption{Strategy: f.Strategy, Label: components.T(loc, key)})
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
	props := components.SignInProps{Step: step, Action: a.cfg.Session.SignInURL, Identifier: p.Identifier,
		Strategies: strategies, Errors: errorsOf(p.Err), Hidden: hidden, SignUpURL: signUp, RestartURL: restart, Factor: p.Factor,
		PasskeyStartURL: a.passkeyStartURL(), Branding: a.branding(), Locale: loc, Appearance: a.cfg.UI.Appearance}
	if b := a.cfg.Protection.Bot; b.OnSignIn && (step == "" || step == components.StepIdentifier) && !b.Disabled && b.Verifier == nil {
		if c, err := a.pow.Challenge(); err == nil {
			props.PoWChallenge, props.PoWScriptURL = c.Value, "/v1/pow.js"
		}
	}
	a.renderPage(w, r, status, components.T(loc, "signin.identifier.title_plain"), components.SignIn(props))
}

func (a *Auth) renderSignUp(w http.ResponseWriter, r *http.Request, status int, p signUpPage) {
	loc := a.locale(r)
	req, opt := a.signUpFields()
	hidden := map[string]string{}
	if p.SignUpID != "" {
		hidden["sign_up_id"] = p.SignUpID
	}
	if p.Redirect != "" {
		hidden["redirect_url"] = p.Redirect
	}
	if p.Ticket != "" {
		hidden["ticket"] = p.Ticket
	}
	props := components.SignUpProps{Step: p.Step, Action: a.cfg.Session.SignUpURL, Fields: append(append([]string(nil), req...), opt...),
		Optional: opt, Values: p.Values, Legal: a.cfg.SignUp.LegalConsent, TermsURL: a.cfg.UI.TermsURL, PrivacyURL: a.cfg.UI.PrivacyURL,
		VerifyField: p.Verify, Identifier: p.Values[p.Verify], Errors: errorsOf(p.Err), Hidden: hidden, SignInURL: a.cfg.Session.SignInURL,
		Branding: a.branding(), Locale: loc, Appearance: a.cfg.UI.Appearance}
	if b := a.cfg.Protection.Bot; p.Step == components.StepForm && p.SignUpID == "" && !b.Disabled && b.Verifier == nil {
		if c, err := a.pow.Challenge(); err == nil {
			props.PoWChallenge, props.PoWScriptURL = c.Value, "/v1/pow.js"
		}
	}
	a.renderPage(w, r, status, components.T(loc, "signup.title_plain"), components.SignUp(props))
}

func (a *Auth) renderProfile(w http.ResponseWriter, r *http.Request, status int, p profilePage) {
	loc := a.locale(r)
	base := a.cfg.Session.ProfileURL + "?do="
	contacts := func(ids []Identifier) []components.Contact {
		out := make([]components.Contact, 0, len(ids))
		for _, i := range ids {
			out = append(out, components.Contact{ID: i.ID, Value: i.Value, Primary: i.Primary, Verified: i.Verified})
		}
		return out
	}
	actions := components.ContactActions{MakePrimary: base + "primary", Remove: base + "remove", Resend: base + "resend", Verify: base + "verify"}
	emailActions, phoneActions := actions, actions
	emailActions.Add, phoneActions.Add = base+"add_email", base+"add_phone"
	devices := make([]components.Device, 0, len(p.Sessions))
	for _, s := range p.Sessions {
		devices = append(devices, components.Device{ID: s.ID, Browser: s.Browser, OS: s.OS, IP: s.IP,
			LastActive: s.LastActiveAt.Format(time.DateTime + " MST"), Mobile: s.DeviceType == "mobile" || s.DeviceType == "tablet", Current: s.Current})
	}
	errs := errorsOf(p.Err)
	if p.Err != nil && p.Err.Field == "code" && p.Verify != "" {
		errs = components.Errors{{Field: "code:" + p.Verify, Message: p.Err.Message}}
	}
	body := components.UserProfile(components.UserProfileProps{FirstName: p.User.FirstName, LastName: p.User.LastName, ImageURL: p.User.ImageURL,
		UpdateProfileAction: base + "update_profile", Emails: contacts(p.User.EmailAddresses), EmailActions: emailActions,
		Phones: contacts(p.User.PhoneNumbers), PhoneActions: phoneActions, HasPassword: p.User.PasswordEnabled, PasswordAction: base + "password",
		Devices: devices, RevokeDeviceAction: base + "revoke", DeleteAccountAction: base + "delete", Notice: p.Notice, Errors: errs,
		Extra:  a.profileSections(r),
		Locale: loc, Appearance: a.cfg.UI.Appearance})
	a.renderPage(w, r, status, components.T(loc, "profile.title"), body)
}

// UserButtonProps builds the props of components.UserButton for the
// signed-in user of r (and, with MultiSession, the browser's other
// accounts). ok is false when r is signed out.
func (a *Auth) UserButtonProps(r *http.Request) (p components.UserButtonProps, ok bool) {
	s := SessionFromContext(r.Context())
	if s == nil {
		return p, false
	}
	summary := func(ctx context.Context, sessionID, userID string) (components.UserSummary, error) {
		u, err := a.GetUser(ctx, userID)
		if err != nil {
			return components.UserSummary{}, err
		}
		return components.UserSummary{SessionID: sessionID, Name: strings.TrimSpace(u.FirstName + " " + u.LastName),
			Email: u.PrimaryEmailAddress(), ImageURL: u.ImageURL}, nil
	}
	me, err := summary(r.Context(), s.ID, s.UserID)
	if err != nil {
		return p, false
	}
	loc := a.locale(r)
	p = components.UserButtonProps{User: me, ManageAccountURL: a.cfg.Session.ProfileURL, SignOutAction: "/sign-out",
		Items: a.menuEntries(r, loc), Locale: loc, Appearance: a.cfg.UI.Appearance}
	if a.cfg.Session.MultiSession {
		p.MultiSession, p.AddAccountURL, p.SwitchAction, p.SignOutAllAction = true, a.cfg.Session.SignInURL, "/v1/switch-session", "/sign-out?all=1"
		if others, err := a.ClientSessions(r.Context(), r); err == nil {
			for _, o := range others {
				if o.ID == s.ID {
					continue
				}
				if sum, err := summary(r.Context(), o.ID, o.UserID); err == nil {
					p.Others = append(p.Others, sum)
				}
			}
		}
	}
	return p, true
}

// serveSwitchSession is the account switcher's form: make session_id the
// active one and go back.
func (a *Auth) serveSwitchSession(w http.ResponseWriter, r *http.Request) {
	if _, err := a.SetActiveSession(r.Context(), w, r, r.PostFormValue("session_id")); err != nil && !errors.Is(err, ErrNotFound) {
		writeError(w, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
