package storagetest

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/latchauth/latch/storage"
)

// The checks of the capabilities organizations use beyond the basic
// stores: role sets and permissions, membership requests, teams, the
// claims a token reads, invitations by address and the organization lock.

func organizationRoundTrips() []test {
	rt := func(name string, fn func(e *env) (got, want any)) test {
		return test{name, func(e *env) {
			got, want := fn(e)
			e.full(want)
			e.same("round trip keeps every field", got, want)
		}}
	}
	return group("RoundTrip",
		rt("RoleSet", func(e *env) (any, any) {
			r := create(e, e.roleSets().PutRoleSet, newRoleSet("default"))
			return must(e.roleSets().GetRoleSet(e.ctx, r.Key))(e), r
		}),
		rt("Permission", func(e *env) (any, any) {
			p := create(e, e.roleSets().PutPermission, newPermission("org:invoices:read"))
			list := must(e.roleSets().ListPermissions(e.ctx))(e)
			if len(list) != 1 {
				e.t.Fatalf("ListPermissions: got %d, want 1", len(list))
			}
			return list[0], p
		}),
		rt("MembershipRequest", func(e *env) (any, any) {
			r := create(e, e.requests().CreateMembershipRequest, newMembershipRequest(e.org().ID, e.user().ID))
			return must(e.requests().GetMembershipRequest(e.ctx, r.ID))(e), r
		}),
		rt("Team", func(e *env) (any, any) {
			t := create(e, e.teams().CreateTeam, newTeam(e.org().ID, "Core"))
			return must(e.teams().GetTeam(e.ctx, t.ID))(e), t
		}),
		rt("TeamMember", func(e *env) (any, any) {
			o := e.org()
			t := create(e, e.teams().CreateTeam, newTeam(o.ID, "Core"))
			m := create(e, e.teams().AddTeamMember, newTeamMember(t.ID, e.member(o.ID, "org:member").ID))
			list := must(e.teams().ListTeamMembers(e.ctx, t.ID))(e)
			if len(list) != 1 {
				e.t.Fatalf("ListTeamMembers: got %d, want 1", len(list))
			}
			return list[0], m
		}),
	)
}

func roleSetTests() []test {
	return group("RoleSets",
		test{"PutRoleSet creates or replaces by key keeping ID and CreatedAt", func(e *env) {
			def := create(e, e.roleSets().PutRoleSet, newRoleSet("default"))
			ent := create(e, e.roleSets().PutRoleSet, newRoleSet("enterprise"))
			upd := newRoleSet("default")
			upd.Name, upd.Description, upd.Roles, upd.DefaultRole, upd.UpdatedAt = "Renamed", "", []string{"org:owner"}, "org:owner", at(time.Hour)
			create(e, e.roleSets().PutRoleSet, upd)
			want := *upd
			want.ID, want.CreatedAt = def.ID, def.CreatedAt
			e.same("PutRoleSet with a key in use replaces every field but ID and CreatedAt", must(e.roleSets().GetRoleSet(e.ctx, "default"))(e), &want)
			e.sameIDs("ListRoleSets, oldest first", ids(must(e.roleSets().ListRoleSets(e.ctx))(e)), []string{def.ID, ent.ID})

			dup := newRoleSet("other")
			dup.ID = ent.ID
			e.is(e.roleSets().PutRoleSet(e.ctx, dup), storage.ErrConflict, "PutRoleSet of a new key with an ID in use")

			got := must(e.roleSets().GetRoleSet(e.ctx, "enterprise"))(e)
			got.Roles[0] = "changed"
			ent.Roles[1] = "changed"
			if again := must(e.roleSets().GetRoleSet(e.ctx, "enterprise"))(e); !slices.Equal(again.Roles, []string{"org:admin", "org:member"}) {
				e.t.Errorf("Roles must be copied in and out: got %q", again.Roles)
			}

			e.ok(e.roleSets().DeleteRoleSet(e.ctx, "default"), "DeleteRoleSet")
			_, err := e.roleSets().GetRoleSet(e.ctx, "default")
			e.is(err, storage.ErrNotFound, "GetRoleSet after delete")
			e.is(e.roleSets().DeleteRoleSet(e.ctx, "default"), storage.ErrNotFound, "DeleteRoleSet twice")
			create(e, e.roleSets().PutRoleSet, newRoleSet("default"))
		}},
		test{"PutPermission creates or replaces by key keeping ID and CreatedAt", func(e *env) {
			read := create(e, e.roleSets().PutPermission, newPermission("org:invoices:read"))
			write := create(e, e.roleSets().PutPermission, newPermission("org:invoices:write"))
			upd := newPermission("org:invoices:read")
			upd.Name, upd.Description, upd.UpdatedAt = "See invoices", "", at(time.Hour)
			create(e, e.roleSets().PutPermission, upd)
			want := *upd
			want.ID, want.CreatedAt = read.ID, read.CreatedAt
			list := must(e.roleSets().ListPermissions(e.ctx))(e)
			e.sameIDs("ListPermissions, oldest first", ids(list), []string{read.ID, write.ID})
			if len(list) == 2 {
				e.same("PutPermission with a key in use replaces every field but ID and CreatedAt", list[0], &want)
			}
			dup := newPermission("org:other:read")
			dup.ID = write.ID
			e.is(e.roleSets().PutPermission(e.ctx, dup), storage.ErrConflict, "PutPermission of a new key with an ID in use")
			e.ok(e.roleSets().DeletePermission(e.ctx, "org:invoices:read"), "DeletePermission")
			e.sameIDs("ListPermissions after delete", ids(must(e.roleSets().ListPermissions(e.ctx))(e)), []string{write.ID})
			e.is(e.roleSets().DeletePermission(e.ctx, "org:invoices:read"), storage.ErrNotFound, "DeletePermission twice")
		}},
	)
}

