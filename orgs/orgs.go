// Package orgs is the organizations plugin of Latch: multi-tenant B2B
// accounts with members, roles and permissions, invitations, verified
// domains, membership requests, teams, and the active organization in the
// session token (org_id, org_slug, org_role, org_permissions, org_team).
//
// Add it to latch.Config.Plugins; its Go API (the methods of Plugin) is for
// back ends, its JSON API (/v1/me/organizations…, /v1/organizations/{id}/…)
// for front ends, and its hosted pages for browsers:
//
//	o := orgs.New(orgs.Config{})
//	auth, err := latch.New(latch.Config{Plugins: []latch.Plugin{o}, …})
//	org, err := o.CreateOrganization(ctx, userID, orgs.CreateParams{Name: "Acme"})
//
// The store must offer the organization capabilities of package storage
// (every adapter shipped with Latch does).
package orgs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/screen"
	"github.com/latchauth/latch/storage"
)

// The default roles and the system permissions every organization route
// checks.
const (
	RoleAdmin  = "org:admin"
	RoleMember = "org:member"

	PermProfileManage     = "org:sys_profile:manage"
	PermProfileDelete     = "org:sys_profile:delete"
	PermMembershipsRead   = "org:sys_memberships:read"
	PermMembershipsManage = "org:sys_memberships:manage"
	PermDomainsRead       = "org:sys_domains:read"
	PermDomainsManage     = "org:sys_domains:manage"
	PermBillingRead       = "org:sys_billing:read"
	PermBillingManage     = "org:sys_billing:manage"

	// DefaultRoleSet is the key of the role set of organizations that name
	// none.
	DefaultRoleSet = "default"
)

// SystemPermissions lists the system permissions, which org:admin holds.
var SystemPermissions = []string{
	PermProfileManage, PermProfileDelete, PermMembershipsRead, PermMembershipsManage,
	PermDomainsRead, PermDomainsManage, PermBillingRead, PermBillingManage,
}

// memberPermissions are org:member's: reading the members and domains.
var memberPermissions = []string{PermMembershipsRead, PermDomainsRead}

// Enrollment modes of a verified domain.
const (
	// EnrollManual: nothing happens by itself; admins invite.
	EnrollManual = "manual_invitation"
	// EnrollAutoInvitation: users with a verified address at the domain
	// get an invitation, which they accept.
	EnrollAutoInvitation = "automatic_invitation"
	// EnrollAutoSuggestion: such users are suggested the organization and
	// may ask to join (a membership request), which admins accept.
	EnrollAutoSuggestion = "automatic_suggestion"
)

// Config configures the plugin. The zero value is a working configuration:
// every user may create organizations, at most 100 each; memberships are
// unlimited; creators are org:admin and new members org:member;
// invitations last 7 days.
type Config struct {
	// CanCreate reports whether a user may create an organization. Default:
	// every signed-in user. An error refuses, as ErrUnavailable.
	CanCreate func(ctx context.Context, userID string) (bool, error)
	// MaxOrganizationsPerUser bounds the organizations one user may create
	// (counted as the memberships they hold with the creator role).
	// Default 100; negative for no bound.
	MaxOrganizationsPerUser int
	// MaxMemberships is the membership limit of new organizations (a seat
	// limit); 0 for none. Each organization's own limit can be changed
	// (UpdateParams.MaxMemberships).
	MaxMemberships int
	// ReservedSlugs are slugs no organization may take, compared under
	// storage.CanonicalName, besides the built-in ones ("admin", "api",
	// "settings", "new", …).
	ReservedSlugs []string
	// CreatorRole is the role of an organization's creator, and the role
	// an organization keeps at least one member in. Default "org:admin".
	CreatorRole string
	// DefaultRole is the role of a member added without one. Default
	// "org:member".
	DefaultRole string
	// Roles are custom roles, created or updated at Start. Keys are
	// "org:<name>"; permissions are "org:<feature>:<action>" (system
	// permissions included). They join the default role set unless a
	// RoleSet lists them.
	Roles []RoleParams
	// Permissions describe custom permissions (for administration
	// surfaces), created or updated at Start.
	Permissions []PermissionParams
	// RoleSets are further role sets, created or updated at Start.
	RoleSets []RoleSetParams
	// InvitationTTL is how long an invitation may be accepted. Default 7
	// days; at most 30.
	InvitationTTL time.Duration
	// PublicDomains replaces the built-in list of public mail providers
	// (gmail.com, outlook.com, …), whose domains no organization may
	// verify. Disposable domains (package screen's list) are always
	// refused.
	PublicDomains []string
	// HidePersonalAccount makes signed-in users always act for an
	// organization when they have one: a new session picks their last
	// active one or, failing that, their oldest membership.
	HidePersonalAccount bool
	// PagesPrefix is where the hosted pages live. Default "/organizations".
	PagesPrefix string
}

