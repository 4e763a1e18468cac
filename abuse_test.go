package latch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage"
)

// callFrom is call from the client address ip.
func callFrom(t testing.TB, b *latchtest.Browser, ip, path string, body any) (map[string]any, *http.Response) {
	t.Helper()
	raw, _ := json.Marshal(body)
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(raw))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = ip + ":4321"
	res := b.Do(r)
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return out, res
}

// wrongCode returns a code that is not c.
func wrongCode(c string) string {
	last := (c[len(c)-1]-'0'+1)%10 + '0'
	return c[:len(c)-1] + string(rune(last))
}

// kindCount counts the messages of kind sent to to.
func (e *flowEnv) kindCount(to string, kind latch.MessageKind) int {
	e.Flush()
	n := 0
	for _, m := range e.Mail.Messages() {
		if m.To == to && m.Kind == string(kind) {
			n++
		}
	}
	return n
}

func (e *flowEnv) locked(t testing.TB, userID string) bool {
	t.Helper()
	u, err := e.GetUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return u.Locked
}

// TestLockoutCannotBeTriggeredFasterThanTheDelay: a flood of wrong
// passwords, from many addresses at once, is mostly refused by the
// progressive delay and those refusals do not count toward the lockout;
// paced at the delay from one address, the lockout comes only after as
// many checked passwords as it allows. Locked, the account shows as such
// to an admin, and its owner still gets in from a browser they used
// before, by an emailed code, though the attacker has also spent the
// address's sends and the account's wrong-code budget.
func TestLockoutCannotBeTriggeredFasterThanTheDelay(t *testing.T) {
	const lockAfter = 10
	e := newProtected(t, latch.ProtectionConfig{Limits: latch.Limits{
		Lockout: ratelimit.Limit{Rate: lockAfter, Period: time.Hour, Burst: lockAfter},
		// The default delay: five at once, then one every 30 seconds.
	}})
	owner := e.browser()
	uid := e.SignUpOn(t, owner, "ada@example.com", goodPassword)

	// 100 wrong passwords in one instant, each from its own address.
	checked := 0
	for i := range 100 {
		out, _ := callFrom(t, e.browser(), "198.51.100."+strconv.Itoa(i), "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": "wrong password " + strconv.Itoa(i)})
		switch errCode(out) {
		case "form_password_incorrect":
			checked++
		case "rate_limited":
		default:
			t.Fatalf("attempt %d: %v", i, out)
		}
	}
	if checked != 5 {
		t.Fatalf("%d of 100 simultaneous passwords were checked, want the delay's burst of 5", checked)
	}
	if e.locked(t, uid) {
		t.Fatal("100 requests at once locked the account")
	}
	e.Clock.Advance(30 * time.Second)
	if out, _ := signInWith(t, e, "ada@example.com", goodPassword); out["status"] != "complete" {
		t.Fatalf("the owner's password after the flood and the delay: %v", out)
	}

	// One attempt every 30 s from one address: the lockout engages only
	// once lockAfter passwords have been checked, never sooner.
	start, checked := e.Clock.Now(), 0
	for {
		out, res := callFrom(t, e.browser(), "203.0.113.9", "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": "wrong password"})
		if errCode(out) == "identifier_locked" {
			if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
				t.Fatalf("locked: %d %q", res.StatusCode, res.Header.Get("Retry-After"))
			}
			break
		}
		if errCode(out) != "form_password_incorrect" {
			t.Fatalf("paced attempt %d: %v", checked, out)
		}
		checked++
		if checked > 100 {
			t.Fatal("never locked")
		}
		e.Clock.Advance(30 * time.Second)
	}
	if checked < lockAfter {
		t.Fatalf("locked after %d checked passwords in %v, want at least %d", checked, e.Clock.Now().Sub(start), lockAfter)
	}
	if !e.locked(t, uid) {
		t.Fatal("User.Locked is false while the account is locked")
	}

	// The attacker also asks for codes to the address until refused, and
	// spends the account's budget of wrong codes.
	for i := 0; ; i++ {
		b := e.browser()
		out, _ := callFrom(t, b, "203.0.113.9", "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
		id, _ := out["id"].(string)
		out, _ = callFrom(t, b, "203.0.113.9", "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
		if errCode(out) == "rate_limited" {
			break
		}
		if i > 20 {
			t.Fatal("sends to one address were never limited")
		}
		code := wrongCode(e.LastCode(t, "ada@example.com"))
		for range 5 {
			callFrom(t, b, "203.0.113.9", "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": code})
		}
	}

	// The owner, on the browser they signed up on, still gets a code and
	// signs in, which ends the lockout.
	out, _ := call(t, owner, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	id := out["id"].(string)
	out, code := call(t, owner, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
	mustStatus(t, out, code, "needs_first_factor")
	out, code = call(t, owner, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": e.LastCode(t, "ada@example.com")})
	mustStatus(t, out, code, "complete")
	if e.locked(t, uid) {
		t.Error("still Locked after signing in by an emailed code")
	}
	if out, _ := signInWith(t, e, "ada@example.com", goodPassword); out["status"] != "complete" {
		t.Errorf("password refused after the unlock: %v", out)
	}
}

// TestLockedUserShownAndUnlockedByAdmin: a locked account shows as Locked
// to an admin until UnlockUser, which clears it and lets the password in,
// on every store.
func TestLockedUserShownAndUnlockedByAdmin(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) { testLockedUserShownAndUnlocked(t, s) })
}

func testLockedUserShownAndUnlocked(t *testing.T, s storage.Store) {
	clock := latchtest.NewClock(latchtest.Start)
	e := newFlowEnv(t, latch.Config{Store: s, Clock: clock.Now, Protection: latch.ProtectionConfig{
		Limiter: ratelimit.NewMemory(ratelimit.MemoryConfig{Clock: clock.Now}),
		Bot:     latch.BotConfig{Disabled: true},
		Limits: latch.Limits{
			Lockout:             ratelimit.Limit{Rate: 3, Period: time.Hour, Burst: 3},
			SignInPerIdentifier: ratelimit.Limit{Rate: 100, Period: time.Second, Burst: 100},
		}}})
	e.Clock = clock
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	for range 3 {
		signInWith(t, e, "ada@example.com", "wrong password!")
	}
	if !e.locked(t, uid) {
		t.Fatal("not Locked after the lockout's failures")
	}
	if out, _ := signInWith(t, e, "ada@example.com", goodPassword); errCode(out) != "identifier_locked" {
		t.Fatalf("not locked: %v", out)
	}
	if err := e.UnlockUser(context.Background(), uid); err != nil {
		t.Fatal(err)
	}
	if e.locked(t, uid) {
		t.Fatal("Locked after UnlockUser")
	}
	if out, _ := signInWith(t, e, "ada@example.com", goodPassword); out["status"] != "complete" {
		t.Fatalf("still locked after UnlockUser: %v", out)
	}
}

// codeGuessEnv is an app whose send limits are out of the way, so that
// only the budget of wrong codes bounds guessing.
func codeGuessEnv(t *testing.T, plugins ...latch.Plugin) *flowEnv {
	loose := ratelimit.Limit{Rate: 10000, Period: time.Hour, Burst: 10000}
	clock := latchtest.NewClock(latchtest.Start)
	cheap := password.Config{Argon2: password.Argon2Params{MemoryKiB: 64, Iterations: 1}, InsecureWeakParameters: true}
	e := newFlowEnv(t, latch.Config{Clock: clock.Now, Plugins: plugins, Password: latch.PasswordConfig{Hasher: cheap}, Protection: latch.ProtectionConfig{
		Limiter: ratelimit.NewMemory(ratelimit.MemoryConfig{Clock: clock.Now}),
		Bot:     latch.BotConfig{Disabled: true},
		Limits: latch.Limits{PerIP: loose, SendsPerIdentifier: loose, SendsPerIP: loose,
			SignInPerIdentifier: loose, SignInPerIPIdentifier: loose},
	}})
	e.Clock = clock
	return e
}

// TestCodeGuessesAreBoundedAcrossFlows: new sign-ins, each with a new
// emailed code and five attempts of its own, do not buy new guesses: after
// ten wrong codes on the account, each guess waits, twice as long after
// each wrong one, the owner is told by mail once, and an identifier that
// names nobody answers exactly alike. A browser the owner has signed in
// on before is not held up.
func TestCodeGuessesAreBoundedAcrossFlows(t *testing.T) {
	e := codeGuessEnv(t)
	owner := e.browser()
	e.SignUpOn(t, owner, "ada@example.com", goodPassword)

	// guess starts a sign-in on a fresh browser, has a code sent and
	// tries a wrong one: the error code and Retry-After of the answer.
	guess := func(email string) (string, string) {
		b := e.browser()
		out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": email})
		id := out["id"].(string)
		out, code := call(t, b, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
		mustStatus(t, out, code, "needs_first_factor")
		wrong := "000000"
		if email == "ada@example.com" {
			wrong = wrongCode(e.LastCode(t, email))
		}
		res := b.PostJSON("/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": wrong})
		var ans map[string]any
		_ = json.NewDecoder(res.Body).Decode(&ans)
		return errCode(ans), res.Header.Get("Retry-After")
	}
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		var got []string
		for i := range 16 {
			code, retry := guess(email)
			switch code {
			case "form_code_incorrect":
				got = append(got, "wrong")
			case "rate_limited":
				got = append(got, "wait "+retry)
				d, _ := strconv.Atoi(retry)
				e.Clock.Advance(time.Duration(d) * time.Second)
			default:
				t.Fatalf("%s guess %d: %s", email, i, code)
			}
		}
		want := strings.TrimSpace(strings.Repeat("wrong ", 10)) + " wait 60 wrong wait 120 wrong wait 240 wrong"
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%s: answers\n%s\nwant\n%s", email, g, want)
		}
	}
	if n := e.kindCount("ada@example.com", latch.MessageCodeGuesses); n != 1 {
		t.Errorf("%d mails told the owner that codes are being guessed, want 1", n)
	}
	if !e.anyMail("ada@example.com", "codes sent to your email") {
		t.Error("the mail does not say which codes")
	}

	// While guesses wait, the owner's own browser signs in by code at once.
	out, _ := call(t, owner, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	id := out["id"].(string)
	call(t, owner, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
	out, code := call(t, owner, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": e.LastCode(t, "ada@example.com")})
	mustStatus(t, out, code, "complete")

	// A wrong code forgotten per 72 hours: after long enough, guesses are
	// free again, up to the budget.
	e.Clock.Advance(60 * 24 * time.Hour)
	if c, _ := guess("ada@example.com"); c != "form_code_incorrect" {
		t.Errorf("after 60 days: %s", c)
	}
}

// TestSecondFactorGuessesAreBoundedAcrossSignIns: someone who has the
// password signs in again and again to guess the second factor; the
// account's budget of wrong codes holds across the sign-ins, then each
// guess waits longer, and the owner is told by mail.
func TestSecondFactorGuessesAreBoundedAcrossSignIns(t *testing.T) {
	p := newCodePlugin()
	e := codeGuessEnv(t, p)
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	p.enroll(uid)

	attempt := func(code string) (string, string, map[string]any) {
		b := e.browser() // a fresh sign-in each time
		out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
		if out["status"] != "needs_second_factor" {
			t.Fatalf("sign-in: %v", out)
		}
		id := out["id"].(string)
		call(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "test_code"})
		res := b.PostJSON("/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": code})
		var ans map[string]any
		_ = json.NewDecoder(res.Body).Decode(&ans)
		return errCode(ans), res.Header.Get("Retry-After"), ans
	}
	var got []string
	for i := range 18 {
		code, retry, _ := attempt("000000")
		switch code {
		case "form_code_incorrect":
			got = append(got, "wrong")
		case "rate_limited":
			got = append(got, "wait "+retry)
			d, _ := strconv.Atoi(retry)
			e.Clock.Advance(time.Duration(d) * time.Second)
		default:
			t.Fatalf("guess %d: %s", i, code)
		}
	}
	want := strings.TrimSpace(strings.Repeat("wrong ", 10)) + " wait 60 wrong wait 120 wrong wait 240 wrong wait 480 wrong"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("answers\n%s\nwant\n%s", g, want)
	}
	if n := e.kindCount("ada@example.com", latch.MessageCodeGuesses); n != 1 {
		t.Errorf("%d mails told the owner that codes are being guessed, want 1", n)
	}
	// Even the right code waits its turn from a browser the owner never
	// used; after the wait it works.
	if c, retry, _ := attempt("246810"); c != "rate_limited" || retry != "960" {
		t.Fatalf("the right code during the wait: %s %s", c, retry)
	}
	e.Clock.Advance(960 * time.Second)
	if _, _, out := attempt("246810"); out["status"] != "complete" {
		t.Fatalf("the right code after the wait: %v", out)
	}
	// Over a year of guessing at the fastest pace allowed, the count stays
	// within the bound the README gives.
	n := 0
	for end := e.Clock.Now().Add(365 * 24 * time.Hour); e.Clock.Now().Before(end); {
		code, retry, _ := attempt("000000")
		switch code {
		case "form_code_incorrect":
			n++
		case "rate_limited":
			d, _ := strconv.Atoi(retry)
			e.Clock.Advance(time.Duration(d) * time.Second)
		default:
			t.Fatalf("year guess %d: %s", n, code)
		}
	}
	if n > 380 {
		t.Errorf("%d wrong second-factor codes in a year, want at most 380", n)
	}
	t.Logf("wrong second-factor codes checked in a year: %d", n)
}

