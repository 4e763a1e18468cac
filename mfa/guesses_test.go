package mfa_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/mfa/mfatest"
	"github.com/latchauth/latch/ratelimit"
)

// TestTOTPGuessesAreBoundedAcrossSignIns: with the password known, new
// sign-ins do not buy new guesses at the authenticator app: after the
// kernel's budget of ten wrong codes, the next one waits, and the owner is
// told; backup codes, another channel, have a budget of their own.
func TestTOTPGuessesAreBoundedAcrossSignIns(t *testing.T) {
	clock := latchtest.NewClock(latchtest.Start)
	loose := ratelimit.Limit{Rate: 10000, Period: time.Hour, Burst: 10000}
	e := newEnv(t, nil, mfa.Config{}, func(c *latch.Config) {
		c.Clock = clock.Now
		c.Protection = latch.ProtectionConfig{Limiter: ratelimit.NewMemory(ratelimit.MemoryConfig{Clock: clock.Now}),
			Bot: latch.BotConfig{Disabled: true}, Limits: latch.Limits{PerIP: loose, SignInPerIdentifier: loose, SignInPerIPIdentifier: loose}}
	})
	e.Clock = clock
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	latchtest.SignIn(t, e.Auth, b, uid)
	secret, backup := mfatest.EnrolTOTP(t, b, e.Clock)

	// wrong is a code none of the steps the server accepts now has.
	wrong := func() string {
		now := e.Clock.Now()
		for i := 0; ; i++ {
			c := strconv.Itoa(100000 + i)
			if c != mfatest.Code(t, secret, now.Add(-30*time.Second)) && c != mfatest.Code(t, secret, now) && c != mfatest.Code(t, secret, now.Add(30*time.Second)) {
				return c
			}
		}
	}
	try := func(strategy, code string) (map[string]any, *http.Response) {
		br, out := e.signInPassword(t, "ada@example.com")
		if out["status"] != latch.SignInNeedsSecondFactor {
			t.Fatalf("password: %v", out)
		}
		res := br.PostJSON("/v1/client/sign_ins/"+out["id"].(string)+"/attempt_second_factor", map[string]any{"strategy": strategy, "code": code})
		var ans map[string]any
		_ = json.NewDecoder(res.Body).Decode(&ans)
		return ans, res
	}
	for i := range 10 {
		if out, _ := try("totp", wrong()); errCode(out) != "form_code_incorrect" {
			t.Fatalf("wrong code %d: %v", i, out)
		}
		e.Clock.Advance(time.Second)
	}
	out, res := try("totp", mfatest.Code(t, secret, e.Clock.Now()))
	if errCode(out) != "rate_limited" || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the 11th guess, though right, from a browser never used: %v", out)
	}
	if !e.mailed("ada@example.com", "Someone is trying codes on your Acme account") {
		t.Error("the owner was not told")
	}
	// Backup codes are counted apart, and the right one still works.
	if out, _ := try("backup_code", backup[0]); out["status"] != latch.SignInComplete {
		t.Fatalf("a backup code while app codes wait: %v", out)
	}
	e.Clock.Advance(time.Minute)
	mfatest.NextStep(e.Clock)
	if out, _ := try("totp", mfatest.Code(t, secret, e.Clock.Now())); out["status"] != latch.SignInComplete {
		t.Fatalf("the right app code after the wait: %v", out)
	}
}
