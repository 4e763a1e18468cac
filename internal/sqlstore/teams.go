package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchauth/latch/storage"
)

// LockOrganization implements storage.OrganizationLockStore: inside a
// transaction it reads the organization's row with the dialect's RowLock,
// which holds off every other transaction locking it until this one ends.
// Where RowLock is "" the dialect serialises write transactions already,
// and outside a transaction there is nothing to hold: both only check that
// the organization exists.
func (q *querier) LockOrganization(ctx context.Context, id string) error {
	query := orgExists
	if q.tx {
		query += q.d.RowLock
	}
	ok, err := q.exists(ctx, query, id)
	if err == nil && !ok {
		err = storage.ErrNotFound
	}
	return err
}

// claimsSelect reads a membership, its organization's slug, its role's
// permissions and whether the user is in a team of that organization, in
// one indexed join: the one read a token refresh with an active
// organization adds. A team ID of "" matches no team.
var claimsSelect = `SELECT ` + memberCols.prefixed("m") + `, o.slug, r.permissions, tm.team_id` +
	` FROM latch_memberships m` +
	` JOIN latch_organizations o ON o.id = m.organization_id` +
	` LEFT JOIN latch_roles r ON r.key = m.role` +
	` LEFT JOIN latch_team_members tm ON tm.team_id = ? AND tm.organization_id = m.organization_id AND tm.user_id = m.user_id` +
	` WHERE m.organization_id = ? AND m.user_id = ?`

// GetMembershipClaims implements storage.MembershipClaimsStore.
func (q *querier) GetMembershipClaims(ctx context.Context, orgID, userID, teamID string) (*storage.MembershipClaims, error) {
	m := new(storage.Membership)
	c := &storage.MembershipClaims{Membership: m}
	var team sql.NullString
	err := q.queryRow(ctx, claimsSelect, teamID, orgID, userID).Scan(&m.ID, &m.OrganizationID, &m.UserID, &m.Role,
		jsonCol{&m.PublicMetadata}, jsonCol{&m.PrivateMetadata}, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt},
		&c.OrganizationSlug, strsCol{&c.Permissions}, &team)
	if err != nil {
		return nil, q.mapErr(err)
	}
	c.InTeam = team.Valid
	return c, nil
}

// Role sets and permissions.

var roleSetCols = columns{"id", "key", "name", "description", "roles", "default_role", "creator_role", "created_at", "updated_at"}

var (
	roleSetSelect = `SELECT ` + roleSetCols.list() + ` FROM latch_role_sets`
	// An upsert on the key that keeps the ID and CreatedAt; a new key with
	// a taken ID is a unique violation.
	roleSetPut = `INSERT INTO latch_role_sets (` + roleSetCols.list() + `) VALUES (` + roleSetCols.marks() +
		`) ON CONFLICT (key) DO UPDATE SET ` + columns{"name", "description", "roles", "default_role", "creator_role", "updated_at"}.excluded()
)

func scanRoleSet(sc scanner) (*storage.RoleSet, error) {
	r := new(storage.RoleSet)
	err := sc.Scan(&r.ID, &r.Key, &r.Name, &r.Description, strsCol{&r.Roles}, &r.DefaultRole, &r.CreatorRole,
		timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	return r, err
}

// PutRoleSet implements storage.RoleSetStore.
func (q *querier) PutRoleSet(ctx context.Context, r *storage.RoleSet) error {
	_, err := q.exec(ctx, roleSetPut, r.ID, r.Key, r.Name, r.Description, strs(r.Roles), r.DefaultRole, r.CreatorRole,
		q.tm(r.CreatedAt), q.tm(r.UpdatedAt))
	return err
}

// GetRoleSet implements storage.RoleSetStore.
func (q *querier) GetRoleSet(ctx context.Context, key string) (*storage.RoleSet, error) {
	return getOne(ctx, q, scanRoleSet, roleSetSelect+` WHERE key = ?`, key)
}

// ListRoleSets implements storage.RoleSetStore.
func (q *querier) ListRoleSets(ctx context.Context) ([]*storage.RoleSet, error) {
	return getAll(ctx, q, scanRoleSet, roleSetSelect+` ORDER BY id`)
}

// DeleteRoleSet implements storage.RoleSetStore.
func (q *querier) DeleteRoleSet(ctx context.Context, key string) error {
	return q.execOne(ctx, `DELETE FROM latch_role_sets WHERE key = ?`, key)
}

var permCols = columns{"id", "key", "name", "description", "created_at", "updated_at"}

var (
	permSelect = `SELECT ` + permCols.list() + ` FROM latch_permissions`
	permPut    = `INSERT INTO latch_permissions (` + permCols.list() + `) VALUES (` + permCols.marks() +
		`) ON CONFLICT (key) DO UPDATE SET ` + columns{"name", "description", "updated_at"}.excluded()
)

func scanPerm(sc scanner) (*storage.Permission, error) {
	p := new(storage.Permission)
	err := sc.Scan(&p.ID, &p.Key, &p.Name, &p.Description, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt})
	return p, err
}

