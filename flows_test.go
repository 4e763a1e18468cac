package latch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/mail/mailtest"
	"github.com/latchauth/latch/mail/smtpmail"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// flowEnv is an app with Latch's routes and a page saying who is signed
// in, with mail and text messages recorded (by the harness, unless cfg
// names a Mailer).
type flowEnv struct {
	*latchtest.Harness
	handler http.Handler
}

func newFlowEnv(t testing.TB, cfg latch.Config) *flowEnv {
	t.Helper()
	e := &flowEnv{}
	if cfg.BaseURL == "" {
		cfg.BaseURL = base
	}
	if cfg.Secrets == nil {
		cfg.Secrets = [][]byte{[]byte(strings.Repeat("s", 32))}
	}
	if cfg.AppName == "" {
		cfg.AppName = "Acme"
	}
	e.Harness = latchtest.NewHarness(t, latchtest.Options{Config: cfg})
	mux := http.NewServeMux()
	mux.Handle("/", e.Handler())
	mux.Handle("GET /whoami", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := latch.SessionFromContext(r.Context()); s != nil {
			fmt.Fprint(w, s.UserID)
			return
		}
		fmt.Fprint(w, "signed-out")
	}))
	e.handler = e.Middleware(mux)
	e.App = e.handler
	return e
}

func (e *flowEnv) browser() *latchtest.Browser { return latchtest.NewBrowser(e.handler) }

