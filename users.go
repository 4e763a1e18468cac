package latch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/storage"
)

// User is an account as the application and the JSON API see it.
type User struct {
	ID                    string          `json:"id"`
	ExternalID            string          `json:"external_id,omitempty"`
	Username              string          `json:"username,omitempty"`
	FirstName             string          `json:"first_name,omitempty"`
	LastName              string          `json:"last_name,omitempty"`
	ImageURL              string          `json:"image_url,omitempty"`
	PrimaryEmailAddressID string          `json:"primary_email_address_id,omitempty"`
	PrimaryPhoneNumberID  string          `json:"primary_phone_number_id,omitempty"`
	EmailAddresses        []Identifier    `json:"email_addresses"`
	PhoneNumbers          []Identifier    `json:"phone_numbers"`
	PasswordEnabled       bool            `json:"password_enabled"`
	Banned                bool            `json:"banned"`
	Locked                bool            `json:"locked"`
	PublicMetadata        json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata       json.RawMessage `json:"private_metadata,omitempty"`
	UnsafeMetadata        json.RawMessage `json:"unsafe_metadata,omitempty"`
	LastSignInAt          *time.Time      `json:"last_sign_in_at,omitempty"`
	LastActiveAt          *time.Time      `json:"last_active_at,omitempty"`
	CreatedAt             time.Time       `json:"created_at"`
	UpdatedAt             time.Time       `json:"updated_at"`
}

// PrimaryEmailAddress returns the primary email address, or "".
func (u *User) PrimaryEmailAddress() string { return primaryValue(u.EmailAddresses) }

// PrimaryPhoneNumber returns the primary phone number, or "".
func (u *User) PrimaryPhoneNumber() string { return primaryValue(u.PhoneNumbers) }

func primaryValue(ids []Identifier) string {
	for _, i := range ids {
		if i.Primary {
			return i.Value
		}
	}
	return ""
}

// Identifier is one of a user's email addresses or phone numbers.
type Identifier struct {
	ID         string                 `json:"id"`
	Kind       storage.IdentifierKind `json:"kind"`
	Value      string                 `json:"value"`
	Verified   bool                   `json:"verified"`
	VerifiedBy string                 `json:"verified_by,omitempty"`
	Primary    bool                   `json:"primary"`
	CreatedAt  time.Time              `json:"created_at"`
}

// CreateUserParams describes a user created through the Go API (an admin or
// a back end vouches for the identifiers, so they are created verified).
// Every field is optional: an account with no identifier at all is an
// anonymous user that can add one later.
type CreateUserParams struct {
	EmailAddresses []string // the first becomes the primary address
	PhoneNumbers   []string // E.164; the first becomes the primary number
	Username       string
	FirstName      string
	LastName       string
	ImageURL       string
	ExternalID     string

	PublicMetadata  json.RawMessage // JSON objects of at most 8 KiB each
	PrivateMetadata json.RawMessage
	UnsafeMetadata  json.RawMessage

	// PasswordHash imports a password hash from another system, in any
	// format package password verifies: bcrypt ($2a$, $2b$, $2y$), Argon2id
	// and Argon2i, scrypt, PBKDF2 (PHC, passlib and Django forms) and
	// Django's argon2$…, scrypt$…, bcrypt$… and bcrypt_sha256$… (see
	// password.CheckHash). The user
	// signs in with their old password, and the hash is rewritten with the
	// configured parameters at the first successful sign-in. A malformed or
	// unsupported hash is ErrPasswordHashInvalid and creates nothing.
	//
	// Timing: an unknown account costs one verification with the configured
	// parameters. Until its first sign-in, an account whose imported hash is
	// much slower to verify (bcrypt cost 14, PBKDF2 with millions of
	// iterations) or much faster answers a wrong password in a different
	// time, which tells a patient attacker that it exists. Import hashes
	// whose cost is close to the configured one, or raise Password.Hasher's
	// parameters to match the slowest imported hash until most users have
	// signed in once.
	PasswordHash string
}

