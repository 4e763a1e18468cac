package latch_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// codePlugin is the smallest second-factor plugin: a strategy "test_code"
// whose code is "246810", each use single, enrolled per user. It tests
// the kernel's side of the plugin contract; the real factors are tested
// in mfa and passkeys.
type codePlugin struct {
	name     string // default "test_code"
	notAfter string // an amr value after which it is not offered
	recovery bool   // stands in for the others, like backup codes
	mu       sync.Mutex
	enrolled map[string]bool
	used     map[string]bool // flow IDs whose code was used
	required bool
}

func newCodePlugin() *codePlugin {
	return &codePlugin{enrolled: map[string]bool{}, used: map[string]bool{}}
}

func (p *codePlugin) Name() string { return "test" }

func (p *codePlugin) Register(h *latch.Host) error {
	h.RequireSecondFactor(func(context.Context, *storage.User) (bool, error) { return p.required, nil })
	return h.AddStrategy(p)
}

func (p *codePlugin) Info() latch.StrategyInfo {
	name := p.name
	if name == "" {
		name = "test_code"
	}
	return latch.StrategyInfo{Name: name, Kind: latch.SecondFactor, Input: latch.InputCode, Label: "strategy.test_code", Recovery: p.recovery}
}

// Offered implements latch.Offerer.
func (p *codePlugin) Offered(amr []string) bool {
	return p.notAfter == "" || !slices.Contains(amr, p.notAfter)
}

func (p *codePlugin) Enrolled(_ context.Context, userID string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.enrolled[userID], nil
}

func (p *codePlugin) Prepare(_ context.Context, at *latch.Attempt) (json.RawMessage, error) {
	at.State = json.RawMessage(`{"prepared":true}`)
	return nil, nil
}

func (p *codePlugin) Verify(_ context.Context, at *latch.Attempt, ap latch.AttemptParams) (*latch.Proof, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var st struct{ Prepared bool } // compared as JSON: PostgreSQL respaces it
	if ap.Code != "246810" || p.used[at.FlowID] || json.Unmarshal(at.State, &st) != nil || !st.Prepared {
		return nil, latch.ErrCodeIncorrect
	}
	p.used[at.FlowID] = true
	return &latch.Proof{AMR: []string{"otp"}}, nil
}

func (p *codePlugin) BeginEnrollment(_ context.Context, at *latch.Attempt) (json.RawMessage, error) {
	return json.RawMessage(`{"secret":"TESTSECRET","uri":"otpauth://totp/x","qr_code":""}`), nil
}

func (p *codePlugin) FinishEnrollment(ctx context.Context, at *latch.Attempt, ap latch.AttemptParams) (*latch.Proof, error) {
	if ap.Code != "246810" {
		return nil, latch.ErrCodeIncorrect
	}
	p.mu.Lock()
	p.enrolled[at.UserID] = true
	p.mu.Unlock()
	return &latch.Proof{AMR: []string{"otp"}}, nil
}

func (p *codePlugin) enroll(userID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.enrolled[userID] = true
}

// TestSecondFactorBypassThroughFirstFactors is the AAL-downgrade matrix of
// the kernel: once a second factor is enrolled, no first factor — password,
// emailed code, magic link, reset — yields a session by itself.
func TestSecondFactorBypassThroughFirstFactors(t *testing.T) {
	p := newCodePlugin()
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Plugins: []latch.Plugin{p}})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	p.enroll(uid)

	noSession := func(name string, out map[string]any, b interface{ Cookie(string) string }) {
		t.Helper()
		if out["status"] != "needs_second_factor" || out["created_session_id"] != nil {
			t.Errorf("%s: status %v, session %v", name, out["status"], out["created_session_id"])
		}
		if b.Cookie("__Host-latch_session") != "" {
			t.Errorf("%s: a session cookie was set", name)
		}
		if f, _ := out["supported_second_factors"].([]any); len(f) != 1 {
			t.Errorf("%s: second factors %v", name, out["supported_second_factors"])
		}
	}
	// Password.
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
	noSession("password", out, b)
	// Emailed code.
	b = e.browser()
	out, _ = call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	id := out["id"].(string)
	call(t, b, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
	out, _ = call(t, b, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": e.LastCode(t, "ada@example.com")})
	noSession("email_code", out, b)
	// Reset by code, then a new password.
	b = e.browser()
	out, _ = call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	id = out["id"].(string)
	call(t, b, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "reset_password_email_code"})
	call(t, b, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "reset_password_email_code", "code": e.LastCode(t, "ada@example.com")})
	out, _ = call(t, b, "/v1/client/sign_ins/"+id+"/reset_password", map[string]any{"password": "a brand new passphrase"})
	noSession("reset_password", out, b)

	// Attempting the second factor before preparing it, with the wrong
	// code, or with a strategy the user lacks fails; the right one wins.
	b = e.browser()
	out, _ = call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": "a brand new passphrase"})
	id = out["id"].(string)
	if out, _ := call(t, b, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": "246810"}); errCode(out) != "form_code_incorrect" {
		t.Errorf("unprepared: %v", out)
	}
	if out, _ := call(t, b, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "password", "password": goodPassword}); errCode(out) != "strategy_not_allowed" {
		t.Errorf("password as a second factor: %v", out)
	}
	call(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "test_code"})
	out, _ = call(t, b, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": "246810"})
	if out["status"] != "complete" || b.Cookie("__Host-latch_session") == "" {
		t.Fatalf("second factor: %v", out)
	}
	s := e.sessionOf(t, b)
	if !slices.Contains(s.Claims.AMR, "mfa") || s.Claims.FactorVerificationAge[1] != 0 {
		t.Errorf("amr %v fva %v", s.Claims.AMR, s.Claims.FactorVerificationAge)
	}
}