// anyMail reports whether some message to to contains text.
func (e *flowEnv) anyMail(to, text string) bool {
	e.Flush()
	for _, m := range e.Mail.Messages() {
		if m.To == to && strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

func (e *flowEnv) mailCount(to string) int {
	e.Flush()
	n := 0
	for _, m := range e.Mail.Messages() {
		if m.To == to {
			n++
		}
	}
	return n
}

// call posts body as JSON and decodes the answer.
func call(_ testing.TB, b *latchtest.Browser, path string, body any) (map[string]any, int) {
	code, out := b.JSON(http.MethodPost, path, body)
	return out, code
}

func get(_ testing.TB, b *latchtest.Browser, path string) (map[string]any, int) {
	code, out := b.JSON(http.MethodGet, path, nil)
	return out, code
}

func errCode(out map[string]any) string { return latchtest.ErrorCode(out) }

func mustStatus(t testing.TB, out map[string]any, code int, want string) {
	t.Helper()
	if code != 200 || out["status"] != want {
		t.Fatalf("status %d %v, want %q: %v", code, out["status"], want, out)
	}
}

func (e *flowEnv) whoami(t testing.TB, b *latchtest.Browser) string {
	t.Helper()
	return body(t, b.Get("/whoami"))
}

const goodPassword = "correct horse battery staple"

// TestEveryStrategyOverRealSMTP signs users up and in with every strategy
// through the JSON API, on each database, with mail delivered by a real
// SMTP server and read back from it.
func TestEveryStrategyOverRealSMTP(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		srv := mailtest.NewServer(t)
		mailer := smtpmail.New(smtpmail.Config{Host: srv.Host, Port: srv.Port, From: "auth@app.example", TLS: smtpmail.InsecurePlaintext})
		e := newFlowEnv(t, latch.Config{Store: s, Mailer: mailer, SignUp: latch.SignUpConfig{PhoneNumber: latch.Optional}})
		// Read the next message to an address that has a code (or link),
		// passing over the security notifications in between.
		next := func(to string, find func(string) string) string {
			e.Flush()
			for {
				if v := find(srv.WaitFor(t, to, 5*time.Second).Text); v != "" {
					return v
				}
			}
		}
		codeFor := func(to string) string { return next(to, mailtest.CodeIn) }
		linkFor := func(to string) string { return next(to, mailtest.LinkIn) }

		// Sign-up with email code and password.
		b := e.browser()
		out, code := call(t, b, "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com", "password": goodPassword})
		mustStatus(t, out, code, "missing_requirements")
		id := out["id"].(string)
		call(t, b, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_code"})
		out, code = call(t, b, "/v1/client/sign_ups/"+id+"/attempt_verification", map[string]any{"strategy": "email_code", "code": codeFor("ada@example.com")})
		mustStatus(t, out, code, "complete")
		uid := out["created_user_id"].(string)
		if got := e.whoami(t, b); got != uid {
			t.Fatalf("after sign-up: %q", got)
		}
		b.Post("/sign-out", nil)

		// password
		b = e.browser()
		out, code = call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ADA@example.com", "password": goodPassword})
		mustStatus(t, out, code, "complete")
		if e.whoami(t, b) != uid {
			t.Fatal("password sign-in did not sign in")
		}

		// email_code
		b = e.browser()
		out, _ = call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
		sid := out["id"].(string)
		call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
		out, code = call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": codeFor("ada@example.com")})
		mustStatus(t, out, code, "complete")

		// email_link, same browser
		b = e.browser()
		out, _ = call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
		sid = out["id"].(string)
		call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_link", "redirect_url": "/dashboard"})
		link := linkFor("ada@example.com")
		if !strings.HasPrefix(link, base+"/v1/verify?token=") {
			t.Fatalf("link %q is not built on the base URL", link)
		}
		u, _ := url.Parse(link)
		res := b.Post("/v1/verify", url.Values{"token": {u.Query().Get("token")}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/dashboard" || e.whoami(t, b) != uid {
			t.Fatalf("magic link in the same browser: %d %q", res.StatusCode, res.Header.Get("Location"))
		}

		// phone_code, after adding and verifying a phone number.
		ph := "+15555550100"
		out, code = call(t, b, "/v1/me/phone_numbers", map[string]any{"phone_number": ph})
		if code != 200 {
			t.Fatalf("add phone: %d %v", code, out)
		}
		e.Flush()
		out, code = call(t, b, "/v1/me/identifiers/"+out["id"].(string)+"/attempt_verification", map[string]any{"code": e.LastCode(t, ph)})
		if code != 200 || out["verified"] != true {
			t.Fatalf("verify phone: %d %v", code, out)
		}
		b2 := e.browser()
		out, _ = call(t, b2, "/v1/client/sign_ins", map[string]any{"identifier": ph})
		sid = out["id"].(string)
		call(t, b2, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "phone_code"})
		e.Flush()
		out, code = call(t, b2, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "phone_code", "code": e.LastCode(t, ph)})
		mustStatus(t, out, code, "complete")

		// ticket
		tok, _, err := e.CreateSignInToken(context.Background(), uid, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		b3 := e.browser()
		out, code = call(t, b3, "/v1/client/sign_ins", map[string]any{"strategy": "ticket", "ticket": tok})
		mustStatus(t, out, code, "complete")
		if _, code = call(t, e.browser(), "/v1/client/sign_ins", map[string]any{"strategy": "ticket", "ticket": tok}); code == 200 {
			t.Fatal("a sign-in token worked twice")
		}
	})
}

