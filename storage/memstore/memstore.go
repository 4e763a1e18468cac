// Package memstore is the in-memory reference implementation of
// [storage.Store].
//
// It keeps every record in maps guarded by one read-write mutex, with maps as
// indexes for every unique key and every lookup the contract names, so a
// lookup costs the same at a thousand users as at a million. It is meant for
// tests, examples and single-process development: nothing survives a restart.
//
// Records are copied on the way in and on the way out, so callers own the
// pointers they pass and receive. Transactions hold the write lock for their
// whole duration and keep an undo log, so a failed transaction leaves no
// trace.
//
// Where the contract leaves a choice open, memstore takes the strict one:
//
//   - Every record that a cascade deletes with its parent (identifiers,
//     external accounts, credentials, factors, sessions, memberships,
//     invitations of an organization, domains, teams, team members,
//     membership requests) can only be created for a parent that exists;
//     otherwise the create fails with ErrNotFound, as a foreign key would.
//     A team member's parents are the team and the user's membership of
//     the team's organization.
//   - ListEvents treats limit like [storage.Page.Limit]: 0 or less means
//     [storage.DefaultLimit], more than [storage.MaxLimit] is lowered.
//   - ReplaceBackupCodes stores the codes under the user ID it is given and
//     rejects a list that repeats a hash or an ID with ErrConflict.
//   - Lists documented as "oldest first" are in ID order, which is
//     creation order for the kernel's time-sortable IDs.
package memstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/latchauth/latch/storage"
)

// The core Store and every capability: memstore is the reference for all
// of them.
var (
	_ storage.Store                 = (*Store)(nil)
	_ storage.OrganizationStore     = (*Store)(nil)
	_ storage.MembershipStore       = (*Store)(nil)
	_ storage.DomainStore           = (*Store)(nil)
	_ storage.RoleStore             = (*Store)(nil)
	_ storage.BillingStore          = (*Store)(nil)
	_ storage.ConnectedAccountStore = (*Store)(nil)
	_ storage.AdminStore            = (*Store)(nil)
	_ storage.SigningKeyPruneStore  = (*Store)(nil)

	_ storage.OrganizationLockStore       = (*Store)(nil)
	_ storage.OrganizationInvitationStore = (*Store)(nil)
	_ storage.MembershipClaimsStore       = (*Store)(nil)
	_ storage.RoleSetStore                = (*Store)(nil)
	_ storage.MembershipRequestStore      = (*Store)(nil)
	_ storage.TeamStore                   = (*Store)(nil)
)

// Store is an in-memory [storage.Store]. The zero value is not usable; call
// [New]. A Store is safe for concurrent use.
//
// Each method takes the lock itself (reads share it, writes hold it alone)
// and works on the state directly. The Querier InTx hands out is a Store
// too, sharing the state, whose methods take no lock: InTx holds it for
// the whole transaction.
type Store struct {
	*state
	mu   *sync.RWMutex
	inTx bool // InTx holds mu: methods must not take it again
}

// New returns an empty Store.
func New() *Store { return &Store{state: newState(), mu: new(sync.RWMutex)} }

// held is a lock a method holds until it returns; the zero value, inside
// a transaction, holds nothing.
type held struct {
	mu     *sync.RWMutex
	shared bool
}

func (h held) release() {
	switch {
	case h.mu == nil:
	case h.shared:
		h.mu.RUnlock()
	default:
		h.mu.Unlock()
	}
}

// read takes the lock for reading, unless InTx holds it.
func (s *Store) read() held {
	if s.inTx {
		return held{}
	}
	s.mu.RLock()
	return held{mu: s.mu, shared: true}
}

// write takes the lock alone, unless InTx holds it.
func (s *Store) write() held {
	if s.inTx {
		return held{}
	}
	s.mu.Lock()
	return held{mu: s.mu}
}

// errNested is what InTx on a transaction's Querier returns: the contract
// does not support nested transactions, and waiting for the lock the
// outer one holds would deadlock.
var errNested = errors.New("memstore: nested transactions are not supported")

