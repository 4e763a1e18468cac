package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/botcheck"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/mail/mailtest"
	"github.com/latchauth/latch/storage/sqlitestore"
)

// testTimeout bounds each browser test, from starting Chromium to the
// last screenshot.
const testTimeout = 60 * time.Second

// testPassword is a password the default policy accepts: long, and on no
// list of common or breached passwords.
const testPassword = "plum-orbit-canyon-47-lantern"

// The test app's session token lifetime and the clock skew its tokens
// tolerate (both the defaults, set here so tests can step past them).
const (
	tokenLifetime = time.Minute
	tokenLeeway   = 5 * time.Second
)

// testClock is the test app's clock: real time plus a skew that a test can
// only increase, to make session tokens expire without waiting for them.
type testClock struct {
	mu   sync.Mutex
	skew time.Duration
}

// Now is the app's current time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

// Advance moves the app's time forward by d.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew += d
}

// app is a running test app wired like examples/quickstart: Latch's hosted
// pages, a landing page and a protected dashboard, served over plain HTTP
// on 127.0.0.1, with mail recorded instead of sent.
type app struct {
	Auth  *latch.Auth
	Mail  *mailtest.Recorder
	Clock *testClock
	URL   string // the app's BaseURL, e.g. http://127.0.0.1:41234
}

// landing is the app's own pages. The landing page says who is signed in
// (and in which session), shows Latch's user button and offers the
// sign-out form; the dashboard is for signed-in users only.
var landing = template.Must(template.New("").Parse(`{{define "home"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>E2E app</title>
<meta name="color-scheme" content="light dark">
<link rel="stylesheet" href="/v1/latch.css">
<style>/* an app's own styles, which must not reach the user button's menu */
header ul{padding-left:40px;list-style:disc}header li{margin-left:24px;text-indent:12px}header a,header form button{margin:6px;padding-left:30px}</style></head>
<body>{{with .Button}}<header id="header" style="display:flex;justify-content:flex-end">{{.}}</header>{{end}}<main>
<h1>E2E app</h1>
<noscript><p id="noscript">JavaScript is off.</p></noscript>
{{if .UserID}}<p id="status" data-state="signed-in" data-session-id="{{.SessionID}}">signed in as {{.UserID}}</p>
<form method="post" action="/sign-out"><button id="sign-out">Sign out</button></form>
<p><a href="/dashboard">Dashboard</a> · <a href="/user">Account</a></p>
{{else}}<p id="status" data-state="signed-out">signed out</p>
<p><a href="/sign-in">Sign in</a> · <a href="/sign-up">Sign up</a></p>{{end}}
</main></body></html>{{end}}
{{define "dashboard"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dashboard</title></head>
<body><main><h1 id="dashboard">Dashboard</h1><p>Your user ID is {{.}}.</p></main></body></html>{{end}}`))

// newApp starts an app for t and stops it when t ends. Bot protection
// (the proof of work solved by /v1/pow.js) is left on, as by default.
// Each of configure, in order, may change the configuration before
// latch.New (add plugins, say); the app's URL is then the configured
// BaseURL, which must still reach the test server.
func newApp(t *testing.T, configure ...func(*latch.Config)) *app {
	t.Helper()
	chromePath(t) // skip before doing any work
	// BaseURL must be the server's own URL, known only once it listens:
	// start with a placeholder handler, then swap the real one in.
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)

	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatalf("opening the database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })

	rec := &mailtest.Recorder{}
	clock := &testClock{}
	cfg := latch.Config{
		Store:   db,
		BaseURL: srv.URL,
		AppName: "E2E",
		Secrets: [][]byte{[]byte("e2e-test-secret-0123456789abcdef")}, // 32 bytes
		Mailer:  rec,
		Clock:   clock.Now,
		Session: latch.SessionConfig{MultiSession: true, TokenLifetime: tokenLifetime, Leeway: tokenLeeway},
	}
	for _, c := range configure {
		c(&cfg)
	}
	auth, err := latch.New(cfg)
	if err != nil {
		t.Fatalf("latch.New: %v", err)
	}
	t.Cleanup(func() { _ = auth.Close() })

	mux := http.NewServeMux()
	mux.Handle("/", auth.Handler())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		var h home
		if s := latch.SessionFromContext(r.Context()); s != nil {
			h.UserID, h.SessionID = s.UserID, s.ID
		}
		if props, ok := auth.UserButtonProps(r); ok {
			var b strings.Builder
			if err := components.UserButton(props).Render(r.Context(), &b); err == nil {
				h.Button = template.HTML(b.String()) // rendered by templ, which escapes its input
			}
		}
		render(w, "home", h)
	})
	mux.Handle("GET /dashboard", auth.RequireSignedIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, "dashboard", latch.SessionFromContext(r.Context()).UserID)
	})))
	handler = auth.Middleware(mux)
	return &app{Auth: auth, Mail: rec, Clock: clock, URL: cfg.BaseURL}
}