// PutPermission implements storage.RoleSetStore.
func (q *querier) PutPermission(ctx context.Context, p *storage.Permission) error {
	_, err := q.exec(ctx, permPut, p.ID, p.Key, p.Name, p.Description, q.tm(p.CreatedAt), q.tm(p.UpdatedAt))
	return err
}

// ListPermissions implements storage.RoleSetStore.
func (q *querier) ListPermissions(ctx context.Context) ([]*storage.Permission, error) {
	return getAll(ctx, q, scanPerm, permSelect+` ORDER BY id`)
}

// DeletePermission implements storage.RoleSetStore.
func (q *querier) DeletePermission(ctx context.Context, key string) error {
	return q.execOne(ctx, `DELETE FROM latch_permissions WHERE key = ?`, key)
}

// Membership requests.

var requestCols = columns{"id", "organization_id", "user_id", "email_address", "status", "created_at", "updated_at"}

var (
	requestSelect = `SELECT ` + requestCols.list() + ` FROM latch_membership_requests`
	requestInsert = `INSERT INTO latch_membership_requests (` + requestCols.list() + `) SELECT ` + requestCols.marks() +
		` WHERE EXISTS (` + orgExists + `) AND EXISTS (` + userExists + `)`
)

func scanRequest(sc scanner) (*storage.MembershipRequest, error) {
	r := new(storage.MembershipRequest)
	err := sc.Scan(&r.ID, &r.OrganizationID, &r.UserID, &r.EmailAddress, &r.Status, timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	return r, err
}

// CreateMembershipRequest implements storage.MembershipRequestStore.
func (q *querier) CreateMembershipRequest(ctx context.Context, r *storage.MembershipRequest) error {
	return q.execOne(ctx, requestInsert, r.ID, r.OrganizationID, r.UserID, r.EmailAddress, r.Status,
		q.tm(r.CreatedAt), q.tm(r.UpdatedAt), r.OrganizationID, r.UserID)
}

// GetMembershipRequest implements storage.MembershipRequestStore.
func (q *querier) GetMembershipRequest(ctx context.Context, id string) (*storage.MembershipRequest, error) {
	return getOne(ctx, q, scanRequest, requestSelect+` WHERE id = ?`, id)
}

// ListMembershipRequests implements storage.MembershipRequestStore.
func (q *querier) ListMembershipRequests(ctx context.Context, f storage.MembershipRequestFilter, p storage.Page) ([]*storage.MembershipRequest, string, error) {
	w := new(where)
	w.eq("organization_id", f.OrganizationID)
	w.eq("user_id", f.UserID)
	w.eq("status", f.Status)
	return page(ctx, q, scanRequest, func(r *storage.MembershipRequest) string { return r.ID }, requestSelect, w, p)
}

// TransitionMembershipRequest implements storage.MembershipRequestStore.
func (q *querier) TransitionMembershipRequest(ctx context.Context, id, from, to string, at time.Time) error {
	n, err := q.exec(ctx, `UPDATE latch_membership_requests SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, to, q.tm(at), id, from)
	if err == nil && n == 0 {
		err = q.missOr(ctx, storage.ErrConsumed, `SELECT 1 FROM latch_membership_requests WHERE id = ?`, id)
	}
	return err
}

// Teams.

var teamCols = columns{"id", "organization_id", "name", "created_at", "updated_at"}

var (
	teamSelect = `SELECT ` + teamCols.list() + ` FROM latch_teams`
	teamInsert = `INSERT INTO latch_teams (` + teamCols.list() + `, name_canonical) SELECT ` + teamCols.marks() +
		`, ? WHERE EXISTS (` + orgExists + `)`
	// A member's organization is the team's, and the user must be a
	// member of it.
	teamMemberInsert = `INSERT INTO latch_team_members (team_id, organization_id, user_id, created_at)` +
		` SELECT t.id, t.organization_id, ?, ? FROM latch_teams t WHERE t.id = ?` +
		` AND EXISTS (SELECT 1 FROM latch_memberships m WHERE m.organization_id = t.organization_id AND m.user_id = ?)`
)

func scanTeam(sc scanner) (*storage.Team, error) {
	t := new(storage.Team)
	err := sc.Scan(&t.ID, &t.OrganizationID, &t.Name, timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt})
	return t, err
}

// CreateTeam implements storage.TeamStore.
func (q *querier) CreateTeam(ctx context.Context, t *storage.Team) error {
	return q.execOne(ctx, teamInsert, t.ID, t.OrganizationID, t.Name, q.tm(t.CreatedAt), q.tm(t.UpdatedAt),
		storage.CanonicalName(t.Name), t.OrganizationID)
}

// GetTeam implements storage.TeamStore.
func (q *querier) GetTeam(ctx context.Context, id string) (*storage.Team, error) {
	return getOne(ctx, q, scanTeam, teamSelect+` WHERE id = ?`, id)
}

// ListTeams implements storage.TeamStore.
func (q *querier) ListTeams(ctx context.Context, orgID string) ([]*storage.Team, error) {
	return getAll(ctx, q, scanTeam, teamSelect+` WHERE organization_id = ? ORDER BY id`, orgID)
}

// UpdateTeam implements storage.TeamStore.
func (q *querier) UpdateTeam(ctx context.Context, t *storage.Team) error {
	return q.execOne(ctx, `UPDATE latch_teams SET name = ?, name_canonical = ?, updated_at = ? WHERE id = ?`,
		t.Name, storage.CanonicalName(t.Name), q.tm(t.UpdatedAt), t.ID)
}

// DeleteTeam implements storage.TeamStore; the team goes first for the
// reason given at DeleteUser.
func (q *querier) DeleteTeam(ctx context.Context, id string) error {
	return q.atomic(ctx, func(q *querier) error {
		if err := q.execOne(ctx, `DELETE FROM latch_teams WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := q.exec(ctx, `DELETE FROM latch_team_members WHERE team_id = ?`, id)
		return err
	})
}

