package passkeys_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/passkeys"
	"github.com/latchauth/latch/passkeys/passkeystest"
	"github.com/latchauth/latch/storage"
)

func TestPasskeySignInWithoutIdentifier(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		uid, b := e.newUser(t, "ada@example.com")
		c := e.register(t, b, passkeys.KindPasskey, "Laptop")
		if n := e.mailsTo("ada@example.com", "was added"); n != 1 {
			t.Errorf("%d factor-added notices, want 1", n)
		}
		r := do(t, b, http.MethodGet, "/v1/me/passkeys", nil)
		var list struct{ Passkeys []passkeys.View }
		if err := json.Unmarshal(r.Raw, &list); err != nil || len(list.Passkeys) != 1 || list.Passkeys[0].Name != "Laptop" ||
			list.Passkeys[0].Kind != "passkey" || list.Passkeys[0].LastUsedAt != nil {
			t.Fatalf("list: %s", r.Raw)
		}

		// Signed out: nothing names the user but the passkey.
		res, nb := e.passkeySignIn(t, e.key, c)
		mustOK(t, res, "passkey sign-in")
		if res.str("status") != "complete" || res.str("created_session_id") == "" {
			t.Fatalf("sign-in: %s", res.Raw)
		}
		who, amr := e.whoami(t, nb)
		if who != uid || !hasAll(amr, "mfa", "hwk", "user") {
			t.Fatalf("signed in as %q with amr %v", who, amr)
		}
		r = do(t, b, http.MethodGet, "/v1/me/passkeys", nil)
		_ = json.Unmarshal(r.Raw, &list)
		if list.Passkeys[0].LastUsedAt == nil {
			t.Error("last use not recorded")
		}
	})
}

func TestSyncedPasskeyIsSoftwareKey(t *testing.T) {
	e := newEnv(t, nil)
	_, b := e.newUser(t, "ada@example.com")
	e.key.Synced = true
	c := e.register(t, b, passkeys.KindPasskey, "")
	res, nb := e.passkeySignIn(t, e.key, c)
	mustOK(t, res, "sign-in")
	if _, amr := e.whoami(t, nb); !hasAll(amr, "swk", "mfa") {
		t.Fatalf("amr %v, want swk", amr)
	}
	r := do(t, b, http.MethodGet, "/v1/me/passkeys", nil)
	if !strings.Contains(string(r.Raw), `"name":"Passkey"`) || !strings.Contains(string(r.Raw), `"backed_up":true`) {
		t.Fatalf("list: %s", r.Raw)
	}
}

func TestPasskeyOptionsRevealNothing(t *testing.T) {
	e := newEnv(t, nil)
	_, b := e.newUser(t, "ada@example.com")
	e.register(t, b, passkeys.KindPasskey, "")
	_, opts := startPasskey(t, e.browser())
	var o struct {
		PublicKey map[string]json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(opts, &o); err != nil {
		t.Fatal(err)
	}
	if _, ok := o.PublicKey["allowCredentials"]; ok {
		t.Errorf("discoverable options list credentials: %s", opts)
	}
	if string(o.PublicKey["userVerification"]) != `"required"` || string(o.PublicKey["rpId"]) != `"app.example"` {
		t.Errorf("options: %s", opts)
	}
	var challenge string
	_ = json.Unmarshal(o.PublicKey["challenge"], &challenge)
	raw, err := base64.RawURLEncoding.DecodeString(challenge)
	if err != nil || len(raw)*8 < 128 {
		t.Fatalf("challenge of %d bits, want at least 128", len(raw)*8)
	}
}

func TestChallengeReplay(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		_, b := e.newUser(t, "ada@example.com")
		c := e.register(t, b, passkeys.KindPasskey, "")

		nb := e.browser()
		id, opts := startPasskey(t, nb)
		assertion, err := e.key.Get(opts, c)
		if err != nil {
			t.Fatal(err)
		}
		mustOK(t, attemptFirst(t, nb, id, assertion), "first use")
		if r := attemptFirst(t, nb, id, assertion); r.Code == http.StatusOK {
			t.Fatalf("the same assertion worked twice: %s", r.Raw)
		}
		// Nor in another sign-in: its challenge is another.
		other := e.browser()
		id2, _ := startPasskey(t, other)
		if r := attemptFirst(t, other, id2, assertion); r.Code == http.StatusOK {
			t.Fatalf("an assertion worked in another sign-in: %s", r.Raw)
		}
		// A failed attempt spends the challenge too: no second guess.
		third := e.browser()
		id3, opts3 := startPasskey(t, third)
		good, _ := e.key.Get(opts3, c)
		bad := tamper(t, good)
		if r := attemptFirst(t, third, id3, bad); r.errCode() != "form_code_incorrect" {
			t.Fatalf("tampered assertion: %s", r.Raw)
		}
		if r := attemptFirst(t, third, id3, good); r.errCode() != "verification_expired" {
			t.Fatalf("assertion after a failed attempt: %s", r.Raw)
		}
	})
}

