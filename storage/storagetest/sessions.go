package storagetest

import (
	"slices"
	"time"

	"github.com/latchauth/latch/storage"
)

// sessionIDs returns the IDs of every session matching f, in ID order.
func (e *env) sessionIDs(f storage.SessionFilter) []string {
	e.t.Helper()
	ss, _, err := e.s.ListSessions(e.ctx, f, storage.Page{Limit: storage.MaxLimit})
	e.ok(err, "ListSessions")
	return ids(ss)
}

func clientTests() []test {
	return group("Clients",
		test{"UpdateClient checks and increments the version", func(e *env) {
			c := e.client()
			old := *c
			c.ActiveSessionID, c.SecretHash, c.LastActiveAt = "", []byte("rotated"), at(time.Hour)
			e.ok(e.s.UpdateClient(e.ctx, c), "UpdateClient")
			if c.Version != 2 {
				e.t.Errorf("UpdateClient must increment c.Version: got %d", c.Version)
			}
			e.same("UpdateClient replaces every field", must(e.s.GetClient(e.ctx, c.ID))(e), c)
			e.is(e.s.UpdateClient(e.ctx, &old), storage.ErrStale, "UpdateClient with an old version")
			e.is(e.s.CreateClient(e.ctx, &old), storage.ErrConflict, "CreateClient with an ID in use")
			missing := newClient()
			_, err := e.s.GetClient(e.ctx, missing.ID)
			e.is(err, storage.ErrNotFound, "GetClient")
			e.is(e.s.UpdateClient(e.ctx, missing), storage.ErrNotFound, "UpdateClient")
			e.is(e.admin().DeleteClient(e.ctx, missing.ID), storage.ErrNotFound, "DeleteClient")
		}},
		test{"GetClientSession reads a client and one of its sessions together", func(e *env) {
			u := e.user()
			c, other := e.client(), e.client()
			s1 := create(e, e.s.CreateSession, newSession(c.ID, u.ID))
			s2 := create(e, e.s.CreateSession, newSession(c.ID, u.ID))
			foreign := create(e, e.s.CreateSession, newSession(other.ID, u.ID))
			c.ActiveSessionID = s2.ID
			e.ok(e.s.UpdateClient(e.ctx, c), "UpdateClient")

			gc, gs, err := e.s.GetClientSession(e.ctx, c.ID, s1.ID)
			e.ok(err, "GetClientSession by session ID")
			e.same("GetClientSession returns the client", gc, c)
			e.same("GetClientSession returns the named session", gs, s1)
			_, gs, err = e.s.GetClientSession(e.ctx, c.ID, "")
			e.ok(err, "GetClientSession of the active session")
			e.same(`GetClientSession with "" returns the client's active session`, gs, s2)

			_, _, err = e.s.GetClientSession(e.ctx, c.ID, foreign.ID)
			e.is(err, storage.ErrNotFound, "GetClientSession of another client's session")
			_, _, err = e.s.GetClientSession(e.ctx, newClient().ID, s1.ID)
			e.is(err, storage.ErrNotFound, "GetClientSession of a missing client")
			_, _, err = e.s.GetClientSession(e.ctx, other.ID, "")
			e.is(err, storage.ErrNotFound, "GetClientSession of a client without an active session")
		}},
		test{"DeleteClient cascades to its sessions", func(e *env) {
			u := e.user()
			c, other := e.client(), e.client()
			s1 := create(e, e.s.CreateSession, newSession(c.ID, u.ID))
			s2 := create(e, e.s.CreateSession, newSession(c.ID, e.user().ID))
			keep := create(e, e.s.CreateSession, newSession(other.ID, u.ID))
			e.ok(e.admin().DeleteClient(e.ctx, c.ID), "DeleteClient")
			for _, id := range []string{s1.ID, s2.ID} {
				_, err := e.s.GetSession(e.ctx, id)
				e.is(err, storage.ErrNotFound, "DeleteClient must delete the client's sessions")
			}
			must(e.s.GetSession(e.ctx, keep.ID))(e)
			must(e.s.GetUser(e.ctx, u.ID))(e)
		}},
	)
}

