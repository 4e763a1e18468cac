package sqlstore

import (
	"context"
	"time"

	"github.com/latchauth/latch/storage"
)

var userCols = columns{
	"id", "external_id", "username", "first_name", "last_name", "image_url",
	"public_metadata", "private_metadata", "unsafe_metadata", "password_hash",
	"primary_email_id", "primary_phone_id", "banned", "locked_until",
	"failed_attempts", "mfa_required", "last_sign_in_at", "last_active_at",
	"created_at", "updated_at", "version",
}

// userWritable is every column UpdateUser replaces, in userArgs order.
var userWritable = append(columns{}, userCols[1:len(userCols)-1]...)

var (
	userSelect   = `SELECT ` + userCols.list() + ` FROM latch_users`
	userInsert   = `INSERT INTO latch_users (` + userCols.list() + `, username_canonical) VALUES (` + userCols.marks() + `, ?)`
	userUpdate   = `UPDATE latch_users SET ` + userWritable.set() + `, username_canonical = ?, version = version + 1 WHERE id = ? AND version = ?`
	userByIdent  = `SELECT ` + userCols.prefixed("u") + ` FROM latch_identifiers i JOIN latch_users u ON u.id = i.user_id WHERE i.kind = ? AND i.canonical = ? AND i.verified_at IS NOT NULL`
	userExists   = `SELECT 1 FROM latch_users WHERE id = ?`
	userFailed   = `UPDATE latch_users SET failed_attempts = failed_attempts + 1, version = version + 1, locked_until = CASE WHEN locked_until IS NULL OR locked_until < ? THEN ? ELSE locked_until END WHERE id = ? RETURNING failed_attempts`
	userIdentHas = `id IN (SELECT user_id FROM latch_identifiers WHERE kind = ? AND canonical = ?)`
)

func scanUser(sc scanner) (*storage.User, error) {
	u := new(storage.User)
	err := sc.Scan(&u.ID, &u.ExternalID, &u.Username, &u.FirstName, &u.LastName, &u.ImageURL,
		jsonCol{&u.PublicMetadata}, jsonCol{&u.PrivateMetadata}, jsonCol{&u.UnsafeMetadata}, &u.PasswordHash,
		&u.PrimaryEmailID, &u.PrimaryPhoneID, &u.Banned, timeCol{&u.LockedUntil},
		&u.FailedAttempts, &u.MFARequired, timeCol{&u.LastSignInAt}, timeCol{&u.LastActiveAt},
		timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &u.Version)
	return u, err
}

// userArgs is u's writable columns (userWritable) followed by the canonical
// username.
func (q *querier) userArgs(u *storage.User) []any {
	return []any{u.ExternalID, u.Username, u.FirstName, u.LastName, u.ImageURL,
		js(u.PublicMetadata), js(u.PrivateMetadata), js(u.UnsafeMetadata), u.PasswordHash,
		u.PrimaryEmailID, u.PrimaryPhoneID, u.Banned, q.tm(u.LockedUntil),
		u.FailedAttempts, u.MFARequired, q.tm(u.LastSignInAt), q.tm(u.LastActiveAt),
		q.tm(u.CreatedAt), q.tm(u.UpdatedAt),
		nullable(canonicalName(u.Username))}
}

// canonicalName is storage.CanonicalName, except that a name with no
// canonical form is "" (no name), not a unique value of its own.
func canonicalName(s string) string {
	if s == "" {
		return ""
	}
	return storage.CanonicalName(s)
}

// CreateUser implements storage.UserStore.
func (q *querier) CreateUser(ctx context.Context, u *storage.User) error {
	if err := checkJSON(u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata); err != nil {
		return err
	}
	a := q.userArgs(u)
	args := make([]any, 0, len(a)+2)
	args = append(args, u.ID)
	args = append(args, a[:len(a)-1]...)
	args = append(args, int64(1), a[len(a)-1])
	if _, err := q.exec(ctx, userInsert, args...); err != nil {
		return err
	}
	u.Version = 1
	return nil
}

// GetUser implements storage.UserStore.
func (q *querier) GetUser(ctx context.Context, id string) (*storage.User, error) {
	return getOne(ctx, q, scanUser, userSelect+` WHERE id = ?`, id)
}