// tamper flips a bit of an assertion's signature.
func tamper(t testing.TB, assertion []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(assertion, &m); err != nil {
		t.Fatal(err)
	}
	resp := m["response"].(map[string]any)
	sig, _ := base64.RawURLEncoding.DecodeString(resp["signature"].(string))
	sig[len(sig)-1] ^= 1
	resp["signature"] = base64.RawURLEncoding.EncodeToString(sig)
	out, _ := json.Marshal(m)
	return out
}

func TestConcurrentAssertionOneWins(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		_, b := e.newUser(t, "ada@example.com")
		c := e.register(t, b, passkeys.KindPasskey, "")
		nb := e.browser()
		id, opts := startPasskey(t, nb)
		assertion, err := e.key.Get(opts, c)
		if err != nil {
			t.Fatal(err)
		}
		const n = 32
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			wins int
		)
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				r := attemptFirst(t, nb, id, assertion)
				if r.Code == http.StatusOK && r.str("status") == "complete" {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d of %d concurrent attempts signed in, want exactly 1", wins, n)
		}
	})
}

// TestConcurrentClonesOneWins signs in at once with copies of one
// authenticator, each in its own sign-in with its own challenge and all
// with the same signature count: the counter, advanced by one conditional
// write, must let exactly one through on every store.
func TestConcurrentClonesOneWins(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		uid, b := e.newUser(t, "ada@example.com")
		e.key.Counter = true
		c := e.register(t, b, passkeys.KindPasskey, "")
		const n = 16
		type signIn struct {
			b         *latchtest.Browser
			id        string
			assertion []byte
		}
		sis := make([]signIn, n)
		for i := range sis {
			nb := e.browser()
			id, opts := startPasskey(t, nb)
			assertion, err := e.key.Get(opts, c.Clone()) // count 1, each time
			if err != nil {
				t.Fatal(err)
			}
			sis[i] = signIn{nb, id, assertion}
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, si := range sis {
			wg.Go(func() {
				<-start
				results[i] = attemptFirst(t, si.b, si.id, si.assertion)
			})
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, r := range results {
			switch {
			case r.Code == http.StatusOK && r.str("status") == "complete":
				wins++
			case r.errCode() != "form_code_incorrect":
				t.Errorf("a losing clone: %d %s", r.Code, r.Raw)
			}
		}
		stored, err := s.ListCredentials(t.Context(), uid)
		if err != nil || len(stored) != 1 {
			t.Fatalf("%d credentials, %v; want 1", len(stored), err)
		}
		if wins != 1 || stored[0].SignCount != 1 {
			t.Fatalf("%d of %d assertions with count 1 signed in, stored count %d; want exactly 1 and count 1", wins, n, stored[0].SignCount)
		}
	})
}

