package memstore

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

// Users.

// CreateUser implements [storage.UserStore].
func (s *Store) CreateUser(_ context.Context, u *storage.User) error {
	defer s.write().release()
	if err := validJSON(u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata); err != nil {
		return err
	}
	if _, ok := s.users[u.ID]; ok {
		return conflict("user %q: ID taken", u.ID)
	}
	if err := s.checkUsername(u.Username, u.ID); err != nil {
		return err
	}
	c := cloneUser(u)
	c.Version = 1
	s.putUser(c)
	u.Version = 1
	return nil
}

func (s *state) checkUsername(username, userID string) error {
	if username == "" {
		return nil
	}
	if id, ok := s.usernames[storage.CanonicalName(username)]; ok && id != userID {
		return conflict("username %q taken", username)
	}
	return nil
}

func (s *state) putUser(u *storage.User) {
	if old := s.users[u.ID]; old != nil && old.Username != "" {
		drop(s, s.usernames, storage.CanonicalName(old.Username))
	}
	if u.Username != "" {
		put(s, s.usernames, storage.CanonicalName(u.Username), u.ID)
	}
	put(s, s.users, u.ID, u)
}

// GetUser implements [storage.UserStore].
func (s *Store) GetUser(_ context.Context, id string) (*storage.User, error) {
	defer s.read().release()
	if u, ok := s.users[id]; ok {
		return cloneUser(u), nil
	}
	return nil, notFound("user", id)
}

// GetUserByUsername implements [storage.UserStore].
func (s *Store) GetUserByUsername(ctx context.Context, username string) (*storage.User, error) {
	defer s.read().release()
	if id, ok := s.usernames[storage.CanonicalName(username)]; ok {
		return cloneUser(s.users[id]), nil
	}
	return nil, notFound("user with username", username)
}

// GetUserByIdentifier implements [storage.UserStore].
func (s *Store) GetUserByIdentifier(ctx context.Context, kind storage.IdentifierKind, value string) (*storage.User, error) {
	defer s.read().release()
	if id, ok := s.verified[idKey{kind, storage.Canonical(kind, value)}]; ok {
		return cloneUser(s.users[s.idents[id].UserID]), nil
	}
	return nil, notFound("user with verified "+string(kind), value)
}

// UpdateUser implements [storage.UserStore].
func (s *Store) UpdateUser(_ context.Context, u *storage.User) error {
	defer s.write().release()
	if err := validJSON(u.PublicMetadata, u.PrivateMetadata, u.UnsafeMetadata); err != nil {
		return err
	}
	old, ok := s.users[u.ID]
	switch {
	case !ok:
		return notFound("user", u.ID)
	case old.Version != u.Version:
		return stale("user", u.ID)
	}
	if err := s.checkUsername(u.Username, u.ID); err != nil {
		return err
	}
	c := cloneUser(u)
	c.Version++
	s.putUser(c)
	u.Version = c.Version
	return nil
}

// RecordFailedSignIn implements [storage.UserStore].
func (s *Store) RecordFailedSignIn(_ context.Context, id string, lockUntil time.Time) (int, error) {
	defer s.write().release()
	old, ok := s.users[id]
	if !ok {
		return 0, notFound("user", id)
	}
	c := cloneUser(old)
	c.FailedAttempts++
	c.Version++
	if lockUntil.After(c.LockedUntil) {
		c.LockedUntil = lockUntil.UTC()
	}
	put(s.state, s.users, id, c)
	return c.FailedAttempts, nil
}

// DeleteUser implements [storage.UserStore].
func (s *Store) DeleteUser(_ context.Context, id string) error {
	defer s.write().release()
	u, ok := s.users[id]
	if !ok {
		return notFound("user", id)
	}
	for iid := range maps.Clone(s.identsByUser[id]) {
		s.dropIdent(s.idents[iid])
	}
	for aid := range maps.Clone(s.extByUser[id]) {
		s.dropExt(s.extAccounts[aid])
	}
	for cid := range maps.Clone(s.credsByUser[id]) {
		s.dropCred(s.creds[cid])
	}
	for sid := range maps.Clone(s.sessByUser[id]) {
		s.dropSession(s.sessions[sid])
	}
	for mid := range maps.Clone(s.memByUser[id]) {
		s.dropMem(s.mems[mid])
	}
	for rid := range maps.Clone(s.reqByUser[id]) {
		s.dropReq(s.reqs[rid])
	}
	drop(s.state, s.totp, id)
	drop(s.state, s.backup, id)
	if u.Username != "" {
		drop(s.state, s.usernames, storage.CanonicalName(u.Username))
	}
	drop(s.state, s.users, id)
	return nil
}

