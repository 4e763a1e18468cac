package components

import (
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// mfaCases is every state of the mfa plugin's components with a golden
// file (testdata/mfa_*.html; go test ./components -update rewrites them).
func mfaCases() map[string]templ.Component {
	h := map[string]string{"csrf_token": "tok123"}
	off := MFASectionProps{SetUpTOTPURL: "/auth/user/mfa/totp", RemoveTOTPAction: "/auth/user/mfa?do=totp_remove",
		Channels: []MFAChannel{{Kind: MFAChannelPhone, Action: "/auth/user/mfa?do=phone_on"}, {Kind: MFAChannelEmail, Value: "jane@example.com", Action: "/auth/user/mfa?do=email_on"}},
		Hidden:   h}
	on := off
	on.TOTP, on.BackupCodesRemaining, on.BackupCodesAction, on.Required = true, 7, "/auth/user/mfa?do=backup_codes", true
	on.Channels = []MFAChannel{{Kind: MFAChannelPhone, Value: "+33 6 12 34 56 78", On: true, Action: "/auth/user/mfa?do=phone_off"}}
	on.Notice = "Your authenticator app is set up."
	refused := on
	refused.Notice, refused.Errors, refused.Locale = "", Errors{{"", "Configurez une autre méthode avant de supprimer celle-ci."}}, French
	refused.BackupCodesRemaining = 1

	setup := MFATOTPSetupProps{BeginAction: "/auth/user/mfa?do=totp_begin", VerifyAction: "/auth/user/mfa?do=totp_verify", CancelURL: "/auth/user",
		Hidden: h, Branding: Branding{AppName: "Acme"}}
	scan := setup
	scan.QRCode, scan.Secret = "data:image/png;base64,iVBORw0KGgo=", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	scan.URI = "otpauth://totp/Acme:jane@example.com?algorithm=SHA1&digits=6&issuer=Acme&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	wrong := scan
	wrong.Errors, wrong.Locale, wrong.Appearance = Errors{{"code", "Ce code est incorrect."}}, French, Appearance{Theme: "dark"}

	codes := MFABackupCodesProps{Codes: []string{"abcdef-ghijkl-mnopqr-stuvwx", "234567-abcdef-ghijkl-mnopqr"}, Notice: "Your authenticator app is set up.",
		DoneURL: "/auth/user", Branding: Branding{AppName: "Acme"}}

	return map[string]templ.Component{
		"mfa_section_off":     MFASection(off),
		"mfa_section_on":      MFASection(on),
		"mfa_section_fr":      MFASection(refused),
		"mfa_setup_intro":     MFATOTPSetup(setup),
		"mfa_setup_scan":      MFATOTPSetup(scan),
		"mfa_setup_wrong_fr":  MFATOTPSetup(wrong),
		"mfa_backup_codes":    MFABackupCodes(codes),
		"mfa_in_user_profile": UserProfile(UserProfileProps{FirstName: "Jane", Extra: []templ.Component{MFASection(on)}}),
	}
}

// TestMFASetupPage: the set-up page shows what an authenticator app
// needs, templ let every URL through, and the code field takes codes
// pasted with spaces. (Labels, ids and strings are checked for every
// component by the shared tests.)
func TestMFASetupPage(t *testing.T) {
	for name, c := range mfaCases() {
		if strings.Contains(render(t, c), "TemplFailedSanitizationURL") {
			t.Errorf("%s: a URL was refused by templ", name)
		}
	}
	scan := render(t, mfaCases()["mfa_setup_scan"])
	for _, want := range []string{`src="data:image/png;base64,iVBORw0KGgo="`, `href="otpauth://totp/Acme:jane@example.com?`, `>JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP</code>`,
		`autocomplete="one-time-code"`, `inputmode="numeric"`, `name="csrf_token" value="tok123"`} {
		if !strings.Contains(scan, want) {
			t.Errorf("set-up page lacks %s", want)
		}
	}
	if strings.Contains(scan, "maxlength") {
		t.Error("the code field limits its length, refusing codes pasted with spaces")
	}
}

// TestRemovingTheAuthenticatorAppAsksFirst: like an address or a device,
// the authenticator app is removed only from a confirmation: the opener
// is a bare <details> that posts nothing, and the question's button posts
// the form's hidden fields to the removal.
func TestRemovingTheAuthenticatorAppAsksFirst(t *testing.T) {
	for name, want := range map[string]string{
		"mfa_section_on": "Remove the authenticator app? ",
		"mfa_section_fr": "Supprimer l&#39;application d&#39;authentification ? ",
	} {
		html := render(t, mfaCases()[name])
		i := strings.Index(html, want)
		if i < 0 {
			t.Errorf("%s: no confirmation %q", name, want)
			continue
		}
		open := strings.LastIndex(html[:i], `<details class="latch-confirm">`)
		if open < 0 || strings.Contains(html[open:i], "<form") {
			t.Errorf("%s: the opener is not a bare <details>", name)
		}
		form := html[i:min(len(html), i+700)]
		for _, part := range []string{`action="/auth/user/mfa?do=totp_remove"`, `name="csrf_token" value="tok123"`, `type="submit"`} {
			if !strings.Contains(form, part) {
				t.Errorf("%s: the confirmation's form lacks %s", name, part)
			}
		}
		if strings.Count(html, "do=totp_remove") != 1 {
			t.Errorf("%s: the removal is posted from more than the confirmation", name)
		}
	}
}
