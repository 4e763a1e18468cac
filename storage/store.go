package storage

import (
	"context"
	"time"
)

// Store is what a storage adapter implements: the operations the kernel and
// its shipped plugins call, plus transactions. Operations only some plugins
// need are capabilities (see [OrganizationStore] and its neighbours), which
// an adapter implements beside Store and a plugin asserts when it
// registers.
type Store interface {
	Querier

	// InTx runs fn inside one transaction and commits it when fn returns
	// nil; when fn returns an error (or panics) nothing fn wrote is kept and
	// InTx returns fn's error unchanged (or re-panics). q is valid only
	// until fn returns and must not be used from other goroutines. Nested
	// transactions are not supported: fn must use q, not the Store.
	//
	// Conditional operations keep their guarantees inside a transaction; an
	// adapter may serialize transactions, so fn should do no slow I/O.
	InTx(ctx context.Context, fn func(q Querier) error) error
}

// Querier is the core operations; a [Store] implements it directly
// (each call its own transaction) and hands one to [Store.InTx] callbacks.
type Querier interface {
	UserStore
	IdentifierStore
	ExternalAccountStore
	CredentialStore
	FactorStore
	ClientStore
	SessionStore
	VerificationStore
	FlowStore
	SigningKeyStore
	InvitationStore
	EventStore
	ConsumerStore
	AuditStore
}

// Page asks for one page of a list in keyset order. Lists are ordered by ID,
// which the kernel makes time-sortable, so ID order is creation order.
type Page struct {
	// After is the cursor returned with the previous page; "" for the
	// first page. A cursor stays valid when records are inserted or deleted:
	// no record is returned twice and no record that existed throughout is
	// skipped.
	After string
	// Limit is the page size: 0 means DefaultLimit, and values above
	// MaxLimit are lowered to it.
	Limit int
	// Desc lists newest first.
	Desc bool
}

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Size returns the effective page size for p.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// UserFilter narrows ListUsers. Set fields combine with AND; the zero value
// lists every user.
type UserFilter struct {
	EmailAddress string // users holding this address (canonical match, verified or not)
	PhoneNumber  string // users holding this number (canonical match, verified or not)
	Username     string // canonical match
	ExternalID   string // exact match
	// Query matches, case-insensitively, a substring of the ID, username,
	// first or last name, external ID, or the canonical value of any of the
	// user's identifiers.
	Query string
}

// UserStore holds users.
type UserStore interface {
	// CreateUser stores u with Version 1 (and sets u.Version). ErrConflict
	// when the ID or the canonical username is taken.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns the user with that ID, or ErrNotFound.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByUsername matches CanonicalName(username); ErrNotFound if none.
	GetUserByUsername(ctx context.Context, username string) (*User, error)
	// GetUserByIdentifier returns the user holding the verified identifier
	// of that kind whose canonical form matches value; ErrNotFound if no
	// verified identifier matches. It is one indexed lookup.
	GetUserByIdentifier(ctx context.Context, kind IdentifierKind, value string) (*User, error)
	// UpdateUser replaces every field of the stored user with u's when the
	// stored Version equals u.Version, then increments the Version (and
	// u.Version). ErrStale when the versions differ, ErrNotFound when there
	// is no such user, ErrConflict when the new username is taken.
	UpdateUser(ctx context.Context, u *User) error
	// RecordFailedSignIn atomically increments FailedAttempts (and the
	// Version), sets LockedUntil to lockUntil when it is later than the
	// stored value, and returns the new count. ErrNotFound if no such user.
	RecordFailedSignIn(ctx context.Context, id string, lockUntil time.Time) (int, error)
	// DeleteUser removes the user and everything that belongs to it:
	// identifiers, external accounts, credentials, TOTP secret, backup
	// codes, sessions and memberships. ErrNotFound if no such user.
	DeleteUser(ctx context.Context, id string) error
	// ListUsers returns one page of users matching f and the cursor of the
	// next page ("" when this is the last).
	ListUsers(ctx context.Context, f UserFilter, p Page) ([]*User, string, error)
}

