package components

import (
	"strings"

	"github.com/a-h/templ"
)

// The view models of the organization components: OrganizationSwitcher,
// OrganizationProfile, CreateOrganization and OrganizationList.
//
// As everywhere in this package, each change is its own small
// <form method="post"> posting the props' Hidden fields (the CSRF token)
// plus the fields named below to an action URL the props carry; an empty
// URL hides the control that would use it. The components never decide
// who may do what: the Can* booleans say which sections and controls the
// viewer gets, and the handlers behind the URLs check again.
//
// Field names follow the JSON API's form fields, so one handler can serve
// both. Errors are keyed by the input's name (FieldError.Field), except
// where the names of two forms on one page would meet: those keys are the
// OrgErr* constants and the per-row keys documented on each action.

// Form field names the organization components post.
const (
	// OrgFieldName is the organization's name (create and update forms).
	OrgFieldName = "name"
	// OrgFieldSlug is the organization's slug (create and update forms).
	OrgFieldSlug = "slug"
	// OrgFieldImageURL is the URL of the organization's logo (create and
	// update forms).
	OrgFieldImageURL = "image_url"
	// OrgFieldOrganizationID names an organization: the one to make
	// active (OrganizationSwitcher, OrganizationList; "" means the
	// personal account) and, on every form of OrganizationProfile and on
	// the invite step of CreateOrganization, the organization acted on.
	OrgFieldOrganizationID = "organization_id"
	// OrgFieldEmailAddress is one or more email addresses to invite,
	// separated by commas, spaces or new lines (a <textarea>). Handlers
	// split it; the JSON API takes the field repeated, once per address.
	OrgFieldEmailAddress = "email_address"
	// OrgFieldRole is a role key such as "org:admin" (invitations and
	// role changes).
	OrgFieldRole = "role"
	// OrgFieldUserID names a member (role change, removal).
	OrgFieldUserID = "user_id"
	// OrgFieldInvitationID names an invitation (revoke, accept).
	OrgFieldInvitationID = "invitation_id"
	// OrgFieldRequestID names a membership request (accept, reject).
	OrgFieldRequestID = "request_id"
	// OrgFieldSuggestionID names a suggestion the user asks to join from.
	OrgFieldSuggestionID = "suggestion_id"
	// OrgFieldDomainID names a domain (verification, enrollment mode,
	// removal).
	OrgFieldDomainID = "domain_id"
	// OrgFieldDomainName is the domain to add, such as "example.com".
	// Its errors use the key OrgErrDomainName, since OrgFieldName is
	// also the organization's name on the same page.
	OrgFieldDomainName = "name"
	// OrgFieldIncludeSubdomains is "true" when the new domain should
	// cover its subdomains (a checkbox; absent means false).
	OrgFieldIncludeSubdomains = "include_subdomains"
	// OrgFieldAffiliationEmail is the address at a domain to which the
	// affiliation code is sent.
	OrgFieldAffiliationEmail = "affiliation_email_address"
	// OrgFieldCode is the affiliation code received at that address.
	OrgFieldCode = "code"
	// OrgFieldEnrollmentMode is one of the OrgEnrollment* constants.
	OrgFieldEnrollmentMode = "enrollment_mode"
)

// Error keys of organization forms whose input names would collide on
// one page; see also the per-row keys on OrganizationProfileProps.
const (
	// OrgErrDomainName is the Errors key of the add-domain form's input.
	OrgErrDomainName = "domain:name"
)

// Enrollment modes of a verified domain, the values of
// OrgDomain.EnrollmentMode and of the OrgFieldEnrollmentMode field.
const (
	// OrgEnrollmentManual: nothing happens automatically; admins invite.
	OrgEnrollmentManual = "manual_invitation"
	// OrgEnrollmentAutoInvitation: users with a verified address at the
	// domain are invited automatically.
	OrgEnrollmentAutoInvitation = "automatic_invitation"
	// OrgEnrollmentAutoSuggestion: such users are suggested the
	// organization and may ask to join.
	OrgEnrollmentAutoSuggestion = "automatic_suggestion"
)