func sessionTests() []test {
	return group("Sessions",
		test{"CreateSession needs its client and user", func(e *env) {
			u, c := e.user(), e.client()
			e.is(e.s.CreateSession(e.ctx, newSession(newClient().ID, u.ID)), storage.ErrNotFound, "CreateSession for a missing client")
			e.is(e.s.CreateSession(e.ctx, newSession(c.ID, newUser().ID)), storage.ErrNotFound, "CreateSession for a missing user")
			s := create(e, e.s.CreateSession, newSession(c.ID, u.ID))
			if s.Version != 1 {
				e.t.Errorf("CreateSession must set Version to 1, got %d", s.Version)
			}
			dup := newSession(c.ID, u.ID)
			dup.ID = s.ID
			e.is(e.s.CreateSession(e.ctx, dup), storage.ErrConflict, "CreateSession with an ID in use")
			_, err := e.s.GetSession(e.ctx, newSession(c.ID, u.ID).ID)
			e.is(err, storage.ErrNotFound, "GetSession of a missing session")
		}},
		test{"UpdateSession checks and increments the version", func(e *env) {
			s := e.session(e.user().ID)
			old := *s
			s.ActiveOrganizationID, s.SecondFactorAt, s.AMR = e.org().ID, atB(time.Minute), []string{"pwd", "hwk"}
			e.ok(e.s.UpdateSession(e.ctx, s), "UpdateSession")
			if s.Version != 2 {
				e.t.Errorf("UpdateSession must increment s.Version: got %d", s.Version)
			}
			e.same("UpdateSession replaces every field", must(e.s.GetSession(e.ctx, s.ID))(e), s)
			e.is(e.s.UpdateSession(e.ctx, &old), storage.ErrStale, "UpdateSession with an old version")
			e.is(e.s.UpdateSession(e.ctx, newSession(s.ClientID, s.UserID)), storage.ErrNotFound, "UpdateSession of a missing session")
		}},
		test{"TouchSession only moves forward and keeps the version", func(e *env) {
			s := e.session(e.user().ID)
			want := *s
			e.ok(e.s.TouchSession(e.ctx, s.ID, atB(time.Minute)), "TouchSession")
			want.LastActiveAt = at(time.Minute)
			e.same("TouchSession sets LastActiveAt only", must(e.s.GetSession(e.ctx, s.ID))(e), &want)
			e.ok(e.s.TouchSession(e.ctx, s.ID, at(-time.Hour)), "TouchSession with an earlier time")
			e.same("TouchSession with an earlier time changes nothing", must(e.s.GetSession(e.ctx, s.ID))(e), &want)
			e.ok(e.s.UpdateSession(e.ctx, &want), "UpdateSession after TouchSession with the version read before it")
			must(e.s.EndSessions(e.ctx, storage.SessionFilter{UserID: s.UserID}, storage.SessionEnded, at(2*time.Minute)))(e)
			e.is(e.s.TouchSession(e.ctx, s.ID, at(time.Hour)), storage.ErrNotFound, "TouchSession of an ended session")
			e.is(e.s.TouchSession(e.ctx, newSession("", "").ID, at(time.Hour)), storage.ErrNotFound, "TouchSession of a missing session")
		}},
		test{"ListSessions filters", func(e *env) {
			a, b := e.user(), e.user()
			c1, c2 := e.client(), e.client()
			mk := func(c *storage.Client, u *storage.User, status string) string {
				s := newSession(c.ID, u.ID)
				s.Status = status
				return create(e, e.s.CreateSession, s).ID
			}
			a1, a2, a3 := mk(c1, a, storage.SessionActive), mk(c2, a, storage.SessionActive), mk(c1, a, storage.SessionRevoked)
			b1 := mk(c1, b, storage.SessionActive)
			for _, c := range []struct {
				name string
				f    storage.SessionFilter
				want []string
			}{
				{"all", storage.SessionFilter{}, []string{a1, a2, a3, b1}},
				{"user", storage.SessionFilter{UserID: a.ID}, []string{a1, a2, a3}},
				{"client", storage.SessionFilter{ClientID: c1.ID}, []string{a1, a3, b1}},
				{"user and client", storage.SessionFilter{UserID: a.ID, ClientID: c1.ID}, []string{a1, a3}},
				{"status", storage.SessionFilter{Status: storage.SessionActive}, []string{a1, a2, b1}},
				{"except", storage.SessionFilter{UserID: a.ID, ExceptID: a1}, []string{a2, a3}},
				{"no match", storage.SessionFilter{UserID: b.ID, ClientID: c2.ID}, nil},
			} {
				if got := e.sessionIDs(c.f); !slices.Equal(got, c.want) && len(got)+len(c.want) > 0 {
					e.t.Errorf("ListSessions(%s): got %q, want %q", c.name, got, c.want)
				}
			}
		}},
		test{"EndSessions ends active matching sessions except one", func(e *env) {
			u := e.user()
			s1, s2, s3 := e.session(u.ID), e.session(u.ID), e.session(u.ID)
			revoked := newSession(e.client().ID, u.ID)
			revoked.Status, revoked.EndedAt = storage.SessionRevoked, at(-time.Minute)
			create(e, e.s.CreateSession, revoked)
			other := e.session(e.user().ID)

			ended, err := e.s.EndSessions(e.ctx, storage.SessionFilter{}, storage.SessionRevoked, at(0))
			e.ok(err, "EndSessions with an empty filter")
			if len(ended) != 0 {
				e.t.Fatalf("EndSessions with an empty filter must end nothing, ended %q", ended)
			}
			ended = must(e.s.EndSessions(e.ctx, storage.SessionFilter{UserID: u.ID, ExceptID: s1.ID}, storage.SessionRevoked, atB(time.Hour)))(e)
			slices.Sort(ended)
			e.sameIDs("EndSessions returns the IDs it ended", ended, []string{s2.ID, s3.ID})
			for _, s := range []*storage.Session{s2, s3} {
				want := *s
				want.Status, want.EndedAt, want.UpdatedAt, want.Version = storage.SessionRevoked, at(time.Hour), at(time.Hour), 2
				e.same("EndSessions sets Status, EndedAt, UpdatedAt and increments Version", must(e.s.GetSession(e.ctx, s.ID))(e), &want)
			}
			e.same("EndSessions leaves ExceptID alone", must(e.s.GetSession(e.ctx, s1.ID))(e), s1)
			e.same("EndSessions leaves ended sessions alone", must(e.s.GetSession(e.ctx, revoked.ID))(e), revoked)
			e.same("EndSessions leaves other users alone", must(e.s.GetSession(e.ctx, other.ID))(e), other)

			ended = must(e.s.EndSessions(e.ctx, storage.SessionFilter{ClientID: s1.ClientID}, storage.SessionEnded, at(2*time.Hour)))(e)
			e.sameIDs("EndSessions by client", ended, []string{s1.ID})
		}},
	)
}