// IdentifierStore holds email addresses, phone numbers and other identifiers.
type IdentifierStore interface {
	// CreateIdentifier stores i (SecondFactor included), computing
	// i.Canonical. ErrConflict when the ID is taken, when the user already
	// holds the same canonical value of that kind, or when i is verified
	// and another verified identifier of that kind has the same canonical
	// value. ErrNotFound when the user does not exist.
	CreateIdentifier(ctx context.Context, i *Identifier) error
	// GetIdentifier returns the identifier with that ID, or ErrNotFound.
	GetIdentifier(ctx context.Context, id string) (*Identifier, error)
	// FindIdentifier returns the verified identifier of that kind whose
	// canonical form matches value, or ErrNotFound.
	FindIdentifier(ctx context.Context, kind IdentifierKind, value string) (*Identifier, error)
	// ListIdentifiers returns all of a user's identifiers, oldest first.
	ListIdentifiers(ctx context.Context, userID string) ([]*Identifier, error)
	// UpdateIdentifier replaces Value, VerifiedAt, VerifiedBy and UpdatedAt
	// (recomputing Canonical), and leaves SecondFactor as it is. ErrConflict under the rules of
	// CreateIdentifier (this is how verifying an address that someone else
	// verified first fails); ErrNotFound if no such identifier.
	UpdateIdentifier(ctx context.Context, i *Identifier) error
	// DeleteIdentifier removes it. ErrNotFound if no such identifier. The
	// caller clears the user's primary pointer if it pointed here.
	DeleteIdentifier(ctx context.Context, id string) error
	// SetIdentifierSecondFactor sets SecondFactor to on and UpdatedAt to
	// at, and changes nothing else. ErrNotFound if no such identifier.
	SetIdentifierSecondFactor(ctx context.Context, id string, on bool, at time.Time) error
}

// ExternalAccountStore holds links to outside identity providers.
type ExternalAccountStore interface {
	// CreateExternalAccount stores a. ErrConflict when (Issuer, Subject) is
	// already linked or the ID is taken.
	CreateExternalAccount(ctx context.Context, a *ExternalAccount) error
	// FindExternalAccount returns the account for (issuer, subject), exact
	// match, or ErrNotFound.
	FindExternalAccount(ctx context.Context, issuer, subject string) (*ExternalAccount, error)
}

// CredentialStore holds WebAuthn credentials.
type CredentialStore interface {
	// CreateCredential stores c. ErrConflict when its CredentialID (or ID)
	// is already registered, by anyone.
	CreateCredential(ctx context.Context, c *Credential) error
	// GetCredential returns the credential with that ID, or ErrNotFound.
	GetCredential(ctx context.Context, id string) (*Credential, error)
	// FindCredential returns the credential with that authenticator
	// credential ID, or ErrNotFound.
	FindCredential(ctx context.Context, credentialID []byte) (*Credential, error)
	// ListCredentials returns a user's credentials, oldest first.
	ListCredentials(ctx context.Context, userID string) ([]*Credential, error)
	// RenameCredential sets Name and UpdatedAt, and nothing else: the
	// counter and use times change only through RecordCredentialUse, so a
	// rename racing an assertion cannot set the counter back. ErrNotFound
	// if no such credential.
	RenameCredential(ctx context.Context, id, name string, at time.Time) error
	// RecordCredentialUse records an assertion: it sets SignCount to
	// signCount, BackupState to backupState, and LastUsedAt and UpdatedAt
	// to at, only when signCount is greater than the stored SignCount or
	// both are 0 (an authenticator without a counter). Of concurrent
	// callers with the same non-zero signCount exactly one succeeds.
	// ErrConsumed when the counter did not move forward (a replayed or
	// cloned authenticator's count), ErrNotFound when there is no such
	// credential.
	RecordCredentialUse(ctx context.Context, id string, signCount uint32, backupState bool, at time.Time) error
	// DeleteCredential removes it. ErrNotFound if no such credential.
	DeleteCredential(ctx context.Context, id string) error
}

