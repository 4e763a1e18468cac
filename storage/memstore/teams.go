package memstore

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"time"

	"github.com/latchauth/latch/storage"
)

// Locks and token claims.

// LockOrganization implements [storage.OrganizationLockStore]. A
// transaction holds the store's write lock already, so it only checks that
// the organization exists.
func (s *Store) LockOrganization(_ context.Context, id string) error {
	defer s.read().release()
	if _, ok := s.orgs[id]; !ok {
		return notFound("organization", id)
	}
	return nil
}

// GetMembershipClaims implements [storage.MembershipClaimsStore].
func (s *Store) GetMembershipClaims(_ context.Context, orgID, userID, teamID string) (*storage.MembershipClaims, error) {
	defer s.read().release()
	m, err := s.membership(orgID, userID)
	if err != nil {
		return nil, err
	}
	c := &storage.MembershipClaims{Membership: cloneMem(m), OrganizationSlug: s.orgs[orgID].Slug}
	if r, ok := s.roles[m.Role]; ok {
		c.Permissions = ss(r.Permissions)
	}
	if teamID != "" {
		_, in := s.teamMembers[[2]string{teamID, userID}]
		c.InTeam = in && s.teams[teamID].OrganizationID == orgID
	}
	return c, nil
}

// Role sets and permissions.

// PutRoleSet implements [storage.RoleSetStore].
func (s *Store) PutRoleSet(_ context.Context, r *storage.RoleSet) error {
	defer s.write().release()
	n := cloneRoleSet(r)
	if old, ok := s.roleSets[r.Key]; ok {
		n.ID, n.CreatedAt = old.ID, old.CreatedAt
	} else if _, ok := s.roleSetIDs[r.ID]; ok {
		return conflict("role set %q: ID taken", r.ID)
	}
	put(s.state, s.roleSets, n.Key, n)
	put(s.state, s.roleSetIDs, n.ID, n.Key)
	return nil
}

// GetRoleSet implements [storage.RoleSetStore].
func (s *Store) GetRoleSet(_ context.Context, key string) (*storage.RoleSet, error) {
	defer s.read().release()
	if r, ok := s.roleSets[key]; ok {
		return cloneRoleSet(r), nil
	}
	return nil, notFound("role set", key)
}

// ListRoleSets implements [storage.RoleSetStore].
func (s *Store) ListRoleSets(_ context.Context) ([]*storage.RoleSet, error) {
	defer s.read().release()
	out := make([]*storage.RoleSet, 0, len(s.roleSets))
	for _, id := range slices.Sorted(maps.Keys(s.roleSetIDs)) {
		out = append(out, cloneRoleSet(s.roleSets[s.roleSetIDs[id]]))
	}
	return out, nil
}

// DeleteRoleSet implements [storage.RoleSetStore].
func (s *Store) DeleteRoleSet(_ context.Context, key string) error {
	defer s.write().release()
	r, ok := s.roleSets[key]
	if !ok {
		return notFound("role set", key)
	}
	drop(s.state, s.roleSetIDs, r.ID)
	drop(s.state, s.roleSets, key)
	return nil
}

// PutPermission implements [storage.RoleSetStore].
func (s *Store) PutPermission(_ context.Context, p *storage.Permission) error {
	defer s.write().release()
	n := clonePerm(p)
	if old, ok := s.perms[p.Key]; ok {
		n.ID, n.CreatedAt = old.ID, old.CreatedAt
	} else if _, ok := s.permIDs[p.ID]; ok {
		return conflict("permission %q: ID taken", p.ID)
	}
	put(s.state, s.perms, n.Key, n)
	put(s.state, s.permIDs, n.ID, n.Key)
	return nil
}

// ListPermissions implements [storage.RoleSetStore].
func (s *Store) ListPermissions(_ context.Context) ([]*storage.Permission, error) {
	defer s.read().release()
	out := make([]*storage.Permission, 0, len(s.perms))
	for _, id := range slices.Sorted(maps.Keys(s.permIDs)) {
		out = append(out, clonePerm(s.perms[s.permIDs[id]]))
	}
	return out, nil
}

// DeletePermission implements [storage.RoleSetStore].
func (s *Store) DeletePermission(_ context.Context, key string) error {
	defer s.write().release()
	p, ok := s.perms[key]
	if !ok {
		return notFound("permission", key)
	}
	drop(s.state, s.permIDs, p.ID)
	drop(s.state, s.perms, key)
	return nil
}

// Membership requests.