func verificationTests() []test {
	live := func(e *env, max int) *storage.Verification {
		v := newVerification("email_code")
		v.MaxAttempts = max
		return create(e, e.s.CreateVerification, v)
	}
	return group("Verifications",
		test{"attempts stop at MaxAttempts", func(e *env) {
			v := live(e, 3)
			for i := 1; i <= 3; i++ {
				got, err := e.s.RecordVerificationAttempt(e.ctx, v.ID, at(0))
				e.ok(err, "RecordVerificationAttempt below MaxAttempts")
				if got.Attempts != i {
					e.t.Errorf("RecordVerificationAttempt #%d returned Attempts %d", i, got.Attempts)
				}
			}
			_, err := e.s.RecordVerificationAttempt(e.ctx, v.ID, at(0))
			e.is(err, storage.ErrConsumed, "RecordVerificationAttempt beyond MaxAttempts")
			if got := must(e.s.GetVerification(e.ctx, v.ID))(e); got.Attempts != 3 {
				e.t.Errorf("a refused attempt must not count: Attempts %d, want 3", got.Attempts)
			}
			// The last allowed attempt may still succeed: consuming does not count attempts.
			must(e.s.ConsumeVerification(e.ctx, v.ID, at(0)))(e)

			unlimited := live(e, 0)
			for range 20 {
				must(e.s.RecordVerificationAttempt(e.ctx, unlimited.ID, at(0)))(e)
			}
			_, err = e.s.RecordVerificationAttempt(e.ctx, newVerification("x").ID, at(0))
			e.is(err, storage.ErrNotFound, "RecordVerificationAttempt of a missing verification")
		}},
		test{"expired verifications are not live", func(e *env) {
			v := live(e, 5) // expires at at(10m)
			_, err := e.s.RecordVerificationAttempt(e.ctx, v.ID, atB(10*time.Minute))
			e.is(err, storage.ErrConsumed, "RecordVerificationAttempt at ExpiresAt")
			_, err = e.s.ConsumeVerification(e.ctx, v.ID, at(11*time.Minute))
			e.is(err, storage.ErrConsumed, "ConsumeVerification after ExpiresAt")
			got := must(e.s.ConsumeVerification(e.ctx, v.ID, atB(10*time.Minute-time.Microsecond)))(e)
			if !got.ConsumedAt.Equal(at(10*time.Minute - time.Microsecond)) {
				e.t.Errorf("ConsumeVerification must return the record with ConsumedAt set, got %v", got.ConsumedAt)
			}
		}},
		test{"ConsumeVerification succeeds once", func(e *env) {
			v := live(e, 5)
			got := must(e.s.ConsumeVerification(e.ctx, v.ID, atB(time.Minute)))(e)
			want := *v
			want.ConsumedAt = at(time.Minute)
			e.same("ConsumeVerification returns the updated record", got, &want)
			e.same("GetVerification returns consumed verifications", must(e.s.GetVerification(e.ctx, v.ID))(e), &want)
			_, err := e.s.ConsumeVerification(e.ctx, v.ID, at(time.Minute))
			e.is(err, storage.ErrConsumed, "ConsumeVerification twice")
			_, err = e.s.RecordVerificationAttempt(e.ctx, v.ID, at(time.Minute))
			e.is(err, storage.ErrConsumed, "RecordVerificationAttempt after consumption")
			_, err = e.s.ConsumeVerification(e.ctx, newVerification("x").ID, at(0))
			e.is(err, storage.ErrNotFound, "ConsumeVerification of a missing verification")
			e.is(e.s.CreateVerification(e.ctx, v), storage.ErrConflict, "CreateVerification with an ID in use")
		}},
		test{"RevokeVerifications consumes the unconsumed matching ones", func(e *env) {
			u, other := e.user(), e.user()
			flow := create(e, e.s.CreateFlow, newFlow())
			mk := func(userID, purpose, flowID string) *storage.Verification {
				v := newVerification(purpose)
				v.UserID, v.FlowID = userID, flowID
				return create(e, e.s.CreateVerification, v)
			}
			reset1, reset2 := mk(u.ID, "reset_password", ""), mk(u.ID, "reset_password", flow.ID)
			code := mk(u.ID, "email_code", flow.ID)
			theirs := mk(other.ID, "reset_password", "")
			used := mk(u.ID, "reset_password", "")
			must(e.s.ConsumeVerification(e.ctx, used.ID, at(0)))(e)

			if n := must(e.s.RevokeVerifications(e.ctx, storage.VerificationFilter{}, at(0)))(e); n != 0 {
				e.t.Errorf("RevokeVerifications with an empty filter revoked %d, want 0", n)
			}
			n := must(e.s.RevokeVerifications(e.ctx, storage.VerificationFilter{UserID: u.ID, Purpose: "reset_password"}, atB(time.Minute)))(e)
			if n != 2 {
				e.t.Errorf("RevokeVerifications(user, purpose) = %d, want 2 (already consumed ones do not count)", n)
			}
			for _, v := range []*storage.Verification{reset1, reset2} {
				if got := must(e.s.GetVerification(e.ctx, v.ID))(e); !got.ConsumedAt.Equal(at(time.Minute)) {
					e.t.Errorf("RevokeVerifications must set ConsumedAt: %s has %v", v.ID, got.ConsumedAt)
				}
			}
			if got := must(e.s.GetVerification(e.ctx, used.ID))(e); !got.ConsumedAt.Equal(at(0)) {
				e.t.Errorf("RevokeVerifications must not touch consumed verifications: ConsumedAt %v", got.ConsumedAt)
			}
			must(e.s.ConsumeVerification(e.ctx, theirs.ID, at(0)))(e)
			if n := must(e.s.RevokeVerifications(e.ctx, storage.VerificationFilter{FlowID: flow.ID}, at(0)))(e); n != 1 {
				e.t.Errorf("RevokeVerifications(flow) = %d, want 1", n)
			}
			_, err := e.s.ConsumeVerification(e.ctx, code.ID, at(0))
			e.is(err, storage.ErrConsumed, "ConsumeVerification after RevokeVerifications")
			if n := must(e.s.RevokeVerifications(e.ctx, storage.VerificationFilter{Purpose: "reset_password"}, at(0)))(e); n != 0 {
				e.t.Errorf("RevokeVerifications(purpose) = %d, want 0", n)
			}
		}},
		test{"DeleteExpiredVerifications removes expired ones only", func(e *env) {
			mk := func(expires time.Time, consume bool) *storage.Verification {
				v := newVerification("p")
				v.ExpiresAt = expires
				create(e, e.s.CreateVerification, v)
				if consume {
					must(e.s.ConsumeVerification(e.ctx, v.ID, expires.Add(-time.Second)))(e)
				}
				return v
			}
			gone1, gone2 := mk(at(-time.Hour), false), mk(at(-time.Minute), true)
			edge, keep := mk(at(0), false), mk(at(time.Hour), true)
			if n := must(e.s.DeleteExpiredVerifications(e.ctx, atB(0), 10))(e); n != 2 {
				e.t.Errorf("DeleteExpiredVerifications = %d, want 2", n)
			}
			for _, v := range []*storage.Verification{gone1, gone2} {
				_, err := e.s.GetVerification(e.ctx, v.ID)
				e.is(err, storage.ErrNotFound, "an expired verification must be deleted, consumed or not")
			}
			must(e.s.GetVerification(e.ctx, edge.ID))(e)
			must(e.s.GetVerification(e.ctx, keep.ID))(e)
		}},
	)
}