func membershipRequestTests() []test {
	return group("MembershipRequests",
		test{"CreateMembershipRequest needs the organization and user and one pending request per pair", func(e *env) {
			o, u := e.org(), e.user()
			e.is(e.requests().CreateMembershipRequest(e.ctx, newMembershipRequest(newOrg().ID, u.ID)), storage.ErrNotFound, "a request to a missing organization")
			e.is(e.requests().CreateMembershipRequest(e.ctx, newMembershipRequest(o.ID, newUser().ID)), storage.ErrNotFound, "a request of a missing user")
			r := create(e, e.requests().CreateMembershipRequest, newMembershipRequest(o.ID, u.ID))
			e.is(e.requests().CreateMembershipRequest(e.ctx, newMembershipRequest(o.ID, u.ID)), storage.ErrConflict, "a second pending request of a user to one organization")
			dup := newMembershipRequest(e.org().ID, u.ID)
			dup.ID = r.ID
			e.is(e.requests().CreateMembershipRequest(e.ctx, dup), storage.ErrConflict, "CreateMembershipRequest with an ID in use")
			create(e, e.requests().CreateMembershipRequest, newMembershipRequest(e.org().ID, u.ID)) // another organization
			e.ok(e.requests().TransitionMembershipRequest(e.ctx, r.ID, storage.MembershipRequestPending, storage.MembershipRequestRejected, at(0)), "rejecting")
			create(e, e.requests().CreateMembershipRequest, newMembershipRequest(o.ID, u.ID)) // may ask again
		}},
		test{"TransitionMembershipRequest moves from one status only", func(e *env) {
			r := create(e, e.requests().CreateMembershipRequest, newMembershipRequest(e.org().ID, e.user().ID))
			e.ok(e.requests().TransitionMembershipRequest(e.ctx, r.ID, storage.MembershipRequestPending, storage.MembershipRequestAccepted, atB(time.Hour)), "TransitionMembershipRequest")
			want := *r
			want.Status, want.UpdatedAt = storage.MembershipRequestAccepted, at(time.Hour)
			e.same("TransitionMembershipRequest sets Status and UpdatedAt", must(e.requests().GetMembershipRequest(e.ctx, r.ID))(e), &want)
			e.is(e.requests().TransitionMembershipRequest(e.ctx, r.ID, storage.MembershipRequestPending, storage.MembershipRequestRejected, at(0)), storage.ErrConsumed,
				"TransitionMembershipRequest from a status the request left")
			missing := newMembershipRequest("", "")
			e.is(e.requests().TransitionMembershipRequest(e.ctx, missing.ID, storage.MembershipRequestPending, storage.MembershipRequestAccepted, at(0)), storage.ErrNotFound,
				"TransitionMembershipRequest of a missing request")
			_, err := e.requests().GetMembershipRequest(e.ctx, missing.ID)
			e.is(err, storage.ErrNotFound, "GetMembershipRequest of a missing request")
		}},
		test{"ListMembershipRequests filters", func(e *env) {
			o1, o2, a, b := e.org(), e.org(), e.user(), e.user()
			mk := func(o *storage.Organization, u *storage.User, status string) string {
				r := newMembershipRequest(o.ID, u.ID)
				r.Status = status
				return create(e, e.requests().CreateMembershipRequest, r).ID
			}
			r1, r2 := mk(o1, a, storage.MembershipRequestPending), mk(o1, b, storage.MembershipRequestRejected)
			r3, r4 := mk(o2, a, storage.MembershipRequestAccepted), mk(o1, b, storage.MembershipRequestPending)
			for _, c := range []struct {
				name string
				f    storage.MembershipRequestFilter
				want []string
			}{
				{"all", storage.MembershipRequestFilter{}, []string{r1, r2, r3, r4}},
				{"organization", storage.MembershipRequestFilter{OrganizationID: o1.ID}, []string{r1, r2, r4}},
				{"user", storage.MembershipRequestFilter{UserID: a.ID}, []string{r1, r3}},
				{"status", storage.MembershipRequestFilter{Status: storage.MembershipRequestPending}, []string{r1, r4}},
				{"organization and status", storage.MembershipRequestFilter{OrganizationID: o1.ID, Status: storage.MembershipRequestRejected}, []string{r2}},
				{"organization and user", storage.MembershipRequestFilter{OrganizationID: o2.ID, UserID: b.ID}, nil},
			} {
				got, _, err := e.requests().ListMembershipRequests(e.ctx, c.f, storage.Page{})
				e.ok(err, "ListMembershipRequests")
				e.sameIDs("ListMembershipRequests("+c.name+")", ids(got), c.want)
			}
		}},
		test{"DeleteOrganization and DeleteUser delete requests", func(e *env) {
			o, keep, u, v := e.org(), e.org(), e.user(), e.user()
			gone := create(e, e.requests().CreateMembershipRequest, newMembershipRequest(o.ID, u.ID))
			kept := create(e, e.requests().CreateMembershipRequest, newMembershipRequest(keep.ID, u.ID))
			ofV := create(e, e.requests().CreateMembershipRequest, newMembershipRequest(keep.ID, v.ID))
			e.ok(e.orgs().DeleteOrganization(e.ctx, o.ID), "DeleteOrganization")
			_, err := e.requests().GetMembershipRequest(e.ctx, gone.ID)
			e.is(err, storage.ErrNotFound, "DeleteOrganization must delete its requests")
			must(e.requests().GetMembershipRequest(e.ctx, kept.ID))(e)
			e.ok(e.s.DeleteUser(e.ctx, v.ID), "DeleteUser")
			_, err = e.requests().GetMembershipRequest(e.ctx, ofV.ID)
			e.is(err, storage.ErrNotFound, "DeleteUser must delete the user's requests")
			must(e.requests().GetMembershipRequest(e.ctx, kept.ID))(e)
		}},
	)
}

