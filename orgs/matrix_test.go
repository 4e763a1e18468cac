package orgs

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// fixture is one organization with something of every kind a route names
// by ID: a member, a pending invitation, a domain, a pending request, a
// team.
type fixture struct {
	org                                   *Organization
	member, invitation, domain, req, team string
}

func (e *env) fixture(t *testing.T, tag string) *fixture {
	t.Helper()
	creator := e.user(t, "creator-"+tag+"@example.com")
	f := &fixture{org: e.org(t, creator, "Org "+tag)}
	f.member = e.user(t, "member-"+tag+"@example.com")
	e.member(t, f.org.ID, f.member, RoleMember)
	inv, err := e.p.CreateInvitation(e.ctx, f.org.ID, creator, InviteParams{EmailAddress: "invitee-" + tag + "@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f.invitation = inv.ID
	d, err := e.p.CreateDomain(e.ctx, f.org.ID, DomainParams{Name: tag + ".example"})
	if err != nil {
		t.Fatal(err)
	}
	f.domain = d.ID
	asker := e.user(t, "asker-"+tag+"@example.com")
	now := e.Clock.Now()
	f.req = "orgreq_" + tag
	if err := e.p.requests.CreateMembershipRequest(e.ctx, &storage.MembershipRequest{ID: f.req, OrganizationID: f.org.ID, UserID: asker,
		EmailAddress: "asker-" + tag + "@example.com", Status: storage.MembershipRequestPending, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	team, err := e.p.CreateTeam(e.ctx, f.org.ID, "Team "+tag)
	if err != nil {
		t.Fatal(err)
	}
	f.team = team.ID
	if err := e.p.AddTeamMember(e.ctx, f.org.ID, team.ID, f.member); err != nil {
		t.Fatal(err)
	}
	return f
}

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// path fills pattern with the organization of org and the IDs of sub
// (which is org, or another organization to try IDOR).
func path(pattern string, org, sub *fixture) string {
	return pathParam.ReplaceAllStringFunc(pattern, func(m string) string {
		switch m {
		case "{id}":
			return org.org.ID
		case "{user_id}":
			return sub.member
		case "{invitation_id}":
			return sub.invitation
		case "{domain_id}":
			return sub.domain
		case "{request_id}":
			return sub.req
		case "{team_id}":
			return sub.team
		}
		panic("no value for " + m)
	})
}

// body returns a plausible body for a route, so that an allowed call gets
// past decoding.
func body(e *env, t *testing.T, rt orgRoute, f *fixture, n int) any {
	switch {
	case rt.method == "GET" || rt.method == "DELETE":
		return nil
	case strings.HasSuffix(rt.pattern, "/memberships/{user_id}"):
		return map[string]any{"role": RoleMember}
	case strings.HasSuffix(rt.pattern, "/invitations"):
		return map[string]any{"email_address": fmt.Sprintf("inv%d@example.com", n)}
	case strings.HasSuffix(rt.pattern, "/domains"):
		return map[string]any{"name": fmt.Sprintf("d%d.example", n)}
	case strings.HasSuffix(rt.pattern, "/domains/{domain_id}"):
		return map[string]any{"enrollment_mode": EnrollAutoSuggestion}
	case strings.HasSuffix(rt.pattern, "prepare_affiliation_verification"):
		return map[string]any{"affiliation_email_address": "it@" + f.org.ID + ".example"}
	case strings.HasSuffix(rt.pattern, "attempt_affiliation_verification"):
		return map[string]any{"verification_id": "ver_none", "code": "000000"}
	case strings.HasSuffix(rt.pattern, "/teams"):
		return map[string]any{"name": fmt.Sprintf("Team %d", n)}
	case strings.HasSuffix(rt.pattern, "/members"):
		return map[string]any{"user_id": f.member}
	case rt.pattern == "/v1/organizations/{id}":
		return map[string]any{"name": "Renamed"}
	}
	return map[string]any{}
}

// customRole is the custom role of the matrix: some system permissions,
// not others, and one of the application's own.
var customRole = RoleParams{Key: "org:auditor", Name: "Auditor",
	Permissions: []string{PermMembershipsRead, PermDomainsManage, PermDomainsRead, "org:invoices:read"}}

// TestAuthorizationMatrix calls every organization route as users of each
// role (none, member, admin, custom) on their own organization and on
// another, and with the IDs of another organization's members,
// invitations, domains, requests and teams under their own: a route
// answers only a member of the organization in its path who holds its
// permission, and never acts on another organization's records.
func TestAuthorizationMatrix(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) { authorizationMatrix(t, s) })
}

func authorizationMatrix(t *testing.T, s storage.Store) {
	e := newEnv(t, s, Config{Roles: []RoleParams{customRole}})
	roles := []string{"none", RoleMember, RoleAdmin, customRole.Key}
	holds := func(role, perm string) bool {
		switch role {
		case "none":
			return false
		case RoleAdmin:
			return perm == anyMember || slices.Contains(SystemPermissions, perm)
		case RoleMember:
			return perm == anyMember || slices.Contains(memberPermissions, perm)
		}
		return perm == anyMember || slices.Contains(customRole.Permissions, perm)
	}
	cases, n := 0, 0
	for _, rt := range orgRoutes {
		for _, role := range roles {
			for _, target := range []string{"own", "other"} {
				n++
				tag := fmt.Sprintf("c%d", n)
				own, other := e.fixture(t, tag+"a"), e.fixture(t, tag+"b")
				caller := e.user(t, "caller-"+tag+"@example.com")
				if role != "none" {
					e.member(t, own.org.ID, caller, role)
				}
				b := e.signIn(t, caller)
				f := own
				if target == "other" {
					f = other
				}
				code, out := b.JSON(rt.method, path(rt.pattern, f, f), body(e, t, rt, f, n))
				cases++
				allowed := target == "own" && holds(role, rt.perm)
				switch {
				case allowed && (code == http.StatusForbidden || code == http.StatusNotFound || code == http.StatusUnauthorized):
					t.Errorf("%s %s as %s on %s: %d %v, want it allowed", rt.method, rt.pattern, role, target, code, out)
				case !allowed && target == "other" && code != http.StatusNotFound:
					t.Errorf("%s %s as %s on another organization: %d %v, want 404", rt.method, rt.pattern, role, code, out)
				case !allowed && role == "none" && code != http.StatusNotFound:
					t.Errorf("%s %s as a non-member: %d %v, want 404", rt.method, rt.pattern, code, out)
				case !allowed && code != http.StatusForbidden && code != http.StatusNotFound:
					t.Errorf("%s %s as %s on %s: %d %v, want it refused", rt.method, rt.pattern, role, target, code, out)
				}
			}
		}
		// IDOR: an admin of their own organization names another's
		// records under it.
		if !pathParam.MatchString(strings.TrimPrefix(rt.pattern, "/v1/organizations/{id}")) {
			continue
		}
		n++
		tag := fmt.Sprintf("c%d", n)
		own, other := e.fixture(t, tag+"a"), e.fixture(t, tag+"b")
		caller := e.user(t, "caller-"+tag+"@example.com")
		e.member(t, own.org.ID, caller, RoleAdmin)
		b := e.signIn(t, caller)
		code, out := b.JSON(rt.method, path(rt.pattern, own, other), body(e, t, rt, own, n))
		cases++
		if code != http.StatusNotFound {
			t.Errorf("%s %s with another organization's IDs: %d %v, want 404", rt.method, rt.pattern, code, out)
		}
		// And nothing of the other organization changed.
		if _, err := e.p.GetMembership(e.ctx, other.org.ID, other.member); err != nil {
			t.Errorf("%s %s: the other organization's member is gone: %v", rt.method, rt.pattern, err)
		}
	}
	t.Logf("authorization matrix: %d cases over %d routes", cases, len(orgRoutes))
}
