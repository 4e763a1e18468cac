package passkeys_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/passkeys"
	"github.com/latchauth/latch/passkeys/passkeystest"
	"github.com/latchauth/latch/storage"
)

const (
	base         = "https://app.example"
	goodPassword = "correct horse battery staple"
)

// env is an app with Latch's routes, the passkeys plugin, mail recorded
// (by the harness) and a virtual authenticator that reports the app's
// origin.
type env struct {
	*latchtest.Harness
	handler http.Handler
	key     *passkeystest.Authenticator
}

func newEnv(t testing.TB, s storage.Store, more ...latch.Plugin) *env {
	t.Helper()
	return newEnvAt(t, s, base, more...)
}

// newEnvAt is newEnv for an app served at baseURL.
func newEnvAt(t testing.TB, s storage.Store, baseURL string, more ...latch.Plugin) *env {
	t.Helper()
	e := &env{key: &passkeystest.Authenticator{Origin: baseURL}}
	cfg := latch.Config{Store: s, BaseURL: baseURL, AppName: "Acme",
		Plugins: append([]latch.Plugin{passkeys.New(passkeys.Config{})}, more...)}
	e.Harness = latchtest.NewHarness(t, latchtest.Options{Config: cfg})
	mux := http.NewServeMux()
	mux.Handle("/", e.Handler())
	mux.HandleFunc("GET /whoami", func(w http.ResponseWriter, r *http.Request) {
		out := map[string]any{"user_id": "signed-out"}
		if s := latch.SessionFromContext(r.Context()); s != nil {
			out = map[string]any{"user_id": s.UserID, "amr": s.Claims.AMR}
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	e.handler = e.Middleware(mux)
	e.App = e.handler
	return e
}

func (e *env) browser() *latchtest.Browser { return latchtest.NewBrowser(e.handler) }

// result is a JSON answer.
type result struct {
	Code int
	Body map[string]json.RawMessage
	Raw  []byte
}

func (r result) str(key string) string {
	var s string
	_ = json.Unmarshal(r.Body[key], &s)
	return s
}

// errCode is the code of the first error of the answer, or "".
func (r result) errCode() string {
	var errs []struct{ Code string }
	_ = json.Unmarshal(r.Body["errors"], &errs)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].Code
}

func do(t testing.TB, b *latchtest.Browser, method, path string, body any) result {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	r := httptest.NewRequest(method, path, rd)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	res := b.Do(r)
	var out result
	out.Code = res.StatusCode
	buf := new(bytes.Buffer)
	_, _ = buf.ReadFrom(res.Body)
	out.Raw = buf.Bytes()
	_ = json.Unmarshal(out.Raw, &out.Body)
	return out
}

func post(t testing.TB, b *latchtest.Browser, path string, body any) result {
	t.Helper()
	return do(t, b, http.MethodPost, path, body)
}

func mustOK(t testing.TB, r result, what string) {
	t.Helper()
	if r.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", what, r.Code, r.Raw)
	}
}

// newUser creates a user and signs them in on a new browser, as a
// completed sign-in would (a first factor verified just now).
func (e *env) newUser(t testing.TB, email string) (string, *latchtest.Browser) {
	t.Helper()
	u, err := e.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{email}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	latchtest.SignIn(t, e.Auth, b, u.ID)
	return u.ID, b
}

// register registers a credential of kind from the signed-in browser b
// with e.key and returns it.
func (e *env) register(t testing.TB, b *latchtest.Browser, kind, name string) *passkeystest.Credential {
	t.Helper()
	c, r := e.tryRegister(t, b, e.key, kind, name)
	mustOK(t, r, "register "+kind)
	return c
}

// tryRegister runs a registration with key and returns the credential
// made and the server's answer to it.
func (e *env) tryRegister(t testing.TB, b *latchtest.Browser, key *passkeystest.Authenticator, kind, name string) (*passkeystest.Credential, result) {
	t.Helper()
	r := post(t, b, "/v1/me/passkeys", map[string]any{"kind": kind})
	mustOK(t, r, "begin registration")
	cred, c, err := key.Create(r.Body["options"])
	if err != nil {
		t.Fatal(err)
	}
	return c, post(t, b, "/v1/me/passkeys/attempt_registration", map[string]any{"id": r.str("id"), "credential": json.RawMessage(cred), "name": name, "kind": kind})
}

// startPasskey starts a passkey sign-in on b and returns its ID and
// request options.
func startPasskey(t testing.TB, b *latchtest.Browser) (string, json.RawMessage) {
	t.Helper()
	r := post(t, b, "/v1/client/sign_ins", map[string]any{"strategy": "passkey"})
	mustOK(t, r, "start passkey sign-in")
	var v struct {
		Options json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal(r.Body["first_factor_verification"], &v); err != nil || len(v.Options) == 0 {
		t.Fatalf("no passkey options: %s", r.Raw)
	}
	return r.str("id"), v.Options
}

func attemptFirst(t testing.TB, b *latchtest.Browser, signInID string, assertion []byte) result {
	t.Helper()
	return post(t, b, "/v1/client/sign_ins/"+signInID+"/attempt_first_factor", map[string]any{"strategy": "passkey", "credential": json.RawMessage(assertion)})
}

// passkeySignIn signs in on a new browser with c, answered by key.
func (e *env) passkeySignIn(t testing.TB, key *passkeystest.Authenticator, c *passkeystest.Credential) (result, *latchtest.Browser) {
	t.Helper()
	b := e.browser()
	id, opts := startPasskey(t, b)
	assertion, err := key.Get(opts, c)
	if err != nil {
		t.Fatal(err)
	}
	return attemptFirst(t, b, id, assertion), b
}

// whoami is the user and amr of b's session.
func (e *env) whoami(t testing.TB, b *latchtest.Browser) (string, []string) {
	t.Helper()
	r := do(t, b, http.MethodGet, "/whoami", nil)
	var amr []string
	_ = json.Unmarshal(r.Body["amr"], &amr)
	return r.str("user_id"), amr
}

func hasAll(list []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(list, w) {
			return false
		}
	}
	return true
}

// mailsTo counts the messages to to whose subject contains s.
func (e *env) mailsTo(to, s string) int {
	e.Flush()
	n := 0
	for _, m := range e.Mail.Messages() {
		if m.To == to && strings.Contains(m.Subject, s) {
			n++
		}
	}
	return n
}

// requireMFA is a plugin whose policy requires a second factor of
// everyone.
type requireMFA struct{}

func (requireMFA) Name() string { return "require-mfa" }
func (requireMFA) Register(h *latch.Host) error {
	h.RequireSecondFactor(func(context.Context, *storage.User) (bool, error) { return true, nil })
	return nil
}

func readAll(res *http.Response) string {
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	return buf.String()
}

// attr returns the value of the first attribute named name (or ending
// with name, as `name="id" value`) in page, HTML-unescaped.
func attr(t testing.TB, page, name string) string {
	t.Helper()
	i := strings.Index(page, name+`="`)
	if i < 0 {
		t.Fatalf("no %s in %s", name, page)
	}
	rest := page[i+len(name)+2:]
	return html.UnescapeString(rest[:strings.IndexByte(rest, '"')])
}