func teamTests() []test {
	return group("Teams",
		test{"CreateTeam needs the organization and names are unique per organization under CanonicalName", func(e *env) {
			o, other := e.org(), e.org()
			e.is(e.teams().CreateTeam(e.ctx, newTeam(newOrg().ID, "Core")), storage.ErrNotFound, "CreateTeam in a missing organization")
			for i, v := range variants {
				suffix := fmt.Sprintf(" team %d", i)
				a := create(e, e.teams().CreateTeam, newTeam(o.ID, fmt.Sprintf(v.first, suffix)))
				e.is(e.teams().CreateTeam(e.ctx, newTeam(o.ID, fmt.Sprintf(v.second, suffix))), storage.ErrConflict, "CreateTeam with a "+v.name+" variant of a taken name")
				create(e, e.teams().CreateTeam, newTeam(other.ID, fmt.Sprintf(v.second, suffix))) // another organization
				e.ok(e.teams().DeleteTeam(e.ctx, a.ID), "DeleteTeam")
				create(e, e.teams().CreateTeam, newTeam(o.ID, fmt.Sprintf(v.second, suffix))) // free again
			}
			dup := newTeam(o.ID, "Unique")
			dup.ID = must(e.teams().ListTeams(e.ctx, o.ID))(e)[0].ID
			e.is(e.teams().CreateTeam(e.ctx, dup), storage.ErrConflict, "CreateTeam with an ID in use")
		}},
		test{"UpdateTeam replaces Name and UpdatedAt and ListTeams lists oldest first", func(e *env) {
			o := e.org()
			core := create(e, e.teams().CreateTeam, newTeam(o.ID, "Core"))
			ops := create(e, e.teams().CreateTeam, newTeam(o.ID, "Ops"))
			create(e, e.teams().CreateTeam, newTeam(e.org().ID, "Elsewhere"))
			e.sameIDs("ListTeams, oldest first", ids(must(e.teams().ListTeams(e.ctx, o.ID))(e)), []string{core.ID, ops.ID})
			upd := *core
			upd.Name, upd.UpdatedAt = "Platform", atB(time.Hour)
			upd.OrganizationID, upd.CreatedAt = e.org().ID, at(time.Hour) // not replaced
			e.ok(e.teams().UpdateTeam(e.ctx, &upd), "UpdateTeam")
			want := *core
			want.Name, want.UpdatedAt = "Platform", at(time.Hour)
			e.same("UpdateTeam", must(e.teams().GetTeam(e.ctx, core.ID))(e), &want)
			upd = want
			upd.Name = " OPS"
			e.is(e.teams().UpdateTeam(e.ctx, &upd), storage.ErrConflict, "UpdateTeam to a taken name")
			create(e, e.teams().CreateTeam, newTeam(o.ID, "core")) // the old name is free
			missing := newTeam(o.ID, "Missing")
			e.is(e.teams().UpdateTeam(e.ctx, missing), storage.ErrNotFound, "UpdateTeam of a missing team")
			_, err := e.teams().GetTeam(e.ctx, missing.ID)
			e.is(err, storage.ErrNotFound, "GetTeam of a missing team")
			e.is(e.teams().DeleteTeam(e.ctx, missing.ID), storage.ErrNotFound, "DeleteTeam of a missing team")
		}},
		test{"team members are members of the organization and unique per team", func(e *env) {
			o := e.org()
			core := create(e, e.teams().CreateTeam, newTeam(o.ID, "Core"))
			ops := create(e, e.teams().CreateTeam, newTeam(o.ID, "Ops"))
			a, b := e.member(o.ID, "org:member"), e.member(o.ID, "org:admin")
			e.is(e.teams().AddTeamMember(e.ctx, newTeamMember(newTeam(o.ID, "x").ID, a.ID)), storage.ErrNotFound, "AddTeamMember to a missing team")
			e.is(e.teams().AddTeamMember(e.ctx, newTeamMember(core.ID, e.user().ID)), storage.ErrNotFound, "AddTeamMember of a user outside the organization")
			ma := newTeamMember(core.ID, a.ID)
			mb := newTeamMember(core.ID, b.ID)
			mb.CreatedAt = ma.CreatedAt.Add(time.Second)
			create(e, e.teams().AddTeamMember, mb)
			create(e, e.teams().AddTeamMember, ma)
			create(e, e.teams().AddTeamMember, newTeamMember(ops.ID, a.ID))
			e.is(e.teams().AddTeamMember(e.ctx, newTeamMember(core.ID, a.ID)), storage.ErrConflict, "AddTeamMember of a member of the team")
			got := must(e.teams().ListTeamMembers(e.ctx, core.ID))(e)
			if len(got) != 2 || got[0].UserID != a.ID || got[1].UserID != b.ID {
				e.t.Errorf("ListTeamMembers must list oldest first: got %+v", got)
			}
			e.sameIDs("ListUserTeams", ids(must(e.teams().ListUserTeams(e.ctx, o.ID, a.ID))(e)), []string{core.ID, ops.ID})
			e.sameIDs("ListUserTeams of another organization", ids(must(e.teams().ListUserTeams(e.ctx, e.org().ID, a.ID))(e)), nil)
			e.ok(e.teams().RemoveTeamMember(e.ctx, core.ID, a.ID), "RemoveTeamMember")
			e.is(e.teams().RemoveTeamMember(e.ctx, core.ID, a.ID), storage.ErrNotFound, "RemoveTeamMember twice")
			e.sameIDs("ListUserTeams after RemoveTeamMember", ids(must(e.teams().ListUserTeams(e.ctx, o.ID, a.ID))(e)), []string{ops.ID})
			create(e, e.teams().AddTeamMember, newTeamMember(core.ID, a.ID)) // may join again
		}},
		test{"DeleteTeam removes its members", func(e *env) {
			o := e.org()
			core := create(e, e.teams().CreateTeam, newTeam(o.ID, "Core"))
			ops := create(e, e.teams().CreateTeam, newTeam(o.ID, "Ops"))
			u := e.member(o.ID, "org:member")
			create(e, e.teams().AddTeamMember, newTeamMember(core.ID, u.ID))
			create(e, e.teams().AddTeamMember, newTeamMember(ops.ID, u.ID))
			e.ok(e.teams().DeleteTeam(e.ctx, core.ID), "DeleteTeam")
			e.is(e.teams().DeleteTeam(e.ctx, core.ID), storage.ErrNotFound, "DeleteTeam twice")
			e.sameIDs("ListUserTeams after DeleteTeam", ids(must(e.teams().ListUserTeams(e.ctx, o.ID, u.ID))(e)), []string{ops.ID})
			if got := must(e.teams().ListTeamMembers(e.ctx, core.ID))(e); len(got) != 0 {
				e.t.Errorf("a deleted team has %d members", len(got))
			}
			e.is(e.teams().RemoveTeamMember(e.ctx, core.ID, u.ID), storage.ErrNotFound, "RemoveTeamMember of a deleted team")
		}},
		test{"DeleteMembership removes the user from the organization's teams only", func(e *env) {
			o, other := e.org(), e.org()
			u := e.member(o.ID, "org:member")
			create(e, e.members().CreateMembership, newMembership(other.ID, u.ID))
			stay := e.member(o.ID, "org:member")
			core := create(e, e.teams().CreateTeam, newTeam(o.ID, "Core"))
			elsewhere := create(e, e.teams().CreateTeam, newTeam(other.ID, "Core"))
			for _, m := range []*storage.TeamMember{newTeamMember(core.ID, u.ID), newTeamMember(core.ID, stay.ID), newTeamMember(elsewhere.ID, u.ID)} {
				create(e, e.teams().AddTeamMember, m)
			}
			e.ok(e.members().DeleteMembership(e.ctx, o.ID, u.ID), "DeleteMembership")
			e.sameIDs("ListUserTeams after DeleteMembership", ids(must(e.teams().ListUserTeams(e.ctx, o.ID, u.ID))(e)), nil)
			if got := must(e.teams().ListTeamMembers(e.ctx, core.ID))(e); len(got) != 1 || got[0].UserID != stay.ID {
				e.t.Errorf("ListTeamMembers after DeleteMembership: got %+v, want only the other member", got)
			}
			e.sameIDs("teams of another organization are kept", ids(must(e.teams().ListUserTeams(e.ctx, other.ID, u.ID))(e)), []string{elsewhere.ID})
			create(e, e.members().CreateMembership, newMembership(o.ID, u.ID))
			e.sameIDs("joining again does not restore teams", ids(must(e.teams().ListUserTeams(e.ctx, o.ID, u.ID))(e)), nil)
			e.ok(e.s.DeleteUser(e.ctx, u.ID), "DeleteUser")
			if got := must(e.teams().ListTeamMembers(e.ctx, elsewhere.ID))(e); len(got) != 0 {
				e.t.Errorf("DeleteUser must remove the user from every team: %d left", len(got))
			}
		}},
		test{"DeleteOrganization deletes its teams and their members", func(e *env) {
			o, keep := e.org(), e.org()
			u := e.member(o.ID, "org:member")
			create(e, e.members().CreateMembership, newMembership(keep.ID, u.ID))
			gone := create(e, e.teams().CreateTeam, newTeam(o.ID, "Core"))
			kept := create(e, e.teams().CreateTeam, newTeam(keep.ID, "Core"))
			create(e, e.teams().AddTeamMember, newTeamMember(gone.ID, u.ID))
			create(e, e.teams().AddTeamMember, newTeamMember(kept.ID, u.ID))
			e.ok(e.orgs().DeleteOrganization(e.ctx, o.ID), "DeleteOrganization")
			_, err := e.teams().GetTeam(e.ctx, gone.ID)
			e.is(err, storage.ErrNotFound, "DeleteOrganization must delete its teams")
			if got := must(e.teams().ListTeamMembers(e.ctx, gone.ID))(e); len(got) != 0 {
				e.t.Errorf("a deleted organization's team has %d members", len(got))
			}
			e.sameIDs("ListTeams of a deleted organization", ids(must(e.teams().ListTeams(e.ctx, o.ID))(e)), nil)
			e.sameIDs("another organization's teams are kept", ids(must(e.teams().ListUserTeams(e.ctx, keep.ID, u.ID))(e)), []string{kept.ID})
		}},
	)
}

