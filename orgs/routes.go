package orgs

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage"
)

// anyMember is the "permission" of the routes every member may call: being
// a member of the organization in the path.
const anyMember = "member"

// call is what an organization route's handler knows: the organization of
// the path, the caller's membership in it and its permissions.
type call struct {
	org     *storage.Organization
	me      *storage.Membership
	perms   []string
	by      *actor
	session *latch.Session
}

// orgRoute is a route under /v1/organizations/{id}: the caller must be a
// member of that organization (else 404, so that its existence does not
// leak) holding perm (else 403).
type orgRoute struct {
	method, pattern string
	perm            string
	handle          func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call)
}

// orgRoutes is the table of organization routes; the authorization matrix
// test is generated from it. Adding a user without their consent is no
// route of it: members join by invitation or request, or through the Go
// API (AddMember), which is the back end's decision.
var orgRoutes = []orgRoute{
	{"GET", "/v1/organizations/{id}", anyMember, (*Plugin).serveGetOrg},
	{"PATCH", "/v1/organizations/{id}", PermProfileManage, (*Plugin).serveUpdateOrg},
	{"DELETE", "/v1/organizations/{id}", PermProfileDelete, (*Plugin).serveDeleteOrg},

	{"GET", "/v1/organizations/{id}/memberships", PermMembershipsRead, (*Plugin).serveListMembers},
	{"PATCH", "/v1/organizations/{id}/memberships/{user_id}", PermMembershipsManage, (*Plugin).serveUpdateMember},
	{"DELETE", "/v1/organizations/{id}/memberships/{user_id}", PermMembershipsManage, (*Plugin).serveRemoveMember},

	{"GET", "/v1/organizations/{id}/invitations", PermMembershipsRead, (*Plugin).serveListInvitations},
	{"POST", "/v1/organizations/{id}/invitations", PermMembershipsManage, (*Plugin).serveInvite},
	{"POST", "/v1/organizations/{id}/invitations/{invitation_id}/revoke", PermMembershipsManage, (*Plugin).serveRevoke},

	{"GET", "/v1/organizations/{id}/membership_requests", PermMembershipsRead, (*Plugin).serveListRequests},
	{"POST", "/v1/organizations/{id}/membership_requests/{request_id}/accept", PermMembershipsManage, (*Plugin).serveAcceptRequest},
	{"POST", "/v1/organizations/{id}/membership_requests/{request_id}/reject", PermMembershipsManage, (*Plugin).serveRejectRequest},

	{"GET", "/v1/organizations/{id}/domains", PermDomainsRead, (*Plugin).serveListDomains},
	{"POST", "/v1/organizations/{id}/domains", PermDomainsManage, (*Plugin).serveCreateDomain},
	{"PATCH", "/v1/organizations/{id}/domains/{domain_id}", PermDomainsManage, (*Plugin).serveUpdateDomain},
	{"DELETE", "/v1/organizations/{id}/domains/{domain_id}", PermDomainsManage, (*Plugin).serveDeleteDomain},
	{"POST", "/v1/organizations/{id}/domains/{domain_id}/prepare_affiliation_verification", PermDomainsManage, (*Plugin).servePrepareAffiliation},
	{"POST", "/v1/organizations/{id}/domains/{domain_id}/attempt_affiliation_verification", PermDomainsManage, (*Plugin).serveAttemptAffiliation},

	{"GET", "/v1/organizations/{id}/roles", PermMembershipsRead, (*Plugin).serveListRoles},

	{"GET", "/v1/organizations/{id}/teams", anyMember, (*Plugin).serveListTeams},
	{"POST", "/v1/organizations/{id}/teams", PermMembershipsManage, (*Plugin).serveCreateTeam},
	{"DELETE", "/v1/organizations/{id}/teams/{team_id}", PermMembershipsManage, (*Plugin).serveDeleteTeam},
	{"GET", "/v1/organizations/{id}/teams/{team_id}/members", anyMember, (*Plugin).serveListTeamMembers},
	{"POST", "/v1/organizations/{id}/teams/{team_id}/members", PermMembershipsManage, (*Plugin).serveAddTeamMember},
	{"DELETE", "/v1/organizations/{id}/teams/{team_id}/members/{user_id}", PermMembershipsManage, (*Plugin).serveRemoveTeamMember},
}

// meRoute is a route of the signed-in user's own organizations.
type meRoute struct {
	method, pattern string
	handle          func(p *Plugin, w http.ResponseWriter, r *http.Request, s *latch.Session)
}

