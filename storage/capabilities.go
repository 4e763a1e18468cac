package storage

import (
	"context"
	"time"
)

// The capabilities: operations the kernel never calls, which a plugin
// needs and asserts at Register (latch.RequireStore), so that an adapter
// implements only what the plugins it serves use. Every adapter shipped
// with Latch implements all of them; storagetest checks each one a store
// has and skips, naming it, each one it lacks.

// ConnectedAccountStore manages a user's links to identity providers after
// sign-in: listing them, refreshing their tokens, unlinking. Signing in
// through a link needs only the core [ExternalAccountStore].
type ConnectedAccountStore interface {
	// GetExternalAccount returns the account with that ID, or ErrNotFound.
	GetExternalAccount(ctx context.Context, id string) (*ExternalAccount, error)
	// ListExternalAccounts returns a user's accounts, oldest first.
	ListExternalAccounts(ctx context.Context, userID string) ([]*ExternalAccount, error)
	// UpdateExternalAccount replaces every field but ID, UserID, Issuer,
	// Subject and CreatedAt. ErrNotFound if no such account.
	UpdateExternalAccount(ctx context.Context, a *ExternalAccount) error
	// DeleteExternalAccount removes it (and so its tokens). ErrNotFound if
	// no such account.
	DeleteExternalAccount(ctx context.Context, id string) error
}

// AuditFilter narrows ListAuditEvents. Set fields combine with AND.
type AuditFilter struct {
	UserID         string
	OrganizationID string
	Type           string
}

// AdminStore is what an administration surface reads and removes beyond
// the kernel's own paths: counting users, reading the audit log,
// forgetting a device.
type AdminStore interface {
	// CountUsers returns how many users match f.
	CountUsers(ctx context.Context, f UserFilter) (int, error)
	// ListAuditEvents returns one page of audit events matching f.
	ListAuditEvents(ctx context.Context, f AuditFilter, p Page) ([]*AuditEvent, string, error)
	// DeleteClient removes the client and its sessions. ErrNotFound if no
	// such client.
	DeleteClient(ctx context.Context, id string) error
}

// SigningKeyPruneStore removes signing keys that are retired for good, once
// no token they signed can still be presented.
type SigningKeyPruneStore interface {
	// DeleteSigningKey removes it. ErrNotFound if no such key.
	DeleteSigningKey(ctx context.Context, id string) error
}

// OrganizationStore holds organizations.
type OrganizationStore interface {
	// CreateOrganization stores o with Version 1. ErrConflict when the ID or
	// the canonical slug is taken.
	CreateOrganization(ctx context.Context, o *Organization) error
	// GetOrganization returns the organization with that ID, or ErrNotFound.
	GetOrganization(ctx context.Context, id string) (*Organization, error)
	// GetOrganizationBySlug matches CanonicalName(slug), or ErrNotFound.
	GetOrganizationBySlug(ctx context.Context, slug string) (*Organization, error)
	// UpdateOrganization replaces every field when the versions match, as
	// UpdateUser does. ErrStale, ErrNotFound, ErrConflict (slug taken).
	UpdateOrganization(ctx context.Context, o *Organization) error
	// DeleteOrganization removes it with its memberships, invitations and
	// domains. ErrNotFound if no such organization.
	DeleteOrganization(ctx context.Context, id string) error
	// ListOrganizations returns one page of organizations whose name, slug
	// or ID contains query (case-insensitive; "" for all).
	ListOrganizations(ctx context.Context, query string, p Page) ([]*Organization, string, error)
}

// MembershipFilter narrows ListMemberships. Set fields combine with AND.
type MembershipFilter struct {
	OrganizationID string
	UserID         string
	Role           string
}

// MembershipStore holds organization memberships.
type MembershipStore interface {
	// CreateMembership stores m. ErrConflict when the user is already a
	// member of the organization; ErrNotFound when either does not exist.
	CreateMembership(ctx context.Context, m *Membership) error
	// GetMembership returns the membership of userID in orgID, or ErrNotFound.
	GetMembership(ctx context.Context, orgID, userID string) (*Membership, error)
	// UpdateMembership replaces Role, metadata and UpdatedAt. ErrNotFound.
	UpdateMembership(ctx context.Context, m *Membership) error
	// DeleteMembership removes the membership of userID in orgID. ErrNotFound.
	DeleteMembership(ctx context.Context, orgID, userID string) error
	// ListMemberships returns one page of memberships matching f.
	ListMemberships(ctx context.Context, f MembershipFilter, p Page) ([]*Membership, string, error)
	// CountMemberships returns how many memberships match f.
	CountMemberships(ctx context.Context, f MembershipFilter) (int, error)
}