func TestWrongOriginRefused(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		_, b := e.newUser(t, "ada@example.com")
		phish := &passkeystest.Authenticator{Origin: "https://app.example.evil.example"}
		if _, r := e.tryRegister(t, b, phish, passkeys.KindPasskey, ""); r.errCode() != "form_code_incorrect" {
			t.Fatalf("registration from another origin: %s", r.Raw)
		}
		c := e.register(t, b, passkeys.KindPasskey, "")
		r, _ := e.passkeySignIn(t, &passkeystest.Authenticator{Origin: "https://evil.example"}, c)
		if r.errCode() != "form_code_incorrect" {
			t.Fatalf("assertion from another origin: %s", r.Raw)
		}
		mustOK(t, func() result { r, _ := e.passkeySignIn(t, e.key, c); return r }(), "the right origin still works")
	})
}

func TestWrongRPIDRefused(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		_, b := e.newUser(t, "ada@example.com")
		other := &passkeystest.Authenticator{Origin: base, RPID: "evil.example"}
		if _, r := e.tryRegister(t, b, other, passkeys.KindPasskey, ""); r.errCode() != "form_code_incorrect" {
			t.Fatalf("registration for another RP ID: %s", r.Raw)
		}
		c := e.register(t, b, passkeys.KindPasskey, "")
		if r, _ := e.passkeySignIn(t, other, c); r.errCode() != "form_code_incorrect" {
			t.Fatalf("assertion for another RP ID: %s", r.Raw)
		}
	})
}

func TestClonedAuthenticatorRefused(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		_, b := e.newUser(t, "ada@example.com")
		e.key.Counter = true
		c := e.register(t, b, passkeys.KindSecurityKey, "YubiKey")
		if c.UserHandle == nil {
			t.Fatal("no user handle")
		}
		// A security key made with user verification signs in as a
		// passkey would, when it is discoverable; this one is.
		clone := c.Clone()
		r, _ := e.passkeySignIn(t, e.key, c) // count 1
		mustOK(t, r, "first use")
		r, _ = e.passkeySignIn(t, e.key, c) // count 2
		mustOK(t, r, "second use")
		// The clone, copied before those uses, counts 1 then 2: both are
		// not greater than the stored 2.
		for i := range 2 {
			if r, _ := e.passkeySignIn(t, e.key, clone); r.errCode() != "form_code_incorrect" {
				t.Fatalf("clone use %d: %s", i+1, r.Raw)
			}
		}
		stored, err := s.ListCredentials(t.Context(), mustUser(t, e, "ada@example.com"))
		if err != nil || stored[0].SignCount != 2 {
			t.Fatalf("stored count %d, want 2 (the clone must not move it)", stored[0].SignCount)
		}
		r, _ = e.passkeySignIn(t, e.key, c) // count 3
		mustOK(t, r, "the original after the clone")
	})
}

func mustUser(t testing.TB, e *env, email string) string {
	t.Helper()
	u, err := e.GetUserByEmailAddress(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestDuplicateCredentialIDRefused(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		_, ada := e.newUser(t, "ada@example.com")
		_, bob := e.newUser(t, "bob@example.com")
		c := e.register(t, ada, passkeys.KindPasskey, "")
		for name, b := range map[string]*latchtest.Browser{"another account": bob, "the same account": ada} {
			e.key.NextID = c.ID
			if _, r := e.tryRegister(t, b, e.key, passkeys.KindPasskey, ""); r.errCode() != "passkey_exists" {
				t.Fatalf("%s: a credential ID registered twice: %s", name, r.Raw)
			}
		}
	})
}