var meRoutes = []meRoute{
	{"GET", "/v1/me/organizations", (*Plugin).serveMyMemberships},
	{"POST", "/v1/me/organizations", (*Plugin).serveCreateOrg},
	{"PUT", "/v1/me/organizations/active", (*Plugin).serveSetActive},
	{"DELETE", "/v1/me/organizations/{id}", (*Plugin).serveLeave},
	{"GET", "/v1/me/organizations/invitations", (*Plugin).serveMyInvitations},
	{"POST", "/v1/me/organizations/invitations/{invitation_id}/accept", (*Plugin).serveAcceptInvitation},
	{"GET", "/v1/me/organizations/suggestions", (*Plugin).serveMySuggestions},
	{"POST", "/v1/me/organizations/suggestions/{id}/request", (*Plugin).serveRequestMembership},
}

func (p *Plugin) addRoutes(h *latch.Host) error {
	for _, rt := range orgRoutes {
		if err := h.Handle(latch.Route{Method: rt.method, Pattern: rt.pattern, Handler: p.orgHandler(rt), Limit: mailLimit(rt.method, rt.pattern)}); err != nil {
			return err
		}
	}
	for _, rt := range meRoutes {
		handle := rt.handle
		if err := h.Handle(latch.Route{Method: rt.method, Pattern: rt.pattern, Handler: func(w http.ResponseWriter, r *http.Request) {
			s := latch.SessionFromContext(r.Context())
			if s == nil {
				h.Respond(w, nil, latch.ErrSignedOut)
				return
			}
			handle(p, w, r, s)
		}}); err != nil {
			return err
		}
	}
	return nil
}

// mailLimit bounds, per client address, the routes that send mail (an
// invitation, an affiliation code), so that a member cannot make the
// application a mail cannon.
func mailLimit(method, pattern string) ratelimit.Limit {
	if method == http.MethodPost && (strings.HasSuffix(pattern, "/invitations") || strings.HasSuffix(pattern, "/prepare_affiliation_verification")) {
		return ratelimit.PerMinute(20)
	}
	return ratelimit.Limit{}
}

// orgHandler checks, for the organization in the path, that the caller is
// a member (404 otherwise) holding the route's permission (403).
func (p *Plugin) orgHandler(rt orgRoute) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := p.authorize(r, rt.perm)
		if err != nil {
			p.h.Respond(w, nil, err)
			return
		}
		rt.handle(p, w, r, c)
	}
}

func (p *Plugin) authorize(r *http.Request, perm string) (*call, error) {
	ctx := r.Context()
	s := latch.SessionFromContext(ctx)
	if s == nil {
		return nil, latch.ErrSignedOut
	}
	orgID := r.PathValue("id")
	mc, err := p.claims.GetMembershipClaims(ctx, orgID, s.UserID, "")
	if err != nil {
		return nil, storageErr(err)
	}
	if perm == "" || (perm != anyMember && !contains(mc.Permissions, perm)) {
		return nil, latch.ErrForbidden
	}
	o, err := p.orgs.GetOrganization(ctx, orgID)
	if err != nil {
		return nil, storageErr(err)
	}
	perms := mc.Permissions
	if perms == nil {
		perms = []string{}
	}
	return &call{org: o, me: mc.Membership, perms: perms, by: &actor{userID: s.UserID, perms: perms}, session: s}, nil
}

// page reads the paging parameters of r.
func page(r *http.Request) storage.Page {
	n, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	return storage.Page{After: r.URL.Query().Get("after"), Limit: n}
}

type list[T any] struct {
	Data []T    `json:"data"`
	Next string `json:"next,omitempty"`
}

func (p *Plugin) serveGetOrg(w http.ResponseWriter, r *http.Request, c *call) {
	p.h.Respond(w, orgView(c.org), nil)
}

func (p *Plugin) serveUpdateOrg(w http.ResponseWriter, r *http.Request, c *call) {
	var up UpdateParams
	if err := p.h.Decode(w, r, &up); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	o, err := p.UpdateOrganization(r.Context(), c.by.userID, c.org.ID, up)
	p.h.Respond(w, o, err)
}

func (p *Plugin) serveDeleteOrg(w http.ResponseWriter, r *http.Request, c *call) {
	err := p.DeleteOrganization(r.Context(), c.by.userID, c.org.ID)
	p.h.Respond(w, map[string]any{"id": c.org.ID, "object": "organization", "deleted": true}, err)
}

func (p *Plugin) serveListMembers(w http.ResponseWriter, r *http.Request, c *call) {
	ms, next, err := p.ListMembers(r.Context(), c.org.ID, r.URL.Query().Get("role"), page(r))
	p.h.Respond(w, list[*Membership]{ms, next}, err)
}

type memberParams struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

func (p *Plugin) serveUpdateMember(w http.ResponseWriter, r *http.Request, c *call) {
	var mp memberParams
	if err := p.h.Decode(w, r, &mp); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	m, err := p.updateRole(r.Context(), c.by, c.org.ID, r.PathValue("user_id"), mp.Role)
	p.h.Respond(w, m, err)
}

