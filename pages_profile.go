package latch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/a-h/templ"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/internal/device"
	"github.com/latchauth/latch/storage"
)

// The hosted account page: the user's profile, addresses, sessions and
// the plugins' sections.

// profilePage is what the account page shows.
type profilePage struct {
	User     *User
	Sessions []SessionInfo
	Err      *Error
	Notice   string
	Verify   string // the identifier whose code was just sent
	Tab      string // the pane shown
}

// savedNotices are the account page's actions that say so when done, by
// the "saved" parameter of the page's URL after the redirect.
var savedNotices = []string{"update_profile", "add_email", "add_phone", "verify", "resend", "primary", "remove", "password", "revoke"}

// securityActions are the actions of the Security pane, which their
// redirect goes back to.
var securityActions = []string{"password", "revoke", "delete"}

func (a *Auth) servePortalProfile(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := profilePage{Verify: q.Get("verify"), Tab: a.profileTab(q.Get("tab"))}
	if saved := q.Get("saved"); slices.Contains(savedNotices, saved) {
		p.Notice = components.T(a.locale(r), "profile.saved."+saved)
	}
	a.renderProfileFor(w, r, http.StatusOK, p)
}

// profileTab is tab if it names a pane, the Profile pane otherwise.
func (a *Auth) profileTab(tab string) string {
	if tab == components.TabSecurity {
		return tab
	}
	for _, t := range a.plugins.tabs {
		if t.key == tab {
			return tab
		}
	}
	return components.TabProfile
}

// profileTabURL is the account page on pane tab, with more parameters.
func (a *Auth) profileTabURL(tab string, v url.Values) string {
	if v == nil {
		v = url.Values{}
	}
	if tab != components.TabProfile {
		v.Set("tab", tab)
	}
	if len(v) == 0 {
		return a.cfg.Session.ProfileURL
	}
	return a.cfg.Session.ProfileURL + "?" + v.Encode()
}

// profileTab is a pane of the account page a plugin added.
type profileTab struct {
	key, label string
	section    ProfileSection
}

// AddProfileTab adds a pane to the hosted account page's navigation, after
// Profile and Security (where AddProfileSection's sections go): key names
// it in the page's URL (?tab=key), label is the key of its name in the
// string tables (see AddStrings), section renders it. The plugin's own
// forms come back to it at ProfileTabURL(key).
func (h *Host) AddProfileTab(key, label string, section ProfileSection) error {
	if key == "" || key == components.TabProfile || key == components.TabSecurity || url.QueryEscape(key) != key {
		return fmt.Errorf("AddProfileTab: %q is not a free pane name", key)
	}
	if section == nil {
		return fmt.Errorf("AddProfileTab %s: no section", key)
	}
	for _, t := range h.a.plugins.tabs {
		if t.key == key {
			return fmt.Errorf("AddProfileTab: %q added twice", key)
		}
	}
	h.a.plugins.tabs = append(h.a.plugins.tabs, profileTab{key, label, section})
	return nil
}

// ProfileTabURL returns the URL of a pane of the account page:
// components.TabProfile, components.TabSecurity (where the sections of
// AddProfileSection are) or a key given to AddProfileTab.
func (h *Host) ProfileTabURL(tab string) string { return h.a.profileTabURL(tab, nil) }