// sessionOf returns the session the browser's cookie carries.
func (e *flowEnv) sessionOf(t *testing.T, b interface{ Cookie(string) string }) *latch.Session {
	t.Helper()
	var got *latch.Session
	h := e.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = latch.SessionFromContext(r.Context()) }))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "__Host-latch_session", Value: b.Cookie("__Host-latch_session")})
	h.ServeHTTP(httptest.NewRecorder(), req)
	if got == nil {
		t.Fatal("signed out")
	}
	return got
}

func TestSecondFactorEnrolmentRequiredAtSignIn(t *testing.T) {
	p := newCodePlugin()
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Plugins: []latch.Plugin{p}})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	p.required = true
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
	if out["status"] != "needs_second_factor" || out["second_factor_enrollment"] != true {
		t.Fatalf("want enrolment: %v", out)
	}
	id := out["id"].(string)
	out, _ = call(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "test_code"})
	if v, _ := out["second_factor_verification"].(map[string]any); v == nil || v["options"] == nil {
		t.Fatalf("no enrolment options: %v", out)
	}
	out, _ = call(t, b, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": "246810"})
	if out["status"] != "complete" {
		t.Fatalf("enrolment did not complete the sign-in: %v", out)
	}
	if ok, _ := p.Enrolled(context.Background(), uid); !ok {
		t.Error("not enrolled")
	}
}

func TestSensitiveChangeNeedsReverification(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	b := e.browser()
	e.SignUpOn(t, b, "ada@example.com", goodPassword)
	// Fresh from sign-up: allowed.
	if _, code := call(t, b, "/v1/me/email_addresses", map[string]any{"email_address": "ada@home.example"}); code != 200 {
		t.Fatalf("fresh session refused: %d", code)
	}
	e.Clock.Advance(11 * time.Minute)
	out, code := call(t, b, "/v1/me/email_addresses", map[string]any{"email_address": "ada@work.example"})
	if code != http.StatusForbidden || errCode(out) != "session_reverification_required" {
		t.Fatalf("stale session allowed: %d %v", code, out)
	}
	out, _ = call(t, b, "/v1/me/reverification", nil)
	id := out["id"].(string)
	var factors []string
	for _, f := range out["supported_factors"].([]any) {
		factors = append(factors, f.(map[string]any)["strategy"].(string))
	}
	if out["level"] != "first_factor" || !slices.Contains(factors, "password") || !slices.Contains(factors, "email_code") {
		t.Fatalf("reverification: %v", out)
	}
	if out, _ := call(t, b, "/v1/me/reverification/"+id+"/attempt", map[string]any{"strategy": "password", "password": "wrong"}); errCode(out) != "form_password_incorrect" {
		t.Fatalf("wrong password: %v", out)
	}
	if out, _ := call(t, b, "/v1/me/reverification/"+id+"/attempt", map[string]any{"strategy": "password", "password": goodPassword}); out["status"] != "complete" {
		t.Fatalf("reverify: %v", out)
	}
	if _, code := call(t, b, "/v1/me/email_addresses", map[string]any{"email_address": "ada@work.example"}); code != 200 {
		t.Fatalf("after reverification: %d", code)
	}
	// Another browser cannot use this reverification.
	other := e.browser()
	e.SignUpOn(t, other, "mallory@example.com", goodPassword)
	if res := other.Get("/v1/me/reverification/" + id); res.StatusCode != http.StatusNotFound {
		t.Errorf("another browser read the reverification: %d", res.StatusCode)
	}
}