func claimsTests() []test {
	return group("MembershipClaims",
		test{"GetMembershipClaims reads the membership slug permissions and team in one call", func(e *env) {
			e.claims() // the capability this checks is the one a store lacking it is skipped for
			o := e.org()
			create(e, e.roles().CreateRole, newRole("org:billing"))
			u := e.member(o.ID, "org:billing")
			m := must(e.members().GetMembership(e.ctx, o.ID, u.ID))(e)
			core := create(e, e.teams().CreateTeam, newTeam(o.ID, "Core"))
			ops := create(e, e.teams().CreateTeam, newTeam(o.ID, "Ops"))
			create(e, e.teams().AddTeamMember, newTeamMember(core.ID, u.ID))
			other := e.org()
			create(e, e.members().CreateMembership, newMembership(other.ID, u.ID))
			foreign := create(e, e.teams().CreateTeam, newTeam(other.ID, "Core"))
			create(e, e.teams().AddTeamMember, newTeamMember(foreign.ID, u.ID))

			for _, c := range []struct {
				name, team string
				in         bool
			}{
				{"no team", "", false},
				{"a team of the user", core.ID, true},
				{"a team the user is not in", ops.ID, false},
				{"the user's team in another organization", foreign.ID, false},
				{"a missing team", newTeam(o.ID, "x").ID, false},
			} {
				got := must(e.claims().GetMembershipClaims(e.ctx, o.ID, u.ID, c.team))(e)
				e.same("GetMembershipClaims("+c.name+").Membership", got.Membership, m)
				if got.OrganizationSlug != o.Slug {
					e.t.Errorf("GetMembershipClaims(%s).OrganizationSlug = %q, want %q", c.name, got.OrganizationSlug, o.Slug)
				}
				if !slices.Equal(got.Permissions, newRole("").Permissions) {
					e.t.Errorf("GetMembershipClaims(%s).Permissions = %q, want the role's", c.name, got.Permissions)
				}
				if got.InTeam != c.in {
					e.t.Errorf("GetMembershipClaims(%s).InTeam = %v, want %v", c.name, got.InTeam, c.in)
				}
			}
			m.Role = "org:gone"
			e.ok(e.members().UpdateMembership(e.ctx, m), "UpdateMembership")
			if got := must(e.claims().GetMembershipClaims(e.ctx, o.ID, u.ID, ""))(e); got.Permissions != nil || got.Membership.Role != "org:gone" {
				e.t.Errorf("with a role that does not exist: Permissions %q, Role %q; want nil and org:gone", got.Permissions, got.Membership.Role)
			}
			_, err := e.claims().GetMembershipClaims(e.ctx, o.ID, e.user().ID, "")
			e.is(err, storage.ErrNotFound, "GetMembershipClaims of a non-member")
			_, err = e.claims().GetMembershipClaims(e.ctx, newOrg().ID, u.ID, core.ID)
			e.is(err, storage.ErrNotFound, "GetMembershipClaims in a missing organization")
			e.ok(e.members().DeleteMembership(e.ctx, o.ID, u.ID), "DeleteMembership")
			_, err = e.claims().GetMembershipClaims(e.ctx, o.ID, u.ID, core.ID)
			e.is(err, storage.ErrNotFound, "GetMembershipClaims of a removed member")
			o.Slug = "renamed-" + o.ID
			e.ok(e.orgs().UpdateOrganization(e.ctx, o), "UpdateOrganization")
			create(e, e.members().CreateMembership, newMembership(o.ID, u.ID))
			if got := must(e.claims().GetMembershipClaims(e.ctx, o.ID, u.ID, core.ID))(e); got.OrganizationSlug != o.Slug || got.InTeam {
				e.t.Errorf("after a rename and joining again: slug %q, InTeam %v; want %q and false", got.OrganizationSlug, got.InTeam, o.Slug)
			}
		}},
	)
}

