package mfa_test

import (
	"context"
	"encoding/base32"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/mfa/mfatest"
)

// BenchmarkTOTPVerify measures one successful verification: read the
// secret, open the seed, compute and compare three codes, use the step up.
// Run with -benchmem.
func BenchmarkTOTPVerify(b *testing.B) {
	e := newEnv(b, nil, mfa.Config{})
	ctx := context.Background()
	u, err := e.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	seed := []byte("bench-seed-of-20-byt")
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(seed)
	if err := e.mfa.SetSeed(ctx, u.ID, seed); err != nil {
		b.Fatal(err)
	}
	at := &latch.Attempt{Purpose: latch.PurposeSignIn, UserID: u.ID}
	s := e.mfa.TOTP()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		e.Clock.Advance(30 * time.Second)
		code := mfatest.Code(b, secret, e.Clock.Now())
		b.StartTimer()
		if _, err := s.Verify(ctx, at, latch.AttemptParams{Code: code}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzNormalizeCode checks the code normaliser on any input: it never
// panics, is idempotent, leaves no space, dash or upper-case letter, and
// only ever removes characters or lowercases them.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"123456", "123 456", " 12-34-56 ", "ABCDEF-ghijkl", "１２３\u00a0４５６", "12\u200b34\u201156", "\xff\xfe", "İSTANBUL", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := mfa.NormalizeCode(s)
		if mfa.NormalizeCode(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, mfa.NormalizeCode(n))
		}
		if !utf8.ValidString(n) {
			t.Fatalf("invalid UTF-8 out of %q: %q", s, n)
		}
		for _, r := range n {
			if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || unicode.IsUpper(r) && unicode.ToLower(r) != r {
				t.Fatalf("%q kept %q in %q", s, r, n)
			}
		}
		if utf8.RuneCountInString(n) > utf8.RuneCountInString(s) {
			t.Fatalf("%q grew to %q", s, n)
		}
		if ascii := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s); strings.Trim(s, " -0123456789") == "" && n != ascii {
			t.Fatalf("digits with spaces and dashes %q normalised to %q, want %q", s, n, ascii)
		}
	})
}
