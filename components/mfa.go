package components

import (
	_ "embed"
	"net/url"
	"strings"

	"github.com/a-h/templ"
)

// The view models of the mfa plugin's components: the two-step
// verification section of the account page, the page that sets up an
// authenticator app, and the page that shows new backup codes once.

// MFASectionProps is the view model of MFASection. Each change is its own
// small form posting Hidden to its own URL; an empty URL hides the control.
type MFASectionProps struct {
	// TOTP says an authenticator app is set up.
	TOTP bool
	// SetUpTOTPURL links to the page that sets an authenticator app up
	// (MFATOTPSetup), shown when TOTP is false.
	SetUpTOTPURL string
	// RemoveTOTPAction removes the authenticator app, shown when TOTP is
	// true.
	RemoveTOTPAction string
	// BackupCodesRemaining is how many backup codes are unused.
	BackupCodesRemaining int
	// BackupCodesAction makes a new set of backup codes; empty hides it
	// (backup codes need another second factor).
	BackupCodesAction string
	// Channels are codes sent by text message or email, when the
	// application offers them.
	Channels []MFAChannel
	// Required says a policy requires the user to keep a second factor.
	Required bool
	// Notice is a success message shown with role="status".
	Notice string
	Errors Errors
	Hidden map[string]string
	Locale Locale
}

// Kinds of MFAChannel.
const (
	MFAChannelPhone = "phone"
	MFAChannelEmail = "email"
)

// MFAChannel is a code sent to the primary phone number or email address
// as a second factor.
type MFAChannel struct {
	// Kind is MFAChannelPhone or MFAChannelEmail.
	Kind string
	// Value is the verified primary phone number or email address the code
	// goes to; "" when there is none, which disables the control.
	Value string
	// On says the user turned it on.
	On bool
	// Action turns it on when it is off, and off when it is on.
	Action string
}

// MFATOTPSetupProps is the view model of MFATOTPSetup. Without a QR code
// or secret it introduces the set-up and posts Hidden to BeginAction; with
// them it shows them and posts "code" to VerifyAction.
type MFATOTPSetupProps struct {
	// QRCode is a data: URL of the QR code image.
	QRCode string
	// Secret is the key in base32, shown for typing by hand.
	Secret string
	// URI is the otpauth:// URI, linked for apps on the same device.
	URI          string
	BeginAction  string
	VerifyAction string
	// CancelURL goes back to the account page.
	CancelURL  string
	Errors     Errors
	Hidden     map[string]string
	Branding   Branding
	Locale     Locale
	Appearance Appearance
}

// MFABackupCodesProps is the view model of MFABackupCodes, which shows a
// new set of backup codes: the only time they are shown.
type MFABackupCodesProps struct {
	Codes []string
	// Notice is a success message shown above them (the authenticator app
	// that was just set up).
	Notice string
	// DoneURL goes back to the account page.
	DoneURL    string
	Branding   Branding
	Locale     Locale
	Appearance Appearance
}

// mfaCodeAttrs are the attributes of a code input: a numeric keyboard, and
// no length limit, since people paste codes with spaces in them.
func mfaCodeAttrs() templ.Attributes {
	return templ.Attributes{"inputmode": "numeric", "spellcheck": "false", "autocapitalize": "none"}
}

// backupRemaining says how many backup codes are left.
func backupRemaining(l Locale, n int) string {
	switch n {
	case 0:
		return T(l, "mfa.backup.none")
	case 1:
		return T(l, "mfa.backup.remaining_one")
	}
	return T(l, "mfa.backup.remaining", n)
}

// key is the string key of one of the channel's strings ("title",
// "on_item", …).
func (c MFAChannel) key(name string) string { return "mfa." + c.Kind + "." + name }

// description says where the codes go, or what is missing.
func (c MFAChannel) description(l Locale) string {
	if c.Value == "" {
		return T(l, "mfa."+c.Kind+".missing")
	}
	return T(l, "mfa."+c.Kind+".description", c.Value)
}

// groupSecret writes a base32 secret in groups of four, as authenticator
// apps show keys, so that it can be typed without losing one's place.
func groupSecret(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(s[i:min(i+4, len(s))])
	}
	return sb.String()
}

// mfaFooter is the set-up card's footer: a link back to the account page,
// or none.
func mfaFooter(l Locale, url string) templ.Component {
	if url == "" {
		return nil
	}
	return mfaBack(l, url, "mfa.cancel")
}

//go:embed backupcodes.js
var backupCodesScript string

// BackupCodesScript returns the script of the backup codes page's "Copy
// all" and "Print" buttons, for a plugin to serve with Host.AddScript;
// without it the page still offers the codes as a download.
func BackupCodesScript() string { return backupCodesScript }

// codesText is the codes as the text file and the clipboard hold them: a
// title, the codes one a line, a note.
func (p MFABackupCodesProps) codesText() string {
	var b strings.Builder
	b.WriteString(T(p.Locale, "mfa.backup.file_title", p.Branding.AppName) + "\n\n")
	for _, c := range p.Codes {
		b.WriteString(c + "\n")
	}
	b.WriteString("\n" + T(p.Locale, "mfa.backup.file_note") + "\n")
	return b.String()
}

// downloadURL is codesText as a data: URL, which a download link saves
// without a script or a round trip (the codes are shown once and never
// stored in the clear).
func (p MFABackupCodesProps) downloadURL() templ.SafeURL {
	return templ.SafeURL("data:text/plain;charset=utf-8," + url.PathEscape(p.codesText()))
}

// fileName is the download's name: "acme-backup-codes.txt".
func (p MFABackupCodesProps) fileName() string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, p.Branding.AppName)
	name = strings.Trim(name, "-")
	if name == "" {
		return "backup-codes.txt"
	}
	return name + "-backup-codes.txt"
}
