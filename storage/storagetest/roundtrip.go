package storagetest

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/latchauth/latch/storage"
)

// roundTripTests store a fully populated record of every type, with times
// in other zones and JSON metadata, and read it back.
func roundTripTests() []test {
	rt := func(name string, fn func(e *env) (got, want any, zeroOK []string)) test {
		return test{name, func(e *env) {
			got, want, zeroOK := fn(e)
			e.full(want, zeroOK...)
			e.same("round trip keeps every field", got, want)
		}}
	}
	return group("RoundTrip",
		rt("User", func(e *env) (any, any, []string) {
			u := e.user()
			if u.Version != 1 {
				e.t.Errorf("CreateUser must set Version to 1, got %d", u.Version)
			}
			u.PrimaryEmailID = create(e, e.s.CreateIdentifier, newEmail(u.ID, "ada@example.com", true)).ID
			u.PrimaryPhoneID = create(e, e.s.CreateIdentifier, newIdent(u.ID, storage.KindPhoneNumber, "+1 555 0100", true)).ID
			e.ok(e.s.UpdateUser(e.ctx, u), "UpdateUser")
			return must(e.s.GetUser(e.ctx, u.ID))(e), u, nil
		}),
		rt("Identifier", func(e *env) (any, any, []string) {
			i := newEmail(e.user().ID, " Ada@Example.COM", true)
			i.SecondFactor = true
			create(e, e.s.CreateIdentifier, i)
			if i.Canonical != "ada@example.com" {
				e.t.Errorf("CreateIdentifier must set i.Canonical to Canonical(kind, value): got %q", i.Canonical)
			}
			return must(e.s.GetIdentifier(e.ctx, i.ID))(e), i, nil
		}),
		rt("ExternalAccount", func(e *env) (any, any, []string) {
			a := create(e, e.s.CreateExternalAccount, newExternalAccount(e.user().ID))
			return must(e.linked().GetExternalAccount(e.ctx, a.ID))(e), a, nil
		}),
		rt("Credential", func(e *env) (any, any, []string) {
			c := create(e, e.s.CreateCredential, newCredential(e.user().ID))
			return must(e.s.GetCredential(e.ctx, c.ID))(e), c, nil
		}),
		rt("TOTPSecret", func(e *env) (any, any, []string) {
			s := create(e, e.s.PutTOTPSecret, newTOTP(e.user().ID))
			return must(e.s.GetTOTPSecret(e.ctx, s.UserID))(e), s, nil
		}),
		rt("BackupCode", func(e *env) (any, any, []string) {
			u := e.user()
			b := newBackupCode(u.ID, "1234-5678")
			b.UsedAt = atB(-time.Minute)
			e.ok(e.s.ReplaceBackupCodes(e.ctx, u.ID, []*storage.BackupCode{b}), "ReplaceBackupCodes")
			codes := must(e.s.ListBackupCodes(e.ctx, u.ID))(e)
			if len(codes) != 1 {
				e.t.Fatalf("ListBackupCodes: got %d codes, want 1", len(codes))
			}
			return codes[0], b, nil
		}),
		rt("Client", func(e *env) (any, any, []string) {
			c := e.client()
			if c.Version != 1 {
				e.t.Errorf("CreateClient must set Version to 1, got %d", c.Version)
			}
			c.ActiveSessionID = create(e, e.s.CreateSession, newSession(c.ID, e.user().ID)).ID
			e.ok(e.s.UpdateClient(e.ctx, c), "UpdateClient")
			return must(e.s.GetClient(e.ctx, c.ID))(e), c, nil
		}),
		rt("Session", func(e *env) (any, any, []string) {
			s := newSession(e.client().ID, e.user().ID)
			s.ActorID, s.ActiveOrganizationID, s.ActiveTeamID = e.user().ID, e.org().ID, newID("team")
			s.EndedAt = at(time.Hour) // not a real state, but every field must round-trip
			create(e, e.s.CreateSession, s)
			return must(e.s.GetSession(e.ctx, s.ID))(e), s, nil
		}),
		rt("Verification", func(e *env) (any, any, []string) {
			u := e.user()
			v := newVerification("email_code")
			v.UserID, v.FlowID = u.ID, create(e, e.s.CreateFlow, newFlow()).ID
			v.IdentifierID = create(e, e.s.CreateIdentifier, newEmail(u.ID, "ada@example.com", false)).ID
			v.Attempts, v.ConsumedAt = 2, at(time.Minute)
			create(e, e.s.CreateVerification, v)
			return must(e.s.GetVerification(e.ctx, v.ID))(e), v, nil
		}),
		rt("Flow", func(e *env) (any, any, []string) {
			f := newFlow()
			f.ClientID, f.UserID = e.client().ID, e.user().ID
			create(e, e.s.CreateFlow, f)
			return must(e.s.GetFlow(e.ctx, f.ID))(e), f, nil
		}),
		rt("SigningKey", func(e *env) (any, any, []string) {
			k := create(e, e.s.CreateSigningKey, newSigningKey(storage.KeyCurrent))
			keys := must(e.s.ListSigningKeys(e.ctx))(e)
			if len(keys) != 1 {
				e.t.Fatalf("ListSigningKeys: got %d keys, want 1", len(keys))
			}
			return keys[0], k, nil
		}),
		rt("Organization", func(e *env) (any, any, []string) {
			o := newOrg()
			o.CreatedBy = e.user().ID
			create(e, e.orgs().CreateOrganization, o)
			return must(e.orgs().GetOrganization(e.ctx, o.ID))(e), o, nil
		}),
		rt("Membership", func(e *env) (any, any, []string) {
			m := create(e, e.members().CreateMembership, newMembership(e.org().ID, e.user().ID))
			return must(e.members().GetMembership(e.ctx, m.OrganizationID, m.UserID))(e), m, nil
		}),
		rt("Invitation", func(e *env) (any, any, []string) {
			i := newInvitation(e.org().ID)
			i.InviterID = e.user().ID
			i.VerificationID = create(e, e.s.CreateVerification, newVerification("invitation")).ID
			create(e, e.s.CreateInvitation, i)
			return must(e.s.GetInvitation(e.ctx, i.ID))(e), i, nil
		}),
		rt("Domain", func(e *env) (any, any, []string) {
			d := create(e, e.domains().CreateDomain, newDomain(e.org().ID, "Example.COM", true))
			return must(e.domains().GetDomain(e.ctx, d.ID))(e), d, nil
		}),
		rt("Role", func(e *env) (any, any, []string) {
			r := create(e, e.roles().CreateRole, newRole("org:admin"))
			return must(e.roles().GetRole(e.ctx, r.Key))(e), r, nil
		}),
		rt("Plan", func(e *env) (any, any, []string) {
			p := create(e, e.billing().PutPlan, newPlan("pro"))
			return must(e.billing().GetPlan(e.ctx, p.Key))(e), p, nil
		}),
		rt("Subscription", func(e *env) (any, any, []string) {
			u := e.user()
			s := create(e, e.billing().PutSubscription, newSubscription(u.ID, create(e, e.billing().PutPlan, newPlan("pro")).ID))
			subs := must(e.billing().ListSubscriptions(e.ctx, u.ID))(e)
			if len(subs) != 1 {
				e.t.Fatalf("ListSubscriptions: got %d, want 1", len(subs))
			}
			return subs[0], s, nil
		}),
		rt("Event", func(e *env) (any, any, []string) {
			ev := newEvent("user.created")
			ev.DispatchedAt = atB(time.Second)
			create(e, e.s.AppendEvent, ev)
			evs := must(e.s.ListEvents(e.ctx, "", false, 10))(e)
			if len(evs) != 1 {
				e.t.Fatalf("ListEvents: got %d, want 1", len(evs))
			}
			return evs[0], ev, nil
		}),
		rt("AuditEvent", func(e *env) (any, any, []string) {
			u := e.user()
			a := newAudit("sign_in.failed", u.ID)
			a.ActorID, a.OrganizationID, a.SessionID = e.user().ID, e.org().ID, e.session(u.ID).ID
			create(e, e.s.AppendAuditEvent, a)
			evs, _, err := e.admin().ListAuditEvents(e.ctx, storage.AuditFilter{}, storage.Page{})
			e.ok(err, "ListAuditEvents")
			if len(evs) != 1 {
				e.t.Fatalf("ListAuditEvents: got %d, want 1", len(evs))
			}
			return evs[0], a, nil
		}),
	)
}

