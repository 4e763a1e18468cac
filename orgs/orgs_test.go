package orgs

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

func TestMemberCannotEscalateRole(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{Roles: []RoleParams{{Key: "org:manager", Name: "Manager",
			Permissions: []string{PermMembershipsRead, PermMembershipsManage, PermDomainsRead}}}})
		admin, member, manager := e.user(t, "ada@example.com"), e.user(t, "bob@example.com"), e.user(t, "cy@example.com")
		o := e.org(t, admin, "Acme")
		e.member(t, o.ID, member, RoleMember)
		e.member(t, o.ID, manager, "org:manager")

		// A member without the manage permission cannot change any role, their
		// own included.
		b := e.signIn(t, member)
		for _, target := range []string{member, admin} {
			code, out := b.JSON(http.MethodPatch, "/v1/organizations/"+o.ID+"/memberships/"+target, map[string]any{"role": RoleAdmin})
			if code != http.StatusForbidden {
				t.Errorf("member sets %s's role to admin: %d %v, want 403", target, code, out)
			}
		}
		// Nor invite someone as admin.
		if code, out := b.JSON(http.MethodPost, "/v1/organizations/"+o.ID+"/invitations", map[string]any{"email_address": "eve@example.com", "role": RoleAdmin}); code != http.StatusForbidden {
			t.Errorf("member invites an admin: %d %v", code, out)
		}
		// A manager may manage members, but not grant more than they hold:
		// not admin, to themselves or anyone, nor touch an admin.
		mb := e.signIn(t, manager)
		for _, target := range []string{manager, member} {
			code, out := mb.JSON(http.MethodPatch, "/v1/organizations/"+o.ID+"/memberships/"+target, map[string]any{"role": RoleAdmin})
			if code != http.StatusUnprocessableEntity || latchErr(out) != ErrRoleNotAllowed.Code {
				t.Errorf("manager makes %s admin: %d %v, want %s", target, code, out, ErrRoleNotAllowed.Code)
			}
		}
		if code, out := mb.JSON(http.MethodPatch, "/v1/organizations/"+o.ID+"/memberships/"+admin, map[string]any{"role": RoleMember}); code != http.StatusUnprocessableEntity {
			t.Errorf("manager demotes the admin: %d %v", code, out)
		}
		if code, out := mb.JSON(http.MethodPost, "/v1/organizations/"+o.ID+"/invitations", map[string]any{"email_address": "eve@example.com", "role": RoleAdmin}); code != http.StatusUnprocessableEntity {
			t.Errorf("manager invites an admin: %d %v", code, out)
		}
		// What they may do: give a role within their own permissions.
		if code, out := mb.JSON(http.MethodPatch, "/v1/organizations/"+o.ID+"/memberships/"+member, map[string]any{"role": "org:manager"}); code != http.StatusOK {
			t.Errorf("manager makes a member manager: %d %v", code, out)
		}
		m, err := e.p.GetMembership(e.ctx, o.ID, admin)
		if err != nil || m.Role != RoleAdmin {
			t.Fatalf("the admin's membership: %+v %v", m, err)
		}
	})
}

func latchErr(out map[string]any) string {
	if errs, ok := out["errors"].([]any); ok && len(errs) > 0 {
		if m, ok := errs[0].(map[string]any); ok {
			s, _ := m["code"].(string)
			return s
		}
	}
	return ""
}

