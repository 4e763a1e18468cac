package memstore

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

// Clients.

// CreateClient implements [storage.ClientStore].
func (s *Store) CreateClient(_ context.Context, c *storage.Client) error {
	defer s.write().release()
	if _, ok := s.clients[c.ID]; ok {
		return conflict("client %q: ID taken", c.ID)
	}
	n := cloneClient(c)
	n.Version = 1
	put(s.state, s.clients, n.ID, n)
	c.Version = 1
	return nil
}

// GetClient implements [storage.ClientStore].
func (s *Store) GetClient(_ context.Context, id string) (*storage.Client, error) {
	defer s.read().release()
	if c, ok := s.clients[id]; ok {
		return cloneClient(c), nil
	}
	return nil, notFound("client", id)
}

// GetClientSession implements [storage.ClientStore].
func (s *Store) GetClientSession(_ context.Context, clientID, sessionID string) (*storage.Client, *storage.Session, error) {
	defer s.read().release()
	c, ok := s.clients[clientID]
	if !ok {
		return nil, nil, notFound("client", clientID)
	}
	if sessionID == "" {
		sessionID = c.ActiveSessionID
	}
	x, ok := s.sessions[sessionID]
	if !ok || x.ClientID != clientID {
		return nil, nil, notFound("session", sessionID)
	}
	return cloneClient(c), cloneSession(x), nil
}

// UpdateClient implements [storage.ClientStore].
func (s *Store) UpdateClient(_ context.Context, c *storage.Client) error {
	defer s.write().release()
	old, ok := s.clients[c.ID]
	switch {
	case !ok:
		return notFound("client", c.ID)
	case old.Version != c.Version:
		return stale("client", c.ID)
	}
	n := cloneClient(c)
	n.Version++
	put(s.state, s.clients, n.ID, n)
	c.Version = n.Version
	return nil
}

// DeleteClient implements [storage.AdminStore].
func (s *Store) DeleteClient(_ context.Context, id string) error {
	defer s.write().release()
	if _, ok := s.clients[id]; !ok {
		return notFound("client", id)
	}
	for sid := range maps.Clone(s.sessByClient[id]) {
		s.dropSession(s.sessions[sid])
	}
	drop(s.state, s.clients, id)
	return nil
}

// Sessions.

// CreateSession implements [storage.SessionStore].
func (s *Store) CreateSession(_ context.Context, x *storage.Session) error {
	defer s.write().release()
	if _, ok := s.sessions[x.ID]; ok {
		return conflict("session %q: ID taken", x.ID)
	}
	if err := s.checkSessionOwners(x); err != nil {
		return err
	}
	n := cloneSession(x)
	n.Version = 1
	s.putSession(n)
	x.Version = 1
	return nil
}

func (s *state) checkSessionOwners(x *storage.Session) error {
	if _, ok := s.clients[x.ClientID]; !ok {
		return notFound("client", x.ClientID)
	}
	if _, ok := s.users[x.UserID]; !ok {
		return notFound("user", x.UserID)
	}
	return nil
}

func (s *state) putSession(x *storage.Session) {
	if old := s.sessions[x.ID]; old != nil {
		s.dropSession(old)
	}
	put(s, s.sessions, x.ID, x)
	link(s, s.sessByUser, x.UserID, x.ID)
	link(s, s.sessByClient, x.ClientID, x.ID)
}

func (s *state) dropSession(x *storage.Session) {
	unlink(s, s.sessByUser, x.UserID, x.ID)
	unlink(s, s.sessByClient, x.ClientID, x.ID)
	drop(s, s.sessions, x.ID)
}

// GetSession implements [storage.SessionStore].
func (s *Store) GetSession(_ context.Context, id string) (*storage.Session, error) {
	defer s.read().release()
	if x, ok := s.sessions[id]; ok {
		return cloneSession(x), nil
	}
	return nil, notFound("session", id)
}

