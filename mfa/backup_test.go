package mfa_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/mfa/mfatest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

var backupRE = regexp.MustCompile(`^[a-z2-7]{6}-[a-z2-7]{6}-[a-z2-7]{6}-[a-z2-7]{6}$`)

// TestBackupCodesShape: a set-up shows ten distinct codes of 120 bits
// once, and only keyed hashes are stored.
func TestBackupCodesShape(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, mfa.Config{})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, uid)
		_, codes := mfatest.EnrolTOTP(t, b, e.Clock)
		if len(codes) != 10 {
			t.Fatalf("%d backup codes, want 10", len(codes))
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if !backupRE.MatchString(c) || seen[c] {
				t.Errorf("code %q is malformed or repeated", c)
			}
			seen[c] = true
		}
		stored, err := s.ListBackupCodes(context.Background(), uid)
		if err != nil || len(stored) != 10 {
			t.Fatalf("stored: %d, %v", len(stored), err)
		}
		for _, r := range stored {
			for _, c := range codes {
				plain := strings.ReplaceAll(c, "-", "")
				if bytes.Contains(r.CodeHash, []byte(plain)) || bytes.Contains(r.CodeHash, []byte(c)) || len(r.CodeHash) != 32 {
					t.Fatal("a backup code is stored in clear")
				}
			}
		}
		// Shown once: a second set-up answer has none, regenerating replaces
		// the whole set.
		out, status := post(t, b, "/v1/me/backup_codes", map[string]any{})
		if status != http.StatusOK {
			t.Fatalf("regenerate: %d %v", status, out)
		}
		fresh := out["backup_codes"].([]any)
		if len(fresh) != 10 || seen[fresh[0].(string)] {
			t.Fatalf("regenerated: %v", fresh)
		}
		b2, out := e.signInPassword(t, "ada@example.com")
		if out, status := attemptSecond(t, b2, out["id"].(string), "backup_code", codes[0]); status == http.StatusOK {
			t.Fatalf("an old code works after regenerating: %v", out)
		}
	})
}

// TestBackupCodesNeedAnotherFactor: backup codes stand in for a factor;
// alone they are refused.
func TestBackupCodesNeedAnotherFactor(t *testing.T) {
	e := newEnv(t, nil, mfa.Config{})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	b := e.browser()
	latchtest.SignIn(t, e.Auth, b, uid)
	if out, status := post(t, b, "/v1/me/backup_codes", map[string]any{}); status != http.StatusUnprocessableEntity || errCode(out) != mfa.ErrNeedsAnotherFactor.Code {
		t.Fatalf("backup codes without a factor: %d %v", status, out)
	}
}

// TestBackupCodeReuse: a backup code signs in once, typed any way; the
// user is told, with how many remain.
func TestBackupCodeReuse(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, mfa.Config{})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, uid)
		_, codes := mfatest.EnrolTOTP(t, b, e.Clock)

		b1, out := e.signInPassword(t, "ada@example.com")
		typed := " " + strings.ToUpper(strings.ReplaceAll(codes[3], "-", " ")) + " "
		out, status := attemptSecond(t, b1, out["id"].(string), "backup_code", typed)
		mustStatus(t, out, status, latch.SignInComplete)
		if e.whoami(t, b1) != uid {
			t.Fatal("the backup code did not sign in")
		}
		text := e.mailText("ada@example.com", "backup code was used")
		if !strings.Contains(text, "9 codes remain.") {
			t.Errorf("notification: %q", text)
		}
		for _, again := range []string{codes[3], strings.ReplaceAll(codes[3], "-", "")} {
			b2, out := e.signInPassword(t, "ada@example.com")
			out, status = attemptSecond(t, b2, out["id"].(string), "backup_code", again)
			if status == http.StatusOK || errCode(out) != "form_code_incorrect" {
				t.Fatalf("a used backup code signed in again: %d %v", status, out)
			}
		}
		if n, _ := e.mfa.BackupCodes().Remaining(context.Background(), uid); n != 9 {
			t.Errorf("%d codes remain, want 9", n)
		}
		// Another user's code is nothing to this user.
		other := e.browser()
		oid := e.SignUpOn(t, other, "bea@example.com", goodPassword)
		latchtest.SignIn(t, e.Auth, other, oid)
		_, theirs := mfatest.EnrolTOTP(t, other, e.Clock)
		b3, out := e.signInPassword(t, "ada@example.com")
		if out, status := attemptSecond(t, b3, out["id"].(string), "backup_code", theirs[0]); status == http.StatusOK {
			t.Fatalf("another user's backup code signed in: %v", out)
		}
	})
}

// TestConcurrentBackupCodeOneWins: 32 sign-ins racing with one backup
// code; exactly one gets a session.
func TestConcurrentBackupCodeOneWins(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, mfa.Config{})
		uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, uid)
		_, codes := mfatest.EnrolTOTP(t, b, e.Clock)
		raceSecondFactor(t, e, "backup_code", func(int) string { return codes[0] })
		if n, _ := e.mfa.BackupCodes().Remaining(context.Background(), uid); n != 9 {
			t.Errorf("%d codes remain, want 9", n)
		}
	})
}

// TestBackupCodesSurviveSecretRotation: putting a new secret first (the
// documented rotation) leaves the authenticator app and the backup codes
// working, since seeds are sealed with their key ID and codes hashed
// without a key.
func TestBackupCodesSurviveSecretRotation(t *testing.T) {
	store := memstore.New()
	e := newEnv(t, store, mfa.Config{})
	b := e.browser()
	e.SignUpOn(t, b, "ada@example.com", goodPassword)
	secret, codes := mfatest.EnrolTOTP(t, b, e.Clock)

	rotated := newEnv(t, store, mfa.Config{}, func(c *latch.Config) {
		c.Secrets = [][]byte{[]byte(strings.Repeat("n", 32)), []byte(strings.Repeat("s", 32))}
		c.Clock = e.Clock.Now
	})
	for _, strategy := range []string{"backup_code", "totp"} {
		b := rotated.browser()
		out, _ := post(t, b, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
		id := out["id"].(string)
		post(t, b, "/v1/client/sign_ins/"+id+"/prepare_second_factor", map[string]any{"strategy": strategy})
		code := codes[0]
		if strategy == "totp" {
			code = mfatest.Code(t, secret, e.Clock.Now())
		}
		out, status := post(t, b, "/v1/client/sign_ins/"+id+"/attempt_second_factor", map[string]any{"strategy": strategy, "code": code})
		mustStatus(t, out, status, latch.SignInComplete)
	}
}
