package mfa_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/mfa/mfatest"
	"github.com/latchauth/latch/storage"
)

// TestNoAALDowngradeThroughAnyFirstFactor: for each set of second factors
// a user can have, every first-factor path the kernel offers (password,
// email code, email link in the same browser and on another device, both
// password resets, a sign-in ticket) stops at the second factor when one
// is set up: no session, no session cookie, no created_session_id. With
// none, each completes (so the test knows every path works).
func TestNoAALDowngradeThroughAnyFirstFactor(t *testing.T) {
	combos := []struct {
		name         string
		totp, backup bool
	}{{"none", false, false}, {"totp", true, false}, {"backup codes", false, true}, {"totp+backup codes", true, true}}
	const email = "ada@example.com"
	for _, combo := range combos {
		t.Run(combo.name, func(t *testing.T) {
			// CrossDeviceLinks opens the one path by which a link opened
			// on another device lets the asking browser finish.
			e := newEnv(t, nil, mfa.Config{}, func(c *latch.Config) { c.SignIn.CrossDeviceLinks = true })
			ctx := context.Background()
			uid := e.SignUpOn(t, e.browser(), email, goodPassword)
			if combo.totp {
				b := e.browser()
				latchtest.SignIn(t, e.Auth, b, uid)
				mfatest.EnrolTOTP(t, b, e.Clock)
				if !combo.backup {
					if err := e.Store.ReplaceBackupCodes(ctx, uid, nil); err != nil {
						t.Fatal(err)
					}
				}
			} else if combo.backup {
				if _, err := e.mfa.BackupCodes().Generate(ctx, uid); err != nil {
					t.Fatal(err)
				}
			}
			enrolled := combo.totp || combo.backup
			sessions := func() int {
				ss, _, err := e.Store.ListSessions(ctx, storage.SessionFilter{UserID: uid, Status: storage.SessionActive}, storage.Page{Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				return len(ss)
			}
			start := func(b *latchtest.Browser) string {
				out, status := post(t, b, "/v1/client/sign_ins", map[string]any{"identifier": email})
				mustStatus(t, out, status, latch.SignInNeedsFirstFactor)
				return out["id"].(string)
			}
			linkToken := func() string {
				u, err := url.Parse(e.LastLink(t, email))
				if err != nil {
					t.Fatal(err)
				}
				return u.Query().Get("token")
			}
			paths := []struct {
				name string
				run  func(b *latchtest.Browser) (map[string]any, string)
			}{
				{"password", func(b *latchtest.Browser) (map[string]any, string) {
					out, _ := post(t, b, "/v1/client/sign_ins", map[string]any{"identifier": email, "password": goodPassword})
					return out, out["id"].(string)
				}},
				{"email_code", func(b *latchtest.Browser) (map[string]any, string) {
					id := start(b)
					post(t, b, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_code"})
					out, _ := post(t, b, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": e.LastCode(t, email)})
					return out, id
				}},
				{"email_link same browser", func(b *latchtest.Browser) (map[string]any, string) {
					id := start(b)
					post(t, b, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_link"})
					res := b.Post("/v1/verify", url.Values{"token": {linkToken()}})
					if res.StatusCode >= 400 {
						t.Fatalf("link: %d", res.StatusCode)
					}
					out, _ := call(t, b, http.MethodGet, "/v1/client/sign_ins/"+id, nil)
					return out, id
				}},
				{"email_link other device, confirmed there", func(b *latchtest.Browser) (map[string]any, string) {
					id := start(b)
					post(t, b, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "email_link"})
					phone := e.browser()
					phone.Post("/v1/verify", url.Values{"token": {linkToken()}, "continue": {"there"}, "confirm": {"yes"}})
					if e.whoami(t, phone) != "signed-out" {
						t.Fatal("the device that opened the link was signed in")
					}
					out, _ := post(t, b, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "email_link"})
					return out, id
				}},
				{"email_link asked elsewhere, continued here", func(b *latchtest.Browser) (map[string]any, string) {
					asker := e.browser()
					asked := start(asker)
					post(t, asker, "/v1/client/sign_ins/"+asked+"/prepare_first_factor", map[string]any{"strategy": "email_link"})
					res := b.Post("/v1/verify", url.Values{"token": {linkToken()}, "continue": {"here"}})
					loc, _ := url.Parse(res.Header.Get("Location"))
					id := loc.Query().Get("sign_in_id")
					if id == "" {
						// Completed at once: the sign-in is the session's.
						return map[string]any{"status": latch.SignInComplete}, ""
					}
					out, _ := call(t, b, http.MethodGet, "/v1/client/sign_ins/"+id, nil)
					return out, id
				}},
				{"ticket", func(b *latchtest.Browser) (map[string]any, string) {
					tok, _, err := e.CreateSignInToken(ctx, uid, time.Hour)
					if err != nil {
						t.Fatal(err)
					}
					out, _ := post(t, b, "/v1/client/sign_ins", map[string]any{"strategy": "ticket", "ticket": tok})
					return out, out["id"].(string)
				}},
				{"reset_password_email_code", func(b *latchtest.Browser) (map[string]any, string) {
					id := start(b)
					post(t, b, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "reset_password_email_code"})
					out, status := post(t, b, "/v1/client/sign_ins/"+id+"/attempt_first_factor", map[string]any{"strategy": "reset_password_email_code", "code": e.LastCode(t, email)})
					mustStatus(t, out, status, latch.SignInNeedsNewPassword)
					out, _ = post(t, b, "/v1/client/sign_ins/"+id+"/reset_password", map[string]any{"password": "a brand new passphrase 42"})
					return out, id
				}},
				{"reset_password_email_link", func(b *latchtest.Browser) (map[string]any, string) {
					id := start(b)
					post(t, b, "/v1/client/sign_ins/"+id+"/prepare_first_factor", map[string]any{"strategy": "reset_password_email_link"})
					b.Post("/v1/verify", url.Values{"token": {linkToken()}})
					out, _ := post(t, b, "/v1/client/sign_ins/"+id+"/reset_password", map[string]any{"password": "another new passphrase 43"})
					return out, id
				}},
			}
			for _, path := range paths {
				t.Run(path.name, func(t *testing.T) {
					before := sessions()
					b := e.browser()
					out, id := path.run(b)
					if !enrolled {
						if out["status"] != latch.SignInComplete || e.whoami(t, b) != uid {
							t.Fatalf("without a second factor the path does not sign in: %v", out)
						}
						return
					}
					if out["status"] != latch.SignInNeedsSecondFactor {
						t.Errorf("status %v, want needs_second_factor: %v", out["status"], out)
					}
					if out["created_session_id"] != nil {
						t.Errorf("a session was created with one factor: %v", out["created_session_id"])
					}
					if got := e.whoami(t, b); got != "signed-out" {
						t.Errorf("the browser is signed in as %s with one factor", got)
					}
					if after := sessions(); after != before {
						t.Errorf("the user has %d sessions, %d before", after, before)
					}
					// No door left open at the second step either: a
					// factor the user lacks, or one the app does not offer,
					// is refused.
					for _, s := range []string{"totp", "backup_code", "email_code", "phone_code", "password"} {
						if (s == "totp" && combo.totp) || (s == "backup_code" && combo.backup) {
							continue
						}
						if out, status := attemptSecond(t, b, id, s, "123456"); status == http.StatusOK {
							t.Errorf("second factor %s, not set up, was accepted: %v", s, out)
						}
					}
					if got := e.whoami(t, b); got != "signed-out" {
						t.Errorf("signed in as %s after refused attempts", got)
					}
				})
			}
		})
	}
}
