package memstore

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

// Organizations.

// CreateOrganization implements [storage.OrganizationStore].
func (s *Store) CreateOrganization(_ context.Context, o *storage.Organization) error {
	defer s.write().release()
	if err := validJSON(o.PublicMetadata, o.PrivateMetadata); err != nil {
		return err
	}
	if _, ok := s.orgs[o.ID]; ok {
		return conflict("organization %q: ID taken", o.ID)
	}
	if err := s.checkSlug(o); err != nil {
		return err
	}
	n := cloneOrg(o)
	n.Version = 1
	s.putOrg(n)
	o.Version = 1
	return nil
}

func (s *state) checkSlug(o *storage.Organization) error {
	if id, ok := s.slugs[storage.CanonicalName(o.Slug)]; ok && id != o.ID {
		return conflict("organization slug %q taken", o.Slug)
	}
	return nil
}

func (s *state) putOrg(o *storage.Organization) {
	if old := s.orgs[o.ID]; old != nil {
		drop(s, s.slugs, storage.CanonicalName(old.Slug))
	}
	put(s, s.slugs, storage.CanonicalName(o.Slug), o.ID)
	put(s, s.orgs, o.ID, o)
}

// GetOrganization implements [storage.OrganizationStore].
func (s *Store) GetOrganization(_ context.Context, id string) (*storage.Organization, error) {
	defer s.read().release()
	if o, ok := s.orgs[id]; ok {
		return cloneOrg(o), nil
	}
	return nil, notFound("organization", id)
}

// GetOrganizationBySlug implements [storage.OrganizationStore].
func (s *Store) GetOrganizationBySlug(ctx context.Context, slug string) (*storage.Organization, error) {
	defer s.read().release()
	if id, ok := s.slugs[storage.CanonicalName(slug)]; ok {
		return cloneOrg(s.orgs[id]), nil
	}
	return nil, notFound("organization with slug", slug)
}

// UpdateOrganization implements [storage.OrganizationStore].
func (s *Store) UpdateOrganization(_ context.Context, o *storage.Organization) error {
	defer s.write().release()
	if err := validJSON(o.PublicMetadata, o.PrivateMetadata); err != nil {
		return err
	}
	old, ok := s.orgs[o.ID]
	switch {
	case !ok:
		return notFound("organization", o.ID)
	case old.Version != o.Version:
		return stale("organization", o.ID)
	}
	if err := s.checkSlug(o); err != nil {
		return err
	}
	n := cloneOrg(o)
	n.Version++
	s.putOrg(n)
	o.Version = n.Version
	return nil
}

// DeleteOrganization implements [storage.OrganizationStore].
func (s *Store) DeleteOrganization(_ context.Context, id string) error {
	defer s.write().release()
	o, ok := s.orgs[id]
	if !ok {
		return notFound("organization", id)
	}
	for mid := range maps.Clone(s.memByOrg[id]) {
		s.dropMem(s.mems[mid])
	}
	for iid := range maps.Clone(s.invByOrg[id]) {
		s.dropInv(s.invs[iid])
	}
	for did := range maps.Clone(s.domByOrg[id]) {
		s.dropDomain(s.domains[did])
	}
	for tid := range maps.Clone(s.teamByOrg[id]) {
		s.dropTeam(s.teams[tid])
	}
	for rid := range maps.Clone(s.reqByOrg[id]) {
		s.dropReq(s.reqs[rid])
	}
	drop(s.state, s.slugs, storage.CanonicalName(o.Slug))
	drop(s.state, s.orgs, id)
	return nil
}

// ListOrganizations implements [storage.OrganizationStore].
func (s *Store) ListOrganizations(_ context.Context, query string, p storage.Page) ([]*storage.Organization, string, error) {
	defer s.read().release()
	q := strings.ToLower(query)
	keep := func(o *storage.Organization) bool {
		return strings.Contains(strings.ToLower(o.Name), q) || strings.Contains(strings.ToLower(o.Slug), q) ||
			strings.Contains(strings.ToLower(o.ID), q)
	}
	out, next := page(s.orgs, maps.Keys(s.orgs), keep, cloneOrg, p)
	return out, next, nil
}