// ListUsers implements [storage.UserStore].
func (s *Store) ListUsers(_ context.Context, f storage.UserFilter, p storage.Page) ([]*storage.User, string, error) {
	defer s.read().release()
	users, next := page(s.users, s.userCandidates(f), s.userMatcher(f), cloneUser, p)
	return users, next, nil
}

// CountUsers implements [storage.AdminStore].
func (s *Store) CountUsers(_ context.Context, f storage.UserFilter) (int, error) {
	defer s.read().release()
	n, keep := 0, s.userMatcher(f)
	for id := range s.userCandidates(f) {
		if u, ok := s.users[id]; ok && keep(u) {
			n++
		}
	}
	return n, nil
}

// userCandidates narrows a user filter through an index when it can.
func (s *state) userCandidates(f storage.UserFilter) func(func(string) bool) {
	byIdent := func(kind storage.IdentifierKind, value string) func(func(string) bool) {
		return func(yield func(string) bool) {
			for iid := range s.identsByValue[idKey{kind, storage.Canonical(kind, value)}] {
				if !yield(s.idents[iid].UserID) {
					return
				}
			}
		}
	}
	switch {
	case f.EmailAddress != "":
		return byIdent(storage.KindEmailAddress, f.EmailAddress)
	case f.PhoneNumber != "":
		return byIdent(storage.KindPhoneNumber, f.PhoneNumber)
	case f.Username != "":
		return func(yield func(string) bool) {
			if id, ok := s.usernames[storage.CanonicalName(f.Username)]; ok {
				yield(id)
			}
		}
	}
	return maps.Keys(s.users)
}

// userMatcher returns the predicate of a user filter.
func (s *state) userMatcher(f storage.UserFilter) func(*storage.User) bool {
	q := strings.ToLower(f.Query)
	holds := func(u *storage.User, kind storage.IdentifierKind, value string) bool {
		canon := storage.Canonical(kind, value)
		for iid := range s.identsByUser[u.ID] {
			if i := s.idents[iid]; i.Kind == kind && i.Canonical == canon {
				return true
			}
		}
		return false
	}
	contains := func(u *storage.User) bool {
		for _, v := range []string{u.ID, u.Username, u.FirstName, u.LastName, u.ExternalID} {
			if strings.Contains(strings.ToLower(v), q) {
				return true
			}
		}
		for iid := range s.identsByUser[u.ID] {
			if strings.Contains(strings.ToLower(s.idents[iid].Canonical), q) {
				return true
			}
		}
		return false
	}
	return func(u *storage.User) bool {
		return (f.EmailAddress == "" || holds(u, storage.KindEmailAddress, f.EmailAddress)) &&
			(f.PhoneNumber == "" || holds(u, storage.KindPhoneNumber, f.PhoneNumber)) &&
			(f.Username == "" || u.Username != "" && storage.CanonicalName(u.Username) == storage.CanonicalName(f.Username)) &&
			(f.ExternalID == "" || u.ExternalID == f.ExternalID) &&
			(q == "" || contains(u))
	}
}

// Identifiers.

// CreateIdentifier implements [storage.IdentifierStore].
func (s *Store) CreateIdentifier(_ context.Context, i *storage.Identifier) error {
	defer s.write().release()
	if _, ok := s.idents[i.ID]; ok {
		return conflict("identifier %q: ID taken", i.ID)
	}
	if _, ok := s.users[i.UserID]; !ok {
		return notFound("user", i.UserID)
	}
	c := cloneIdent(i)
	c.Canonical = storage.Canonical(c.Kind, c.Value)
	if err := s.checkIdent(c); err != nil {
		return err
	}
	s.putIdent(c)
	i.Canonical = c.Canonical
	return nil
}

// checkIdent enforces the identifier uniqueness rules for c, which may
// replace a stored identifier with the same ID.
func (s *state) checkIdent(c *storage.Identifier) error {
	k := idKey{c.Kind, c.Canonical}
	for id := range s.identsByValue[k] {
		if id != c.ID && s.idents[id].UserID == c.UserID {
			return conflict("user %q already holds %s %q", c.UserID, c.Kind, c.Value)
		}
	}
	if id, ok := s.verified[k]; ok && c.Verified() && id != c.ID {
		return conflict("%s %q is verified by another identifier", c.Kind, c.Value)
	}
	return nil
}