// TestNewSignInNoticeOnlyForNewDevices: signing out and in again on the
// same browser sends no "new sign-in" mail; a browser the user never used
// does, once.
func TestNewSignInNoticeOnlyForNewDevices(t *testing.T) {
	e := newFlowEnv(t, latch.Config{})
	home := e.browser()
	e.SignUpOn(t, home, "ada@example.com", goodPassword)
	signInOut := func(b *latchtest.Browser) {
		t.Helper()
		out, code := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
		mustStatus(t, out, code, "complete")
		if _, code := call(t, b, "/v1/client/sessions/end", nil); code != http.StatusOK && code != http.StatusNoContent {
			t.Fatalf("sign-out: %d", code)
		}
	}
	for range 3 {
		signInOut(home)
	}
	if n := e.kindCount("ada@example.com", latch.MessageNewSignIn); n != 0 {
		t.Fatalf("%d new-sign-in mails for the browser the user signed up on", n)
	}
	other := e.browser()
	other.UserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"
	for range 3 {
		signInOut(other)
	}
	if n := e.kindCount("ada@example.com", latch.MessageNewSignIn); n != 1 {
		t.Fatalf("%d new-sign-in mails after three sign-ins on a new browser, want 1", n)
	}
	if !e.anyMail("ada@example.com", "Safari") {
		t.Error("the notice does not name the new browser")
	}
	// A second user on the same browser is new to it.
	e.SignUpOn(t, e.browser(), "bob@example.com", goodPassword)
	out, code := call(t, home, "/v1/client/sign_ins", map[string]any{"identifier": "bob@example.com", "password": goodPassword})
	mustStatus(t, out, code, "complete")
	if n := e.kindCount("bob@example.com", latch.MessageNewSignIn); n != 1 {
		t.Fatalf("%d new-sign-in mails to another user on a browser they never used, want 1", n)
	}
}

