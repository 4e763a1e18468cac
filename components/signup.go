package components

import "slices"

func (p SignUpProps) title() string {
	if p.Branding.AppName == "" {
		return T(p.Locale, "signup.title_plain")
	}
	return T(p.Locale, "signup.title", p.Branding.AppName)
}

func (p SignUpProps) has(name string) bool { return slices.Contains(p.Fields, name) }

func (p SignUpProps) verifyKey(suffix string) string {
	if p.VerifyField == "phone_number" {
		return "signup.verify_phone." + suffix
	}
	return "signup.verify_email." + suffix
}

// field builds the input for one sign-up field.
func (p SignUpProps) field(name, typ, autocomplete string) field {
	f := field{
		ID:           "latch-signup-" + name,
		Name:         name,
		Type:         typ,
		Label:        T(p.Locale, "field."+name),
		Autocomplete: autocomplete,
		Error:        p.Errors.For(name),
		Alert:        true,
		Required:     true,
	}
	if typ != "password" {
		f.Value = p.Values[name]
	}
	if slices.Contains(p.Optional, name) {
		f.Optional = T(p.Locale, "common.optional")
	}
	switch name {
	case "username", "email_address":
		f.Attrs = map[string]any{"autocapitalize": "none", "spellcheck": "false"}
	}
	return f
}

// summaryErrors are the errors the card's summary shows: those of no field
// the step shows, each of which shows its own beneath it.
func (p SignUpProps) summaryErrors() Errors {
	switch p.Step {
	case StepVerify:
		return p.Errors.except("code")
	case StepLinkSent:
		return p.Errors
	}
	fields := append([]string(nil), p.Fields...)
	if p.Legal {
		fields = append(fields, "legal_accepted")
	}
	return p.Errors.except(fields...)
}
