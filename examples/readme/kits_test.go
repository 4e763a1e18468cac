package main

// The README's test kits: a sign-up, an authenticator app and a second
// factor driven end to end, and a handler unit-tested with given claims.

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/mfa/mfatest"
	"github.com/latchauth/latch/token"
)

// readme:begin
func TestTwoStepSignIn(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{mfa.New(mfa.Config{})}}})
	_, b := h.SignUp(t, "bea@example.com", "plum-orbit-canyon-47") // the email code is read from h.Mail
	secret, _ := mfatest.EnrolTOTP(t, b, h.Clock)                  // b is signed in: set up an authenticator app

	b = h.NewBrowser()
	_, out := b.JSON("POST", "/v1/client/sign_ins", map[string]any{"identifier": "bea@example.com", "password": "plum-orbit-canyon-47"})
	if out["status"] != latch.SignInNeedsSecondFactor {
		t.Fatalf("password alone: %v", out)
	}
	_, out = b.JSON("POST", "/v1/client/sign_ins/"+out["id"].(string)+"/attempt_second_factor",
		map[string]any{"strategy": "totp", "code": mfatest.Code(t, secret, h.Clock.Now())})
	if out["status"] != latch.SignInComplete {
		t.Fatalf("with the app's code: %v", out)
	}
}

func TestDashboardShowsProFeatures(t *testing.T) {
	claims := token.Claims{Subject: "user_1", Plan: "pro", FactorVerificationAge: &[2]int{1, -1}}
	r := httptest.NewRequest("GET", "/dashboard", nil)
	w := httptest.NewRecorder()
	dashboard(w, r.WithContext(latchtest.WithClaims(r.Context(), claims))) // no Auth, store or token needed
	if !strings.Contains(w.Body.String(), "Pro features") {
		t.Fatalf("a pro user who signed in a minute ago sees %q", w.Body.String())
	}
}

// readme:end
