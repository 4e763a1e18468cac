package sqlstore

import (
	"context"
	"time"

	"github.com/latchauth/latch/storage"
)

var orgCols = columns{
	"id", "name", "slug", "image_url", "public_metadata", "private_metadata",
	"max_memberships", "role_set", "require_second_factor", "restrict_to_domains",
	"created_by", "created_at", "updated_at", "version",
}

var (
	orgSelect = `SELECT ` + orgCols.list() + ` FROM latch_organizations`
	orgInsert = `INSERT INTO latch_organizations (` + orgCols.list() + `, slug_canonical) VALUES (` + orgCols.marks() + `, ?)`
	orgExists = `SELECT 1 FROM latch_organizations WHERE id = ?`
	orgUpdate = `UPDATE latch_organizations SET ` + orgCols[1:len(orgCols)-1].set() + `, slug_canonical = ?, version = version + 1 WHERE id = ? AND version = ?`
)

func scanOrg(sc scanner) (*storage.Organization, error) {
	o := new(storage.Organization)
	err := sc.Scan(&o.ID, &o.Name, &o.Slug, &o.ImageURL, jsonCol{&o.PublicMetadata}, jsonCol{&o.PrivateMetadata},
		&o.MaxMemberships, &o.RoleSet, &o.RequireSecondFactor, &o.RestrictToDomains, &o.CreatedBy, timeCol{&o.CreatedAt}, timeCol{&o.UpdatedAt}, &o.Version)
	return o, err
}

// orgArgs is o's columns from orgCols[1:len-1].
func (q *querier) orgArgs(o *storage.Organization) []any {
	return []any{o.Name, o.Slug, o.ImageURL, js(o.PublicMetadata), js(o.PrivateMetadata),
		o.MaxMemberships, o.RoleSet, o.RequireSecondFactor, o.RestrictToDomains, o.CreatedBy, q.tm(o.CreatedAt), q.tm(o.UpdatedAt)}
}

// CreateOrganization implements storage.OrganizationStore.
func (q *querier) CreateOrganization(ctx context.Context, o *storage.Organization) error {
	if err := checkJSON(o.PublicMetadata, o.PrivateMetadata); err != nil {
		return err
	}
	args := append(append([]any{o.ID}, q.orgArgs(o)...), int64(1), nullable(canonicalName(o.Slug)))
	if _, err := q.exec(ctx, orgInsert, args...); err != nil {
		return err
	}
	o.Version = 1
	return nil
}

// GetOrganization implements storage.OrganizationStore.
func (q *querier) GetOrganization(ctx context.Context, id string) (*storage.Organization, error) {
	return getOne(ctx, q, scanOrg, orgSelect+` WHERE id = ?`, id)
}

// GetOrganizationBySlug implements storage.OrganizationStore.
func (q *querier) GetOrganizationBySlug(ctx context.Context, slug string) (*storage.Organization, error) {
	c := canonicalName(slug)
	if c == "" {
		return nil, storage.ErrNotFound
	}
	return getOne(ctx, q, scanOrg, orgSelect+` WHERE slug_canonical = ?`, c)
}

// UpdateOrganization implements storage.OrganizationStore.
func (q *querier) UpdateOrganization(ctx context.Context, o *storage.Organization) error {
	if err := checkJSON(o.PublicMetadata, o.PrivateMetadata); err != nil {
		return err
	}
	args := append(q.orgArgs(o), nullable(canonicalName(o.Slug)), o.ID, o.Version)
	n, err := q.exec(ctx, orgUpdate, args...)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.missOr(ctx, storage.ErrStale, orgExists, o.ID)
	}
	o.Version++
	return nil
}

