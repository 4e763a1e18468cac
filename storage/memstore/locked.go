package memstore

// The public methods of Store: each locks the store (reads share the lock,
// writes hold it alone) and calls the state method of the same name.

import (
	"context"
	"time"

	"github.com/latchauth/latch/storage"
)

// CreateUser implements [storage.UserStore].
func (s *Store) CreateUser(ctx context.Context, u *storage.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateUser(ctx, u)
}

// GetUser implements [storage.UserStore].
func (s *Store) GetUser(ctx context.Context, id string) (*storage.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetUser(ctx, id)
}

// GetUserByUsername implements [storage.UserStore].
func (s *Store) GetUserByUsername(ctx context.Context, username string) (*storage.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetUserByUsername(ctx, username)
}

// GetUserByIdentifier implements [storage.UserStore].
func (s *Store) GetUserByIdentifier(ctx context.Context, kind storage.IdentifierKind, value string) (*storage.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetUserByIdentifier(ctx, kind, value)
}

// UpdateUser implements [storage.UserStore].
func (s *Store) UpdateUser(ctx context.Context, u *storage.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateUser(ctx, u)
}

// RecordFailedSignIn implements [storage.UserStore].
func (s *Store) RecordFailedSignIn(ctx context.Context, id string, lockUntil time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.RecordFailedSignIn(ctx, id, lockUntil)
}

// DeleteUser implements [storage.UserStore].
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteUser(ctx, id)
}

// ListUsers implements [storage.UserStore].
func (s *Store) ListUsers(ctx context.Context, f storage.UserFilter, p storage.Page) ([]*storage.User, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListUsers(ctx, f, p)
}

// CountUsers implements [storage.UserStore].
func (s *Store) CountUsers(ctx context.Context, f storage.UserFilter) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.CountUsers(ctx, f)
}

// CreateIdentifier implements [storage.IdentifierStore].
func (s *Store) CreateIdentifier(ctx context.Context, i *storage.Identifier) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateIdentifier(ctx, i)
}

// GetIdentifier implements [storage.IdentifierStore].
func (s *Store) GetIdentifier(ctx context.Context, id string) (*storage.Identifier, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetIdentifier(ctx, id)
}

// FindIdentifier implements [storage.IdentifierStore].
func (s *Store) FindIdentifier(ctx context.Context, kind storage.IdentifierKind, value string) (*storage.Identifier, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.FindIdentifier(ctx, kind, value)
}

// ListIdentifiers implements [storage.IdentifierStore].
func (s *Store) ListIdentifiers(ctx context.Context, userID string) ([]*storage.Identifier, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListIdentifiers(ctx, userID)
}

// UpdateIdentifier implements [storage.IdentifierStore].
func (s *Store) UpdateIdentifier(ctx context.Context, i *storage.Identifier) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateIdentifier(ctx, i)
}

// DeleteIdentifier implements [storage.IdentifierStore].
func (s *Store) DeleteIdentifier(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteIdentifier(ctx, id)
}

// SetIdentifierSecondFactor implements [storage.IdentifierStore].
func (s *Store) SetIdentifierSecondFactor(ctx context.Context, id string, on bool, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.SetIdentifierSecondFactor(ctx, id, on, at)
}

// CreateExternalAccount implements [storage.ExternalAccountStore].
func (s *Store) CreateExternalAccount(ctx context.Context, a *storage.ExternalAccount) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateExternalAccount(ctx, a)
}

// GetExternalAccount implements [storage.ExternalAccountStore].
func (s *Store) GetExternalAccount(ctx context.Context, id string) (*storage.ExternalAccount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetExternalAccount(ctx, id)
}

// FindExternalAccount implements [storage.ExternalAccountStore].
func (s *Store) FindExternalAccount(ctx context.Context, issuer string, subject string) (*storage.ExternalAccount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.FindExternalAccount(ctx, issuer, subject)
}

