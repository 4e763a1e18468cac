package storagetest

import (
	"fmt"
	"slices"
	"time"

	"github.com/latchauth/latch/storage"
)

func organizationTests() []test {
	return group("Organizations",
		test{"slug is unique under CanonicalName", func(e *env) {
			for _, v := range variants {
				a := newOrg()
				a.Slug = fmt.Sprintf(v.first, "-"+a.ID)
				create(e, e.orgs().CreateOrganization, a)
				b := newOrg()
				b.Slug = fmt.Sprintf(v.second, "-"+a.ID)
				e.is(e.orgs().CreateOrganization(e.ctx, b), storage.ErrConflict, "CreateOrganization with a "+v.name+" variant of a taken slug")
				if got := must(e.orgs().GetOrganizationBySlug(e.ctx, b.Slug))(e); got.ID != a.ID {
					e.t.Errorf("GetOrganizationBySlug(%q) = %s, want %s", b.Slug, got.ID, a.ID)
				}
				b.Slug += "-other"
				create(e, e.orgs().CreateOrganization, b)
				b.Slug = fmt.Sprintf(v.second, "-"+a.ID)
				e.is(e.orgs().UpdateOrganization(e.ctx, b), storage.ErrConflict, "UpdateOrganization to a "+v.name+" variant of a taken slug")
			}
			dup := newOrg()
			dup.ID = e.org().ID
			e.is(e.orgs().CreateOrganization(e.ctx, dup), storage.ErrConflict, "CreateOrganization with an ID in use")
		}},
		test{"UpdateOrganization checks the version and missing organizations are ErrNotFound", func(e *env) {
			o := e.org()
			old := *o
			o.Name, o.Slug, o.MaxMemberships, o.PublicMetadata = "Renamed", "renamed-"+o.ID, 0, nil
			e.ok(e.orgs().UpdateOrganization(e.ctx, o), "UpdateOrganization")
			if o.Version != 2 {
				e.t.Errorf("UpdateOrganization must increment o.Version: got %d", o.Version)
			}
			e.same("UpdateOrganization replaces every field", must(e.orgs().GetOrganization(e.ctx, o.ID))(e), o)
			_, err := e.orgs().GetOrganizationBySlug(e.ctx, old.Slug)
			e.is(err, storage.ErrNotFound, "the old slug must be free after UpdateOrganization")
			e.is(e.orgs().UpdateOrganization(e.ctx, &old), storage.ErrStale, "UpdateOrganization with an old version")
			missing := newOrg()
			_, err = e.orgs().GetOrganization(e.ctx, missing.ID)
			e.is(err, storage.ErrNotFound, "GetOrganization")
			e.is(e.orgs().UpdateOrganization(e.ctx, missing), storage.ErrNotFound, "UpdateOrganization")
			e.is(e.orgs().DeleteOrganization(e.ctx, missing.ID), storage.ErrNotFound, "DeleteOrganization")
		}},
		test{"DeleteOrganization cascades to memberships invitations and domains", func(e *env) {
			o, keep, u := e.org(), e.org(), e.user()
			for _, org := range []*storage.Organization{o, keep} {
				create(e, e.members().CreateMembership, newMembership(org.ID, u.ID))
				create(e, e.s.CreateInvitation, newInvitation(org.ID))
				create(e, e.domains().CreateDomain, newDomain(org.ID, "d-"+org.ID+".example", true))
			}
			inv := e.firstInvitation(e.s.ListInvitations(e.ctx, o.ID, "", storage.Page{}))
			dom := must(e.domains().ListDomains(e.ctx, o.ID))(e)
			e.ok(e.orgs().DeleteOrganization(e.ctx, o.ID), "DeleteOrganization")
			_, err := e.orgs().GetOrganization(e.ctx, o.ID)
			e.is(err, storage.ErrNotFound, "GetOrganization after delete")
			_, err = e.orgs().GetOrganizationBySlug(e.ctx, o.Slug)
			e.is(err, storage.ErrNotFound, "GetOrganizationBySlug after delete")
			_, err = e.members().GetMembership(e.ctx, o.ID, u.ID)
			e.is(err, storage.ErrNotFound, "DeleteOrganization must delete memberships")
			_, err = e.s.GetInvitation(e.ctx, inv.ID)
			e.is(err, storage.ErrNotFound, "DeleteOrganization must delete invitations")
			_, err = e.domains().GetDomain(e.ctx, dom[0].ID)
			e.is(err, storage.ErrNotFound, "DeleteOrganization must delete domains")
			_, err = e.domains().FindDomain(e.ctx, dom[0].Name)
			e.is(err, storage.ErrNotFound, "DeleteOrganization must free verified domains")
			must(e.members().GetMembership(e.ctx, keep.ID, u.ID))(e)
			must(e.s.GetUser(e.ctx, u.ID))(e)
			if n := len(must(e.domains().ListDomains(e.ctx, keep.ID))(e)); n != 1 {
				e.t.Errorf("DeleteOrganization deleted another organization's domains: %d left", n)
			}
			create(e, e.domains().CreateDomain, newDomain(keep.ID, dom[0].Name, true))
		}},
		test{"ListOrganizations query", func(e *env) {
			mk := func(name, slug string) string {
				o := newOrg()
				o.Name, o.Slug = name, slug
				return create(e, e.orgs().CreateOrganization, o).ID
			}
			acme, globex, initech := mk("Acme Corp", "acme"), mk("Globex", "globex-corp"), mk("Initech", "initech")
			for _, c := range []struct {
				query string
				want  []string
			}{
				{"", []string{acme, globex, initech}},
				{"CORP", []string{acme, globex}},
				{"itec", []string{initech}},
				{globex, []string{globex}},
				{"%", nil},
			} {
				got, _, err := e.orgs().ListOrganizations(e.ctx, c.query, storage.Page{})
				e.ok(err, "ListOrganizations")
				if !slices.Equal(ids(got), c.want) && len(got)+len(c.want) > 0 {
					e.t.Errorf("ListOrganizations(%q): got %q, want %q", c.query, ids(got), c.want)
				}
			}
		}},
	)
}