// DeleteOrganization implements storage.OrganizationStore; the organization
// goes first for the reason given at DeleteUser.
func (q *querier) DeleteOrganization(ctx context.Context, id string) error {
	return q.atomic(ctx, func(q *querier) error {
		if err := q.execOne(ctx, `DELETE FROM latch_organizations WHERE id = ?`, id); err != nil {
			return err
		}
		for _, stmt := range []string{
			`DELETE FROM latch_memberships WHERE organization_id = ?`,
			`DELETE FROM latch_invitations WHERE organization_id = ?`,
			`DELETE FROM latch_domains WHERE organization_id = ?`,
			`DELETE FROM latch_team_members WHERE organization_id = ?`,
			`DELETE FROM latch_teams WHERE organization_id = ?`,
			`DELETE FROM latch_membership_requests WHERE organization_id = ?`,
		} {
			if _, err := q.exec(ctx, stmt, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListOrganizations implements storage.OrganizationStore.
func (q *querier) ListOrganizations(ctx context.Context, query string, p storage.Page) ([]*storage.Organization, string, error) {
	w := new(where)
	if query != "" {
		c := contains(query)
		like := q.d.likeCol
		w.add(`(`+like("name")+` OR `+like("slug")+` OR `+like("id")+`)`, c, c, c)
	}
	return page(ctx, q, scanOrg, func(o *storage.Organization) string { return o.ID }, orgSelect, w, p)
}

var memberCols = columns{"id", "organization_id", "user_id", "role", "public_metadata", "private_metadata", "created_at", "updated_at"}

var (
	memberSelect = `SELECT ` + memberCols.list() + ` FROM latch_memberships`
	memberInsert = `INSERT INTO latch_memberships (` + memberCols.list() + `) SELECT ` + memberCols.marks() +
		` WHERE EXISTS (` + orgExists + `) AND EXISTS (` + userExists + `)`
)

func scanMember(sc scanner) (*storage.Membership, error) {
	m := new(storage.Membership)
	err := sc.Scan(&m.ID, &m.OrganizationID, &m.UserID, &m.Role, jsonCol{&m.PublicMetadata}, jsonCol{&m.PrivateMetadata},
		timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt})
	return m, err
}

// CreateMembership implements storage.MembershipStore.
func (q *querier) CreateMembership(ctx context.Context, m *storage.Membership) error {
	if err := checkJSON(m.PublicMetadata, m.PrivateMetadata); err != nil {
		return err
	}
	return q.execOne(ctx, memberInsert, m.ID, m.OrganizationID, m.UserID, m.Role, js(m.PublicMetadata), js(m.PrivateMetadata),
		q.tm(m.CreatedAt), q.tm(m.UpdatedAt), m.OrganizationID, m.UserID)
}

// GetMembership implements storage.MembershipStore.
func (q *querier) GetMembership(ctx context.Context, orgID, userID string) (*storage.Membership, error) {
	return getOne(ctx, q, scanMember, memberSelect+` WHERE organization_id = ? AND user_id = ?`, orgID, userID)
}

// UpdateMembership implements storage.MembershipStore. The membership is
// addressed as Get and Delete address it: by organization and user.
func (q *querier) UpdateMembership(ctx context.Context, m *storage.Membership) error {
	if err := checkJSON(m.PublicMetadata, m.PrivateMetadata); err != nil {
		return err
	}
	return q.execOne(ctx, `UPDATE latch_memberships SET role = ?, public_metadata = ?, private_metadata = ?, updated_at = ? WHERE organization_id = ? AND user_id = ?`,
		m.Role, js(m.PublicMetadata), js(m.PrivateMetadata), q.tm(m.UpdatedAt), m.OrganizationID, m.UserID)
}

// DeleteMembership implements storage.MembershipStore; the membership goes
// first for the reason given at DeleteUser, then the user's places in the
// organization's teams.
func (q *querier) DeleteMembership(ctx context.Context, orgID, userID string) error {
	return q.atomic(ctx, func(q *querier) error {
		if err := q.execOne(ctx, `DELETE FROM latch_memberships WHERE organization_id = ? AND user_id = ?`, orgID, userID); err != nil {
			return err
		}
		_, err := q.exec(ctx, `DELETE FROM latch_team_members WHERE organization_id = ? AND user_id = ?`, orgID, userID)
		return err
	})
}

func memberWhere(f storage.MembershipFilter) *where {
	w := new(where)
	w.eq("organization_id", f.OrganizationID)
	w.eq("user_id", f.UserID)
	w.eq("role", f.Role)
	return w
}

// ListMemberships implements storage.MembershipStore.
func (q *querier) ListMemberships(ctx context.Context, f storage.MembershipFilter, p storage.Page) ([]*storage.Membership, string, error) {
	return page(ctx, q, scanMember, func(m *storage.Membership) string { return m.ID }, memberSelect, memberWhere(f), p)
}

// CountMemberships implements storage.MembershipStore.
func (q *querier) CountMemberships(ctx context.Context, f storage.MembershipFilter) (int, error) {
	return q.count(ctx, "latch_memberships", memberWhere(f))
}

var inviteCols = columns{
	"id", "organization_id", "email_address", "role", "status", "inviter_id", "verification_id",
	"public_metadata", "expires_at", "created_at", "updated_at",
}

var (
	inviteSelect = `SELECT ` + inviteCols.list() + ` FROM latch_invitations`
	// Application invitations (no organization) take the plain INSERT.
	inviteInsert    = `INSERT INTO latch_invitations (` + inviteCols.list() + `, email_canonical) VALUES (` + inviteCols.marks() + `, ?)`
	inviteInsertOrg = `INSERT INTO latch_invitations (` + inviteCols.list() + `, email_canonical) SELECT ` + inviteCols.marks() +
		`, ? WHERE EXISTS (` + orgExists + `)`
)

func scanInvite(sc scanner) (*storage.Invitation, error) {
	i := new(storage.Invitation)
	err := sc.Scan(&i.ID, &i.OrganizationID, &i.EmailAddress, &i.Role, &i.Status, &i.InviterID, &i.VerificationID,
		jsonCol{&i.PublicMetadata}, timeCol{&i.ExpiresAt}, timeCol{&i.CreatedAt}, timeCol{&i.UpdatedAt})
	return i, err
}

// CreateInvitation implements storage.InvitationStore.
func (q *querier) CreateInvitation(ctx context.Context, i *storage.Invitation) error {
	if err := checkJSON(i.PublicMetadata); err != nil {
		return err
	}
	args := []any{i.ID, i.OrganizationID, i.EmailAddress, i.Role, i.Status, i.InviterID, i.VerificationID,
		js(i.PublicMetadata), q.tm(i.ExpiresAt), q.tm(i.CreatedAt), q.tm(i.UpdatedAt), storage.CanonicalName(i.EmailAddress)}
	if i.OrganizationID == "" {
		_, err := q.exec(ctx, inviteInsert, args...)
		return err
	}
	return q.execOne(ctx, inviteInsertOrg, append(args, i.OrganizationID)...)
}

// GetInvitation implements storage.InvitationStore.
func (q *querier) GetInvitation(ctx context.Context, id string) (*storage.Invitation, error) {
	return getOne(ctx, q, scanInvite, inviteSelect+` WHERE id = ?`, id)
}

// ListInvitations implements storage.InvitationStore.
func (q *querier) ListInvitations(ctx context.Context, orgID, status string, p storage.Page) ([]*storage.Invitation, string, error) {
	w := new(where)
	w.add("organization_id = ?", orgID) // "" selects application invitations
	w.eq("status", status)
	return page(ctx, q, scanInvite, func(i *storage.Invitation) string { return i.ID }, inviteSelect, w, p)
}

// ListInvitationsForEmail implements storage.OrganizationInvitationStore.
func (q *querier) ListInvitationsForEmail(ctx context.Context, email, status string, p storage.Page) ([]*storage.Invitation, string, error) {
	w := new(where)
	w.add("email_canonical = ?", storage.CanonicalName(email))
	w.add("organization_id <> ''")
	w.eq("status", status)
	return page(ctx, q, scanInvite, func(i *storage.Invitation) string { return i.ID }, inviteSelect, w, p)
}

// TransitionInvitation implements storage.InvitationStore.
func (q *querier) TransitionInvitation(ctx context.Context, id, from, to string, at time.Time) error {
	n, err := q.exec(ctx, `UPDATE latch_invitations SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, to, q.tm(at), id, from)
	if err == nil && n == 0 {
		err = q.missOr(ctx, storage.ErrConsumed, `SELECT 1 FROM latch_invitations WHERE id = ?`, id)
	}
	return err
}

var domainCols = columns{
	"id", "organization_id", "name", "enrollment_mode", "include_subdomains", "affiliation_email",
	"verified_at", "created_at", "updated_at",
}

var (
	domainSelect = `SELECT ` + domainCols.list() + ` FROM latch_domains`
	domainInsert = `INSERT INTO latch_domains (` + domainCols.list() + `, name_canonical) SELECT ` + domainCols.marks() +
		`, ? WHERE EXISTS (` + orgExists + `)`
)

func scanDomain(sc scanner) (*storage.Domain, error) {
	d := new(storage.Domain)
	err := sc.Scan(&d.ID, &d.OrganizationID, &d.Name, &d.EnrollmentMode, &d.IncludeSubdomains, &d.AffiliationEmail, timeCol{&d.VerifiedAt}, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt})
	return d, err
}

// CreateDomain implements storage.DomainStore.
func (q *querier) CreateDomain(ctx context.Context, d *storage.Domain) error {
	return q.execOne(ctx, domainInsert,
		d.ID, d.OrganizationID, d.Name, d.EnrollmentMode, d.IncludeSubdomains, d.AffiliationEmail, q.tm(d.VerifiedAt), q.tm(d.CreatedAt), q.tm(d.UpdatedAt),
		storage.CanonicalName(d.Name), d.OrganizationID)
}

// GetDomain implements storage.DomainStore.
func (q *querier) GetDomain(ctx context.Context, id string) (*storage.Domain, error) {
	return getOne(ctx, q, scanDomain, domainSelect+` WHERE id = ?`, id)
}

// FindDomain implements storage.DomainStore.
func (q *querier) FindDomain(ctx context.Context, name string) (*storage.Domain, error) {
	return getOne(ctx, q, scanDomain, domainSelect+` WHERE name_canonical = ? AND verified_at IS NOT NULL`, storage.CanonicalName(name))
}

// ListDomains implements storage.DomainStore.
func (q *querier) ListDomains(ctx context.Context, orgID string) ([]*storage.Domain, error) {
	return getAll(ctx, q, scanDomain, domainSelect+` WHERE organization_id = ? ORDER BY id`, orgID)
}

// UpdateDomain implements storage.DomainStore.
func (q *querier) UpdateDomain(ctx context.Context, d *storage.Domain) error {
	return q.execOne(ctx, `UPDATE latch_domains SET enrollment_mode = ?, include_subdomains = ?, affiliation_email = ?, verified_at = ?, updated_at = ? WHERE id = ?`,
		d.EnrollmentMode, d.IncludeSubdomains, d.AffiliationEmail, q.tm(d.VerifiedAt), q.tm(d.UpdatedAt), d.ID)
}

// DeleteDomain implements storage.DomainStore.
func (q *querier) DeleteDomain(ctx context.Context, id string) error {
	return q.execOne(ctx, `DELETE FROM latch_domains WHERE id = ?`, id)
}

var roleCols = columns{"id", "key", "name", "description", "permissions", "created_at", "updated_at"}

var roleSelect = `SELECT ` + roleCols.list() + ` FROM latch_roles`

func scanRole(sc scanner) (*storage.Role, error) {
	r := new(storage.Role)
	err := sc.Scan(&r.ID, &r.Key, &r.Name, &r.Description, strsCol{&r.Permissions}, timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	return r, err
}

// CreateRole implements storage.RoleStore.
func (q *querier) CreateRole(ctx context.Context, r *storage.Role) error {
	_, err := q.exec(ctx, `INSERT INTO latch_roles (`+roleCols.list()+`) VALUES (`+roleCols.marks()+`)`,
		r.ID, r.Key, r.Name, r.Description, strs(r.Permissions), q.tm(r.CreatedAt), q.tm(r.UpdatedAt))
	return err
}

// GetRole implements storage.RoleStore.
func (q *querier) GetRole(ctx context.Context, key string) (*storage.Role, error) {
	return getOne(ctx, q, scanRole, roleSelect+` WHERE key = ?`, key)
}

// ListRoles implements storage.RoleStore.
func (q *querier) ListRoles(ctx context.Context) ([]*storage.Role, error) {
	return getAll(ctx, q, scanRole, roleSelect+` ORDER BY id`)
}

// UpdateRole implements storage.RoleStore.
func (q *querier) UpdateRole(ctx context.Context, r *storage.Role) error {
	return q.execOne(ctx, `UPDATE latch_roles SET name = ?, description = ?, permissions = ?, updated_at = ? WHERE key = ?`,
		r.Name, r.Description, strs(r.Permissions), q.tm(r.UpdatedAt), r.Key)
}

// DeleteRole implements storage.RoleStore.
func (q *querier) DeleteRole(ctx context.Context, key string) error {
	return q.execOne(ctx, `DELETE FROM latch_roles WHERE key = ?`, key)
}
