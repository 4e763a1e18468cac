package components

import "github.com/a-h/templ"

func (p SignInProps) step() string {
	if p.Step == "" {
		return StepIdentifier
	}
	return p.Step
}

func (p SignInProps) identifierTitle() string {
	if p.Branding.AppName == "" {
		return T(p.Locale, "signin.identifier.title_plain")
	}
	return T(p.Locale, "signin.identifier.title", p.Branding.AppName)
}

// codeAttrs are the attributes of a one-time-code input; max limits it to
// six digits (a second factor may also take a longer backup code).
func codeAttrs(max bool) templ.Attributes {
	a := templ.Attributes{"inputmode": "numeric", "spellcheck": "false"}
	if max {
		a["maxlength"] = "6"
		a["pattern"] = "[0-9]*"
	}
	return a
}
