package storagetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

func txTests() []test {
	return group("Transactions",
		test{"commit makes every write visible", func(e *env) {
			u := newUser()
			e.ok(e.s.InTx(e.ctx, func(q storage.Querier) error {
				if err := q.CreateUser(e.ctx, u); err != nil {
					return err
				}
				if err := q.CreateIdentifier(e.ctx, newEmail(u.ID, "tx@example.com", true)); err != nil {
					return err
				}
				return q.AppendEvent(e.ctx, newEvent("user.created"))
			}), "InTx")
			if got := must(e.s.GetUserByIdentifier(e.ctx, storage.KindEmailAddress, "tx@example.com"))(e); got.ID != u.ID {
				e.t.Errorf("GetUserByIdentifier after commit = %s, want %s", got.ID, u.ID)
			}
			if evs := must(e.s.ListEvents(e.ctx, "", false, 10))(e); len(evs) != 1 {
				e.t.Errorf("ListEvents after commit: %d events, want 1", len(evs))
			}
		}},
		test{"reads inside see writes made earlier in the transaction", func(e *env) {
			u := newUser()
			e.ok(e.s.InTx(e.ctx, func(q storage.Querier) error {
				if err := q.CreateUser(e.ctx, u); err != nil {
					return err
				}
				if err := q.CreateIdentifier(e.ctx, newEmail(u.ID, "own@example.com", true)); err != nil {
					return err
				}
				if _, err := q.GetUserByIdentifier(e.ctx, storage.KindEmailAddress, "OWN@example.com"); err != nil {
					return fmt.Errorf("GetUserByIdentifier inside the transaction: %w", err)
				}
				if n, err := capOf[storage.AdminStore](e, q).CountUsers(e.ctx, storage.UserFilter{EmailAddress: "own@example.com"}); err != nil || n != 1 {
					return fmt.Errorf("CountUsers inside the transaction = %d, %v; want 1", n, err)
				}
				return nil
			}), "InTx")
		}},
		test{"an error from fn rolls back every write and is returned unchanged", func(e *env) {
			old := e.user()
			org := e.org()
			create(e, e.members().CreateMembership, newMembership(org.ID, old.ID))
			v := create(e, e.s.CreateVerification, newVerification("email_code"))
			ev := create(e, e.s.AppendEvent, newEvent("user.created"))
			sess := e.session(old.ID)
			n := newUser()
			err := e.s.InTx(e.ctx, func(q storage.Querier) error {
				steps := []error{
					q.CreateUser(e.ctx, n),
					q.CreateIdentifier(e.ctx, newEmail(n.ID, "rolled@example.com", true)),
					q.AppendEvent(e.ctx, newEvent("user.created")),
					q.AppendAuditEvent(e.ctx, newAudit("user.created", n.ID)),
					q.UpdateUser(e.ctx, &storage.User{ID: old.ID, Username: "renamed", Version: old.Version}),
					capOf[storage.OrganizationStore](e, q).DeleteOrganization(e.ctx, org.ID),
					q.MarkEventDispatched(e.ctx, ev.ID, at(0)),
					q.TouchSession(e.ctx, sess.ID, at(time.Hour)),
				}
				_, err := q.ConsumeVerification(e.ctx, v.ID, at(0))
				steps = append(steps, err)
				_, err = q.RecordFailedSignIn(e.ctx, old.ID, at(time.Hour))
				steps = append(steps, err)
				_, err = q.EndSessions(e.ctx, storage.SessionFilter{UserID: old.ID}, storage.SessionRevoked, at(0))
				steps = append(steps, err, q.DeleteUser(e.ctx, old.ID))
				if err := errors.Join(steps...); err != nil {
					return fmt.Errorf("a step inside the transaction failed: %w", err)
				}
				return errBoom
			})
			if err != errBoom {
				e.t.Fatalf("InTx must return fn's error unchanged: got %v", err)
			}
			_, err = e.s.GetUser(e.ctx, n.ID)
			e.is(err, storage.ErrNotFound, "a user created in a failed transaction must not exist")
			_, err = e.s.FindIdentifier(e.ctx, storage.KindEmailAddress, "rolled@example.com")
			e.is(err, storage.ErrNotFound, "an identifier created in a failed transaction must not exist")
			if evs := must(e.s.ListEvents(e.ctx, "", false, 10))(e); len(evs) != 1 || !evs[0].DispatchedAt.IsZero() {
				e.t.Errorf("events after a failed transaction: %d, want the 1 undispatched from before", len(evs))
			}
			if evs, _, _ := e.admin().ListAuditEvents(e.ctx, storage.AuditFilter{}, storage.Page{}); len(evs) != 0 {
				e.t.Errorf("audit events after a failed transaction: %d, want 0", len(evs))
			}
			e.same("a user updated, locked and deleted in a failed transaction is unchanged", must(e.s.GetUser(e.ctx, old.ID))(e), old)
			e.same("sessions touched and ended in a failed transaction are unchanged", must(e.s.GetSession(e.ctx, sess.ID))(e), sess)
			must(e.orgs().GetOrganizationBySlug(e.ctx, org.Slug))(e)
			must(e.members().GetMembership(e.ctx, org.ID, old.ID))(e)
			must(e.s.ConsumeVerification(e.ctx, v.ID, at(0)))(e)
			// The unique keys the failed transaction took are free.
			create(e, e.s.CreateUser, n)
			create(e, e.s.CreateIdentifier, newEmail(n.ID, "rolled@example.com", true))
			other := newUser()
			other.Username = "renamed"
			create(e, e.s.CreateUser, other)
		}},
		test{"a sentinel error from fn is returned and rolls back", func(e *env) {
			taken := create(e, e.s.CreateIdentifier, newEmail(e.user().ID, "taken@example.com", true))
			u := newUser()
			err := e.s.InTx(e.ctx, func(q storage.Querier) error {
				if err := q.CreateUser(e.ctx, u); err != nil {
					return err
				}
				return q.CreateIdentifier(e.ctx, newEmail(u.ID, taken.Value, true))
			})
			e.is(err, storage.ErrConflict, "InTx returns fn's error")
			_, err = e.s.GetUser(e.ctx, u.ID)
			e.is(err, storage.ErrNotFound, "the user of a failed sign-up must not exist")
		}},
		test{"a panicking fn rolls back and InTx re-panics", func(e *env) {
			u := newUser()
			recovered := func() (r any) {
				defer func() { r = recover() }()
				_ = e.s.InTx(e.ctx, func(q storage.Querier) error {
					if err := q.CreateUser(e.ctx, u); err != nil {
						return err
					}
					if err := q.CreateIdentifier(e.ctx, newEmail(u.ID, "panic@example.com", true)); err != nil {
						return err
					}
					panic(errBoom)
				})
				return nil
			}()
			if recovered != errBoom {
				e.t.Fatalf("InTx must re-panic with fn's value: recovered %v", recovered)
			}
			_, err := e.s.GetUser(e.ctx, u.ID)
			e.is(err, storage.ErrNotFound, "a user created before a panic must not exist")
			create(e, e.s.CreateUser, u) // and the store is still usable
			create(e, e.s.CreateIdentifier, newEmail(u.ID, "panic@example.com", true))
		}},
		test{"conditional operations keep their guarantees inside", func(e *env) {
			v := create(e, e.s.CreateVerification, newVerification("email_code"))
			e.ok(e.s.InTx(e.ctx, func(q storage.Querier) error {
				if _, err := q.ConsumeVerification(e.ctx, v.ID, at(0)); err != nil {
					return err
				}
				if _, err := q.ConsumeVerification(e.ctx, v.ID, at(0)); !errors.Is(err, storage.ErrConsumed) {
					return fmt.Errorf("second ConsumeVerification in one transaction: got %v, want ErrConsumed", err)
				}
				return nil
			}), "InTx")
			_, err := e.s.ConsumeVerification(e.ctx, v.ID, at(0))
			e.is(err, storage.ErrConsumed, "ConsumeVerification after a committed consumption")
		}},
	)
}

