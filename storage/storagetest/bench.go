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
// "users=100000", each with GetUserByEmail, GetSession,
// ConsumeVerification and, when the store has the organization
// capabilities, GetMembershipClaims (the read a token refresh with an
// active organization adds). It calls newStore once per size and seeds it,
// in transactions of a few thousand users, with users that each have a
// verified email address, a client, a session and a membership (with a
// role, in one organization per hundred users, and in a team for half of
// them), and as many live verifications; a lookup should cost about the
// same at both sizes.
func RunBenchmarks(b *testing.B, newStore func(t testing.TB) storage.Store) {
	for _, size := range []int{1000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", size), func(b *testing.B) {
			if size > 1000 && testing.Short() {
				b.Skip("the 100k-user store takes a while to seed; run without -short to measure it")
			}
			e := &env{t: b, ctx: context.Background(), s: newStore(b)}
			emails, sessions, users := e.seedUsers(size)
			verifications := e.seedVerifications(size)
			claims, memberships := e.seedMemberships(users)
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
			b.Run("GetMembershipClaims", func(b *testing.B) {
				if claims == nil {
					b.Skip("the store lacks the organization capabilities")
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					m := memberships[i*7919%size]
					if _, err := claims.GetMembershipClaims(e.ctx, m.org, m.user, m.team); err != nil {
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
// session, and returns the emails, session IDs and user IDs.
func (e *env) seedUsers(count int) (emails, sessions, users []string) {
	emails, sessions, users = make([]string, count), make([]string, count), make([]string, count)
	e.inBatches(count, func(q storage.Querier, i int) error {
		u, c := newUser(), newClient()
		emails[i], users[i] = fmt.Sprintf("bench-%d@example.com", i), u.ID
		s := newSession(c.ID, u.ID)
		sessions[i] = s.ID
		return errorsOf(q.CreateUser(e.ctx, u), q.CreateIdentifier(e.ctx, newEmail(u.ID, emails[i], true)),
			q.CreateClient(e.ctx, c), q.CreateSession(e.ctx, s))
	})
	return emails, sessions, users
}

// benchMember is what one GetMembershipClaims call of the benchmark asks.
type benchMember struct{ org, user, team string }

// seedMemberships makes each user a member, with a role that has
// permissions, of one of len(users)/100 organizations, each with a team that
// every other member is in. It returns the store as a MembershipClaimsStore
// and, for each user, what to ask it (with the team, which half of them are
// in); or nil, seeding nothing, when the store lacks one of the
// capabilities this needs.
func (e *env) seedMemberships(users []string) (storage.MembershipClaimsStore, []benchMember) {
	claims, ok := e.s.(storage.MembershipClaimsStore)
	_, ok1 := e.s.(storage.OrganizationStore)
	_, ok2 := e.s.(storage.MembershipStore)
	_, ok3 := e.s.(storage.TeamStore)
	roles, ok4 := e.s.(storage.RoleStore)
	if !ok || !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, nil
	}
	e.ok(roles.CreateRole(e.ctx, newRole("org:member")), "CreateRole")
	orgs := max(len(users)/100, 1)
	orgIDs, teamIDs := make([]string, orgs), make([]string, orgs)
	e.inBatches(orgs, func(q storage.Querier, i int) error {
		o := newOrg()
		t := newTeam(o.ID, "Core")
		orgIDs[i], teamIDs[i] = o.ID, t.ID
		return errorsOf(q.(storage.OrganizationStore).CreateOrganization(e.ctx, o), q.(storage.TeamStore).CreateTeam(e.ctx, t))
	})
	memberships := make([]benchMember, len(users))
	e.inBatches(len(users), func(q storage.Querier, i int) error {
		m := benchMember{org: orgIDs[i%orgs], user: users[i], team: teamIDs[i%orgs]}
		memberships[i] = m
		err := q.(storage.MembershipStore).CreateMembership(e.ctx, newMembership(m.org, m.user))
		if err == nil && i%2 == 0 {
			err = q.(storage.TeamStore).AddTeamMember(e.ctx, newTeamMember(m.team, m.user))
		}
		return err
	})
	return claims, memberships
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