// OrgEnrollmentModes lists the enrollment modes in the order the select
// offers them, the default of OrganizationProfileProps.EnrollmentModes.
func OrgEnrollmentModes() []string {
	return []string{OrgEnrollmentManual, OrgEnrollmentAutoInvitation, OrgEnrollmentAutoSuggestion}
}

// OrgSummary is an organization as the components show it: its logo (or
// initials) and name.
type OrgSummary struct {
	ID   string
	Name string
	Slug string
	// ImageURL is the logo; empty shows the name's initials.
	ImageURL string
	// RoleName is the viewer's role in it for display, such as "Admin";
	// empty shows nothing.
	RoleName string
	// MembersCount is shown when above zero.
	MembersCount int
}

// OrgRole is one role a member may be given, as offered by a role select.
type OrgRole struct {
	// Key is what the forms post as OrgFieldRole, e.g. "org:admin".
	Key string
	// Name is the label, e.g. "Admin"; empty shows Key.
	Name string
}

// OrganizationSwitcherProps is the view model of OrganizationSwitcher, a
// <details> menu (so it works without JavaScript) that shows what the
// session acts for and switches it. It fits in UserButtonProps.Items as a
// MenuEntry's Component, or anywhere in an application's header.
//
// Switching posts Hidden plus OrgFieldOrganizationID ("organization_id",
// "" for the personal account) to SetActiveAction; the handler sets the
// session's active organization, checking the membership, and redirects
// back (put a "redirect_url" in Hidden to say where). Inside the user
// menu, leave Appearance empty: the menu's frame already carries it.
type OrganizationSwitcherProps struct {
	// Active is the organization the session acts for; nil means the
	// personal account.
	Active *OrgSummary
	// Organizations are the user's other organizations (not Active), each
	// shown as a button that makes it active.
	Organizations []OrgSummary
	// User is the personal account, shown as the trigger when Active is
	// nil and as the "Personal account" entry otherwise.
	User UserSummary
	// HidePersonal leaves the personal account out of the menu, for
	// applications where every session acts for an organization.
	HidePersonal bool
	// SetActiveAction receives "organization_id"; empty hides switching.
	SetActiveAction string
	// ManageURL links to the active organization's profile
	// (OrganizationProfile); empty, or Active nil, hides the link.
	ManageURL string
	// CreateURL links to CreateOrganization; empty hides the link.
	CreateURL string
	// ListURL links to OrganizationList (invitations and suggestions);
	// empty hides the link.
	ListURL string
	// PendingCount is the number of invitations and suggestions waiting,
	// shown beside the ListURL link when above zero.
	PendingCount int
	Hidden       map[string]string
	Locale       Locale
	Appearance   Appearance
}

// OrgMember is one member on OrganizationProfile.
type OrgMember struct {
	// UserID is what the member forms post as OrgFieldUserID.
	UserID   string
	Name     string
	Email    string
	ImageURL string
	// Role is the member's role key; the role select preselects it.
	Role string
	// RoleName is its label; empty looks Role up in Roles.
	RoleName string
	// JoinedAt is the join date, formatted for display; empty hides it.
	JoinedAt string
	// You marks the viewer's own membership: it gets no remove button
	// (the viewer leaves instead) and a "You" badge.
	You bool
	// Locked keeps the role select and the remove button off this row,
	// as for the last member holding the creator role.
	Locked bool
}

// OrgInvitation is one pending invitation on OrganizationProfile.
type OrgInvitation struct {
	// ID is what the revoke form posts as OrgFieldInvitationID.
	ID           string
	EmailAddress string
	Role         string
	// RoleName is the role's label; empty looks Role up in Roles.
	RoleName string
	// CreatedAt and ExpiresAt are formatted for display; empty hides them.
	CreatedAt string
	ExpiresAt string
}

// OrgMembershipRequest is a user asking to join, on OrganizationProfile.
type OrgMembershipRequest struct {
	// ID is what the accept and reject forms post as OrgFieldRequestID.
	ID       string
	UserID   string
	Name     string
	Email    string
	ImageURL string
	// CreatedAt is formatted for display; empty hides it.
	CreatedAt string
}

