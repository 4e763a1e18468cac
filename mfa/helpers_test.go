package mfa_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

const (
	base         = "http://app.test"
	goodPassword = "correct horse battery staple"
)

// env is an app with Latch's routes and the mfa plugin, on a fake clock,
// with mail and text messages recorded (by the harness).
type env struct {
	*latchtest.Harness
	mfa     *mfa.Plugin
	handler http.Handler
}

// newEnv builds the app on store (a fresh memstore when nil).
func newEnv(t testing.TB, store storage.Store, mc mfa.Config, mod ...func(*latch.Config)) *env {
	t.Helper()
	if store == nil {
		store = memstore.New()
	}
	e := &env{mfa: mfa.New(mc)}
	cfg := latch.Config{Store: store, BaseURL: base, AppName: "Acme",
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
	e.App = e.handler
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

// mailed reports whether a message to to has subject containing subject.
func (e *env) mailed(to, subject string) bool {
	e.Flush()
	for _, m := range e.Mail.Messages() {
		if m.To == to && strings.Contains(m.Subject, subject) {
			return true
		}
	}
	return false
}

func (e *env) mailText(to, subject string) string {
	e.Flush()
	msgs := e.Mail.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to && strings.Contains(msgs[i].Subject, subject) {
			return msgs[i].Text
		}
	}
	return ""
}

func (e *env) whoami(t testing.TB, b *latchtest.Browser) string {
	t.Helper()
	res := b.Get("/whoami")
	raw, _ := io.ReadAll(res.Body)
	return string(raw)
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