// ListExternalAccounts implements [storage.ExternalAccountStore].
func (s *Store) ListExternalAccounts(ctx context.Context, userID string) ([]*storage.ExternalAccount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListExternalAccounts(ctx, userID)
}

// UpdateExternalAccount implements [storage.ExternalAccountStore].
func (s *Store) UpdateExternalAccount(ctx context.Context, a *storage.ExternalAccount) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateExternalAccount(ctx, a)
}

// DeleteExternalAccount implements [storage.ExternalAccountStore].
func (s *Store) DeleteExternalAccount(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteExternalAccount(ctx, id)
}

// CreateCredential implements [storage.CredentialStore].
func (s *Store) CreateCredential(ctx context.Context, c *storage.Credential) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateCredential(ctx, c)
}

// GetCredential implements [storage.CredentialStore].
func (s *Store) GetCredential(ctx context.Context, id string) (*storage.Credential, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetCredential(ctx, id)
}

// FindCredential implements [storage.CredentialStore].
func (s *Store) FindCredential(ctx context.Context, credentialID []byte) (*storage.Credential, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.FindCredential(ctx, credentialID)
}

// ListCredentials implements [storage.CredentialStore].
func (s *Store) ListCredentials(ctx context.Context, userID string) ([]*storage.Credential, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListCredentials(ctx, userID)
}

// RenameCredential implements [storage.CredentialStore].
func (s *Store) RenameCredential(ctx context.Context, id, name string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.RenameCredential(ctx, id, name, at)
}

// RecordCredentialUse implements [storage.CredentialStore].
func (s *Store) RecordCredentialUse(ctx context.Context, id string, signCount uint32, backupState bool, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.RecordCredentialUse(ctx, id, signCount, backupState, at)
}

// DeleteCredential implements [storage.CredentialStore].
func (s *Store) DeleteCredential(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteCredential(ctx, id)
}

// PutTOTPSecret implements [storage.FactorStore].
func (s *Store) PutTOTPSecret(ctx context.Context, x *storage.TOTPSecret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.PutTOTPSecret(ctx, x)
}

// GetTOTPSecret implements [storage.FactorStore].
func (s *Store) GetTOTPSecret(ctx context.Context, userID string) (*storage.TOTPSecret, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetTOTPSecret(ctx, userID)
}

// VerifyTOTPSecret implements [storage.FactorStore].
func (s *Store) VerifyTOTPSecret(ctx context.Context, userID string, step int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.VerifyTOTPSecret(ctx, userID, step, at)
}

// AdvanceTOTPStep implements [storage.FactorStore].
func (s *Store) AdvanceTOTPStep(ctx context.Context, userID string, step int64, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.AdvanceTOTPStep(ctx, userID, step, at)
}

// DeleteTOTPSecret implements [storage.FactorStore].
func (s *Store) DeleteTOTPSecret(ctx context.Context, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteTOTPSecret(ctx, userID)
}

// ReplaceBackupCodes implements [storage.FactorStore].
func (s *Store) ReplaceBackupCodes(ctx context.Context, userID string, codes []*storage.BackupCode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.ReplaceBackupCodes(ctx, userID, codes)
}

// ListBackupCodes implements [storage.FactorStore].
func (s *Store) ListBackupCodes(ctx context.Context, userID string) ([]*storage.BackupCode, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListBackupCodes(ctx, userID)
}

// ConsumeBackupCode implements [storage.FactorStore].
func (s *Store) ConsumeBackupCode(ctx context.Context, userID string, codeHash []byte, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.ConsumeBackupCode(ctx, userID, codeHash, at)
}

// CreateClient implements [storage.ClientStore].
func (s *Store) CreateClient(ctx context.Context, c *storage.Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateClient(ctx, c)
}

// GetClient implements [storage.ClientStore].
func (s *Store) GetClient(ctx context.Context, id string) (*storage.Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetClient(ctx, id)
}

