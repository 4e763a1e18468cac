package components

import (
	"strings"
	"time"

	"github.com/a-h/templ"
)

func addField(p UserProfileProps, kind string) field {
	f := field{
		ID:       "latch-profile-add-" + kind,
		Name:     "email_address",
		Type:     "email",
		Label:    T(p.Locale, "profile.add_email"),
		Required: true,
		Error:    p.Errors.For("email_address"),
	}
	f.Autocomplete = "email"
	if kind == "phone" {
		f.Name, f.Type, f.Autocomplete = "phone_number", "tel", "tel"
		f.Label = T(p.Locale, "profile.add_phone")
		f.Error = p.Errors.For("phone_number")
	}
	return f
}

// deviceName is "Browser on OS", or whichever is known.
func deviceName(l Locale, d Device) string {
	switch {
	case d.Browser != "" && d.OS != "":
		return T(l, "profile.device.name", d.Browser, d.OS)
	case d.Browser != "":
		return d.Browser
	case d.OS != "":
		return d.OS
	}
	return T(l, "profile.device.unknown")
}

// deviceMeta is "IP · location · " before the last activity.
func deviceMeta(_ Locale, d Device) string {
	var parts []string
	for _, s := range []string{d.IP, d.Location} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) > 0 && d.LastActive != "" {
		parts = append(parts, "")
	}
	return strings.Join(parts, " · ")
}

// primaryEmail is the address the avatar falls back to for its letter when
// the user has no name.
func (p UserProfileProps) primaryEmail() string {
	for _, e := range p.Emails {
		if e.Primary {
			return e.Value
		}
	}
	return ""
}

// Profile panes, the values of UserProfileProps.Tab.
const (
	TabProfile  = "profile"
	TabSecurity = "security"
)

// ProfileTab is a pane of the account page a plugin adds (organizations,
// billing): Key names it in the URL, Label in the navigation.
type ProfileTab struct {
	Key      string
	Label    string
	Sections []templ.Component
}

// tab is the current pane, TabProfile by default.
func (p UserProfileProps) tab() string {
	if p.Tab == "" {
		return TabProfile
	}
	return p.Tab
}

// shows reports whether the pane key's sections are shown: every pane
// without navigation, the current one with it.
func (p UserProfileProps) shows(key string) bool {
	return p.TabURL == "" || p.tab() == key
}

// paneTitle and paneSubtitle head the current pane.
func (p UserProfileProps) paneTitle() string {
	if p.TabURL == "" {
		return T(p.Locale, "profile.title")
	}
	for _, t := range p.Tabs {
		if t.Key == p.tab() {
			return t.Label
		}
	}
	return T(p.Locale, "profile.tab."+p.tab())
}

func (p UserProfileProps) paneSubtitle() string {
	if p.TabURL == "" {
		return T(p.Locale, "profile.subtitle")
	}
	switch p.tab() {
	case TabProfile, TabSecurity:
		return T(p.Locale, "profile.tab."+p.tab()+".subtitle")
	}
	return ""
}

// backLabel is "Back to App".
func (p UserProfileProps) backLabel() string {
	if p.AppName == "" {
		return T(p.Locale, "profile.back_plain")
	}
	return T(p.Locale, "profile.back", p.AppName)
}

// RelativeTime says when t was, seen from now, in the words of l: "just
// now", "5 minutes ago", "yesterday", "3 days ago", then the date ("Mar 4,
// 2026") from a week on. The date is t's in t's location.
func RelativeTime(l Locale, t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return T(l, "time.just_now")
	case d < 2*time.Minute:
		return T(l, "time.minute_ago")
	case d < time.Hour:
		return T(l, "time.minutes_ago", int(d/time.Minute))
	case d < 2*time.Hour:
		return T(l, "time.hour_ago")
	case d < 24*time.Hour:
		return T(l, "time.hours_ago", int(d/time.Hour))
	case d < 48*time.Hour:
		return T(l, "time.day_ago")
	case d < 7*24*time.Hour:
		return T(l, "time.days_ago", int(d/(24*time.Hour)))
	}
	months := strings.Fields(T(l, "time.months"))
	m := t.Month().String()
	if len(months) == 12 {
		m = months[t.Month()-1]
	}
	return T(l, "time.date", m, t.Day(), t.Year())
}