func (p *Plugin) serveRemoveMember(w http.ResponseWriter, r *http.Request, c *call) {
	uid := r.PathValue("user_id")
	err := p.removeMember(r.Context(), c.by, c.org.ID, uid, uid == c.by.userID)
	p.h.Respond(w, map[string]any{"user_id": uid, "object": "organization_membership", "deleted": true}, err)
}

func (p *Plugin) serveListInvitations(w http.ResponseWriter, r *http.Request, c *call) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = storage.InvitationPending
	}
	invs, next, err := p.ListInvitations(r.Context(), c.org.ID, status, page(r))
	p.h.Respond(w, list[*Invitation]{invs, next}, err)
}

type inviteBody struct {
	InviteParams
	// Invitations, when set, invites several at once.
	Invitations []InviteParams `json:"invitations"`
}

func (p *Plugin) serveInvite(w http.ResponseWriter, r *http.Request, c *call) {
	var b inviteBody
	if err := p.h.Decode(w, r, &b); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	todo := b.Invitations
	if len(todo) == 0 {
		todo = []InviteParams{b.InviteParams}
	}
	invs, err := p.createInvitations(r.Context(), c.by, c.org.ID, c.by.userID, todo)
	if err == nil && len(b.Invitations) == 0 {
		p.h.Respond(w, invs[0], nil)
		return
	}
	p.h.Respond(w, list[*Invitation]{Data: invs}, err)
}

func (p *Plugin) serveRevoke(w http.ResponseWriter, r *http.Request, c *call) {
	inv, err := p.revokeInvitation(r.Context(), c.by, c.org.ID, r.PathValue("invitation_id"))
	p.h.Respond(w, inv, err)
}

func (p *Plugin) serveListRequests(w http.ResponseWriter, r *http.Request, c *call) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = storage.MembershipRequestPending
	}
	rs, next, err := p.ListRequests(r.Context(), c.org.ID, status, page(r))
	p.h.Respond(w, list[*MembershipRequest]{rs, next}, err)
}

func (p *Plugin) serveAcceptRequest(w http.ResponseWriter, r *http.Request, c *call) {
	m, err := p.decideRequest(r.Context(), c.by, c.org.ID, r.PathValue("request_id"), true)
	p.h.Respond(w, m, err)
}

func (p *Plugin) serveRejectRequest(w http.ResponseWriter, r *http.Request, c *call) {
	_, err := p.decideRequest(r.Context(), c.by, c.org.ID, r.PathValue("request_id"), false)
	p.h.Respond(w, map[string]any{"id": r.PathValue("request_id"), "status": storage.MembershipRequestRejected}, err)
}

func (p *Plugin) serveListDomains(w http.ResponseWriter, r *http.Request, c *call) {
	ds, err := p.ListDomains(r.Context(), c.org.ID)
	p.h.Respond(w, list[*Domain]{Data: ds}, err)
}

func (p *Plugin) serveCreateDomain(w http.ResponseWriter, r *http.Request, c *call) {
	var dp DomainParams
	if err := p.h.Decode(w, r, &dp); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	d, err := p.createDomain(r.Context(), c.by, c.org.ID, dp)
	p.h.Respond(w, d, err)
}

func (p *Plugin) serveUpdateDomain(w http.ResponseWriter, r *http.Request, c *call) {
	var dp DomainParams
	if err := p.h.Decode(w, r, &dp); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	d, err := p.updateDomain(r.Context(), c.by, c.org.ID, r.PathValue("domain_id"), dp.EnrollmentMode)
	p.h.Respond(w, d, err)
}

func (p *Plugin) serveDeleteDomain(w http.ResponseWriter, r *http.Request, c *call) {
	err := p.deleteDomain(r.Context(), c.by, c.org.ID, r.PathValue("domain_id"))
	p.h.Respond(w, map[string]any{"id": r.PathValue("domain_id"), "object": "organization_domain", "deleted": true}, err)
}

func (p *Plugin) servePrepareAffiliation(w http.ResponseWriter, r *http.Request, c *call) {
	var b struct {
		EmailAddress string `json:"affiliation_email_address"`
	}
	if err := p.h.Decode(w, r, &b); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	id, err := p.PrepareAffiliation(r.Context(), c.org.ID, r.PathValue("domain_id"), b.EmailAddress)
	p.h.Respond(w, map[string]string{"verification_id": id}, err)
}

func (p *Plugin) serveAttemptAffiliation(w http.ResponseWriter, r *http.Request, c *call) {
	var b struct {
		VerificationID string `json:"verification_id"`
		Code           string `json:"code"`
	}
	if err := p.h.Decode(w, r, &b); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	d, err := p.attemptAffiliation(r.Context(), c.by, c.org.ID, r.PathValue("domain_id"), b.VerificationID, b.Code)
	p.h.Respond(w, d, err)
}