func TestLastCreatorCannotBeRemoved(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{})
		admin, other := e.user(t, "ada@example.com"), e.user(t, "bob@example.com")
		o := e.org(t, admin, "Acme")
		e.member(t, o.ID, other, RoleMember)

		if err := e.p.RemoveMember(e.ctx, o.ID, admin); !errors.Is(err, ErrLastCreator) {
			t.Errorf("removing the last admin: %v", err)
		}
		if _, err := e.p.UpdateMemberRole(e.ctx, o.ID, admin, RoleMember); !errors.Is(err, ErrLastCreator) {
			t.Errorf("demoting the last admin: %v", err)
		}
		if err := e.p.Leave(e.ctx, o.ID, admin); !errors.Is(err, ErrLastCreator) {
			t.Errorf("the last admin leaves: %v", err)
		}
		b := e.signIn(t, admin)
		if code, out := b.JSON(http.MethodDelete, "/v1/me/organizations/"+o.ID, nil); code != http.StatusUnprocessableEntity {
			t.Errorf("the last admin leaves through the API: %d %v", code, out)
		}
		// Two admins demoting each other at once: one stays.
		e.member(t, o.ID, e.user(t, "cy@example.com"), RoleMember)
		if _, err := e.p.UpdateMemberRole(e.ctx, o.ID, other, RoleAdmin); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, u := range []string{admin, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = e.p.RemoveMember(e.ctx, o.ID, u)
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Errorf("removing both admins at once: %v, %v; want exactly one refused", errs[0], errs[1])
		}
		admins, _, err := e.p.ListMembers(e.ctx, o.ID, RoleAdmin, pageAll)
		if err != nil || len(admins) != 1 {
			t.Fatalf("admins left: %v %v", admins, err)
		}
	})
}

func TestInvitationNeedsTheVerifiedEmail(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{})
		admin := e.user(t, "ada@example.com")
		o := e.org(t, admin, "Acme")
		inv, err := e.p.CreateInvitation(e.ctx, o.ID, admin, InviteParams{EmailAddress: "grace@corp.example"})
		if err != nil {
			t.Fatal(err)
		}
		// Someone else, signed in, cannot accept it.
		mallory := e.user(t, "mallory@example.com")
		if _, err := e.p.AcceptInvitation(e.ctx, mallory, inv.ID); !errors.Is(err, ErrEmailNotVerified) {
			t.Errorf("another user accepts: %v", err)
		}
		// Nor someone holding the address unverified.
		e.unverified(t, mallory, "grace@corp.example")
		b := e.signIn(t, mallory)
		if code, out := b.JSON(http.MethodPost, "/v1/me/organizations/invitations/"+inv.ID+"/accept", nil); code != http.StatusForbidden {
			t.Errorf("accepting with the address unverified: %d %v", code, out)
		}
		if _, err := e.p.GetMembership(e.ctx, o.ID, mallory); !errors.Is(err, latch.ErrNotFound) {
			t.Fatalf("mallory is a member: %v", err)
		}
		// The invitee signs up through the mailed link: the link verifies the
		// address, and the new account is a member.
		e.Flush()
		link := e.LastLink(t, "grace@corp.example")
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		ticket := u.Query().Get("ticket")
		gb := e.NewBrowser()
		code, out := gb.JSON(http.MethodPost, "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": goodPassword})
		if code != http.StatusOK || out["status"] != "complete" {
			t.Fatalf("signing up with the invitation: %d %v", code, out)
		}
		uid, _ := out["created_user_id"].(string)
		m, err := e.p.GetMembership(e.ctx, o.ID, uid)
		if err != nil || m.Role != RoleMember {
			t.Fatalf("the invitee's membership: %+v %v", m, err)
		}
		// Spent: nobody accepts it again.
		if _, err := e.p.AcceptInvitation(e.ctx, uid, inv.ID); !errors.Is(err, latch.ErrInvitationInvalid) {
			t.Errorf("accepting twice: %v", err)
		}
		// An invitation to an existing user with the address verified works
		// signed in; a revoked one fails clearly.
		grace2 := e.user(t, "lin@corp.example")
		inv2, err := e.p.CreateInvitation(e.ctx, o.ID, admin, InviteParams{EmailAddress: "LIN@corp.example"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.p.AcceptInvitation(e.ctx, grace2, inv2.ID); err != nil {
			t.Errorf("accepting with the address verified: %v", err)
		}
		inv3, _ := e.p.CreateInvitation(e.ctx, o.ID, admin, InviteParams{EmailAddress: "max@corp.example"})
		if _, err := e.p.RevokeInvitation(e.ctx, o.ID, inv3.ID); err != nil {
			t.Fatal(err)
		}
		maxID := e.user(t, "max@corp.example")
		if _, err := e.p.AcceptInvitation(e.ctx, maxID, inv3.ID); !errors.Is(err, latch.ErrInvitationInvalid) {
			t.Errorf("accepting a revoked invitation: %v", err)
		}
	})
}

