package sqlstore

import (
	"context"
	"time"

	"github.com/latchauth/latch/storage"
)

var extCols = columns{
	"id", "user_id", "issuer", "subject", "created_at",
	// replaced by UpdateExternalAccount:
	"provider", "email_address", "username", "first_name", "last_name", "image_url",
	"scopes", "access_token", "refresh_token", "token_expires_at", "public_metadata", "updated_at",
}

var (
	extSelect = `SELECT ` + extCols.list() + ` FROM latch_external_accounts`
	extInsert = `INSERT INTO latch_external_accounts (` + extCols.list() + `) SELECT ` + extCols.marks() + ` WHERE EXISTS (` + userExists + `)`
	extUpdate = `UPDATE latch_external_accounts SET ` + extCols[5:].set() + ` WHERE id = ?`
)

func scanExt(sc scanner) (*storage.ExternalAccount, error) {
	a := new(storage.ExternalAccount)
	err := sc.Scan(&a.ID, &a.UserID, &a.Issuer, &a.Subject, timeCol{&a.CreatedAt},
		&a.Provider, &a.EmailAddress, &a.Username, &a.FirstName, &a.LastName, &a.ImageURL,
		strsCol{&a.Scopes}, bytesCol{&a.AccessToken}, bytesCol{&a.RefreshToken}, timeCol{&a.TokenExpiresAt},
		jsonCol{&a.PublicMetadata}, timeCol{&a.UpdatedAt})
	return a, err
}

// extMutable is a's columns from extCols[5:].
func (q *querier) extMutable(a *storage.ExternalAccount) []any {
	return []any{a.Provider, a.EmailAddress, a.Username, a.FirstName, a.LastName, a.ImageURL,
		strs(a.Scopes), bs(a.AccessToken), bs(a.RefreshToken), q.tm(a.TokenExpiresAt),
		js(a.PublicMetadata), q.tm(a.UpdatedAt)}
}

// CreateExternalAccount implements storage.ExternalAccountStore.
func (q *querier) CreateExternalAccount(ctx context.Context, a *storage.ExternalAccount) error {
	if err := checkJSON(a.PublicMetadata); err != nil {
		return err
	}
	args := append([]any{a.ID, a.UserID, a.Issuer, a.Subject, q.tm(a.CreatedAt)}, q.extMutable(a)...)
	return q.execOne(ctx, extInsert, append(args, a.UserID)...)
}

// GetExternalAccount implements storage.ExternalAccountStore.
func (q *querier) GetExternalAccount(ctx context.Context, id string) (*storage.ExternalAccount, error) {
	return getOne(ctx, q, scanExt, extSelect+` WHERE id = ?`, id)
}

// FindExternalAccount implements storage.ExternalAccountStore.
func (q *querier) FindExternalAccount(ctx context.Context, issuer, subject string) (*storage.ExternalAccount, error) {
	return getOne(ctx, q, scanExt, extSelect+` WHERE issuer = ? AND subject = ?`, issuer, subject)
}

// ListExternalAccounts implements storage.ExternalAccountStore.
func (q *querier) ListExternalAccounts(ctx context.Context, userID string) ([]*storage.ExternalAccount, error) {
	return getAll(ctx, q, scanExt, extSelect+` WHERE user_id = ? ORDER BY id`, userID)
}

// UpdateExternalAccount implements storage.ExternalAccountStore.
func (q *querier) UpdateExternalAccount(ctx context.Context, a *storage.ExternalAccount) error {
	if err := checkJSON(a.PublicMetadata); err != nil {
		return err
	}
	return q.execOne(ctx, extUpdate, append(q.extMutable(a), a.ID)...)
}

// DeleteExternalAccount implements storage.ExternalAccountStore.
func (q *querier) DeleteExternalAccount(ctx context.Context, id string) error {
	return q.execOne(ctx, `DELETE FROM latch_external_accounts WHERE id = ?`, id)
}

var credCols = columns{
	"id", "user_id", "kind", "name", "credential_id", "public_key", "attestation_type", "aaguid",
	"sign_count", "transports", "user_verified", "backup_eligible", "backup_state",
	"last_used_at", "created_at", "updated_at",
}

var (
	credSelect = `SELECT ` + credCols.list() + ` FROM latch_credentials`
	credInsert = `INSERT INTO latch_credentials (` + credCols.list() + `) SELECT ` + credCols.marks() + ` WHERE EXISTS (` + userExists + `)`
	// RecordCredentialUse's UPDATE, with its condition on the counter
	// (whose last argument is the new count): a count that advances, or a
	// count of 0 (an authenticator without a counter) over a stored 0.
	credRecordUse         = `UPDATE latch_credentials SET sign_count = ?, backup_state = ?, last_used_at = ?, updated_at = ? WHERE id = ? AND `
	credRecordUseAdvances = credRecordUse + `sign_count < ?`
	credRecordUseNoCount  = credRecordUse + `sign_count = ?`
)