// UpdateSession implements [storage.SessionStore].
func (s *Store) UpdateSession(_ context.Context, x *storage.Session) error {
	defer s.write().release()
	old, ok := s.sessions[x.ID]
	switch {
	case !ok:
		return notFound("session", x.ID)
	case old.Version != x.Version:
		return stale("session", x.ID)
	}
	if err := s.checkSessionOwners(x); err != nil {
		return err
	}
	n := cloneSession(x)
	n.Version++
	s.putSession(n)
	x.Version = n.Version
	return nil
}

// TouchSession implements [storage.SessionStore].
func (s *Store) TouchSession(_ context.Context, id string, at time.Time) error {
	defer s.write().release()
	old, ok := s.sessions[id]
	if !ok || old.Status != storage.SessionActive {
		return notFound("active session", id)
	}
	if at.After(old.LastActiveAt) {
		n := cloneSession(old)
		n.LastActiveAt = at.UTC()
		put(s.state, s.sessions, id, n)
	}
	return nil
}

// sessionCandidates narrows a session filter through an index when it can.
func (s *state) sessionCandidates(f storage.SessionFilter) func(func(string) bool) {
	switch {
	case f.UserID != "":
		return maps.Keys(s.sessByUser[f.UserID])
	case f.ClientID != "":
		return maps.Keys(s.sessByClient[f.ClientID])
	}
	return maps.Keys(s.sessions)
}

func sessionMatcher(f storage.SessionFilter) func(*storage.Session) bool {
	return func(x *storage.Session) bool {
		return (f.UserID == "" || x.UserID == f.UserID) &&
			(f.ClientID == "" || x.ClientID == f.ClientID) &&
			(f.Status == "" || x.Status == f.Status) &&
			(f.ExceptID == "" || x.ID != f.ExceptID)
	}
}

// ListSessions implements [storage.SessionStore].
func (s *Store) ListSessions(_ context.Context, f storage.SessionFilter, p storage.Page) ([]*storage.Session, string, error) {
	defer s.read().release()
	out, next := page(s.sessions, s.sessionCandidates(f), sessionMatcher(f), cloneSession, p)
	return out, next, nil
}

// EndSessions implements [storage.SessionStore].
func (s *Store) EndSessions(_ context.Context, f storage.SessionFilter, status string, at time.Time) ([]string, error) {
	defer s.write().release()
	if f.UserID == "" && f.ClientID == "" {
		return nil, nil
	}
	var ended []string
	keep := sessionMatcher(f)
	for id := range s.sessionCandidates(f) {
		if x := s.sessions[id]; x.Status == storage.SessionActive && keep(x) {
			ended = append(ended, id)
		}
	}
	slices.Sort(ended)
	for _, id := range ended {
		n := cloneSession(s.sessions[id])
		n.Status, n.EndedAt, n.UpdatedAt = status, at.UTC(), at.UTC()
		n.Version++
		put(s.state, s.sessions, id, n)
	}
	return ended, nil
}

// Verifications.

// CreateVerification implements [storage.VerificationStore].
func (s *Store) CreateVerification(_ context.Context, v *storage.Verification) error {
	defer s.write().release()
	if err := validJSON(v.Data); err != nil {
		return err
	}
	if _, ok := s.verifs[v.ID]; ok {
		return conflict("verification %q: ID taken", v.ID)
	}
	n := cloneVerif(v)
	put(s.state, s.verifs, n.ID, n)
	if n.UserID != "" {
		link(s.state, s.verifByUser, n.UserID, n.ID)
	}
	if n.FlowID != "" {
		link(s.state, s.verifByFlow, n.FlowID, n.ID)
	}
	return nil
}

// GetVerification implements [storage.VerificationStore].
func (s *Store) GetVerification(_ context.Context, id string) (*storage.Verification, error) {
	defer s.read().release()
	if v, ok := s.verifs[id]; ok {
		return cloneVerif(v), nil
	}
	return nil, notFound("verification", id)
}