// TestMagicLinkOnAnotherDevice: with SignInConfig.CrossDeviceLinks, a
// magic link opened on another device lets the tab that asked for it
// finish, once the person there confirms on a page naming that tab's
// device. Nothing is spent before the confirmation.
func TestMagicLinkOnAnotherDevice(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), SignIn: latch.SignInConfig{CrossDeviceLinks: true}})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	laptop, phone := e.browser(), e.browser()
	out, _ := call(t, laptop, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	sid := out["id"].(string)
	call(t, laptop, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_link"})
	link, _ := url.Parse(e.LastLink(t, "ada@example.com"))
	tok := link.Query().Get("token")
	// Opening the link changes nothing (mail scanners open links too).
	res := phone.Get(link.RequestURI())
	if res.StatusCode != 200 || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("landing page: %d, Referrer-Policy %q", res.StatusCode, res.Header.Get("Referrer-Policy"))
	}
	if html := body(t, res); !strings.Contains(html, `value="there"`) || !strings.Contains(html, `name="confirm"`) || !strings.Contains(html, "Chrome 131 on Linux") {
		t.Fatalf("the page does not offer, behind a confirmation naming the device, to continue on the laptop:\n%s", html)
	}
	if out, _ := get(t, laptop, "/v1/client/sign_ins/"+sid); out["first_factor_verification"].(map[string]any)["status"] != "unverified" {
		t.Fatal("GET of the link page verified the sign-in")
	}
	// "Continue on that device" without ticking the box does nothing.
	phone.Post("/v1/verify", url.Values{"token": {tok}, "continue": {"there"}})
	if out, _ := get(t, laptop, "/v1/client/sign_ins/"+sid); out["first_factor_verification"].(map[string]any)["status"] != "unverified" {
		t.Fatal("the laptop was let in without the confirmation")
	}
	res = phone.Post("/v1/verify", url.Values{"token": {tok}, "continue": {"there"}, "confirm": {"yes"}})
	if res.StatusCode != 200 || e.whoami(t, phone) != "signed-out" {
		t.Fatalf("the other device was signed in: %d", res.StatusCode)
	}
	out, code := call(t, laptop, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_link"})
	mustStatus(t, out, code, "complete")
	if e.whoami(t, laptop) != uid {
		t.Fatal("the original tab did not continue")
	}
}

func TestForgotPassword(t *testing.T) {
	for _, strategy := range []string{"reset_password_email_code", "reset_password_email_link"} {
		t.Run(strategy, func(t *testing.T) {
			e := newFlowEnv(t, latch.Config{Store: memstore.New()})
			uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
			other := e.browser()
			call(t, other, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})

			b := e.browser()
			out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
			sid := out["id"].(string)
			call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": strategy})
			if strategy == "reset_password_email_code" {
				out, code := call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": strategy, "code": e.LastCode(t, "ada@example.com")})
				mustStatus(t, out, code, "needs_new_password")
			} else {
				link, _ := url.Parse(e.LastLink(t, "ada@example.com"))
				b.Post("/v1/verify", url.Values{"token": {link.Query().Get("token")}})
				if out, _ := get(t, b, "/v1/client/sign_ins/"+sid); out["status"] != "needs_new_password" {
					t.Fatalf("after the reset link: %v", out["status"])
				}
			}
			e.Flush()
			before := len(e.Mail.Messages())
			out, code := call(t, b, "/v1/client/sign_ins/"+sid+"/reset_password", map[string]any{"password": "a brand new passphrase", "sign_out_of_other_sessions": true})
			mustStatus(t, out, code, "complete")
			if e.whoami(t, b) != uid || e.whoami(t, other) != "signed-out" {
				t.Fatal("reset did not sign in here and out elsewhere")
			}
			e.Flush()
			notified := false
			for _, m := range e.Mail.Messages()[before:] {
				notified = notified || (m.To == "ada@example.com" && strings.Contains(m.Subject, "password was changed"))
			}
			if !notified {
				t.Error("no password-changed notification")
			}
			if out, _ := call(t, e.browser(), "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword}); errCode(out) != "form_password_incorrect" {
				t.Error("the old password still works")
			}
		})
	}
}

func TestChangePasswordNeedsCurrent(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	b := e.browser()
	e.SignUpOn(t, b, "ada@example.com", goodPassword)
	if out, _ := call(t, b, "/v1/me/password", map[string]any{"current_password": "wrong", "new_password": "another fine passphrase"}); errCode(out) != "form_password_incorrect" {
		t.Fatalf("changed without the current password: %v", out)
	}
	if _, code := call(t, b, "/v1/me/password", map[string]any{"current_password": goodPassword, "new_password": "another fine passphrase"}); code != 200 {
		t.Fatal("change with the current password failed")
	}
}