func invitationsForEmailTests() []test {
	return group("InvitationsForEmail",
		test{"ListInvitationsForEmail matches the canonical address of organization invitations", func(e *env) {
			e.invitesFor() // the capability this checks is the one a store lacking it is skipped for
			o1, o2 := e.org(), e.org()
			mk := func(orgID, email, status string) string {
				i := newInvitation(orgID)
				i.EmailAddress, i.Status = email, status
				return create(e, e.s.CreateInvitation, i).ID
			}
			a := mk(o1.ID, "Ada@Example.com", storage.InvitationPending)
			b := mk(o2.ID, " ada@example.com", storage.InvitationAccepted)
			c := mk(o2.ID, "ａｄａ@example.com", storage.InvitationPending)
			mk(o1.ID, "other@example.com", storage.InvitationPending)
			mk("", "ada@example.com", storage.InvitationPending) // an application invitation
			list := func(email, status string) []string {
				got, _, err := e.invitesFor().ListInvitationsForEmail(e.ctx, email, status, storage.Page{})
				e.ok(err, "ListInvitationsForEmail")
				return ids(got)
			}
			e.sameIDs("ListInvitationsForEmail any status", list("ADA@example.COM ", ""), []string{a, b, c})
			e.sameIDs("ListInvitationsForEmail pending", list("ada@example.com", storage.InvitationPending), []string{a, c})
			e.sameIDs("ListInvitationsForEmail of an address with none", list("nobody@example.com", ""), nil)
			e.ok(e.s.TransitionInvitation(e.ctx, a, storage.InvitationPending, storage.InvitationRevoked, at(0)), "TransitionInvitation")
			e.sameIDs("ListInvitationsForEmail sees transitions", list("ada@example.com", storage.InvitationPending), []string{c})
			e.ok(e.orgs().DeleteOrganization(e.ctx, o2.ID), "DeleteOrganization")
			e.sameIDs("ListInvitationsForEmail after DeleteOrganization", list("ada@example.com", ""), []string{a})
		}},
	)
}