// Memberships.

// CreateMembership implements [storage.MembershipStore].
func (s *Store) CreateMembership(_ context.Context, m *storage.Membership) error {
	defer s.write().release()
	if err := validJSON(m.PublicMetadata, m.PrivateMetadata); err != nil {
		return err
	}
	if _, ok := s.orgs[m.OrganizationID]; !ok {
		return notFound("organization", m.OrganizationID)
	}
	if _, ok := s.users[m.UserID]; !ok {
		return notFound("user", m.UserID)
	}
	if _, ok := s.mems[m.ID]; ok {
		return conflict("membership %q: ID taken", m.ID)
	}
	if _, ok := s.memByPair[[2]string{m.OrganizationID, m.UserID}]; ok {
		return conflict("user %q is already a member of %q", m.UserID, m.OrganizationID)
	}
	n := cloneMem(m)
	put(s.state, s.mems, n.ID, n)
	put(s.state, s.memByPair, [2]string{n.OrganizationID, n.UserID}, n.ID)
	link(s.state, s.memByOrg, n.OrganizationID, n.ID)
	link(s.state, s.memByUser, n.UserID, n.ID)
	return nil
}

func (s *state) dropMem(m *storage.Membership) {
	for tid := range maps.Clone(s.tmByUser[m.UserID]) {
		if t := s.teams[tid]; t != nil && t.OrganizationID == m.OrganizationID {
			s.dropTeamMember(tid, m.UserID)
		}
	}
	drop(s, s.memByPair, [2]string{m.OrganizationID, m.UserID})
	unlink(s, s.memByOrg, m.OrganizationID, m.ID)
	unlink(s, s.memByUser, m.UserID, m.ID)
	drop(s, s.mems, m.ID)
}

func (s *state) membership(orgID, userID string) (*storage.Membership, error) {
	if id, ok := s.memByPair[[2]string{orgID, userID}]; ok {
		return s.mems[id], nil
	}
	return nil, notFound("membership in "+orgID+" of user", userID)
}

// GetMembership implements [storage.MembershipStore].
func (s *Store) GetMembership(_ context.Context, orgID, userID string) (*storage.Membership, error) {
	defer s.read().release()
	m, err := s.membership(orgID, userID)
	if err != nil {
		return nil, err
	}
	return cloneMem(m), nil
}

// UpdateMembership implements [storage.MembershipStore].
func (s *Store) UpdateMembership(_ context.Context, m *storage.Membership) error {
	defer s.write().release()
	if err := validJSON(m.PublicMetadata, m.PrivateMetadata); err != nil {
		return err
	}
	old, err := s.membership(m.OrganizationID, m.UserID)
	if err != nil {
		return err
	}
	n := cloneMem(old)
	n.Role, n.PublicMetadata, n.PrivateMetadata = m.Role, js(m.PublicMetadata), js(m.PrivateMetadata)
	n.UpdatedAt = m.UpdatedAt.UTC()
	put(s.state, s.mems, n.ID, n)
	return nil
}

// DeleteMembership implements [storage.MembershipStore].
func (s *Store) DeleteMembership(_ context.Context, orgID, userID string) error {
	defer s.write().release()
	m, err := s.membership(orgID, userID)
	if err != nil {
		return err
	}
	s.dropMem(m)
	return nil
}

func (s *state) memberships(f storage.MembershipFilter) (func(func(string) bool), func(*storage.Membership) bool) {
	ids := maps.Keys(s.mems)
	switch {
	case f.OrganizationID != "":
		ids = maps.Keys(s.memByOrg[f.OrganizationID])
	case f.UserID != "":
		ids = maps.Keys(s.memByUser[f.UserID])
	}
	return ids, func(m *storage.Membership) bool {
		return (f.OrganizationID == "" || m.OrganizationID == f.OrganizationID) &&
			(f.UserID == "" || m.UserID == f.UserID) && (f.Role == "" || m.Role == f.Role)
	}
}

// ListMemberships implements [storage.MembershipStore].
func (s *Store) ListMemberships(_ context.Context, f storage.MembershipFilter, p storage.Page) ([]*storage.Membership, string, error) {
	defer s.read().release()
	ids, keep := s.memberships(f)
	out, next := page(s.mems, ids, keep, cloneMem, p)
	return out, next, nil
}

