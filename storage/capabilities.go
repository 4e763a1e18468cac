package storage

import "context"

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
	// UpdateDomain replaces EnrollmentMode, VerifiedAt and UpdatedAt.
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