// home is what the landing page shows: who is signed in, and the user
// button when someone is.
type home struct {
	UserID, SessionID string
	Button            template.HTML
}

func render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := landing.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, "rendering failed", http.StatusInternalServerError)
	}
}

// code returns the one-time code of the newest message to addr that holds
// one, after the messages being sent in the background are out.
func (a *app) code(t *testing.T, addr string) string {
	t.Helper()
	return a.newestIn(t, addr, "a code", mailtest.CodeIn)
}

// link returns the link in the newest message to addr that holds one,
// after the messages being sent in the background are out.
func (a *app) link(t *testing.T, addr string) string {
	t.Helper()
	return a.newestIn(t, addr, "a link", mailtest.LinkIn)
}

// newestIn returns what find finds in the text of the newest message to
// addr where it finds anything, after the messages being sent in the
// background are out; what names it for the failure message.
func (a *app) newestIn(t *testing.T, addr, what string, find func(string) string) string {
	t.Helper()
	a.Auth.Flush()
	v := a.Mail.Newest(addr, find)
	if v == "" {
		t.Fatalf("no message with %s to %s among %d recorded", what, addr, len(a.Mail.Messages()))
	}
	return v
}

// createUser signs up email with password through the JSON API, as a
// native client would (solving the proof of work in Go), and returns the
// new user's ID. The browser that signs in later is a different client.
func (a *app) createUser(t *testing.T, email, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	call := func(method, path string, body any) map[string]any {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, a.URL+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %s: %s", method, path, resp.Status, raw)
		}
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, path, raw, err)
		}
		return out
	}
	challenge, _ := call("GET", "/v1/bot_challenge", nil)["challenge"].(string)
	solution, err := botcheck.Solve(challenge)
	if err != nil {
		t.Fatalf("solving the bot challenge %q: %v", challenge, err)
	}
	su := call("POST", "/v1/client/sign_ups", map[string]any{"email_address": email, "password": password,
		"bot_token": challenge + botcheck.TokenSeparator + solution})
	id, _ := su["id"].(string)
	call("POST", "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_code"})
	done := call("POST", "/v1/client/sign_ups/"+id+"/attempt_verification", map[string]any{"strategy": "email_code", "code": a.code(t, email)})
	userID, _ := done["created_user_id"].(string)
	if done["status"] != "complete" || userID == "" {
		t.Fatalf("sign-up of %s did not complete: %v", email, done)
	}
	return userID
}

// browser is a headless Chromium tab for one test.
type browser struct {
	t   *testing.T
	ctx context.Context
	app *app
}

// chromePath is the Chromium binary named by LATCH_TEST_CHROME; it skips t
// when the variable is unset.
func chromePath(t *testing.T) string {
	t.Helper()
	chrome := os.Getenv("LATCH_TEST_CHROME")
	if chrome == "" {
		t.Skip("e2e: LATCH_TEST_CHROME is not set; set it to a Chromium binary to run the browser tests")
	}
	return chrome
}

// newBrowser starts a fresh Chromium (its own profile directory) for t,
// bounded by testTimeout, or skips t when LATCH_TEST_CHROME is unset. When
// t ends it saves a full-page screenshot as screenshots/<TestName>.png and
// stops the browser.
func newBrowser(t *testing.T, a *app) *browser {
	t.Helper()
	return newNamedBrowser(t, a, "")
}

// newNamedBrowser is newBrowser for a test that drives several browsers,
// each a separate Chromium with its own cookies: the screenshot saved
// when t ends is screenshots/<TestName>_<name>.png.
func newNamedBrowser(t *testing.T, a *app, name string) *browser {
	t.Helper()
	return newBrowserWithin(t, a, name, testTimeout)
}

// newBrowserWithin is newNamedBrowser for a test that needs longer than
// testTimeout: the browser stops after timeout.
func newBrowserWithin(t *testing.T, a *app, name string, timeout time.Duration) *browser {
	t.Helper()
	chrome := chromePath(t)
	// Built from scratch rather than from chromedp.DefaultExecAllocatorOptions,
	// so that Chromium gets exactly these flags and nothing that reaches
	// the network.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	b := &browser{t: t, ctx: tabCtx, app: a}
	// Start the browser with a desktop-sized viewport.
	b.run(chromedp.EmulateViewport(1024, 768))
	shot := t.Name()
	if name != "" {
		shot += "_" + name
	}
	t.Cleanup(func() { b.screenshot(shot) })
	return b
}

// run runs actions in the tab, failing the test on error.
func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
}

// location is the tab's current URL, for messages; "" when unknown.
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// screenshot saves a full-page PNG of the tab as screenshots/<name>.png.
func (b *browser) screenshot(name string) {
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll("screenshots", 0o755); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join("screenshots", strings.ReplaceAll(name, "/", "_")+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// open navigates to the app's path and waits for sel to be ready.
func (b *browser) open(path, sel string) {
	b.t.Helper()
	b.run(chromedp.Navigate(b.app.URL+path), chromedp.WaitReady(chromedp.CSS(sel)))
}

// text returns the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: reading the text of %s: %v (at %s)", sel, err, b.location())
	}
	return strings.TrimSpace(s)
}