// liveVerification returns a copy of the verification to update when it is
// neither consumed nor expired at at.
func (s *state) liveVerification(id string, at time.Time) (*storage.Verification, error) {
	v, ok := s.verifs[id]
	switch {
	case !ok:
		return nil, notFound("verification", id)
	case !v.ConsumedAt.IsZero(), !v.ExpiresAt.After(at):
		return nil, consumed("verification", id)
	}
	return cloneVerif(v), nil
}

// RecordVerificationAttempt implements [storage.VerificationStore].
func (s *Store) RecordVerificationAttempt(_ context.Context, id string, at time.Time) (*storage.Verification, error) {
	defer s.write().release()
	v, err := s.liveVerification(id, at)
	if err != nil {
		return nil, err
	}
	if v.MaxAttempts > 0 && v.Attempts >= v.MaxAttempts {
		return nil, consumed("verification (no attempts left)", id)
	}
	v.Attempts++
	put(s.state, s.verifs, id, v)
	return cloneVerif(v), nil
}

// ConsumeVerification implements [storage.VerificationStore].
func (s *Store) ConsumeVerification(_ context.Context, id string, at time.Time) (*storage.Verification, error) {
	defer s.write().release()
	v, err := s.liveVerification(id, at)
	if err != nil {
		return nil, err
	}
	v.ConsumedAt = at.UTC()
	put(s.state, s.verifs, id, v)
	return cloneVerif(v), nil
}

// RevokeVerifications implements [storage.VerificationStore].
func (s *Store) RevokeVerifications(_ context.Context, f storage.VerificationFilter, at time.Time) (int, error) {
	defer s.write().release()
	var ids func(func(string) bool)
	switch {
	case f.UserID != "":
		ids = maps.Keys(s.verifByUser[f.UserID])
	case f.FlowID != "":
		ids = maps.Keys(s.verifByFlow[f.FlowID])
	case f.Purpose != "":
		ids = maps.Keys(s.verifs)
	default:
		return 0, nil
	}
	var revoke []string
	for id := range ids {
		v := s.verifs[id]
		if v.ConsumedAt.IsZero() && (f.UserID == "" || v.UserID == f.UserID) &&
			(f.FlowID == "" || v.FlowID == f.FlowID) && (f.Purpose == "" || v.Purpose == f.Purpose) {
			revoke = append(revoke, id)
		}
	}
	for _, id := range revoke {
		n := cloneVerif(s.verifs[id])
		n.ConsumedAt = at.UTC()
		put(s.state, s.verifs, id, n)
	}
	return len(revoke), nil
}

// DeleteExpiredVerifications implements [storage.VerificationStore].
func (s *Store) DeleteExpiredVerifications(_ context.Context, before time.Time, limit int) (int, error) {
	defer s.write().release()
	expired := oldestExpired(s.verifs, before, limit, func(v *storage.Verification) time.Time { return v.ExpiresAt })
	for _, id := range expired {
		v := s.verifs[id]
		unlink(s.state, s.verifByUser, v.UserID, v.ID)
		unlink(s.state, s.verifByFlow, v.FlowID, v.ID)
		drop(s.state, s.verifs, v.ID)
	}
	return len(expired), nil
}

// oldestExpired returns the IDs of up to limit records of rows whose
// expiry is before before, soonest expired first.
func oldestExpired[T any](rows map[string]*T, before time.Time, limit int, expiry func(*T) time.Time) []string {
	var ids []string
	for id, r := range rows {
		if expiry(r).Before(before) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(expiry(rows[a]).Compare(expiry(rows[b])), strings.Compare(a, b))
	})
	if limit <= 0 {
		limit = storage.DefaultLimit
	}
	return ids[:min(len(ids), limit)]
}

// Flows.