// OrgDomain is one domain of the organization on OrganizationProfile.
type OrgDomain struct {
	// ID is what the domain forms post as OrgFieldDomainID.
	ID   string
	Name string
	// EnrollmentMode is one of the OrgEnrollment* constants.
	EnrollmentMode    string
	IncludeSubdomains bool
	Verified          bool
	// AffiliationEmail is the address a code was sent to while the domain
	// awaits verification; "" asks for one.
	AffiliationEmail string
}

// OrganizationProfileProps is the view model of OrganizationProfile, the
// page that manages one organization: general settings, members,
// invitations, membership requests, verified domains, leave and delete.
//
// Every form posts Hidden, OrgFieldOrganizationID ("organization_id",
// from Organization.ID; do not also put it in Hidden) and its own fields:
//
//	UpdateAction            name, slug, image_url
//	DeleteAction            (nothing more)
//	LeaveAction             (nothing more)
//	UpdateRoleAction        user_id, role
//	RemoveMemberAction      user_id
//	InviteAction            email_address (one or more), role
//	RevokeInvitationAction  invitation_id
//	AcceptRequestAction     request_id
//	RejectRequestAction     request_id
//	AddDomainAction         name (the domain), include_subdomains
//	PrepareDomainAction     domain_id, affiliation_email_address
//	VerifyDomainAction      domain_id, code
//	DomainEnrollmentAction  domain_id, enrollment_mode
//	RemoveDomainAction      domain_id
//
// Errors: the update form's fields use their names ("name", "slug",
// "image_url"); the invite form's "email_address" and "role"; the
// add-domain input OrgErrDomainName; per-row messages use the field name,
// a colon and the row's ID: "role:" + UserID,
// "affiliation_email_address:" + domain ID, "code:" + domain ID. Other
// messages go in the summary at the top.
type OrganizationProfileProps struct {
	// Organization is the organization managed, with its current values.
	Organization OrgSummary

	// CanManageProfile (org:sys_profile:manage) makes name, slug and
	// logo editable; otherwise they are shown.
	CanManageProfile bool
	// CanDelete (org:sys_profile:delete) shows the delete control.
	CanDelete bool
	// CanReadMembers (org:sys_memberships:read) shows the members.
	CanReadMembers bool
	// CanManageMembers (org:sys_memberships:manage) shows the role
	// selects, remove buttons, invitations and membership requests.
	CanManageMembers bool
	// CanReadDomains (org:sys_domains:read) shows the domains.
	CanReadDomains bool
	// CanManageDomains (org:sys_domains:manage) shows adding, verifying,
	// enrollment modes and removing domains.
	CanManageDomains bool
	// CanLeave shows the leave control (false for the last member holding
	// the creator role, say).
	CanLeave bool

	UpdateAction string
	DeleteAction string
	LeaveAction  string

	Members []OrgMember
	// MembersNextURL links to the next page of members; empty hides it.
	MembersNextURL     string
	UpdateRoleAction   string
	RemoveMemberAction string
	// Roles are the roles members may be given (the organization's role
	// set), in the order the selects offer them.
	Roles []OrgRole
	// DefaultRole is the invite form's preselected role key.
	DefaultRole string

	Invitations            []OrgInvitation
	InviteAction           string
	RevokeInvitationAction string

	Requests            []OrgMembershipRequest
	AcceptRequestAction string
	RejectRequestAction string

	Domains []OrgDomain
	// EnrollmentModes are the modes the select offers; nil means
	// OrgEnrollmentModes().
	EnrollmentModes []string
	// AllowSubdomains shows the include_subdomains checkbox when adding.
	AllowSubdomains        bool
	AddDomainAction        string
	PrepareDomainAction    string
	VerifyDomainAction     string
	DomainEnrollmentAction string
	RemoveDomainAction     string

	// BackURL links back to the application; empty hides the link.
	BackURL string
	// Extra sections a plugin or the application renders (teams,
	// billing, …), placed before leave and delete.
	Extra []templ.Component

	// Notice is a success message shown with role="status".
	Notice     string
	Errors     Errors
	Hidden     map[string]string
	Locale     Locale
	Appearance Appearance
}