// CountMemberships implements [storage.MembershipStore].
func (s *Store) CountMemberships(_ context.Context, f storage.MembershipFilter) (int, error) {
	defer s.read().release()
	n := 0
	ids, keep := s.memberships(f)
	for id := range ids {
		if keep(s.mems[id]) {
			n++
		}
	}
	return n, nil
}

// Invitations.

// CreateInvitation implements [storage.InvitationStore].
func (s *Store) CreateInvitation(_ context.Context, i *storage.Invitation) error {
	defer s.write().release()
	if err := validJSON(i.PublicMetadata); err != nil {
		return err
	}
	if _, ok := s.invs[i.ID]; ok {
		return conflict("invitation %q: ID taken", i.ID)
	}
	if _, ok := s.orgs[i.OrganizationID]; !ok && i.OrganizationID != "" {
		return notFound("organization", i.OrganizationID)
	}
	n := cloneInv(i)
	put(s.state, s.invs, n.ID, n)
	link(s.state, s.invByOrg, n.OrganizationID, n.ID)
	if n.OrganizationID != "" {
		link(s.state, s.invByEmail, storage.CanonicalName(n.EmailAddress), n.ID)
	}
	return nil
}

func (s *state) dropInv(i *storage.Invitation) {
	unlink(s, s.invByOrg, i.OrganizationID, i.ID)
	if i.OrganizationID != "" {
		unlink(s, s.invByEmail, storage.CanonicalName(i.EmailAddress), i.ID)
	}
	drop(s, s.invs, i.ID)
}

// ListInvitationsForEmail implements [storage.OrganizationInvitationStore].
func (s *Store) ListInvitationsForEmail(_ context.Context, email, status string, p storage.Page) ([]*storage.Invitation, string, error) {
	defer s.read().release()
	keep := func(i *storage.Invitation) bool {
		return i.OrganizationID != "" && (status == "" || i.Status == status)
	}
	out, next := page(s.invs, maps.Keys(s.invByEmail[storage.CanonicalName(email)]), keep, cloneInv, p)
	return out, next, nil
}

// GetInvitation implements [storage.InvitationStore].
func (s *Store) GetInvitation(_ context.Context, id string) (*storage.Invitation, error) {
	defer s.read().release()
	if i, ok := s.invs[id]; ok {
		return cloneInv(i), nil
	}
	return nil, notFound("invitation", id)
}

// ListInvitations implements [storage.InvitationStore].
func (s *Store) ListInvitations(_ context.Context, orgID, status string, p storage.Page) ([]*storage.Invitation, string, error) {
	defer s.read().release()
	keep := func(i *storage.Invitation) bool { return status == "" || i.Status == status }
	out, next := page(s.invs, maps.Keys(s.invByOrg[orgID]), keep, cloneInv, p)
	return out, next, nil
}

// TransitionInvitation implements [storage.InvitationStore].
func (s *Store) TransitionInvitation(_ context.Context, id, from, to string, at time.Time) error {
	defer s.write().release()
	old, ok := s.invs[id]
	switch {
	case !ok:
		return notFound("invitation", id)
	case old.Status != from:
		return consumed("invitation (status "+old.Status+")", id)
	}
	n := cloneInv(old)
	n.Status, n.UpdatedAt = to, at.UTC()
	put(s.state, s.invs, id, n)
	return nil
}

// Domains.

// CreateDomain implements [storage.DomainStore].
func (s *Store) CreateDomain(_ context.Context, d *storage.Domain) error {
	defer s.write().release()
	if _, ok := s.domains[d.ID]; ok {
		return conflict("domain %q: ID taken", d.ID)
	}
	if _, ok := s.orgs[d.OrganizationID]; !ok {
		return notFound("organization", d.OrganizationID)
	}
	n := cloneDomain(d)
	if err := s.checkDomain(n); err != nil {
		return err
	}
	s.putDomain(n)
	return nil
}