// firstInvitation returns the first invitation of a ListInvitations call,
// failing when there is none.
func (e *env) firstInvitation(list []*storage.Invitation, _ string, err error) *storage.Invitation {
	e.t.Helper()
	e.ok(err, "ListInvitations")
	if len(list) == 0 {
		e.t.Fatal("ListInvitations: empty")
	}
	return list[0]
}

func membershipTests() []test {
	list := func(e *env, f storage.MembershipFilter) []string {
		e.t.Helper()
		ms, _, err := e.members().ListMemberships(e.ctx, f, storage.Page{Limit: storage.MaxLimit})
		e.ok(err, "ListMemberships")
		return ids(ms)
	}
	return group("Memberships",
		test{"CreateMembership needs the organization and user and is unique per pair", func(e *env) {
			o, u := e.org(), e.user()
			e.is(e.members().CreateMembership(e.ctx, newMembership(newOrg().ID, u.ID)), storage.ErrNotFound, "CreateMembership in a missing organization")
			e.is(e.members().CreateMembership(e.ctx, newMembership(o.ID, newUser().ID)), storage.ErrNotFound, "CreateMembership of a missing user")
			m := create(e, e.members().CreateMembership, newMembership(o.ID, u.ID))
			e.is(e.members().CreateMembership(e.ctx, newMembership(o.ID, u.ID)), storage.ErrConflict, "CreateMembership of a member")
			dup := newMembership(e.org().ID, u.ID)
			dup.ID = m.ID
			e.is(e.members().CreateMembership(e.ctx, dup), storage.ErrConflict, "CreateMembership with an ID in use")
		}},
		test{"UpdateMembership replaces role and metadata and DeleteMembership deletes", func(e *env) {
			m := create(e, e.members().CreateMembership, newMembership(e.org().ID, e.user().ID))
			upd := *m
			upd.Role, upd.PublicMetadata, upd.PrivateMetadata, upd.UpdatedAt = "org:admin", nil, raw(`{"a": [true]}`), atB(time.Hour)
			upd.CreatedAt = at(time.Hour) // not replaced
			e.ok(e.members().UpdateMembership(e.ctx, &upd), "UpdateMembership")
			want := upd
			want.CreatedAt = m.CreatedAt
			e.same("UpdateMembership", must(e.members().GetMembership(e.ctx, m.OrganizationID, m.UserID))(e), &want)
			e.ok(e.members().DeleteMembership(e.ctx, m.OrganizationID, m.UserID), "DeleteMembership")
			_, err := e.members().GetMembership(e.ctx, m.OrganizationID, m.UserID)
			e.is(err, storage.ErrNotFound, "GetMembership after delete")
			e.is(e.members().DeleteMembership(e.ctx, m.OrganizationID, m.UserID), storage.ErrNotFound, "DeleteMembership twice")
			e.is(e.members().UpdateMembership(e.ctx, m), storage.ErrNotFound, "UpdateMembership of a missing membership")
			create(e, e.members().CreateMembership, newMembership(m.OrganizationID, m.UserID)) // may join again
		}},
		test{"ListMemberships and CountMemberships filters", func(e *env) {
			o1, o2, a, b := e.org(), e.org(), e.user(), e.user()
			mk := func(o *storage.Organization, u *storage.User, role string) string {
				m := newMembership(o.ID, u.ID)
				m.Role = role
				return create(e, e.members().CreateMembership, m).ID
			}
			m1, m2, m3 := mk(o1, a, "org:admin"), mk(o1, b, "org:member"), mk(o2, a, "org:member")
			for _, c := range []struct {
				name string
				f    storage.MembershipFilter
				want []string
			}{
				{"all", storage.MembershipFilter{}, []string{m1, m2, m3}},
				{"organization", storage.MembershipFilter{OrganizationID: o1.ID}, []string{m1, m2}},
				{"user", storage.MembershipFilter{UserID: a.ID}, []string{m1, m3}},
				{"role", storage.MembershipFilter{Role: "org:member"}, []string{m2, m3}},
				{"organization and role", storage.MembershipFilter{OrganizationID: o1.ID, Role: "org:admin"}, []string{m1}},
				{"no match", storage.MembershipFilter{OrganizationID: o2.ID, UserID: b.ID}, nil},
			} {
				if got := list(e, c.f); !slices.Equal(got, c.want) && len(got)+len(c.want) > 0 {
					e.t.Errorf("ListMemberships(%s): got %q, want %q", c.name, got, c.want)
				}
				if n := must(e.members().CountMemberships(e.ctx, c.f))(e); n != len(c.want) {
					e.t.Errorf("CountMemberships(%s) = %d, want %d", c.name, n, len(c.want))
				}
			}
		}},
	)
}