// AddTeamMember implements storage.TeamStore: ErrNotFound also when the
// user is not a member of the team's organization.
func (q *querier) AddTeamMember(ctx context.Context, m *storage.TeamMember) error {
	return q.execOne(ctx, teamMemberInsert, m.UserID, q.tm(m.CreatedAt), m.TeamID, m.UserID)
}

// RemoveTeamMember implements storage.TeamStore.
func (q *querier) RemoveTeamMember(ctx context.Context, teamID, userID string) error {
	return q.execOne(ctx, `DELETE FROM latch_team_members WHERE team_id = ? AND user_id = ?`, teamID, userID)
}

func scanTeamMember(sc scanner) (*storage.TeamMember, error) {
	m := new(storage.TeamMember)
	err := sc.Scan(&m.TeamID, &m.UserID, timeCol{&m.CreatedAt})
	return m, err
}

// ListTeamMembers implements storage.TeamStore, in the order members were
// added (then by user ID).
func (q *querier) ListTeamMembers(ctx context.Context, teamID string) ([]*storage.TeamMember, error) {
	return getAll(ctx, q, scanTeamMember,
		`SELECT team_id, user_id, created_at FROM latch_team_members WHERE team_id = ? ORDER BY created_at, user_id`, teamID)
}

// ListUserTeams implements storage.TeamStore.
func (q *querier) ListUserTeams(ctx context.Context, orgID, userID string) ([]*storage.Team, error) {
	return getAll(ctx, q, scanTeam, `SELECT `+teamCols.prefixed("t")+` FROM latch_teams t`+
		` JOIN latch_team_members tm ON tm.team_id = t.id WHERE tm.organization_id = ? AND tm.user_id = ? ORDER BY t.id`, orgID, userID)
}