func (s *state) checkDomain(d *storage.Domain) error {
	if id, ok := s.domVerified[storage.CanonicalName(d.Name)]; ok && id != d.ID && !d.VerifiedAt.IsZero() {
		return conflict("domain %q is verified by another organization", d.Name)
	}
	return nil
}

func (s *state) putDomain(d *storage.Domain) {
	if old := s.domains[d.ID]; old != nil {
		s.dropDomain(old)
	}
	put(s, s.domains, d.ID, d)
	link(s, s.domByOrg, d.OrganizationID, d.ID)
	if !d.VerifiedAt.IsZero() {
		put(s, s.domVerified, storage.CanonicalName(d.Name), d.ID)
	}
}

func (s *state) dropDomain(d *storage.Domain) {
	if k := storage.CanonicalName(d.Name); s.domVerified[k] == d.ID {
		drop(s, s.domVerified, k)
	}
	unlink(s, s.domByOrg, d.OrganizationID, d.ID)
	drop(s, s.domains, d.ID)
}

// GetDomain implements [storage.DomainStore].
func (s *Store) GetDomain(_ context.Context, id string) (*storage.Domain, error) {
	defer s.read().release()
	if d, ok := s.domains[id]; ok {
		return cloneDomain(d), nil
	}
	return nil, notFound("domain", id)
}

// FindDomain implements [storage.DomainStore].
func (s *Store) FindDomain(ctx context.Context, name string) (*storage.Domain, error) {
	defer s.read().release()
	if id, ok := s.domVerified[storage.CanonicalName(name)]; ok {
		return cloneDomain(s.domains[id]), nil
	}
	return nil, notFound("verified domain", name)
}

// ListDomains implements [storage.DomainStore].
func (s *Store) ListDomains(_ context.Context, orgID string) ([]*storage.Domain, error) {
	defer s.read().release()
	return list(s.domains, s.domByOrg[orgID], cloneDomain), nil
}

// UpdateDomain implements [storage.DomainStore].
func (s *Store) UpdateDomain(_ context.Context, d *storage.Domain) error {
	defer s.write().release()
	old, ok := s.domains[d.ID]
	if !ok {
		return notFound("domain", d.ID)
	}
	n := cloneDomain(old)
	n.EnrollmentMode, n.VerifiedAt, n.UpdatedAt = d.EnrollmentMode, d.VerifiedAt.UTC(), d.UpdatedAt.UTC()
	n.IncludeSubdomains, n.AffiliationEmail = d.IncludeSubdomains, d.AffiliationEmail
	if err := s.checkDomain(n); err != nil {
		return err
	}
	s.putDomain(n)
	return nil
}

// DeleteDomain implements [storage.DomainStore].
func (s *Store) DeleteDomain(_ context.Context, id string) error {
	defer s.write().release()
	d, ok := s.domains[id]
	if !ok {
		return notFound("domain", id)
	}
	s.dropDomain(d)
	return nil
}

// Roles.

// CreateRole implements [storage.RoleStore].
func (s *Store) CreateRole(_ context.Context, r *storage.Role) error {
	defer s.write().release()
	if _, ok := s.roleIDs[r.ID]; ok {
		return conflict("role %q: ID taken", r.ID)
	}
	if _, ok := s.roles[r.Key]; ok {
		return conflict("role key %q taken", r.Key)
	}
	put(s.state, s.roles, r.Key, cloneRole(r))
	put(s.state, s.roleIDs, r.ID, r.Key)
	return nil
}

// GetRole implements [storage.RoleStore].
func (s *Store) GetRole(_ context.Context, key string) (*storage.Role, error) {
	defer s.read().release()
	if r, ok := s.roles[key]; ok {
		return cloneRole(r), nil
	}
	return nil, notFound("role", key)
}

// ListRoles implements [storage.RoleStore].
func (s *Store) ListRoles(_ context.Context) ([]*storage.Role, error) {
	defer s.read().release()
	out := make([]*storage.Role, 0, len(s.roles))
	for _, id := range slices.Sorted(maps.Keys(s.roleIDs)) {
		out = append(out, cloneRole(s.roles[s.roleIDs[id]]))
	}
	return out, nil
}