func invitationTests() []test {
	return group("Invitations",
		test{"ListInvitations by organization and status", func(e *env) {
			o := e.org()
			mk := func(orgID, status string) string {
				i := newInvitation(orgID)
				i.Status = status
				return create(e, e.s.CreateInvitation, i).ID
			}
			p1, a1, p2 := mk(o.ID, storage.InvitationPending), mk(o.ID, storage.InvitationAccepted), mk(o.ID, storage.InvitationPending)
			app := mk("", storage.InvitationPending)
			mk(e.org().ID, storage.InvitationPending)
			for _, c := range []struct {
				org, status string
				want        []string
			}{
				{o.ID, "", []string{p1, a1, p2}},
				{o.ID, storage.InvitationPending, []string{p1, p2}},
				{o.ID, storage.InvitationRevoked, nil},
				{"", "", []string{app}},
			} {
				got, _, err := e.s.ListInvitations(e.ctx, c.org, c.status, storage.Page{})
				e.ok(err, "ListInvitations")
				if !slices.Equal(ids(got), c.want) && len(got)+len(c.want) > 0 {
					e.t.Errorf("ListInvitations(%q, %q): got %q, want %q", c.org, c.status, ids(got), c.want)
				}
			}
			dup := newInvitation(o.ID)
			dup.ID = p1
			e.is(e.s.CreateInvitation(e.ctx, dup), storage.ErrConflict, "CreateInvitation with an ID in use")
		}},
		test{"TransitionInvitation moves from one status only", func(e *env) {
			i := create(e, e.s.CreateInvitation, newInvitation(e.org().ID))
			e.ok(e.s.TransitionInvitation(e.ctx, i.ID, storage.InvitationPending, storage.InvitationAccepted, atB(time.Hour)), "TransitionInvitation")
			want := *i
			want.Status, want.UpdatedAt = storage.InvitationAccepted, at(time.Hour)
			e.same("TransitionInvitation sets Status and UpdatedAt", must(e.s.GetInvitation(e.ctx, i.ID))(e), &want)
			e.is(e.s.TransitionInvitation(e.ctx, i.ID, storage.InvitationPending, storage.InvitationRevoked, at(0)), storage.ErrConsumed,
				"TransitionInvitation from a status the invitation left")
			e.is(e.s.TransitionInvitation(e.ctx, newInvitation("").ID, storage.InvitationPending, storage.InvitationAccepted, at(0)), storage.ErrNotFound,
				"TransitionInvitation of a missing invitation")
			_, err := e.s.GetInvitation(e.ctx, newInvitation("").ID)
			e.is(err, storage.ErrNotFound, "GetInvitation of a missing invitation")
		}},
	)
}