// GetClientSession implements [storage.ClientStore].
func (s *Store) GetClientSession(ctx context.Context, clientID, sessionID string) (*storage.Client, *storage.Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetClientSession(ctx, clientID, sessionID)
}

// UpdateClient implements [storage.ClientStore].
func (s *Store) UpdateClient(ctx context.Context, c *storage.Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateClient(ctx, c)
}

// DeleteClient implements [storage.ClientStore].
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteClient(ctx, id)
}

// CreateSession implements [storage.SessionStore].
func (s *Store) CreateSession(ctx context.Context, x *storage.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateSession(ctx, x)
}

// GetSession implements [storage.SessionStore].
func (s *Store) GetSession(ctx context.Context, id string) (*storage.Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetSession(ctx, id)
}

// UpdateSession implements [storage.SessionStore].
func (s *Store) UpdateSession(ctx context.Context, x *storage.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateSession(ctx, x)
}

// TouchSession implements [storage.SessionStore].
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.TouchSession(ctx, id, at)
}

// ListSessions implements [storage.SessionStore].
func (s *Store) ListSessions(ctx context.Context, f storage.SessionFilter, p storage.Page) ([]*storage.Session, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListSessions(ctx, f, p)
}

// EndSessions implements [storage.SessionStore].
func (s *Store) EndSessions(ctx context.Context, f storage.SessionFilter, status string, at time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.EndSessions(ctx, f, status, at)
}

// CreateVerification implements [storage.VerificationStore].
func (s *Store) CreateVerification(ctx context.Context, v *storage.Verification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateVerification(ctx, v)
}

// GetVerification implements [storage.VerificationStore].
func (s *Store) GetVerification(ctx context.Context, id string) (*storage.Verification, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetVerification(ctx, id)
}

// RecordVerificationAttempt implements [storage.VerificationStore].
func (s *Store) RecordVerificationAttempt(ctx context.Context, id string, at time.Time) (*storage.Verification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.RecordVerificationAttempt(ctx, id, at)
}

// ConsumeVerification implements [storage.VerificationStore].
func (s *Store) ConsumeVerification(ctx context.Context, id string, at time.Time) (*storage.Verification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.ConsumeVerification(ctx, id, at)
}

// RevokeVerifications implements [storage.VerificationStore].
func (s *Store) RevokeVerifications(ctx context.Context, f storage.VerificationFilter, at time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.RevokeVerifications(ctx, f, at)
}

// DeleteExpiredVerifications implements [storage.VerificationStore].
func (s *Store) DeleteExpiredVerifications(ctx context.Context, before time.Time, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteExpiredVerifications(ctx, before, limit)
}

// CreateFlow implements [storage.FlowStore].
func (s *Store) CreateFlow(ctx context.Context, f *storage.Flow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateFlow(ctx, f)
}

// GetFlow implements [storage.FlowStore].
func (s *Store) GetFlow(ctx context.Context, id string) (*storage.Flow, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetFlow(ctx, id)
}

// UpdateFlow implements [storage.FlowStore].
func (s *Store) UpdateFlow(ctx context.Context, f *storage.Flow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateFlow(ctx, f)
}

// DeleteFlow implements [storage.FlowStore].
func (s *Store) DeleteFlow(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteFlow(ctx, id)
}

// DeleteExpiredFlows implements [storage.FlowStore].
func (s *Store) DeleteExpiredFlows(ctx context.Context, before time.Time, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteExpiredFlows(ctx, before, limit)
}

// CreateSigningKey implements [storage.SigningKeyStore].
func (s *Store) CreateSigningKey(ctx context.Context, k *storage.SigningKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateSigningKey(ctx, k)
}

// ListSigningKeys implements [storage.SigningKeyStore].
func (s *Store) ListSigningKeys(ctx context.Context) ([]*storage.SigningKey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListSigningKeys(ctx)
}

