package passkeys_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/storage"
)

// TestBrowserCeremonies runs the shipped script in Chromium with a virtual
// authenticator: a passkey is registered through the account page's form
// and the registration page, then signs in with a WebAuthnButton form. It
// runs when LATCH_TEST_CHROME names a Chromium binary.
func TestBrowserCeremonies(t *testing.T) {
	chrome := os.Getenv("LATCH_TEST_CHROME")
	if chrome == "" {
		t.Skip("LATCH_TEST_CHROME is not set; set it to a Chromium binary to run the script in a browser")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// WebAuthn needs a secure context and a domain as RP ID: localhost is
	// both.
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	e := newEnvAt(t, nil, origin)
	uid, err := e.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(testApp(t, e, uid.ID))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(chrome), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true), chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir())}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelTab()

	var authenticator webauthn.AuthenticatorID
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, actions...); err != nil {
			loc, _ := chromedp.Run(tab, chromedp.Location())
			body, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v (at %s)\n%s", what, err, loc, body)
		}
	}
	run("virtual authenticator", chromedp.Navigate(origin+"/t/login"), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		res, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
		authenticator = res.AuthenticatorID
		return err
	}))

	// Register: the account page's add button, then the registration page.
	run("begin", chromedp.WaitVisible(chromedp.CSS(`form[action="/user/passkeys?do=begin"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/user/passkeys?do=begin"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-latch-webauthn="create"] button`)))
	run("create", chromedp.SendKeys(chromedp.CSS(`#latch-passkey-new-name`), "Chromium"),
		chromedp.Click(chromedp.CSS(`form[data-latch-webauthn="create"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#done`)))
	creds, err := e.Store.ListCredentials(context.Background(), uid.ID)
	if err != nil || len(creds) != 1 || creds[0].Name != "Chromium" || creds[0].Kind != "passkey" || !creds[0].UserVerified {
		t.Fatalf("after the browser's registration: %+v %v", creds, err)
	}

	// Sign out, then in with the passkey alone.
	run("sign in", chromedp.Navigate(origin+"/t/signin"), chromedp.WaitVisible(chromedp.CSS(`form[data-latch-webauthn="get"] button`)),
		chromedp.Click(chromedp.CSS(`form[data-latch-webauthn="get"] button`)), chromedp.WaitVisible(chromedp.CSS(`#who`)))
	who, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#who`)))
	if loc, _ := chromedp.Run(tab, chromedp.Location()); !strings.HasSuffix(loc, "/t/whoami") {
		t.Fatalf("after the passkey: %s", loc)
	}
	if err != nil || strings.TrimSpace(who) != uid.ID {
		t.Fatalf("signed in as %q (%v), want %s", who, err, uid.ID)
	}

	sessions, _, err := e.Store.ListSessions(context.Background(), storage.SessionFilter{UserID: uid.ID}, storage.Page{})
	if err != nil || len(sessions) != 2 || !slices.Contains(sessions[1].AMR, "mfa") {
		t.Fatalf("sessions after the passkey sign-in: %d %v", len(sessions), err)
	}

	// A refused ceremony (no user verification) shows the form's error.
	run("refused", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, webauthn.SetUserVerified, webauthn.SetUserVerifiedParams{AuthenticatorID: authenticator, IsUserVerified: false})
		return err
	}), chromedp.Navigate(origin+"/t/signin"), chromedp.WaitVisible(chromedp.CSS(`form[data-latch-webauthn="get"] button`)),
		chromedp.Click(chromedp.CSS(`form[data-latch-webauthn="get"] button`)), chromedp.WaitVisible(chromedp.CSS(`[data-latch-webauthn-error]`)))
	msg, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-latch-webauthn-error]`)))
	if !strings.Contains(msg, "could not be completed") {
		t.Fatalf("error shown: %q", msg)
	}
}

// testApp is Latch with the passkeys plugin and a few pages of the
// application's own: a sign-in for userID, a page with the account's add
// buttons, and a passkey sign-in page whose button starts a sign-in
// through the JSON API and posts the credential to it.
func testApp(t *testing.T, e *env, userID string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", e.handler)
	// Served here until the kernel serves it at the path its pages load.
	mux.HandleFunc("GET /v1/webauthn.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = io.WriteString(w, components.WebAuthnScript())
	})
	page := func(w http.ResponseWriter, r *http.Request, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>t</title><script src="/v1/webauthn.js" defer></script></head><body>%s</body></html>`, body)
	}
	mux.HandleFunc("GET /t/login", func(w http.ResponseWriter, r *http.Request) {
		if _, err := e.CreateSession(r.Context(), w, r, userID, latch.SessionParams{AMR: []string{"pwd"}}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		page(w, r, `<form method="post" action="/user/passkeys?do=begin"><input type="hidden" name="kind" value="passkey"><button type="submit">Add a passkey</button></form>`)
	})
	// The account page, where the registration's form lands.
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) { page(w, r, `<p id="done">done</p>`) })
	// A passkey sign-in on the app's page: started with the browser's
	// cookies, as the script's autofill does from the page.
	mux.HandleFunc("GET /t/signin", func(w http.ResponseWriter, r *http.Request) {
		// Signed out: the sign-in starts without the browser's cookies,
		// and the session cookie goes.
		http.SetCookie(w, &http.Cookie{Name: "latch_session", Value: "", Path: "/", MaxAge: -1})
		r.Header.Del("Cookie")
		res := forward(e.handler, w, r, "/v1/client/sign_ins", `{"strategy":"passkey"}`)
		var si struct {
			ID  string `json:"id"`
			FFV struct {
				Options json.RawMessage `json:"options"`
			} `json:"first_factor_verification"`
		}
		if err := json.Unmarshal(res, &si); err != nil || len(si.FFV.Options) == 0 {
			http.Error(w, string(res), http.StatusInternalServerError)
			return
		}
		var b strings.Builder
		_ = components.WebAuthnButton(components.WebAuthnProps{Mode: components.WebAuthnGet, Options: string(si.FFV.Options), Action: "/t/attempt",
			Hidden: map[string]string{"sign_in_id": si.ID}, Label: "Sign in with a passkey"}).Render(r.Context(), &b)
		page(w, r, b.String())
	})
	mux.HandleFunc("POST /t/attempt", func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]any{"strategy": "passkey", "credential": json.RawMessage(r.PostFormValue("credential"))})
		res := forward(e.handler, w, r, "/v1/client/sign_ins/"+r.PostFormValue("sign_in_id")+"/attempt_first_factor", string(body))
		if !strings.Contains(string(res), `"status":"complete"`) {
			http.Error(w, string(res), http.StatusUnprocessableEntity)
			return
		}
		http.Redirect(w, r, "/t/whoami", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /t/whoami", func(w http.ResponseWriter, r *http.Request) {
		who := "signed-out"
		if s := latch.SessionFromContext(r.Context()); s != nil {
			who = s.UserID
		}
		page(w, r, `<p id="who">`+who+`</p>`)
	})
	return e.Middleware(mux)
}

// forward posts body as JSON to path through h with r's cookies, and
// passes the cookies h sets on to w.
func forward(h http.Handler, w http.ResponseWriter, r *http.Request, path, body string) []byte {
	req := httptest.NewRequestWithContext(r.Context(), http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("User-Agent", r.UserAgent())
	for _, c := range r.Cookies() {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		http.SetCookie(w, c)
	}
	return rec.Body.Bytes()
}