const (
	defaultMaxOrgsPerUser = 100
	defaultInvitationTTL  = 7 * 24 * time.Hour
	maxInvitationTTL      = 30 * 24 * time.Hour
	maxBulkInvitations    = 50
)

var builtinReserved = []string{"admin", "api", "app", "auth", "billing", "create", "dashboard", "help", "login",
	"logout", "me", "new", "org", "organization", "organizations", "personal", "root", "settings", "sign-in",
	"sign-up", "signin", "signup", "support", "system", "v1", "www"}

var builtinPublic = []string{"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.fr", "live.com",
	"live.fr", "msn.com", "yahoo.com", "yahoo.fr", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com",
	"proton.me", "protonmail.com", "pm.me", "gmx.com", "gmx.de", "gmx.net", "gmx.fr", "web.de", "mail.com",
	"yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com", "126.com", "zoho.com", "fastmail.com",
	"tutanota.com", "tuta.io", "hey.com", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr",
	"libero.it", "t-online.de", "comcast.net", "verizon.net", "att.net"}

// Plugin is the organizations plugin. Make it with New and list it in
// latch.Config.Plugins; one Plugin serves one Auth.
type Plugin struct {
	cfg      Config
	h        *latch.Host
	reserved map[string]bool
	public   *screen.DomainList

	orgs     storage.OrganizationStore
	members  storage.MembershipStore
	domains  storage.DomainStore
	roles    storage.RoleStore
	sets     storage.RoleSetStore
	claims   storage.MembershipClaimsStore
	invites  storage.OrganizationInvitationStore
	requests storage.MembershipRequestStore
	teams    storage.TeamStore
}

// New returns the plugin configured by cfg. Defaults are applied, and cfg
// checked, when the kernel registers it.
func New(cfg Config) *Plugin { return &Plugin{cfg: cfg} }

// Name implements latch.Plugin.
func (p *Plugin) Name() string { return "orgs" }

// Register implements latch.Plugin.
func (p *Plugin) Register(h *latch.Host) error {
	if p.h != nil {
		return errors.New("this orgs.Plugin is already registered with another Auth; call orgs.New for each")
	}
	if err := p.defaults(); err != nil {
		return err
	}
	var err error
	if p.orgs, err = latch.RequireStore[storage.OrganizationStore](h); err != nil {
		return err
	}
	if p.members, err = latch.RequireStore[storage.MembershipStore](h); err != nil {
		return err
	}
	if p.domains, err = latch.RequireStore[storage.DomainStore](h); err != nil {
		return err
	}
	if p.roles, err = latch.RequireStore[storage.RoleStore](h); err != nil {
		return err
	}
	if p.sets, err = latch.RequireStore[storage.RoleSetStore](h); err != nil {
		return err
	}
	if p.claims, err = latch.RequireStore[storage.MembershipClaimsStore](h); err != nil {
		return err
	}
	if p.invites, err = latch.RequireStore[storage.OrganizationInvitationStore](h); err != nil {
		return err
	}
	if p.requests, err = latch.RequireStore[storage.MembershipRequestStore](h); err != nil {
		return err
	}
	if p.teams, err = latch.RequireStore[storage.TeamStore](h); err != nil {
		return err
	}
	if _, err = latch.RequireStore[storage.OrganizationLockStore](h); err != nil {
		return err
	}
	p.h = h
	if err := h.DeclareEvents(events...); err != nil {
		return err
	}
	if err := h.AddClaims(latch.ClaimsContributor{
		Claims:     []string{"org_id", "org_slug", "org_role", "org_permissions", "org_team"},
		Contribute: p.contribute,
	}); err != nil {
		return err
	}
	h.OnSignUp(p.onSignUp)
	h.OnSessionCreate(p.onSessionCreate)
	h.AddSignInPolicy(p.signInPolicy)
	h.RequireSecondFactor(p.needsSecondFactor)
	if err := p.addMessages(h); err != nil {
		return err
	}
	if err := p.addRoutes(h); err != nil {
		return err
	}
	if err := p.addPages(h); err != nil {
		return err
	}
	return h.AddOpenAPI(openAPI)
}

