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

// identifierAttrs are the identifier input's attributes; with passkeys, the
// WebAuthn script offers them in the field's autofill (conditional UI).
func (p SignInProps) identifierAttrs() templ.Attributes {
	a := templ.Attributes{"autocapitalize": "none", "spellcheck": "false"}
	if p.PasskeyStartURL != "" {
		a["data-latch-passkey-start"] = p.PasskeyStartURL
		redirect := p.Hidden["redirect_url"]
		if redirect == "" {
			redirect = "/"
		}
		a["data-latch-redirect"] = redirect
	}
	return a
}

func (p SignInProps) secondFactorTitle() string {
	if p.Factor != nil && p.Factor.Enrollment != nil || p.Factor != nil && p.Factor.Create {
		return "factor.enroll.title"
	}
	return "signin.second_factor.title"
}

func (p SignInProps) secondFactorSubtitle() string {
	if p.Factor != nil && (p.Factor.Enrollment != nil || p.Factor.Create) {
		return "factor.enroll.subtitle"
	}
	return "factor.subtitle"
}

// FactorForm is one factor a page asks for: its strategy and how it is
// answered.
type FactorForm struct {
	// Strategy is posted back in the "strategy" field.
	Strategy string
	// Input is "code" or "webauthn".
	Input string
	// Options is the WebAuthn options JSON the script passes to the
	// browser; Create says they are creation options (setting up a key).
	Options string
	Create  bool
	// Enrollment shows an authenticator app's set-up above the code field.
	Enrollment *CodeEnrollment
	// Resend offers to send the code again (codes sent by email or text).
	Resend bool
}

// CodeEnrollment is what a user needs to add an account to an
// authenticator app.
type CodeEnrollment struct {
	Secret string // the key, base32, for typing by hand
	URI    string // the otpauth:// URI
	QRCode string // a data: URL of the QR code image
}

func (f FactorForm) webAuthnMode() string {
	if f.Create {
		return "create"
	}
	return "get"
}

// hintKey, buttonKey and codeLabelKey pick the strings of a factor by its
// strategy, so a plugin's strategy brings its own wording.
func (f FactorForm) hintKey() string {
	if f.Enrollment != nil {
		return "factor.enroll.code_hint"
	}
	return "factor." + f.Strategy + ".hint"
}

func (f FactorForm) buttonKey() string {
	if f.Create {
		return "factor.webauthn.create"
	}
	return "factor." + f.Strategy + ".button"
}

func (f FactorForm) codeLabelKey() string {
	if f.Strategy == "backup_code" {
		return "field.backup_code"
	}
	return "field.code"
}

// otherOptions is options without the current factor's strategy.
func otherOptions(current *FactorForm, options []StrategyOption) []StrategyOption {
	var out []StrategyOption
	for _, o := range options {
		if current == nil || o.Strategy != current.Strategy {
			out = append(out, o)
		}
	}
	return out
}

// withIntentStrategy adds the strategy to a form's hidden fields.
func withIntentStrategy(h map[string]string, strategy string) map[string]string {
	out := make(map[string]string, len(h)+1)
	for k, v := range h {
		out[k] = v
	}
	out["strategy"] = strategy
	return out
}