// CreateFlow implements [storage.FlowStore].
func (s *Store) CreateFlow(_ context.Context, f *storage.Flow) error {
	defer s.write().release()
	if err := validJSON(f.Data); err != nil {
		return err
	}
	if _, ok := s.flows[f.ID]; ok {
		return conflict("flow %q: ID taken", f.ID)
	}
	n := cloneFlow(f)
	n.Version = 1
	put(s.state, s.flows, n.ID, n)
	f.Version = 1
	return nil
}

// GetFlow implements [storage.FlowStore].
func (s *Store) GetFlow(_ context.Context, id string) (*storage.Flow, error) {
	defer s.read().release()
	if f, ok := s.flows[id]; ok {
		return cloneFlow(f), nil
	}
	return nil, notFound("flow", id)
}

// UpdateFlow implements [storage.FlowStore].
func (s *Store) UpdateFlow(_ context.Context, f *storage.Flow) error {
	defer s.write().release()
	if err := validJSON(f.Data); err != nil {
		return err
	}
	old, ok := s.flows[f.ID]
	switch {
	case !ok:
		return notFound("flow", f.ID)
	case old.Version != f.Version:
		return stale("flow", f.ID)
	}
	n := cloneFlow(f)
	n.Version++
	put(s.state, s.flows, n.ID, n)
	f.Version = n.Version
	return nil
}

// DeleteFlow implements [storage.FlowStore].
func (s *Store) DeleteFlow(_ context.Context, id string) error {
	defer s.write().release()
	if _, ok := s.flows[id]; !ok {
		return notFound("flow", id)
	}
	drop(s.state, s.flows, id)
	return nil
}

// DeleteExpiredFlows implements [storage.FlowStore].
func (s *Store) DeleteExpiredFlows(_ context.Context, before time.Time, limit int) (int, error) {
	defer s.write().release()
	expired := oldestExpired(s.flows, before, limit, func(f *storage.Flow) time.Time { return f.ExpiresAt })
	for _, id := range expired {
		drop(s.state, s.flows, id)
	}
	return len(expired), nil
}

// Signing keys.

// CreateSigningKey implements [storage.SigningKeyStore].
func (s *Store) CreateSigningKey(_ context.Context, k *storage.SigningKey) error {
	defer s.write().release()
	if _, ok := s.keys[k.ID]; ok {
		return conflict("signing key %q: ID taken", k.ID)
	}
	n := cloneKey(k)
	n.Version = 1
	put(s.state, s.keys, n.ID, n)
	k.Version = 1
	return nil
}

// ListSigningKeys implements [storage.SigningKeyStore].
func (s *Store) ListSigningKeys(_ context.Context) ([]*storage.SigningKey, error) {
	defer s.read().release()
	var out []*storage.SigningKey
	for _, id := range slices.Sorted(maps.Keys(s.keys)) {
		if k := s.keys[id]; k.State != storage.KeyRetired {
			out = append(out, cloneKey(k))
		}
	}
	return out, nil
}

// UpdateSigningKey implements [storage.SigningKeyStore].
func (s *Store) UpdateSigningKey(_ context.Context, k *storage.SigningKey) error {
	defer s.write().release()
	old, ok := s.keys[k.ID]
	switch {
	case !ok:
		return notFound("signing key", k.ID)
	case old.Version != k.Version:
		return stale("signing key", k.ID)
	}
	n := cloneKey(old)
	n.State, n.UpdatedAt = k.State, k.UpdatedAt.UTC()
	n.Version++
	put(s.state, s.keys, n.ID, n)
	k.Version = n.Version
	return nil
}

// DeleteSigningKey implements [storage.SigningKeyPruneStore].
func (s *Store) DeleteSigningKey(_ context.Context, id string) error {
	defer s.write().release()
	if _, ok := s.keys[id]; !ok {
		return notFound("signing key", id)
	}
	drop(s.state, s.keys, id)
	return nil
}
