package latch

import (
	"cmp"
	"context"
	"fmt"
	htmltemplate "html/template"
	"net/http"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/sms"
	"github.com/latchauth/latch/storage"
)

// MessageKind names an email or text message Latch sends.
type MessageKind string

// The messages Latch sends.
const (
	MessageSignInCode        MessageKind = "sign_in_code"
	MessageSignInLink        MessageKind = "sign_in_link"
	MessageResetPasswordCode MessageKind = "reset_password_code"
	MessageResetPasswordLink MessageKind = "reset_password_link"
	MessageVerifyCode        MessageKind = "verification_code"
	MessageVerifyLink        MessageKind = "verification_link"
	MessageAccountExists     MessageKind = "account_exists"
	MessagePasswordChanged   MessageKind = "password_changed"
	MessageEmailAdded        MessageKind = "email_address_added"
	MessageNewSignIn         MessageKind = "new_sign_in"
	MessageFactorAdded       MessageKind = "factor_added"
	MessageFactorRemoved     MessageKind = "factor_removed"
	MessageBackupCodeUsed    MessageKind = "backup_code_used"
	// MessageCodeGuesses tells a user that so many wrong one-time codes
	// were tried on their account that further attempts now wait; Factor
	// names the kind of code ("authenticator app codes").
	MessageCodeGuesses MessageKind = "code_guesses"
)

// MessageTemplate is one message: Subject and Text are text/template
// sources, HTML an html/template source (empty for text messages), all
// executed with a MessageData. Override any of them with Config.Messages.
//
// An empty HTML lays the text out in Latch's mail layout: the logo
// (UI.LogoURL) or the app's name, the text's paragraphs, the code set
// large, a link as a button. An HTML template of your own may use the
// layout's functions: {{range paragraphs .Text .Link}} gives the text's
// paragraphs less the one that is only the link, {{with split .Text
// .Link}} those before it (.Before) and after it (.After), {{lines .}}
// one paragraph with its line breaks.
type MessageTemplate struct {
	Subject string
	Text    string
	HTML    string

	// Locales overrides the message per language, by tag ("fr"), in
	// Config.Messages: a field set there wins in that language over the
	// same field above, which in turn wins over Latch's own text. A tag
	// must be one Latch has strings for (its own languages and those
	// plugins add); New fails on another. Ignored by Host.AddMessage,
	// which takes its templates by language already.
	Locales map[string]MessageTemplate
}

// MessageData is what a message template can use.
type MessageData struct {
	AppName string
	Code    string // a one-time code
	Link    string // a link, always built on Config.BaseURL
	Device  string // the browser and system of a sign-in, or that asked for a link, e.g. "Chrome on macOS"
	Email   string // an address the message is about
	Factor  string // the sign-in method a security notice is about ("authenticator app", "passkey \"Laptop\"")
	// Organization is the name of the organization a message is about
	// (an invitation to join it).
	Organization string
	// Text is the rendered text body, for HTML templates that lay it out;
	// Latch sets it.
	Text string
	// Subject is the rendered subject, for the HTML part's title; Latch
	// sets it.
	Subject string
	// LogoURL is UI.LogoURL as an absolute URL (a path is taken on
	// BaseURL), empty when there is no logo; Latch sets it unless the
	// sender did.
	LogoURL string
}

// Recipient is where a message goes.
type Recipient struct {
	Email  string
	Phone  string
	Locale string // "en", "fr"; default "en"
}

// outbox sends messages off the request's goroutine: whether a message is
// sent (it is not, for unknown accounts) must not show in response times,
// and a slow mail server must not hold a sign-in. Failures are logged.
type outbox struct {
	wg sync.WaitGroup
}

// sendTimeout bounds one delivery.
const sendTimeout = 30 * time.Second

// send renders and sends a message in the background.
func (a *Auth) send(ctx context.Context, kind MessageKind, to Recipient, d MessageData) error {
	d.AppName = a.cfg.AppName
	if d.LogoURL == "" {
		d.LogoURL = a.mailLogo()
	}
	subject, text, html, err := a.messages.render(kind, to.Locale, d)
	if err != nil {
		return ErrUnavailable.wrap(err)
	}
	ctx = context.WithoutCancel(ctx)
	a.outbox.wg.Add(1)
	go func() {
		defer a.outbox.wg.Done()
		ctx, cancel := context.WithTimeout(ctx, sendTimeout)
		defer cancel()
		var err error
		if to.Phone != "" {
			err = a.cfg.SMS.Send(ctx, &sms.Message{To: to.Phone, Body: text, Kind: string(kind)})
		} else {
			err = a.cfg.Mailer.Send(ctx, &mail.Message{To: to.Email, Subject: subject, Text: text, HTML: html, Kind: string(kind)})
		}
		if err != nil {
			a.cfg.Logger.ErrorContext(ctx, "latch: sending a message", "kind", kind, "err", err)
		}
	}()
	return nil
}

