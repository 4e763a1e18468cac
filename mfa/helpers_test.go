package mfa_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mail/mailtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/sms/smstest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

const (
	base         = "http://app.test"
	goodPassword = "correct horse battery staple"
)

// env is an app with Latch's routes and the mfa plugin, on a fake clock,
// with mail and text messages recorded.
type env struct {
	*latchtest.Harness
	mfa     *mfa.Plugin
	mail    *mailtest.Recorder
	sms     *smstest.Recorder
	handler http.Handler
}

// newEnv builds the app on store (a fresh memstore when nil).
func newEnv(t testing.TB, store storage.Store, mc mfa.Config, mod ...func(*latch.Config)) *env {
	t.Helper()
	if store == nil {
		store = memstore.New()
	}
	e := &env{mfa: mfa.New(mc), mail: &mailtest.Recorder{}, sms: &smstest.Recorder{}}
	cfg := latch.Config{Store: store, BaseURL: base, AppName: "Acme", Mailer: e.mail, SMS: e.sms,
		Secrets: [][]byte{[]byte(strings.Repeat("s", 32))}, Plugins: []latch.Plugin{e.mfa},
		SignUp: latch.SignUpConfig{PhoneNumber: latch.Optional}}
	for _, m := range mod {
		m(&cfg)
	}
	e.Harness = latchtest.NewHarness(t, latchtest.Options{Config: cfg})
	t.Cleanup(func() { e.Flush() })
	mux := http.NewServeMux()
	mux.Handle("/", e.Handler())
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		if s := latch.SessionFromContext(r.Context()); s != nil {
			fmt.Fprint(w, s.UserID)
			return
		}
		fmt.Fprint(w, "signed-out")
	})
	e.handler = e.Middleware(mux)
	return e
}

func (e *env) browser() *latchtest.Browser { return latchtest.NewBrowser(e.handler) }

// call sends body as JSON with method to path and decodes the answer.
func call(_ testing.TB, b *latchtest.Browser, method, path string, body any) (map[string]any, int) {
	code, out := b.JSON(method, path, body)
	return out, code
}

func post(t testing.TB, b *latchtest.Browser, path string, body any) (map[string]any, int) {
	t.Helper()
	return call(t, b, http.MethodPost, path, body)
}

func errCode(out map[string]any) string { return latchtest.ErrorCode(out) }

func mustStatus(t testing.TB, out map[string]any, code int, want string) {
	t.Helper()
	if code != http.StatusOK || out["status"] != want {
		t.Fatalf("status %d %v, want %q: %v", code, out["status"], want, out)
	}
}

// lastCode returns the newest six-digit code mailed to to.
func (e *env) lastCode(t testing.TB, to string) string {
	t.Helper()
	e.Flush()
	msgs := e.mail.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to {
			if c := mailtest.CodeIn(msgs[i].Text); c != "" {
				return c
			}
		}
	}
	t.Fatalf("no code mailed to %s", to)
	return ""
}

// lastLink returns the newest link mailed to to.
func (e *env) lastLink(t testing.TB, to string) string {
	t.Helper()
	e.Flush()
	msgs := e.mail.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to {
			if l := mailtest.LinkIn(msgs[i].Text); l != "" {
				return l
			}
		}
	}
	t.Fatalf("no link mailed to %s", to)
	return ""
}

// mailed reports whether a message to to has subject containing subject.
func (e *env) mailed(to, subject string) bool {
	e.Flush()
	for _, m := range e.mail.Messages() {
		if m.To == to && strings.Contains(m.Subject, subject) {
			return true
		}
	}
	return false
}

func (e *env) mailText(to, subject string) string {
	e.Flush()
	msgs := e.mail.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to && strings.Contains(msgs[i].Subject, subject) {
			return msgs[i].Text
		}
	}
	return ""
}

// signUp makes an account with email and password through the JSON API,
// signed in on b, and returns its ID.
func (e *env) signUp(t testing.TB, b *latchtest.Browser, email string) string {
	t.Helper()
	out, code := post(t, b, "/v1/client/sign_ups", map[string]any{"email_address": email, "password": goodPassword})
	mustStatus(t, out, code, "missing_requirements")
	id := out["id"].(string)
	out, code = post(t, b, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_code"})
	mustStatus(t, out, code, "missing_requirements")
	out, code = post(t, b, "/v1/client/sign_ups/"+id+"/attempt_verification", map[string]any{"strategy": "email_code", "code": e.lastCode(t, email)})
	mustStatus(t, out, code, "complete")
	return out["created_user_id"].(string)
}

func (e *env) whoami(t testing.TB, b *latchtest.Browser) string {
	t.Helper()
	res := b.Get("/whoami")
	raw, _ := io.ReadAll(res.Body)
	return string(raw)
}

// code is the current TOTP code of a base32 secret on the env's clock.
func (e *env) code(t testing.TB, secret string) string {
	t.Helper()
	return codeAt(t, secret, e.Clock.Now())
}

func codeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextStep moves the clock to the start of the next 30-second step, so the
// next code is a fresh one.
func (e *env) nextStep() {
	now := e.Clock.Now()
	e.Clock.Advance(time.Duration(30-now.Unix()%30)*time.Second - time.Duration(now.Nanosecond()))
}

// enrolTOTP sets an authenticator app up for the user signed in on b,
// through the JSON API, and returns its secret and the backup codes shown.
func (e *env) enrolTOTP(t testing.TB, b *latchtest.Browser) (secret string, backup []string) {
	t.Helper()
	out, code := post(t, b, "/v1/me/totp", map[string]any{})
	if code != http.StatusOK {
		t.Fatalf("begin TOTP: %d %v", code, out)
	}
	secret = out["secret"].(string)
	out, code = post(t, b, "/v1/me/totp/attempt_verification", map[string]any{"code": e.code(t, secret)})
	if code != http.StatusOK || out["verified"] != true {
		t.Fatalf("finish TOTP: %d %v", code, out)
	}
	for _, c := range out["backup_codes"].([]any) {
		backup = append(backup, c.(string))
	}
	e.nextStep()
	return secret, backup
}

// signInPassword starts a password sign-in on a new browser and returns it
// with the answer.
func (e *env) signInPassword(t testing.TB, email string) (*latchtest.Browser, map[string]any) {
	t.Helper()
	b := e.browser()
	out, code := post(t, b, "/v1/client/sign_ins", map[string]any{"identifier": email, "password": goodPassword})
	if code != http.StatusOK {
		t.Fatalf("password sign-in: %d %v", code, out)
	}
	return b, out
}

func attemptSecond(t testing.TB, b *latchtest.Browser, signInID, strategy, code string) (map[string]any, int) {
	t.Helper()
	return post(t, b, "/v1/client/sign_ins/"+signInID+"/attempt_second_factor", map[string]any{"strategy": strategy, "code": code})
}

// session returns the stored session a sign-in created.
func (e *env) session(t testing.TB, out map[string]any) *storage.Session {
	t.Helper()
	id, _ := out["created_session_id"].(string)
	if id == "" {
		t.Fatalf("no session created: %v", out)
	}
	s, err := e.Store.GetSession(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
