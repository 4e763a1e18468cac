package latch_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/botcheck"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/screen"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

func screenRules() screen.Rules {
	return screen.Rules{BlockSubaddresses: true, Block: []string{"@blocked.example"}}
}

// newProtected builds the env in two steps so the limiter can use the
// env's fake clock.
func newProtected(t testing.TB, p latch.ProtectionConfig) *flowEnv {
	t.Helper()
	clock := latchtest.NewClock(latchtest.Start)
	if p.Limiter == nil {
		p.Limiter = ratelimit.NewMemory(ratelimit.MemoryConfig{Clock: clock.Now})
	}
	if b := p.Bot; !b.OnSignIn && b.Verifier == nil && b.Difficulty == 0 {
		p.Bot.Disabled = true
	}
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Protection: p, Clock: clock.Now})
	e.Clock = clock
	return e
}

func signInWith(t testing.TB, e *flowEnv, identifier, pw string) (map[string]any, *http.Response) {
	t.Helper()
	b := e.browser()
	res := b.PostJSON("/v1/client/sign_ins", map[string]any{"identifier": identifier, "password": pw})
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return out, res
}

// TestLockoutCountsIdentifierVariants: failures spread over case, space and
// Unicode variants of one address count on one account (CVE-2025-6004),
// and once locked even the right password is refused.
func TestLockoutCountsIdentifierVariants(t *testing.T) {
	e := newProtected(t, latch.ProtectionConfig{Limits: latch.Limits{
		Lockout:             ratelimit.Limit{Rate: 8, Period: time.Hour, Burst: 8},
		SignInPerIdentifier: ratelimit.Limit{Rate: 100, Period: time.Second, Burst: 100},
	}})
	e.SignUpOn(t, e.browser(), "alice@example.com", goodPassword)
	variants := []string{"Alice@example.com", "alice@example.com ", "ALICE@EXAMPLE.COM", "ａｌｉｃｅ@example.com"}
	for i := range 8 {
		out, _ := signInWith(t, e, variants[i%len(variants)], "wrong password "+string(rune('a'+i)))
		if errCode(out) != "form_password_incorrect" {
			t.Fatalf("attempt %d: %v", i, out)
		}
	}
	out, res := signInWith(t, e, "alice@example.com", goodPassword)
	if errCode(out) != "identifier_locked" || res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after 8 failures over variants: %d %v", res.StatusCode, out)
	}
	// The same for an address nobody has: the lock reveals nothing.
	for i := range 8 {
		signInWith(t, e, "nobody@example.com", "wrong "+string(rune('a'+i)))
	}
	if out, _ := signInWith(t, e, "nobody@example.com", "x"); errCode(out) != "identifier_locked" {
		t.Fatalf("unknown identifier not locked alike: %v", out)
	}
	// Another account behind the same address is not blocked.
	e.SignUpOn(t, e.browser(), "bob@example.com", goodPassword)
	if out, _ := signInWith(t, e, "bob@example.com", goodPassword); out["status"] != "complete" {
		t.Fatalf("another user was blocked: %v", out)
	}
}

func TestUnlockByEmailCodeAndByAdmin(t *testing.T) {
	e := newProtected(t, latch.ProtectionConfig{Limits: latch.Limits{
		Lockout:             ratelimit.Limit{Rate: 3, Period: time.Hour, Burst: 3},
		SignInPerIdentifier: ratelimit.Limit{Rate: 100, Period: time.Second, Burst: 100},
	}})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	lock := func() {
		for range 3 {
			signInWith(t, e, "ada@example.com", "wrong password!")
		}
		if out, _ := signInWith(t, e, "ada@example.com", goodPassword); errCode(out) != "identifier_locked" {
			t.Fatalf("not locked: %v", out)
		}
	}
	lock()
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	sid := out["id"].(string)
	call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
	out, code := call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": e.LastCode(t, "ada@example.com")})
	mustStatus(t, out, code, "complete")
	if out, _ := signInWith(t, e, "ada@example.com", goodPassword); out["status"] != "complete" {
		t.Fatalf("still locked after signing in by code: %v", out)
	}
	lock()
	if err := e.UnlockUser(context.Background(), uid); err != nil {
		t.Fatal(err)
	}
	if out, _ := signInWith(t, e, "ada@example.com", goodPassword); out["status"] != "complete" {
		t.Fatalf("still locked after UnlockUser: %v", out)
	}
}

func TestProgressiveDelay(t *testing.T) {
	e := newProtected(t, latch.ProtectionConfig{Limits: latch.Limits{
		SignInPerIdentifier: ratelimit.Limit{Rate: 1, Period: 30 * time.Second, Burst: 3},
	}})
	e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	for range 3 {
		if out, _ := signInWith(t, e, "ada@example.com", "wrong password!"); errCode(out) != "form_password_incorrect" {
			t.Fatal(out)
		}
	}
	out, res := signInWith(t, e, "ada@example.com", goodPassword)
	if errCode(out) != "rate_limited" || res.Header.Get("Retry-After") != "30" {
		t.Fatalf("4th attempt at once: %v Retry-After %q", out, res.Header.Get("Retry-After"))
	}
	e.Clock.Advance(30 * time.Second)
	if out, _ := signInWith(t, e, "ada@example.com", goodPassword); out["status"] != "complete" {
		t.Fatalf("after the delay: %v", out)
	}
}

