package components

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

const testOptions = `{"publicKey":{"challenge":"q0rIZ8GZt7mR1b7N0xq4Ww","rpId":"app.example","userVerification":"required"}}`

// passkeyCases is every state of the passkeys components with a golden
// file (testdata/passkeys_*.html).
func passkeyCases() map[string]templ.Component {
	list := []Passkey{
		{ID: "cred_1", Name: "MacBook <Touch ID>", Kind: "passkey", Added: "2030-01-01", LastUsed: "2030-01-02", Synced: true},
		{ID: "cred_2", Name: "YubiKey 5", Kind: "security_key", Added: "2030-01-01"},
	}
	section := PasskeysProps{Passkeys: list, AddAction: "/user/passkeys?do=begin", RenameAction: "/user/passkeys?do=rename",
		RemoveAction: "/user/passkeys?do=remove", Hidden: hidden1, BackURL: "/user"}
	fr := section
	fr.Locale = French
	page := section
	page.Errors = Errors{{Field: "name:cred_2", Message: "Names are 1 to 64 characters, on one line."}}
	reg := PasskeyRegisterProps{Kind: "passkey", Options: testOptions, Action: "/user/passkeys?do=finish",
		Hidden: map[string]string{"id": "ver_1", "kind": "passkey"}, CancelURL: "/user"}
	regErr := reg
	regErr.Kind = "security_key"
	regErr.Hidden = map[string]string{"id": "ver_2", "kind": "security_key"}
	regErr.Errors = Errors{{Field: "credential", Message: "This passkey or security key could not be verified. Try again."}}
	return map[string]templ.Component{
		"passkeys_button_get": WebAuthnButton(WebAuthnProps{Mode: WebAuthnGet, Options: testOptions, Action: "/sign-in",
			Hidden: map[string]string{"intent": "passkey_attempt", "strategy": "passkey"}, Label: T(nil, "signin.passkey.button")}),
		"passkeys_button_create_error": WebAuthnButton(WebAuthnProps{Mode: WebAuthnCreate, Options: testOptions, Action: "/enroll",
			Label: "Set up", ErrorText: "Cancelled.", Error: "That did not work.", Secondary: true}),
		"passkeys_section":       PasskeysSection(section),
		"passkeys_section_fr":    PasskeysSection(fr),
		"passkeys_section_empty": PasskeysSection(PasskeysProps{AddAction: "/user/passkeys?do=begin"}),
		"passkeys_page_error":    PasskeysPage(page),
		"passkeys_register":      PasskeyRegister(reg),
		"passkeys_register_fr_error": PasskeyRegister(func() PasskeyRegisterProps {
			regErr.Locale = French
			return regErr
		}()),
	}
}

// TestPasskeyRenameError: a rename error is shown on its own form, opened.
func TestPasskeyRenameError(t *testing.T) {
	page := render(t, passkeyCases()["passkeys_page_error"])
	if !strings.Contains(page, `aria-describedby="latch-passkey-name-cred_2-error"`) || !strings.Contains(page, "<details class=\"latch-verify\" open>") {
		t.Error("a rename error is not shown on its form")
	}
}

// TestWebAuthnButtonContract checks the markup the script relies on.
func TestWebAuthnButtonContract(t *testing.T) {
	html := render(t, passkeyCases()["passkeys_button_get"])
	for _, want := range []string{
		`<form class="latch-form" method="post" action="/sign-in" data-latch-webauthn="get" data-options="{&#34;publicKey&#34;:`,
		`<input type="hidden" name="credential" value="">`,
		`data-latch-webauthn-error role="alert" hidden>`,
		`<button class="latch-button latch-button--primary" type="submit">Sign in with a passkey</button>`,
		`<input type="hidden" name="intent" value="passkey_attempt">`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("button lacks %s\n%s", want, html)
		}
	}
	if strings.Contains(html, " on") && regexp.MustCompile(`\son[a-z]+=`).MatchString(html) {
		t.Error("inline event handler")
	}
}

func TestWebAuthnScript(t *testing.T) {
	js := WebAuthnScript()
	for _, want := range []string{`"use strict"`, "data-latch-webauthn", "data-options", `input[name="credential"]`, "[data-latch-webauthn-error]",
		"NotAllowedError", "isConditionalMediationAvailable", `mediation: "conditional"`, "data-latch-passkey-start", "data-latch-redirect",
		"/attempt_first_factor", "needs_second_factor", `credentials: "same-origin"`, "application/json"} {
		if !strings.Contains(js, want) {
			t.Errorf("script lacks %s", want)
		}
	}
	for _, bad := range []string{"eval(", "new Function", "innerHTML", "document.write", "http://", "https://"} {
		if strings.Contains(js, bad) {
			t.Errorf("script uses %s", bad)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the script's syntax is not checked")
	}
	path := filepath.Join(t.TempDir(), "webauthn.js")
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(node, "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("node --check: %v\n%s", err, out)
	}
}