// errFull is what the membership-limit test returns when an organization is
// full.
var errFull = errors.New("storagetest: the organization is full")

func lockTests() []test {
	return group("OrganizationLock",
		test{"LockOrganization of a missing organization is ErrNotFound", func(e *env) {
			e.locks() // the capability this checks is the one a store lacking it is skipped for
			o := e.org()
			e.ok(e.locks().LockOrganization(e.ctx, o.ID), "LockOrganization outside a transaction")
			e.is(e.locks().LockOrganization(e.ctx, newOrg().ID), storage.ErrNotFound, "LockOrganization of a missing organization")
			err := e.s.InTx(e.ctx, func(q storage.Querier) error {
				l := capOf[storage.OrganizationLockStore](e, q)
				if err := l.LockOrganization(e.ctx, o.ID); err != nil {
					return err
				}
				return l.LockOrganization(e.ctx, newOrg().ID)
			})
			e.is(err, storage.ErrNotFound, "LockOrganization of a missing organization in a transaction")
		}},
		test{fmt.Sprintf("LockOrganization serializes %d count-then-insert transactions under a limit", n), func(e *env) {
			const limit = 3
			o := newOrg()
			o.MaxMemberships = limit
			create(e, e.orgs().CreateOrganization, o)
			e.locks() // skips here, on the test's goroutine, if the store has no lock
			users := make([]*storage.User, n)
			for i := range users {
				users[i] = e.user()
			}
			errs := race(n, func(i int) error {
				return e.s.InTx(e.ctx, func(q storage.Querier) error {
					if err := q.(storage.OrganizationLockStore).LockOrganization(e.ctx, o.ID); err != nil {
						return err
					}
					ms := q.(storage.MembershipStore)
					count, err := ms.CountMemberships(e.ctx, storage.MembershipFilter{OrganizationID: o.ID})
					if err != nil {
						return err
					}
					if count >= limit {
						return errFull
					}
					// Widen the window between the check and the write it
					// guards, which the lock must close.
					time.Sleep(time.Millisecond)
					return ms.CreateMembership(e.ctx, newMembership(o.ID, users[i].ID))
				})
			})
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, errFull):
					e.t.Errorf("a transaction that found the organization full got %v, want errFull", err)
				}
			}
			got := must(e.members().CountMemberships(e.ctx, storage.MembershipFilter{OrganizationID: o.ID}))(e)
			if wins != limit || got != limit {
				e.t.Errorf("%d transactions under a limit of %d: %d committed, %d members; want %d and %d", n, limit, wins, got, limit, limit)
			}
		}},
	)
}