// UpdateSigningKey implements [storage.SigningKeyStore].
func (s *Store) UpdateSigningKey(ctx context.Context, k *storage.SigningKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateSigningKey(ctx, k)
}

// DeleteSigningKey implements [storage.SigningKeyStore].
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteSigningKey(ctx, id)
}

// CreateOrganization implements [storage.OrganizationStore].
func (s *Store) CreateOrganization(ctx context.Context, o *storage.Organization) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateOrganization(ctx, o)
}

// GetOrganization implements [storage.OrganizationStore].
func (s *Store) GetOrganization(ctx context.Context, id string) (*storage.Organization, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetOrganization(ctx, id)
}

// GetOrganizationBySlug implements [storage.OrganizationStore].
func (s *Store) GetOrganizationBySlug(ctx context.Context, slug string) (*storage.Organization, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetOrganizationBySlug(ctx, slug)
}

// UpdateOrganization implements [storage.OrganizationStore].
func (s *Store) UpdateOrganization(ctx context.Context, o *storage.Organization) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateOrganization(ctx, o)
}

// DeleteOrganization implements [storage.OrganizationStore].
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteOrganization(ctx, id)
}

// ListOrganizations implements [storage.OrganizationStore].
func (s *Store) ListOrganizations(ctx context.Context, query string, p storage.Page) ([]*storage.Organization, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListOrganizations(ctx, query, p)
}

// CreateMembership implements [storage.MembershipStore].
func (s *Store) CreateMembership(ctx context.Context, m *storage.Membership) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateMembership(ctx, m)
}

// GetMembership implements [storage.MembershipStore].
func (s *Store) GetMembership(ctx context.Context, orgID string, userID string) (*storage.Membership, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetMembership(ctx, orgID, userID)
}

// UpdateMembership implements [storage.MembershipStore].
func (s *Store) UpdateMembership(ctx context.Context, m *storage.Membership) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateMembership(ctx, m)
}

// DeleteMembership implements [storage.MembershipStore].
func (s *Store) DeleteMembership(ctx context.Context, orgID string, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteMembership(ctx, orgID, userID)
}

// ListMemberships implements [storage.MembershipStore].
func (s *Store) ListMemberships(ctx context.Context, f storage.MembershipFilter, p storage.Page) ([]*storage.Membership, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListMemberships(ctx, f, p)
}

// CountMemberships implements [storage.MembershipStore].
func (s *Store) CountMemberships(ctx context.Context, f storage.MembershipFilter) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.CountMemberships(ctx, f)
}

// CreateInvitation implements [storage.InvitationStore].
func (s *Store) CreateInvitation(ctx context.Context, i *storage.Invitation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateInvitation(ctx, i)
}

// GetInvitation implements [storage.InvitationStore].
func (s *Store) GetInvitation(ctx context.Context, id string) (*storage.Invitation, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetInvitation(ctx, id)
}

// ListInvitations implements [storage.InvitationStore].
func (s *Store) ListInvitations(ctx context.Context, orgID string, status string, p storage.Page) ([]*storage.Invitation, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListInvitations(ctx, orgID, status, p)
}

// TransitionInvitation implements [storage.InvitationStore].
func (s *Store) TransitionInvitation(ctx context.Context, id string, from string, to string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.TransitionInvitation(ctx, id, from, to, at)
}

// CreateDomain implements [storage.DomainStore].
func (s *Store) CreateDomain(ctx context.Context, d *storage.Domain) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateDomain(ctx, d)
}

// GetDomain implements [storage.DomainStore].
func (s *Store) GetDomain(ctx context.Context, id string) (*storage.Domain, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetDomain(ctx, id)
}

// FindDomain implements [storage.DomainStore].
func (s *Store) FindDomain(ctx context.Context, name string) (*storage.Domain, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.FindDomain(ctx, name)
}

// ListDomains implements [storage.DomainStore].
func (s *Store) ListDomains(ctx context.Context, orgID string) ([]*storage.Domain, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListDomains(ctx, orgID)
}

