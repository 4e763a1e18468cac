package latch

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch/storage"
)

// What the kernel offers a plugin of organizations: the capabilities of a
// transaction's store, the active organization of a session with a fresh
// token, invitations that a sign-up spends, and the eviction of tokens
// whose claims changed.

// TxStore returns the store of t as the capability T (an interface of
// package storage, such as storage.OrganizationLockStore), so that a
// plugin's writes through a capability commit with t. It looks through
// the kernel's wrappers of the transaction's store.
func TxStore[T any](t *Tx) (T, error) {
	c, inner, ok := capability[T](t.t.Querier)
	if !ok {
		return c, fmt.Errorf("latch: the transaction's store (%T) lacks the capability %s", inner, reflect.TypeFor[T]())
	}
	return c, nil
}

// SetActiveOrganization makes orgID (and teamID, one of its teams; "" for
// none) the active organization of session sessionID, "" for the personal
// account, and mints the session a token that says so at once: it is set
// as the session cookie on w (when w is not nil) and returned, for
// clients that hold bearer tokens. The caller checks that the user may act
// for the organization; a session that is over is ErrNotFound.
func (h *Host) SetActiveOrganization(ctx context.Context, w http.ResponseWriter, sessionID, orgID, teamID string) (*Session, error) {
	a := h.a
	if orgID == "" {
		teamID = ""
	}
	var s *storage.Session
	err := a.inTx(ctx, func(t *tx) error {
		var err error
		if s, err = t.GetSession(ctx, sessionID); err != nil || !a.live(s) {
			return ErrNotFound
		}
		s.ActiveOrganizationID, s.ActiveTeamID, s.UpdatedAt = orgID, teamID, a.now()
		return storageError(t.UpdateSession(ctx, s))
	})
	if err != nil {
		return nil, err
	}
	sess, err := a.mint(ctx, s)
	if err != nil {
		return nil, err
	}
	if w != nil {
		a.cookies.setSession(w, sess.Token)
	}
	return sess, nil
}

// ClearActiveOrganization makes the personal account the active one of
// every live session of userID acting for orgID, and evicts their tokens
// (as EvictUserTokens does): their next token has no organization claims.
func (h *Host) ClearActiveOrganization(ctx context.Context, userID, orgID string) error {
	a := h.a
	live, err := a.liveSessions(ctx, userID)
	if err != nil {
		return err
	}
	var cleared []string
	for _, s := range live {
		if s.ActiveOrganizationID != orgID {
			continue
		}
		err := a.inTx(ctx, func(t *tx) error {
			cur, err := t.GetSession(ctx, s.ID)
			if err != nil || cur.ActiveOrganizationID != orgID {
				return nil // ended or switched meanwhile
			}
			cur.ActiveOrganizationID, cur.ActiveTeamID, cur.UpdatedAt = "", "", a.now()
			return storageError(t.UpdateSession(ctx, cur))
		})
		if err != nil {
			return err
		}
		cleared = append(cleared, s.ID)
	}
	h.evict(ctx, cleared)
	return nil
}

// EvictUserTokens makes the current session tokens of every live session
// of userID stale, so that their claims are minted again from the store:
// a browser's next request refreshes its token, and a bearer token is
// refused until the client gets a new one. On this instance it takes
// effect at once; in strict mode (SessionConfig.Broadcaster) on every
// other instance within about a second. Without strict mode the others
// see the change at their next refresh, within TokenLifetime.
func (h *Host) EvictUserTokens(ctx context.Context, userID string) error {
	live, err := h.a.liveSessions(ctx, userID)
	if err != nil {
		return err
	}
	sids := make([]string, len(live))
	for i, s := range live {
		sids[i] = s.ID
	}
	h.evict(ctx, sids)
	return nil
}

// liveSessions returns every active session of userID, page by page.
func (a *Auth) liveSessions(ctx context.Context, userID string) ([]*storage.Session, error) {
	var out []*storage.Session
	for page := (storage.Page{Limit: storage.MaxLimit}); ; {
		list, next, err := a.store.ListSessions(ctx, storage.SessionFilter{UserID: userID, Status: storage.SessionActive}, page)
		if err != nil {
			return nil, storageError(err)
		}
		out = append(out, list...)
		if next == "" {
			return out, nil
		}
		page.After = next
	}
}