func (s *state) putIdent(c *storage.Identifier) {
	if old := s.idents[c.ID]; old != nil {
		s.dropIdent(old)
	}
	k := idKey{c.Kind, c.Canonical}
	put(s, s.idents, c.ID, c)
	link(s, s.identsByUser, c.UserID, c.ID)
	link(s, s.identsByValue, k, c.ID)
	if c.Verified() {
		put(s, s.verified, k, c.ID)
	}
}

func (s *state) dropIdent(i *storage.Identifier) {
	k := idKey{i.Kind, i.Canonical}
	if s.verified[k] == i.ID {
		drop(s, s.verified, k)
	}
	unlink(s, s.identsByValue, k, i.ID)
	unlink(s, s.identsByUser, i.UserID, i.ID)
	drop(s, s.idents, i.ID)
}

// GetIdentifier implements [storage.IdentifierStore].
func (s *Store) GetIdentifier(_ context.Context, id string) (*storage.Identifier, error) {
	defer s.read().release()
	if i, ok := s.idents[id]; ok {
		return cloneIdent(i), nil
	}
	return nil, notFound("identifier", id)
}

// FindIdentifier implements [storage.IdentifierStore].
func (s *Store) FindIdentifier(_ context.Context, kind storage.IdentifierKind, value string) (*storage.Identifier, error) {
	defer s.read().release()
	if id, ok := s.verified[idKey{kind, storage.Canonical(kind, value)}]; ok {
		return cloneIdent(s.idents[id]), nil
	}
	return nil, notFound("verified "+string(kind), value)
}

// ListIdentifiers implements [storage.IdentifierStore].
func (s *Store) ListIdentifiers(_ context.Context, userID string) ([]*storage.Identifier, error) {
	defer s.read().release()
	return list(s.idents, s.identsByUser[userID], cloneIdent), nil
}

// UpdateIdentifier implements [storage.IdentifierStore].
func (s *Store) UpdateIdentifier(_ context.Context, i *storage.Identifier) error {
	defer s.write().release()
	old, ok := s.idents[i.ID]
	if !ok {
		return notFound("identifier", i.ID)
	}
	c := cloneIdent(old)
	c.Value, c.VerifiedAt, c.VerifiedBy, c.UpdatedAt = i.Value, i.VerifiedAt.UTC(), i.VerifiedBy, i.UpdatedAt.UTC()
	c.Canonical = storage.Canonical(c.Kind, c.Value)
	if err := s.checkIdent(c); err != nil {
		return err
	}
	s.putIdent(c)
	i.Canonical = c.Canonical
	return nil
}

// SetIdentifierSecondFactor implements [storage.IdentifierStore].
func (s *Store) SetIdentifierSecondFactor(_ context.Context, id string, on bool, at time.Time) error {
	defer s.write().release()
	old, ok := s.idents[id]
	if !ok {
		return notFound("identifier", id)
	}
	c := cloneIdent(old)
	c.SecondFactor, c.UpdatedAt = on, at.UTC()
	s.putIdent(c)
	return nil
}

// DeleteIdentifier implements [storage.IdentifierStore].
func (s *Store) DeleteIdentifier(_ context.Context, id string) error {
	defer s.write().release()
	i, ok := s.idents[id]
	if !ok {
		return notFound("identifier", id)
	}
	s.dropIdent(i)
	return nil
}

// External accounts.

// CreateExternalAccount implements [storage.ExternalAccountStore].
func (s *Store) CreateExternalAccount(_ context.Context, a *storage.ExternalAccount) error {
	defer s.write().release()
	if err := validJSON(a.PublicMetadata); err != nil {
		return err
	}
	if _, ok := s.extAccounts[a.ID]; ok {
		return conflict("external account %q: ID taken", a.ID)
	}
	if _, ok := s.users[a.UserID]; !ok {
		return notFound("user", a.UserID)
	}
	if _, ok := s.extBySubject[[2]string{a.Issuer, a.Subject}]; ok {
		return conflict("external account (%q, %q) already linked", a.Issuer, a.Subject)
	}
	c := cloneExt(a)
	put(s.state, s.extAccounts, c.ID, c)
	put(s.state, s.extBySubject, [2]string{c.Issuer, c.Subject}, c.ID)
	link(s.state, s.extByUser, c.UserID, c.ID)
	return nil
}

func (s *state) dropExt(a *storage.ExternalAccount) {
	drop(s, s.extBySubject, [2]string{a.Issuer, a.Subject})
	unlink(s, s.extByUser, a.UserID, a.ID)
	drop(s, s.extAccounts, a.ID)
}

// GetExternalAccount implements [storage.ConnectedAccountStore].
func (s *Store) GetExternalAccount(_ context.Context, id string) (*storage.ExternalAccount, error) {
	defer s.read().release()
	if a, ok := s.extAccounts[id]; ok {
		return cloneExt(a), nil
	}
	return nil, notFound("external account", id)
}

