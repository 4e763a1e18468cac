package mfa_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/mfa/mfatest"
	"github.com/latchauth/latch/storage"
)

// TestRFC6238Vectors checks the code generator against the test vectors
// of RFC 6238 appendix B (8 digits, each hash with its own seed), and the
// strategy end to end: a 6-digit code is the last six digits of the
// 8-digit value, and Verify takes it at that instant.
func TestRFC6238Vectors(t *testing.T) {
	seeds := map[otp.Algorithm][]byte{
		otp.AlgorithmSHA1:   []byte("12345678901234567890"),
		otp.AlgorithmSHA256: []byte("12345678901234567890123456789012"),
		otp.AlgorithmSHA512: []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	vectors := []struct {
		at                   int64
		sha1, sha256, sha512 string
	}{
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000, "65353130", "77737706", "47863826"},
	}
	for _, v := range vectors {
		for alg, want := range map[otp.Algorithm]string{otp.AlgorithmSHA1: v.sha1, otp.AlgorithmSHA256: v.sha256, otp.AlgorithmSHA512: v.sha512} {
			got, err := mfa.CodeAt(seeds[alg], v.at/30, 8, alg)
			if err != nil || got != want {
				t.Errorf("T=%d %v: %q, %v; want %q", v.at, alg, got, err, want)
			}
		}
	}

	e := newEnv(t, nil, mfa.Config{})
	ctx := context.Background()
	u, err := e.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.mfa.SetSeed(ctx, u.ID, seeds[otp.AlgorithmSHA1]); err != nil {
		t.Fatal(err)
	}
	at := &latch.Attempt{Purpose: latch.PurposeSignIn, UserID: u.ID, Locale: "en"}
	for _, v := range vectors {
		e.Clock.Set(time.Unix(v.at, 0).UTC())
		if _, err := e.mfa.TOTP().Verify(ctx, at, latch.AttemptParams{Code: v.sha1[2:]}); err != nil {
			t.Errorf("T=%d: Verify(%s): %v", v.at, v.sha1[2:], err)
		}
		if _, err := e.mfa.TOTP().Verify(ctx, at, latch.AttemptParams{Code: v.sha1[2:]}); err == nil {
			t.Errorf("T=%d: the same code verified twice", v.at)
		}
	}
}

// TestTOTPClockSkew accepts the codes of one step either side of now and
// refuses those two steps away.
func TestTOTPClockSkew(t *testing.T) {
	e := newEnv(t, nil, mfa.Config{})
	ctx := context.Background()
	u, _ := e.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	seed := []byte("0123456789abcdefghij")
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(seed)
	if err := e.mfa.SetSeed(ctx, u.ID, seed); err != nil {
		t.Fatal(err)
	}
	at := &latch.Attempt{Purpose: latch.PurposeSignIn, UserID: u.ID}
	verify := func(offset time.Duration) error {
		_, err := e.mfa.TOTP().Verify(ctx, at, latch.AttemptParams{Code: mfatest.Code(t, secret, e.Clock.Now().Add(offset))})
		return err
	}
	mfatest.NextStep(e.Clock)
	for _, off := range []time.Duration{-60 * time.Second, 60 * time.Second} {
		if err := verify(off); err == nil {
			t.Errorf("a code %v away was accepted", off)
		}
	}
	if err := verify(-30 * time.Second); err != nil {
		t.Errorf("the previous step's code: %v", err)
	}
	if err := verify(30 * time.Second); err != nil {
		t.Errorf("the next step's code: %v", err)
	}
	// The next step is used: the current one, earlier, is refused too.
	if err := verify(0); err == nil {
		t.Error("a code of a step before the last one used was accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "１２３４５６"} {
		if _, err := e.mfa.TOTP().Verify(ctx, at, latch.AttemptParams{Code: bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestTOTPCodeReuse: a code that signed in once never signs in again, on
// any browser.
func TestTOTPCodeReuse(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, mfa.Config{})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		_ = uid
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, uid)
		secret, _ := mfatest.EnrolTOTP(t, b, e.Clock)

		b1, out := e.signInPassword(t, "ada@example.com")
		if out["status"] != latch.SignInNeedsSecondFactor {
			t.Fatalf("password alone: %v", out)
		}
		code := mfatest.Code(t, secret, e.Clock.Now())
		out, status := attemptSecond(t, b1, out["id"].(string), "totp", code)
		mustStatus(t, out, status, latch.SignInComplete)

		b2, out := e.signInPassword(t, "ada@example.com")
		out, status = attemptSecond(t, b2, out["id"].(string), "totp", code)
		if status == http.StatusOK || errCode(out) != "form_code_incorrect" {
			t.Fatalf("a used code signed in again: %d %v", status, out)
		}
		if e.whoami(t, b2) != "signed-out" {
			t.Fatal("the replay has a session")
		}
	})
}

// TestTOTPCodeReuseWithSpaces: spaces and dashes do not make a used code
// new, in either order.
func TestTOTPCodeReuseWithSpaces(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, mfa.Config{})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, uid)
		secret, _ := mfatest.EnrolTOTP(t, b, e.Clock)

		for _, forms := range [][2]func(string) string{
			{func(c string) string { return c }, func(c string) string { return c[:3] + " " + c[3:] }},
			{func(c string) string { return " " + c[:3] + "-" + c[3:] + " " }, func(c string) string { return c }},
			{func(c string) string { return c[:2] + "\u00a0" + c[2:4] + "\u2010" + c[4:] }, func(c string) string { return c[:3] + "  -  " + c[3:] }},
		} {
			code := mfatest.Code(t, secret, e.Clock.Now())
			b1, out := e.signInPassword(t, "ada@example.com")
			out, status := attemptSecond(t, b1, out["id"].(string), "totp", forms[0](code))
			mustStatus(t, out, status, latch.SignInComplete)
			b2, out := e.signInPassword(t, "ada@example.com")
			out, status = attemptSecond(t, b2, out["id"].(string), "totp", forms[1](code))
			if status == http.StatusOK || errCode(out) != "form_code_incorrect" {
				t.Fatalf("%q after %q: %d %v", forms[1](code), forms[0](code), status, out)
			}
			mfatest.NextStep(e.Clock)
		}
	})
}