// ErrPasswordHashInvalid: CreateUserParams.PasswordHash is not a hash
// Latch can verify (an unsupported scheme, or malformed).
var ErrPasswordHashInvalid = &Error{Code: "form_password_hash_invalid", Message: "This password hash is not in a supported format.", Status: http.StatusUnprocessableEntity, Field: "password_hash"}

// ImportResult is the outcome of one user of ImportUsers: the user created,
// or why not.
type ImportResult struct {
	User *User
	Err  error
}

// ImportUsers creates many users, typically migrated from another system
// with their PasswordHash, each in its own transaction: a row that fails (a
// taken address, an unsupported hash) is reported in its ImportResult and
// the others are still created. Results are in the order of users. The
// error is non-nil only when ctx ends first; the rows not attempted then
// carry ctx's error.
func (a *Auth) ImportUsers(ctx context.Context, users []CreateUserParams) ([]ImportResult, error) {
	out := make([]ImportResult, len(users))
	for i, p := range users {
		if err := ctx.Err(); err != nil {
			for j := i; j < len(users); j++ {
				out[j].Err = err
			}
			return out, err
		}
		out[i].User, out[i].Err = a.CreateUser(ctx, p)
	}
	return out, nil
}

// UpdateUserParams changes the fields that are not nil.
type UpdateUserParams struct {
	Username   *string
	FirstName  *string
	LastName   *string
	ImageURL   *string
	ExternalID *string
}

// UserMetadata is a metadata update: each non-nil object is deep-merged
// into the stored one, and a key set to null is removed.
type UserMetadata struct {
	Public  json.RawMessage
	Private json.RawMessage
	Unsafe  json.RawMessage
}

// ListUsersParams filters and pages ListUsers. Set filters combine with AND.
type ListUsersParams struct {
	EmailAddress string
	PhoneNumber  string
	Username     string
	ExternalID   string
	Query        string // substring of the ID, names, username or any identifier
	storage.Page
}

// CreateUser creates a user and its identifiers in one transaction: on any
// error nothing is stored. It emits user.created.
func (a *Auth) CreateUser(ctx context.Context, p CreateUserParams) (*User, error) {
	if p.PasswordHash != "" {
		if err := password.CheckHash(p.PasswordHash); err != nil {
			return nil, ErrPasswordHashInvalid.wrap(err)
		}
	}
	return a.createUser(ctx, p, "admin", p.PasswordHash)
}

