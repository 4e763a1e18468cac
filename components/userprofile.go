package components

import "strings"

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

// deviceMeta is "IP · location · last active".
func deviceMeta(l Locale, d Device) string {
	var parts []string
	for _, s := range []string{d.IP, d.Location} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if d.LastActive != "" {
		parts = append(parts, T(l, "profile.device.last_active", d.LastActive))
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