// TestConcurrentTOTPCodeOneWins: 32 sign-ins racing with one code through
// attempt_second_factor; exactly one gets a session.
func TestConcurrentTOTPCodeOneWins(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, mfa.Config{})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, uid)
		secret, _ := mfatest.EnrolTOTP(t, b, e.Clock)
		raceSecondFactor(t, e, "totp", func(int) string { return mfatest.Code(t, secret, e.Clock.Now()) })
	})
}

// raceSecondFactor has 32 browsers, each at the second factor of its own
// sign-in, attempt strategy with code(i) at once, and checks that exactly
// one signed in and the others were told the code is wrong.
func raceSecondFactor(t *testing.T, e *env, strategy string, code func(i int) string) {
	t.Helper()
	const n = 32
	browsers := make([]*latchtest.Browser, n)
	ids := make([]string, n)
	for i := range browsers {
		var out map[string]any
		browsers[i], out = e.signInPassword(t, "ada@example.com")
		if out["status"] != latch.SignInNeedsSecondFactor {
			t.Fatalf("sign-in %d: %v", i, out)
		}
		ids[i] = out["id"].(string)
	}
	var wg sync.WaitGroup
	results := make([]map[string]any, n)
	statuses := make([]int, n)
	start := make(chan struct{})
	for i := range browsers {
		wg.Go(func() {
			<-start
			results[i], statuses[i] = attemptSecond(t, browsers[i], ids[i], strategy, code(i))
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i := range results {
		switch {
		case statuses[i] == http.StatusOK && results[i]["status"] == latch.SignInComplete:
			won++
		case errCode(results[i]) != "form_code_incorrect":
			t.Errorf("attempt %d: %d %v", i, statuses[i], results[i])
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent attempts with one code signed in; want exactly 1", won, n)
	}
}

// TestSetupCodeNotReusableForSignIn: the code that proved the set-up (from
// the account page, or in the middle of a sign-in) cannot sign in.
func TestSetupCodeNotReusableForSignIn(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		t.Run("account", func(t *testing.T) {
			e := newEnv(t, s, mfa.Config{})
			uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
			b := e.browser()
			latchtest.SignIn(t, e.Auth, b, uid)
			out, _ := post(t, b, "/v1/me/totp", map[string]any{})
			secret := out["secret"].(string)
			code := mfatest.Code(t, secret, e.Clock.Now())
			if out, status := post(t, b, "/v1/me/totp/attempt_verification", map[string]any{"code": code}); status != http.StatusOK {
				t.Fatalf("set-up: %d %v", status, out)
			}
			b2, out := e.signInPassword(t, "ada@example.com")
			out, status := attemptSecond(t, b2, out["id"].(string), "totp", code)
			if status == http.StatusOK || errCode(out) != "form_code_incorrect" {
				t.Fatalf("the set-up code signed in: %d %v", status, out)
			}
		})
		t.Run("sign-in", func(t *testing.T) {
			e := newEnv(t, s, mfa.Config{Policy: mfa.Required})
			e.SignUpOn(t, e.browser(), "bea@example.com", goodPassword)
			b, out := e.signInPassword(t, "bea@example.com")
			id := out["id"].(string)
			out, _ = post(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "totp"})
			secret := options(t, out)["secret"].(string)
			code := mfatest.Code(t, secret, e.Clock.Now())
			out, status := attemptSecond(t, b, id, "totp", code)
			mustStatus(t, out, status, latch.SignInComplete)
			b2, out := e.signInPassword(t, "bea@example.com")
			out, status = attemptSecond(t, b2, out["id"].(string), "totp", code)
			if status == http.StatusOK || errCode(out) != "form_code_incorrect" {
				t.Fatalf("the enrolment code signed in again: %d %v", status, out)
			}
		})
	})
}

// options returns the second factor's options of a sign-in answer.
func options(t testing.TB, out map[string]any) map[string]any {
	t.Helper()
	v, _ := out["second_factor_verification"].(map[string]any)
	o, _ := v["options"].(map[string]any)
	if o == nil {
		t.Fatalf("no second-factor options: %v", out)
	}
	return o
}

// TestEnrolmentRequiredAtSignIn: under Required, a password sign-in of a
// user without a second factor stops until they set up an app, and the
// session it then creates is multi-factor.
func TestEnrolmentRequiredAtSignIn(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, mfa.Config{Policy: mfa.Required, Issuer: "Acme Corp"})
		e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		b, out := e.signInPassword(t, "ada@example.com")
		if out["status"] != latch.SignInNeedsSecondFactor || out["second_factor_enrollment"] != true || out["created_session_id"] != nil {
			t.Fatalf("password sign-in under Required: %v", out)
		}
		if f := out["supported_second_factors"].([]any); len(f) != 1 || f[0].(map[string]any)["strategy"] != "totp" {
			t.Fatalf("offered for enrolment: %v", f)
		}
		if e.whoami(t, b) != "signed-out" {
			t.Fatal("signed in before the second factor was set up")
		}
		id := out["id"].(string)
		out, status := post(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": "totp"})
		if status != http.StatusOK {
			t.Fatalf("prepare: %d %v", status, out)
		}
		o := options(t, out)
		if len(o) != 3 {
			t.Errorf("options have keys other than secret, uri and qr_code: %v", o)
		}
		secret, _ := o["secret"].(string)
		uri, _ := o["uri"].(string)
		qr, _ := o["qr_code"].(string)
		if raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil || len(raw) < 20 {
			t.Errorf("secret %q is not a base32 seed of at least 160 bits", secret)
		}
		if !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, "secret="+secret) || !strings.Contains(uri, "issuer=Acme") ||
			!strings.Contains(uri, "ada@example.com") || !strings.Contains(uri, "digits=6") || !strings.Contains(uri, "period=30") {
			t.Errorf("uri %q", uri)
		}
		png64, ok := strings.CutPrefix(qr, "data:image/png;base64,")
		raw, err := base64.StdEncoding.DecodeString(png64)
		if !ok || err != nil {
			t.Fatalf("qr_code %.40q", qr)
		}
		if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() < 100 {
			t.Errorf("qr_code is not a PNG: %v", err)
		}
		out, status = attemptSecond(t, b, id, "totp", "000000")
		if status == http.StatusOK {
			t.Fatalf("a wrong code completed the enrolment: %v", out)
		}
		out, status = attemptSecond(t, b, id, "totp", mfatest.Code(t, secret, e.Clock.Now()))
		mustStatus(t, out, status, latch.SignInComplete)
		sess := e.session(t, out)
		for _, m := range []string{"pwd", "otp", "mfa"} {
			if !slices.Contains(sess.AMR, m) {
				t.Errorf("amr %v lacks %q", sess.AMR, m)
			}
		}
		if sess.SecondFactorAt.IsZero() {
			t.Error("the session does not record its second factor")
		}
		if e.whoami(t, b) == "signed-out" {
			t.Error("no session cookie")
		}
		if !e.mailed("ada@example.com", "sign-in method was added") {
			t.Error("no notification of the new factor")
		}
		// From now on the app is asked for, not set up.
		mfatest.NextStep(e.Clock)
		_, out = e.signInPassword(t, "ada@example.com")
		if out["status"] != latch.SignInNeedsSecondFactor || out["second_factor_enrollment"] == true {
			t.Fatalf("the next sign-in: %v", out)
		}
	})
}

