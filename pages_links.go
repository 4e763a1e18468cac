package latch

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/latchauth/latch/components"
)

// The page an emailed link opens, and what its button does.

// verifyPageData is what the link page shows, in the words of the
// request's language (verifyText).
type verifyPageData struct {
	Title, Body, Note, Token string
	From                     *requestedFrom
	Buttons                  []verifyButton
}

// verifyButton is one choice of the link page; Continue says which to the
// POST ("" in the browser that asked, "here" or "there" elsewhere), and
// Confirm, when set, is a box that must be ticked first.
type verifyButton struct {
	Label, Continue, Confirm string
	Secondary                bool
}

// requestedFrom is the browser that asked for a link, as its flow
// recorded it, shown where the link is opened in another one.
type requestedFrom struct{ Device, IP, At string }

// verifyText returns the strings of the link page in r's language:
// components.T on the request's table.
func (a *Auth) verifyText(r *http.Request) func(key string, args ...any) string {
	loc := a.locale(r)
	return func(key string, args ...any) string { return components.T(loc, key, args...) }
}

// from describes the browser that asked for the link, with t's words for
// what its flow did not record.
func (l *landing) from(t func(string, ...any) string) *requestedFrom {
	f := &requestedFrom{Device: l.Device, IP: l.IP, At: l.v.CreatedAt.UTC().Format("15:04 MST, 2 January 2006")}
	if f.Device == "" {
		f.Device = t("verify.from.unknown_device")
	}
	if f.IP == "" {
		f.IP = t("verify.from.unknown_ip")
	}
	return f
}

// renderVerify answers with the page a link opens (SECURITY.md 15): the
// hosted pages' card, theme and language, in a document that changes
// nothing on GET (mail scanners open links too: a button posts the token
// back), loads nothing from anywhere (the stylesheet is inline) and sends
// no Referer, so the token leaks nowhere.
func (a *Auth) renderVerify(w http.ResponseWriter, r *http.Request, status int, d verifyPageData) {
	loc := a.locale(r)
	b := a.branding()
	if !strings.HasPrefix(b.LogoURL, "/") || strings.HasPrefix(b.LogoURL, "//") {
		b.LogoURL = "" // a logo from elsewhere would be a request from the page with the token
	}
	props := components.LinkPageProps{Title: d.Title, Body: d.Body, Note: d.Note, Action: "/v1/verify", Token: d.Token,
		Branding: b, Locale: loc, Appearance: a.cfg.UI.Appearance}
	if d.From != nil {
		props.From = &components.LinkOrigin{Device: d.From.Device, IP: d.From.IP, At: d.From.At}
	}
	for _, b := range d.Buttons {
		props.Buttons = append(props.Buttons, components.LinkChoice{Label: b.Label, Continue: b.Continue, Confirm: b.Confirm, Secondary: b.Secondary})
	}
	page := components.Page(components.PageProps{Title: d.Title + " · " + a.cfg.AppName, Referrer: "no-referrer", Locale: loc,
		Appearance: a.cfg.UI.Appearance}, components.LinkPage(props))
	writeStandalonePage(w, status, "img-src 'self'", templPage{r.Context(), page}, nil)
}

// templPage runs a templ component where writeStandalonePage takes a
// template.
type templPage struct {
	ctx context.Context
	c   templ.Component
}

func (p templPage) Execute(w io.Writer, _ any) error { return p.c.Render(p.ctx, w) }

// writeStandalonePage answers with a page of its own (not the portal's
// document): one that loads nothing from elsewhere, sends no Referer, is
// never cached, and loads scripts or images from this origin only when
// extra says so ("script-src 'self'", "img-src 'self'").
func writeStandalonePage(w http.ResponseWriter, status int, extra string, page interface {
	Execute(io.Writer, any) error
}, data any) {
	csp := "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	if extra != "" {
		csp += "; " + extra
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = page.Execute(w, data)
}

func (a *Auth) serveVerifyPage(w http.ResponseWriter, r *http.Request) {
	t := a.verifyText(r)
	tok := r.URL.Query().Get("token")
	if tok == "" {
		a.renderVerify(w, r, http.StatusBadRequest, verifyPageData{Title: t("verify.invalid.title"), Body: t("verify.invalid.body")})
		return
	}
	l, err := a.land(r.Context(), r, tok)
	if err != nil || l.same {
		// A dead link is told so when its button is pressed, like a
		// live one opened where it was asked for.
		a.renderVerify(w, r, http.StatusOK, verifyPageData{Title: t("verify.continue.title", a.cfg.AppName),
			Body: t("verify.continue.body"), Token: tok, Buttons: []verifyButton{{Label: t("verify.continue.button")}}})
		return
	}
	a.renderElsewhere(w, r, tok, l)
}

