package components

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// mfaKeyRe finds the string keys the mfa components use.
var mfaKeyRe = regexp.MustCompile(`"((?:mfa|common|field)\.[a-z_.]*[a-z_])"`)

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

func TestMFAGolden(t *testing.T) {
	for name, c := range mfaCases() {
		t.Run(name, func(t *testing.T) {
			got := render(t, c)
			path := filepath.Join("testdata", name+".html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s; run go test ./components -update and review the diff\ngot:\n%s", path, got)
			}
		})
	}
}

// TestMFAAccessible: every input is labelled, ids are unique, errors are
// tied to their field, and no string key is left untranslated.
func TestMFAAccessible(t *testing.T) {
	for name, c := range mfaCases() {
		html := render(t, c)
		labelFor, ids := map[string]bool{}, map[string]int{}
		for _, m := range idRe.FindAllStringSubmatch(html, -1) {
			ids[m[1]]++
		}
		for id, n := range ids {
			if n > 1 {
				t.Errorf("%s: id %q used %d times", name, id, n)
			}
		}
		for _, tg := range tags(html) {
			if tg.name == "label" {
				labelFor[tg.attrs["for"]] = true
			}
		}
		for _, tg := range tags(html) {
			if tg.name != "input" || tg.attrs["type"] == "hidden" {
				continue
			}
			if id := tg.attrs["id"]; tg.attrs["aria-label"] == "" && (id == "" || !labelFor[id]) {
				t.Errorf("%s: input %v is not labelled", name, tg.attrs)
			}
			if (tg.attrs["aria-invalid"] == "true") != (tg.attrs["aria-describedby"] != "") {
				t.Errorf("%s: input %v: aria-invalid and aria-describedby must come together", name, tg.attrs)
			}
		}
		if strings.Contains(html, "mfa.") || strings.Contains(html, ">strategy.") {
			t.Errorf("%s: untranslated key in\n%s", name, html)
		}
		if strings.Contains(html, "TemplFailedSanitizationURL") {
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

// TestMFAStringsComplete: every key the components use exists in English
// and French, with the same arguments.
func TestMFAStringsComplete(t *testing.T) {
	for k, v := range englishMFA {
		fv, ok := frenchMFA[k]
		if !ok {
			t.Errorf("French lacks %q", k)
			continue
		}
		if strings.Count(v, "%") != strings.Count(fv, "%") {
			t.Errorf("%q: English and French take different arguments", k)
		}
	}
	for k := range frenchMFA {
		if _, ok := englishMFA[k]; !ok {
			t.Errorf("French has unknown key %q", k)
		}
	}
	src, err := os.ReadFile("mfa.templ")
	if err != nil {
		t.Fatal(err)
	}
	goSrc, _ := os.ReadFile("mfa.go")
	for _, m := range mfaKeyRe.FindAllStringSubmatch(string(src)+string(goSrc), -1) {
		if _, ok := englishMFA[m[1]]; !ok {
			if _, core := englishCore[m[1]]; !core {
				t.Errorf("key %q is used but not defined", m[1])
			}
		}
	}
	// Keys built at run time.
	for _, kind := range []string{MFAChannelPhone, MFAChannelEmail} {
		for _, suffix := range []string{"title", "description", "missing", "on_item", "off_item"} {
			if _, ok := englishMFA["mfa."+kind+"."+suffix]; !ok {
				t.Errorf("English lacks mfa.%s.%s", kind, suffix)
			}
		}
	}
}
