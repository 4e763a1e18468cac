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

func (s *state) CreateClient(_ context.Context, c *storage.Client) error {
	if _, ok := s.clients[c.ID]; ok {
		return conflict("client %q: ID taken", c.ID)
	}
	n := cloneClient(c)
	n.Version = 1
	put(s, s.clients, n.ID, n)
	c.Version = 1
	return nil
}

func (s *state) GetClient(_ context.Context, id string) (*storage.Client, error) {
	if c, ok := s.clients[id]; ok {
		return cloneClient(c), nil
	}
	return nil, notFound("client", id)
}

func (s *state) GetClientSession(_ context.Context, clientID, sessionID string) (*storage.Client, *storage.Session, error) {
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

func (s *state) UpdateClient(_ context.Context, c *storage.Client) error {
	old, ok := s.clients[c.ID]
	switch {
	case !ok:
		return notFound("client", c.ID)
	case old.Version != c.Version:
		return stale("client", c.ID)
	}
	n := cloneClient(c)
	n.Version++
	put(s, s.clients, n.ID, n)
	c.Version = n.Version
	return nil
}

func (s *state) DeleteClient(_ context.Context, id string) error {
	if _, ok := s.clients[id]; !ok {
		return notFound("client", id)
	}
	for sid := range maps.Clone(s.sessByClient[id]) {
		s.dropSession(s.sessions[sid])
	}
	drop(s, s.clients, id)
	return nil
}

// Sessions.

func (s *state) CreateSession(_ context.Context, x *storage.Session) error {
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

func (s *state) GetSession(_ context.Context, id string) (*storage.Session, error) {
	if x, ok := s.sessions[id]; ok {
		return cloneSession(x), nil
	}
	return nil, notFound("session", id)
}

func (s *state) UpdateSession(_ context.Context, x *storage.Session) error {
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

func (s *state) TouchSession(_ context.Context, id string, at time.Time) error {
	old, ok := s.sessions[id]
	if !ok || old.Status != storage.SessionActive {
		return notFound("active session", id)
	}
	if at.After(old.LastActiveAt) {
		n := cloneSession(old)
		n.LastActiveAt = at.UTC()
		put(s, s.sessions, id, n)
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

func (s *state) ListSessions(_ context.Context, f storage.SessionFilter, p storage.Page) ([]*storage.Session, string, error) {
	out, next := page(s.sessions, s.sessionCandidates(f), sessionMatcher(f), cloneSession, p)
	return out, next, nil
}

func (s *state) EndSessions(_ context.Context, f storage.SessionFilter, status string, at time.Time) ([]string, error) {
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
		put(s, s.sessions, id, n)
	}
	return ended, nil
}

// Verifications.

func (s *state) CreateVerification(_ context.Context, v *storage.Verification) error {
	if err := validJSON(v.Data); err != nil {
		return err
	}
	if _, ok := s.verifs[v.ID]; ok {
		return conflict("verification %q: ID taken", v.ID)
	}
	n := cloneVerif(v)
	put(s, s.verifs, n.ID, n)
	if n.UserID != "" {
		link(s, s.verifByUser, n.UserID, n.ID)
	}
	if n.FlowID != "" {
		link(s, s.verifByFlow, n.FlowID, n.ID)
	}
	return nil
}

func (s *state) GetVerification(_ context.Context, id string) (*storage.Verification, error) {
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

func (s *state) RecordVerificationAttempt(_ context.Context, id string, at time.Time) (*storage.Verification, error) {
	v, err := s.liveVerification(id, at)
	if err != nil {
		return nil, err
	}
	if v.MaxAttempts > 0 && v.Attempts >= v.MaxAttempts {
		return nil, consumed("verification (no attempts left)", id)
	}
	v.Attempts++
	put(s, s.verifs, id, v)
	return cloneVerif(v), nil
}

func (s *state) ConsumeVerification(_ context.Context, id string, at time.Time) (*storage.Verification, error) {
	v, err := s.liveVerification(id, at)
	if err != nil {
		return nil, err
	}
	v.ConsumedAt = at.UTC()
	put(s, s.verifs, id, v)
	return cloneVerif(v), nil
}

func (s *state) RevokeVerifications(_ context.Context, f storage.VerificationFilter, at time.Time) (int, error) {
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
		put(s, s.verifs, id, n)
	}
	return len(revoke), nil
}

func (s *state) DeleteExpiredVerifications(_ context.Context, before time.Time, limit int) (int, error) {
	expired := oldestExpired(s.verifs, before, limit, func(v *storage.Verification) time.Time { return v.ExpiresAt })
	for _, id := range expired {
		v := s.verifs[id]
		unlink(s, s.verifByUser, v.UserID, v.ID)
		unlink(s, s.verifByFlow, v.FlowID, v.ID)
		drop(s, s.verifs, v.ID)
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

func (s *state) CreateFlow(_ context.Context, f *storage.Flow) error {
	if err := validJSON(f.Data); err != nil {
		return err
	}
	if _, ok := s.flows[f.ID]; ok {
		return conflict("flow %q: ID taken", f.ID)
	}
	n := cloneFlow(f)
	n.Version = 1
	put(s, s.flows, n.ID, n)
	f.Version = 1
	return nil
}

func (s *state) GetFlow(_ context.Context, id string) (*storage.Flow, error) {
	if f, ok := s.flows[id]; ok {
		return cloneFlow(f), nil
	}
	return nil, notFound("flow", id)
}

func (s *state) UpdateFlow(_ context.Context, f *storage.Flow) error {
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
	put(s, s.flows, n.ID, n)
	f.Version = n.Version
	return nil
}

func (s *state) DeleteFlow(_ context.Context, id string) error {
	if _, ok := s.flows[id]; !ok {
		return notFound("flow", id)
	}
	drop(s, s.flows, id)
	return nil
}

func (s *state) DeleteExpiredFlows(_ context.Context, before time.Time, limit int) (int, error) {
	expired := oldestExpired(s.flows, before, limit, func(f *storage.Flow) time.Time { return f.ExpiresAt })
	for _, id := range expired {
		drop(s, s.flows, id)
	}
	return len(expired), nil
}

// Signing keys.

func (s *state) CreateSigningKey(_ context.Context, k *storage.SigningKey) error {
	if _, ok := s.keys[k.ID]; ok {
		return conflict("signing key %q: ID taken", k.ID)
	}
	n := cloneKey(k)
	n.Version = 1
	put(s, s.keys, n.ID, n)
	k.Version = 1
	return nil
}

func (s *state) ListSigningKeys(_ context.Context) ([]*storage.SigningKey, error) {
	var out []*storage.SigningKey
	for _, id := range slices.Sorted(maps.Keys(s.keys)) {
		if k := s.keys[id]; k.State != storage.KeyRetired {
			out = append(out, cloneKey(k))
		}
	}
	return out, nil
}

func (s *state) UpdateSigningKey(_ context.Context, k *storage.SigningKey) error {
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
	put(s, s.keys, n.ID, n)
	k.Version = n.Version
	return nil
}

func (s *state) DeleteSigningKey(_ context.Context, id string) error {
	if _, ok := s.keys[id]; !ok {
		return notFound("signing key", id)
	}
	drop(s, s.keys, id)
	return nil
}