// GetUserByUsername implements storage.UserStore.
func (q *querier) GetUserByUsername(ctx context.Context, username string) (*storage.User, error) {
	c := canonicalName(username)
	if c == "" {
		return nil, storage.ErrNotFound
	}
	return getOne(ctx, q, scanUser, userSelect+` WHERE username_canonical = ?`, c)
}

// GetUserByIdentifier implements storage.UserStore: one lookup in the
// partial unique index of verified identifiers, joined to the user by
// primary key.
func (q *querier) GetUserByIdentifier(ctx context.Context, kind storage.IdentifierKind, value string) (*storage.User, error) {
	return getOne(ctx, q, scanUser, userByIdent, string(kind), storage.Canonical(kind, value))
}

// UpdateUser implements storage.UserStore.
func (q *querier) UpdateUser(ctx context.Context, u *storage.User) error {
	if err := checkJSON(u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata); err != nil {
		return err
	}
	n, err := q.exec(ctx, userUpdate, append(q.userArgs(u), u.ID, u.Version)...)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.missOr(ctx, storage.ErrStale, userExists, u.ID)
	}
	u.Version++
	return nil
}

// RecordFailedSignIn implements storage.UserStore.
func (q *querier) RecordFailedSignIn(ctx context.Context, id string, lockUntil time.Time) (int, error) {
	var n int
	t := q.tm(lockUntil)
	err := q.queryRow(ctx, userFailed, t, t, id).Scan(&n)
	return n, q.mapErr(err)
}

// DeleteUser implements storage.UserStore. The user goes first, so that in
// PostgreSQL its row lock holds off anyone adding a child meanwhile (the
// foreign keys are deferred to commit).
func (q *querier) DeleteUser(ctx context.Context, id string) error {
	return q.atomic(ctx, func(q *querier) error {
		if err := q.execOne(ctx, `DELETE FROM latch_users WHERE id = ?`, id); err != nil {
			return err
		}
		for _, stmt := range []string{
			`DELETE FROM latch_identifiers WHERE user_id = ?`,
			`DELETE FROM latch_external_accounts WHERE user_id = ?`,
			`DELETE FROM latch_credentials WHERE user_id = ?`,
			`DELETE FROM latch_totp_secrets WHERE user_id = ?`,
			`DELETE FROM latch_backup_codes WHERE user_id = ?`,
			`DELETE FROM latch_sessions WHERE user_id = ?`,
			`DELETE FROM latch_memberships WHERE user_id = ?`,
			`DELETE FROM latch_team_members WHERE user_id = ?`,
			`DELETE FROM latch_membership_requests WHERE user_id = ?`,
		} {
			if _, err := q.exec(ctx, stmt, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (q *querier) userWhere(f storage.UserFilter) *where {
	w := new(where)
	if f.EmailAddress != "" {
		w.add(userIdentHas, string(storage.KindEmailAddress), storage.Canonical(storage.KindEmailAddress, f.EmailAddress))
	}
	if f.PhoneNumber != "" {
		w.add(userIdentHas, string(storage.KindPhoneNumber), storage.Canonical(storage.KindPhoneNumber, f.PhoneNumber))
	}
	if f.Username != "" {
		w.add(`username_canonical = ?`, canonicalName(f.Username))
	}
	w.eq("external_id", f.ExternalID)
	if f.Query != "" {
		p := contains(f.Query)
		like := q.d.likeCol
		w.add(`(`+like("id")+` OR `+like("username")+` OR `+like("first_name")+` OR `+
			like("last_name")+` OR `+like("external_id")+
			` OR EXISTS (SELECT 1 FROM latch_identifiers i WHERE i.user_id = latch_users.id AND `+like("i.canonical")+`))`,
			p, p, p, p, p, p)
	}
	return w
}

// ListUsers implements storage.UserStore.
func (q *querier) ListUsers(ctx context.Context, f storage.UserFilter, p storage.Page) ([]*storage.User, string, error) {
	return page(ctx, q, scanUser, func(u *storage.User) string { return u.ID }, userSelect, q.userWhere(f), p)
}

// CountUsers implements storage.UserStore.
func (q *querier) CountUsers(ctx context.Context, f storage.UserFilter) (int, error) {
	return q.count(ctx, "latch_users", q.userWhere(f))
}