// DomainStore holds organization domains.
type DomainStore interface {
	// CreateDomain stores d. ErrConflict when the ID is taken or d is
	// verified and another verified domain has the same canonical name.
	CreateDomain(ctx context.Context, d *Domain) error
	// GetDomain returns the domain with that ID, or ErrNotFound.
	GetDomain(ctx context.Context, id string) (*Domain, error)
	// FindDomain returns the verified domain with that canonical name, or
	// ErrNotFound.
	FindDomain(ctx context.Context, name string) (*Domain, error)
	// ListDomains returns an organization's domains, oldest first.
	ListDomains(ctx context.Context, orgID string) ([]*Domain, error)
	// UpdateDomain replaces EnrollmentMode, IncludeSubdomains,
	// AffiliationEmail, VerifiedAt and UpdatedAt.
	// ErrConflict, ErrNotFound as for CreateDomain.
	UpdateDomain(ctx context.Context, d *Domain) error
	// DeleteDomain removes it. ErrNotFound if no such domain.
	DeleteDomain(ctx context.Context, id string) error
}

// RoleStore holds organization roles.
type RoleStore interface {
	// CreateRole stores r. ErrConflict when the ID or Key is taken.
	CreateRole(ctx context.Context, r *Role) error
	// GetRole returns the role with that key, or ErrNotFound.
	GetRole(ctx context.Context, key string) (*Role, error)
	// ListRoles returns every role, oldest first.
	ListRoles(ctx context.Context) ([]*Role, error)
	// UpdateRole replaces Name, Description, Permissions and UpdatedAt of
	// the role with r.Key. ErrNotFound.
	UpdateRole(ctx context.Context, r *Role) error
	// DeleteRole removes the role with that key. ErrNotFound.
	DeleteRole(ctx context.Context, key string) error
}

// OrganizationLockStore serializes the writers of one organization, so
// that a check and the write it guards (the membership limit, the last
// member holding the creator role) hold together under concurrency.
type OrganizationLockStore interface {
	// LockOrganization, called inside InTx on the transaction's querier,
	// makes every other transaction that locks the same organization wait
	// until this one ends. Outside a transaction it does nothing. ErrNotFound
	// if no such organization.
	LockOrganization(ctx context.Context, id string) error
}

// OrganizationInvitationStore finds the invitations addressed to a person.
type OrganizationInvitationStore interface {
	// ListInvitationsForEmail returns one page of the organization
	// invitations (OrganizationID not "") to that address (matched under
	// CanonicalName) with that status ("" for any).
	ListInvitationsForEmail(ctx context.Context, email, status string, p Page) ([]*Invitation, string, error)
}

// MembershipClaims is what a session token says of its active
// organization, read in one query.
type MembershipClaims struct {
	Membership       *Membership
	OrganizationSlug string
	// Permissions are the permissions of the membership's role (nil when
	// the role no longer exists).
	Permissions []string
	// InTeam reports whether the user is a member of the team asked about
	// (false when none was).
	InTeam bool
}

// MembershipClaimsStore reads what a session token describes of an
// organization, so that a refresh with an active organization costs one
// read more than one without.
type MembershipClaimsStore interface {
	// GetMembershipClaims returns the membership of userID in orgID with
	// its organization's slug, its role's permissions and whether the user
	// is in team teamID ("" for none). ErrNotFound if no such membership.
	GetMembershipClaims(ctx context.Context, orgID, userID, teamID string) (*MembershipClaims, error)
}