// Steps of CreateOrganization, the values of CreateOrganizationProps.Step.
const (
	// OrgStepCreate asks for name, slug and logo.
	OrgStepCreate = "create"
	// OrgStepInvite, once the organization exists, invites members.
	OrgStepInvite = "invite"
)

// CreateOrganizationProps is the view model of CreateOrganization, a card
// in two steps.
//
// OrgStepCreate (the default) posts Hidden plus "name", "slug" and
// "image_url" to Action; the handler creates the organization (deriving
// the slug from the name when it is empty), makes it active, and shows
// OrgStepInvite, or redirects when InviteAction would be empty.
//
// OrgStepInvite posts Hidden plus "organization_id" (Organization.ID),
// "email_address" (one or more addresses) and "role" to InviteAction;
// DoneURL ("Skip" before anyone is invited, "Done" after) goes on.
//
// Errors use the input names: "name", "slug", "image_url",
// "email_address", "role".
type CreateOrganizationProps struct {
	// Step is OrgStepCreate (default) or OrgStepInvite.
	Step string
	// Action receives the create step's form.
	Action string
	// Values redisplays what the user typed on the create step (keys
	// "name", "slug", "image_url"), and on the invite step the addresses
	// (key "email_address") and role ("role").
	Values map[string]string
	// SlugRequired makes the slug required instead of derived.
	SlugRequired bool
	// SlugPrefix is shown before the slug input, such as
	// "acme.example/orgs/"; empty shows nothing.
	SlugPrefix string

	// Organization is the organization created, on OrgStepInvite.
	Organization OrgSummary
	InviteAction string
	// Roles and DefaultRole fill the invite step's role select.
	Roles       []OrgRole
	DefaultRole string
	// Invited are the addresses invited so far on OrgStepInvite.
	Invited []string
	// DoneURL leaves the invite step.
	DoneURL string
	// CancelURL leaves the create step; empty hides the link.
	CancelURL string

	Notice     string
	Errors     Errors
	Hidden     map[string]string
	Branding   Branding
	Locale     Locale
	Appearance Appearance
}

// OrgListMembership is one of the user's organizations on
// OrganizationList.
type OrgListMembership struct {
	Organization OrgSummary
	// Active marks the organization the session acts for.
	Active bool
	// ManageURL links to its profile; empty hides the link.
	ManageURL string
}

// OrgListInvitation is an invitation to the user on OrganizationList.
type OrgListInvitation struct {
	// ID is what the accept form posts as OrgFieldInvitationID.
	ID           string
	Organization OrgSummary
	// EmailAddress is the user's address the invitation was sent to.
	EmailAddress string
	// RoleName is the offered role's label; empty hides it.
	RoleName string
}

// OrgListSuggestion is an organization suggested to the user through a
// verified domain, on OrganizationList.
type OrgListSuggestion struct {
	// ID is what the request form posts as OrgFieldSuggestionID.
	ID           string
	Organization OrgSummary
	// Requested says the user already asked to join: the row shows
	// "Requested" and no button.
	Requested bool
}

// OrganizationListProps is the view model of OrganizationList, the page
// of the user's organizations, invitations and suggestions.
//
//	SetActiveAction          organization_id ("" for the personal account)
//	AcceptInvitationAction   invitation_id
//	RequestToJoinAction      suggestion_id
//
// Each also posts Hidden (put a "redirect_url" there to say where to go
// after making an organization active).
type OrganizationListProps struct {
	Memberships []OrgListMembership
	// Personal shows the personal account as the first entry;
	// PersonalActive marks it as what the session acts for.
	Personal        bool
	PersonalActive  bool
	User            UserSummary
	SetActiveAction string

	Invitations            []OrgListInvitation
	AcceptInvitationAction string

	Suggestions         []OrgListSuggestion
	RequestToJoinAction string

	// CreateURL links to CreateOrganization; empty hides the link.
	CreateURL string

	Notice     string
	Errors     Errors
	Hidden     map[string]string
	Branding   Branding
	Locale     Locale
	Appearance Appearance
}

