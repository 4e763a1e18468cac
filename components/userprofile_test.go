package components

import (
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
)

// panedProfile is the account page with navigation, on pane tab.
func panedProfile(tab string, l Locale) UserProfileProps {
	return UserProfileProps{FirstName: "Jane", LastName: "Doe",
		UpdateProfileAction: "/user?do=update_profile",
		Emails:              []Contact{{"em_1", "jane@example.com", true, true}, {"em_2", "j@verified.example", false, true}},
		EmailActions:        ContactActions{Add: "/user?do=add_email", Remove: "/user?do=remove", MakePrimary: "/user?do=primary"},
		HasPassword:         true, PasswordAction: "/user?do=password",
		Devices: []Device{
			{ID: "sess_1", Browser: "Chrome 131", OS: "macOS", LastActive: "just now", Current: true},
			{ID: "sess_2", Browser: "Safari 18", OS: "iOS", IP: "198.51.100.7", LastActive: "3 hours ago", LastActiveAt: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC), Mobile: true},
		},
		RevokeDeviceAction: "/user?do=revoke", DeleteAccountAction: "/user?do=delete",
		Extra:  []templ.Component{templ.Raw(`<section class="latch-section"><h2 class="latch-section__title">Two-step verification</h2></section>`)},
		TabURL: "/user?tab=", Tab: tab, HomeURL: "/", AppName: "Acme",
		Tabs:   []ProfileTab{{Key: "organizations", Label: "Organizations", Sections: []templ.Component{templ.Raw(`<section class="latch-section"><h2 class="latch-section__title">Acme Inc</h2></section>`)}}},
		Notice: T(l, "profile.saved.password"), Hidden: hidden1, Locale: l}
}

func profileCases() map[string]templ.Component {
	return map[string]templ.Component{
		"userprofile_pane_profile":  UserProfile(panedProfile("", nil)),
		"userprofile_pane_security": UserProfile(panedProfile(TabSecurity, nil)),
		"userprofile_pane_plugin":   UserProfile(panedProfile("organizations", nil)),
		"userprofile_pane_fr":       UserProfile(panedProfile(TabSecurity, French)),
		"userbutton_scripted": UserButton(UserButtonProps{User: UserSummary{SessionID: "sess_1", Name: "Jane Doe", Email: "jane@example.com"},
			ManageAccountURL: "/user", SignOutAction: "/sign-out", ScriptURL: "/v1/userbutton.js", StylesheetURL: "/v1/latch.css",
			Items: []MenuEntry{{Label: "Billing", URL: "/billing", Icon: "user"}, {Label: "Help", URL: "/help"}}}),
		"linkpage_elsewhere": LinkPage(LinkPageProps{Title: "Continue in this browser?", Body: "Someone asked to sign in as jane@example.com.",
			Note: "If it was not you, close this page.", From: &LinkOrigin{Device: "Firefox 133 on Windows", IP: "192.0.2.1", At: "12:00 UTC, 1 January 2030"},
			Action: "/v1/verify", Token: "ver_1.secret", Branding: branding,
			Buttons: []LinkChoice{{Label: "Continue in this browser", Continue: "here"}, {Label: "Continue on that device", Continue: "there", Confirm: "I asked for this link myself.", Secondary: true}}}),
		"linkpage_fr_dark": Page(PageProps{Title: "Continuer", Referrer: "no-referrer", StylesheetURL: "/v1/latch.css", Locale: French, Appearance: Appearance{Theme: "dark"}},
			LinkPage(LinkPageProps{Title: "Continuer vers Acme", Body: "Appuyez sur le bouton.", Action: "/v1/verify", Token: "t", Buttons: []LinkChoice{{Label: "Continuer"}},
				Locale: French, Appearance: Appearance{Theme: "dark"}})),
	}
}

// TestProfilePanes: with navigation, each pane shows its own sections
// only, the navigation marks the current one, and the page links back to
// the app.
func TestProfilePanes(t *testing.T) {
	has := func(html string, parts ...string) bool {
		for _, p := range parts {
			if !strings.Contains(html, p) {
				return false
			}
		}
		return true
	}
	prof := render(t, UserProfile(panedProfile("", nil)))
	sec := render(t, UserProfile(panedProfile(TabSecurity, nil)))
	org := render(t, UserProfile(panedProfile("organizations", nil)))
	if !has(prof, `href="/user?tab=profile" aria-current="page"`, "latch-profile-email-title", `href="/"`, "Back to Acme") || strings.Contains(prof, "latch-profile-password-title") {
		t.Error("the Profile pane")
	}
	if !has(sec, `href="/user?tab=security" aria-current="page"`, "latch-profile-password-title", "Two-step verification", "latch-profile-devices-title", "latch-profile-danger-title") ||
		strings.Contains(sec, "latch-profile-email-title") {
		t.Error("the Security pane")
	}
	if !has(org, `href="/user?tab=organizations" aria-current="page"`, "Acme Inc") || strings.Contains(org, "Two-step verification") || strings.Contains(prof, "Acme Inc") {
		t.Error("a plugin's pane")
	}
	if !has(sec, `role="status"`, "Your password was saved.") {
		t.Error("no announced notice after a save")
	}
	if !has(sec, `<time datetime="2026-03-04T09:00:00Z">Last active 3 hours ago</time>`) {
		t.Error("no machine-readable time")
	}
}

// TestRemovalsAskFirst: removing an address, a device or a passkey opens
// a confirmation whose button posts; the opener itself posts nothing.
func TestRemovalsAskFirst(t *testing.T) {
	html := render(t, UserProfile(panedProfile("", nil))) + render(t, UserProfile(panedProfile(TabSecurity, nil))) +
		render(t, PasskeysSection(PasskeysProps{Passkeys: []Passkey{{ID: "pk_1", Name: "Laptop", Kind: "passkey"}}, RemoveAction: "/user/passkeys?do=remove"}))
	for _, q := range []string{"Remove j@verified.example? ", "Sign out of Safari 18 on iOS? ", "Remove Laptop? "} {
		i := strings.Index(html, q)
		if i < 0 {
			t.Errorf("no confirmation %q", q)
			continue
		}
		open := strings.LastIndex(html[:i], `<details class="latch-confirm">`)
		if open < 0 || strings.Contains(html[open:i], "<form") {
			t.Errorf("%q: the opener is not a bare <details>", q)
		}
		if !strings.Contains(html[i:min(len(html), i+600)], `type="submit"`) {
			t.Errorf("%q: no button that posts", q)
		}
	}
}

// TestRelativeTime: recent times read as relative in the user's language,
// older ones as a date.
func TestRelativeTime(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ago  time.Duration
		l    Locale
		want string
	}{
		{10 * time.Second, nil, "just now"}, {90 * time.Second, nil, "1 minute ago"}, {5 * time.Minute, nil, "5 minutes ago"},
		{2 * time.Hour, nil, "2 hours ago"}, {30 * time.Hour, nil, "yesterday"}, {3 * 24 * time.Hour, French, "il y a 3 jours"},
		{20 * 24 * time.Hour, nil, "Feb 18, 2026"}, {20 * 24 * time.Hour, French, "18 févr. 2026"},
	} {
		if got := RelativeTime(c.l, now.Add(-c.ago), now); got != c.want {
			t.Errorf("%v ago: %q, want %q", c.ago, got, c.want)
		}
	}
}