func (a *Auth) renderProfileFor(w http.ResponseWriter, r *http.Request, status int, p profilePage) {
	s := SessionFromContext(r.Context())
	u, err := a.GetUser(r.Context(), s.UserID)
	if err != nil {
		writeError(w, err)
		return
	}
	sessions, err := a.ListUserSessions(r.Context(), s.UserID, s.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	p.User, p.Sessions = u, sessions
	a.renderProfile(w, r, status, p)
}

// servePortalProfilePost handles the account page's forms; the "do"
// parameter of the form's URL says which. Each answers with a redirect back to the page, or the page with
// the error.
func (a *Auth) servePortalProfilePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := SessionFromContext(ctx)
	if err := r.ParseForm(); err != nil {
		writeError(w, ErrInvalid)
		return
	}
	f := r.PostForm
	id := f.Get("id")
	locale := a.language(r)
	action := r.URL.Query().Get("do")
	tab := components.TabProfile
	if slices.Contains(securityActions, action) {
		tab = components.TabSecurity
	}
	after := url.Values{"saved": {action}}
	var err error
	switch action {
	case "update_profile":
		first, last := f.Get("first_name"), f.Get("last_name")
		_, err = a.UpdateUser(ctx, s.UserID, UpdateUserParams{FirstName: &first, LastName: &last})
	case "add_email", "add_phone":
		kind, v := storage.KindEmailAddress, f.Get("email_address")
		if action == "add_phone" {
			kind, v = storage.KindPhoneNumber, f.Get("phone_number")
		}
		var i *Identifier
		if i, err = a.addOwnIdentifier(ctx, s, kind, v, locale); err == nil {
			after.Set("verify", i.ID)
		}
	case "verify":
		_, err = a.attemptIdentifierVerification(ctx, s, id, f.Get("code"), locale)
	case "resend":
		if err = a.prepareIdentifierVerification(ctx, s, id, locale); err == nil {
			after.Set("verify", id)
		}
	case "primary", "remove":
		err = a.changeOwnIdentifier(ctx, s, id, action == "remove")
	case "password":
		err = a.changePassword(ctx, s, locale, ChangePasswordParams{CurrentPassword: f.Get("current_password"),
			NewPassword: f.Get("new_password"), SignOutOfOtherSessions: f.Get("sign_out_other_devices") != ""})
	case "revoke":
		var target *storage.Session
		if target, err = a.store.GetSession(ctx, id); err != nil || target.UserID != s.UserID {
			err = ErrNotFound
		} else {
			err = a.RevokeSession(ctx, id)
		}
	case "delete":
		if err = a.deleteOwnAccount(ctx, s); err == nil {
			a.cookies.clear(w)
			http.Redirect(w, r, a.homeURL(), http.StatusSeeOther)
			return
		}
	default:
		err = ErrInvalid
	}
	if errors.Is(err, ErrReverificationRequired) {
		// Verify it's you, then back to the account page to do it again.
		http.Redirect(w, r, a.cfg.Session.ReverifyURL+"?redirect_url="+url.QueryEscape(a.profileTabURL(tab, nil)), http.StatusSeeOther)
		return
	}
	if err != nil {
		le := asError(err)
		a.renderProfileFor(w, r, le.Status, profilePage{Err: le, Verify: id, Tab: tab})
		return
	}
	http.Redirect(w, r, a.profileTabURL(tab, after), http.StatusSeeOther)
}

// deleteOwnAccount deletes the signed-in user's account. Like every other
// sensitive change it needs a recent reverification: a session left open
// on a shared computer, or a stolen session cookie, must not be enough to
// destroy the account.
func (a *Auth) deleteOwnAccount(ctx context.Context, s *Session) error {
	if err := reverified(ctx, s); err != nil {
		return err
	}
	return a.DeleteUser(ctx, s.UserID)
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

// profileTabs are the plugins' panes, with the sections of the current
// one rendered.
func (a *Auth) profileTabs(r *http.Request, loc components.Locale, current string) []components.ProfileTab {
	s := SessionFromContext(r.Context())
	out := make([]components.ProfileTab, 0, len(a.plugins.tabs))
	for _, t := range a.plugins.tabs {
		pt := components.ProfileTab{Key: t.key, Label: components.T(loc, t.label)}
		if t.key == current {
			c, err := t.section(r, s)
			if err != nil {
				a.cfg.Logger.ErrorContext(r.Context(), "latch: rendering a plugin's account pane", "pane", t.key, "err", err)
			} else if c != nil {
				pt.Sections = []templ.Component{c}
			}
		}
		out = append(out, pt)
	}
	return out
}

// homeURL is where the account page's back link leads: UI.HomeURL, else
// the application's root.
func (a *Auth) homeURL() string { return cmp.Or(a.cfg.UI.HomeURL, "/") }

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
	now := a.cfg.Clock()
	for _, s := range p.Sessions {
		devices = append(devices, components.Device{ID: s.ID, Browser: s.Browser, OS: device.OSName(s.OS), IP: s.IP,
			LastActive: components.RelativeTime(loc, s.LastActiveAt, now), LastActiveAt: s.LastActiveAt,
			Mobile: s.DeviceType == "mobile" || s.DeviceType == "tablet", Current: s.Current})
	}
	errs := errorsOf(p.Err)
	if p.Err != nil && p.Err.Field == "code" && p.Verify != "" {
		errs = components.Errors{{Field: "code:" + p.Verify, Message: p.Err.Message}}
	}
	body := components.UserProfile(components.UserProfileProps{FirstName: p.User.FirstName, LastName: p.User.LastName, ImageURL: p.User.ImageURL,
		UpdateProfileAction: base + "update_profile", Emails: contacts(p.User.EmailAddresses), EmailActions: emailActions,
		Phones: contacts(p.User.PhoneNumbers), PhoneActions: phoneActions, HasPassword: p.User.PasswordEnabled, PasswordAction: base + "password",
		Devices: devices, RevokeDeviceAction: base + "revoke", DeleteAccountAction: base + "delete", Notice: p.Notice, Errors: errs,
		Extra: a.profileSections(r), TabURL: a.cfg.Session.ProfileURL + "?tab=", Tab: p.Tab, Tabs: a.profileTabs(r, loc, p.Tab),
		HomeURL: a.homeURL(), AppName: a.cfg.AppName,
		Locale: loc, Appearance: a.cfg.UI.Appearance})
	a.renderPage(w, r, status, components.T(loc, "profile.title"), body)
}