// FactorStore holds second factors that are not WebAuthn credentials: the
// TOTP secret and backup codes.
type FactorStore interface {
	// PutTOTPSecret stores s as the user's TOTP secret, replacing any
	// previous one. ErrNotFound when the user does not exist.
	PutTOTPSecret(ctx context.Context, s *TOTPSecret) error
	// GetTOTPSecret returns the user's TOTP secret, or ErrNotFound.
	GetTOTPSecret(ctx context.Context, userID string) (*TOTPSecret, error)
	// VerifyTOTPSecret sets VerifiedAt (enrolment complete) and
	// LastUsedStep to step, conditionally as AdvanceTOTPStep does.
	VerifyTOTPSecret(ctx context.Context, userID string, step int64, at time.Time) error
	// AdvanceTOTPStep sets LastUsedStep to step only when step is greater
	// than the stored LastUsedStep: of concurrent callers with the same
	// step exactly one succeeds. ErrConsumed when the step was already used
	// (or an equal or later one was), ErrNotFound when there is no secret.
	AdvanceTOTPStep(ctx context.Context, userID string, step int64, at time.Time) error
	// DeleteTOTPSecret removes it. ErrNotFound when there is none.
	DeleteTOTPSecret(ctx context.Context, userID string) error

	// ReplaceBackupCodes atomically deletes the user's backup codes and
	// stores codes (all for that user). ErrNotFound if the user does not
	// exist.
	ReplaceBackupCodes(ctx context.Context, userID string, codes []*BackupCode) error
	// ListBackupCodes returns the user's codes, used or not.
	ListBackupCodes(ctx context.Context, userID string) ([]*BackupCode, error)
	// ConsumeBackupCode marks the user's unused code with that hash used.
	// Of concurrent callers exactly one succeeds; the others get
	// ErrConsumed. ErrNotFound when the user has no code with that hash.
	ConsumeBackupCode(ctx context.Context, userID string, codeHash []byte, at time.Time) error
}

// ClientStore holds clients (browsers and devices).
type ClientStore interface {
	// CreateClient stores c with Version 1. ErrConflict if the ID is taken.
	CreateClient(ctx context.Context, c *Client) error
	// GetClient returns the client with that ID, or ErrNotFound.
	GetClient(ctx context.Context, id string) (*Client, error)
	// GetClientSession returns a client and one of its sessions in one
	// read: the session with ID sessionID, or the client's active session
	// when sessionID is "". ErrNotFound when the client does not exist, or
	// the session does not exist or belongs to another client. It is the
	// one read of a session-token refresh, so it must be one indexed
	// lookup.
	GetClientSession(ctx context.Context, clientID, sessionID string) (*Client, *Session, error)
	// UpdateClient replaces every field when the versions match, as
	// UpdateUser does. ErrStale, ErrNotFound.
	UpdateClient(ctx context.Context, c *Client) error
}

// SessionFilter narrows ListSessions and RevokeSessions. Set fields combine
// with AND.
type SessionFilter struct {
	UserID   string
	ClientID string
	Status   string // "" for any status
	// ExceptID leaves one session out ("sign out everywhere else").
	ExceptID string
}

// SessionStore holds sessions.
type SessionStore interface {
	// CreateSession stores s with Version 1. ErrConflict if the ID is taken;
	// ErrNotFound if its client or user does not exist.
	CreateSession(ctx context.Context, s *Session) error
	// GetSession returns the session with that ID, or ErrNotFound.
	GetSession(ctx context.Context, id string) (*Session, error)
	// UpdateSession replaces every field when the versions match, as
	// UpdateUser does. ErrStale, ErrNotFound.
	UpdateSession(ctx context.Context, s *Session) error
	// TouchSession sets LastActiveAt to at when at is later and the session
	// is active, without a version check and without changing the Version:
	// it is the one write of a token refresh. ErrNotFound when no active
	// session has that ID.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// ListSessions returns one page of sessions matching f.
	ListSessions(ctx context.Context, f SessionFilter, p Page) ([]*Session, string, error)
	// EndSessions sets Status to status, EndedAt and UpdatedAt to at, and
	// increments the Version, for every active session matching f, and
	// returns the IDs of the sessions it ended. f must set UserID or
	// ClientID (or both); an empty filter ends nothing.
	EndSessions(ctx context.Context, f SessionFilter, status string, at time.Time) ([]string, error)
}

