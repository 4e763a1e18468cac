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
type MessageTemplate struct {
	Subject string
	Text    string
	HTML    string
}

// MessageData is what a message template can use.
type MessageData struct {
	AppName string
	Code    string // a one-time code
	Link    string // a link, always built on Config.BaseURL
	Device  string // the browser and system of a sign-in, or that asked for a link, e.g. "Chrome on macOS"
	Email   string // an address the message is about
	Factor  string // the sign-in method a security notice is about ("authenticator app", "passkey \"Laptop\"")
	// Text is the rendered text body, for HTML templates that lay it out;
	// Latch sets it.
	Text string
}

// Recipient is where a message goes.
type Recipient struct {
	Email  string
	Phone  string
	Locale string // "en", "fr"; default "en"
}

// defaultMessages holds Latch's messages in each language it ships.
var defaultMessages = map[string]map[MessageKind]MessageTemplate{
	"en": {
		MessageSignInCode:        {"{{.Code}} is your {{.AppName}} code", "Your {{.AppName}} sign-in code is {{.Code}}. It expires in 10 minutes. If you did not try to sign in, ignore this message.", ""},
		MessageSignInLink:        {"Sign in to {{.AppName}}", "Open this link to sign in to {{.AppName}}:\n\n{{.Link}}\n\n{{if .Device}}It was asked for from {{.Device}}. {{end}}It expires in 10 minutes and works once. If you did not try to sign in, ignore this message.", ""},
		MessageResetPasswordCode: {"{{.Code}} is your {{.AppName}} password reset code", "Your code to reset your {{.AppName}} password is {{.Code}}. It expires in 10 minutes. If you did not ask for it, ignore this message: your password has not changed.", ""},
		MessageResetPasswordLink: {"Reset your {{.AppName}} password", "Open this link to choose a new {{.AppName}} password:\n\n{{.Link}}\n\n{{if .Device}}It was asked for from {{.Device}}. {{end}}It expires in 10 minutes. If you did not ask for it, ignore this message: your password has not changed.", ""},
		MessageVerifyCode:        {"{{.Code}} is your {{.AppName}} verification code", "Your {{.AppName}} verification code is {{.Code}}. It expires in 10 minutes.", ""},
		MessageVerifyLink:        {"Verify your email address for {{.AppName}}", "Open this link to verify your email address:\n\n{{.Link}}\n\n{{if .Device}}It was asked for from {{.Device}}. {{end}}It expires in 10 minutes.", ""},
		MessageAccountExists:     {"You already have a {{.AppName}} account", "Someone tried to create a {{.AppName}} account with this address, which already has one. If it was you, sign in instead: {{.Link}}\nIf it was not you, ignore this message.", ""},
		MessagePasswordChanged:   {"Your {{.AppName}} password was changed", "The password of your {{.AppName}} account was just changed. If this was not you, reset your password now and contact support.", ""},
		MessageEmailAdded:        {"A new email address was added to your {{.AppName}} account", "{{.Email}} was added to your {{.AppName}} account. If this was not you, remove it and change your password.", ""},
		MessageNewSignIn:         {"New sign-in to your {{.AppName}} account", "Your {{.AppName}} account was signed in to from a new device: {{.Device}}. If this was not you, change your password and sign out of your other sessions.", ""},
		MessageFactorAdded:       {"A sign-in method was added to your {{.AppName}} account", "{{.Factor}} was added to your {{.AppName}} account. If this was not you, remove it, change your password and sign out of your other sessions.", ""},
		MessageFactorRemoved:     {"A sign-in method was removed from your {{.AppName}} account", "{{.Factor}} was removed from your {{.AppName}} account. If this was not you, change your password and sign out of your other sessions now.", ""},
		MessageBackupCodeUsed:    {"A backup code was used on your {{.AppName}} account", "One of your {{.AppName}} backup codes was just used to sign in. {{.Factor}} If this was not you, change your password and generate new backup codes.", ""},
		MessageCodeGuesses:       {"Someone is trying codes on your {{.AppName}} account", "Many wrong {{.Factor}} were just entered for your {{.AppName}} account. To protect it, each further attempt now has to wait. If this was not you, someone may be trying to get in: keep your codes to yourself, and if you use a password, make sure it is strong and used nowhere else. A browser you have signed in on before is not slowed down.", ""},
		MessageInvitation:        {"You are invited to {{.AppName}}", "You have been invited to join {{.AppName}}. Create your account here:\n\n{{.Link}}\n\nThe invitation works once.", ""},
	},
	"fr": {
		MessageSignInCode:        {"{{.Code}} est votre code {{.AppName}}", "Votre code de connexion {{.AppName}} est {{.Code}}. Il expire dans 10 minutes. Si vous n'avez pas essayé de vous connecter, ignorez ce message.", ""},
		MessageSignInLink:        {"Connexion à {{.AppName}}", "Ouvrez ce lien pour vous connecter à {{.AppName}} :\n\n{{.Link}}\n\n{{if .Device}}Il a été demandé depuis {{.Device}}. {{end}}Il expire dans 10 minutes et ne sert qu'une fois. Si vous n'avez pas essayé de vous connecter, ignorez ce message.", ""},
		MessageResetPasswordCode: {"{{.Code}} est votre code de réinitialisation {{.AppName}}", "Votre code pour réinitialiser votre mot de passe {{.AppName}} est {{.Code}}. Il expire dans 10 minutes. Si vous ne l'avez pas demandé, ignorez ce message : votre mot de passe n'a pas changé.", ""},
		MessageResetPasswordLink: {"Réinitialisez votre mot de passe {{.AppName}}", "Ouvrez ce lien pour choisir un nouveau mot de passe {{.AppName}} :\n\n{{.Link}}\n\n{{if .Device}}Il a été demandé depuis {{.Device}}. {{end}}Il expire dans 10 minutes. Si vous ne l'avez pas demandé, ignorez ce message : votre mot de passe n'a pas changé.", ""},
		MessageVerifyCode:        {"{{.Code}} est votre code de vérification {{.AppName}}", "Votre code de vérification {{.AppName}} est {{.Code}}. Il expire dans 10 minutes.", ""},
		MessageVerifyLink:        {"Vérifiez votre adresse e-mail pour {{.AppName}}", "Ouvrez ce lien pour vérifier votre adresse e-mail :\n\n{{.Link}}\n\n{{if .Device}}Il a été demandé depuis {{.Device}}. {{end}}Il expire dans 10 minutes.", ""},
		MessageAccountExists:     {"Vous avez déjà un compte {{.AppName}}", "Quelqu'un a essayé de créer un compte {{.AppName}} avec cette adresse, qui en a déjà un. Si c'était vous, connectez-vous plutôt : {{.Link}}\nSinon, ignorez ce message.", ""},
		MessagePasswordChanged:   {"Votre mot de passe {{.AppName}} a été modifié", "Le mot de passe de votre compte {{.AppName}} vient d'être modifié. Si ce n'était pas vous, réinitialisez-le maintenant et contactez le support.", ""},
		MessageEmailAdded:        {"Une nouvelle adresse a été ajoutée à votre compte {{.AppName}}", "{{.Email}} a été ajoutée à votre compte {{.AppName}}. Si ce n'était pas vous, retirez-la et changez votre mot de passe.", ""},
		MessageNewSignIn:         {"Nouvelle connexion à votre compte {{.AppName}}", "Votre compte {{.AppName}} a été utilisé depuis un nouvel appareil : {{.Device}}. Si ce n'était pas vous, changez votre mot de passe et déconnectez vos autres sessions.", ""},
		MessageFactorAdded:       {"Une méthode de connexion a été ajoutée à votre compte {{.AppName}}", "{{.Factor}} a été ajouté à votre compte {{.AppName}}. Si ce n'était pas vous, retirez-le, changez votre mot de passe et déconnectez vos autres sessions.", ""},
		MessageFactorRemoved:     {"Une méthode de connexion a été retirée de votre compte {{.AppName}}", "{{.Factor}} a été retiré de votre compte {{.AppName}}. Si ce n'était pas vous, changez votre mot de passe et déconnectez vos autres sessions maintenant.", ""},
		MessageBackupCodeUsed:    {"Un code de secours a été utilisé sur votre compte {{.AppName}}", "L'un de vos codes de secours {{.AppName}} vient de servir à vous connecter. {{.Factor}} Si ce n'était pas vous, changez votre mot de passe et générez de nouveaux codes.", ""},
		MessageCodeGuesses:       {"Quelqu'un essaie des codes sur votre compte {{.AppName}}", "De nombreux {{.Factor}} erronés viennent d'être saisis pour votre compte {{.AppName}}. Pour le protéger, chaque nouvelle tentative doit désormais attendre. Si ce n'était pas vous, quelqu'un essaie peut-être d'y entrer : gardez vos codes pour vous et, si vous utilisez un mot de passe, choisissez-le solide et unique. Un navigateur sur lequel vous vous êtes déjà connecté n'est pas ralenti.", ""},
		MessageInvitation:        {"Vous êtes invité·e sur {{.AppName}}", "Vous êtes invité·e à rejoindre {{.AppName}}. Créez votre compte ici :\n\n{{.Link}}\n\nL'invitation ne sert qu'une fois.", ""},
	},
}