func TestAddAndVerifySecondEmail(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	b := e.browser()
	uid := e.SignUpOn(t, b, "ada@example.com", goodPassword)
	out, _ := call(t, b, "/v1/me/email_addresses", map[string]any{"email_address": "ada@work.example"})
	id := out["id"].(string)
	if out, _ := call(t, b, "/v1/me/identifiers/"+id+"/attempt_verification", map[string]any{"code": "000000"}); errCode(out) != "form_code_incorrect" {
		t.Fatalf("wrong code: %v", out)
	}
	out, code := call(t, b, "/v1/me/identifiers/"+id+"/attempt_verification", map[string]any{"code": e.LastCode(t, "ada@work.example")})
	if code != 200 || out["verified"] != true {
		t.Fatalf("verify: %d %v", code, out)
	}
	if !e.anyMail("ada@example.com", "ada@work.example") {
		t.Error("the primary address was not told about the new one")
	}
	if _, code := call(t, b, "/v1/me/identifiers/"+id+"/primary", nil); code != 200 {
		t.Fatal("set primary")
	}
	u, _ := e.GetUser(context.Background(), uid)
	if u.PrimaryEmailAddress() != "ada@work.example" {
		t.Errorf("primary = %q", u.PrimaryEmailAddress())
	}
	// Another user cannot touch it.
	mallory := e.browser()
	e.SignUpOn(t, mallory, "mallory@example.com", goodPassword)
	req := httptest.NewRequest("DELETE", "/v1/me/identifiers/"+id, nil)
	if res := mallory.Do(req); res.StatusCode != http.StatusNotFound {
		t.Errorf("cross-user delete: %d", res.StatusCode)
	}
}

func TestConcurrentCodeRedemption(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	sid := out["id"].(string)
	call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
	code := e.LastCode(t, "ada@example.com")
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	wins := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out, status := call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": code})
			if status == 200 && out["status"] == "complete" {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent redemptions of one code succeeded, want exactly 1", wins)
	}
}

func TestCodeReuseExpiryAndAttempts(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	start := func(b *latchtest.Browser) (string, string) {
		out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
		sid := out["id"].(string)
		call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
		return sid, e.LastCode(t, "ada@example.com")
	}
	attempt := func(b *latchtest.Browser, sid, code string) string {
		out, _ := call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": code})
		if s, _ := out["status"].(string); s != "" {
			return s
		}
		return errCode(out)
	}

	t.Run("reuse", func(t *testing.T) {
		b := e.browser()
		sid, code := start(b)
		if got := attempt(b, sid, code); got != "complete" {
			t.Fatal(got)
		}
		b2 := e.browser()
		sid2, _ := start(b2)
		if got := attempt(b2, sid2, code); got == "complete" {
			t.Fatal("a used code signed in again")
		}
	})
	t.Run("expired", func(t *testing.T) {
		b := e.browser()
		sid, code := start(b)
		e.Clock.Advance(10*time.Minute + time.Second)
		if got := attempt(b, sid, code); got != "verification_expired" {
			t.Fatalf("expired code: %s", got)
		}
	})
	t.Run("attempts exhausted, and a new code does not reset them", func(t *testing.T) {
		b := e.browser()
		sid, _ := start(b)
		for range 3 {
			if got := attempt(b, sid, "000000"); got != "form_code_incorrect" && got != "verification_expired" {
				t.Fatal(got)
			}
		}
		call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
		code := e.LastCode(t, "ada@example.com")
		for range 2 {
			attempt(b, sid, "000000")
		}
		if got := attempt(b, sid, code); got != "verification_expired" {
			t.Fatalf("the right code after 5 failures (spread over two codes): %s", got)
		}
	})
	t.Run("code with spaces", func(t *testing.T) {
		b := e.browser()
		sid, code := start(b)
		if got := attempt(b, sid, code[:3]+" "+code[3:]); got != "complete" {
			t.Fatalf("code typed with a space: %s", got)
		}
	})
}

func TestFlowBoundToTheBrowserThatStartedIt(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	sid := out["id"].(string)
	attacker := e.browser()
	if _, code := call(t, attacker, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "password", "password": goodPassword}); code != http.StatusNotFound {
		t.Fatalf("another browser used the sign-in: %d", code)
	}
}