func flowTests() []test {
	return group("Flows",
		test{"UpdateFlow checks the version and DeleteFlow deletes", func(e *env) {
			f := create(e, e.s.CreateFlow, newFlow())
			if f.Version != 1 {
				e.t.Errorf("CreateFlow must set Version to 1, got %d", f.Version)
			}
			old := *f
			f.Status, f.Data, f.UserID = "needs_second_factor", raw(`{"step": 2}`), e.user().ID
			e.ok(e.s.UpdateFlow(e.ctx, f), "UpdateFlow")
			e.same("UpdateFlow replaces every field", must(e.s.GetFlow(e.ctx, f.ID))(e), f)
			e.is(e.s.UpdateFlow(e.ctx, &old), storage.ErrStale, "UpdateFlow with an old version")
			e.is(e.s.CreateFlow(e.ctx, &old), storage.ErrConflict, "CreateFlow with an ID in use")
			e.ok(e.s.DeleteFlow(e.ctx, f.ID), "DeleteFlow")
			_, err := e.s.GetFlow(e.ctx, f.ID)
			e.is(err, storage.ErrNotFound, "GetFlow after delete")
			e.is(e.s.DeleteFlow(e.ctx, f.ID), storage.ErrNotFound, "DeleteFlow twice")
			e.is(e.s.UpdateFlow(e.ctx, f), storage.ErrNotFound, "UpdateFlow of a missing flow")
		}},
		test{"DeleteExpiredFlows removes expired ones only", func(e *env) {
			mk := func(expires time.Time) *storage.Flow {
				f := newFlow()
				f.ExpiresAt = expires
				return create(e, e.s.CreateFlow, f)
			}
			gone, edge, keep := mk(at(-time.Second)), mk(at(0)), mk(at(time.Hour))
			if n := must(e.s.DeleteExpiredFlows(e.ctx, atB(0), 10))(e); n != 1 {
				e.t.Errorf("DeleteExpiredFlows = %d, want 1", n)
			}
			_, err := e.s.GetFlow(e.ctx, gone.ID)
			e.is(err, storage.ErrNotFound, "an expired flow must be deleted")
			must(e.s.GetFlow(e.ctx, edge.ID))(e)
			must(e.s.GetFlow(e.ctx, keep.ID))(e)
		}},
	)
}