func TestSecurityKeyAsSecondFactor(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		b := e.browser()
		uid := e.SignUpOn(t, b, "ada@example.com", goodPassword)
		e.key.NoUV = true // a key without a PIN is a fine second factor
		c := e.register(t, b, passkeys.KindSecurityKey, "YubiKey")

		nb := e.browser()
		r := post(t, nb, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
		mustOK(t, r, "password")
		if r.str("status") != "needs_second_factor" {
			t.Fatalf("password alone: %s", r.Raw)
		}
		if who, _ := e.whoami(t, nb); who != "signed-out" {
			t.Fatal("signed in with a password alone")
		}
		id := r.str("id")
		r = post(t, nb, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "security_key"})
		mustOK(t, r, "prepare security key")
		var v struct {
			Options json.RawMessage `json:"options"`
		}
		_ = json.Unmarshal(r.Body["second_factor_verification"], &v)
		if !strings.Contains(string(v.Options), `"allowCredentials"`) || !strings.Contains(string(v.Options), `"userVerification":"discouraged"`) {
			t.Fatalf("second-factor options: %s", v.Options)
		}
		assertion, err := e.key.Get(v.Options, c)
		if err != nil {
			t.Fatal(err)
		}
		r = post(t, nb, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "security_key", "credential": json.RawMessage(assertion)})
		mustOK(t, r, "security key")
		if r.str("status") != "complete" {
			t.Fatalf("after the key: %s", r.Raw)
		}
		who, amr := e.whoami(t, nb)
		if who != uid || !hasAll(amr, "pwd", "hwk", "mfa") {
			t.Fatalf("signed in as %q with amr %v", who, amr)
		}
		// Without user verification the key is no passkey.
		if r, _ := e.passkeySignIn(t, e.key, c); r.Code == http.StatusOK {
			t.Fatalf("a key without user verification signed in alone: %s", r.Raw)
		}
	})
}

func TestSecurityKeyEnrolledDuringSignIn(t *testing.T) {
	e := newEnv(t, nil, requireMFA{})
	b := e.browser()
	e.SignUpOn(t, b, "ada@example.com", goodPassword)
	nb := e.browser()
	r := post(t, nb, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
	if r.str("status") != "needs_second_factor" || !strings.Contains(string(r.Raw), `"second_factor_enrollment":true`) {
		t.Fatalf("sign-in of a user without a factor under a policy: %s", r.Raw)
	}
	id := r.str("id")
	r = post(t, nb, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "security_key"})
	mustOK(t, r, "begin enrolment")
	var v struct {
		Options json.RawMessage `json:"options"`
	}
	_ = json.Unmarshal(r.Body["second_factor_verification"], &v)
	if !strings.Contains(string(v.Options), `"residentKey":"discouraged"`) {
		t.Fatalf("enrolment options: %s", v.Options)
	}
	cred, c, err := e.key.Create(v.Options)
	if err != nil {
		t.Fatal(err)
	}
	r = post(t, nb, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "security_key", "credential": json.RawMessage(cred)})
	mustOK(t, r, "finish enrolment")
	if r.str("status") != "complete" {
		t.Fatalf("after enrolment: %s", r.Raw)
	}
	if _, amr := e.whoami(t, nb); !hasAll(amr, "hwk", "mfa") {
		t.Fatalf("amr %v", amr)
	}
	// The key now works as the second factor of the next sign-in.
	nb2 := e.browser()
	r = post(t, nb2, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
	id = r.str("id")
	r = post(t, nb2, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "security_key"})
	_ = json.Unmarshal(r.Body["second_factor_verification"], &v)
	assertion, _ := e.key.Get(v.Options, c)
	r = post(t, nb2, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": "security_key", "credential": json.RawMessage(assertion)})
	if r.str("status") != "complete" {
		t.Fatalf("second sign-in: %s", r.Raw)
	}
}

func TestUserHandleMismatchRefused(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		_, ada := e.newUser(t, "ada@example.com")
		bobID, bob := e.newUser(t, "bob@example.com")
		c := e.register(t, ada, passkeys.KindPasskey, "")
		e.register(t, bob, passkeys.KindPasskey, "")
		// Ada's key claims to be Bob's.
		liar := c.Clone()
		liar.UserHandle = []byte(bobID)
		if r, _ := e.passkeySignIn(t, e.key, liar); r.errCode() != "form_code_incorrect" {
			t.Fatalf("a user handle of another user: %s", r.Raw)
		}
		liar.UserHandle = nil
		if r, _ := e.passkeySignIn(t, e.key, liar); r.errCode() != "form_code_incorrect" {
			t.Fatalf("no user handle: %s", r.Raw)
		}
	})
}