func (h *Host) evict(ctx context.Context, sids []string) {
	a := h.a
	if len(sids) == 0 {
		return
	}
	at := a.cfg.Clock()
	a.stale.add(at, a.cfg.Session.TokenLifetime+a.cfg.Session.Leeway, sids...)
	if b := a.cfg.Session.Broadcaster; b != nil {
		for _, sid := range sids {
			if err := b.Publish(ctx, stalePrefix+sid+":"+at.UTC().Format(time.RFC3339Nano)); err != nil {
				a.cfg.Logger.ErrorContext(ctx, "latch: broadcasting a token eviction", "session_id", sid, "err", err)
			}
		}
	}
}

const stalePrefix = "stale:"

// applyStale applies an eviction another instance broadcast.
func (a *Auth) applyStale(msg string) {
	sid, at, ok := strings.Cut(msg[len(stalePrefix):], ":")
	if !ok {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return
	}
	a.stale.add(t, a.cfg.Session.TokenLifetime+a.cfg.Session.Leeway, sid)
}

// staleSet holds, by session ID, the instant before which the session's
// tokens are stale. Reads load an immutable map without locking. The zero
// value is empty and ready.
type staleSet struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]staleMark]
}

type staleMark struct {
	at, until time.Time
	// fresh are the tokens this instance minted since the mark, within
	// its second: they carry the new claims.
	fresh []string
}

// stale reports whether token tok of sid, issued at iat, was minted before
// its session's mark. Tokens count whole seconds: one issued in the
// second of the mark is stale unless this instance minted it after.
func (s *staleSet) stale(sid string, iat time.Time, tok string) bool {
	p := s.m.Load()
	if p == nil || len(*p) == 0 {
		return false
	}
	m, ok := (*p)[sid]
	return ok && !iat.After(m.at.Truncate(time.Second)) && !slices.Contains(m.fresh, tok)
}

// minted records that tok, a token of sid, was minted now, with the
// current claims.
func (s *staleSet) minted(sid, tok string) {
	p := s.m.Load()
	if p == nil || len(*p) == 0 {
		return
	}
	if _, ok := (*p)[sid]; !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.m.Load()
	m := maps.Clone(old)
	if mk, ok := m[sid]; ok {
		mk.fresh = append(slices.Clone(mk.fresh[max(0, len(mk.fresh)-15):]), tok)
		m[sid] = mk
	}
	s.m.Store(&m)
}

func (s *staleSet) add(at time.Time, ttl time.Duration, sids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var old map[string]staleMark
	if p := s.m.Load(); p != nil {
		old = *p
	}
	m := make(map[string]staleMark, len(old)+len(sids))
	for k, v := range old {
		if at.Before(v.until) {
			m[k] = v
		}
	}
	for _, sid := range sids {
		// A new mark, even at the same instant, makes the tokens minted
		// since the last one stale too.
		if cur, ok := m[sid]; !ok || !at.Before(cur.at) {
			m[sid] = staleMark{at: at, until: at.Add(ttl)}
		}
	}
	s.m.Store(&m)
}

// CreateInvitationLink stores inv in t (an organization's invitation,
// say) with a single-use link valid for ttl, and returns the link's token.
// Passed to sign-up as "ticket" (/sign-up?ticket=…), it verifies the
// invited address and spends the invitation with the new account, whose
// OnSignUp hooks see it as SignUpHook.InvitationID; whoever accepts it
// otherwise spends it with TransitionInvitation.
func (h *Host) CreateInvitationLink(ctx context.Context, t *Tx, inv *storage.Invitation, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > maxInvitationTTL {
		return "", ErrParamInvalid.WithField("expires_in").WithMessage("Invitations last at most 30 days.")
	}
	data, _ := json.Marshal(map[string]string{"invitation_id": inv.ID})
	tok, err := h.a.newLink(ctx, t.t, purposeInvitation, "", "", "", ttl, data)
	if err != nil {
		return "", err
	}
	inv.VerificationID, _, _ = strings.Cut(tok, ".")
	if err := t.CreateInvitation(ctx, inv); err != nil {
		return "", storageError(err)
	}
	return tok, nil
}

// InvitationFromLink returns the invitation a link's token (from
// CreateInvitationLink) names, while it is pending and unexpired, without
// spending it: ErrInvitationInvalid otherwise.
func (h *Host) InvitationFromLink(ctx context.Context, tok string) (*storage.Invitation, error) {
	inv, _, err := h.a.checkInvitation(ctx, tok)
	return inv, err
}

// SignUpURL returns the hosted sign-up page's URL.
func (h *Host) SignUpURL() string { return h.a.cfg.Session.SignUpURL }

// SignInURL returns the hosted sign-in page's URL.
func (h *Host) SignInURL() string { return h.a.cfg.Session.SignInURL }