// createUser is CreateUser for a given verifier of the identifiers ("admin",
// or the strategy that verified them at sign-up) and password hash. Each
// of also runs in the transaction that creates the user (spending the
// sign-up's invitation): its error stores nothing.
func (a *Auth) createUser(ctx context.Context, p CreateUserParams, verifiedBy, passwordHash string, also ...func(*tx) error) (*User, error) {
	if e := firstError(
		validUsernameOpt(p.Username), validName("first_name", p.FirstName), validName("last_name", p.LastName),
		validImageURL(p.ImageURL), validExternalID(p.ExternalID),
		validMetadata("public_metadata", p.PublicMetadata), validMetadata("private_metadata", p.PrivateMetadata),
		validMetadata("unsafe_metadata", p.UnsafeMetadata),
	); e != nil {
		return nil, e
	}
	var idents []*storage.Identifier
	for _, e := range p.EmailAddresses {
		v, verr := normalizeEmail(e)
		if verr != nil {
			return nil, verr
		}
		idents = append(idents, &storage.Identifier{Kind: storage.KindEmailAddress, Value: v})
	}
	for _, ph := range p.PhoneNumbers {
		v, verr := normalizePhone(ph)
		if verr != nil {
			return nil, verr
		}
		idents = append(idents, &storage.Identifier{Kind: storage.KindPhoneNumber, Value: v})
	}

	now := a.now()
	uid, err := a.newID(PrefixUser)
	if err != nil {
		return nil, err
	}
	u := &storage.User{
		ID: uid, ExternalID: p.ExternalID, Username: p.Username, FirstName: p.FirstName, LastName: p.LastName,
		ImageURL: p.ImageURL, PublicMetadata: p.PublicMetadata, PrivateMetadata: p.PrivateMetadata,
		UnsafeMetadata: p.UnsafeMetadata, PasswordHash: passwordHash, CreatedAt: now, UpdatedAt: now,
	}
	for _, i := range idents {
		if i.ID, err = a.newID(PrefixIdentifier); err != nil {
			return nil, err
		}
		i.UserID, i.VerifiedAt, i.VerifiedBy, i.CreatedAt, i.UpdatedAt = uid, now, verifiedBy, now, now
		switch {
		case i.Kind == storage.KindEmailAddress && u.PrimaryEmailID == "":
			u.PrimaryEmailID = i.ID
		case i.Kind == storage.KindPhoneNumber && u.PrimaryPhoneID == "":
			u.PrimaryPhoneID = i.ID
		}
	}

	var view *User
	err = a.inTx(ctx, func(t *tx) error {
		if err := t.CreateUser(ctx, u); err != nil {
			return conflictAs(err, ErrIdentifierExists.WithField("username"))
		}
		for _, i := range idents {
			if err := t.CreateIdentifier(ctx, i); err != nil {
				return conflictAs(err, ErrIdentifierExists.WithField(string(i.Kind)))
			}
		}
		t.created = u
		for _, fn := range also {
			if fn == nil {
				continue
			}
			if err := fn(t); err != nil {
				return err
			}
		}
		view = userView(u, idents, now)
		if err := a.runSignUpHooks(ctx, t, view, verifiedBy); err != nil {
			return err
		}
		return t.emit(ctx, EventUserCreated, view, auditInfo{UserID: u.ID})
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

// GetUser returns the user with that ID, or ErrNotFound.
func (a *Auth) GetUser(ctx context.Context, id string) (*User, error) {
	return a.loadUser(ctx, a.store, id)
}

// GetUserByEmailAddress returns the user holding that verified email
// address (in any letter case or Unicode form), or ErrNotFound.
func (a *Auth) GetUserByEmailAddress(ctx context.Context, email string) (*User, error) {
	u, err := a.store.GetUserByIdentifier(ctx, storage.KindEmailAddress, email)
	if err != nil {
		return nil, storageError(err)
	}
	return a.viewOf(ctx, a.store, u)
}

// UpdateUser changes the fields of p that are set, and emits user.updated.
func (a *Auth) UpdateUser(ctx context.Context, id string, p UpdateUserParams) (*User, error) {
	if e := firstError(
		optional(p.Username, validUsernameOpt), optional(p.FirstName, func(s string) *Error { return validName("first_name", s) }),
		optional(p.LastName, func(s string) *Error { return validName("last_name", s) }),
		optional(p.ImageURL, validImageURL), optional(p.ExternalID, validExternalID),
	); e != nil {
		return nil, e
	}
	return a.updateUser(ctx, id, func(_ *tx, u *storage.User) error {
		applyUpdate(u, p)
		return nil
	})
}

func applyUpdate(u *storage.User, p UpdateUserParams) {
	set(&u.Username, p.Username)
	set(&u.FirstName, p.FirstName)
	set(&u.LastName, p.LastName)
	set(&u.ImageURL, p.ImageURL)
	set(&u.ExternalID, p.ExternalID)
}

// ownView is the user as the user sees it in the JSON API: public and
// unsafe metadata, never private metadata, which the back end keeps about
// the user for itself.
func ownView(u *User) *User {
	if u == nil {
		return nil
	}
	c := *u
	c.PrivateMetadata = nil
	return &c
}

// updateOwnUser is the signed-in user's change of their own account (POST
// /v1/me): names and username, and unsafe metadata, the only metadata a
// user may write, deep-merged as UpdateUserMetadata does, in one write.
// Image URL and external ID stay the back end's.
func (a *Auth) updateOwnUser(ctx context.Context, id string, p UpdateUserParams, unsafe json.RawMessage) (*User, error) {
	if e := firstError(
		optional(p.Username, validUsernameOpt), optional(p.FirstName, func(s string) *Error { return validName("first_name", s) }),
		optional(p.LastName, func(s string) *Error { return validName("last_name", s) }),
		validMetadata("unsafe_metadata", unsafe),
	); e != nil {
		return nil, e
	}
	u, err := a.updateUser(ctx, id, func(_ *tx, u *storage.User) error {
		applyUpdate(u, p)
		return mergeUserMetadata(u, UserMetadata{Unsafe: unsafe})
	})
	return ownView(u), err
}

// UpdateUserMetadata deep-merges the metadata objects that are set into the
// stored ones (a key set to null is removed), and emits user.updated.
// Concurrent updates of different keys all survive.
func (a *Auth) UpdateUserMetadata(ctx context.Context, id string, m UserMetadata) (*User, error) {
	if e := firstError(validMetadata("public_metadata", m.Public), validMetadata("private_metadata", m.Private),
		validMetadata("unsafe_metadata", m.Unsafe)); e != nil {
		return nil, e
	}
	return a.updateUser(ctx, id, func(_ *tx, u *storage.User) error { return mergeUserMetadata(u, m) })
}

// mergeUserMetadata deep-merges the metadata objects of m that are set
// into u's.
func mergeUserMetadata(u *storage.User, m UserMetadata) error {
	for _, f := range []struct {
		field string
		dst   *json.RawMessage
		patch json.RawMessage
	}{{"public_metadata", &u.PublicMetadata, m.Public}, {"private_metadata", &u.PrivateMetadata, m.Private}, {"unsafe_metadata", &u.UnsafeMetadata, m.Unsafe}} {
		merged, err := mergeMetadata(*f.dst, f.patch)
		if err != nil {
			return ErrMetadataInvalid.WithField(f.field).wrap(err)
		}
		if len(merged) > maxMetadataLength {
			return ErrMetadataInvalid.WithField(f.field)
		}
		*f.dst = merged
	}
	return nil
}

// DeleteUser deletes the user and everything that belongs to it (identifiers,
// sessions, factors, memberships) and emits user.deleted. Like BanUser, it
// signs the user out at once: their sessions are revoked in the same
// transaction (session.revoked for each), so their tokens stop working on
// this instance now, on the others within about a second in strict mode,
// and at their next refresh (TokenLifetime) otherwise.
func (a *Auth) DeleteUser(ctx context.Context, id string) error {
	var ended []string
	err := a.inTx(ctx, func(t *tx) error {
		var err error
		if ended, err = a.endSessions(ctx, t, storage.SessionFilter{UserID: id}, "", storage.SessionRevoked); err != nil {
			return err
		}
		if err := t.Querier.DeleteUser(ctx, id); err != nil {
			return storageError(err)
		}
		return t.emit(ctx, EventUserDeleted, map[string]any{"id": id, "deleted": true}, auditInfo{UserID: id})
	})
	if err != nil {
		return err
	}
	a.revoke(ctx, ended...)
	return nil
}

// ListUsers returns one page of users and the cursor of the next page (""
// on the last).
func (a *Auth) ListUsers(ctx context.Context, p ListUsersParams) ([]*User, string, error) {
	us, next, err := a.store.ListUsers(ctx, storage.UserFilter{
		EmailAddress: p.EmailAddress, PhoneNumber: p.PhoneNumber, Username: p.Username, ExternalID: p.ExternalID, Query: p.Query,
	}, p.Page)
	if err != nil {
		return nil, "", storageError(err)
	}
	views := make([]*User, 0, len(us))
	for _, u := range us {
		v, err := a.viewOf(ctx, a.store, u)
		if err != nil {
			return nil, "", err
		}
		views = append(views, v)
	}
	return views, next, nil
}

// AddEmailAddress adds an email address to a user. The Go API vouches for
// it when verified is true; otherwise it stays unverified until the user
// proves they receive mail there, and cannot be used to sign in. The first
// verified address becomes primary. It emits user.updated.
func (a *Auth) AddEmailAddress(ctx context.Context, userID, email string, verified bool) (*Identifier, error) {
	v, e := normalizeEmail(email)
	if e != nil {
		return nil, e
	}
	return a.addIdentifier(ctx, userID, storage.KindEmailAddress, v, verified)
}

// AddPhoneNumber adds a phone number (E.164) to a user, as AddEmailAddress
// does for email.
func (a *Auth) AddPhoneNumber(ctx context.Context, userID, phone string, verified bool) (*Identifier, error) {
	v, e := normalizePhone(phone)
	if e != nil {
		return nil, e
	}
	return a.addIdentifier(ctx, userID, storage.KindPhoneNumber, v, verified)
}

func (a *Auth) addIdentifier(ctx context.Context, userID string, kind storage.IdentifierKind, value string, verified bool) (*Identifier, error) {
	id, err := a.newID(PrefixIdentifier)
	if err != nil {
		return nil, err
	}
	var out *Identifier
	_, err = a.updateUser(ctx, userID, func(t *tx, u *storage.User) error {
		now := a.now()
		i := &storage.Identifier{ID: id, UserID: userID, Kind: kind, Value: value, CreatedAt: now, UpdatedAt: now}
		if verified {
			i.VerifiedAt, i.VerifiedBy = now, "admin"
		}
		if err := t.CreateIdentifier(ctx, i); err != nil {
			return conflictAs(err, ErrIdentifierExists.WithField(string(kind)))
		}
		if verified {
			promoteIfNoPrimary(u, i)
		}
		out = identifierView(u, i)
		return nil
	})
	return out, err
}

// VerifyIdentifier marks an email address or phone number verified, as an
// admin vouching for it. It fails with ErrIdentifierExists when another
// account has verified the same value first.
func (a *Auth) VerifyIdentifier(ctx context.Context, identifierID string) (*Identifier, error) {
	var out *Identifier
	err := a.withIdentifier(ctx, identifierID, func(t *tx, u *storage.User, i *storage.Identifier) error {
		if i.Verified() {
			out = identifierView(u, i)
			return nil
		}
		i.VerifiedAt, i.VerifiedBy, i.UpdatedAt = a.now(), "admin", a.now()
		if err := t.UpdateIdentifier(ctx, i); err != nil {
			return conflictAs(err, ErrIdentifierExists.WithField(string(i.Kind)))
		}
		promoteIfNoPrimary(u, i)
		out = identifierView(u, i)
		return nil
	})
	return out, err
}

// SetPrimaryIdentifier makes a verified email address or phone number the
// user's primary one of its kind.
func (a *Auth) SetPrimaryIdentifier(ctx context.Context, identifierID string) error {
	return a.withIdentifier(ctx, identifierID, func(t *tx, u *storage.User, i *storage.Identifier) error {
		if !i.Verified() {
			return ErrIdentifierUnverified
		}
		*primaryOf(u, i.Kind) = i.ID
		return nil
	})
}

// RemoveIdentifier removes an email address or phone number. The primary
// one cannot be removed while the user has another of its kind; make
// another primary first. Removing the last one is allowed.
func (a *Auth) RemoveIdentifier(ctx context.Context, identifierID string) error {
	return a.withIdentifier(ctx, identifierID, func(t *tx, u *storage.User, i *storage.Identifier) error {
		if p := primaryOf(u, i.Kind); p != nil && *p == i.ID {
			all, err := t.ListIdentifiers(ctx, u.ID)
			if err != nil {
				return err
			}
			for _, o := range all {
				if o.ID != i.ID && o.Kind == i.Kind {
					return ErrPrimaryIdentifier
				}
			}
			*p = ""
		}
		return storageError(t.DeleteIdentifier(ctx, i.ID))
	})
}

// withIdentifier runs fn on an identifier and its owner inside updateUser, so
// the owner's version guards the change.
func (a *Auth) withIdentifier(ctx context.Context, identifierID string, fn func(t *tx, u *storage.User, i *storage.Identifier) error) error {
	i, err := a.store.GetIdentifier(ctx, identifierID)
	if err != nil {
		return storageError(err)
	}
	_, err = a.updateUser(ctx, i.UserID, func(t *tx, u *storage.User) error {
		cur, err := t.GetIdentifier(ctx, identifierID)
		if err != nil {
			return storageError(err)
		}
		return fn(t, u, cur)
	})
	return err
}

// maxUpdateRetries bounds optimistic-concurrency retries; each retry means
// another writer committed, so this is reached only under heavy contention
// on one user.
const maxUpdateRetries = 8

// updateUser reads the user, applies fn and writes it back in one
// transaction, retrying when another writer changed the user in between, so
// no concurrent write is lost. It emits user.updated.
func (a *Auth) updateUser(ctx context.Context, id string, fn func(t *tx, u *storage.User) error) (*User, error) {
	for range maxUpdateRetries {
		var view *User
		err := a.inTx(ctx, func(t *tx) error {
			u, err := t.GetUser(ctx, id)
			if err != nil {
				return storageError(err)
			}
			if err := fn(t, u); err != nil {
				return err
			}
			u.UpdatedAt = a.now()
			if err := t.Querier.UpdateUser(ctx, u); err != nil {
				if errors.Is(err, storage.ErrStale) {
					return err
				}
				return conflictAs(err, ErrIdentifierExists.WithField("username"))
			}
			if view, err = a.viewOf(ctx, t, u); err != nil {
				return err
			}
			return t.emit(ctx, EventUserUpdated, view, auditInfo{UserID: id})
		})
		if errors.Is(err, storage.ErrStale) {
			continue
		}
		return view, err
	}
	return nil, ErrConflict
}

func (a *Auth) loadUser(ctx context.Context, q storage.Querier, id string) (*User, error) {
	u, err := q.GetUser(ctx, id)
	if err != nil {
		return nil, storageError(err)
	}
	return a.viewOf(ctx, q, u)
}

func (a *Auth) viewOf(ctx context.Context, q storage.Querier, u *storage.User) (*User, error) {
	idents, err := q.ListIdentifiers(ctx, u.ID)
	if err != nil {
		return nil, storageError(err)
	}
	return userView(u, idents, a.now()), nil
}

func userView(u *storage.User, idents []*storage.Identifier, now time.Time) *User {
	v := &User{
		ID: u.ID, ExternalID: u.ExternalID, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
		ImageURL: u.ImageURL, PrimaryEmailAddressID: u.PrimaryEmailID, PrimaryPhoneNumberID: u.PrimaryPhoneID,
		EmailAddresses: []Identifier{}, PhoneNumbers: []Identifier{},
		PasswordEnabled: u.PasswordHash != "", Banned: u.Banned, Locked: u.LockedUntil.After(now),
		PublicMetadata: u.PublicMetadata, PrivateMetadata: u.PrivateMetadata, UnsafeMetadata: u.UnsafeMetadata,
		LastSignInAt: timePtr(u.LastSignInAt), LastActiveAt: timePtr(u.LastActiveAt), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
	}
	for _, i := range idents {
		switch i.Kind {
		case storage.KindEmailAddress:
			v.EmailAddresses = append(v.EmailAddresses, *identifierView(u, i))
		case storage.KindPhoneNumber:
			v.PhoneNumbers = append(v.PhoneNumbers, *identifierView(u, i))
		}
	}
	return v
}

func identifierView(u *storage.User, i *storage.Identifier) *Identifier {
	p := primaryOf(u, i.Kind)
	return &Identifier{
		ID: i.ID, Kind: i.Kind, Value: i.Value, Verified: i.Verified(), VerifiedBy: i.VerifiedBy,
		Primary: p != nil && *p == i.ID, CreatedAt: i.CreatedAt,
	}
}

// primaryOf points at the user's primary-identifier field for kind, or is
// nil for kinds without a primary.
func primaryOf(u *storage.User, kind storage.IdentifierKind) *string {
	switch kind {
	case storage.KindEmailAddress:
		return &u.PrimaryEmailID
	case storage.KindPhoneNumber:
		return &u.PrimaryPhoneID
	}
	return nil
}

func promoteIfNoPrimary(u *storage.User, i *storage.Identifier) {
	if p := primaryOf(u, i.Kind); p != nil && *p == "" {
		*p = i.ID
	}
}

func set(dst *string, p *string) {
	if p != nil {
		*dst = *p
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