func organizationConcurrencyTests() []test {
	return group("Concurrency",
		test{fmt.Sprintf("TransitionMembershipRequest %d goroutines exactly one wins", n), func(e *env) {
			r := create(e, e.requests().CreateMembershipRequest, newMembershipRequest(e.org().ID, e.user().ID))
			e.exactlyOne("TransitionMembershipRequest pending to accepted", race(n, func(i int) error {
				to := []string{storage.MembershipRequestAccepted, storage.MembershipRequestRejected}[i%2]
				return e.requests().TransitionMembershipRequest(e.ctx, r.ID, storage.MembershipRequestPending, to, at(0))
			}), storage.ErrConsumed)
		}},
		test{fmt.Sprintf("CreateMembershipRequest same pair %d goroutines exactly one wins", n), func(e *env) {
			o, u, reqs := e.org(), e.user(), e.requests()
			e.exactlyOne("pending requests of one user to one organization", race(n, func(int) error {
				return reqs.CreateMembershipRequest(e.ctx, newMembershipRequest(o.ID, u.ID))
			}), storage.ErrConflict)
		}},
		test{fmt.Sprintf("AddTeamMember same user %d goroutines exactly one wins", n), func(e *env) {
			o := e.org()
			t := create(e, e.teams().CreateTeam, newTeam(o.ID, "Core"))
			u := e.member(o.ID, "org:member")
			e.exactlyOne("adding one user to one team", race(n, func(int) error {
				return e.teams().AddTeamMember(e.ctx, newTeamMember(t.ID, u.ID))
			}), storage.ErrConflict)
		}},
	)
}