// VerificationFilter selects verifications for RevokeVerifications. Set
// fields combine with AND; at least one must be set.
type VerificationFilter struct {
	UserID  string
	Purpose string
	FlowID  string
}

// VerificationStore holds single-use secrets.
type VerificationStore interface {
	// CreateVerification stores v. ErrConflict if the ID is taken.
	CreateVerification(ctx context.Context, v *Verification) error
	// GetVerification returns the verification with that ID, consumed or
	// not, or ErrNotFound.
	GetVerification(ctx context.Context, id string) (*Verification, error)
	// RecordVerificationAttempt counts one attempt at a live verification
	// (not consumed, ExpiresAt after at, Attempts below MaxAttempts when
	// MaxAttempts > 0) and returns it as updated. ErrConsumed when it is not
	// live; ErrNotFound if no such verification. Callers count an attempt
	// before comparing the secret, so that concurrent guesses cannot exceed
	// MaxAttempts.
	RecordVerificationAttempt(ctx context.Context, id string, at time.Time) (*Verification, error)
	// ConsumeVerification sets ConsumedAt to at when the verification is
	// not consumed and ExpiresAt is after at, and returns it as updated. Of
	// concurrent callers exactly one succeeds; the others get ErrConsumed.
	// ErrNotFound if no such verification.
	ConsumeVerification(ctx context.Context, id string, at time.Time) (*Verification, error)
	// RevokeVerifications consumes, at at, every unconsumed verification
	// matching f, and returns how many. An empty filter revokes nothing.
	RevokeVerifications(ctx context.Context, f VerificationFilter, at time.Time) (int, error)
	// DeleteExpiredVerifications removes up to limit verifications that
	// expired before before, consumed or not, and returns how many; fewer
	// than limit means none is left. A limit of 0 or less means
	// DefaultLimit. A consumed verification is kept until it expires, so
	// that a replay is answered "already used" rather than "unknown".
	DeleteExpiredVerifications(ctx context.Context, before time.Time, limit int) (int, error)
}

// FlowStore holds sign-in and sign-up attempts in progress.
type FlowStore interface {
	// CreateFlow stores f with Version 1. ErrConflict if the ID is taken.
	CreateFlow(ctx context.Context, f *Flow) error
	// GetFlow returns the flow with that ID, or ErrNotFound.
	GetFlow(ctx context.Context, id string) (*Flow, error)
	// UpdateFlow replaces every field when the versions match, as
	// UpdateUser does. ErrStale, ErrNotFound.
	UpdateFlow(ctx context.Context, f *Flow) error
	// DeleteFlow removes it. ErrNotFound if no such flow.
	DeleteFlow(ctx context.Context, id string) error
	// DeleteExpiredFlows removes up to limit flows that expired before
	// before and returns how many; fewer than limit means none is left. A
	// limit of 0 or less means DefaultLimit.
	DeleteExpiredFlows(ctx context.Context, before time.Time, limit int) (int, error)
}

// SigningKeyStore holds the keys that sign session tokens.
type SigningKeyStore interface {
	// CreateSigningKey stores k with Version 1. ErrConflict if the ID is taken.
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// ListSigningKeys returns every key that is not retired, oldest first.
	ListSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// UpdateSigningKey replaces State and UpdatedAt when the versions
	// match, as UpdateUser does: two instances rotating at once cannot both
	// win. ErrStale, ErrNotFound.
	UpdateSigningKey(ctx context.Context, k *SigningKey) error
}