// TestReverificationDowngradeToPassword: a user with a second factor must
// reverify with one; the password is not offered and not accepted.
func TestReverificationDowngradeToPassword(t *testing.T) {
	p := newCodePlugin()
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Plugins: []latch.Plugin{p}})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	p.enroll(uid)
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
	id := out["id"].(string)
	call(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "test_code"})
	call(t, b, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": "246810"})

	e.Clock.Advance(11 * time.Minute)
	out, _ = call(t, b, "/v1/me/reverification", nil)
	rid := out["id"].(string)
	if out["level"] != "second_factor" || strings.Contains(mustJSON(out["supported_factors"]), "password") {
		t.Fatalf("offered: %v", out)
	}
	if out, _ := call(t, b, "/v1/me/reverification/"+rid+"/attempt", map[string]any{"strategy": "password", "password": goodPassword}); errCode(out) != "strategy_not_allowed" {
		t.Fatalf("password accepted as reverification of a two-factor session: %v", out)
	}
	// The current password does not stand in for it either.
	if out, _ := call(t, b, "/v1/me/password", map[string]any{"current_password": goodPassword, "new_password": "another fine passphrase"}); errCode(out) != "session_reverification_required" {
		t.Fatalf("password change without the second factor: %v", out)
	}
	call(t, b, "/v1/me/reverification/"+rid+"/prepare", map[string]any{"strategy": "test_code"})
	if out, _ := call(t, b, "/v1/me/reverification/"+rid+"/attempt", map[string]any{"strategy": "test_code", "code": "246810"}); out["status"] != "complete" {
		t.Fatalf("reverify: %v", out)
	}
	if _, code := call(t, b, "/v1/me/password", map[string]any{"new_password": "another fine passphrase"}); code != 200 {
		t.Fatalf("password change after reverification: %d", code)
	}
}

func TestProtectReverifiedSendsPagesToReverify(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	b := e.browser()
	e.SignUpOn(t, b, "ada@example.com", goodPassword)
	mux := http.NewServeMux()
	mux.Handle("/", e.Handler())
	mux.Handle("GET /billing", e.ProtectReverified(10*time.Minute)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })))
	app := e.Middleware(mux)
	get := func() *http.Response {
		req := httptest.NewRequest("GET", "/billing", nil)
		req.Header.Set("Accept", "text/html")
		for _, c := range b.Cookies() {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		return rec.Result()
	}
	if res := get(); res.StatusCode != 200 {
		t.Fatalf("fresh: %d", res.StatusCode)
	}
	e.Clock.Advance(11 * time.Minute)
	res := get()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/reverify?redirect_url=%2Fbilling" {
		t.Fatalf("stale: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSignUpUnderRequiredPolicyGivesNoOneFactorSession: when every user
// must have a second factor, sign-up creates the account but no session;
// the new user sets a factor up in the sign-in it hands over.
func TestSignUpUnderRequiredPolicyGivesNoOneFactorSession(t *testing.T) {
	p := newCodePlugin()
	p.required = true
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Plugins: []latch.Plugin{p}})
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com", "password": goodPassword})
	id := out["id"].(string)
	call(t, b, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_code"})
	out, _ = call(t, b, "/v1/client/sign_ups/"+id+"/attempt_verification", map[string]any{"strategy": "email_code", "code": e.LastCode(t, "ada@example.com")})
	if out["status"] != "complete" || out["created_session_id"] != nil || out["sign_in_id"] == nil {
		t.Fatalf("sign-up: %v", out)
	}
	if b.Cookie("__Host-latch_session") != "" {
		t.Fatal("a one-factor session cookie was set")
	}
	sid := out["sign_in_id"].(string)
	out, _ = call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_second_factor", map[string]any{"strategy": "test_code"})
	if out["second_factor_enrollment"] != true {
		t.Fatalf("not an enrolment: %v", out)
	}
	out, _ = call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": "246810"})
	if out["status"] != "complete" || b.Cookie("__Host-latch_session") == "" {
		t.Fatalf("enrolment: %v", out)
	}
	if s := e.sessionOf(t, b); !slices.Contains(s.Claims.AMR, "mfa") {
		t.Errorf("amr %v", s.Claims.AMR)
	}
	// Another browser cannot pick the hand-over up.
	if out, _ := call(t, e.browser(), "/v1/client/sign_ins/"+sid+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": "246810"}); errCode(out) != "resource_not_found" {
		t.Errorf("another browser: %v", out)
	}
}

// TestEnrolmentSeedNotStoredInClear: set-up options (an authenticator's
// seed) are sealed in the stored flow and shown only through the view.
func TestEnrolmentSeedNotStoredInClear(t *testing.T) {
	p := newCodePlugin()
	store := memstore.New()
	e := newFlowEnv(t, latch.Config{Store: store, Plugins: []latch.Plugin{p}})
	e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	p.required = true
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
	id := out["id"].(string)
	out, _ = call(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "test_code"})
	if !strings.Contains(mustJSON(out), "TESTSECRET") {
		t.Fatalf("the view lacks the set-up: %v", out)
	}
	rec, err := store.GetFlow(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rec.Data), "TESTSECRET") {
		t.Errorf("the seed is stored in the clear: %s", rec.Data)
	}
}

