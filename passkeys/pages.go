package passkeys

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/a-h/templ"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
)

// formPath is where the account page's passkey forms post, with "do"
// naming the action: begin (a registration, which shows the page that runs
// it), finish, rename and remove. Each answers with a redirect to the
// account page, or a page with the error.
const formPath = "/user/passkeys"

// maxFormBytes bounds a form: a credential is the largest field.
const maxFormBytes = 64 << 10

// profileSection is the account page's "Passkeys and security keys".
func (p *Plugin) profileSection(r *http.Request, s *latch.Session) (templ.Component, error) {
	props, err := p.sectionProps(r, s.UserID, nil)
	if err != nil {
		return nil, err
	}
	return components.PasskeysSection(props), nil
}

func (p *Plugin) sectionProps(r *http.Request, userID string, errs components.Errors) (components.PasskeysProps, error) {
	loc := p.h.Locale(r)
	props := components.PasskeysProps{AddAction: formPath + "?do=begin", RenameAction: formPath + "?do=rename",
		RemoveAction: formPath + "?do=remove", Errors: errs, BackURL: p.h.ProfileTabURL(components.TabSecurity), Locale: loc, Appearance: p.h.Appearance()}
	creds, err := p.h.Store().ListCredentials(r.Context(), userID)
	if err != nil {
		return props, err
	}
	now := p.h.Now()
	for _, c := range creds {
		k := components.Passkey{ID: c.ID, Name: c.Name, Kind: c.Kind, Added: components.RelativeTime(loc, c.CreatedAt, now), Synced: c.BackupState}
		if !c.LastUsedAt.IsZero() {
			k.LastUsed = components.RelativeTime(loc, c.LastUsedAt, now)
		}
		props.Passkeys = append(props.Passkeys, k)
	}
	return props, nil
}

// serveForm handles the account page's passkey forms.
func (p *Plugin) serveForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.h.Respond(w, nil, latch.ErrInvalid)
		return
	}
	if !p.h.ReverifiedForm(w, r, p.h.ProfileTabURL(components.TabSecurity)) {
		return
	}
	ctx, f := r.Context(), r.PostForm
	s := latch.SessionFromContext(ctx)
	var err error
	switch r.URL.Query().Get("do") {
	case "begin":
		p.renderRegister(w, r, f.Get("kind"), nil)
		return
	case "finish":
		_, err = p.finish(w, r, FinishParams{ID: f.Get("id"), Credential: json.RawMessage(f.Get("credential")), Name: f.Get("name"), Kind: f.Get("kind")})
		if err != nil {
			// The challenge is spent: start again, with the error.
			p.renderRegister(w, r, f.Get("kind"), errorsOf(err, ""))
			return
		}
	case "rename":
		_, err = p.rename(ctx, s, f.Get("id"), f.Get("name"))
	case "remove":
		err = p.remove(r, s, f.Get("id"))
	default:
		err = latch.ErrInvalid
	}
	if err != nil {
		p.renderErrors(w, r, err, f.Get("id"))
		return
	}
	http.Redirect(w, r, p.h.ProfileTabURL(components.TabSecurity), http.StatusSeeOther)
}

// renderRegister begins a registration of kind and shows the page that
// runs it.
func (p *Plugin) renderRegister(w http.ResponseWriter, r *http.Request, kind string, errs components.Errors) {
	reg, err := p.begin(r, kind)
	if err != nil {
		p.renderErrors(w, r, err, "")
		return
	}
	loc := p.h.Locale(r)
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	props := components.PasskeyRegisterProps{Kind: reg.Kind, Options: string(reg.Options), Action: formPath + "?do=finish",
		Hidden: map[string]string{"id": reg.ID, "kind": reg.Kind}, CancelURL: p.h.ProfileTabURL(components.TabSecurity), Errors: errs,
		Locale: loc, Appearance: p.h.Appearance()}
	p.h.RenderPage(w, r, status, components.T(loc, "profile.passkeys.add."+reg.Kind), components.PasskeyRegister(props))
}

// renderErrors shows the user's credentials with the error of a form.
func (p *Plugin) renderErrors(w http.ResponseWriter, r *http.Request, err error, id string) {
	s := latch.SessionFromContext(r.Context())
	props, lerr := p.sectionProps(r, s.UserID, errorsOf(err, id))
	if lerr != nil {
		p.h.Respond(w, nil, lerr)
		return
	}
	loc := p.h.Locale(r)
	p.h.RenderPage(w, r, errorOf(err).Status, components.T(loc, "profile.passkeys.title"), components.PasskeysPage(props))
}

// errorOf is err as the kernel answers it: an *latch.Error, or, for
// anything else, ErrUnavailable, whose message says nothing of internals.
func errorOf(err error) *latch.Error {
	var le *latch.Error
	if errors.As(err, &le) {
		return le
	}
	return latch.ErrUnavailable
}

// errorsOf is err as the components show it; a name error of the rename
// form of credential id is shown on that form.
func errorsOf(err error, id string) components.Errors {
	le := errorOf(err)
	field := le.Field
	if field == "name" && id != "" {
		field = "name:" + id
	}
	return components.Errors{{Field: field, Message: le.Message}}
}