func TestConcurrentInvitationAcceptanceOneWins(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{})
		admin := e.user(t, "ada@example.com")
		o := e.org(t, admin, "Acme")
		inv, err := e.p.CreateInvitation(e.ctx, o.ID, admin, InviteParams{EmailAddress: "grace@corp.example"})
		if err != nil {
			t.Fatal(err)
		}
		e.Flush()
		link, _ := url.Parse(e.LastLink(t, "grace@corp.example"))
		ticket := link.Query().Get("ticket")
		grace := e.user(t, "grace@corp.example")
		const n = 8
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					_, results[i] = e.p.AcceptInvitation(e.ctx, grace, inv.ID)
					return
				}
				// A sign-up through the link at the same time.
				b := e.NewBrowser()
				code, out := b.JSON(http.MethodPost, "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": goodPassword})
				if code == http.StatusOK && out["status"] == "complete" {
					results[i] = nil
				} else {
					results[i] = fmt.Errorf("%d %v", code, out)
				}
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range results {
			if err == nil {
				wins++
			}
		}
		if wins != 1 {
			t.Fatalf("%d acceptances succeeded (%v), want exactly 1", wins, results)
		}
		members, _, _ := e.p.ListMembers(e.ctx, o.ID, "", pageAll)
		if len(members) != 2 {
			t.Fatalf("%d members, want 2", len(members))
		}
	})
}

func TestUnverifiedAddressGetsNoDomainInvitation(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{})
		admin := e.user(t, "ada@corp.example")
		o := e.org(t, admin, "Acme")
		if _, err := e.p.CreateDomain(e.ctx, o.ID, DomainParams{Name: "corp.example", EnrollmentMode: EnrollAutoInvitation, Verified: true}); err != nil {
			t.Fatal(err)
		}
		other := e.org(t, admin, "Acme Labs")
		if _, err := e.p.CreateDomain(e.ctx, other.ID, DomainParams{Name: "labs.example", EnrollmentMode: EnrollAutoSuggestion, Verified: true}); err != nil {
			t.Fatal(err)
		}
		mallory := e.user(t, "mallory@example.com")
		e.unverified(t, mallory, "mallory@corp.example")
		e.unverified(t, mallory, "mallory@labs.example")
		b := e.signIn(t, mallory)
		if _, out := b.JSON(http.MethodGet, "/v1/me/organizations/invitations", nil); out["data"] != nil {
			t.Errorf("invitations for an unverified address: %v", out)
		}
		if _, out := b.JSON(http.MethodGet, "/v1/me/organizations/suggestions", nil); out["data"] != nil {
			t.Errorf("suggestions for an unverified address: %v", out)
		}
		if code, out := b.JSON(http.MethodPost, "/v1/me/organizations/suggestions/"+other.ID+"/request", nil); code != http.StatusForbidden {
			t.Errorf("requesting without a suggestion: %d %v", code, out)
		}
		// With the addresses verified, the invitation and the suggestion come.
		grace := e.user(t, "grace@corp.example")
		invs, err := e.p.ListUserInvitations(e.ctx, grace)
		if err != nil || len(invs) != 1 || invs[0].OrganizationID != o.ID {
			t.Fatalf("invitations of a verified address: %v %v", invs, err)
		}
		lin := e.user(t, "lin@labs.example")
		sugg, err := e.p.ListSuggestions(e.ctx, lin)
		if err != nil || len(sugg) != 1 || sugg[0].Organization.ID != other.ID {
			t.Fatalf("suggestions of a verified address: %v %v", sugg, err)
		}
		// A subdomain counts only when the domain includes them.
		sub := e.user(t, "sam@eu.labs.example")
		if sugg, _ := e.p.ListSuggestions(e.ctx, sub); len(sugg) != 0 {
			t.Errorf("a subdomain address got %v", sugg)
		}
	})
}