func signingKeyTests() []test {
	return group("SigningKeys",
		test{"ListSigningKeys lists keys not retired oldest first", func(e *env) {
			prev := create(e, e.s.CreateSigningKey, newSigningKey(storage.KeyPrevious))
			create(e, e.s.CreateSigningKey, newSigningKey(storage.KeyRetired))
			cur := create(e, e.s.CreateSigningKey, newSigningKey(storage.KeyCurrent))
			next := create(e, e.s.CreateSigningKey, newSigningKey(storage.KeyNext))
			e.sameIDs("ListSigningKeys", ids(must(e.s.ListSigningKeys(e.ctx))(e)), []string{prev.ID, cur.ID, next.ID})
			dup := newSigningKey(storage.KeyNext)
			dup.ID = cur.ID
			e.is(e.s.CreateSigningKey(e.ctx, dup), storage.ErrConflict, "CreateSigningKey with an ID in use")
		}},
		test{"UpdateSigningKey replaces State only once per version", func(e *env) {
			k := create(e, e.s.CreateSigningKey, newSigningKey(storage.KeyNext))
			want := *k
			upd := newSigningKey(storage.KeyCurrent)
			upd.ID, upd.Version, upd.UpdatedAt = k.ID, k.Version, atB(time.Hour)
			e.ok(e.s.UpdateSigningKey(e.ctx, upd), "UpdateSigningKey")
			want.State, want.UpdatedAt, want.Version = storage.KeyCurrent, at(time.Hour), 2
			if upd.Version != 2 {
				e.t.Errorf("UpdateSigningKey must increment k.Version: got %d", upd.Version)
			}
			e.same("UpdateSigningKey", must(e.s.ListSigningKeys(e.ctx))(e)[0], &want)
			upd.Version = 1
			e.is(e.s.UpdateSigningKey(e.ctx, upd), storage.ErrStale, "UpdateSigningKey with an old version")
			e.ok(e.prune().DeleteSigningKey(e.ctx, k.ID), "DeleteSigningKey")
			e.is(e.prune().DeleteSigningKey(e.ctx, k.ID), storage.ErrNotFound, "DeleteSigningKey twice")
			e.is(e.s.UpdateSigningKey(e.ctx, upd), storage.ErrNotFound, "UpdateSigningKey of a missing key")
		}},
	)
}