func TestPerIPLimitAnswers429(t *testing.T) {
	e := newProtected(t, latch.ProtectionConfig{Limits: latch.Limits{PerIP: ratelimit.Limit{Rate: 5, Period: time.Minute, Burst: 5}}})
	b := e.browser()
	var last *http.Response
	for range 6 {
		last = b.PostJSON("/v1/client/sign_ins", map[string]any{"identifier": "x@example.com"})
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("6th request in a minute from one address: %d", last.StatusCode)
	}
}

// failingLimiter is a limiter whose backend is down.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, ratelimit.Limit) (ratelimit.Result, error) {
	return ratelimit.Result{}, errors.New("dial tcp 127.0.0.1:6379: connection refused")
}
func (failingLimiter) Reset(context.Context, string) error { return errors.New("down") }

func TestLimiterDownFailsClosed(t *testing.T) {
	e := newProtected(t, latch.ProtectionConfig{Limiter: failingLimiter{}})
	uid, err := e.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = uid
	out, res := signInWith(t, e, "ada@example.com", goodPassword)
	if res.StatusCode != http.StatusServiceUnavailable || out["status"] == "complete" {
		t.Fatalf("limiter down: %d %v", res.StatusCode, out)
	}
}

func TestSignUpScreening(t *testing.T) {
	e := newProtected(t, latch.ProtectionConfig{Rules: screenRules()})
	for _, c := range []struct{ email, code string }{
		{"ada@mailinator.com", "form_email_disposable"},
		{"ada+promo@example.com", "form_email_subaddress"},
		{"ada@blocked.example", "form_identifier_blocked"},
	} {
		out, _ := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"email_address": c.email, "password": goodPassword})
		if errCode(out) != c.code {
			t.Errorf("%s: got %v, want %s", c.email, errCode(out), c.code)
		}
	}
	if out, code := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com", "password": goodPassword}); code != 200 {
		t.Errorf("an ordinary address was refused: %v", out)
	}
}

func TestProofOfWorkAcceptedOnceRefusedWhenReplayedOrWrong(t *testing.T) {
	e := newProtected(t, latch.ProtectionConfig{Bot: latch.BotConfig{Difficulty: 10}})
	b := e.browser()
	chal, _ := get(t, b, "/v1/bot_challenge")
	c, _ := chal["challenge"].(string)
	if c == "" {
		t.Fatalf("no challenge: %v", chal)
	}
	sol, err := botcheck.Solve(c)
	if err != nil {
		t.Fatal(err)
	}
	token := c + botcheck.TokenSeparator + sol
	signUp := func(tok, email string) string {
		out, _ := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"email_address": email, "password": goodPassword, "bot_token": tok})
		if out["id"] != nil {
			return "ok"
		}
		return errCode(out)
	}
	if got := signUp("", "a@example.com"); got != "bot_check_failed" {
		t.Errorf("no token: %s", got)
	}
	if got := signUp(c+botcheck.TokenSeparator+"0", "b@example.com"); got != "bot_check_failed" {
		t.Errorf("wrong solution: %s", got)
	}
	if got := signUp(token, "c@example.com"); got != "ok" {
		t.Fatalf("solved: %s", got)
	}
	if got := signUp(token, "d@example.com"); got != "bot_check_failed" {
		t.Errorf("replayed: %s", got)
	}
	// A form with the honeypot filled in is a bot, even with a good token.
	chal, _ = get(t, b, "/v1/bot_challenge")
	c = chal["challenge"].(string)
	sol, _ = botcheck.Solve(c)
	res := e.browser().Post("/v1/client/sign_ups", url.Values{"email_address": {"e@example.com"}, "password": {goodPassword},
		"bot_token": {c + botcheck.TokenSeparator + sol}, botcheck.HoneypotField: {"http://spam.example"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("honeypot: %d", res.StatusCode)
	}
}

func TestBannedUserCannotSignIn(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	if err := e.BanUser(context.Background(), uid); err != nil {
		t.Fatal(err)
	}
	if out, _ := signInWith(t, e, "ada@example.com", goodPassword); errCode(out) != "user_banned" {
		t.Fatalf("banned user signed in: %v", out)
	}
}

// BenchmarkWrongPasswordFlood sends wrong passwords for many accounts from
// many addresses at once against one instance with the default limits:
// the limiter holds the per-account rate, and its memory stays bounded.
func BenchmarkWrongPasswordFlood(b *testing.B) {
	e := newProtected(b, latch.ProtectionConfig{})
	var mu sync.Mutex
	limited, tried := 0, 0
	b.ReportAllocs()
	b.SetParallelism(8)
	n := 0
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			i := n
			mu.Unlock()
			r := httptest.NewRequest("POST", "/v1/client/sign_ins", strings.NewReader(`{"identifier":"user`+strconv.Itoa(i%50)+`@example.com","password":"wrong password"}`))
			r.Header.Set("Content-Type", "application/json")
			r.RemoteAddr = "198.51." + strconv.Itoa(i%200) + "." + strconv.Itoa(i%250) + ":1234"
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, r)
			mu.Lock()
			tried++
			if w.Code == http.StatusTooManyRequests {
				limited++
			}
			mu.Unlock()
		}
	})
	b.ReportMetric(float64(tried-limited)/float64(tried)*100, "%hashed")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MiB-heap-after")
}