// FindExternalAccount implements [storage.ExternalAccountStore].
func (s *Store) FindExternalAccount(ctx context.Context, issuer, subject string) (*storage.ExternalAccount, error) {
	defer s.read().release()
	if id, ok := s.extBySubject[[2]string{issuer, subject}]; ok {
		return cloneExt(s.extAccounts[id]), nil
	}
	return nil, notFound("external account", issuer+" "+subject)
}

// ListExternalAccounts implements [storage.ConnectedAccountStore].
func (s *Store) ListExternalAccounts(_ context.Context, userID string) ([]*storage.ExternalAccount, error) {
	defer s.read().release()
	return list(s.extAccounts, s.extByUser[userID], cloneExt), nil
}

// UpdateExternalAccount implements [storage.ConnectedAccountStore].
func (s *Store) UpdateExternalAccount(_ context.Context, a *storage.ExternalAccount) error {
	defer s.write().release()
	if err := validJSON(a.PublicMetadata); err != nil {
		return err
	}
	old, ok := s.extAccounts[a.ID]
	if !ok {
		return notFound("external account", a.ID)
	}
	c := cloneExt(a)
	c.UserID, c.Issuer, c.Subject, c.CreatedAt = old.UserID, old.Issuer, old.Subject, old.CreatedAt
	put(s.state, s.extAccounts, c.ID, c)
	return nil
}

// DeleteExternalAccount implements [storage.ConnectedAccountStore].
func (s *Store) DeleteExternalAccount(_ context.Context, id string) error {
	defer s.write().release()
	a, ok := s.extAccounts[id]
	if !ok {
		return notFound("external account", id)
	}
	s.dropExt(a)
	return nil
}

// Credentials.

// CreateCredential implements [storage.CredentialStore].
func (s *Store) CreateCredential(_ context.Context, c *storage.Credential) error {
	defer s.write().release()
	if _, ok := s.creds[c.ID]; ok {
		return conflict("credential %q: ID taken", c.ID)
	}
	if _, ok := s.users[c.UserID]; !ok {
		return notFound("user", c.UserID)
	}
	if _, ok := s.credByCredID[string(c.CredentialID)]; ok {
		return conflict("credential ID %x already registered", c.CredentialID)
	}
	n := cloneCred(c)
	put(s.state, s.creds, n.ID, n)
	put(s.state, s.credByCredID, string(n.CredentialID), n.ID)
	link(s.state, s.credsByUser, n.UserID, n.ID)
	return nil
}

func (s *state) dropCred(c *storage.Credential) {
	drop(s, s.credByCredID, string(c.CredentialID))
	unlink(s, s.credsByUser, c.UserID, c.ID)
	drop(s, s.creds, c.ID)
}

// GetCredential implements [storage.CredentialStore].
func (s *Store) GetCredential(_ context.Context, id string) (*storage.Credential, error) {
	defer s.read().release()
	if c, ok := s.creds[id]; ok {
		return cloneCred(c), nil
	}
	return nil, notFound("credential", id)
}

// FindCredential implements [storage.CredentialStore].
func (s *Store) FindCredential(ctx context.Context, credentialID []byte) (*storage.Credential, error) {
	defer s.read().release()
	if id, ok := s.credByCredID[string(credentialID)]; ok {
		return cloneCred(s.creds[id]), nil
	}
	return nil, notFound("credential with credential ID", string(credentialID))
}

// ListCredentials implements [storage.CredentialStore].
func (s *Store) ListCredentials(_ context.Context, userID string) ([]*storage.Credential, error) {
	defer s.read().release()
	return list(s.creds, s.credsByUser[userID], cloneCred), nil
}

// RenameCredential implements [storage.CredentialStore].
func (s *Store) RenameCredential(_ context.Context, id, name string, at time.Time) error {
	defer s.write().release()
	old, ok := s.creds[id]
	if !ok {
		return notFound("credential", id)
	}
	n := cloneCred(old)
	n.Name, n.UpdatedAt = name, at.UTC()
	put(s.state, s.creds, n.ID, n)
	return nil
}

// RecordCredentialUse implements [storage.CredentialStore].
func (s *Store) RecordCredentialUse(_ context.Context, id string, signCount uint32, backupState bool, at time.Time) error {
	defer s.write().release()
	old, ok := s.creds[id]
	switch {
	case !ok:
		return notFound("credential", id)
	case signCount <= old.SignCount && (signCount != 0 || old.SignCount != 0):
		return consumed("signature count of credential", id)
	}
	n := cloneCred(old)
	n.SignCount, n.BackupState, n.LastUsedAt, n.UpdatedAt = signCount, backupState, at.UTC(), at.UTC()
	put(s.state, s.creds, n.ID, n)
	return nil
}

