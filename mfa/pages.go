package mfa

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/a-h/templ"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/storage"
)

// The hosted account page's part: a section of the page, and the routes
// its forms post to. Like the kernel's, the routes are fixed ("/user/mfa")
// and the URLs in the pages are built on latch.SessionConfig.ProfileURL,
// which is where the application serves "/user".

const (
	pagePath  = "/user/mfa"      // the forms post here, ?do= says what
	setupPath = "/user/mfa/totp" // the authenticator app's set-up page
)

// Notices and errors the account page shows after a redirect, by the key
// in its URL: only these keys, so that a link cannot make the page say
// anything else.
var (
	pageNotices = map[string]string{
		"totp_on": "mfa.notice.totp_on", "totp_off": "mfa.notice.totp_off",
		"phone_on": "mfa.notice.phone_on", "phone_off": "mfa.notice.phone_off",
		"email_on": "mfa.notice.email_on", "email_off": "mfa.notice.email_off",
	}
	pageErrors = map[string]string{
		latch.ErrCodeIncorrect.Code: "mfa.error.code_incorrect",
		latch.ErrCodeExpired.Code:   "mfa.error.code_expired",
		ErrLastSecondFactor.Code:    "mfa.error.last_second_factor",
		ErrTOTPExists.Code:          "mfa.error.totp_exists",
		ErrNeedsAnotherFactor.Code:  "mfa.error.needs_factor",
		ErrIdentifierMissing.Code:   "mfa.error.identifier_missing",
		latch.ErrUnavailable.Code:   "mfa.error.unavailable",
	}
)

func (p *Plugin) pageRoutes() []latch.Route {
	return []latch.Route{
		{Method: "GET", Pattern: pagePath, Handler: p.serveReverifyBounce},
		{Method: "GET", Pattern: setupPath, Handler: p.serveSetupPage},
		{Method: "POST", Pattern: pagePath, Handler: p.servePagePost},
	}
}

// base is the URL of the plugin's page routes as the browser sees them.
func (p *Plugin) base() string { return p.h.ProfileURL() + "/mfa" }

// serveReverifyBounce sends a user whose session needs verifying again
// through the reverification page and then back to the account page: a
// form post cannot survive that detour, a GET can.
func (p *Plugin) serveReverifyBounce(w http.ResponseWriter, r *http.Request) {
	if !p.h.Reverified(w, r, latch.ReverificationWindow) {
		return
	}
	http.Redirect(w, r, p.h.ProfileTabURL(components.TabSecurity), http.StatusSeeOther)
}

// serveSetupPage shows the authenticator app's set-up: the introduction, or
// the QR code of the set-up begun.
func (p *Plugin) serveSetupPage(w http.ResponseWriter, r *http.Request) {
	if !p.h.Reverified(w, r, latch.ReverificationWindow) {
		return
	}
	s := latch.SessionFromContext(r.Context())
	if on, err := p.totp.Enrolled(r.Context(), s.UserID); err != nil || on {
		p.backToProfile(w, r, "", err)
		return
	}
	e, err := p.totp.Pending(r.Context(), s.UserID)
	if err != nil && !errors.Is(err, latch.ErrNotFound) {
		p.backToProfile(w, r, "", err)
		return
	}
	p.renderSetup(w, r, http.StatusOK, e, nil)
}

func (p *Plugin) renderSetup(w http.ResponseWriter, r *http.Request, status int, e *Enrollment, err error) {
	l := p.h.Locale(r)
	props := components.MFATOTPSetupProps{BeginAction: p.base() + "?do=totp_begin", VerifyAction: p.base() + "?do=totp_verify",
		CancelURL: p.h.ProfileTabURL(components.TabSecurity), Errors: p.pageErrors(l, err), Branding: components.Branding{AppName: p.h.AppName()},
		Locale: l, Appearance: p.h.Appearance()}
	if e != nil {
		props.QRCode, props.Secret, props.URI = e.QRCode, e.Secret, e.URI
	}
	p.h.RenderPage(w, r, status, components.T(l, "mfa.setup.title"), components.MFATOTPSetup(props))
}

func (p *Plugin) renderCodes(w http.ResponseWriter, r *http.Request, codes []string, notice string) {
	l := p.h.Locale(r)
	props := components.MFABackupCodesProps{Codes: codes, DoneURL: p.h.ProfileTabURL(components.TabSecurity), Branding: components.Branding{AppName: p.h.AppName()},
		Locale: l, Appearance: p.h.Appearance()}
	if notice != "" {
		props.Notice = components.T(l, notice)
	}
	p.h.RenderPage(w, r, http.StatusOK, components.T(l, "mfa.codes.title"), components.MFABackupCodes(props))
}

