package latch_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// TestUnexpectedFactorIsRefused: a proof the step did not ask for is
// refused, not ignored (SECURITY.md 12). A password sign-in that also
// sends a code, for a user without a second factor, must not complete
// as if the code had been checked; the same holds for every step and for
// the hosted forms.
func TestUnexpectedFactorIsRefused(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		p := newCodePlugin()
		e := newFlowEnv(t, latch.Config{Store: s, Plugins: []latch.Plugin{p}})
		e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		bob := e.SignUpOn(t, e.browser(), "bob@example.com", goodPassword)
		p.enroll(bob)

		t.Run("password sign-in with a code, in one request", func(t *testing.T) {
			b := e.browser()
			out, code := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword, "code": "000000"})
			if code != 422 || errCode(out) != "factor_unexpected" {
				t.Fatalf("answer %d %v, want factor_unexpected", code, out)
			}
			if e.whoami(t, b) != "signed-out" {
				t.Fatal("signed in with an unchecked code")
			}
		})
		t.Run("other proofs at the start", func(t *testing.T) {
			for name, body := range map[string]map[string]any{
				"credential":              {"identifier": "ada@example.com", "password": goodPassword, "credential": map[string]any{"id": "x"}},
				"ticket with a password":  {"identifier": "ada@example.com", "password": goodPassword, "ticket": "ver_x.y"},
				"password with a ticket":  {"strategy": "ticket", "ticket": "ver_x.y", "password": goodPassword},
				"password for email_code": {"identifier": "ada@example.com", "strategy": "email_code", "password": goodPassword},
				"password, no identifier": {"password": goodPassword},
			} {
				b := e.browser()
				if out, code := call(t, b, "/v1/client/sign_ins", body); code != 422 || errCode(out) != "factor_unexpected" {
					t.Errorf("%s: answer %d %v, want factor_unexpected", name, code, out)
				}
				if e.whoami(t, b) != "signed-out" {
					t.Errorf("%s: signed in", name)
				}
			}
		})
		t.Run("attempt_first_factor", func(t *testing.T) {
			b := e.browser()
			out, _ := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
			sid := out["id"].(string)
			out, code := call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "password", "password": goodPassword, "code": "000000"})
			if code != 422 || errCode(out) != "factor_unexpected" {
				t.Fatalf("password with a code: %d %v", code, out)
			}
			call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
			mailed := e.LastCode(t, "ada@example.com")
			out, code = call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": mailed, "password": "guess"})
			if code != 422 || errCode(out) != "factor_unexpected" {
				t.Fatalf("code with a password: %d %v", code, out)
			}
			if e.whoami(t, b) != "signed-out" {
				t.Fatal("signed in")
			}
			// The refused attempt spent nothing: the right request works.
			out, code = call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": mailed})
			mustStatus(t, out, code, "complete")
		})
		t.Run("attempt_second_factor", func(t *testing.T) {
			b := e.browser()
			out, code := call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "bob@example.com", "password": goodPassword})
			mustStatus(t, out, code, "needs_second_factor")
			sid := out["id"].(string)
			call(t, b, "/v1/client/sign_ins/"+sid+"/prepare_second_factor", map[string]any{"strategy": "test_code"})
			for name, body := range map[string]map[string]any{
				"password":   {"strategy": "test_code", "code": "246810", "password": goodPassword},
				"credential": {"strategy": "test_code", "code": "246810", "credential": map[string]any{"id": "x"}},
			} {
				if out, code := call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_second_factor", body); code != 422 || errCode(out) != "factor_unexpected" {
					t.Errorf("%s: %d %v", name, code, out)
				}
			}
			if e.whoami(t, b) != "signed-out" {
				t.Fatal("signed in")
			}
			out, code = call(t, b, "/v1/client/sign_ins/"+sid+"/attempt_second_factor", map[string]any{"strategy": "test_code", "code": "246810"})
			mustStatus(t, out, code, "complete")
		})
		t.Run("sign-up verification", func(t *testing.T) {
			b := e.browser()
			out, _ := call(t, b, "/v1/client/sign_ups", map[string]any{"email_address": "cy@example.com", "password": goodPassword})
			id := out["id"].(string)
			call(t, b, "/v1/client/sign_ups/"+id+"/prepare_verification", map[string]any{"strategy": "email_code"})
			out, code := call(t, b, "/v1/client/sign_ups/"+id+"/attempt_verification", map[string]any{"strategy": "email_code", "code": e.LastCode(t, "cy@example.com"), "password": "x"})
			if code != 422 || errCode(out) != "factor_unexpected" {
				t.Fatalf("a code with a password: %d %v", code, out)
			}
		})
		t.Run("hosted form", func(t *testing.T) {
			b := e.browser()
			res := b.Post("/sign-in", url.Values{"intent": {"identifier"}, "identifier": {"ada@example.com"}})
			loc, _ := url.Parse(res.Header.Get("Location"))
			id := loc.Query().Get("sign_in_id")
			if res := b.Post("/sign-in", url.Values{"intent": {"password"}, "sign_in_id": {id}, "password": {goodPassword}, "code": {"000000"}}); res.StatusCode != 422 {
				t.Fatalf("the form with a code: %d", res.StatusCode)
			}
			if e.whoami(t, b) != "signed-out" {
				t.Fatal("the form signed in with an unchecked code")
			}
			// A sign-in token's button with a code slipped in.
			uid, err := e.GetUserByEmailAddress(context.Background(), "ada@example.com")
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := e.CreateSignInToken(context.Background(), uid.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if res := b.Post("/sign-in", url.Values{"intent": {"ticket"}, "ticket": {tok}, "code": {"000000"}}); res.StatusCode != 422 || e.whoami(t, b) != "signed-out" {
				t.Fatalf("the token's form with a code: %d", res.StatusCode)
			}
			if res := b.Post("/sign-in", url.Values{"intent": {"ticket"}, "ticket": {tok}}); res.StatusCode != 303 || e.whoami(t, b) != uid.ID {
				t.Fatalf("the refused attempt spent the token: %d", res.StatusCode)
			}
		})
	})
}