// RoleSetStore holds role sets and the permission catalogue.
type RoleSetStore interface {
	// PutRoleSet creates the set, or replaces the one with the same Key
	// (keeping its ID and CreatedAt).
	PutRoleSet(ctx context.Context, s *RoleSet) error
	// GetRoleSet returns the set with that key, or ErrNotFound.
	GetRoleSet(ctx context.Context, key string) (*RoleSet, error)
	// ListRoleSets returns every set, oldest first.
	ListRoleSets(ctx context.Context) ([]*RoleSet, error)
	// DeleteRoleSet removes the set with that key. ErrNotFound.
	DeleteRoleSet(ctx context.Context, key string) error
	// PutPermission creates the permission, or replaces the one with the
	// same Key (keeping its ID and CreatedAt).
	PutPermission(ctx context.Context, p *Permission) error
	// ListPermissions returns every permission, oldest first.
	ListPermissions(ctx context.Context) ([]*Permission, error)
	// DeletePermission removes the permission with that key. ErrNotFound.
	DeletePermission(ctx context.Context, key string) error
}

// MembershipRequestFilter narrows ListMembershipRequests. Set fields
// combine with AND.
type MembershipRequestFilter struct {
	OrganizationID string
	UserID         string
	Status         string
}

// MembershipRequestStore holds membership requests.
type MembershipRequestStore interface {
	// CreateMembershipRequest stores r. ErrConflict when the ID is taken or
	// the user already has a pending request to the organization.
	CreateMembershipRequest(ctx context.Context, r *MembershipRequest) error
	// GetMembershipRequest returns the request with that ID, or ErrNotFound.
	GetMembershipRequest(ctx context.Context, id string) (*MembershipRequest, error)
	// ListMembershipRequests returns one page of requests matching f.
	ListMembershipRequests(ctx context.Context, f MembershipRequestFilter, p Page) ([]*MembershipRequest, string, error)
	// TransitionMembershipRequest moves the request from status from to
	// status to (setting UpdatedAt to at) only when its status is from.
	// ErrConsumed when it is not; ErrNotFound if no such request.
	TransitionMembershipRequest(ctx context.Context, id, from, to string, at time.Time) error
}

// TeamStore holds teams and their members. Removing a membership
// (DeleteMembership) removes the user from the organization's teams, and
// removing an organization removes its teams and requests.
type TeamStore interface {
	// CreateTeam stores t. ErrConflict when the ID is taken or the
	// organization has a team of that canonical name; ErrNotFound when the
	// organization does not exist.
	CreateTeam(ctx context.Context, t *Team) error
	// GetTeam returns the team with that ID, or ErrNotFound.
	GetTeam(ctx context.Context, id string) (*Team, error)
	// ListTeams returns an organization's teams, oldest first.
	ListTeams(ctx context.Context, orgID string) ([]*Team, error)
	// UpdateTeam replaces Name and UpdatedAt. ErrNotFound, ErrConflict.
	UpdateTeam(ctx context.Context, t *Team) error
	// DeleteTeam removes the team and its members. ErrNotFound.
	DeleteTeam(ctx context.Context, id string) error
	// AddTeamMember stores m. ErrConflict when the user is in the team
	// already; ErrNotFound when the team does not exist or the user is not
	// a member of its organization.
	AddTeamMember(ctx context.Context, m *TeamMember) error
	// RemoveTeamMember removes userID from the team. ErrNotFound.
	RemoveTeamMember(ctx context.Context, teamID, userID string) error
	// ListTeamMembers returns a team's members, oldest first.
	ListTeamMembers(ctx context.Context, teamID string) ([]*TeamMember, error)
	// ListUserTeams returns the teams of orgID that userID is in, oldest
	// first.
	ListUserTeams(ctx context.Context, orgID, userID string) ([]*Team, error)
}

// BillingStore holds plans and subscriptions.
type BillingStore interface {
	// PutPlan creates the plan, or replaces the one with the same ID.
	// ErrConflict when another plan has the same Key.
	PutPlan(ctx context.Context, p *Plan) error
	// GetPlan returns the plan with that key, or ErrNotFound.
	GetPlan(ctx context.Context, key string) (*Plan, error)
	// ListPlans returns every plan, oldest first.
	ListPlans(ctx context.Context) ([]*Plan, error)
	// PutSubscription creates the subscription, or replaces the one with
	// the same ID.
	PutSubscription(ctx context.Context, s *Subscription) error
	// ListSubscriptions returns a payer's subscriptions, oldest first.
	ListSubscriptions(ctx context.Context, payerID string) ([]*Subscription, error)
}