func TestResetLinkHostHeaderPoisoning(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	r := httptest.NewRequest("POST", "/v1/client/sign_ins", strings.NewReader(`{"identifier":"ada@example.com"}`))
	r.Host = "evil.test"
	for k, v := range map[string]string{"Content-Type": "application/json", "X-Forwarded-Host": "evil.test", "X-Forwarded-Proto": "http", "Forwarded": "host=evil.test;proto=http"} {
		r.Header.Set(k, v)
	}
	var out map[string]any
	_ = json.NewDecoder(b.Do(r).Body).Decode(&out)
	r = httptest.NewRequest("POST", "/v1/client/sign_ins/"+out["id"].(string)+"/prepare_first_factor", strings.NewReader(`{"strategy":"reset_password_email_link"}`))
	r.Host = "evil.test"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Forwarded-Host", "evil.test")
	b.Do(r)
	link := e.LastLink(t, "ada@example.com")
	if !strings.HasPrefix(link, base+"/") || strings.Contains(link, "evil") {
		t.Fatalf("reset link %q is not on the configured base URL", link)
	}
}

// TestEnumerationSameAnswers checks that sign-in, sign-up, forgot-password
// and code resend answer known and unknown identifiers alike.
func TestEnumerationSameAnswers(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	shape := func(out map[string]any, code int) string {
		delete(out, "id")
		delete(out, "expire_at")
		delete(out, "identifier")
		if ff, ok := out["supported_first_factors"].([]any); ok {
			for _, f := range ff {
				delete(f.(map[string]any), "safe_identifier")
			}
		}
		if v, ok := out["first_factor_verification"].(map[string]any); ok {
			delete(v, "expire_at")
		}
		if v, ok := out["verifications"].(map[string]any); ok {
			for _, x := range v {
				delete(x.(map[string]any), "expire_at")
			}
		}
		delete(out, "email_address")
		b, _ := json.Marshal(out)
		return fmt.Sprint(code, " ", string(b))
	}
	run := func(email string) []string {
		var got []string
		b := e.browser()
		got = append(got, shape(call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": email, "password": "wrong password 1"})))
		out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": email})
		sid := out["id"].(string)
		got = append(got, shape(out, 200))
		for _, s := range []string{"email_code", "email_link", "reset_password_email_code"} {
			got = append(got, shape(call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": s})))
		}
		got = append(got, shape(call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "reset_password_email_code", "code": "123456"})))
		out, code := call(t, b, "/v1/client/sign_ups", map[string]any{"email_address": email, "password": goodPassword})
		if out["id"] == nil {
			t.Fatalf("sign-up for %s: %d %v", email, code, out)
		}
		suid := out["id"].(string)
		got = append(got, shape(out, code))
		got = append(got, shape(call(t, b, "/v1/client/sign_ups/"+suid+"/prepare_verification", map[string]any{"strategy": "email_code"})))
		return got
	}
	known, unknown := run("ada@example.com"), run("nobody@example.com")
	for i := range known {
		if known[i] != unknown[i] {
			t.Errorf("step %d differs:\n known:   %s\n unknown: %s", i, known[i], unknown[i])
		}
	}
	// The owner of a taken address hears about it by mail; nobody else does.
	if !e.anyMail("ada@example.com", "already") {
		t.Error("sign-up with a taken address did not tell its owner")
	}
	if e.mailCount("nobody@example.com") == 0 {
		t.Error("the unknown address got no sign-up code")
	}
}

// TestEnumerationTiming compares the time of password sign-ins for a known
// and an unknown account over requests in random order: the unknown path
// runs the same password hash and the same database work, so their medians
// must be close. Each sample starts after a garbage collection, so that the
// collector (the hash allocates 19 MiB) does not land on one kind more than
// the other; on a noisy machine the comparison is tried up to three times,
// which a real difference (a skipped hash is 20 ms) fails every time.
func TestEnumerationTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing comparison skipped in -short mode")
	}
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	sample := func(email string) time.Duration {
		runtime.GC()
		start := time.Now()
		out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": email, "password": "wrong password!"})
		d := time.Since(start)
		if errCode(out) != "form_password_incorrect" {
			t.Fatalf("%s: %v", email, out)
		}
		return d
	}
	median := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for try := range 3 {
		var known, unknown []time.Duration
		for len(known) < 30 || len(unknown) < 30 {
			if rng.IntN(2) == 0 {
				known = append(known, sample("ada@example.com"))
			} else {
				unknown = append(unknown, sample("nobody@example.com"))
			}
		}
		mk, mu := median(known), median(unknown)
		diff := max(mk-mu, mu-mk)
		t.Logf("try %d: median known %v, unknown %v", try+1, mk, mu)
		if diff <= max(mk, mu)/5 || diff <= 3*time.Millisecond {
			return
		}
	}
	t.Error("known and unknown accounts differ in sign-in time by more than a fifth, three times running")
}