// InvitationStore holds invitations.
type InvitationStore interface {
	// CreateInvitation stores i. ErrConflict if the ID is taken.
	CreateInvitation(ctx context.Context, i *Invitation) error
	// GetInvitation returns the invitation with that ID, or ErrNotFound.
	GetInvitation(ctx context.Context, id string) (*Invitation, error)
	// ListInvitations returns one page of an organization's invitations
	// ("" for application invitations) with that status ("" for any).
	ListInvitations(ctx context.Context, orgID, status string, p Page) ([]*Invitation, string, error)
	// TransitionInvitation moves the invitation from status from to status
	// to (setting UpdatedAt to at) only when its status is from: of
	// concurrent acceptances exactly one succeeds. ErrConsumed when the
	// status is not from; ErrNotFound if no such invitation.
	TransitionInvitation(ctx context.Context, id, from, to string, at time.Time) error
}

// EventStore is the outbox of change events.
type EventStore interface {
	// AppendEvent stores e and sets e.Seq (the value passed is ignored) to
	// the next position of the outbox. Call it in the transaction that
	// makes the change. ErrConflict if the ID is taken.
	//
	// Positions follow commit order: an event that commits after another
	// has a greater Seq, so a reader that has seen position n has seen
	// every event committed before it and will never see a new event at or
	// below n. An adapter whose transactions run concurrently serialises
	// them from their first AppendEvent to their commit (a row lock), so
	// callers append events last in a transaction.
	AppendEvent(ctx context.Context, e *Event) error
	// ListEventsAfterSeq returns up to limit committed events with Seq
	// greater than afterSeq, in Seq order. A limit of 0 or less means
	// DefaultLimit; more than MaxLimit is lowered to it.
	ListEventsAfterSeq(ctx context.Context, afterSeq int64, limit int) ([]*Event, error)
	// ListEvents returns up to limit events with IDs after afterID ("" for
	// the start), in ID order; with undispatchedOnly, only those not yet
	// dispatched.
	ListEvents(ctx context.Context, afterID string, undispatchedOnly bool, limit int) ([]*Event, error)
	// MarkEventDispatched sets DispatchedAt when it is zero: of concurrent
	// dispatchers exactly one succeeds, the others get ErrConsumed.
	// ErrNotFound if no such event.
	MarkEventDispatched(ctx context.Context, id string, at time.Time) error
}

// ConsumerLease is one instance's claim on a consumer: only its holder
// delivers the consumer's events, so that several instances on one
// database do not deliver the same event at once.
type ConsumerLease struct {
	// Owner identifies the instance, uniquely among those sharing the
	// database.
	Owner string
	// At is the current time by the caller's clock: a lease whose Until is
	// not after At has lapsed.
	At time.Time
	// Until is when the lease lapses unless renewed.
	Until time.Time
}

// ConsumerStore holds the cursors and leases of durable event consumers.
type ConsumerStore interface {
	// AcquireConsumer takes, or renews, the lease on the consumer named
	// name for l.Owner until l.Until, when no other owner holds a lease
	// that has not lapsed at l.At, and returns the consumer as updated. A
	// consumer seen for the first time is created with its Cursor at the
	// newest position of the outbox: it receives what commits from then
	// on. Of concurrent callers with different owners at most one gets
	// the lease; the others get ErrConsumed.
	AcquireConsumer(ctx context.Context, name string, l ConsumerLease) (*Consumer, error)
	// AdvanceConsumer sets Cursor to cursor and LeaseUntil to l.Until,
	// while l.Owner holds the lease and cursor is not below the stored
	// Cursor. ErrConsumed when another owner has taken the lease over (or
	// the cursor would move back), ErrNotFound if there is no such
	// consumer.
	AdvanceConsumer(ctx context.Context, name string, cursor int64, l ConsumerLease) error
	// ReleaseConsumer gives up owner's lease on the consumer, so that
	// another instance may take over at once. It does nothing when owner
	// does not hold it or there is no such consumer.
	ReleaseConsumer(ctx context.Context, name, owner string) error
}

// AuditStore holds the audit log.
type AuditStore interface {
	// AppendAuditEvent stores e. ErrConflict if the ID is taken.
	AppendAuditEvent(ctx context.Context, e *AuditEvent) error
}
