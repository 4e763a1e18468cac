package latch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"maps"
	"net/http"
	"regexp"
	"strings"
	texttemplate "text/template"

	"github.com/a-h/templ"

	"github.com/latchauth/latch/components"
)

// MenuItem is an entry a plugin adds to the UserButton's menu, after the
// link to the account page.
type MenuItem struct {
	// Label is the key of the item's text in the string table
	// ("orgs.menu.settings"), so that it is translated; a label no table
	// has is shown as it is.
	Label string
	// URL is where the item goes.
	URL string
	// Render, when set, renders the item for the signed-in session s in
	// place of a link (an organization switcher); a nil component shows
	// nothing, and an error is logged and leaves the item out.
	Render func(r *http.Request, s *Session) (templ.Component, error)
}

// Script is a JavaScript file a plugin ships for the hosted pages: Handler
// serves Content at Path, and every hosted page loads it (a same-origin
// script, as the pages' Content-Security-Policy requires: no inline code).
type Script struct {
	// Path is where it is served, ending in ".js" ("/v1/orgs.js").
	Path string
	// Content is the script. Pages load it under a URL that changes with
	// it, so it is served with a cache lifetime of a year.
	Content []byte
}

// registry is what plugins added to the kernel beyond strategies and
// routes: hooks, languages, messages, menu items and scripts, and the
// tables of every language built from them once all plugins registered.
type registry struct {
	signUp        []func(context.Context, *SignUpHook) error
	sessionCreate []func(context.Context, *SessionCreateHook) error
	signIn        []SignInPolicy

	strings  map[string]map[string]string               // by language, the plugins' strings
	messages map[MessageKind]map[string]MessageTemplate // the plugins' kinds, by language
	menu     []MenuItem
	// pageScripts are the URLs every hosted page loads.
	pageScripts []string

	// tables holds, by language, the complete string table: the
	// language's own strings over English (the kernel's, the plugins'),
	// with Config.UI.Strings over both. Built by buildLanguages.
	tables map[string]components.Locale
}

