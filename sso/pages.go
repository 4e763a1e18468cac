package sso

import (
	"bytes"
	"context"
	"html/template"
	"io"
	"net/http"

	"github.com/a-h/templ"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
)

// formPath is where the account page's connected-account forms post, with
// "do" naming the action: connect (which leaves for the provider) or
// disconnect (which needs a recent verification).
const formPath = "/user/external_accounts"

type sectionAccount struct {
	ID, Label, Detail, Disconnect string
	Icon                          template.URL
}

type sectionProvider struct {
	Strategy, Label string
	Icon            template.URL
}

type sectionData struct {
	Action, Title, Empty, Disconnect string
	Accounts                         []sectionAccount
	Providers                        []sectionProvider
}

var sectionTemplate = template.Must(template.New("section").Parse(`<section class="latch-section" aria-labelledby="latch-profile-sso-title">
<h2 class="latch-section__title" id="latch-profile-sso-title">{{.Title}}</h2><div class="latch-section__body">
{{if .Accounts}}<ul class="latch-list">{{range .Accounts}}<li class="latch-list__item"><div class="latch-list__row"><div class="latch-list__main">
<p class="latch-list__value">{{if .Icon}}<img class="latch-strategy-icon" src="{{.Icon}}" alt="" width="20" height="20"> {{end}}{{.Label}}</p>{{with .Detail}}<p class="latch-muted latch-small">{{.}}</p>{{end}}</div>
<div class="latch-list__actions"><form class="latch-form latch-form--inline" method="post" action="{{$.Action}}?do=disconnect"><input type="hidden" name="id" value="{{.ID}}">
<button class="latch-button latch-button--sm latch-button--ghost latch-button--danger-text" type="submit" aria-label="{{.Disconnect}}">{{$.Disconnect}}</button></form></div></div></li>{{end}}</ul>
{{else}}<p class="latch-muted latch-small">{{.Empty}}</p>{{end}}
{{if .Providers}}<form class="latch-form latch-strategies" method="post" action="{{.Action}}?do=connect">{{range .Providers}}
<button class="latch-button latch-button--secondary" type="submit" name="strategy" value="{{.Strategy}}">{{if .Icon}}<img class="latch-strategy-icon" src="{{.Icon}}" alt="" width="20" height="20"> {{end}}{{.Label}}</button>{{end}}</form>{{end}}
</div></section>`))

// profileSection is the account page's "Connected accounts": the user's
// accounts at the configured providers, and the providers to connect.
func (pl *Plugin) profileSection(r *http.Request, s *latch.Session) (templ.Component, error) {
	accounts, err := pl.claimAll(r.Context(), s.UserID)
	if err != nil {
		return nil, err
	}
	loc := pl.h.Locale(r)
	data := sectionData{Action: formPath, Title: components.T(loc, "sso.section.title"), Empty: components.T(loc, "sso.section.empty"),
		Disconnect: components.T(loc, "sso.section.disconnect")}
	connected := map[string]bool{}
	for _, ea := range accounts {
		label := ea.Provider
		var icon template.URL
		if p := pl.byName[ea.Provider]; p != nil {
			label, icon = p.Label, template.URL(iconURL(p.Icon))
		}
		detail := ea.EmailAddress
		if detail == "" {
			detail = ea.Username
		}
		data.Accounts = append(data.Accounts, sectionAccount{ID: ea.ID, Label: label, Detail: detail, Icon: icon,
			Disconnect: components.T(loc, "sso.section.disconnect_one", label)})
		connected[ea.Provider] = true
	}
	for _, p := range pl.providers {
		if !connected[p.name] {
			data.Providers = append(data.Providers, sectionProvider{Strategy: p.name, Label: components.T(loc, "sso.section.connect", p.Label),
				Icon: template.URL(iconURL(p.Icon))})
		}
	}
	var buf bytes.Buffer
	if err := sectionTemplate.Execute(&buf, data); err != nil {
		return nil, err
	}
	html := buf.Bytes()
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := w.Write(html)
		return err
	}), nil
}

// leavePage sends the browser on to the provider: a page that refreshes
// to it, since browsers hold a form's redirect to the page's form-action.
var leavePage = template.Must(template.New("leave").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url={{.URL}}"><title>{{.Label}}</title></head>
<body><p><a id="latch-leave" href="{{.URL}}">{{.Label}}</a></p></body></html>`))

// serveForm handles the account page's forms.
func (pl *Plugin) serveForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		pl.h.Respond(w, nil, latch.ErrInvalid)
		return
	}
	ctx := r.Context()
	s := latch.SessionFromContext(ctx)
	switch r.URL.Query().Get("do") {
	case "connect":
		p, err := pl.provider(r.PostFormValue("strategy"))
		if err != nil {
			pl.formError(w, r, err)
			return
		}
		u, err := pl.startConnect(ctx, s, p, "", nil)
		if err != nil {
			pl.formError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		_ = leavePage.Execute(w, map[string]string{"URL": u, "Label": components.T(pl.h.Locale(r), "sso.leave", p.Label)})
	case "disconnect":
		if !pl.h.ReverifiedForm(w, r, pl.h.ProfileTabURL(components.TabSecurity)) {
			return
		}
		if err := pl.Disconnect(ctx, s.UserID, r.PostFormValue("id")); err != nil {
			pl.formError(w, r, err)
			return
		}
		http.Redirect(w, r, pl.h.ProfileTabURL(components.TabSecurity), http.StatusSeeOther)
	default:
		pl.h.Respond(w, nil, latch.ErrInvalid)
	}
}

var errorTemplate = template.Must(template.New("error").Parse(`<div class="latch-card"><div class="latch-card__body">
<p class="latch-error" role="alert">{{.Message}}</p><p><a class="latch-link" href="{{.Back}}">{{.BackLabel}}</a></p></div></div>`))

// formError shows the error of a form, in the kernel's words.
func (pl *Plugin) formError(w http.ResponseWriter, r *http.Request, err error) {
	le := asLatchError(err)
	if le == nil {
		le = latch.ErrUnavailable
	}
	var buf bytes.Buffer
	_ = errorTemplate.Execute(&buf, map[string]string{"Message": le.Message, "Back": pl.h.ProfileTabURL(components.TabSecurity),
		"BackLabel": components.T(pl.h.Locale(r), "sso.section.back")})
	html := buf.Bytes()
	pl.h.RenderPage(w, r, le.Status, components.T(pl.h.Locale(r), "sso.section.title"), templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := w.Write(html)
		return err
	}))
}