// TestUnicodeIdentifierCollision: an address that folds to a user's address
// (CVE-2019-19844) signs in to that user, and a reset mail goes only to the
// address stored, never to the one typed.
func TestUnicodeIdentifierCollision(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	e.SignUpOn(t, e.browser(), "mike@example.org", goodPassword)
	for _, typed := range []string{"MİKE@example.org", "mıke@example.org", "MIKE@EXAMPLE.ORG", "ｍｉｋｅ@example.org"} {
		b := e.browser()
		out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": typed})
		if out["id"] == nil {
			continue // rejected as invalid: fine
		}
		call(t, b, "/v1/client/sign_ins/"+out["id"].(string)+"/prepare_first_factor", map[string]any{"strategy": "reset_password_email_code"})
		e.Flush()
		for _, m := range e.Mail.Messages() {
			if m.To != "mike@example.org" {
				t.Fatalf("typing %q sent mail to %q, not to the stored address", typed, m.To)
			}
		}
	}
	// A look-alike cannot be registered as a second account.
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ups", map[string]any{"email_address": "ｍｉｋｅ@example.org", "password": goodPassword})
	call(t, b, "/v1/client/sign_ups/"+out["id"].(string)+"/prepare_verification", map[string]any{"strategy": "email_code"})
	if n, _ := e.Store.(storage.AdminStore).CountUsers(context.Background(), storage.UserFilter{}); n != 1 {
		t.Fatalf("%d users", n)
	}
}

func TestBreachedPasswordRejected(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	for _, pw := range []string{"password123", "qwertyuiop", "Acme2024!", "ada-example"} {
		out, _ := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"email_address": "ada-example@example.com", "password": pw})
		if !strings.HasPrefix(errCode(out), "form_password_") {
			t.Errorf("password %q accepted: %v", pw, out)
		}
	}
}

func TestSignUpRequirements(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), SignUp: latch.SignUpConfig{Names: latch.Required, LegalConsent: true, Username: latch.Optional}})
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com"})
	missing := fmt.Sprint(out["missing_fields"])
	for _, f := range []string{"password", "first_name", "last_name", "legal_accepted"} {
		if !strings.Contains(missing, f) {
			t.Errorf("missing_fields %s lacks %s", missing, f)
		}
	}
	if fmt.Sprint(out["unverified_fields"]) != "[email_address]" {
		t.Errorf("unverified_fields = %v", out["unverified_fields"])
	}
	id := out["id"].(string)
	call(t, b, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_code"})
	call(t, b, "/v1/client/sign_ups/"+id+"/attempt_verification", map[string]any{"strategy": "email_code", "code": e.LastCode(t, "ada@example.com")})
	out, code := call(t, b, "/v1/client/sign_ups/"+id, map[string]any{"first_name": "Ada", "last_name": "Lovelace", "password": goodPassword, "legal_accepted": true, "username": "ada"})
	mustStatus(t, out, code, "complete")
	if _, code := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"username": "ADA"}); code == 200 {
		t.Error("a taken username was accepted")
	}
}

func TestUnknownIdentifierCodeNeverSignsIn(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "nobody@example.com"})
	sid := out["id"].(string)
	call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
	if e.mailCount("nobody@example.com") != 0 {
		t.Fatal("a code was mailed to an unknown address")
	}
	for _, c := range []string{"000000", "123456", "999999"} {
		if out, _ := call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": c}); out["status"] == "complete" {
			t.Fatal("signed in to an unknown account")
		}
	}
}