func domainTests() []test {
	return group("Domains",
		test{"verified domain names are unique under CanonicalName", func(e *env) {
			for _, v := range variants {
				a, b := e.org(), e.org()
				first := create(e, e.domains().CreateDomain, newDomain(a.ID, fmt.Sprintf(v.first, ".example"), true))
				second := fmt.Sprintf(v.second, ".example")
				e.is(e.domains().CreateDomain(e.ctx, newDomain(b.ID, second, true)), storage.ErrConflict, "verified "+v.name+" variant of a verified domain")
				if got := must(e.domains().FindDomain(e.ctx, second))(e); got.ID != first.ID {
					e.t.Errorf("FindDomain(%q) = %s, want %s", second, got.ID, first.ID)
				}
				unverified := create(e, e.domains().CreateDomain, newDomain(b.ID, second, false))
				unverified.VerifiedAt = at(time.Hour)
				e.is(e.domains().UpdateDomain(e.ctx, unverified), storage.ErrConflict, "verifying a domain another organization verified")
				e.ok(e.domains().DeleteDomain(e.ctx, first.ID), "DeleteDomain")
				e.ok(e.domains().UpdateDomain(e.ctx, unverified), "verifying once the verified one is deleted")
				e.ok(e.domains().DeleteDomain(e.ctx, unverified.ID), "DeleteDomain")
			}
		}},
		test{"FindDomain matches verified domains only", func(e *env) {
			o := e.org()
			d := create(e, e.domains().CreateDomain, newDomain(o.ID, "unverified.example", false))
			create(e, e.domains().CreateDomain, newDomain(e.org().ID, "unverified.example", false))
			_, err := e.domains().FindDomain(e.ctx, d.Name)
			e.is(err, storage.ErrNotFound, "FindDomain of an unverified domain")
			upd := *d
			upd.OrganizationID, upd.Name, upd.CreatedAt = "", "renamed.example", at(time.Hour) // not replaced
			upd.EnrollmentMode, upd.VerifiedAt, upd.UpdatedAt = "manual_invitation", atB(time.Minute), atB(time.Minute)
			upd.IncludeSubdomains, upd.AffiliationEmail = false, ""
			e.ok(e.domains().UpdateDomain(e.ctx, &upd), "UpdateDomain")
			want := *d
			want.EnrollmentMode, want.VerifiedAt, want.UpdatedAt = upd.EnrollmentMode, upd.VerifiedAt, upd.UpdatedAt
			want.IncludeSubdomains, want.AffiliationEmail = false, ""
			e.same("UpdateDomain replaces EnrollmentMode, IncludeSubdomains, AffiliationEmail, VerifiedAt and UpdatedAt only", must(e.domains().FindDomain(e.ctx, "UNVERIFIED.example"))(e), &want)
		}},
		test{"ListDomains and DeleteDomain and missing domains", func(e *env) {
			o := e.org()
			d1 := create(e, e.domains().CreateDomain, newDomain(o.ID, "one.example", true))
			d2 := create(e, e.domains().CreateDomain, newDomain(o.ID, "two.example", false))
			create(e, e.domains().CreateDomain, newDomain(e.org().ID, "three.example", true))
			e.sameIDs("ListDomains, oldest first", ids(must(e.domains().ListDomains(e.ctx, o.ID))(e)), []string{d1.ID, d2.ID})
			dup := newDomain(o.ID, "four.example", false)
			dup.ID = d1.ID
			e.is(e.domains().CreateDomain(e.ctx, dup), storage.ErrConflict, "CreateDomain with an ID in use")
			e.ok(e.domains().DeleteDomain(e.ctx, d1.ID), "DeleteDomain")
			_, err := e.domains().GetDomain(e.ctx, d1.ID)
			e.is(err, storage.ErrNotFound, "GetDomain after delete")
			e.is(e.domains().DeleteDomain(e.ctx, d1.ID), storage.ErrNotFound, "DeleteDomain twice")
			e.is(e.domains().UpdateDomain(e.ctx, d1), storage.ErrNotFound, "UpdateDomain of a missing domain")
		}},
	)
}