// languageTag is what AddStrings accepts as a language: a BCP 47 primary
// subtag, optionally with a region or script ("de", "pt-br", "zh-hant").
var languageTag = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})?$`)

// AddStrings adds strings in language lang to the one table the hosted
// pages, the emailed-link landing page and the messages read: a plugin's
// own keys in any language, or a whole language the kernel does not ship
// ("de"), kernel keys included, message templates as
// "message.<kind>.subject", ".text" and ".html". A request's language is
// the first of its Accept-Language that any table has; a key missing in
// it falls back to English. A plugin may not redefine a key the module
// ships for lang (the application rewords those with Config.UI.Strings),
// nor one another plugin added.
func (h *Host) AddStrings(lang string, strs map[string]string) error {
	lang = strings.ToLower(lang)
	if !languageTag.MatchString(lang) {
		return fmt.Errorf("AddStrings: %q is not a language tag", lang)
	}
	r := &h.a.reg
	if r.strings == nil {
		r.strings = map[string]map[string]string{}
	}
	own := r.strings[lang]
	if own == nil {
		own = map[string]string{}
		r.strings[lang] = own
	}
	shipped, _ := components.Builtin(lang)
	for k := range strs {
		if _, ok := shipped[k]; ok {
			return fmt.Errorf("AddStrings: %q is the module's own string in %q", k, lang)
		}
		if _, ok := own[k]; ok {
			return fmt.Errorf("AddStrings: %q in %q was added before", k, lang)
		}
	}
	maps.Copy(own, strs)
	return nil
}

// AddMessage adds a kind of email or text message, with its templates by
// language ("en" is required: it is the fallback of every other). Send or
// Notify sends it in the recipient's language. Config.Messages overrides it
// like the kernel's kinds; a kernel kind cannot be redefined.
func (h *Host) AddMessage(kind MessageKind, templates map[string]MessageTemplate) error {
	if kind == "" || strings.ContainsAny(string(kind), ". ") {
		return fmt.Errorf("AddMessage: %q is not a message kind", kind)
	}
	if _, ok := components.English[messageKey(kind, "text")]; ok {
		return fmt.Errorf("AddMessage: %q is a kernel message", kind)
	}
	r := &h.a.reg
	if _, dup := r.messages[kind]; dup {
		return fmt.Errorf("AddMessage: %q added twice", kind)
	}
	if templates["en"].Text == "" {
		return fmt.Errorf("AddMessage: %q has no English text", kind)
	}
	for lang, t := range templates {
		if !languageTag.MatchString(lang) {
			return fmt.Errorf("AddMessage: %q is not a language tag", lang)
		}
		if err := checkTemplate(t); err != nil {
			return fmt.Errorf("AddMessage %s/%s: %w", kind, lang, err)
		}
	}
	if r.messages == nil {
		r.messages = map[MessageKind]map[string]MessageTemplate{}
	}
	r.messages[kind] = maps.Clone(templates)
	return nil
}

func checkTemplate(t MessageTemplate) error {
	if _, err := texttemplate.New("").Parse(t.Subject); err != nil {
		return err
	}
	if _, err := texttemplate.New("").Parse(t.Text); err != nil {
		return err
	}
	_, err := htmltemplate.New("").Parse(t.HTML)
	return err
}

// Send sends a message of kind (the kernel's or one AddMessage added) to
// one recipient, in to.Locale, with d; AppName is filled in. It does not
// wait for the delivery. An unknown kind is an error.
func (h *Host) Send(ctx context.Context, kind MessageKind, to Recipient, d MessageData) error {
	if _, ok := h.a.messages["en"][kind]; !ok {
		return ErrUnavailable.wrap(fmt.Errorf("latch: no message of kind %q", kind))
	}
	return h.a.send(ctx, kind, to, d)
}

// AddUserMenuItem adds an entry to the UserButton's menu (the hosted
// pages' and UserButtonProps').
func (h *Host) AddUserMenuItem(m MenuItem) error {
	if m.Render == nil && (m.Label == "" || m.URL == "") {
		return errors.New("AddUserMenuItem: an item needs a label and a URL, or Render")
	}
	h.a.reg.menu = append(h.a.reg.menu, m)
	return nil
}

// AddScript serves s and makes every hosted page load it.
func (h *Host) AddScript(s Script) error {
	if !strings.HasPrefix(s.Path, "/") || !strings.HasSuffix(s.Path, ".js") || strings.ContainsAny(s.Path, "?#{} ") {
		return fmt.Errorf("AddScript: %q is not a path ending in .js", s.Path)
	}
	if len(s.Content) == 0 {
		return fmt.Errorf("AddScript %s: empty", s.Path)
	}
	r := &h.a.reg
	for _, rt := range h.a.routes() {
		if rt.method == http.MethodGet && rt.pattern == s.Path {
			return fmt.Errorf("AddScript: %s is already served", s.Path)
		}
	}
	content := append([]byte(nil), s.Content...)
	sum := sha256.Sum256(content)
	if err := h.Handle(Route{Method: http.MethodGet, Pattern: s.Path, Access: AccessPublic, Handler: func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		_, _ = w.Write(content)
	}}); err != nil {
		return err
	}
	r.loadScript(s.Path + "?v=" + hex.EncodeToString(sum[:8]))
	return nil
}

// loadScript makes every hosted page load the script at url.
func (r *registry) loadScript(url string) {
	for _, u := range r.pageScripts {
		if u == url {
			return
		}
	}
	r.pageScripts = append(r.pageScripts, url)
}

// messageKey is the key of a message's template in the string tables.
func messageKey(kind MessageKind, part string) string { return "message." + string(kind) + "." + part }

// buildLanguages builds the string table of every language, once every
// plugin has registered, and parses every message of every language from
// them, so that a broken template fails New rather than a send.
func (a *Auth) buildLanguages() error {
	r := &a.reg
	own := func(lang string) components.Locale {
		t := components.Locale{}
		if shipped, ok := components.Builtin(lang); ok {
			maps.Copy(t, shipped)
		} else {
			t["meta.lang"] = lang
		}
		for kind, byLang := range r.messages {
			if m, ok := byLang[lang]; ok {
				for part, v := range map[string]string{"subject": m.Subject, "text": m.Text, "html": m.HTML} {
					if v != "" {
						t[messageKey(kind, part)] = v
					}
				}
			}
		}
		maps.Copy(t, r.strings[lang])
		return t
	}
	english := own("en")
	r.tables = map[string]components.Locale{"en": components.Localize(english, a.cfg.UI.Strings)}
	langs := components.BuiltinLanguages()
	for lang := range r.strings {
		langs = append(langs, lang)
	}
	for _, byLang := range r.messages {
		for lang := range byLang {
			langs = append(langs, lang)
		}
	}
	for _, lang := range langs {
		if _, done := r.tables[lang]; !done {
			t := components.Localize(english, own(lang))
			r.tables[lang] = components.Localize(t, a.cfg.UI.Strings)
		}
	}
	var err error
	a.messages, err = parseMessages(r.tables, a.cfg.Messages)
	return err
}

// language is the language of r: the first of its Accept-Language that a
// string table has, or English.
func (a *Auth) language(r *http.Request) string {
	return pickLanguage(r, func(lang string) bool { _, ok := a.reg.tables[lang]; return ok })
}

// pickLanguage returns the first language of r's Accept-Language for
// which has is true, trying each tag whole ("pt-br") and then its primary
// subtag ("pt"), or "en".
func pickLanguage(r *http.Request, has func(string) bool) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(tag)
		if has(tag) {
			return tag
		}
		if lang, _, _ := strings.Cut(tag, "-"); lang != tag && has(lang) {
			return lang
		}
	}
	return "en"
}

// menuEntries builds the plugins' entries of the UserButton's menu for r.
func (a *Auth) menuEntries(r *http.Request, loc components.Locale) []components.MenuEntry {
	s := SessionFromContext(r.Context())
	var out []components.MenuEntry
	for _, m := range a.reg.menu {
		if m.Render == nil {
			out = append(out, components.MenuEntry{Label: components.T(loc, m.Label), URL: m.URL})
			continue
		}
		c, err := m.Render(r, s)
		if err != nil {
			a.cfg.Logger.ErrorContext(r.Context(), "latch: rendering a plugin's menu item", "err", err)
			continue
		}
		if c != nil {
			out = append(out, components.MenuEntry{Component: c})
		}
	}
	return out
}