func TestNativeAppGetsTokens(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	r := httptest.NewRequest("POST", "/v1/client/sign_ins", strings.NewReader(`{"identifier":"ada@example.com","password":"`+goodPassword+`"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(latch.NativeHeader, "1")
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, r)
	var out map[string]any
	_ = json.NewDecoder(rec.Body).Decode(&out)
	if out["status"] != "complete" || out["session_token"] == nil || out["refresh_token"] == nil || rec.Header().Get(latch.ClientHeader) == "" {
		t.Fatalf("native sign-in: %v %v", out, rec.Header())
	}
	r = httptest.NewRequest("GET", "/whoami", nil)
	r.Header.Set("Authorization", "Bearer "+out["session_token"].(string))
	rec = httptest.NewRecorder()
	e.handler.ServeHTTP(rec, r)
	if rec.Body.String() != uid {
		t.Fatalf("native token: %q", rec.Body.String())
	}
}

// TestFormsDriveTheSameFlows: the flow routes accept plain HTML forms, so
// pages work without JavaScript.
func TestFormsDriveTheSameFlows(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), SignUp: latch.SignUpConfig{LegalConsent: true}})
	b := e.browser()
	res := b.Post("/v1/client/sign_ups", url.Values{"email_address": {"ada@example.com"}, "password": {goodPassword}, "legal_accepted": {"on"}})
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != 200 || fmt.Sprint(out["missing_fields"]) != "[]" {
		t.Fatalf("form sign-up: %d %v", res.StatusCode, out)
	}
	id := out["id"].(string)
	b.Post("/v1/client/sign_ups/"+id+"/prepare_verification", url.Values{"strategy": {"email_code"}})
	res = b.Post("/v1/client/sign_ups/"+id+"/attempt_verification", url.Values{"strategy": {"email_code"}, "code": {e.LastCode(t, "ada@example.com")}})
	_ = json.NewDecoder(res.Body).Decode(&out)
	if out["status"] != "complete" {
		t.Fatalf("form verification: %v", out)
	}
}

func TestSignUpVerifiedByLink(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), SignUp: latch.SignUpConfig{EmailVerification: "link"}})
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com", "password": goodPassword, "redirect_url": "/welcome"})
	id := out["id"].(string)
	if out, _ := call(t, b, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_code"}); errCode(out) != "strategy_not_allowed" {
		t.Fatalf("a code when links are configured: %v", out)
	}
	call(t, b, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_link"})
	link, _ := url.Parse(e.LastLink(t, "ada@example.com"))
	res := b.Post("/v1/verify", url.Values{"token": {link.Query().Get("token")}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/welcome" {
		t.Fatalf("verify link: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := e.whoami(t, b); got == "signed-out" {
		t.Fatal("sign-up by link did not sign in")
	}
	if out, _ := get(t, b, "/v1/client/sign_ups/"+id); out["status"] != "complete" {
		t.Fatalf("sign-up after the link: %v", out["status"])
	}
}

// TestMessageOverrides: an app's template replaces Latch's, its HTML part is
// built around the text, and a template that does not parse fails New.
func TestMessageOverrides(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Messages: map[latch.MessageKind]latch.MessageTemplate{
		latch.MessageVerifyCode: {Subject: "Acme code {{.Code}}"},
	}})
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com", "password": goodPassword})
	call(t, b, "/v1/client/sign_ups/"+out["id"].(string)+"/prepare_verification", map[string]any{"strategy": "email_code"})
	e.Flush()
	m := e.Mail.Last()
	if m == nil || !strings.HasPrefix(m.Subject, "Acme code ") || !strings.Contains(m.HTML, mailtest.CodeIn(m.Text)) {
		t.Fatalf("overridden message: %+v", m)
	}
	if _, err := latch.New(latch.Config{Store: memstore.New(), Messages: map[latch.MessageKind]latch.MessageTemplate{
		latch.MessageSignInCode: {Text: "{{.Code"},
	}}); err == nil {
		t.Error("a broken message template was accepted")
	}
}
