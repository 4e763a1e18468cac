// Package mfatest helps test an app that uses the mfa plugin: it computes
// an authenticator app's codes (RFC 6238 with the parameters every
// authenticator app uses: SHA-1, six digits, 30-second steps) and enrols
// a signed-in user's authenticator app through the JSON API.
//
//	secret, backup := mfatest.EnrolTOTP(t, browser, h.Clock)
//	code := mfatest.Code(t, secret, h.Clock.Now())
//
// It computes codes independently of the plugin, so a test that uses it
// checks the plugin against the standard rather than against itself.
package mfatest

import (
	"net/http"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchauth/latch/latchtest"
)

// Step is the length of a TOTP time step.
const Step = 30 * time.Second

// Code returns the code an authenticator app shows at the instant at for
// the base32 secret (as Latch hands it out on enrolment). It fails the
// test when the secret is not base32.
func Code(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{
		Period: uint(Step / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("mfatest: computing the code of %q: %v", secret, err)
	}
	return c
}

// NextStep moves c to the start of the next time step. The plugin takes
// each code once, so a test that needs a second code (after enrolling, or
// for a second sign-in) moves on to a fresh one.
func NextStep(c *latchtest.Clock) {
	now := c.Now()
	c.Advance(Step - time.Duration(now.UnixNano()%int64(Step)))
}

// EnrolTOTP sets an authenticator app up for the user signed in on b, as
// an app's settings page would through the JSON API: it begins the
// enrolment, answers with the current code on clock c, and returns the
// secret and the backup codes shown once. It fails the test at any step
// that does not succeed. The code it answered with is spent, so it leaves
// c at the start of the next step, where the next code is a fresh one.
func EnrolTOTP(t testing.TB, b *latchtest.Browser, c *latchtest.Clock) (secret string, backup []string) {
	t.Helper()
	status, out := b.JSON(http.MethodPost, "/v1/me/totp", map[string]any{})
	secret, _ = out["secret"].(string)
	if status != http.StatusOK || secret == "" {
		t.Fatalf("mfatest: beginning the enrolment: %d %v", status, out)
	}
	status, out = b.JSON(http.MethodPost, "/v1/me/totp/attempt_verification", map[string]any{"code": Code(t, secret, c.Now())})
	if status != http.StatusOK || out["verified"] != true {
		t.Fatalf("mfatest: finishing the enrolment: %d %v", status, out)
	}
	codes, _ := out["backup_codes"].([]any)
	for _, code := range codes {
		if s, ok := code.(string); ok {
			backup = append(backup, s)
		}
	}
	NextStep(c)
	return secret, backup
}