// orgOption is one <option> of a select.
type orgOption struct {
	Value string
	Label string
}

// roleOptions are the options of a role select.
func roleOptions(roles []OrgRole) []orgOption {
	out := make([]orgOption, len(roles))
	for i, r := range roles {
		out[i] = orgOption{r.Key, roleLabel(r)}
	}
	return out
}

func roleLabel(r OrgRole) string {
	if r.Name != "" {
		return r.Name
	}
	return r.Key
}

// roleName is the label of the role key: name when given, else the role's
// name in roles, else the key.
func roleName(roles []OrgRole, key, name string) string {
	if name != "" {
		return name
	}
	for _, r := range roles {
		if r.Key == key {
			return roleLabel(r)
		}
	}
	return key
}

// enrollmentOptions are the options of an enrollment mode select.
func enrollmentOptions(l Locale, modes []string) []orgOption {
	if modes == nil {
		modes = OrgEnrollmentModes()
	}
	out := make([]orgOption, len(modes))
	for i, m := range modes {
		out[i] = orgOption{m, T(l, "org.enrollment."+m)}
	}
	return out
}

// orgMeta is "role · n members", or whichever is known.
func orgMeta(l Locale, o OrgSummary) string {
	var parts []string
	if o.RoleName != "" {
		parts = append(parts, o.RoleName)
	}
	switch {
	case o.MembersCount == 1:
		parts = append(parts, T(l, "org.members_count_one"))
	case o.MembersCount > 1:
		parts = append(parts, T(l, "org.members_count", o.MembersCount))
	}
	return strings.Join(parts, " · ")
}

// memberName is the name to show for a member, falling back to the email.
func memberName(name, email string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return email
}

// invitationMeta is "role · sent … · expires …".
func invitationMeta(l Locale, roles []OrgRole, inv OrgInvitation) string {
	var parts []string
	if r := roleName(roles, inv.Role, inv.RoleName); r != "" {
		parts = append(parts, r)
	}
	if inv.CreatedAt != "" {
		parts = append(parts, T(l, "org.invitations.sent", inv.CreatedAt))
	}
	if inv.ExpiresAt != "" {
		parts = append(parts, T(l, "org.invitations.expires", inv.ExpiresAt))
	}
	return strings.Join(parts, " · ")
}

// listInvitationMeta says as what and to which address the user was
// invited.
func listInvitationMeta(l Locale, inv OrgListInvitation) string {
	var parts []string
	if inv.RoleName != "" {
		parts = append(parts, T(l, "org.list.invited_as", inv.RoleName))
	}
	if inv.EmailAddress != "" {
		parts = append(parts, inv.EmailAddress)
	}
	return strings.Join(parts, " · ")
}

// slugAttrs are the slug input's attributes: no capitals or spell checks.
func slugAttrs() templ.Attributes {
	return templ.Attributes{"autocapitalize": "none", "spellcheck": "false"}
}

// domainAttrs are the domain input's attributes.
func domainAttrs() templ.Attributes {
	return templ.Attributes{"autocapitalize": "none", "spellcheck": "false", "inputmode": "url", "placeholder": "example.com"}
}

// createRole is the role the invite step preselects: the one typed, else
// the default.
func createRole(p CreateOrganizationProps) string {
	if r := p.Values[OrgFieldRole]; r != "" {
		return r
	}
	return p.DefaultRole
}

// slugOptional marks the slug optional unless it is required.
func slugOptional(p CreateOrganizationProps) string {
	if p.SlugRequired {
		return ""
	}
	return T(p.Locale, "common.optional")
}

// slugPrefix shows what comes before the slug, or nothing.
func slugPrefix(prefix string) templ.Component {
	if prefix == "" {
		return nil
	}
	return orgSlugPrefix(prefix)
}

// orgCancelFooter is the create card's footer: a cancel link, or none.
func orgCancelFooter(l Locale, url string) templ.Component {
	if url == "" {
		return nil
	}
	return orgCancel(l, url)
}