// TestMagicLinkWithSecondFactorLandsOnSignIn: a magic link opened in the
// browser that asked for it, for a user with a second factor, goes to the
// sign-in page asking for that factor — not to the app, signed out.
func TestMagicLinkWithSecondFactorLandsOnSignIn(t *testing.T) {
	p := newCodePlugin()
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Plugins: []latch.Plugin{p}})
	p.enroll(e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword))
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "redirect_url": "/dashboard"})
	sid := out["id"].(string)
	call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_link"})
	link, _ := url.Parse(e.LastLink(t, "ada@example.com"))
	res := b.Post("/v1/verify", url.Values{"token": {link.Query().Get("token")}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/sign-in?") || !strings.Contains(loc, sid) {
		t.Fatalf("after the link: %d %q", res.StatusCode, loc)
	}
	out, _ = get(t, b, "/v1/client/sign_ins/"+sid)
	if out["status"] != "needs_second_factor" || out["second_factor_verification"] == nil {
		t.Fatalf("the second factor is not asked for: %v", out)
	}
}

// TestSecondFactorNotOfferedCannotBeUsed: a strategy that declines to
// follow the first factor (latch.Offerer) is neither listed nor accepted.
func TestSecondFactorNotOfferedCannotBeUsed(t *testing.T) {
	app, mail := newCodePlugin(), newCodePlugin()
	mail.name, mail.notAfter = "test_mail", "pwd"
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Plugins: []latch.Plugin{app, mail}})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	app.enroll(uid)
	mail.enroll(uid)
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
	if got := mustJSON(out["supported_second_factors"]); got != `[{"strategy":"test_code"}]` {
		t.Fatalf("offered %s", got)
	}
	id := out["id"].(string)
	if out, _ := call(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "test_mail"}); errCode(out) != "strategy_not_allowed" {
		t.Errorf("prepare: %v", out)
	}
	if out, _ := call(t, b, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "test_mail", "code": "246810"}); errCode(out) != "strategy_not_allowed" {
		t.Errorf("attempt: %v", out)
	}
}

// TestReverifyPageOffersTheSecondFactor: the hosted reverification page
// of a user with a second factor offers it, and not the password.
func TestReverifyPageOffersTheSecondFactor(t *testing.T) {
	p := newCodePlugin()
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Plugins: []latch.Plugin{p}})
	b := e.browser()
	p.enroll(e.SignUpOn(t, b, "ada@example.com", goodPassword))
	res := b.Get("/reverify?redirect_url=/user")
	html := page(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(html, `value="test_code"`) || strings.Contains(html, `value="password"`) {
		t.Fatalf("reverify page: %d\n%s", res.StatusCode, html)
	}
}

// TestSecondFactorBruteForceSlowed: guesses at a user's second factor are
// limited per user, across sign-ins (a new sign-in does not buy new
// guesses), and the right code still works once the limit lets it through.
func TestSecondFactorBruteForceSlowed(t *testing.T) {
	clock := latchtest.NewClock(latchtest.Start)
	p := newCodePlugin()
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Clock: clock.Now, Plugins: []latch.Plugin{p},
		Protection: latch.ProtectionConfig{Limiter: ratelimit.NewMemory(ratelimit.MemoryConfig{Clock: clock.Now}), Bot: latch.BotConfig{Disabled: true}}})
	e.Clock = clock
	p.enroll(e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword))
	limited := false
	for i := 0; i < 20 && !limited; i++ {
		b := e.browser() // a fresh sign-in each time
		out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
		id := out["id"].(string)
		call(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "test_code"})
		out, code := call(t, b, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": "000000"})
		switch errCode(out) {
		case "rate_limited":
			limited = code == http.StatusTooManyRequests
			if i > 6 {
				t.Errorf("limited only after %d guesses", i)
			}
		case "form_code_incorrect":
		default:
			t.Fatalf("guess %d: %d %v", i, code, out)
		}
		clock.Advance(time.Second)
	}
	if !limited {
		t.Fatal("20 wrong second-factor codes in 20 seconds were never limited")
	}
	clock.Advance(time.Minute)
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
	id := out["id"].(string)
	call(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "test_code"})
	if out, _ := call(t, b, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": "246810"}); out["status"] != "complete" {
		t.Fatalf("the right code after the wait: %v", out)
	}
}
