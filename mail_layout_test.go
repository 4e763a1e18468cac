package latch_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/mail/mailtest"
	"github.com/latchauth/latch/storage/memstore"
)

// askVerification starts a sign-up for email in lang and asks for its
// verification by strategy, returning the message that was sent.
func askVerification(t *testing.T, e *flowEnv, email, lang, strategy string) *mail.Message {
	t.Helper()
	b := e.browser()
	post := func(path string, body any) map[string]any {
		raw, _ := json.Marshal(body)
		r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(raw))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept-Language", lang)
		var out map[string]any
		_ = json.NewDecoder(b.Do(r).Body).Decode(&out)
		return out
	}
	out := post("/v1/client/sign_ups", map[string]any{"email_address": email, "password": goodPassword})
	id, _ := out["id"].(string)
	post("/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": strategy})
	e.Flush()
	m := e.Mail.Last()
	if m == nil || m.To != email {
		t.Fatalf("no message to %s: %+v", email, m)
	}
	return m
}

// TestMailLayout: an email with a link has a plain-text part and an HTML
// part with the logo (as an absolute URL), the text's paragraphs, the link
// as a button and spelled out once below it, in the recipient's language.
func TestMailLayout(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), AppName: "Acme",
		SignUp: latch.SignUpConfig{EmailVerification: "link"},
		UI:     latch.UIConfig{LogoURL: "/static/logo.png"}})
	m := askVerification(t, e, "ada@example.com", "en", "email_link")
	link := mailtest.LinkIn(m.Text)
	if link == "" || m.Text == "" || strings.Contains(m.Text, "<") {
		t.Fatalf("plain-text part: %q", m.Text)
	}
	h := m.HTML
	for _, want := range []string{
		`<html lang="en">`,
		`<title>` + m.Subject + `</title>`,
		`<img src="` + base + `/static/logo.png" alt="Acme"`,
		`>Continue</a>`,
		`If the button does not work, paste this link into your browser:`,
		`Open this link to verify your email address:`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, h)
		}
	}
	if b, after := strings.Index(h, ">Continue</a>"), strings.Index(h, "It expires in 10 minutes"); b < 0 || after < b {
		t.Error("the button is not where the link is in the text")
	}
	escaped := strings.ReplaceAll(link, "&", "&amp;")
	if n := strings.Count(h, `href="`+escaped+`"`); n != 2 {
		t.Errorf("the link is in %d hrefs, want 2 (button and spelled out)", n)
	}
	if strings.Contains(h, "<p style=\"margin:0 0 16px 0\">"+escaped) {
		t.Error("the link is also a paragraph of its own")
	}

	fr := askVerification(t, e, "bea@example.com", "fr", "email_link")
	for _, want := range []string{`<html lang="fr">`, `>Continuer</a>`, `Si le bouton ne fonctionne pas`} {
		if !strings.Contains(fr.HTML, want) {
			t.Errorf("French HTML part lacks %q", want)
		}
	}
}

// TestMailLayoutCode: a code is set large in the HTML part, without a
// button, and the app's name stands in for a missing logo.
func TestMailLayoutCode(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), AppName: "Acme"})
	m := askVerification(t, e, "ada@example.com", "en", "email_code")
	code := mailtest.CodeIn(m.Text)
	if code == "" || !strings.Contains(m.HTML, "letter-spacing:6px;font-weight:700;color:#18181b\">"+code+"</p>") {
		t.Fatalf("the code is not set large:\n%s", m.HTML)
	}
	if strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "<a href") {
		t.Error("a logo or a link in a code message without either")
	}
	if !strings.Contains(m.HTML, ">Acme</p>") {
		t.Error("no app name in place of the logo")
	}
}

// TestMessageOverridesByLocale: Config.Messages overrides a message in one
// language without changing the others, an override without a language
// applies to the rest, and a language Latch has no strings in fails New.
func TestMessageOverridesByLocale(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Messages: map[latch.MessageKind]latch.MessageTemplate{
		latch.MessageVerifyCode: {Subject: "Acme code {{.Code}}", Locales: map[string]latch.MessageTemplate{
			"fr": {Subject: "Code Acme {{.Code}}", HTML: `<p>{{range paragraphs .Text .Link}}{{lines .}}{{end}}</p>`},
		}},
	}})
	en := askVerification(t, e, "ada@example.com", "en", "email_code")
	if !strings.HasPrefix(en.Subject, "Acme code ") || !strings.Contains(en.HTML, "<!doctype html>") {
		t.Errorf("English: %q", en.Subject)
	}
	fr := askVerification(t, e, "bea@example.com", "fr", "email_code")
	if !strings.HasPrefix(fr.Subject, "Code Acme ") || !strings.HasPrefix(fr.HTML, "<p>Votre code") {
		t.Errorf("French: %q %q", fr.Subject, fr.HTML)
	}
	if !strings.Contains(fr.Text, "Votre code de vérification") {
		t.Errorf("French text not Latch's: %q", fr.Text)
	}
	if _, err := latch.New(latch.Config{Store: memstore.New(), Messages: map[latch.MessageKind]latch.MessageTemplate{
		latch.MessageSignInCode: {Locales: map[string]latch.MessageTemplate{"xx": {Subject: "x"}}},
	}}); err == nil || !strings.Contains(err.Error(), `"xx"`) {
		t.Errorf("an override in a language without strings: %v", err)
	}
}
