package latch_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
)

// registerPlugin is a plugin made of its Register function.
type registerPlugin struct {
	h        *latch.Host
	register func(h *latch.Host) error
}

func (p *registerPlugin) Name() string { return "resources" }
func (p *registerPlugin) Register(h *latch.Host) error {
	p.h = h
	return p.register(h)
}

// german is a small German table, as an application or a language plugin
// adds one: kernel strings, the link page's, a message and the plugin's own.
var german = map[string]string{
	"signin.identifier.title":       "Bei %s anmelden",
	"signin.identifier.title_plain": "Anmelden",
	"verify.invalid.title":          "Ungültiger Link",
	"verify.continue.title":         "Weiter zu %s",
	"verify.continue.button":        "Weiter",
	"message.sign_in_code.subject":  "{{.Code}} ist Ihr {{.AppName}}-Code",
	"message.sign_in_code.text":     "Ihr Anmeldecode für {{.AppName}} lautet {{.Code}}.",
	"message.continue":              "Weiter",
	"test.greeting":                 "Hallo aus dem Plugin",
}

func getIn(t *testing.T, e *flowEnv, path, lang string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept-Language", lang)
	res := e.browser().Do(req)
	return res, body(t, res)
}

// TestOneLanguageTableForPagesLinksAndMail: a language added in one place
// (AddStrings) is what the hosted pages, a plugin's page, the link landing
// page and the messages speak to a request or recipient in that language.
func TestOneLanguageTableForPagesLinksAndMail(t *testing.T) {
	p := &registerPlugin{register: func(h *latch.Host) error {
		if err := h.AddStrings("en", map[string]string{"test.greeting": "Hello from the plugin"}); err != nil {
			return err
		}
		if err := h.AddStrings("de", german); err != nil {
			return err
		}
		return h.Handle(latch.Route{Method: http.MethodGet, Pattern: "/greeting", Access: latch.AccessPublic, Handler: func(w http.ResponseWriter, r *http.Request) {
			h.RenderPage(w, r, http.StatusOK, "Greeting", templ.Raw("<p class=greeting>"+templ.EscapeString(components.T(h.Locale(r), "test.greeting"))+"</p>"))
		}})
	}}
	e := newFlowEnv(t, latch.Config{Plugins: []latch.Plugin{p}})

	for _, tc := range []struct{ path, lang, want string }{
		{"/sign-in", "de-DE,de;q=0.9,en;q=0.8", "Bei Acme anmelden"},
		{"/sign-in", "de", `lang="de"`},
		{"/sign-in", "fr", "Se connecter à Acme"},
		{"/sign-in", "it, en", "Sign in to Acme"},
		{"/greeting", "de", "Hallo aus dem Plugin"},
		{"/greeting", "fr", "Hello from the plugin"}, // French lacks it: English
		{"/v1/verify", "de", "Ungültiger Link"},
		{"/v1/verify?token=not-a-live-link", "de", "Weiter zu Acme"},
		{"/v1/verify?token=not-a-live-link", "de", `lang="de"`},
		{"/v1/verify?token=not-a-live-link", "fr", "Continuer vers Acme"},
		{"/v1/verify?token=not-a-live-link", "en", "Continue to Acme"},
	} {
		if _, got := getIn(t, e, tc.path, tc.lang); !strings.Contains(got, tc.want) {
			t.Errorf("%s in %q lacks %q", tc.path, tc.lang, tc.want)
		}
	}

	ctx := context.Background()
	for _, lang := range []string{"de", "en"} {
		if err := p.h.Send(ctx, latch.MessageSignInCode, latch.Recipient{Email: lang + "@example.com", Locale: lang}, latch.MessageData{Code: "123456", Link: "https://app.example/x"}); err != nil {
			t.Fatal(err)
		}
	}
	e.Flush()
	got := map[string]string{}
	for _, m := range e.Mail.Messages() {
		got[m.To] = m.Subject + "|" + m.Text + "|" + m.HTML
	}
	if de := got["de@example.com"]; !strings.Contains(de, "123456 ist Ihr Acme-Code") || !strings.Contains(de, ">Weiter<") {
		t.Errorf("German mail: %q", de)
	}
	if en := got["en@example.com"]; !strings.Contains(en, "123456 is your Acme code") || !strings.Contains(en, ">Continue<") {
		t.Errorf("English mail: %q", en)
	}
}