// CreateMembershipRequest implements [storage.MembershipRequestStore].
func (s *Store) CreateMembershipRequest(_ context.Context, r *storage.MembershipRequest) error {
	defer s.write().release()
	if _, ok := s.reqs[r.ID]; ok {
		return conflict("membership request %q: ID taken", r.ID)
	}
	if _, ok := s.orgs[r.OrganizationID]; !ok {
		return notFound("organization", r.OrganizationID)
	}
	if _, ok := s.users[r.UserID]; !ok {
		return notFound("user", r.UserID)
	}
	n := cloneReq(r)
	if err := s.checkPendingReq(n); err != nil {
		return err
	}
	s.putReq(n)
	return nil
}

func (s *state) checkPendingReq(r *storage.MembershipRequest) error {
	if r.Status != storage.MembershipRequestPending {
		return nil
	}
	if id, ok := s.reqPending[[2]string{r.OrganizationID, r.UserID}]; ok && id != r.ID {
		return conflict("user %q already asked to join %q", r.UserID, r.OrganizationID)
	}
	return nil
}

func (s *state) putReq(r *storage.MembershipRequest) {
	if old := s.reqs[r.ID]; old != nil {
		s.dropReq(old)
	}
	put(s, s.reqs, r.ID, r)
	link(s, s.reqByOrg, r.OrganizationID, r.ID)
	link(s, s.reqByUser, r.UserID, r.ID)
	if r.Status == storage.MembershipRequestPending {
		put(s, s.reqPending, [2]string{r.OrganizationID, r.UserID}, r.ID)
	}
}

func (s *state) dropReq(r *storage.MembershipRequest) {
	if k := [2]string{r.OrganizationID, r.UserID}; s.reqPending[k] == r.ID {
		drop(s, s.reqPending, k)
	}
	unlink(s, s.reqByOrg, r.OrganizationID, r.ID)
	unlink(s, s.reqByUser, r.UserID, r.ID)
	drop(s, s.reqs, r.ID)
}

// GetMembershipRequest implements [storage.MembershipRequestStore].
func (s *Store) GetMembershipRequest(_ context.Context, id string) (*storage.MembershipRequest, error) {
	defer s.read().release()
	if r, ok := s.reqs[id]; ok {
		return cloneReq(r), nil
	}
	return nil, notFound("membership request", id)
}

// ListMembershipRequests implements [storage.MembershipRequestStore].
func (s *Store) ListMembershipRequests(_ context.Context, f storage.MembershipRequestFilter, p storage.Page) ([]*storage.MembershipRequest, string, error) {
	defer s.read().release()
	ids := maps.Keys(s.reqs)
	switch {
	case f.OrganizationID != "":
		ids = maps.Keys(s.reqByOrg[f.OrganizationID])
	case f.UserID != "":
		ids = maps.Keys(s.reqByUser[f.UserID])
	}
	keep := func(r *storage.MembershipRequest) bool {
		return (f.OrganizationID == "" || r.OrganizationID == f.OrganizationID) &&
			(f.UserID == "" || r.UserID == f.UserID) && (f.Status == "" || r.Status == f.Status)
	}
	out, next := page(s.reqs, ids, keep, cloneReq, p)
	return out, next, nil
}

// TransitionMembershipRequest implements [storage.MembershipRequestStore].
func (s *Store) TransitionMembershipRequest(_ context.Context, id, from, to string, at time.Time) error {
	defer s.write().release()
	old, ok := s.reqs[id]
	switch {
	case !ok:
		return notFound("membership request", id)
	case old.Status != from:
		return consumed("membership request (status "+old.Status+")", id)
	}
	n := cloneReq(old)
	n.Status, n.UpdatedAt = to, at.UTC()
	if err := s.checkPendingReq(n); err != nil {
		return err
	}
	s.putReq(n)
	return nil
}

// Teams.

// CreateTeam implements [storage.TeamStore].
func (s *Store) CreateTeam(_ context.Context, t *storage.Team) error {
	defer s.write().release()
	if _, ok := s.teams[t.ID]; ok {
		return conflict("team %q: ID taken", t.ID)
	}
	if _, ok := s.orgs[t.OrganizationID]; !ok {
		return notFound("organization", t.OrganizationID)
	}
	n := cloneTeam(t)
	if err := s.checkTeamName(n); err != nil {
		return err
	}
	s.putTeam(n)
	return nil
}

func teamName(t *storage.Team) [2]string {
	return [2]string{t.OrganizationID, storage.CanonicalName(t.Name)}
}

func (s *state) checkTeamName(t *storage.Team) error {
	if id, ok := s.teamNames[teamName(t)]; ok && id != t.ID {
		return conflict("organization %q has a team named %q", t.OrganizationID, t.Name)
	}
	return nil
}