// Flush waits until every message queued so far has been handed to the
// mailer or SMS sender, for tests and for a graceful shutdown.
func (a *Auth) Flush() { a.outbox.wg.Wait() }

// notify sends a security notification to every verified email address of
// u (SECURITY.md 25: whoever made the change may have made their own
// address primary first), or, without one, to their primary phone number.
// It does not wait for the delivery.
func (a *Auth) notify(ctx context.Context, u *User, locale string, kind MessageKind, d MessageData) error {
	sent := false
	for _, e := range u.EmailAddresses {
		if e.Verified {
			if err := a.send(ctx, kind, Recipient{Email: e.Value, Locale: locale}, d); err != nil {
				return err
			}
			sent = true
		}
	}
	if sent {
		return nil
	}
	for _, p := range u.PhoneNumbers {
		if p.Primary {
			return a.send(ctx, kind, Recipient{Phone: p.Value, Locale: locale}, d)
		}
	}
	return nil
}

// noteSignIn tells a user who had signed in before about a sign-in from a
// browser they had never signed in from.
func (a *Auth) noteSignIn(ctx context.Context, r *http.Request, su *storage.User, newDevice bool) {
	if !newDevice || su.LastSignInAt.IsZero() {
		return
	}
	if u, err := a.GetUser(ctx, su.ID); err == nil {
		a.notify(ctx, u, a.language(r), MessageNewSignIn, MessageData{Device: a.devices.Describe(r.UserAgent())})
	}
}

// messages holds every message template parsed once, by language and
// kind, with the application's overrides applied: a broken override fails
// New rather than the first send.
type messages map[string]map[MessageKind]parsedMessage

type parsedMessage struct {
	subject, text *texttemplate.Template
	html          *htmltemplate.Template
}

func parseMessages(tables map[string]components.Locale, overrides map[MessageKind]MessageTemplate) (messages, error) {
	var kinds []MessageKind
	for k := range tables["en"] {
		if name, ok := strings.CutPrefix(k, "message."); ok {
			if kind, ok := strings.CutSuffix(name, ".text"); ok {
				kinds = append(kinds, MessageKind(kind))
			}
		}
	}
	for kind, o := range overrides {
		for lang := range o.Locales {
			if _, ok := tables[lang]; !ok {
				return nil, fmt.Errorf("Config.Messages[%s].Locales: Latch has no strings in %q", kind, lang)
			}
		}
	}
	out := messages{}
	for lang, table := range tables {
		out[lang] = map[MessageKind]parsedMessage{}
		layout := layoutFor(table)
		for _, kind := range kinds {
			t := MessageTemplate{Subject: table[messageKey(kind, "subject")], Text: table[messageKey(kind, "text")], HTML: table[messageKey(kind, "html")]}
			if o, ok := overrides[kind]; ok {
				l := o.Locales[lang]
				t.Subject = cmp.Or(l.Subject, o.Subject, t.Subject)
				t.Text = cmp.Or(l.Text, o.Text, t.Text)
				t.HTML = cmp.Or(l.HTML, o.HTML, t.HTML)
			}
			var pm parsedMessage
			var err error
			name := string(kind) + "/" + lang
			if pm.subject, err = texttemplate.New(name).Parse(t.Subject); err == nil {
				if pm.text, err = texttemplate.New(name).Parse(t.Text); err == nil {
					pm.html, err = htmltemplate.New(name).Funcs(mailFuncs).Parse(cmp.Or(t.HTML, layout))
				}
			}
			if err != nil {
				return nil, fmt.Errorf("Config.Messages[%s] (%s): %w", kind, lang, err)
			}
			out[lang][kind] = pm
		}
	}
	return out, nil
}

// render renders a message for d in the language asked (English when
// Latch does not ship it).
func (m messages) render(kind MessageKind, locale string, d MessageData) (subject, text, html string, err error) {
	table, ok := m[locale]
	if !ok {
		table = m["en"]
	}
	pm, ok := table[kind]
	if !ok {
		return "", "", "", fmt.Errorf("latch: no message of kind %q", kind)
	}
	var b strings.Builder
	if err = pm.subject.Execute(&b, d); err != nil {
		return
	}
	subject = b.String()
	d.Subject = subject
	b.Reset()
	if err = pm.text.Execute(&b, d); err != nil {
		return
	}
	text, d.Text = b.String(), b.String()
	b.Reset()
	err = pm.html.Execute(&b, d)
	return subject, text, b.String(), err
}

// notifyUser is notify for a user known by ID.
func (a *Auth) notifyUser(ctx context.Context, userID string, kind MessageKind, locale string, d MessageData) error {
	u, err := a.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	return a.notify(ctx, u, locale, kind, d)
}