func roleTests() []test {
	return group("Roles",
		test{"roles by key", func(e *env) {
			admin := create(e, e.roles().CreateRole, newRole("org:admin"))
			member := create(e, e.roles().CreateRole, newRole("org:member"))
			e.is(e.roles().CreateRole(e.ctx, newRole("org:admin")), storage.ErrConflict, "CreateRole with a key in use")
			dup := newRole("org:other")
			dup.ID = admin.ID
			e.is(e.roles().CreateRole(e.ctx, dup), storage.ErrConflict, "CreateRole with an ID in use")
			e.sameIDs("ListRoles, oldest first", ids(must(e.roles().ListRoles(e.ctx))(e)), []string{admin.ID, member.ID})

			upd := newRole("org:admin")
			upd.Name, upd.Description, upd.Permissions, upd.UpdatedAt = "Owner", "", nil, atB(time.Hour)
			e.ok(e.roles().UpdateRole(e.ctx, upd), "UpdateRole")
			want := *admin
			want.Name, want.Description, want.Permissions, want.UpdatedAt = "Owner", "", nil, at(time.Hour)
			e.same("UpdateRole replaces Name, Description, Permissions and UpdatedAt", must(e.roles().GetRole(e.ctx, "org:admin"))(e), &want)

			e.ok(e.roles().DeleteRole(e.ctx, "org:admin"), "DeleteRole")
			_, err := e.roles().GetRole(e.ctx, "org:admin")
			e.is(err, storage.ErrNotFound, "GetRole after delete")
			e.is(e.roles().DeleteRole(e.ctx, "org:admin"), storage.ErrNotFound, "DeleteRole twice")
			e.is(e.roles().UpdateRole(e.ctx, upd), storage.ErrNotFound, "UpdateRole of a missing role")
			create(e, e.roles().CreateRole, newRole("org:admin"))
		}},
	)
}

func billingTests() []test {
	return group("Billing",
		test{"PutPlan creates or replaces and keys are unique", func(e *env) {
			pro := create(e, e.billing().PutPlan, newPlan("pro"))
			free := create(e, e.billing().PutPlan, newPlan("free"))
			e.is(e.billing().PutPlan(e.ctx, newPlan("pro")), storage.ErrConflict, "PutPlan with another plan's key")
			pro.Key, pro.Amount, pro.Features = "pro-2025", 2999, nil
			create(e, e.billing().PutPlan, pro)
			e.same("PutPlan replaces the plan with the same ID", must(e.billing().GetPlan(e.ctx, "pro-2025"))(e), pro)
			_, err := e.billing().GetPlan(e.ctx, "pro")
			e.is(err, storage.ErrNotFound, "GetPlan of a replaced key")
			create(e, e.billing().PutPlan, newPlan("pro")) // the old key is free
			plans := must(e.billing().ListPlans(e.ctx))(e)
			if len(plans) != 3 || plans[0].ID != pro.ID || plans[1].ID != free.ID {
				e.t.Errorf("ListPlans must list every plan oldest first: got %q", ids(plans))
			}
		}},
		test{"PutSubscription creates or replaces", func(e *env) {
			u, plan := e.user(), create(e, e.billing().PutPlan, newPlan("pro"))
			s1 := create(e, e.billing().PutSubscription, newSubscription(u.ID, plan.ID))
			s2 := create(e, e.billing().PutSubscription, newSubscription(u.ID, plan.ID))
			create(e, e.billing().PutSubscription, newSubscription(e.user().ID, plan.ID))
			s1.Status, s1.CanceledAt = "canceled", atB(2*time.Hour)
			create(e, e.billing().PutSubscription, s1)
			got := must(e.billing().ListSubscriptions(e.ctx, u.ID))(e)
			e.sameIDs("ListSubscriptions, oldest first", ids(got), []string{s1.ID, s2.ID})
			e.same("PutSubscription replaces the one with the same ID", got[0], s1)
		}},
	)
}

