package latch

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/latchauth/latch/components"
)

// The hosted pages (an account portal): full HTML pages built from the
// components, served by Handler. They drive the same state machines as the
// JSON API through plain forms (post, then redirect to the page of the new
// state), so they work without JavaScript.

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
	// LogoURL is shown at the top of every card, 32 px high, with
	// Config.AppName as its alternative text; LogoDarkURL, when set,
	// replaces it in the dark theme.
	LogoURL, LogoDarkURL string
	// TermsURL and PrivacyURL are linked from sign-up's legal consent.
	TermsURL, PrivacyURL string
	// HomeURL is the application's home, which the account page links back
	// to and deleting the account leads to. Default "/".
	HomeURL string
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
	return components.Branding{AppName: a.cfg.AppName, LogoURL: a.cfg.UI.LogoURL, LogoDarkURL: a.cfg.UI.LogoDarkURL}
}

// codeScriptPath is where Handler serves the sign-in and sign-up cards'
// code script (digit boxes, resend countdown).
const codeScriptPath = "/v1/code.js"

func serveCodeScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(components.CodeScript()))
}

// resentParam marks the page a resend redirects to, which then says that a
// new code or link was sent.
const resentParam = "resent"

// signedInAs is what the sign-in and sign-up pages show of the browser's
// signed-in account (its primary email address, else its phone number or
// username), or "" when r is signed out.
func (a *Auth) signedInAs(r *http.Request) string {
	s := SessionFromContext(r.Context())
	if s == nil {
		return ""
	}
	u, err := a.GetUser(r.Context(), s.UserID)
	if err != nil {
		return ""
	}
	for _, v := range []string{u.PrimaryEmailAddress(), u.PrimaryPhoneNumber(), u.Username} {
		if v != "" {
			return v
		}
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// sendOnIfSignedIn answers a signed-in browser's visit to the sign-in or
// sign-up page, unless MultiSession lets it add an account: it goes on to
// redirect (already checked against the allowed redirects) or "/", as a
// sign-in would have taken it. It reports whether it answered.
func (a *Auth) sendOnIfSignedIn(w http.ResponseWriter, r *http.Request, redirect string) bool {
	if a.cfg.Session.MultiSession || SessionFromContext(r.Context()) == nil {
		return false
	}
	if redirect == "" {
		redirect = "/"
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
	return true
}

// identifierKinds are the kinds of identifier users have (the sign-up
// fields that are not off), which the sign-in page's field names.
func (a *Auth) identifierKinds() []string {
	var out []string
	for _, k := range []struct {
		r    Requirement
		name string
	}{{a.cfg.SignUp.EmailAddress, fieldEmail}, {a.cfg.SignUp.PhoneNumber, fieldPhone}, {a.cfg.SignUp.Username, fieldUsername}} {
		if k.r != Off {
			out = append(out, k.name)
		}
	}
	return out
}

// webAuthnScriptPath is where Handler serves the WebAuthn script.
const webAuthnScriptPath = "/v1/webauthn.js"

// userButtonScriptPath is where Handler serves the user button's script.
const userButtonScriptPath = "/v1/userbutton.js"

func serveUserButtonScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(components.UserButtonScript()))
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
		Items: a.menuEntries(r, loc), ScriptURL: userButtonScriptPath, Locale: loc, Appearance: a.cfg.UI.Appearance}
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