// UpdateRole implements [storage.RoleStore].
func (s *Store) UpdateRole(_ context.Context, r *storage.Role) error {
	defer s.write().release()
	old, ok := s.roles[r.Key]
	if !ok {
		return notFound("role", r.Key)
	}
	n := cloneRole(old)
	n.Name, n.Description, n.Permissions, n.UpdatedAt = r.Name, r.Description, ss(r.Permissions), r.UpdatedAt.UTC()
	put(s.state, s.roles, r.Key, n)
	return nil
}

// DeleteRole implements [storage.RoleStore].
func (s *Store) DeleteRole(_ context.Context, key string) error {
	defer s.write().release()
	r, ok := s.roles[key]
	if !ok {
		return notFound("role", key)
	}
	drop(s.state, s.roleIDs, r.ID)
	drop(s.state, s.roles, key)
	return nil
}

// Billing.

// PutPlan implements [storage.BillingStore].
func (s *Store) PutPlan(_ context.Context, p *storage.Plan) error {
	defer s.write().release()
	if err := validJSON(p.PublicMetadata); err != nil {
		return err
	}
	if id, ok := s.planKeys[p.Key]; ok && id != p.ID {
		return conflict("plan key %q taken", p.Key)
	}
	if old := s.plans[p.ID]; old != nil {
		drop(s.state, s.planKeys, old.Key)
	}
	put(s.state, s.plans, p.ID, clonePlan(p))
	put(s.state, s.planKeys, p.Key, p.ID)
	return nil
}

// GetPlan implements [storage.BillingStore].
func (s *Store) GetPlan(_ context.Context, key string) (*storage.Plan, error) {
	defer s.read().release()
	if id, ok := s.planKeys[key]; ok {
		return clonePlan(s.plans[id]), nil
	}
	return nil, notFound("plan", key)
}

// ListPlans implements [storage.BillingStore].
func (s *Store) ListPlans(_ context.Context) ([]*storage.Plan, error) {
	defer s.read().release()
	out := make([]*storage.Plan, 0, len(s.plans))
	for _, id := range slices.Sorted(maps.Keys(s.plans)) {
		out = append(out, clonePlan(s.plans[id]))
	}
	return out, nil
}

// PutSubscription implements [storage.BillingStore].
func (s *Store) PutSubscription(_ context.Context, x *storage.Subscription) error {
	defer s.write().release()
	if old := s.subs[x.ID]; old != nil {
		unlink(s.state, s.subsByPayer, old.PayerID, old.ID)
	}
	put(s.state, s.subs, x.ID, cloneSub(x))
	link(s.state, s.subsByPayer, x.PayerID, x.ID)
	return nil
}

// ListSubscriptions implements [storage.BillingStore].
func (s *Store) ListSubscriptions(_ context.Context, payerID string) ([]*storage.Subscription, error) {
	defer s.read().release()
	return list(s.subs, s.subsByPayer[payerID], cloneSub), nil
}

// Events and the audit log.

// AppendEvent implements [storage.EventStore].
func (s *Store) AppendEvent(_ context.Context, e *storage.Event) error {
	defer s.write().release()
	if err := validJSON(e.Data); err != nil {
		return err
	}
	if _, ok := s.events[e.ID]; ok {
		return conflict("event %q: ID taken", e.ID)
	}
	s.setSeq(s.lastSeq + 1)
	e.Seq = s.lastSeq
	put(s.state, s.events, e.ID, cloneEvent(e))
	put(s.state, s.eventSeq, e.Seq, e.ID)
	if e.DispatchedAt.IsZero() {
		put(s.state, s.undispatched, e.ID, struct{}{})
	}
	return nil
}

// ListEvents implements [storage.EventStore].
func (s *Store) ListEvents(_ context.Context, afterID string, undispatchedOnly bool, limit int) ([]*storage.Event, error) {
	defer s.read().release()
	ids := maps.Keys(s.events)
	if undispatchedOnly {
		ids = maps.Keys(s.undispatched)
	}
	out, _ := page(s.events, ids, nil, cloneEvent, storage.Page{After: afterID, Limit: limit})
	return out, nil
}