// servePagePost handles the forms of the section and of the set-up page;
// the "do" parameter of the URL says which. Each ends in a redirect back
// to the account page (post/redirect/get), except where it shows what can
// be shown only once (new backup codes) or the set-up page again with an
// error.
func (p *Plugin) servePagePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := latch.SessionFromContext(ctx)
	do := r.URL.Query().Get("do")
	if err := r.ParseForm(); err != nil {
		p.backToProfile(w, r, "", latch.ErrInvalid)
		return
	}
	if s.ActorID != "" {
		p.backToProfile(w, r, "", latch.ErrForbidden)
		return
	}
	if !latch.Has(ctx, latch.Reverified(latch.ReverificationWindow)) {
		// Answering a form with the JSON error would strand the user:
		// send them to a page that verifies and comes back.
		target := p.base()
		if do == "totp_begin" || do == "totp_verify" {
			target = p.base() + "/totp"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	at := p.attempt(r, s)
	switch do {
	case "totp_begin":
		if _, err := p.totp.Begin(ctx, at); err != nil {
			p.backToProfile(w, r, "", err)
			return
		}
		http.Redirect(w, r, p.base()+"/totp", http.StatusSeeOther)
	case "totp_verify":
		codes, err := p.finishTOTP(ctx, w, r, s, r.PostForm.Get("code"))
		switch {
		case err != nil:
			e, perr := p.totp.Pending(ctx, s.UserID)
			if perr != nil {
				p.backToProfile(w, r, "", err)
				return
			}
			status := http.StatusUnprocessableEntity
			var le *latch.Error
			if errors.As(err, &le) {
				status = le.Status
			}
			p.renderSetup(w, r, status, e, err)
		case len(codes) > 0:
			p.renderCodes(w, r, codes, "mfa.notice.totp_on")
		default:
			p.backToProfile(w, r, "totp_on", nil)
		}
	case "totp_remove":
		p.backToProfile(w, r, "totp_off", p.RemoveTOTP(ctx, at))
	case "backup_codes":
		codes, err := p.regenerate(ctx, s.UserID)
		if err != nil {
			p.backToProfile(w, r, "", err)
			return
		}
		p.renderCodes(w, r, codes, "")
	case "phone_on", "phone_off", "email_on", "email_off":
		c := p.phone
		if do == "email_on" || do == "email_off" {
			c = p.email
		}
		if c == nil {
			p.backToProfile(w, r, "", latch.ErrStrategyNotAllowed)
			return
		}
		on := do == "phone_on" || do == "email_on"
		p.backToProfile(w, r, do, p.setCodeFactor(ctx, r, s, c, on))
	default:
		p.backToProfile(w, r, "", latch.ErrInvalid)
	}
}

// backToProfile redirects to the account page, which shows the notice
// (when err is nil) or the error.
func (p *Plugin) backToProfile(w http.ResponseWriter, r *http.Request, notice string, err error) {
	v := url.Values{}
	if err != nil {
		code := latch.ErrUnavailable.Code
		var le *latch.Error
		if errors.As(err, &le) {
			code = le.Code
		}
		v.Set("mfa_error", code)
	} else if notice != "" {
		v.Set("mfa_notice", notice)
	}
	v.Set("tab", components.TabSecurity)
	target := p.h.ProfileURL()
	if len(v) > 0 {
		target += "?" + v.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// pageErrors is err in the page's language, tied to the code field when it
// is about the code.
func (p *Plugin) pageErrors(l components.Locale, err error) components.Errors {
	if err == nil {
		return nil
	}
	le := &latch.Error{Code: latch.ErrUnavailable.Code}
	errors.As(err, &le)
	return p.errorsFor(l, le.Code, le.Message, le.Field)
}

// errorsFor is the message of an error code: this package's translation,
// else the kernel's (English) message, else a generic refusal.
func (p *Plugin) errorsFor(l components.Locale, code, message, field string) components.Errors {
	if key, ok := pageErrors[code]; ok {
		message = components.T(l, key)
	} else if message == "" {
		message = components.T(l, "mfa.error.refused")
	}
	return components.Errors{{Field: field, Message: message}}
}

// profileSection renders the section of the account page for the user of
// s.
func (p *Plugin) profileSection(r *http.Request, s *latch.Session) (templ.Component, error) {
	ctx := r.Context()
	st, err := p.Status(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	l := p.h.Locale(r)
	props := components.MFASectionProps{TOTP: st.TOTP, SetUpTOTPURL: p.base() + "/totp", RemoveTOTPAction: p.base() + "?do=totp_remove",
		BackupCodesRemaining: st.BackupCodesRemaining, Required: st.Required, Locale: l}
	if others, err := p.h.OtherSecondFactors(ctx, s.UserID, ""); err != nil {
		return nil, err
	} else if len(others) > 0 {
		props.BackupCodesAction = p.base() + "?do=backup_codes"
	}
	for _, c := range []struct {
		f    *CodeFactor
		kind string
		on   *bool
	}{{p.phone, components.MFAChannelPhone, st.PhoneCode}, {p.email, components.MFAChannelEmail, st.EmailCode}} {
		if c.f == nil || c.on == nil {
			continue
		}
		ch := components.MFAChannel{Kind: c.kind, On: *c.on, Action: p.base() + "?do=" + c.kind + "_on"}
		if *c.on {
			ch.Action = p.base() + "?do=" + c.kind + "_off"
		}
		if i, err := c.f.primary(ctx, s.UserID); err == nil {
			ch.Value = i.Value
		} else if !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, latch.ErrNotFound) {
			return nil, err
		}
		props.Channels = append(props.Channels, ch)
	}
	q := r.URL.Query()
	if key, ok := pageNotices[q.Get("mfa_notice")]; ok {
		props.Notice = components.T(l, key)
	}
	if code := q.Get("mfa_error"); code != "" {
		if _, ok := pageErrors[code]; !ok {
			code = "" // say that it failed, in words of our own
		}
		props.Errors = p.errorsFor(l, code, "", "")
	}
	return components.MFASection(props), nil
}