// n is the number of goroutines of each concurrency test.
const n = 32

func concurrencyTests() []test {
	c := func(what string, fn func(e *env)) test {
		if strings.Contains(what, "%d") {
			what = fmt.Sprintf(what, n)
		}
		return test{what, fn}
	}
	return group("Concurrency",
		c("ConsumeVerification %d goroutines exactly one wins", func(e *env) {
			v := create(e, e.s.CreateVerification, newVerification("email_link"))
			e.exactlyOne("ConsumeVerification", race(n, func(int) error {
				_, err := e.s.ConsumeVerification(e.ctx, v.ID, at(0))
				return err
			}), storage.ErrConsumed)
		}),
		c("CreateUser same email %d goroutines exactly one user", func(e *env) {
			spellings := []string{"race@example.com", "Race@Example.com", "RACE@example.com ", "ｒace@example.com"}
			errs := race(n, func(i int) error {
				return e.s.InTx(e.ctx, func(q storage.Querier) error {
					u := newUser()
					if err := q.CreateUser(e.ctx, u); err != nil {
						return err
					}
					return q.CreateIdentifier(e.ctx, newEmail(u.ID, spellings[i%len(spellings)], true))
				})
			})
			e.exactlyOne("sign-ups with one verified email", errs, storage.ErrConflict)
			if got := must(e.admin().CountUsers(e.ctx, storage.UserFilter{}))(e); got != 1 {
				e.t.Errorf("CountUsers = %d, want 1: failed sign-ups must leave no user behind", got)
			}
			must(e.s.GetUserByIdentifier(e.ctx, storage.KindEmailAddress, "race@example.com"))(e)
		}),
		c("UpdateUser no lost writes", func(e *env) {
			u := newUser()
			u.PublicMetadata = nil
			create(e, e.s.CreateUser, u)
			errs := race(n, func(i int) error {
				for range 10 * n * n {
					cur, err := e.s.GetUser(e.ctx, u.ID)
					if err != nil {
						return err
					}
					m := map[string]int{}
					if cur.PublicMetadata != nil {
						if err := json.Unmarshal(cur.PublicMetadata, &m); err != nil {
							return err
						}
					}
					m[fmt.Sprintf("g%02d", i)] = i
					if cur.PublicMetadata, err = json.Marshal(m); err != nil {
						return err
					}
					if err = e.s.UpdateUser(e.ctx, cur); !errors.Is(err, storage.ErrStale) {
						return err
					}
				}
				return errors.New("gave up retrying on ErrStale")
			})
			for _, err := range errs {
				e.ok(err, "read-modify-UpdateUser retrying on ErrStale")
			}
			got := must(e.s.GetUser(e.ctx, u.ID))(e)
			var m map[string]int
			e.ok(json.Unmarshal(got.PublicMetadata, &m), "decoding metadata")
			if len(m) != n || got.Version != n+1 {
				e.t.Errorf("after %d concurrent updates: %d keys, Version %d; want %d keys and Version %d (a lost write)", n, len(m), got.Version, n, n+1)
			}
		}),
		c("ConsumeBackupCode %d goroutines exactly one wins", func(e *env) {
			u := e.user()
			e.ok(e.s.ReplaceBackupCodes(e.ctx, u.ID, []*storage.BackupCode{newBackupCode(u.ID, "a"), newBackupCode(u.ID, "b")}), "ReplaceBackupCodes")
			e.exactlyOne("ConsumeBackupCode", race(n, func(int) error {
				return e.s.ConsumeBackupCode(e.ctx, u.ID, []byte("sha256:a"), at(0))
			}), storage.ErrConsumed)
		}),
		c("AdvanceTOTPStep %d goroutines exactly one wins", func(e *env) {
			s := create(e, e.s.PutTOTPSecret, newTOTP(e.user().ID))
			e.exactlyOne("AdvanceTOTPStep with one step", race(n, func(int) error {
				return e.s.AdvanceTOTPStep(e.ctx, s.UserID, s.LastUsedStep+1, at(0))
			}), storage.ErrConsumed)
		}),
		c("RecordCredentialUse same count %d goroutines exactly one wins", func(e *env) {
			c := create(e, e.s.CreateCredential, newCredential(e.user().ID))
			e.exactlyOne("RecordCredentialUse with one count", race(n, func(i int) error {
				return e.s.RecordCredentialUse(e.ctx, c.ID, c.SignCount+1, i%2 == 0, at(time.Duration(i)*time.Second))
			}), storage.ErrConsumed)
			if got := must(e.s.GetCredential(e.ctx, c.ID))(e); got.SignCount != c.SignCount+1 {
				e.t.Errorf("SignCount = %d after the race, want %d", got.SignCount, c.SignCount+1)
			}
		}),
		c("TransitionInvitation %d goroutines exactly one wins", func(e *env) {
			inv := create(e, e.s.CreateInvitation, newInvitation(e.org().ID))
			e.exactlyOne("TransitionInvitation pending to accepted", race(n, func(int) error {
				return e.s.TransitionInvitation(e.ctx, inv.ID, storage.InvitationPending, storage.InvitationAccepted, at(0))
			}), storage.ErrConsumed)
		}),
		c("MarkEventDispatched %d goroutines exactly one wins", func(e *env) {
			ev := create(e, e.s.AppendEvent, newEvent("user.created"))
			e.exactlyOne("MarkEventDispatched", race(n, func(int) error {
				return e.s.MarkEventDispatched(e.ctx, ev.ID, at(0))
			}), storage.ErrConsumed)
		}),
		c("RecordVerificationAttempt %d goroutines never exceed MaxAttempts", func(e *env) {
			v := newVerification("email_code")
			v.MaxAttempts = 5
			create(e, e.s.CreateVerification, v)
			wins := 0
			for _, err := range race(n, func(int) error {
				_, err := e.s.RecordVerificationAttempt(e.ctx, v.ID, at(0))
				return err
			}) {
				if err == nil {
					wins++
				} else {
					e.is(err, storage.ErrConsumed, "an attempt beyond MaxAttempts")
				}
			}
			if got := must(e.s.GetVerification(e.ctx, v.ID))(e); wins != 5 || got.Attempts != 5 {
				e.t.Errorf("%d concurrent attempts with MaxAttempts 5: %d counted, Attempts %d; want 5 and 5", n, wins, got.Attempts)
			}
		}),
		c("UpdateSigningKey same version %d goroutines exactly one wins", func(e *env) {
			k := create(e, e.s.CreateSigningKey, newSigningKey(storage.KeyNext))
			e.exactlyOne("rotating one key version", race(n, func(int) error {
				upd := *k
				upd.State = storage.KeyCurrent
				return e.s.UpdateSigningKey(e.ctx, &upd)
			}), storage.ErrStale)
		}),
		c("CreateOrganization same slug %d goroutines exactly one wins", func(e *env) {
			orgs := e.orgs() // skips here, on the test's goroutine, if the store has no organizations
			e.exactlyOne("organizations with one slug", race(n, func(i int) error {
				o := newOrg()
				o.Slug = []string{"acme", "ACME", "ａｃｍｅ", " acme"}[i%4]
				return orgs.CreateOrganization(e.ctx, o)
			}), storage.ErrConflict)
		}),
	)
}