// valueTests check the value rules of the contract: copies, nil and empty,
// invalid JSON, zero times.
func valueTests() []test {
	return group("Values",
		test{"returned and stored records are copies", func(e *env) {
			u := newUser()
			in := *u
			in.PublicMetadata = append(json.RawMessage(nil), u.PublicMetadata...)
			create(e, e.s.CreateUser, u)
			in.Version = 1
			u.PublicMetadata[2], u.FirstName = 'X', "Changed" // the caller changes what it passed
			got := must(e.s.GetUser(e.ctx, u.ID))(e)
			e.same("changing the record passed to CreateUser must not change the stored one", got, &in)
			got.PrivateMetadata[2], got.LastName = 'X', "Changed" // and what it got
			e.same("changing a returned record must not change the stored one", must(e.s.GetUser(e.ctx, u.ID))(e), &in)

			a := newExternalAccount(e.user().ID)
			ain := *a
			ain.Scopes, ain.AccessToken = append([]string(nil), a.Scopes...), append([]byte(nil), a.AccessToken...)
			create(e, e.s.CreateExternalAccount, a)
			a.Scopes[0], a.AccessToken[0] = "changed", 'X'
			gotA := must(e.linked().GetExternalAccount(e.ctx, a.ID))(e)
			gotA.Scopes[1], gotA.AccessToken[1] = "changed", 'X'
			e.same("slices are copied in and out", must(e.linked().GetExternalAccount(e.ctx, a.ID))(e), &ain)
		}},
		test{"nil JSON stays nil and an empty object stays empty", func(e *env) {
			u := newUser()
			u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata = nil, raw(`{}`), raw(` { } `)
			create(e, e.s.CreateUser, u)
			got := must(e.s.GetUser(e.ctx, u.ID))(e)
			e.same("metadata", got, u)
			if got.PublicMetadata != nil {
				e.t.Errorf("nil metadata must be returned as nil, got %q", got.PublicMetadata)
			}
		}},
		test{"empty slices are returned as nil", func(e *env) {
			a := newExternalAccount(e.user().ID)
			a.Scopes, a.AccessToken, a.RefreshToken, a.PublicMetadata = []string{}, []byte{}, nil, nil
			create(e, e.s.CreateExternalAccount, a)
			got := must(e.linked().GetExternalAccount(e.ctx, a.ID))(e)
			if got.Scopes != nil || got.AccessToken != nil || got.RefreshToken != nil {
				e.t.Errorf("empty and nil slices must be returned as nil: got %#v %#v %#v", got.Scopes, got.AccessToken, got.RefreshToken)
			}
		}},
		test{"zero times stay zero", func(e *env) {
			u := newUser()
			u.LockedUntil, u.LastSignInAt, u.LastActiveAt = time.Time{}, time.Time{}, time.Time{}.In(zoneA)
			create(e, e.s.CreateUser, u)
			got := must(e.s.GetUser(e.ctx, u.ID))(e)
			if !got.LockedUntil.IsZero() || !got.LastSignInAt.IsZero() || !got.LastActiveAt.IsZero() {
				e.t.Errorf("zero times must round-trip as zero: got %v, %v, %v", got.LockedUntil, got.LastSignInAt, got.LastActiveAt)
			}
		}},
		test{"invalid JSON is rejected with a non-sentinel error", func(e *env) {
			bad := raw(`{"a": `)
			u := e.user()
			cases := []struct {
				name string
				fn   func() error
			}{
				{"CreateUser", func() error { x := newUser(); x.UnsafeMetadata = bad; return e.s.CreateUser(e.ctx, x) }},
				{"UpdateUser", func() error { x := *u; x.PublicMetadata = bad; return e.s.UpdateUser(e.ctx, &x) }},
				{"CreateVerification", func() error { x := newVerification("p"); x.Data = bad; return e.s.CreateVerification(e.ctx, x) }},
				{"CreateFlow", func() error { x := newFlow(); x.Data = bad; return e.s.CreateFlow(e.ctx, x) }},
				{"CreateOrganization", func() error { x := newOrg(); x.PrivateMetadata = bad; return e.orgs().CreateOrganization(e.ctx, x) }},
				{"AppendEvent", func() error { x := newEvent("t"); x.Data = bad; return e.s.AppendEvent(e.ctx, x) }},
				{"AppendAuditEvent", func() error { x := newAudit("t", ""); x.Data = bad; return e.s.AppendAuditEvent(e.ctx, x) }},
				{"PutPlan", func() error { x := newPlan("p"); x.PublicMetadata = bad; return e.billing().PutPlan(e.ctx, x) }},
			}
			for _, c := range cases {
				err := c.fn()
				for _, s := range []error{storage.ErrNotFound, storage.ErrConflict, storage.ErrStale, storage.ErrConsumed} {
					if errors.Is(err, s) {
						e.t.Errorf("%s with invalid JSON: got sentinel %v, want a plain error", c.name, err)
					}
				}
				if err == nil {
					e.t.Errorf("%s accepted invalid JSON", c.name)
				}
			}
			if got := must(e.s.GetUser(e.ctx, u.ID))(e); got.Version != 1 || !json.Valid(got.PublicMetadata) {
				e.t.Errorf("a rejected UpdateUser must change nothing: got version %d, metadata %s", got.Version, got.PublicMetadata)
			}
			if n := must(e.admin().CountUsers(e.ctx, storage.UserFilter{}))(e); n != 1 {
				e.t.Errorf("a rejected CreateUser must store nothing: %d users, want 1", n)
			}
		}},
	)
}