func scanCred(sc scanner) (*storage.Credential, error) {
	c := new(storage.Credential)
	err := sc.Scan(&c.ID, &c.UserID, &c.Kind, &c.Name, bytesCol{&c.CredentialID}, bytesCol{&c.PublicKey},
		&c.AttestationType, bytesCol{&c.AAGUID}, &c.SignCount, strsCol{&c.Transports},
		&c.UserVerified, &c.BackupEligible, &c.BackupState,
		timeCol{&c.LastUsedAt}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

// CreateCredential implements storage.CredentialStore.
func (q *querier) CreateCredential(ctx context.Context, c *storage.Credential) error {
	return q.execOne(ctx, credInsert, c.ID, c.UserID, c.Kind, c.Name, bs(c.CredentialID), bs(c.PublicKey),
		c.AttestationType, bs(c.AAGUID), int64(c.SignCount), strs(c.Transports),
		c.UserVerified, c.BackupEligible, c.BackupState,
		q.tm(c.LastUsedAt), q.tm(c.CreatedAt), q.tm(c.UpdatedAt), c.UserID)
}

// GetCredential implements storage.CredentialStore.
func (q *querier) GetCredential(ctx context.Context, id string) (*storage.Credential, error) {
	return getOne(ctx, q, scanCred, credSelect+` WHERE id = ?`, id)
}

// FindCredential implements storage.CredentialStore.
func (q *querier) FindCredential(ctx context.Context, credentialID []byte) (*storage.Credential, error) {
	if len(credentialID) == 0 {
		return nil, storage.ErrNotFound
	}
	return getOne(ctx, q, scanCred, credSelect+` WHERE credential_id = ?`, credentialID)
}

// ListCredentials implements storage.CredentialStore.
func (q *querier) ListCredentials(ctx context.Context, userID string) ([]*storage.Credential, error) {
	return getAll(ctx, q, scanCred, credSelect+` WHERE user_id = ? ORDER BY id`, userID)
}

// RenameCredential implements storage.CredentialStore.
func (q *querier) RenameCredential(ctx context.Context, id, name string, at time.Time) error {
	return q.execOne(ctx, `UPDATE latch_credentials SET name = ?, updated_at = ? WHERE id = ?`, name, q.tm(at), id)
}

// RecordCredentialUse implements storage.CredentialStore: one conditional
// UPDATE, so that of concurrent callers with the same counter exactly one
// changes a row, whatever the isolation level.
func (q *querier) RecordCredentialUse(ctx context.Context, id string, signCount uint32, backupState bool, at time.Time) error {
	query := credRecordUseAdvances
	if signCount == 0 {
		query = credRecordUseNoCount
	}
	n, err := q.exec(ctx, query, int64(signCount), backupState, q.tm(at), q.tm(at), id, int64(signCount))
	if err == nil && n == 0 {
		err = q.missOr(ctx, storage.ErrConsumed, `SELECT 1 FROM latch_credentials WHERE id = ?`, id)
	}
	return err
}

// DeleteCredential implements storage.CredentialStore.
func (q *querier) DeleteCredential(ctx context.Context, id string) error {
	return q.execOne(ctx, `DELETE FROM latch_credentials WHERE id = ?`, id)
}

var totpCols = columns{"id", "user_id", "secret", "key_id", "verified_at", "last_used_step", "created_at", "updated_at"}

var (
	totpSelect = `SELECT ` + totpCols.list() + ` FROM latch_totp_secrets`
	// One statement: insert, or replace the user's previous secret, but
	// only for a user that exists. (The WHERE also resolves SQLite's
	// INSERT … SELECT … ON CONFLICT parsing ambiguity.)
	totpPut = `INSERT INTO latch_totp_secrets (` + totpCols.list() + `) SELECT ` + totpCols.marks() +
		` WHERE EXISTS (` + userExists + `) ON CONFLICT (user_id) DO UPDATE SET ` +
		columns{"id", "secret", "key_id", "verified_at", "last_used_step", "created_at", "updated_at"}.excluded()
	totpExists = `SELECT 1 FROM latch_totp_secrets WHERE user_id = ?`
)

func scanTOTP(sc scanner) (*storage.TOTPSecret, error) {
	s := new(storage.TOTPSecret)
	err := sc.Scan(&s.ID, &s.UserID, bytesCol{&s.Secret}, &s.KeyID, timeCol{&s.VerifiedAt}, &s.LastUsedStep,
		timeCol{&s.CreatedAt}, timeCol{&s.UpdatedAt})
	return s, err
}

// PutTOTPSecret implements storage.FactorStore.
func (q *querier) PutTOTPSecret(ctx context.Context, s *storage.TOTPSecret) error {
	return q.execOne(ctx, totpPut, s.ID, s.UserID, bs(s.Secret), s.KeyID, q.tm(s.VerifiedAt), s.LastUsedStep,
		q.tm(s.CreatedAt), q.tm(s.UpdatedAt), s.UserID)
}

// GetTOTPSecret implements storage.FactorStore.
func (q *querier) GetTOTPSecret(ctx context.Context, userID string) (*storage.TOTPSecret, error) {
	return getOne(ctx, q, scanTOTP, totpSelect+` WHERE user_id = ?`, userID)
}

// VerifyTOTPSecret implements storage.FactorStore.
func (q *querier) VerifyTOTPSecret(ctx context.Context, userID string, step int64, at time.Time) error {
	n, err := q.exec(ctx, `UPDATE latch_totp_secrets SET verified_at = ?, last_used_step = ?, updated_at = ? WHERE user_id = ? AND last_used_step < ?`,
		q.tm(at), step, q.tm(at), userID, step)
	if err == nil && n == 0 {
		err = q.missOr(ctx, storage.ErrConsumed, totpExists, userID)
	}
	return err
}

// AdvanceTOTPStep implements storage.FactorStore: one conditional UPDATE,
// so that of concurrent callers with the same step exactly one changes a
// row.
func (q *querier) AdvanceTOTPStep(ctx context.Context, userID string, step int64, at time.Time) error {
	n, err := q.exec(ctx, `UPDATE latch_totp_secrets SET last_used_step = ?, updated_at = ? WHERE user_id = ? AND last_used_step < ?`,
		step, q.tm(at), userID, step)
	if err == nil && n == 0 {
		err = q.missOr(ctx, storage.ErrConsumed, totpExists, userID)
	}
	return err
}

// DeleteTOTPSecret implements storage.FactorStore.
func (q *querier) DeleteTOTPSecret(ctx context.Context, userID string) error {
	return q.execOne(ctx, `DELETE FROM latch_totp_secrets WHERE user_id = ?`, userID)
}

var backupCols = columns{"id", "user_id", "code_hash", "used_at", "created_at"}

var backupInsert = `INSERT INTO latch_backup_codes (` + backupCols.list() + `) VALUES (` + backupCols.marks() + `)`

func scanBackup(sc scanner) (*storage.BackupCode, error) {
	c := new(storage.BackupCode)
	err := sc.Scan(&c.ID, &c.UserID, bytesCol{&c.CodeHash}, timeCol{&c.UsedAt}, timeCol{&c.CreatedAt})
	return c, err
}

// ReplaceBackupCodes implements storage.FactorStore.
func (q *querier) ReplaceBackupCodes(ctx context.Context, userID string, codes []*storage.BackupCode) error {
	return q.atomic(ctx, func(q *querier) error {
		ok, err := q.exists(ctx, userExists, userID)
		if err != nil {
			return err
		}
		if !ok {
			return storage.ErrNotFound
		}
		if _, err := q.exec(ctx, `DELETE FROM latch_backup_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		for _, c := range codes {
			if _, err := q.exec(ctx, backupInsert, c.ID, userID, bs(c.CodeHash), q.tm(c.UsedAt), q.tm(c.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListBackupCodes implements storage.FactorStore.
func (q *querier) ListBackupCodes(ctx context.Context, userID string) ([]*storage.BackupCode, error) {
	return getAll(ctx, q, scanBackup, `SELECT `+backupCols.list()+` FROM latch_backup_codes WHERE user_id = ? ORDER BY id`, userID)
}

// ConsumeBackupCode implements storage.FactorStore.
func (q *querier) ConsumeBackupCode(ctx context.Context, userID string, codeHash []byte, at time.Time) error {
	n, err := q.exec(ctx, `UPDATE latch_backup_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		q.tm(at), userID, codeHash)
	if err == nil && n == 0 {
		err = q.missOr(ctx, storage.ErrConsumed, `SELECT 1 FROM latch_backup_codes WHERE user_id = ? AND code_hash = ?`, userID, codeHash)
	}
	return err
}