// InTx runs fn as one transaction, holding the store's write lock until fn
// returns: other callers wait, so fn must be quick and must not call the
// Store itself (that deadlocks); it uses q. When fn returns an error or
// panics, every write made through q is undone, InTx returns fn's error
// unchanged or re-panics.
func (s *Store) InTx(_ context.Context, fn func(q storage.Querier) error) error {
	if s.inTx {
		return errNested
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := &Store{state: s.state, mu: s.mu, inTx: true}
	s.logging, s.undo = true, nil
	committed := false
	defer func() {
		if !committed {
			for i := len(s.undo) - 1; i >= 0; i-- {
				s.undo[i]()
			}
		}
		s.logging, s.undo = false, nil
		q.state = nil // a q used after fn returned fails loudly instead of racing
	}()
	if err := fn(q); err != nil {
		return err
	}
	committed = true
	return nil
}

// set is a set of record IDs, used by the indexes that map one key to many
// records.
type set = map[string]struct{}

// idKey is the unique key of an identifier: its kind and canonical value.
type idKey struct {
	kind  storage.IdentifierKind
	canon string
}

// state holds the data, and the helpers the Store methods share. Every write goes through put and drop, which record the inverse
// write while a transaction is open, and stored records are never changed
// in place (a write stores a new copy), so undoing restores them exactly.
type state struct {
	logging bool
	undo    []func()

	users         map[string]*storage.User
	usernames     map[string]string // canonical username → user ID
	idents        map[string]*storage.Identifier
	identsByUser  map[string]set
	identsByValue map[idKey]set    // every identifier, verified or not
	verified      map[idKey]string // verified identifiers → identifier ID
	extAccounts   map[string]*storage.ExternalAccount
	extBySubject  map[[2]string]string // (issuer, subject) → ID
	extByUser     map[string]set
	creds         map[string]*storage.Credential
	credByCredID  map[string]string // authenticator credential ID → ID
	credsByUser   map[string]set
	totp          map[string]*storage.TOTPSecret   // user ID → secret
	backup        map[string][]*storage.BackupCode // user ID → codes
	clients       map[string]*storage.Client
	sessions      map[string]*storage.Session
	sessByUser    map[string]set
	sessByClient  map[string]set
	verifs        map[string]*storage.Verification
	verifByUser   map[string]set
	verifByFlow   map[string]set
	flows         map[string]*storage.Flow
	keys          map[string]*storage.SigningKey
	orgs          map[string]*storage.Organization
	slugs         map[string]string // canonical slug → org ID
	mems          map[string]*storage.Membership
	memByPair     map[[2]string]string // (org ID, user ID) → membership ID
	memByOrg      map[string]set
	memByUser     map[string]set
	invs          map[string]*storage.Invitation
	invByOrg      map[string]set
	invByEmail    map[string]set // canonical address → organization invitation IDs
	domains       map[string]*storage.Domain
	domVerified   map[string]string // canonical name of verified domains → ID
	domByOrg      map[string]set
	roles         map[string]*storage.Role       // key → role
	roleIDs       map[string]string              // ID → key
	roleSets      map[string]*storage.RoleSet    // key → set
	roleSetIDs    map[string]string              // ID → key
	perms         map[string]*storage.Permission // key → permission
	permIDs       map[string]string              // ID → key
	reqs          map[string]*storage.MembershipRequest
	reqByOrg      map[string]set
	reqByUser     map[string]set
	reqPending    map[[2]string]string // (org ID, user ID) → pending request ID
	teams         map[string]*storage.Team
	teamByOrg     map[string]set
	teamNames     map[[2]string]string              // (org ID, canonical name) → team ID
	teamMembers   map[[2]string]*storage.TeamMember // (team ID, user ID) → member
	tmByTeam      map[string]set                    // team ID → user IDs
	tmByUser      map[string]set                    // user ID → team IDs
	plans         map[string]*storage.Plan
	planKeys      map[string]string // key → plan ID
	subs          map[string]*storage.Subscription
	subsByPayer   map[string]set
	events        map[string]*storage.Event
	undispatched  set
	eventSeq      map[int64]string // Seq → event ID
	lastSeq       int64            // the newest Seq given out
	consumers     map[string]*storage.Consumer
	audit         map[string]*storage.AuditEvent
}

func newState() *state {
	return &state{
		users: map[string]*storage.User{}, usernames: map[string]string{},
		idents: map[string]*storage.Identifier{}, identsByUser: map[string]set{},
		identsByValue: map[idKey]set{}, verified: map[idKey]string{},
		extAccounts: map[string]*storage.ExternalAccount{}, extBySubject: map[[2]string]string{},
		extByUser: map[string]set{},
		creds:     map[string]*storage.Credential{}, credByCredID: map[string]string{},
		credsByUser: map[string]set{},
		totp:        map[string]*storage.TOTPSecret{}, backup: map[string][]*storage.BackupCode{},
		clients: map[string]*storage.Client{}, sessions: map[string]*storage.Session{},
		sessByUser: map[string]set{}, sessByClient: map[string]set{},
		verifs: map[string]*storage.Verification{}, verifByUser: map[string]set{},
		verifByFlow: map[string]set{},
		flows:       map[string]*storage.Flow{}, keys: map[string]*storage.SigningKey{},
		orgs: map[string]*storage.Organization{}, slugs: map[string]string{},
		mems: map[string]*storage.Membership{}, memByPair: map[[2]string]string{},
		memByOrg: map[string]set{}, memByUser: map[string]set{},
		invs: map[string]*storage.Invitation{}, invByOrg: map[string]set{}, invByEmail: map[string]set{},
		domains: map[string]*storage.Domain{}, domVerified: map[string]string{},
		domByOrg: map[string]set{},
		roles:    map[string]*storage.Role{}, roleIDs: map[string]string{},
		roleSets: map[string]*storage.RoleSet{}, roleSetIDs: map[string]string{},
		perms: map[string]*storage.Permission{}, permIDs: map[string]string{},
		reqs: map[string]*storage.MembershipRequest{}, reqByOrg: map[string]set{}, reqByUser: map[string]set{},
		reqPending: map[[2]string]string{},
		teams:      map[string]*storage.Team{}, teamByOrg: map[string]set{}, teamNames: map[[2]string]string{},
		teamMembers: map[[2]string]*storage.TeamMember{}, tmByTeam: map[string]set{}, tmByUser: map[string]set{},
		plans: map[string]*storage.Plan{}, planKeys: map[string]string{},
		subs: map[string]*storage.Subscription{}, subsByPayer: map[string]set{},
		events: map[string]*storage.Event{}, undispatched: set{}, eventSeq: map[int64]string{},
		consumers: map[string]*storage.Consumer{},
		audit:     map[string]*storage.AuditEvent{},
	}
}

// put sets m[k] = v, logging the inverse write inside a transaction.
func put[K comparable, V any](s *state, m map[K]V, k K, v V) {
	if s.logging {
		old, had := m[k]
		s.undo = append(s.undo, func() {
			if had {
				m[k] = old
			} else {
				delete(m, k)
			}
		})
	}
	m[k] = v
}

// setSeq sets the newest outbox position, logging the inverse write
// inside a transaction.
func (s *state) setSeq(n int64) {
	if s.logging {
		old := s.lastSeq
		s.undo = append(s.undo, func() { s.lastSeq = old })
	}
	s.lastSeq = n
}

// drop deletes m[k], logging the inverse write inside a transaction.
func drop[K comparable, V any](s *state, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	if s.logging {
		s.undo = append(s.undo, func() { m[k] = old })
	}
	delete(m, k)
}

// link adds id to the set m[k].
func link[K comparable](s *state, m map[K]set, k K, id string) {
	ids := m[k]
	if ids == nil {
		ids = set{}
		put(s, m, k, ids)
	}
	put(s, ids, id, struct{}{})
}

// unlink removes id from the set m[k], and the set once it is empty.
func unlink[K comparable](s *state, m map[K]set, k K, id string) {
	if ids := m[k]; ids != nil {
		drop(s, ids, id)
		if len(ids) == 0 {
			drop(s, m, k)
		}
	}
}

// sortedIDs returns the IDs of ids in ascending order.
func sortedIDs(ids set) []string { return slices.Sorted(maps.Keys(ids)) }

// list returns copies of the records with the given IDs in ID order
// (creation order, since the kernel's IDs are time-sortable).
func list[T any](rows map[string]*T, ids set, clone func(*T) *T) []*T {
	out := make([]*T, 0, len(ids))
	for _, id := range sortedIDs(ids) {
		out = append(out, clone(rows[id]))
	}
	return out
}

// page returns one keyset page of the records among ids that keep accepts,
// and the cursor of the next page.
func page[T any](rows map[string]*T, ids iter.Seq[string], keep func(*T) bool, clone func(*T) *T, p storage.Page) ([]*T, string) {
	var sel []string
	for id := range ids {
		if p.After != "" && (!p.Desc && id <= p.After || p.Desc && id >= p.After) {
			continue
		}
		if r, ok := rows[id]; ok && (keep == nil || keep(r)) {
			sel = append(sel, id)
		}
	}
	slices.Sort(sel)
	if p.Desc {
		slices.Reverse(sel)
	}
	next := ""
	if n := p.Size(); len(sel) > n {
		sel, next = sel[:n], sel[n-1]
	}
	out := make([]*T, len(sel))
	for i, id := range sel {
		out[i] = clone(rows[id])
	}
	return out, next
}

// Errors.

func notFound(what, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", what, id, storage.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("memstore: "+format+": %w", append(args, storage.ErrConflict)...)
}

func stale(what, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", what, id, storage.ErrStale)
}

func consumed(what, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", what, id, storage.ErrConsumed)
}

// errInvalidJSON is deliberately not a storage sentinel.
var errInvalidJSON = errors.New("memstore: invalid JSON")

// validJSON checks every non-nil JSON field of a record.
func validJSON(fields ...json.RawMessage) error {
	for _, f := range fields {
		if len(f) > 0 && !json.Valid(f) {
			return fmt.Errorf("%w: %.40q", errInvalidJSON, f)
		}
	}
	return nil
}

// Copies. Each clone returns a deep copy with times in UTC and empty slices
// as nil; it is applied to records on the way in and on the way out.

func bs(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return bytes.Clone(b)
}

func js(j json.RawMessage) json.RawMessage { return bs(j) }

func ss(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func utc(ts ...*time.Time) {
	for _, t := range ts {
		*t = t.UTC()
	}
}

func cloneUser(u *storage.User) *storage.User {
	c := *u
	c.PublicMetadata, c.PrivateMetadata, c.UnsafeMetadata = js(u.PublicMetadata), js(u.PrivateMetadata), js(u.UnsafeMetadata)
	utc(&c.LockedUntil, &c.LastSignInAt, &c.LastActiveAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneIdent(i *storage.Identifier) *storage.Identifier {
	c := *i
	utc(&c.VerifiedAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneExt(a *storage.ExternalAccount) *storage.ExternalAccount {
	c := *a
	c.Scopes, c.AccessToken, c.RefreshToken = ss(a.Scopes), bs(a.AccessToken), bs(a.RefreshToken)
	c.PublicMetadata = js(a.PublicMetadata)
	utc(&c.TokenExpiresAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneCred(x *storage.Credential) *storage.Credential {
	c := *x
	c.CredentialID, c.PublicKey, c.AAGUID = bs(x.CredentialID), bs(x.PublicKey), bs(x.AAGUID)
	c.Transports = ss(x.Transports)
	utc(&c.LastUsedAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneTOTP(s *storage.TOTPSecret) *storage.TOTPSecret {
	c := *s
	c.Secret = bs(s.Secret)
	utc(&c.VerifiedAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneBackup(b *storage.BackupCode) *storage.BackupCode {
	c := *b
	c.CodeHash = bs(b.CodeHash)
	utc(&c.UsedAt, &c.CreatedAt)
	return &c
}

func cloneClient(x *storage.Client) *storage.Client {
	c := *x
	c.SecretHash = bs(x.SecretHash)
	utc(&c.LastActiveAt, &c.ExpiresAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneSession(s *storage.Session) *storage.Session {
	c := *s
	c.AMR = ss(s.AMR)
	utc(&c.FirstFactorAt, &c.SecondFactorAt, &c.LastActiveAt, &c.ExpiresAt, &c.EndedAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneVerif(v *storage.Verification) *storage.Verification {
	c := *v
	c.SecretHash, c.Data = bs(v.SecretHash), js(v.Data)
	utc(&c.ExpiresAt, &c.ConsumedAt, &c.CreatedAt)
	return &c
}

func cloneFlow(f *storage.Flow) *storage.Flow {
	c := *f
	c.Data = js(f.Data)
	utc(&c.ExpiresAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneKey(k *storage.SigningKey) *storage.SigningKey {
	c := *k
	c.PublicKey, c.PrivateKey = bs(k.PublicKey), bs(k.PrivateKey)
	utc(&c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneOrg(o *storage.Organization) *storage.Organization {
	c := *o
	c.PublicMetadata, c.PrivateMetadata = js(o.PublicMetadata), js(o.PrivateMetadata)
	utc(&c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneMem(m *storage.Membership) *storage.Membership {
	c := *m
	c.PublicMetadata, c.PrivateMetadata = js(m.PublicMetadata), js(m.PrivateMetadata)
	utc(&c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneInv(i *storage.Invitation) *storage.Invitation {
	c := *i
	c.PublicMetadata = js(i.PublicMetadata)
	utc(&c.ExpiresAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneDomain(d *storage.Domain) *storage.Domain {
	c := *d
	utc(&c.VerifiedAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneRole(r *storage.Role) *storage.Role {
	c := *r
	c.Permissions = ss(r.Permissions)
	utc(&c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneRoleSet(r *storage.RoleSet) *storage.RoleSet {
	c := *r
	c.Roles = ss(r.Roles)
	utc(&c.CreatedAt, &c.UpdatedAt)
	return &c
}

func clonePerm(p *storage.Permission) *storage.Permission {
	c := *p
	utc(&c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneReq(r *storage.MembershipRequest) *storage.MembershipRequest {
	c := *r
	utc(&c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneTeam(t *storage.Team) *storage.Team {
	c := *t
	utc(&c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneTeamMember(m *storage.TeamMember) *storage.TeamMember {
	c := *m
	utc(&c.CreatedAt)
	return &c
}

func clonePlan(p *storage.Plan) *storage.Plan {
	c := *p
	c.Features, c.PublicMetadata = ss(p.Features), js(p.PublicMetadata)
	utc(&c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneSub(s *storage.Subscription) *storage.Subscription {
	c := *s
	utc(&c.CurrentPeriodEnd, &c.CanceledAt, &c.CreatedAt, &c.UpdatedAt)
	return &c
}

func cloneEvent(e *storage.Event) *storage.Event {
	c := *e
	c.Data = js(e.Data)
	utc(&c.CreatedAt, &c.DispatchedAt)
	return &c
}

func cloneConsumer(c *storage.Consumer) *storage.Consumer {
	n := *c
	utc(&n.LeaseUntil, &n.CreatedAt, &n.UpdatedAt)
	return &n
}

func cloneAudit(e *storage.AuditEvent) *storage.AuditEvent {
	c := *e
	c.Data = js(e.Data)
	utc(&c.CreatedAt)
	return &c
}
