package components

import (
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

func (p SignInProps) step() string {
	if p.Step == "" {
		return StepIdentifier
	}
	return p.Step
}

func (p SignInProps) identifierTitle() string {
	if p.SignedInAs != "" && p.step() == StepIdentifier {
		return T(p.Locale, "signin.add_account.title")
	}
	if p.Branding.AppName == "" {
		return T(p.Locale, "signin.identifier.title_plain")
	}
	return T(p.Locale, "signin.identifier.title", p.Branding.AppName)
}

func (p SignInProps) identifierSubtitle() string {
	if p.SignedInAs != "" {
		return T(p.Locale, "signin.add_account.subtitle")
	}
	return T(p.Locale, "signin.identifier.subtitle")
}

// CodeDigits is the length of the one-time codes Latch sends by email and
// text, which the code step shows as that many digit boxes.
const CodeDigits = 6

// codeAttrs are the attributes of a one-time-code input; max limits it to
// six digits.
func codeAttrs(max bool) templ.Attributes {
	a := templ.Attributes{"inputmode": "numeric", "spellcheck": "false"}
	if max {
		a["maxlength"] = "6"
		a["pattern"] = "[0-9]*"
	}
	return a
}

// otpAttrs are the attributes of the sign-in and sign-up cards' code
// input. A code of digits digits is limited to them and marked for the
// code script, which shows it as boxes (their labels from l); digits 0 is
// a code of another form (a backup code), a plain text field.
func otpAttrs(l Locale, digits int) templ.Attributes {
	a := templ.Attributes{"spellcheck": "false", "autocapitalize": "none"}
	if digits > 0 {
		n := strconv.Itoa(digits)
		a["inputmode"] = "numeric"
		a["maxlength"] = n
		a["pattern"] = "[0-9]*"
		a["data-latch-otp"] = n
		a["data-latch-otp-label"] = T(l, "field.code.digit", "{i}", "{n}")
	}
	return a
}

// identifierKinds are the kinds of identifier the identifier step takes,
// in canonical order; none given means all three.
func (p SignInProps) identifierKinds() []string {
	var out []string
	for _, k := range []string{"email_address", "phone_number", "username"} {
		if len(p.Identifiers) == 0 || slices.Contains(p.Identifiers, k) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return []string{"email_address", "phone_number", "username"}
	}
	return out
}

// identifierLabel names what the identifier field takes: "Email address",
// "Email address or username", and so on.
func (p SignInProps) identifierLabel() string {
	kinds := p.identifierKinds()
	if len(kinds) == 3 {
		return T(p.Locale, "signin.identifier.label")
	}
	return T(p.Locale, "signin.identifier.label."+strings.Join(kinds, "_"))
}

// identifierType is the identifier input's type: email or tel when it
// takes only addresses or only numbers (the keyboard a phone shows), text
// otherwise.
func (p SignInProps) identifierType() string {
	switch kinds := p.identifierKinds(); {
	case slices.Equal(kinds, []string{"email_address"}):
		return "email"
	case slices.Equal(kinds, []string{"phone_number"}):
		return "tel"
	}
	return "text"
}

// identifierAutocomplete is the identifier's autocomplete: "username" (the
// account a password manager saves the password for, whatever its kind)
// and "webauthn" (the browser may offer passkeys among its suggestions).
// Autocomplete takes one field name, so an email address is "username"
// too, with type="email", rather than "username email", which browsers
// and checkers reject.
func (p SignInProps) identifierAutocomplete() string { return "username webauthn" }

// identifierAttrs are the identifier input's attributes; with passkeys, the
// WebAuthn script offers them in the field's autofill (conditional UI).
func (p SignInProps) identifierAttrs() templ.Attributes {
	a := templ.Attributes{"autocapitalize": "none", "spellcheck": "false"}
	if p.identifierType() == "tel" {
		a["inputmode"] = "tel"
	}
	if p.PasskeyStartURL != "" {
		a["data-latch-passkey-start"] = p.PasskeyStartURL
		a["data-latch-redirect"] = p.redirect()
		a["data-latch-sign-in-url"] = p.Action
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
	// Digits is the length of a code of digits (6 for an authenticator
	// app's code or a texted one), shown as that many boxes; 0 is a code
	// of another form (a backup code), a plain text field.
	Digits int
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

// summaryErrors are the errors the card's summary shows: those of no field
// the step shows, each of which shows its own beneath it.
func (p SignInProps) summaryErrors() Errors {
	switch p.step() {
	case StepIdentifier:
		return p.Errors.except("identifier")
	case StepPassword:
		return p.Errors.except("password")
	case StepCode:
		return p.Errors.except("code")
	case StepNewPassword:
		return p.Errors.except("new_password", "password")
	case StepSecondFactor, StepPasskey:
		if p.Factor != nil {
			return p.Errors.except(p.Factor.errorField())
		}
	}
	return p.Errors
}

// newPasswordError is the new-password field's message: a refused
// password is the "password" field's error in the API.
func (p SignInProps) newPasswordError() string {
	if e := p.Errors.For("new_password"); e != "" {
		return e
	}
	return p.Errors.For("password")
}

// errorField is the field whose message a factor's form shows.
func (f FactorForm) errorField() string {
	if f.Input == "webauthn" {
		return "credential"
	}
	return "code"
}

// codeDigits is the length of the factor's code of digits, or 0.
func (f FactorForm) codeDigits() int {
	if f.Input == "webauthn" {
		return 0
	}
	return f.Digits
}

// redirect is where a sign-in finished by the WebAuthn script goes.
func (p SignInProps) redirect() string {
	if r := p.Hidden["redirect_url"]; r != "" {
		return r
	}
	return "/"
}

// resendWait is how many seconds the code script keeps "Resend code"
// disabled after a code was sent: the server's limits still apply, this
// only keeps people from asking again before the first code could arrive.
const resendWait = "30"

// summaryErrors are the errors the reverification card's summary shows:
// those of no field its factor's form shows.
func (p ReverifyProps) summaryErrors() Errors {
	switch {
	case p.Factor == nil:
		return p.Errors
	case p.Factor.Strategy == "password":
		return p.Errors.except("password")
	}
	return p.Errors.except(p.Factor.errorField())
}