func TestMembershipLimitUnderConcurrency(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{MaxMemberships: 3})
		admin := e.user(t, "ada@example.com")
		o := e.org(t, admin, "Acme")
		const n = 10
		users := make([]string, n)
		for i := range users {
			users[i] = e.user(t, fmt.Sprintf("u%d@example.com", i))
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = e.p.AddMember(e.ctx, o.ID, users[i], "")
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrMembershipLimit):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 2 {
			t.Errorf("%d joined, want 2 (3 seats, the creator holds one)", ok)
		}
		members, _, _ := e.p.ListMembers(e.ctx, o.ID, "", pageAll)
		if len(members) != 3 {
			t.Errorf("%d members, want 3", len(members))
		}
	})
}

func TestRemovedMemberLosesOrgClaimsAtRefresh(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{})
		admin, bob := e.user(t, "ada@example.com"), e.user(t, "bob@example.com")
		o := e.org(t, admin, "Acme")
		e.member(t, o.ID, bob, RoleMember)
		b := e.signIn(t, bob)
		activate(t, b, o.ID)
		c := claims(t, b)
		if c["org_id"] != o.ID || c["org_role"] != RoleMember || c["org_slug"] != "acme" {
			t.Fatalf("claims after switching: %v", c)
		}
		perms, _ := c["org_permissions"].([]any)
		if len(perms) != 2 || !slices.Contains(perms, any(PermMembershipsRead)) || !slices.Contains(perms, any(PermDomainsRead)) {
			t.Errorf("org_permissions %v, want the system permissions of org:member", perms)
		}
		// A role change shows in the next token.
		if _, err := e.p.UpdateMemberRole(e.ctx, o.ID, bob, RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if c := claims(t, b); c["org_role"] != RoleAdmin {
			t.Errorf("after the role change: %v", c["org_role"])
		}
		if _, err := e.p.UpdateMemberRole(e.ctx, o.ID, bob, RoleMember); err != nil {
			t.Fatal(err)
		}
		if err := e.p.RemoveMember(e.ctx, o.ID, bob); err != nil {
			t.Fatal(err)
		}
		c = claims(t, b)
		for _, k := range []string{"org_id", "org_slug", "org_role", "org_permissions"} {
			if _, ok := c[k]; ok {
				t.Errorf("the removed member's token still has %s: %v", k, c)
			}
		}
		// And at the next refresh too.
		e.expire()
		if c := claims(t, b); c["org_id"] != nil {
			t.Errorf("after a refresh: %v", c)
		}
		e.Flush()
		if !strings.Contains(e.Mail.Last().Text, "removed you from Acme") {
			t.Errorf("the removal mail: %q", e.Mail.Last().Text)
		}
	})
}

func TestSwitchToForeignOrganizationRefused(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{})
		admin, bob := e.user(t, "ada@example.com"), e.user(t, "bob@example.com")
		theirs := e.org(t, admin, "Acme")
		mine := e.org(t, bob, "Bobco")
		team, err := e.p.CreateTeam(e.ctx, theirs.ID, "Core")
		if err != nil {
			t.Fatal(err)
		}
		b := e.signIn(t, bob)
		for _, body := range []map[string]any{
			{"organization_id": theirs.ID},
			{"organization_id": mine.ID, "team_id": team.ID},
			{"organization_id": "org_doesnotexist"},
		} {
			if code, out := b.JSON(http.MethodPut, "/v1/me/organizations/active", body); code != http.StatusNotFound {
				t.Errorf("switching to %v: %d %v, want 404", body, code, out)
			}
		}
		if c := claims(t, b); c["org_id"] != nil {
			t.Errorf("claims after refused switches: %v", c)
		}
		activate(t, b, mine.ID)
		if c := claims(t, b); c["org_id"] != mine.ID {
			t.Errorf("claims after switching to their own: %v", c)
		}
	})
}