// path is the path and query of the tab's URL.
func (b *browser) path() string {
	b.t.Helper()
	loc := b.location()
	if loc == "" {
		b.t.Fatal("browser: the tab's location is unknown")
	}
	return strings.TrimPrefix(loc, b.app.URL)
}

// fill types text into the input sel.
func (b *browser) fill(sel, text string) {
	b.t.Helper()
	b.run(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// submit types text into the input sel and presses Enter, submitting its
// form as a person would, then waits for next to be ready on the page that
// follows.
func (b *browser) submit(sel, text, next string) {
	b.t.Helper()
	b.run(chromedp.SendKeys(chromedp.CSS(sel), text+"\r"), chromedp.WaitReady(chromedp.CSS(next)))
}

// click clicks sel, then waits for next to be ready on the page that follows.
func (b *browser) click(sel, next string) {
	b.t.Helper()
	b.run(chromedp.Click(chromedp.CSS(sel)), chromedp.WaitReady(chromedp.CSS(next)))
}

// loadTimeout bounds the wait for a page that an action should load, so
// that an action that loads nothing fails quickly.
const loadTimeout = 15 * time.Second

// load runs actions that load another page (following a link, sending a
// form whose answer redirects), waits until that page has loaded, and
// returns its HTTP status.
func (b *browser) load(actions ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, loadTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		b.t.Fatalf("browser: loading the next page: %v (at %s)", err, b.location())
	}
	return resp.Status
}

// follow clicks sel, which loads another page, waits until that page has
// loaded without error, then waits for next in it. Unlike click it cannot
// mistake the current page for the next one, so next may be on both.
func (b *browser) follow(sel, next string) {
	b.t.Helper()
	if status := b.load(chromedp.Click(chromedp.CSS(sel))); status >= 400 {
		b.t.Fatalf("browser: clicking %s loaded a page with status %d (at %s)", sel, status, b.location())
	}
	b.wait(next)
}

// reload loads the tab's page again and waits for sel in it.
func (b *browser) reload(sel string) {
	b.t.Helper()
	b.run(chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(sel)))
}

// attr returns the value of the attribute name of the first element
// matching sel.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil || !v.Exists {
		b.t.Fatalf("browser: reading %s of %s: %v (at %s)", name, sel, err, b.location())
	}
	return v.Value
}

// colorScheme makes the tab prefer scheme ("light" or "dark"), as set in
// the operating system, for the page and pages loaded later.
func (b *browser) colorScheme(scheme string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		b.t.Fatalf("browser: emulating prefers-color-scheme: %s: %v", scheme, err)
	}
}

// signIn signs email in with password through the hosted sign-in page,
// starting at path (/sign-in, or a page that redirects there), and waits for
// next on the page it lands on.
func (b *browser) signIn(path, email, password, next string) {
	b.t.Helper()
	b.open(path, "#latch-signin-identifier")
	b.submit("#latch-signin-identifier", email, "#latch-signin-password")
	b.submit("#latch-signin-password", password, next)
}

// wantSignedIn checks that the tab shows the landing page for userID.
func (b *browser) wantSignedIn(userID string) {
	b.t.Helper()
	if got, want := b.text("#status"), "signed in as "+userID; got != want {
		b.t.Fatalf("landing page says %q, want %q (at %s)", got, want, b.location())
	}
	if p := b.path(); p != "/" {
		b.t.Errorf("landed on %s, want /", p)
	}
}

// wantSignedOut checks that the tab shows the landing page, signed out.
func (b *browser) wantSignedOut() {
	b.t.Helper()
	if got := b.text("#status"); got != "signed out" {
		b.t.Fatalf("landing page says %q, want signed out (at %s)", got, b.location())
	}
}

// wantSentToSignIn opens path, a page for signed-in users only, and checks
// that the tab was sent to the sign-in page instead.
func (b *browser) wantSentToSignIn(path string) {
	b.t.Helper()
	b.open(path, "body")
	if p := b.path(); !strings.HasPrefix(p, "/sign-in?") {
		b.t.Fatalf("%s went to %s, want the sign-in page", path, p)
	}
	b.wait("#latch-signin-identifier")
}

// disableScripts turns JavaScript off in the tab, for pages loaded later.
func (b *browser) disableScripts() {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		b.t.Fatalf("browser: disabling scripts: %v", err)
	}
}

// poll waits until the JavaScript expression is true in the page.
func (b *browser) poll(expr string, timeout time.Duration) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout))); err != nil {
		b.t.Fatalf("browser: waiting for %s: %v (at %s)", expr, err, b.location())
	}
}

// wait waits for an element matching sel to be in the page.
func (b *browser) wait(sel string) {
	b.t.Helper()
	b.run(chromedp.WaitReady(chromedp.CSS(sel)))
}