func (s *state) putTeam(t *storage.Team) {
	if old := s.teams[t.ID]; old != nil {
		drop(s, s.teamNames, teamName(old))
	}
	put(s, s.teams, t.ID, t)
	link(s, s.teamByOrg, t.OrganizationID, t.ID)
	put(s, s.teamNames, teamName(t), t.ID)
}

func (s *state) dropTeam(t *storage.Team) {
	for uid := range maps.Clone(s.tmByTeam[t.ID]) {
		s.dropTeamMember(t.ID, uid)
	}
	drop(s, s.teamNames, teamName(t))
	unlink(s, s.teamByOrg, t.OrganizationID, t.ID)
	drop(s, s.teams, t.ID)
}

func (s *state) dropTeamMember(teamID, userID string) {
	unlink(s, s.tmByTeam, teamID, userID)
	unlink(s, s.tmByUser, userID, teamID)
	drop(s, s.teamMembers, [2]string{teamID, userID})
}

// GetTeam implements [storage.TeamStore].
func (s *Store) GetTeam(_ context.Context, id string) (*storage.Team, error) {
	defer s.read().release()
	if t, ok := s.teams[id]; ok {
		return cloneTeam(t), nil
	}
	return nil, notFound("team", id)
}

// ListTeams implements [storage.TeamStore].
func (s *Store) ListTeams(_ context.Context, orgID string) ([]*storage.Team, error) {
	defer s.read().release()
	return list(s.teams, s.teamByOrg[orgID], cloneTeam), nil
}

// UpdateTeam implements [storage.TeamStore].
func (s *Store) UpdateTeam(_ context.Context, t *storage.Team) error {
	defer s.write().release()
	old, ok := s.teams[t.ID]
	if !ok {
		return notFound("team", t.ID)
	}
	n := cloneTeam(old)
	n.Name, n.UpdatedAt = t.Name, t.UpdatedAt.UTC()
	if err := s.checkTeamName(n); err != nil {
		return err
	}
	s.putTeam(n)
	return nil
}

// DeleteTeam implements [storage.TeamStore].
func (s *Store) DeleteTeam(_ context.Context, id string) error {
	defer s.write().release()
	t, ok := s.teams[id]
	if !ok {
		return notFound("team", id)
	}
	s.dropTeam(t)
	return nil
}

// AddTeamMember implements [storage.TeamStore]. The user must be a member
// of the team's organization, or it fails with ErrNotFound.
func (s *Store) AddTeamMember(_ context.Context, m *storage.TeamMember) error {
	defer s.write().release()
	t, ok := s.teams[m.TeamID]
	if !ok {
		return notFound("team", m.TeamID)
	}
	if _, err := s.membership(t.OrganizationID, m.UserID); err != nil {
		return err
	}
	k := [2]string{m.TeamID, m.UserID}
	if _, ok := s.teamMembers[k]; ok {
		return conflict("user %q is already in team %q", m.UserID, m.TeamID)
	}
	put(s.state, s.teamMembers, k, cloneTeamMember(m))
	link(s.state, s.tmByTeam, m.TeamID, m.UserID)
	link(s.state, s.tmByUser, m.UserID, m.TeamID)
	return nil
}

// RemoveTeamMember implements [storage.TeamStore].
func (s *Store) RemoveTeamMember(_ context.Context, teamID, userID string) error {
	defer s.write().release()
	if _, ok := s.teamMembers[[2]string{teamID, userID}]; !ok {
		return notFound("member of team "+teamID, userID)
	}
	s.dropTeamMember(teamID, userID)
	return nil
}

// ListTeamMembers implements [storage.TeamStore]: in the order they were
// added (by CreatedAt, then user ID).
func (s *Store) ListTeamMembers(_ context.Context, teamID string) ([]*storage.TeamMember, error) {
	defer s.read().release()
	out := make([]*storage.TeamMember, 0, len(s.tmByTeam[teamID]))
	for uid := range s.tmByTeam[teamID] {
		out = append(out, cloneTeamMember(s.teamMembers[[2]string{teamID, uid}]))
	}
	slices.SortFunc(out, func(a, b *storage.TeamMember) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.UserID, b.UserID))
	})
	return out, nil
}

// ListUserTeams implements [storage.TeamStore].
func (s *Store) ListUserTeams(_ context.Context, orgID, userID string) ([]*storage.Team, error) {
	defer s.read().release()
	out := []*storage.Team{}
	for _, tid := range sortedIDs(s.tmByUser[userID]) {
		if t := s.teams[tid]; t != nil && t.OrganizationID == orgID {
			out = append(out, cloneTeam(t))
		}
	}
	return out, nil
}