func TestSlugConfusablesCollide(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{ReservedSlugs: []string{"billing-portal"}})
		admin := e.user(t, "ada@example.com")
		if _, err := e.p.CreateOrganization(e.ctx, admin, CreateParams{Name: "Acme", Slug: "acme-k"}); err != nil {
			t.Fatal(err)
		}
		for _, slug := range []string{"ACME-K", "acme-\u212a", "ａｃｍｅ-k", "Acme-K"} { // Kelvin sign, fullwidth letters
			if _, err := e.p.CreateOrganization(e.ctx, admin, CreateParams{Name: "Other", Slug: slug}); !errors.Is(err, ErrSlugTaken) {
				t.Errorf("slug %q: %v, want %s", slug, err, ErrSlugTaken.Code)
			}
		}
		for _, slug := range []string{"admin", "ADMIN", "ａｄｍｉｎ", "Billing-Portal"} {
			if _, err := e.p.CreateOrganization(e.ctx, admin, CreateParams{Name: "Other", Slug: slug}); !errors.Is(err, ErrSlugTaken) {
				t.Errorf("reserved slug %q: %v", slug, err)
			}
		}
		// Renaming into a taken slug collides too.
		o := e.org(t, admin, "Second")
		slug := "ＡＣＭＥ-k"
		if _, err := e.p.UpdateOrganization(e.ctx, admin, o.ID, UpdateParams{Slug: &slug}); !errors.Is(err, ErrSlugTaken) {
			t.Errorf("renaming to %q: %v", slug, err)
		}
		if got, err := e.p.GetOrganizationBySlug(e.ctx, "ACME-\u212a"); err != nil || got.Slug != "acme-k" {
			t.Errorf("looking up a confusable: %v %v", got, err)
		}
	})
}

func TestDeletedOrganizationClearsActiveSessions(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		e := newEnv(t, s, Config{})
		admin, bob := e.user(t, "ada@example.com"), e.user(t, "bob@example.com")
		o := e.org(t, admin, "Acme")
		e.member(t, o.ID, bob, RoleMember)
		inv, err := e.p.CreateInvitation(e.ctx, o.ID, admin, InviteParams{EmailAddress: "grace@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		ab, bb := e.signIn(t, admin), e.signIn(t, bob)
		activate(t, ab, o.ID)
		activate(t, bb, o.ID)
		if code, out := bb.JSON(http.MethodDelete, "/v1/organizations/"+o.ID, nil); code != http.StatusForbidden {
			t.Errorf("a member deletes it: %d %v", code, out)
		}
		if code, out := ab.JSON(http.MethodDelete, "/v1/organizations/"+o.ID, nil); code != http.StatusOK {
			t.Fatalf("the admin deletes it: %d %v", code, out)
		}
		for _, b := range []interface {
			JSON(string, string, any) (int, map[string]any)
		}{ab, bb} {
			code, c := b.JSON(http.MethodGet, "/test/claims", nil)
			if code != http.StatusOK || c["org_id"] != nil || c["org_role"] != nil {
				t.Errorf("claims after the deletion: %d %v", code, c)
			}
		}
		sessions, err := e.ListUserSessions(e.ctx, bob, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sessions {
			st, _ := e.Store.GetSession(e.ctx, s.ID)
			if st != nil && st.ActiveOrganizationID != "" {
				t.Errorf("session %s still acts for %s", s.ID, st.ActiveOrganizationID)
			}
		}
		st, err := e.Store.GetInvitation(e.ctx, inv.ID)
		if err == nil && st.Status == "pending" {
			t.Errorf("the pending invitation survived: %+v", st)
		}
	})
}