func TestChallengeExpiresAfterFiveMinutes(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		_, b := e.newUser(t, "ada@example.com")
		c := e.register(t, b, passkeys.KindPasskey, "")
		nb := e.browser()
		id, opts := startPasskey(t, nb)
		assertion, _ := e.key.Get(opts, c)
		e.Clock.Advance(5*time.Minute + time.Second)
		if r := attemptFirst(t, nb, id, assertion); r.errCode() != "verification_expired" {
			t.Fatalf("after five minutes: %s", r.Raw)
		}
		// Just inside the five minutes, it works.
		id, opts = startPasskey(t, nb)
		assertion, _ = e.key.Get(opts, c)
		e.Clock.Advance(5*time.Minute - time.Second)
		mustOK(t, attemptFirst(t, nb, id, assertion), "within five minutes")
	})
}

func TestRemovingLastFactorRefusedWhenRequired(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, requireMFA{})
		_, b := e.newUser(t, "ada@example.com")
		e.register(t, b, passkeys.KindSecurityKey, "One")
		e.register(t, b, passkeys.KindPasskey, "Two")
		var list struct{ Passkeys []passkeys.View }
		_ = json.Unmarshal(do(t, b, http.MethodGet, "/v1/me/passkeys", nil).Raw, &list)
		if len(list.Passkeys) != 2 {
			t.Fatalf("list: %+v", list)
		}
		mustOK(t, do(t, b, http.MethodDelete, "/v1/me/passkeys/"+list.Passkeys[0].ID, nil), "remove one of two")
		if n := e.mailsTo("ada@example.com", "was removed"); n != 1 {
			t.Errorf("%d factor-removed notices, want 1", n)
		}
		r := do(t, b, http.MethodDelete, "/v1/me/passkeys/"+list.Passkeys[1].ID, nil)
		if r.errCode() != "last_second_factor" {
			t.Fatalf("removing the last factor: %s", r.Raw)
		}
		// Another user's credential is not found.
		_, eve := e.newUser(t, "eve@example.com")
		if r := do(t, eve, http.MethodDelete, "/v1/me/passkeys/"+list.Passkeys[1].ID, nil); r.Code != http.StatusNotFound {
			t.Fatalf("removing another user's credential: %s", r.Raw)
		}
	})
	// Without a policy, the last one goes.
	e := newEnv(t, nil)
	_, b := e.newUser(t, "ada@example.com")
	e.register(t, b, passkeys.KindPasskey, "")
	var list struct{ Passkeys []passkeys.View }
	_ = json.Unmarshal(do(t, b, http.MethodGet, "/v1/me/passkeys", nil).Raw, &list)
	mustOK(t, do(t, b, http.MethodDelete, "/v1/me/passkeys/"+list.Passkeys[0].ID, nil), "remove the only one without a policy")
}

// TestConcurrentRemovalsKeepOne removes every credential of a user whom a
// policy requires a second factor, all at once: however the removals
// interleave (PostgreSQL runs them at read committed), one credential must
// be left.
func TestConcurrentRemovalsKeepOne(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, requireMFA{})
		uid, b := e.newUser(t, "ada@example.com")
		const n = 4
		for i := range n {
			e.register(t, b, []string{passkeys.KindPasskey, passkeys.KindSecurityKey}[i%2], "Key "+strconv.Itoa(i))
		}
		creds, err := s.ListCredentials(t.Context(), uid)
		if err != nil || len(creds) != n {
			t.Fatalf("%d credentials, %v; want %d", len(creds), err, n)
		}
		results := make([]result, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, c := range creds {
			wg.Go(func() {
				<-start
				results[i] = do(t, b, http.MethodDelete, "/v1/me/passkeys/"+c.ID, nil)
			})
		}
		close(start)
		wg.Wait()
		deleted := 0
		for _, r := range results {
			switch {
			case r.Code == http.StatusOK:
				deleted++
			case r.errCode() != "last_second_factor":
				t.Errorf("a concurrent removal: %d %s", r.Code, r.Raw)
			}
		}
		left, err := s.ListCredentials(t.Context(), uid)
		if err != nil || len(left) != 1 || deleted != n-1 {
			t.Fatalf("%d of %d concurrent removals succeeded and %d credentials are left (%v); want %d and 1", deleted, n, len(left), err, n-1)
		}
	})
}

