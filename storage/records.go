package storage

import (
	"encoding/json"
	"time"
)

// User is a person (or machine) with an account. Sign-in identifiers other
// than the username live in [Identifier] records that point back here.
type User struct {
	ID         string // "user_…", set by the caller
	ExternalID string // the app's own ID for this user; indexed, not unique
	Username   string // unique under CanonicalName when not empty
	FirstName  string
	LastName   string
	ImageURL   string

	// PublicMetadata is readable by the user and may go into session
	// tokens; PrivateMetadata is for the app's back end only;
	// UnsafeMetadata is writable by the user from the front end.
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	UnsafeMetadata  json.RawMessage

	// PasswordHash is a self-describing hash (PHC string or modular crypt
	// format, e.g. "$argon2id$v=19$m=…"): it names its own scheme and
	// parameters, so schemes can change without a schema change. Empty means
	// the user has no password.
	PasswordHash string

	PrimaryEmailID string // ID of the user's primary email Identifier, or ""
	PrimaryPhoneID string // ID of the user's primary phone Identifier, or ""

	Banned         bool
	LockedUntil    time.Time // sign-in refused before this instant; zero: not locked
	FailedAttempts int       // consecutive failed sign-in attempts
	MFARequired    bool      // per-user MFA policy set by an admin

	LastSignInAt time.Time
	LastActiveAt time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time

	// Version is the optimistic-concurrency counter. The adapter sets it to 1
	// on create and increments it on every write to the user;
	// [UserStore.UpdateUser] succeeds only when it matches the stored value.
	Version int64
}

// IdentifierKind names the kind of an [Identifier].
type IdentifierKind string

// The identifier kinds Latch uses. Plugins may add their own (e.g.
// "web3_wallet"); adapters store the kind as an opaque string.
const (
	KindEmailAddress IdentifierKind = "email_address"
	KindPhoneNumber  IdentifierKind = "phone_number"
)