// TestTOTPSeedEncryptedAtRest: the stored secret is not the seed, names
// the key that sealed it, opens with that key only, and survives rotating
// the application's secrets.
func TestTOTPSeedEncryptedAtRest(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, mfa.Config{})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, uid)
		out, _ := post(t, b, "/v1/me/totp", map[string]any{})
		secret := out["secret"].(string)
		seed, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
		stored, err := s.GetTOTPSecret(context.Background(), uid)
		if err != nil {
			t.Fatal(err)
		}
		if stored.KeyID == "" || bytes.Contains(stored.Secret, seed) || bytes.Contains(stored.Secret, []byte(secret)) ||
			bytes.Contains(stored.Secret, []byte(strings.ToLower(secret))) {
			t.Fatalf("the seed is stored in clear (key ID %q)", stored.KeyID)
		}
		if got, err := e.mfa.OpenSeed(stored); err != nil || !bytes.Equal(got, seed) {
			t.Fatalf("the kernel's key does not open the seed: %v", err)
		}
		if out, status := post(t, b, "/v1/me/totp/attempt_verification", map[string]any{"code": mfatest.Code(t, secret, e.Clock.Now())}); status != http.StatusOK {
			t.Fatalf("set-up: %d %v", status, out)
		}

		// Another application's secret opens nothing.
		other := newEnv(t, s, mfa.Config{}, func(c *latch.Config) { c.Secrets = [][]byte{[]byte(strings.Repeat("x", 32))} })
		if _, err := other.mfa.OpenSeed(stored); err == nil {
			t.Fatal("the seed opens without the key that sealed it")
		}
		mfatest.NextStep(e.Clock)
		at := &latch.Attempt{Purpose: latch.PurposeSignIn, UserID: uid}
		if _, err := other.mfa.TOTP().Verify(context.Background(), at, latch.AttemptParams{Code: mfatest.Code(t, secret, e.Clock.Now())}); err == nil {
			t.Fatal("an instance without the key verified a code")
		}
		// A new secret put first, the old one kept: seeds still open.
		rotated := newEnv(t, s, mfa.Config{}, func(c *latch.Config) {
			c.Secrets = [][]byte{[]byte(strings.Repeat("n", 32)), []byte(strings.Repeat("s", 32))}
		})
		rotated.Clock.Set(e.Clock.Now())
		if _, err := rotated.mfa.TOTP().Verify(context.Background(), at, latch.AttemptParams{Code: mfatest.Code(t, secret, e.Clock.Now())}); err != nil {
			t.Fatalf("after rotating the secrets: %v", err)
		}
	})
}