// renderElsewhere is the page of a link opened in another browser than
// the one that asked for it. It names the asking device, and offers to
// continue in this browser; a reset link only ever continues here. With
// SignInConfig.CrossDeviceLinks it also offers, behind a confirmation, to
// let the asking browser finish.
func (a *Auth) renderElsewhere(w http.ResponseWriter, r *http.Request, tok string, l *landing) {
	t := a.verifyText(r)
	d := verifyPageData{Token: tok, From: l.from(t)}
	switch {
	case a.resetsPassword(l.v.Purpose):
		d.Title = t("verify.reset.title")
		d.Body = t("verify.reset.body", l.who())
		d.Note = t("verify.reset.note")
		d.Buttons = []verifyButton{{Label: t("verify.here.button"), Continue: continueHere}}
		a.renderVerify(w, r, http.StatusOK, d)
		return
	case l.v.Purpose == purposeSignUpLink:
		d.Title = t("verify.elsewhere.title")
		d.Body = t("verify.sign_up.body", l.who())
		d.Note = t("verify.sign_up.note")
		d.Buttons = []verifyButton{{Label: t("verify.here.button"), Continue: continueHere}}
	default:
		d.Title = t("verify.elsewhere.title")
		d.Body = t("verify.sign_in.body", l.who())
		d.Note = t("verify.sign_in.note")
		d.Buttons = []verifyButton{{Label: t("verify.here.button"), Continue: continueHere}}
	}
	if a.cfg.SignIn.CrossDeviceLinks {
		d.Buttons = append(d.Buttons, verifyButton{Label: t("verify.there.button"), Continue: continueThere, Secondary: true,
			Confirm: t("verify.there.confirm", d.From.Device, d.From.IP)})
	}
	a.renderVerify(w, r, http.StatusOK, d)
}

// serveVerify redeems a link. In the browser that asked for it, it
// finishes that browser's flow. Elsewhere nothing is spent until the
// person chooses: "here" spends the link on a flow of this browser's own
// (the mailbox was proved here, so this browser gets what it gives), and
// "there", only with SignInConfig.CrossDeviceLinks and a ticked
// confirmation, lets the asking browser finish. A reset link never
// finishes in the browser that asked for it unless it is also the one
// that opened it: that browser learns nothing of it.
func (a *Auth) serveVerify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rq, w := a.drive(w, r)
	t := a.verifyText(r)
	tok := r.PostFormValue("token")
	expired := func() {
		a.renderVerify(w, r, http.StatusGone, verifyPageData{Title: t("verify.expired.title"), Body: t("verify.expired.body")})
	}
	l, err := a.land(ctx, r, tok)
	if err != nil {
		expired()
		return
	}
	choice := r.PostFormValue("continue")
	switch {
	case l.same:
		choice = ""
	case a.resetsPassword(l.v.Purpose):
		choice = continueHere
	case choice == continueThere && (!a.cfg.SignIn.CrossDeviceLinks || r.PostFormValue("confirm") != "yes"):
		choice = ""
	case choice != continueHere && choice != continueThere:
		choice = "" // "" finishes the asking browser's flow: only there
	}
	if !l.same && choice == "" {
		// Opened elsewhere and nothing chosen (or "there" unconfirmed):
		// say where the request came from, spend nothing.
		a.renderElsewhere(w, r, tok, l)
		return
	}
	v, err := a.consumeLink(ctx, tok, linkPurposes...)
	if err != nil {
		expired()
		return
	}
	var redirect string
	if v.Purpose == purposeSignUpLink {
		redirect, err = a.verifySignUpLink(ctx, rq, l.rec, choice)
	} else {
		redirect, err = a.verifySignInLink(ctx, rq, l.rec, v, choice)
	}
	switch {
	case err != nil:
		a.renderVerify(w, r, asError(err).Status, verifyPageData{Title: t("verify.error.title"), Body: asError(err).Message})
	case choice == continueThere:
		a.renderVerify(w, r, http.StatusOK, verifyPageData{Title: t("verify.verified.title"), Body: t("verify.verified.body", l.from(t).Device)})
	default:
		if redirect == "" {
			redirect = "/"
		}
		http.Redirect(w, r, redirect, http.StatusSeeOther)
	}
}