// TestPluginMessageInTheRecipientsLanguage: a plugin's kind of message is
// sent in each recipient's language, English when theirs has none, and
// cannot take over a kernel message.
func TestPluginMessageInTheRecipientsLanguage(t *testing.T) {
	const kind latch.MessageKind = "org_invitation"
	var refusals []error
	p := &registerPlugin{register: func(h *latch.Host) error {
		refusals = append(refusals,
			h.AddMessage(latch.MessageSignInCode, map[string]latch.MessageTemplate{"en": {Subject: "x", Text: "x"}}),
			h.AddMessage("no_english", map[string]latch.MessageTemplate{"fr": {Subject: "x", Text: "x"}}),
			h.AddMessage("broken", map[string]latch.MessageTemplate{"en": {Subject: "{{.Code", Text: "x"}}),
			h.AddStrings("en", map[string]string{"signin.identifier.title": "Mine now"}),
			h.AddStrings("not a language", map[string]string{"x": "y"}),
		)
		return h.AddMessage(kind, map[string]latch.MessageTemplate{
			"en": {Subject: "Join {{.AppName}}", Text: "Open {{.Link}} to join."},
			"fr": {Subject: "Rejoignez {{.AppName}}", Text: "Ouvrez {{.Link}} pour rejoindre."},
		})
	}}
	e := newFlowEnv(t, latch.Config{Plugins: []latch.Plugin{p}})
	for i, err := range refusals {
		if err == nil {
			t.Errorf("refusal %d was accepted", i)
		}
	}
	ctx := context.Background()
	for _, to := range []latch.Recipient{{Email: "fr@example.com", Locale: "fr"}, {Email: "en@example.com", Locale: "en"}, {Email: "it@example.com", Locale: "it"}} {
		if err := p.h.Send(ctx, kind, to, latch.MessageData{Link: "https://app.example/join"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.h.Send(ctx, "unknown_kind", latch.Recipient{Email: "x@example.com"}, latch.MessageData{}); err == nil {
		t.Error("an unknown kind was sent")
	}
	e.Flush()
	got := map[string]string{}
	for _, m := range e.Mail.Messages() {
		got[m.To] = m.Subject + "|" + m.Text
	}
	for to, want := range map[string]string{
		"fr@example.com": "Rejoignez Acme|Ouvrez https://app.example/join pour rejoindre.",
		"en@example.com": "Join Acme|Open https://app.example/join to join.",
		"it@example.com": "Join Acme|Open https://app.example/join to join.",
	} {
		if got[to] != want {
			t.Errorf("to %s: %q, want %q", to, got[to], want)
		}
	}
}

// TestPluginMenuItemAndScript: a plugin's menu entries show in the
// UserButton, and its script is served with a long cache lifetime under a
// URL that changes with it, which every hosted page loads.
func TestPluginMenuItemAndScript(t *testing.T) {
	var e *flowEnv
	var dup error
	p := &registerPlugin{register: func(h *latch.Host) error {
		if err := h.AddStrings("en", map[string]string{"test.menu.billing": "Billing"}); err != nil {
			return err
		}
		if err := h.AddUserMenuItem(latch.MenuItem{Label: "test.menu.billing", URL: "/billing"}); err != nil {
			return err
		}
		if err := h.AddUserMenuItem(latch.MenuItem{Render: func(_ *http.Request, s *latch.Session) (templ.Component, error) {
			return templ.Raw(`<span class="switcher">` + s.UserID + `</span>`), nil
		}}); err != nil {
			return err
		}
		if err := h.AddScript(latch.Script{Path: "/v1/test-plugin.js", Content: []byte("console.log('plugin')")}); err != nil {
			return err
		}
		dup = h.AddScript(latch.Script{Path: "/v1/webauthn.js", Content: []byte("x")})
		return h.Handle(latch.Route{Method: http.MethodGet, Pattern: "/menu", Handler: func(w http.ResponseWriter, r *http.Request) {
			props, ok := e.UserButtonProps(r)
			if !ok {
				http.Error(w, "signed out", http.StatusUnauthorized)
				return
			}
			_ = components.UserButton(props).Render(r.Context(), w)
		}})
	}}
	e = newFlowEnv(t, latch.Config{Plugins: []latch.Plugin{p}})
	if dup == nil {
		t.Error("a script took over a kernel route")
	}
	b := e.browser()
	uid := e.SignUpOn(t, b, "ada@example.com", goodPassword)
	menu := body(t, b.Get("/menu"))
	if !strings.Contains(menu, `href="/billing">`) || !strings.Contains(menu, `<span>Billing</span></a>`) || !strings.Contains(menu, `<span class="switcher">`+uid+`</span>`) {
		t.Errorf("menu lacks the plugin's items: %s", menu)
	}

	res := b.Get("/v1/test-plugin.js")
	if got := body(t, res); got != "console.log('plugin')" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age=31536000") ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("script: %q %v", got, res.Header)
	}
	page := body(t, e.browser().Get("/sign-in"))
	if !strings.Contains(page, `<script src="/v1/test-plugin.js?v=`) {
		t.Errorf("the sign-in page does not load the plugin's script: %s", page)
	}
}