func TestInvitationOnlySignUp(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), SignUp: latch.SignUpConfig{Mode: latch.SignUpRestricted}})
	if out, _ := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"email_address": "ada@example.com", "password": goodPassword}); errCode(out) != "sign_up_restricted" {
		t.Fatalf("sign-up without an invitation: %v", out)
	}
	if _, err := e.CreateInvitation(context.Background(), "ada@example.com", 0); err != nil {
		t.Fatal(err)
	}
	link, _ := url.Parse(e.LastLink(t, "ada@example.com"))
	ticket := link.Query().Get("ticket")
	b := e.browser()
	out, _ := call(t, b, "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": goodPassword})
	if out["status"] != "complete" {
		t.Fatalf("sign-up with the invitation (its link proves the address): %v", out)
	}
	if out, _ := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": goodPassword}); errCode(out) != "invitation_invalid" {
		t.Fatalf("an invitation worked twice: %v", out)
	}
	// The invitation is for its own address only.
	e.CreateInvitation(context.Background(), "bob@example.com", 0)
	link, _ = url.Parse(e.LastLink(t, "bob@example.com"))
	if out, _ := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"ticket": link.Query().Get("ticket"), "email_address": "mallory@example.com"}); out["email_address"] != "bob@example.com" {
		t.Fatalf("invitation used for another address: %v", out)
	}
}

func TestWaitlistApproval(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), SignUp: latch.SignUpConfig{Mode: latch.SignUpWaitlist}})
	if _, code := call(t, e.browser(), "/v1/waitlist", map[string]any{"email_address": "ada@example.com"}); code != 200 {
		t.Fatal("join waitlist")
	}
	entries, _, err := e.ListWaitlist(context.Background(), storage.Page{})
	if err != nil || len(entries) != 1 || entries[0].EmailAddress != "ada@example.com" {
		t.Fatalf("waitlist: %v %v", entries, err)
	}
	if e.mailCount("ada@example.com") != 0 {
		t.Fatal("an invitation went out before approval")
	}
	if _, err := e.ApproveWaitlistEntry(context.Background(), entries[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ApproveWaitlistEntry(context.Background(), entries[0].ID); err == nil {
		t.Error("approved twice")
	}
	link, _ := url.Parse(e.LastLink(t, "ada@example.com"))
	if out, _ := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"ticket": link.Query().Get("ticket"), "password": goodPassword}); out["status"] != "complete" {
		t.Fatalf("sign-up after approval: %v", out)
	}
	if entries, _, _ := e.ListWaitlist(context.Background(), storage.Page{}); len(entries) != 0 {
		t.Errorf("approved entry still waiting: %v", entries)
	}
}

// TestHostedSignInWithBotCheckOnSignIn: with Bot.OnSignIn the hosted
// sign-in page carries a proof of work, so people can sign in there; a
// form posted without solving it (a bot) is refused.
func TestHostedSignInWithBotCheckOnSignIn(t *testing.T) {
	e := newProtected(t, latch.ProtectionConfig{Bot: latch.BotConfig{OnSignIn: true, Difficulty: 10}})
	if _, err := e.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	m := regexp.MustCompile(`data-latch-pow="([^"]+)"`).FindStringSubmatch(page(t, b.Get("/sign-in")))
	if m == nil {
		t.Fatal("the hosted sign-in page has no proof of work, so every sign-in there is refused")
	}
	refused := b.Post("/sign-in", url.Values{"intent": {"identifier"}, "identifier": {"ada@example.com"}})
	if html := page(t, refused); refused.StatusCode == http.StatusSeeOther || !strings.Contains(html, "not a bot") {
		t.Fatalf("unsolved sign-in form: %d", refused.StatusCode)
	}
	tok, err := botcheck.SolveToken(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	res := b.Post("/sign-in", url.Values{"intent": {"identifier"}, "identifier": {"ada@example.com"}, "bot_token": {tok}})
	if next, _ := url.Parse(res.Header.Get("Location")); res.StatusCode != http.StatusSeeOther || next.Query().Get("sign_in_id") == "" {
		t.Fatalf("solved sign-in form: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}