func organizationTxTests() []test {
	return group("Transactions",
		test{"an error from fn rolls back organization capability writes", func(e *env) {
			o := e.org()
			e.teams() // skip here if the store has no teams
			e.requests()
			e.roleSets()
			u := e.member(o.ID, "org:member")
			core := create(e, e.teams().CreateTeam, newTeam(o.ID, "Core"))
			create(e, e.teams().AddTeamMember, newTeamMember(core.ID, u.ID))
			set := create(e, e.roleSets().PutRoleSet, newRoleSet("default"))
			req := create(e, e.requests().CreateMembershipRequest, newMembershipRequest(o.ID, e.user().ID))
			newTeamRec, newReq := newTeam(o.ID, "Ops"), newMembershipRequest(o.ID, u.ID)
			err := e.s.InTx(e.ctx, func(q storage.Querier) error {
				ts, rs, ss := q.(storage.TeamStore), q.(storage.MembershipRequestStore), q.(storage.RoleSetStore)
				upd := newRoleSet("default")
				upd.Name = "Changed"
				renamed := *core
				renamed.Name = "Renamed"
				steps := []error{
					q.(storage.OrganizationLockStore).LockOrganization(e.ctx, o.ID),
					ts.CreateTeam(e.ctx, newTeamRec),
					ts.UpdateTeam(e.ctx, &renamed),
					rs.CreateMembershipRequest(e.ctx, newReq),
					rs.TransitionMembershipRequest(e.ctx, req.ID, storage.MembershipRequestPending, storage.MembershipRequestAccepted, at(0)),
					ss.PutRoleSet(e.ctx, upd),
					ss.PutPermission(e.ctx, newPermission("org:x:read")),
					q.(storage.MembershipStore).DeleteMembership(e.ctx, o.ID, u.ID),
					q.(storage.OrganizationStore).DeleteOrganization(e.ctx, o.ID),
				}
				if err := errors.Join(steps...); err != nil {
					return fmt.Errorf("a step inside the transaction failed: %w", err)
				}
				return errBoom
			})
			if err != errBoom {
				e.t.Fatalf("InTx must return fn's error unchanged: got %v", err)
			}
			e.same("a team renamed and deleted in a failed transaction is unchanged", must(e.teams().GetTeam(e.ctx, core.ID))(e), core)
			e.sameIDs("ListTeams after a failed transaction", ids(must(e.teams().ListTeams(e.ctx, o.ID))(e)), []string{core.ID})
			e.sameIDs("ListUserTeams after a failed transaction", ids(must(e.teams().ListUserTeams(e.ctx, o.ID, u.ID))(e)), []string{core.ID})
			e.same("a request accepted in a failed transaction is unchanged", must(e.requests().GetMembershipRequest(e.ctx, req.ID))(e), req)
			_, err = e.requests().GetMembershipRequest(e.ctx, newReq.ID)
			e.is(err, storage.ErrNotFound, "a request created in a failed transaction must not exist")
			e.same("a role set replaced in a failed transaction is unchanged", must(e.roleSets().GetRoleSet(e.ctx, "default"))(e), set)
			if got := must(e.roleSets().ListPermissions(e.ctx))(e); len(got) != 0 {
				e.t.Errorf("a permission put in a failed transaction exists: %d", len(got))
			}
			create(e, e.teams().CreateTeam, newTeamRec) // its name and ID are free
			create(e, e.requests().CreateMembershipRequest, newReq)
		}},
	)
}