func TestRegistrationNeedsReverification(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s)
		_, b := e.newUser(t, "ada@example.com")
		begun := post(t, b, "/v1/me/passkeys", map[string]any{"kind": "passkey"})
		mustOK(t, begun, "begin while fresh")
		e.Clock.Advance(latch.ReverificationWindow + 2*time.Minute)
		if r := post(t, b, "/v1/me/passkeys", map[string]any{"kind": "passkey"}); r.errCode() != "session_reverification_required" {
			t.Fatalf("begin after the window: %s", r.Raw)
		}
		cred, _, _ := e.key.Create(begun.Body["options"])
		r := post(t, b, "/v1/me/passkeys/attempt_registration", map[string]any{"id": begun.str("id"), "credential": json.RawMessage(cred)})
		if r.errCode() != "session_reverification_required" {
			t.Fatalf("finish after the window: %s", r.Raw)
		}
		// Renaming and removing are changes too.
		if r := post(t, b, "/v1/me/passkeys/cred_x", map[string]any{"name": "x"}); r.errCode() != "session_reverification_required" {
			t.Fatalf("rename after the window: %s", r.Raw)
		}
		if r := do(t, b, http.MethodDelete, "/v1/me/passkeys/cred_x", nil); r.errCode() != "session_reverification_required" {
			t.Fatalf("remove after the window: %s", r.Raw)
		}
		// The account page's form goes through the reverification page
		// and back.
		res := b.Post("/user/passkeys?do=begin", url.Values{"kind": {"passkey"}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/reverify?redirect_url=%2Fuser") {
			t.Fatalf("form after the window: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

func TestRegistrationBoundToSession(t *testing.T) {
	e := newEnv(t, nil)
	_, ada := e.newUser(t, "ada@example.com")
	_, bob := e.newUser(t, "bob@example.com")
	begun := post(t, ada, "/v1/me/passkeys", map[string]any{"kind": "passkey"})
	cred, _, _ := e.key.Create(begun.Body["options"])
	// Bob cannot finish Ada's registration (nor attach her options to his
	// account).
	if r := post(t, bob, "/v1/me/passkeys/attempt_registration", map[string]any{"id": begun.str("id"), "credential": json.RawMessage(cred)}); r.errCode() != "verification_expired" {
		t.Fatalf("finish in another session: %s", r.Raw)
	}
	// Nor is a passkey made without user verification recorded.
	e.key.NoUV = true
	if _, r := e.tryRegister(t, ada, e.key, passkeys.KindPasskey, ""); r.errCode() != "form_code_incorrect" {
		t.Fatalf("passkey without user verification: %s", r.Raw)
	}
	// Nor one begun as a security key.
	begun = post(t, ada, "/v1/me/passkeys", map[string]any{"kind": "security_key"})
	cred, _, _ = e.key.Create(begun.Body["options"])
	if r := post(t, ada, "/v1/me/passkeys/attempt_registration", map[string]any{"id": begun.str("id"), "credential": json.RawMessage(cred), "kind": "passkey"}); r.errCode() != "invalid_request" {
		t.Fatalf("kind changed at the finish: %s", r.Raw)
	}
}

func TestRenameAndForms(t *testing.T) {
	e := newEnv(t, nil)
	_, b := e.newUser(t, "ada@example.com")
	e.register(t, b, passkeys.KindPasskey, "Old")
	var list struct{ Passkeys []passkeys.View }
	_ = json.Unmarshal(do(t, b, http.MethodGet, "/v1/me/passkeys", nil).Raw, &list)
	id := list.Passkeys[0].ID
	if r := post(t, b, "/v1/me/passkeys/"+id, map[string]any{"name": "  New name  "}); r.str("name") != "New name" {
		t.Fatalf("rename: %s", r.Raw)
	}
	if r := post(t, b, "/v1/me/passkeys/"+id, map[string]any{"name": "two\nlines"}); r.errCode() != "form_param_invalid" {
		t.Fatalf("rename to two lines: %s", r.Raw)
	}

	// The account page's forms: rename, then begin and finish.
	res := b.Post("/user/passkeys?do=rename", url.Values{"id": {id}, "name": {"Form name"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/user?tab=security" {
		t.Fatalf("rename form: %d", res.StatusCode)
	}
	res = b.Post("/user/passkeys?do=rename", url.Values{"id": {id}, "name": {""}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(readAll(res), `aria-describedby="latch-passkey-name-`+id+`-error"`) {
		t.Fatalf("bad rename form: %d", res.StatusCode)
	}
	res = b.Post("/user/passkeys?do=begin", url.Values{"kind": {"security_key"}})
	page := readAll(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `data-latch-webauthn="create"`) {
		t.Fatalf("begin form: %d %s", res.StatusCode, page)
	}
	opts := attr(t, page, "data-options")
	regID := attr(t, page, `name="id" value`)
	cred, _, err := e.key.Create([]byte(opts))
	if err != nil {
		t.Fatal(err)
	}
	res = b.Post("/user/passkeys?do=finish", url.Values{"id": {regID}, "kind": {"security_key"}, "name": {"Blue key"}, "credential": {string(cred)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("finish form: %d %s", res.StatusCode, readAll(res))
	}
	r := do(t, b, http.MethodGet, "/v1/me/passkeys", nil)
	if !strings.Contains(string(r.Raw), `"name":"Blue key","kind":"security_key"`) {
		t.Fatalf("after the form: %s", r.Raw)
	}
	// Without JavaScript the form posts no credential: the page says so
	// and offers the ceremony again.
	res = b.Post("/user/passkeys?do=finish", url.Values{"id": {regID}, "kind": {"passkey"}, "credential": {""}})
	if page := readAll(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "could not be verified") || !strings.Contains(page, "data-options=") {
		t.Fatalf("finish without a credential: %d %s", res.StatusCode, page)
	}
}

func TestReverifyWithPasskey(t *testing.T) {
	e := newEnv(t, nil)
	_, b := e.newUser(t, "ada@example.com")
	c := e.register(t, b, passkeys.KindPasskey, "")
	e.Clock.Advance(latch.ReverificationWindow + 2*time.Minute)
	if r := post(t, b, "/v1/me/passkeys", map[string]any{"kind": "passkey"}); r.errCode() != "session_reverification_required" {
		t.Fatalf("stale session: %s", r.Raw)
	}
	r := post(t, b, "/v1/me/reverification", map[string]any{})
	mustOK(t, r, "start reverification")
	id := r.str("id")
	// A user with a credential has a second factor: the reverification
	// asks for one, and the passkey serves as it.
	r = post(t, b, "/v1/me/reverification/"+id+"/prepare", map[string]any{"strategy": "security_key"})
	mustOK(t, r, "prepare")
	var v struct {
		Options json.RawMessage `json:"options"`
	}
	_ = json.Unmarshal(r.Body["verification"], &v)
	if !strings.Contains(string(v.Options), `"allowCredentials"`) {
		t.Fatalf("reverification options: %s", v.Options)
	}
	assertion, err := e.key.Get(v.Options, c)
	if err != nil {
		t.Fatal(err)
	}
	r = post(t, b, "/v1/me/reverification/"+id+"/attempt", map[string]any{"strategy": "security_key", "credential": json.RawMessage(assertion)})
	mustOK(t, r, "attempt")
	mustOK(t, post(t, b, "/v1/me/passkeys", map[string]any{"kind": "passkey"}), "begin after reverifying")
}