// TestSensitiveChangeNeedsReverification: ten minutes after the last
// verified factor, every change to the second factors asks for a new one.
func TestSensitiveChangeNeedsReverification(t *testing.T) {
	e := newEnv(t, nil, mfa.Config{})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	latchtest.SignIn(t, e.Auth, b, uid)
	mfatest.EnrolTOTP(t, b, e.Clock)
	e.Clock.Advance(latch.ReverificationWindow + time.Minute)
	for _, r := range []struct{ method, path string }{
		{http.MethodDelete, "/v1/me/totp"},
		{http.MethodPost, "/v1/me/totp"},
		{http.MethodPost, "/v1/me/totp/attempt_verification"},
		{http.MethodPost, "/v1/me/backup_codes"},
	} {
		out, status := call(t, b, r.method, r.path, map[string]any{"code": "123456"})
		if status != http.StatusForbidden || errCode(out) != latch.ErrReverificationRequired.Code {
			t.Errorf("%s %s: %d %v", r.method, r.path, status, out)
		}
	}
	if on, _ := e.mfa.TOTP().Enrolled(context.Background(), uid); !on {
		t.Error("the app was removed without reverification")
	}
	// A form post is sent to a page that reverifies, not answered JSON.
	res := b.Post("/user/mfa?do=totp_remove", url.Values{})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/user/mfa" {
		t.Errorf("form without reverification: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := b.Get("/user/mfa"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/reverify?redirect_url=") {
		t.Errorf("bounce page: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestRemovingLastFactorRefusedWhenRequired: under a policy, the last
// second factor stays; without one, it goes, with its backup codes.
func TestRemovingLastFactorRefusedWhenRequired(t *testing.T) {
	for _, tc := range []struct {
		name     string
		policy   mfa.Policy
		flagUser bool
		refused  bool
	}{
		{"required", mfa.Required, false, true},
		{"per-user marked", mfa.PerUser, true, true},
		{"per-user unmarked", mfa.PerUser, false, false},
		{"optional", mfa.Optional, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, mfa.Config{Policy: tc.policy})
			ctx := context.Background()
			uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
			if tc.flagUser {
				u, _ := e.Store.GetUser(ctx, uid)
				u.MFARequired = true
				if err := e.Store.UpdateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			b := e.browser()
			latchtest.SignIn(t, e.Auth, b, uid)
			mfatest.EnrolTOTP(t, b, e.Clock)
			out, status := call(t, b, http.MethodDelete, "/v1/me/totp", nil)
			on, _ := e.mfa.TOTP().Enrolled(ctx, uid)
			left, _ := e.mfa.BackupCodes().Remaining(ctx, uid)
			if tc.refused {
				if status != http.StatusUnprocessableEntity || errCode(out) != mfa.ErrLastSecondFactor.Code || !on {
					t.Fatalf("removal of the last factor: %d %v (still on: %v)", status, out, on)
				}
				msg := out["errors"].([]any)[0].(map[string]any)["message"].(string)
				if !strings.Contains(msg, "required") {
					t.Errorf("unclear message %q", msg)
				}
				return
			}
			if status != http.StatusOK || on || left != 0 {
				t.Fatalf("removal: %d %v (still on: %v, %d backup codes left)", status, out, on, left)
			}
			if !e.mailed("ada@example.com", "sign-in method was removed") {
				t.Error("no notification of the removal")
			}
			if _, out := e.signInPassword(t, "ada@example.com"); out["status"] != latch.SignInComplete {
				t.Errorf("sign-in after removing every factor: %v", out)
			}
		})
	}
}

// TestSetUpTwiceRefused: a set-up does not replace an app already set up.
func TestSetUpTwiceRefused(t *testing.T) {
	e := newEnv(t, nil, mfa.Config{})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	latchtest.SignIn(t, e.Auth, b, uid)
	secret, _ := mfatest.EnrolTOTP(t, b, e.Clock)
	if out, status := post(t, b, "/v1/me/totp", map[string]any{}); status != http.StatusConflict || errCode(out) != mfa.ErrTOTPExists.Code {
		t.Fatalf("second set-up: %d %v", status, out)
	}
	// The first app still works.
	b2, out := e.signInPassword(t, "ada@example.com")
	out, status := attemptSecond(t, b2, out["id"].(string), "totp", mfatest.Code(t, secret, e.Clock.Now()))
	mustStatus(t, out, status, latch.SignInComplete)
}

// TestFactorChangeNotifiesEveryAddress: setting an authenticator app up is
// told to every verified address of the account, not only the primary one
// (which whoever made the change may have just made their own).
func TestFactorChangeNotifiesEveryAddress(t *testing.T) {
	e := newEnv(t, nil, mfa.Config{})
	b := e.browser()
	uid := e.SignUpOn(t, b, "ada@example.com", goodPassword)
	if _, err := e.AddEmailAddress(context.Background(), uid, "ada@work.example", true); err != nil {
		t.Fatal(err)
	}
	mfatest.EnrolTOTP(t, b, e.Clock)
	for _, to := range []string{"ada@example.com", "ada@work.example"} {
		if !e.mailed(to, "sign-in method was added") {
			t.Errorf("%s was not told", to)
		}
	}
}