func (p *Plugin) defaults() error {
	c := &p.cfg
	if c.MaxOrganizationsPerUser == 0 {
		c.MaxOrganizationsPerUser = defaultMaxOrgsPerUser
	}
	if c.MaxMemberships < 0 {
		return fmt.Errorf("Config.MaxMemberships is %d; use 0 for no limit", c.MaxMemberships)
	}
	if c.CreatorRole == "" {
		c.CreatorRole = RoleAdmin
	}
	if c.DefaultRole == "" {
		c.DefaultRole = RoleMember
	}
	for _, k := range []string{c.CreatorRole, c.DefaultRole} {
		if err := validRoleKey(k); err != nil {
			return fmt.Errorf("Config: role %q: %w", k, err)
		}
	}
	switch {
	case c.InvitationTTL == 0:
		c.InvitationTTL = defaultInvitationTTL
	case c.InvitationTTL < 0 || c.InvitationTTL > maxInvitationTTL:
		return fmt.Errorf("Config.InvitationTTL is %s; it must be at most 30 days", c.InvitationTTL)
	}
	if c.PagesPrefix == "" {
		c.PagesPrefix = "/organizations"
	}
	for _, r := range c.Roles {
		if err := r.validate(); err != nil {
			return fmt.Errorf("Config.Roles: %w", err)
		}
	}
	for _, pm := range c.Permissions {
		if err := validPermission(pm.Key); err != nil {
			return fmt.Errorf("Config.Permissions: %w", err)
		}
	}
	p.reserved = map[string]bool{}
	for _, s := range append(slices.Clone(builtinReserved), c.ReservedSlugs...) {
		p.reserved[storage.CanonicalName(s)] = true
	}
	pub := builtinPublic
	if c.PublicDomains != nil {
		pub = c.PublicDomains
	}
	p.public = screen.NewDomainList(pub)
	return nil
}

// Start implements latch.Starter: it creates or updates the default roles,
// the configured roles, permissions and role sets.
func (p *Plugin) Start(ctx context.Context) error { return p.seed(ctx) }

// Errors of the plugin, beyond the kernel's.
var (
	// ErrSlugTaken: another organization has that slug (in any letter
	// case or Unicode form), or it is reserved.
	ErrSlugTaken = &latch.Error{Code: "organization_slug_taken", Message: "That address is taken. Try another.", Status: http.StatusUnprocessableEntity, Field: "slug"}
	// ErrCreateNotAllowed: the user may not create organizations, or has
	// created as many as allowed.
	ErrCreateNotAllowed = &latch.Error{Code: "organization_create_not_allowed", Message: "You cannot create another organization.", Status: http.StatusForbidden}
	// ErrMembershipLimit: the organization has as many members as its
	// limit allows.
	ErrMembershipLimit = &latch.Error{Code: "organization_membership_quota_exceeded", Message: "This organization has no seat left.", Status: http.StatusForbidden}
	// ErrLastCreator: the change would leave the organization without a
	// member holding the creator role.
	ErrLastCreator = &latch.Error{Code: "organization_minimum_permissions_needed", Message: "An organization needs at least one admin. Make someone else admin first.", Status: http.StatusUnprocessableEntity}
	// ErrAlreadyMember: the user is a member already.
	ErrAlreadyMember = &latch.Error{Code: "already_a_member_in_organization", Message: "This person is already a member.", Status: http.StatusUnprocessableEntity}
	// ErrRoleNotAllowed: the role is unknown, not in the organization's
	// role set, or grants more than the caller holds.
	ErrRoleNotAllowed = &latch.Error{Code: "organization_role_not_allowed", Message: "That role cannot be given here.", Status: http.StatusUnprocessableEntity, Field: "role"}
	// ErrEmailNotVerified: the invitation is for an address the user has
	// not verified.
	ErrEmailNotVerified = &latch.Error{Code: "organization_invitation_email_not_verified", Message: "This invitation is for an email address you have not verified.", Status: http.StatusForbidden}
	// ErrDomainNotAllowed: the domain is a public mail provider's or
	// disposable, or malformed.
	ErrDomainNotAllowed = &latch.Error{Code: "organization_domain_not_allowed", Message: "This domain cannot be verified for an organization.", Status: http.StatusUnprocessableEntity, Field: "name"}
	// ErrDomainTaken: another organization verified that domain.
	ErrDomainTaken = &latch.Error{Code: "organization_domain_exists", Message: "Another organization has verified this domain.", Status: http.StatusUnprocessableEntity, Field: "name"}
	// ErrDomainRestricted: the organization admits only addresses at its
	// verified domains.
	ErrDomainRestricted = &latch.Error{Code: "organization_domain_mismatch", Message: "This organization admits only addresses at its verified domains.", Status: http.StatusForbidden}
	// ErrRequestInvalid: the membership request is not pending.
	ErrRequestInvalid = &latch.Error{Code: "organization_membership_request_invalid", Message: "This request was already handled.", Status: http.StatusUnprocessableEntity}
	// ErrNoSuggestion: the user has no suggestion for that organization.
	ErrNoSuggestion = &latch.Error{Code: "organization_suggestion_invalid", Message: "You cannot ask to join this organization.", Status: http.StatusForbidden}
)

// storageErr maps the store's expected errors to the kernel's.
func storageErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return latch.ErrNotFound
	case errors.Is(err, storage.ErrStale), errors.Is(err, storage.ErrConflict):
		return latch.ErrConflict
	}
	return err
}
