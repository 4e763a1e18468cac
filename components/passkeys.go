package components

// WebAuthn modes, the values of WebAuthnProps.Mode.
const (
	WebAuthnGet    = "get"    // sign in with a credential (navigator.credentials.get)
	WebAuthnCreate = "create" // register one (navigator.credentials.create)
)

// WebAuthnProps is the view model of WebAuthnButton.
type WebAuthnProps struct {
	// Mode is WebAuthnGet or WebAuthnCreate.
	Mode string
	// Options is the JSON of the ceremony's options as the server's
	// WebAuthn library writes them: {"publicKey":{…}}, binary fields in
	// base64url.
	Options string
	// Action is where the form posts the credential (field "credential",
	// a JSON string) with the Hidden fields.
	Action string
	// Hidden fields posted with the credential, sorted by name. The
	// submit button's own name is not posted (the script submits the
	// form itself), so what the server needs to know goes here.
	Hidden map[string]string
	// Label is the button's text.
	Label string
	// ErrorText is what the script shows when the ceremony is cancelled
	// or fails; empty uses the script's own wording.
	ErrorText string
	// Error is the message of the previous attempt, shown at once.
	Error string
	// Secondary styles the button as a secondary action.
	Secondary bool
}

func (p WebAuthnProps) buttonClass() string {
	if p.Secondary {
		return "latch-button--secondary"
	}
	return "latch-button--primary"
}

// Passkey is one WebAuthn credential in the account page's list.
type Passkey struct {
	ID   string
	Name string
	// Kind is "passkey" or "security_key".
	Kind string
	// Added and LastUsed are dates as the page shows them; an empty
	// LastUsed says it was never used.
	Added    string
	LastUsed string
	// Synced says the credential is backed up (a passkey synced by a
	// password manager), so losing this device does not lose it.
	Synced bool
}

// PasskeysProps is the view model of PasskeysSection and PasskeysPage.
//
// Forms post to their action URL: AddAction with "kind" ("passkey" or
// "security_key") to begin a registration, RenameAction with "id" and
// "name", RemoveAction with "id". An empty action hides its controls.
type PasskeysProps struct {
	Passkeys     []Passkey
	AddAction    string
	RenameAction string
	RemoveAction string
	// Errors are shown above the list; a field "name:<id>" is the error of
	// that credential's rename form.
	Errors Errors
	// Hidden fields (such as a CSRF token) added to every form.
	Hidden map[string]string
	// BackURL is the account page, linked from PasskeysPage.
	BackURL    string
	Locale     Locale
	Appearance Appearance
}

// PasskeyRegisterProps is the view model of PasskeyRegister, the page
// that runs a registration begun with the account page's add buttons.
type PasskeyRegisterProps struct {
	// Kind is "passkey" or "security_key".
	Kind string
	// Options are the creation options (WebAuthnProps.Options).
	Options string
	// Action is where the credential is posted, with the name typed and
	// the Hidden fields (the registration's ID).
	Action string
	Hidden map[string]string
	// CancelURL goes back without registering.
	CancelURL  string
	Errors     Errors
	Locale     Locale
	Appearance Appearance
}

func passkeyNameID(id string) string { return "latch-passkey-name-" + id }

// passkeyMeta is "Added … · Last used …".
func passkeyMeta(l Locale, k Passkey) string {
	used := T(l, "profile.passkeys.never_used")
	if k.LastUsed != "" {
		used = T(l, "profile.passkeys.last_used", k.LastUsed)
	}
	return T(l, "profile.passkeys.added", k.Added) + " · " + used
}

// without returns e less the messages of field, shown elsewhere.
func (e Errors) without(field string) Errors {
	var out Errors
	for _, fe := range e {
		if fe.Field != field {
			out = append(out, fe)
		}
	}
	return out
}
