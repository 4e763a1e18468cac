package latch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage/sqlitestore"
)

type discardMailer struct{}

func (discardMailer) Send(context.Context, *mail.Message) error { return nil }

// BenchmarkSignIn measures a whole password sign-in through the JSON API on
// SQLite (flow, password check, session, cookies): "sign-in" with the
// default argon2id, "hash-only" the password verification alone, and
// "latch-work" the same sign-in with a trivially cheap hash, which is the
// work Latch adds to the hash. latch-work / sign-in is the share of the
// total that is not the hash.
func BenchmarkSignIn(b *testing.B) {
	run := func(b *testing.B, hasher password.Config, hashOnly bool) {
		ctx := context.Background()
		db, err := sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		// The limiter is consulted as in production, with limits no
		// benchmark reaches: the work is measured, not refused.
		lots := ratelimit.Limit{Rate: 1 << 30, Period: time.Second, Burst: 1 << 30}
		limits := Limits{PerIP: lots, SignInPerIdentifier: lots, Lockout: lots, SignInPerIPIdentifier: lots,
			SendsPerIdentifier: lots, SendsPerIP: lots, SMSPerPrefix: lots, SignUpsPerIP: lots}
		a, err := New(Config{Store: db, Secrets: [][]byte{[]byte(strings.Repeat("s", 32))}, Logger: discardLogger(),
			Mailer: discardMailer{}, Password: PasswordConfig{Hasher: hasher}, Protection: ProtectionConfig{Limits: limits}})
		if err != nil {
			b.Fatal(err)
		}
		const pw = "correct horse battery staple 42"
		hash, err := a.passwords.Hash(ctx, pw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.createUser(ctx, CreateUserParams{EmailAddresses: []string{"ada@example.com"}}, "admin", hash); err != nil {
			b.Fatal(err)
		}
		h := a.Handler()
		body := `{"identifier":"ada@example.com","password":"` + pw + `"}`
		b.ReportAllocs()
		for b.Loop() {
			if hashOnly {
				if ok, _, _ := a.passwords.Verify(ctx, pw, hash); !ok {
					b.Fatal("mismatch")
				}
				continue
			}
			r := httptest.NewRequest("POST", "/v1/client/sign_ins", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"complete"`) {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
		b.StopTimer()
		a.Flush()
	}
	b.Run("sign-in", func(b *testing.B) { run(b, password.Config{}, false) })
	b.Run("hash-only", func(b *testing.B) { run(b, password.Config{}, true) })
	b.Run("latch-work", func(b *testing.B) {
		run(b, password.Config{InsecureWeakParameters: true, Argon2: password.Argon2Params{MemoryKiB: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}}, false)
	})
}