// defaultHTML wraps a message's text in a plain, readable layout; a link is
// also a button.
const defaultHTML = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a">` +
	`<p style="white-space:pre-wrap">{{.Text}}</p>` +
	`{{if .Code}}<p style="font-size:2rem;letter-spacing:.3rem;font-weight:600">{{.Code}}</p>{{end}}` +
	`{{if .Link}}<p><a href="{{.Link}}" style="display:inline-block;padding:.6rem 1.2rem;background:#2f3cff;color:#fff;border-radius:.4rem;text-decoration:none">Continue</a></p>{{end}}` +
	`<p style="color:#666;font-size:.85rem">{{.AppName}}</p></body></html>`

// localeOf picks the first language of Accept-Language that Latch ships.
func localeOf(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		lang, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if _, ok := defaultMessages[lang]; ok {
			return lang
		}
	}
	return "en"
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
		a.notify(ctx, u, localeOf(r), MessageNewSignIn, MessageData{Device: a.devices.describe(r.UserAgent())})
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

func parseMessages(overrides map[MessageKind]MessageTemplate) (messages, error) {
	out := messages{}
	for lang, table := range defaultMessages {
		out[lang] = map[MessageKind]parsedMessage{}
		for kind, t := range table {
			if o, ok := overrides[kind]; ok {
				t.Subject, t.Text, t.HTML = cmp.Or(o.Subject, t.Subject), cmp.Or(o.Text, t.Text), cmp.Or(o.HTML, t.HTML)
			}
			var pm parsedMessage
			var err error
			name := string(kind) + "/" + lang
			if pm.subject, err = texttemplate.New(name).Parse(t.Subject); err == nil {
				if pm.text, err = texttemplate.New(name).Parse(t.Text); err == nil {
					pm.html, err = htmltemplate.New(name).Parse(cmp.Or(t.HTML, defaultHTML))
				}
			}
			if err != nil {
				return nil, fmt.Errorf("Config.Messages[%s]: %w", kind, err)
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
	pm := table[kind]
	var b strings.Builder
	if err = pm.subject.Execute(&b, d); err != nil {
		return
	}
	subject = b.String()
	b.Reset()
	if err = pm.text.Execute(&b, d); err != nil {
		return
	}
	text, d.Text = b.String(), b.String()
	b.Reset()
	err = pm.html.Execute(&b, d)
	return subject, text, b.String(), err
}