// ListEventsAfterSeq implements [storage.EventStore].
func (s *Store) ListEventsAfterSeq(_ context.Context, afterSeq int64, limit int) ([]*storage.Event, error) {
	defer s.read().release()
	n := storage.Page{Limit: limit}.Size()
	var out []*storage.Event
	for seq := max(afterSeq, 0) + 1; seq <= s.lastSeq && len(out) < n; seq++ {
		if id, ok := s.eventSeq[seq]; ok {
			out = append(out, cloneEvent(s.events[id]))
		}
	}
	return out, nil
}

// MarkEventDispatched implements [storage.EventStore].
func (s *Store) MarkEventDispatched(_ context.Context, id string, at time.Time) error {
	defer s.write().release()
	old, ok := s.events[id]
	switch {
	case !ok:
		return notFound("event", id)
	case !old.DispatchedAt.IsZero():
		return consumed("event dispatch", id)
	}
	n := cloneEvent(old)
	n.DispatchedAt = at.UTC()
	put(s.state, s.events, id, n)
	drop(s.state, s.undispatched, id)
	return nil
}

// Consumers.

// AcquireConsumer implements [storage.ConsumerStore].
func (s *Store) AcquireConsumer(_ context.Context, name string, l storage.ConsumerLease) (*storage.Consumer, error) {
	defer s.write().release()
	c, ok := s.consumers[name]
	if !ok {
		c = &storage.Consumer{Name: name, Cursor: s.lastSeq, CreatedAt: l.At.UTC(), UpdatedAt: l.At.UTC()}
	} else if c.LeaseOwner != "" && c.LeaseOwner != l.Owner && c.LeaseUntil.After(l.At) {
		return nil, consumed("consumer lease", name)
	}
	n := cloneConsumer(c)
	n.LeaseOwner, n.LeaseUntil, n.UpdatedAt = l.Owner, l.Until.UTC(), l.At.UTC()
	put(s.state, s.consumers, name, n)
	return cloneConsumer(n), nil
}

// AdvanceConsumer implements [storage.ConsumerStore].
func (s *Store) AdvanceConsumer(_ context.Context, name string, cursor int64, l storage.ConsumerLease) error {
	defer s.write().release()
	c, ok := s.consumers[name]
	switch {
	case !ok:
		return notFound("consumer", name)
	case c.LeaseOwner != l.Owner || cursor < c.Cursor:
		return consumed("consumer lease", name)
	}
	n := cloneConsumer(c)
	n.Cursor, n.LeaseUntil, n.UpdatedAt = cursor, l.Until.UTC(), l.At.UTC()
	put(s.state, s.consumers, name, n)
	return nil
}

// ReleaseConsumer implements [storage.ConsumerStore].
func (s *Store) ReleaseConsumer(_ context.Context, name, owner string) error {
	defer s.write().release()
	c, ok := s.consumers[name]
	if !ok || c.LeaseOwner != owner {
		return nil
	}
	n := cloneConsumer(c)
	n.LeaseOwner, n.LeaseUntil = "", time.Time{}
	put(s.state, s.consumers, name, n)
	return nil
}

// AppendAuditEvent implements [storage.AuditStore].
func (s *Store) AppendAuditEvent(_ context.Context, e *storage.AuditEvent) error {
	defer s.write().release()
	if err := validJSON(e.Data); err != nil {
		return err
	}
	if _, ok := s.audit[e.ID]; ok {
		return conflict("audit event %q: ID taken", e.ID)
	}
	put(s.state, s.audit, e.ID, cloneAudit(e))
	return nil
}

// ListAuditEvents implements [storage.AdminStore].
func (s *Store) ListAuditEvents(_ context.Context, f storage.AuditFilter, p storage.Page) ([]*storage.AuditEvent, string, error) {
	defer s.read().release()
	keep := func(e *storage.AuditEvent) bool {
		return (f.UserID == "" || e.UserID == f.UserID) &&
			(f.OrganizationID == "" || e.OrganizationID == f.OrganizationID) && (f.Type == "" || e.Type == f.Type)
	}
	out, next := page(s.audit, maps.Keys(s.audit), keep, cloneAudit, p)
	return out, next, nil
}