// DeleteCredential implements [storage.CredentialStore].
func (s *Store) DeleteCredential(_ context.Context, id string) error {
	defer s.write().release()
	c, ok := s.creds[id]
	if !ok {
		return notFound("credential", id)
	}
	s.dropCred(c)
	return nil
}

// Factors.

// PutTOTPSecret implements [storage.FactorStore].
func (s *Store) PutTOTPSecret(_ context.Context, t *storage.TOTPSecret) error {
	defer s.write().release()
	if _, ok := s.users[t.UserID]; !ok {
		return notFound("user", t.UserID)
	}
	put(s.state, s.totp, t.UserID, cloneTOTP(t))
	return nil
}

// GetTOTPSecret implements [storage.FactorStore].
func (s *Store) GetTOTPSecret(_ context.Context, userID string) (*storage.TOTPSecret, error) {
	defer s.read().release()
	if t, ok := s.totp[userID]; ok {
		return cloneTOTP(t), nil
	}
	return nil, notFound("TOTP secret of user", userID)
}

// VerifyTOTPSecret implements [storage.FactorStore].
func (s *Store) VerifyTOTPSecret(_ context.Context, userID string, step int64, at time.Time) error {
	defer s.write().release()
	return s.advanceTOTP(userID, step, at, true)
}

// AdvanceTOTPStep implements [storage.FactorStore].
func (s *Store) AdvanceTOTPStep(_ context.Context, userID string, step int64, at time.Time) error {
	defer s.write().release()
	return s.advanceTOTP(userID, step, at, false)
}

func (s *state) advanceTOTP(userID string, step int64, at time.Time, verify bool) error {
	old, ok := s.totp[userID]
	switch {
	case !ok:
		return notFound("TOTP secret of user", userID)
	case step <= old.LastUsedStep:
		return consumed("TOTP step of user", userID)
	}
	c := cloneTOTP(old)
	c.LastUsedStep, c.UpdatedAt = step, at.UTC()
	if verify {
		c.VerifiedAt = at.UTC()
	}
	put(s, s.totp, userID, c)
	return nil
}

// DeleteTOTPSecret implements [storage.FactorStore].
func (s *Store) DeleteTOTPSecret(_ context.Context, userID string) error {
	defer s.write().release()
	if _, ok := s.totp[userID]; !ok {
		return notFound("TOTP secret of user", userID)
	}
	drop(s.state, s.totp, userID)
	return nil
}

// ReplaceBackupCodes implements [storage.FactorStore].
func (s *Store) ReplaceBackupCodes(_ context.Context, userID string, codes []*storage.BackupCode) error {
	defer s.write().release()
	if _, ok := s.users[userID]; !ok {
		return notFound("user", userID)
	}
	stored := make([]*storage.BackupCode, 0, len(codes))
	hashes, ids := map[string]bool{}, map[string]bool{}
	for _, b := range codes {
		if hashes[string(b.CodeHash)] || ids[b.ID] {
			return conflict("backup codes of user %q: duplicate code or ID", userID)
		}
		hashes[string(b.CodeHash)], ids[b.ID] = true, true
		c := cloneBackup(b)
		c.UserID = userID
		stored = append(stored, c)
	}
	put(s.state, s.backup, userID, stored)
	return nil
}

// ListBackupCodes implements [storage.FactorStore].
func (s *Store) ListBackupCodes(_ context.Context, userID string) ([]*storage.BackupCode, error) {
	defer s.read().release()
	codes := s.backup[userID]
	out := make([]*storage.BackupCode, len(codes))
	for i, b := range codes {
		out[i] = cloneBackup(b)
	}
	return out, nil
}

// ConsumeBackupCode implements [storage.FactorStore].
func (s *Store) ConsumeBackupCode(_ context.Context, userID string, codeHash []byte, at time.Time) error {
	defer s.write().release()
	codes := s.backup[userID]
	for i, b := range codes {
		if !bytes.Equal(b.CodeHash, codeHash) {
			continue
		}
		if !b.UsedAt.IsZero() {
			return consumed("backup code of user", userID)
		}
		c := cloneBackup(b)
		c.UsedAt = at.UTC()
		next := append([]*storage.BackupCode(nil), codes...)
		next[i] = c
		put(s.state, s.backup, userID, next)
		return nil
	}
	return notFound("backup code of user", userID)
}
