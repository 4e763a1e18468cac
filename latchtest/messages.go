package latchtest

import (
	"net/http"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mail/mailtest"
	"github.com/latchauth/latch/sms/smstest"
)

// LastCode returns the one-time code of the newest message to to (an
// email address or a phone number) that holds one, after the messages
// Latch sends in the background are out. It fails the test when there is
// none. It needs the harness's recorders: Options.Config.Mailer and SMS
// left unset, or set to a *mailtest.Recorder and *smstest.Recorder.
func (h *Harness) LastCode(t testing.TB, to string) string {
	t.Helper()
	return h.last(t, to, "a code", mailtest.CodeIn)
}

// LastLink is LastCode for the link of the newest message to to that
// holds one (a sign-in link, a password reset, an invitation).
func (h *Harness) LastLink(t testing.TB, to string) string {
	t.Helper()
	return h.last(t, to, "a link", mailtest.LinkIn)
}

// last returns what find finds in the newest message to to, mailed or
// texted, where it finds anything.
func (h *Harness) last(t testing.TB, to, what string, find func(string) string) string {
	t.Helper()
	h.Flush()
	if h.Mail != nil {
		if v := h.Mail.Newest(to, find); v != "" {
			return v
		}
	}
	if h.SMS != nil {
		msgs := h.SMS.Messages()
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].To == to {
				if v := find(msgs[i].Body); v != "" {
					return v
				}
			}
		}
	}
	t.Fatalf("latchtest: no message with %s to %s", what, to)
	return ""
}

// NewBrowser returns a browser with no cookies on the harness's App.
func (h *Harness) NewBrowser() *Browser {
	if h.App == nil {
		return NewBrowser(h.Middleware(h.Handler()))
	}
	return NewBrowser(h.App)
}

// SignUp signs a new user up with email and password through the JSON API,
// as a single-page app would: it creates the sign-up, verifies the email
// address with the code mailed to it, and returns the new user's ID and the
// browser, signed in. It fails the test at any step that does not succeed.
func (h *Harness) SignUp(t testing.TB, email, password string) (userID string, b *Browser) {
	t.Helper()
	b = h.NewBrowser()
	return h.SignUpOn(t, b, email, password), b
}

// SignUpOn is SignUp on the browser b, which is then signed in.
func (h *Harness) SignUpOn(t testing.TB, b *Browser, email, password string) string {
	t.Helper()
	step := func(path string, body map[string]any, want string) map[string]any {
		t.Helper()
		code, out := b.JSON(http.MethodPost, path, body)
		if code != http.StatusOK || out["status"] != want {
			t.Fatalf("latchtest: signing %s up: POST %s: %d %v, want status %q", email, path, code, out, want)
		}
		return out
	}
	out := step("/v1/client/sign_ups", map[string]any{"email_address": email, "password": password}, "missing_requirements")
	id, _ := out["id"].(string)
	step("/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_code"}, "missing_requirements")
	out = step("/v1/client/sign_ups/"+id+"/attempt_verification",
		map[string]any{"strategy": "email_code", "code": h.LastCode(t, email)}, "complete")
	userID, _ := out["created_user_id"].(string)
	if userID == "" {
		t.Fatalf("latchtest: signing %s up: no user created: %v", email, out)
	}
	return userID
}

// recorders fills in the harness's mail and SMS recorders: fresh ones when
// the configuration names no sender, or the configured ones when they are
// recorders.
func (h *Harness) recorders(cfg *latch.Config) {
	switch m := cfg.Mailer.(type) {
	case nil:
		h.Mail = &mailtest.Recorder{}
		cfg.Mailer = h.Mail
	case *mailtest.Recorder:
		h.Mail = m
	}
	switch s := cfg.SMS.(type) {
	case nil:
		h.SMS = &smstest.Recorder{}
		cfg.SMS = h.SMS
	case *smstest.Recorder:
		h.SMS = s
	}
}
