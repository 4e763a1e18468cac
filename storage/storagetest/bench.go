package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch/storage"
)

// seedBatch is how many users one seeding transaction creates.
const seedBatch = 5000

// RunBenchmarks measures the calls on the hot paths of sign-in and token
// refresh at two sizes, in sub-benchmarks named "users=1000" and
// "users=100000", each with GetUserByEmail, GetSession and
// ConsumeVerification. It calls newStore once per size and seeds it, in
// transactions of a few thousand users, with users that each have a
// verified email address, a client and a session, and as many live
// verifications; a lookup should cost about the same at both sizes.
func RunBenchmarks(b *testing.B, newStore func(t testing.TB) storage.Store) {
	for _, size := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", size), func(b *testing.B) {
			if size > 1000 && testing.Short() {
				b.Skip("the 100k-user store takes a while to seed; run without -short to measure it")
			}
			e := &env{t: b, ctx: context.Background(), s: newStore(b)}
			emails, sessions := e.seedUsers(size)
			verifications := e.seedVerifications(size)
			b.Run("GetUserByEmail", func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if _, err := e.s.GetUserByIdentifier(e.ctx, storage.KindEmailAddress, emails[i*7919%size]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("GetSession", func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if _, err := e.s.GetSession(e.ctx, sessions[i*7919%size]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("ConsumeVerification", func(b *testing.B) {
				if len(verifications) < b.N { // each one is consumed once
					verifications = append(verifications, e.seedVerifications(b.N-len(verifications))...)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if _, err := e.s.ConsumeVerification(e.ctx, verifications[i], at(0)); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				verifications = verifications[b.N:]
			})
		})
	}
}

// inBatches calls fn for i in [0, count) inside transactions of seedBatch
// calls each.
func (e *env) inBatches(count int, fn func(q storage.Querier, i int) error) {
	e.t.Helper()
	for start := 0; start < count; start += seedBatch {
		e.ok(e.s.InTx(e.ctx, func(q storage.Querier) error {
			for i := start; i < min(start+seedBatch, count); i++ {
				if err := fn(q, i); err != nil {
					return err
				}
			}
			return nil
		}), "seeding")
	}
}

// seedUsers creates count users, each with a verified email, a client and a
// session, and returns the emails and session IDs.
func (e *env) seedUsers(count int) (emails, sessions []string) {
	emails, sessions = make([]string, count), make([]string, count)
	e.inBatches(count, func(q storage.Querier, i int) error {
		u, c := newUser(), newClient()
		emails[i] = fmt.Sprintf("bench-%d@example.com", i)
		s := newSession(c.ID, u.ID)
		sessions[i] = s.ID
		return errorsOf(q.CreateUser(e.ctx, u), q.CreateIdentifier(e.ctx, newEmail(u.ID, emails[i], true)),
			q.CreateClient(e.ctx, c), q.CreateSession(e.ctx, s))
	})
	return emails, sessions
}

// seedVerifications creates count live verifications and returns their IDs.
func (e *env) seedVerifications(count int) []string {
	out := make([]string, count)
	e.inBatches(count, func(q storage.Querier, i int) error {
		v := newVerification("email_code")
		v.ExpiresAt, v.MaxAttempts = at(24*time.Hour), 0
		out[i] = v.ID
		return q.CreateVerification(e.ctx, v)
	})
	return out
}

// errorsOf returns the first error of a sequence of calls made in order.
func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