// Identifier is an email address or phone number (or another kind of
// identifier) that belongs to a user. A user may have several of each kind.
//
// Uniqueness: among verified identifiers of one kind, Canonical is unique
// across all users, so a verified address signs in exactly one account.
// Unverified copies may coexist (an attacker cannot squat an address by
// adding it unverified), but one user cannot hold the same canonical value
// twice.
type Identifier struct {
	ID         string // "idn_…"
	UserID     string
	Kind       IdentifierKind
	Value      string // as the user typed it, shown back to them
	Canonical  string // derived by the adapter: Canonical(Kind, Value)
	VerifiedAt time.Time
	// VerifiedBy names the strategy that verified it ("email_code",
	// "email_link", "oauth_google", "admin", …).
	VerifiedBy string
	// SecondFactor says the user chose to receive second-factor codes here
	// (the mfa plugin's opt-in to codes by text message or email). Set by
	// [IdentifierStore.SetIdentifierSecondFactor]; UpdateIdentifier leaves
	// it alone.
	SecondFactor bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Verified reports whether the identifier has been verified.
func (i *Identifier) Verified() bool { return !i.VerifiedAt.IsZero() }

// ExternalAccount links a user to an identity at an outside provider (social
// OAuth, enterprise OIDC or SAML). (Issuer, Subject) is unique.
type ExternalAccount struct {
	ID           string // "eac_…"
	UserID       string
	Provider     string // strategy name: "oauth_google", "saml", "oidc", …
	Issuer       string // the provider's issuer / entity ID
	Subject      string // the provider's stable user ID
	EmailAddress string // as reported by the provider
	Username     string
	FirstName    string
	LastName     string
	ImageURL     string
	Scopes       []string
	// AccessToken and RefreshToken are the provider's tokens, encrypted by
	// the caller before they reach the store; never sent to a browser.
	AccessToken    []byte
	RefreshToken   []byte
	TokenExpiresAt time.Time
	PublicMetadata json.RawMessage
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Credential is a WebAuthn public-key credential: a passkey used as a first
// factor or a security key used as a second one. CredentialID is unique.
type Credential struct {
	ID              string // "cred_…"
	UserID          string
	Kind            string // "passkey" or "security_key"
	Name            string // chosen by the user
	CredentialID    []byte // the authenticator's credential ID
	PublicKey       []byte // COSE-encoded
	AttestationType string
	AAGUID          []byte
	SignCount       uint32
	Transports      []string
	UserVerified    bool
	BackupEligible  bool
	BackupState     bool
	LastUsedAt      time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TOTPSecret is a user's authenticator-app secret. A user has at most one.
type TOTPSecret struct {
	ID     string // "totp_…"
	UserID string // unique
	// Secret is the seed encrypted by the caller under the key named by
	// KeyID, so the encryption key can rotate.
	Secret     []byte
	KeyID      string
	VerifiedAt time.Time // zero until enrolment completed with a valid code
	// LastUsedStep is the last time step accepted, advanced only by
	// [FactorStore.AdvanceTOTPStep], so that no code is accepted twice.
	LastUsedStep int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// BackupCode is one single-use recovery code, stored hashed.
type BackupCode struct {
	ID        string // "bkc_…"
	UserID    string
	CodeHash  []byte // unique per user
	UsedAt    time.Time
	CreatedAt time.Time
}

// Client is one browser or device. It holds the sessions signed in on it
// (multi-session) and is identified by a cookie carrying a secret whose hash
// is stored here; the secret is replaced on every sign-in and sign-out.
type Client struct {
	ID              string // "client_…"
	SecretHash      []byte
	ActiveSessionID string // the session the client currently acts as, or ""
	LastActiveAt    time.Time
	ExpiresAt       time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Version         int64 // optimistic-concurrency counter, as for User
}

// Session statuses.
const (
	SessionActive  = "active"
	SessionEnded   = "ended"   // the user signed out
	SessionRevoked = "revoked" // ended by the user elsewhere, an admin or a ban
	SessionExpired = "expired" // reached ExpiresAt or the inactivity timeout
)

// Session is one signed-in account on one client.
type Session struct {
	ID       string // "sess_…"
	ClientID string
	UserID   string
	Status   string // one of the Session… constants
	// ActorID is the admin user acting as UserID (impersonation), or "".
	ActorID string
	// ActiveOrganizationID is the organization the session acts for, or "".
	ActiveOrganizationID string
	// ActiveTeamID is the team of the active organization the session acts
	// for, or "". It is "" whenever ActiveOrganizationID is.
	ActiveTeamID string

	IP         string
	UserAgent  string
	Browser    string // parsed from UserAgent, e.g. "Chrome 131"
	OS         string
	DeviceType string // "desktop", "mobile", "tablet", "bot", ""
	Location   string // city/country, when the app resolves it

	// FirstFactorAt and SecondFactorAt are when each factor was last
	// verified (the fva claim); SecondFactorAt is zero for one-factor
	// sessions. AMR lists the methods used (RFC 8176 values).
	FirstFactorAt  time.Time
	SecondFactorAt time.Time
	AMR            []string

	LastActiveAt time.Time
	ExpiresAt    time.Time // absolute end of the session
	EndedAt      time.Time // when Status left "active"
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64 // optimistic-concurrency counter, as for User
}

// Verification is any single-use secret: an email or SMS code, a magic
// link, a password-reset token, a sign-in ticket, an OAuth state, a WebAuthn
// challenge. Only a hash of the secret is stored.
type Verification struct {
	ID      string // "ver_…"
	Purpose string // e.g. "email_code", "email_link", "reset_password", "ticket", "oauth_state"
	// FlowID binds the verification to the sign-in or sign-up attempt (or
	// other flow) that requested it; "" when unbound.
	FlowID string
	UserID string // the user concerned, or ""
	// IdentifierID is the identifier being verified or signed in with, or "".
	IdentifierID string
	SecretHash   []byte
	Attempts     int // failed attempts so far
	MaxAttempts  int // 0 means unlimited
	Data         json.RawMessage
	ExpiresAt    time.Time
	ConsumedAt   time.Time
	CreatedAt    time.Time
}

// Flow is a sign-in or sign-up in progress (or another multi-step flow). It
// is stored so that it survives restarts and works across instances; the
// kernel's state machine keeps its state in Data.
type Flow struct {
	ID        string // "sia_…" (sign-in) or "sua_…" (sign-up)
	Kind      string // "sign_in", "sign_up", …
	ClientID  string
	UserID    string
	Status    string
	Data      json.RawMessage
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64 // optimistic-concurrency counter, as for User
}

// Signing key states, in the order a key passes through them. A "next" key
// is published in the JWKS before anything is signed with it; "previous" keys
// stay published until every token they signed has expired.
const (
	KeyNext     = "next"
	KeyCurrent  = "current"
	KeyPrevious = "previous"
	KeyRetired  = "retired"
)

// SigningKey is a key that signs session tokens.
type SigningKey struct {
	ID         string // the JWT "kid"
	Algorithm  string // "EdDSA", "ES256"
	State      string // one of the Key… constants
	PublicKey  []byte // DER (PKIX)
	PrivateKey []byte // encrypted by the caller under EncryptionKeyID
	// EncryptionKeyID names the key that encrypts PrivateKey.
	EncryptionKeyID string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	Version         int64 // optimistic-concurrency counter, as for User
}

// Organization is a tenant: a group of users with roles. Slug is unique
// under CanonicalName.
type Organization struct {
	ID              string // "org_…"
	Name            string
	Slug            string
	ImageURL        string
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	MaxMemberships  int // 0: unlimited
	// RoleSet is the key of the RoleSet whose roles members may hold; ""
	// for the application's default set.
	RoleSet string
	// RequireSecondFactor makes members sign in with a second factor.
	RequireSecondFactor bool
	// RestrictToDomains admits only users with a verified address at one
	// of the organization's verified domains.
	RestrictToDomains bool
	CreatedBy         string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           int64 // optimistic-concurrency counter, as for User
}

// Membership puts a user in an organization with a role. (OrganizationID,
// UserID) is unique.
type Membership struct {
	ID              string // "mem_…"
	OrganizationID  string
	UserID          string
	Role            string // a Role key, e.g. "org:admin"
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Invitation statuses.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationRevoked  = "revoked"
)

// Invitation asks someone, by email address, to join the application
// (OrganizationID "") or an organization.
type Invitation struct {
	ID             string // "inv_…"
	OrganizationID string
	EmailAddress   string
	Role           string
	Status         string // one of the Invitation… constants
	InviterID      string
	// VerificationID is the single-use token that accepts the invitation.
	VerificationID string
	PublicMetadata json.RawMessage
	ExpiresAt      time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Domain is an email domain an organization owns: users with verified
// addresses there may join automatically or be suggested the organization,
// and an SSO connection may only assert users of verified domains. Name is
// unique under CanonicalName among verified domains.
type Domain struct {
	ID             string // "dom_…"
	OrganizationID string
	Name           string
	EnrollmentMode string // "manual_invitation", "automatic_invitation", "automatic_suggestion"
	// IncludeSubdomains extends the domain to addresses at its subdomains.
	IncludeSubdomains bool
	// AffiliationEmail is the address at the domain an affiliation code was
	// sent to, while the domain awaits verification.
	AffiliationEmail string
	VerifiedAt       time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Role is a named set of permissions within organizations. Key is unique.
type Role struct {
	ID          string // "role_…"
	Key         string // e.g. "org:admin"
	Name        string // e.g. "Admin"
	Description string
	Permissions []string // permission keys, e.g. "org:invoices:read"
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RoleSet is the roles an organization may assign. Editing a set changes
// every organization that uses it. Key is unique.
type RoleSet struct {
	ID          string // "rs_…"
	Key         string // e.g. "default"
	Name        string
	Description string
	Roles       []string // role keys members may hold
	DefaultRole string   // the role of a member added without one (in Roles)
	CreatorRole string   // the role of the organization's creator (in Roles)
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Permission describes one permission key (e.g. "org:invoices:read") for
// the administration surfaces; roles hold keys, not these records. Key is
// unique.
type Permission struct {
	ID          string // "perm_…"
	Key         string
	Name        string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Membership request statuses.
const (
	MembershipRequestPending  = "pending"
	MembershipRequestAccepted = "accepted"
	MembershipRequestRejected = "rejected"
)

// MembershipRequest is a user asking to join an organization they were
// suggested through a verified domain.
type MembershipRequest struct {
	ID             string // "orgreq_…"
	OrganizationID string
	UserID         string
	// EmailAddress is the user's verified address at the domain that made
	// the suggestion.
	EmailAddress string
	Status       string // one of the MembershipRequest… constants
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Team is a named group of members inside an organization. Name is unique
// within the organization under CanonicalName.
type Team struct {
	ID             string // "team_…"
	OrganizationID string
	Name           string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TeamMember puts a member of a team's organization in the team.
// (TeamID, UserID) is unique.
type TeamMember struct {
	TeamID    string
	UserID    string
	CreatedAt time.Time
}

// Plan is something a user or organization can subscribe to. Key is unique.
type Plan struct {
	ID             string // "plan_…"
	Key            string // e.g. "pro"; the pla claim
	Name           string
	PayerType      string   // "user" or "organization"
	Features       []string // feature keys; the fea claim
	Amount         int64    // in the currency's minor unit
	Currency       string
	Interval       string // "month", "year", ""
	PublicMetadata json.RawMessage
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Subscription puts a payer (a user or an organization) on a plan.
type Subscription struct {
	ID               string // "sub_…"
	PayerID          string // a user or organization ID
	PlanID           string
	Status           string // "active", "past_due", "canceled", …
	ExternalID       string // the payment processor's ID
	CurrentPeriodEnd time.Time
	CanceledAt       time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Event is a change of state, appended in the same transaction as the change
// (an outbox) and dispatched after commit to in-process subscribers and
// webhooks. IDs are time-sortable, so ID order is append order within one
// process and close to it across processes.
type Event struct {
	ID   string // "evt_…"
	Type string // e.g. "user.created"
	// Seq is the event's position in the outbox, set by AppendEvent:
	// positions increase in commit order, which durable consumers read in.
	Seq          int64
	Data         json.RawMessage
	CreatedAt    time.Time
	DispatchedAt time.Time // zero until a dispatcher claimed it
}

// Consumer is a durable reader of the outbox: its cursor, and the lease of
// the instance delivering its events.
type Consumer struct {
	Name string
	// Cursor is the Seq of the last event the consumer handled (or, for a
	// new consumer, the newest event when it was created).
	Cursor int64
	// LeaseOwner is the instance holding the lease, "" when none does.
	LeaseOwner string
	LeaseUntil time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// AuditEvent records something that happened, including attempts that
// changed nothing (a failed sign-in). It never holds secrets.
type AuditEvent struct {
	ID             string // "aud_…"
	Type           string // e.g. "sign_in.failed"
	Outcome        string // "success", "failure", …
	ActorID        string // who did it: a user, an admin, "" for the system
	UserID         string // whom it concerns
	OrganizationID string
	SessionID      string
	IP             string
	UserAgent      string
	Data           json.RawMessage
	CreatedAt      time.Time
}