func eventTests() []test {
	return group("Events",
		test{"ListEvents in ID order after a cursor and undispatched only", func(e *env) {
			var evs []string
			for range 5 {
				evs = append(evs, create(e, e.s.AppendEvent, newEvent("user.created")).ID)
			}
			e.ok(e.s.MarkEventDispatched(e.ctx, evs[1], atB(time.Minute)), "MarkEventDispatched")
			list := func(after string, undispatched bool, limit int) []string {
				got, err := e.s.ListEvents(e.ctx, after, undispatched, limit)
				e.ok(err, "ListEvents")
				return ids(got)
			}
			e.sameIDs("ListEvents all", list("", false, 10), evs)
			e.sameIDs("ListEvents undispatched", list("", true, 10), []string{evs[0], evs[2], evs[3], evs[4]})
			e.sameIDs("ListEvents after a cursor", list(evs[2], false, 10), evs[3:])
			e.sameIDs("ListEvents undispatched after a cursor", list(evs[0], true, 2), []string{evs[2], evs[3]})
			e.sameIDs("ListEvents limit", list("", false, 2), evs[:2])
			got, _ := e.s.ListEvents(e.ctx, evs[0], false, 1)
			if len(got) != 1 || got[0].DispatchedAt.IsZero() {
				e.t.Errorf("MarkEventDispatched must set DispatchedAt")
			}
		}},
		test{"MarkEventDispatched succeeds once and AppendEvent conflicts on a taken ID", func(e *env) {
			ev := create(e, e.s.AppendEvent, newEvent("session.created"))
			e.is(e.s.AppendEvent(e.ctx, ev), storage.ErrConflict, "AppendEvent with an ID in use")
			e.ok(e.s.MarkEventDispatched(e.ctx, ev.ID, at(0)), "MarkEventDispatched")
			e.is(e.s.MarkEventDispatched(e.ctx, ev.ID, at(0)), storage.ErrConsumed, "MarkEventDispatched twice")
			e.is(e.s.MarkEventDispatched(e.ctx, newEvent("x").ID, at(0)), storage.ErrNotFound, "MarkEventDispatched of a missing event")
		}},
	)
}

func auditTests() []test {
	return group("Audit",
		test{"ListAuditEvents filters", func(e *env) {
			u, v, o := e.user(), e.user(), e.org()
			mk := func(typ, userID, orgID string) string {
				a := newAudit(typ, userID)
				a.OrganizationID = orgID
				return create(e, e.s.AppendAuditEvent, a).ID
			}
			a1, a2 := mk("sign_in.failed", u.ID, ""), mk("sign_in.succeeded", u.ID, o.ID)
			a3, a4 := mk("sign_in.failed", v.ID, o.ID), mk("system.started", "", "")
			for _, c := range []struct {
				name string
				f    storage.AuditFilter
				want []string
			}{
				{"all", storage.AuditFilter{}, []string{a1, a2, a3, a4}},
				{"user", storage.AuditFilter{UserID: u.ID}, []string{a1, a2}},
				{"organization", storage.AuditFilter{OrganizationID: o.ID}, []string{a2, a3}},
				{"type", storage.AuditFilter{Type: "sign_in.failed"}, []string{a1, a3}},
				{"user and type", storage.AuditFilter{UserID: v.ID, Type: "sign_in.failed"}, []string{a3}},
			} {
				got, _, err := e.admin().ListAuditEvents(e.ctx, c.f, storage.Page{})
				e.ok(err, "ListAuditEvents")
				e.sameIDs("ListAuditEvents("+c.name+")", ids(got), c.want)
			}
			dup := newAudit("x", "")
			dup.ID = a1
			e.is(e.s.AppendAuditEvent(e.ctx, dup), storage.ErrConflict, "AppendAuditEvent with an ID in use")
		}},
	)
}