// UpdateDomain implements [storage.DomainStore].
func (s *Store) UpdateDomain(ctx context.Context, d *storage.Domain) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateDomain(ctx, d)
}

// DeleteDomain implements [storage.DomainStore].
func (s *Store) DeleteDomain(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteDomain(ctx, id)
}

// CreateRole implements [storage.RoleStore].
func (s *Store) CreateRole(ctx context.Context, r *storage.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.CreateRole(ctx, r)
}

// GetRole implements [storage.RoleStore].
func (s *Store) GetRole(ctx context.Context, key string) (*storage.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetRole(ctx, key)
}

// ListRoles implements [storage.RoleStore].
func (s *Store) ListRoles(ctx context.Context) ([]*storage.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListRoles(ctx)
}

// UpdateRole implements [storage.RoleStore].
func (s *Store) UpdateRole(ctx context.Context, r *storage.Role) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.UpdateRole(ctx, r)
}

// DeleteRole implements [storage.RoleStore].
func (s *Store) DeleteRole(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.DeleteRole(ctx, key)
}

// PutPlan implements [storage.BillingStore].
func (s *Store) PutPlan(ctx context.Context, p *storage.Plan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.PutPlan(ctx, p)
}

// GetPlan implements [storage.BillingStore].
func (s *Store) GetPlan(ctx context.Context, key string) (*storage.Plan, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.GetPlan(ctx, key)
}

// ListPlans implements [storage.BillingStore].
func (s *Store) ListPlans(ctx context.Context) ([]*storage.Plan, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListPlans(ctx)
}

// PutSubscription implements [storage.BillingStore].
func (s *Store) PutSubscription(ctx context.Context, x *storage.Subscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.PutSubscription(ctx, x)
}

// ListSubscriptions implements [storage.BillingStore].
func (s *Store) ListSubscriptions(ctx context.Context, payerID string) ([]*storage.Subscription, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListSubscriptions(ctx, payerID)
}

// AppendEvent implements [storage.EventStore].
func (s *Store) AppendEvent(ctx context.Context, e *storage.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.AppendEvent(ctx, e)
}

// ListEvents implements [storage.EventStore].
func (s *Store) ListEvents(ctx context.Context, afterID string, undispatchedOnly bool, limit int) ([]*storage.Event, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListEvents(ctx, afterID, undispatchedOnly, limit)
}

// ListEventsAfterSeq implements [storage.EventStore].
func (s *Store) ListEventsAfterSeq(ctx context.Context, afterSeq int64, limit int) ([]*storage.Event, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListEventsAfterSeq(ctx, afterSeq, limit)
}

// MarkEventDispatched implements [storage.EventStore].
func (s *Store) MarkEventDispatched(ctx context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.MarkEventDispatched(ctx, id, at)
}

// AcquireConsumer implements [storage.ConsumerStore].
func (s *Store) AcquireConsumer(ctx context.Context, name string, l storage.ConsumerLease) (*storage.Consumer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.AcquireConsumer(ctx, name, l)
}

// AdvanceConsumer implements [storage.ConsumerStore].
func (s *Store) AdvanceConsumer(ctx context.Context, name string, cursor int64, l storage.ConsumerLease) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.AdvanceConsumer(ctx, name, cursor, l)
}

// ReleaseConsumer implements [storage.ConsumerStore].
func (s *Store) ReleaseConsumer(ctx context.Context, name, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.ReleaseConsumer(ctx, name, owner)
}

// AppendAuditEvent implements [storage.AuditStore].
func (s *Store) AppendAuditEvent(ctx context.Context, e *storage.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.AppendAuditEvent(ctx, e)
}

// ListAuditEvents implements [storage.AuditStore].
func (s *Store) ListAuditEvents(ctx context.Context, f storage.AuditFilter, p storage.Page) ([]*storage.AuditEvent, string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.ListAuditEvents(ctx, f, p)
}