func (p *Plugin) serveListRoles(w http.ResponseWriter, r *http.Request, c *call) {
	set, err := p.roleSetOf(r.Context(), c.org)
	if err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	var out []*Role
	for _, k := range set.Roles {
		if rl, err := p.roles.GetRole(r.Context(), k); err == nil {
			out = append(out, roleView(rl))
		}
	}
	p.h.Respond(w, list[*Role]{Data: out}, nil)
}

func (p *Plugin) serveListTeams(w http.ResponseWriter, r *http.Request, c *call) {
	ts, err := p.ListTeams(r.Context(), c.org.ID)
	p.h.Respond(w, list[*Team]{Data: ts}, err)
}

func (p *Plugin) serveCreateTeam(w http.ResponseWriter, r *http.Request, c *call) {
	var b struct {
		Name string `json:"name"`
	}
	if err := p.h.Decode(w, r, &b); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	t, err := p.CreateTeam(r.Context(), c.org.ID, b.Name)
	p.h.Respond(w, t, err)
}

func (p *Plugin) serveDeleteTeam(w http.ResponseWriter, r *http.Request, c *call) {
	err := p.DeleteTeam(r.Context(), c.org.ID, r.PathValue("team_id"))
	p.h.Respond(w, map[string]any{"id": r.PathValue("team_id"), "object": "organization_team", "deleted": true}, err)
}

func (p *Plugin) serveListTeamMembers(w http.ResponseWriter, r *http.Request, c *call) {
	ids, err := p.ListTeamMembers(r.Context(), c.org.ID, r.PathValue("team_id"))
	p.h.Respond(w, map[string]any{"data": ids}, err)
}

func (p *Plugin) serveAddTeamMember(w http.ResponseWriter, r *http.Request, c *call) {
	var mp memberParams
	if err := p.h.Decode(w, r, &mp); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	err := p.AddTeamMember(r.Context(), c.org.ID, r.PathValue("team_id"), mp.UserID)
	p.h.Respond(w, map[string]string{"team_id": r.PathValue("team_id"), "user_id": mp.UserID}, err)
}

func (p *Plugin) serveRemoveTeamMember(w http.ResponseWriter, r *http.Request, c *call) {
	err := p.RemoveTeamMember(r.Context(), c.org.ID, r.PathValue("team_id"), r.PathValue("user_id"))
	p.h.Respond(w, map[string]any{"team_id": r.PathValue("team_id"), "user_id": r.PathValue("user_id"), "deleted": true}, err)
}

// The signed-in user's own routes.

func (p *Plugin) serveMyMemberships(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	ms, next, err := p.ListUserMemberships(r.Context(), s.UserID, page(r))
	p.h.Respond(w, list[*Membership]{ms, next}, err)
}

func (p *Plugin) serveCreateOrg(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	var cp CreateParams
	if err := p.h.Decode(w, r, &cp); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	o, err := p.CreateOrganization(r.Context(), s.UserID, cp)
	p.h.Respond(w, o, err)
}

type activeBody struct {
	OrganizationID string `json:"organization_id"`
	TeamID         string `json:"team_id"`
}

// activeAnswer is the answer of a switch: the organization now active and
// the fresh session token.
type activeAnswer struct {
	OrganizationID string `json:"organization_id"`
	TeamID         string `json:"team_id,omitempty"`
	Token          string `json:"jwt"`
}

func (p *Plugin) serveSetActive(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	var b activeBody
	if err := p.h.Decode(w, r, &b); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	ns, err := p.SetActive(r.Context(), w, s, b.OrganizationID, b.TeamID)
	if err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	p.h.Respond(w, activeAnswer{b.OrganizationID, b.TeamID, ns.Token}, nil)
}

func (p *Plugin) serveLeave(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	err := p.Leave(r.Context(), r.PathValue("id"), s.UserID)
	p.h.Respond(w, map[string]any{"organization_id": r.PathValue("id"), "deleted": true}, err)
}

func (p *Plugin) serveMyInvitations(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	invs, err := p.ListUserInvitations(r.Context(), s.UserID)
	p.h.Respond(w, list[*Invitation]{Data: invs}, err)
}

func (p *Plugin) serveAcceptInvitation(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	m, err := p.AcceptInvitation(r.Context(), s.UserID, r.PathValue("invitation_id"))
	p.h.Respond(w, m, err)
}

func (p *Plugin) serveMySuggestions(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	ss, err := p.ListSuggestions(r.Context(), s.UserID)
	p.h.Respond(w, list[*Suggestion]{Data: ss}, err)
}

func (p *Plugin) serveRequestMembership(w http.ResponseWriter, r *http.Request, s *latch.Session) {
	req, err := p.RequestMembership(r.Context(), s.UserID, r.PathValue("id"))
	p.h.Respond(w, req, err)
}