// TestAuditRecordsSayWhoFromWhere: failed sign-ins are in the audit log,
// for known and unknown identifiers alike, and every record says from which
// address and user agent, in which session and by whom, on every store.
func TestAuditRecordsSayWhoFromWhere(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		e := newFlowEnv(t, latch.Config{Store: s})
		b := e.browser()
		b.UserAgent = "AuditTest/1.0"
		uid := e.SignUpOn(t, b, "ada@example.com", goodPassword)
		callFrom(t, b, "203.0.113.5", "/v1/client/sessions/end", nil)
		for _, id := range []string{"ada@example.com", "nobody@example.com"} {
			if out, _ := callFrom(t, b, "203.0.113.5", "/v1/client/sign_ins", map[string]any{"identifier": id, "password": "wrong password"}); errCode(out) != "form_password_incorrect" {
				t.Fatalf("%s: %v", id, out)
			}
		}
		failed, _, err := s.(storage.AdminStore).ListAuditEvents(ctx, storage.AuditFilter{Type: "sign_in.failed"}, storage.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(failed) != 2 {
			t.Fatalf("%d failed sign-ins recorded, want 2", len(failed))
		}
		for i, want := range []string{uid, ""} {
			f := failed[i]
			var data map[string]string
			_ = json.Unmarshal(f.Data, &data)
			if f.UserID != want || f.Outcome != "failure" || f.IP != "203.0.113.5" || f.UserAgent != "AuditTest/1.0" || data["strategy"] != "password" {
				t.Errorf("failed sign-in %d: %+v %s", i, f, f.Data)
			}
		}

		out, _ := callFrom(t, b, "203.0.113.6", "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
		sid, _ := out["created_session_id"].(string)
		if sid == "" {
			t.Fatalf("sign-in: %v", out)
		}
		callFrom(t, b, "203.0.113.7", "/v1/me", map[string]any{"first_name": "Ada"})
		recs, _, err := s.(storage.AdminStore).ListAuditEvents(ctx, storage.AuditFilter{UserID: uid}, storage.Page{Limit: storage.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		var created, updated *storage.AuditEvent
		for _, r := range recs {
			switch {
			case r.Type == latch.EventSessionCreated && r.SessionID == sid:
				created = r
			case r.Type == latch.EventUserUpdated && r.IP == "203.0.113.7":
				updated = r
			}
		}
		if created == nil || created.IP != "203.0.113.6" || created.UserAgent != "AuditTest/1.0" {
			t.Errorf("session.created: %+v", created)
		}
		if updated == nil || updated.ActorID != uid || updated.SessionID != sid || updated.UserAgent != "AuditTest/1.0" {
			t.Errorf("user.updated by the signed-in user: %+v", updated)
		}
	})
}
