package latch

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/token"
)

// Session events.
const (
	EventSessionCreated = "session.created"
	EventSessionEnded   = "session.ended"
	EventSessionRevoked = "session.revoked"
)

// Session is the signed-in session of a request, as the middleware puts it
// in the request context. It is built from the verified session token
// alone, so reading it costs no I/O. It is immutable: several requests may
// share one.
type Session struct {
	ID      string        // "sess_…"
	UserID  string        // the signed-in user (the impersonated one, when ActorID is set)
	ActorID string        // the admin impersonating UserID, or ""
	Claims  *token.Claims // every claim of the token
	Token   string        // the session token, for calling other services
}

// SessionInfo describes a session for the user's device list and admin
// tools.
type SessionInfo struct {
	ID           string    `json:"id"`
	UserID       string    `json:"user_id"`
	Status       string    `json:"status"`
	Current      bool      `json:"current"` // the session of the request that asked
	IP           string    `json:"ip_address,omitempty"`
	Browser      string    `json:"browser_name,omitempty"`
	OS           string    `json:"os,omitempty"`
	DeviceType   string    `json:"device_type,omitempty"`
	UserAgent    string    `json:"user_agent,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	LastActiveAt time.Time `json:"last_active_at"`
	ExpiresAt    time.Time `json:"expire_at"`
}

// SessionParams describes how the user proved who they are, for a new
// session. The sign-in flows fill it; an application that authenticates
// users by its own means may call CreateSession directly.
type SessionParams struct {
	// AMR lists the methods used (RFC 8176: "pwd", "otp", "hwk", "swk",
	// "sms", "mfa", …).
	AMR []string
	// SecondFactor says a second factor was verified too.
	SecondFactor bool
	// ActorID is the admin who is impersonating the user, or "".
	ActorID string
}

// CreateSession signs userID in on the browser of r: it creates the session,
// makes it the browser's active one, replaces the browser's client secret
// (so a cookie planted before sign-in is worthless afterwards: session
// fixation), and sets the cookies on w. Without MultiSession, the browser's
// other sessions end. It returns the new session with its token.
//
// It does not check credentials: it is the last step of every sign-in flow,
// and is for code that has authenticated the user itself.
func (a *Auth) CreateSession(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string, p SessionParams) (*Session, error) {
	rq := a.newFlowReq(r)
	s, err := a.createSession(ctx, rq, userID, p, nil)
	if err != nil {
		return nil, err
	}
	return s, a.apply(w, rq)
}

// createSession is CreateSession with more writes (also, when not nil) in
// the session's transaction.
func (a *Auth) createSession(ctx context.Context, rq *flowReq, userID string, p SessionParams, also func(t *tx, s *storage.Session) error) (*Session, error) {
	if err := a.ensureKeys(ctx); err != nil {
		return nil, asError(err)
	}
	secret, hash, err := a.newSecret()
	if err != nil {
		return nil, ErrUnavailable.wrap(err)
	}
	sid, err := a.newID(PrefixSession)
	if err != nil {
		return nil, err
	}
	now := a.now()
	dev := a.devices.Parse(rq.userAgent)
	s := &storage.Session{
		ID: sid, UserID: userID, Status: storage.SessionActive, ActorID: p.ActorID,
		IP: rq.ip, UserAgent: dev.UserAgent, Browser: dev.Browser, OS: dev.OS, DeviceType: dev.DeviceType,
		FirstFactorAt: now, AMR: p.AMR, LastActiveAt: now, ExpiresAt: now.Add(a.cfg.Session.MaxLifetime),
		CreatedAt: now, UpdatedAt: now,
	}
	if p.SecondFactor {
		s.SecondFactorAt = now
	}
	old, hadClient := a.cookies.readClient(rq.r)
	var ended []string
	err = a.inTx(ctx, func(t *tx) error {
		u, err := t.GetUser(ctx, userID)
		if err != nil {
			return storageError(err)
		}
		if u.Banned {
			return ErrUserBanned
		}
		if err := a.touchSignIn(ctx, t, u, now); err != nil {
			return err
		}
		c, err := a.clientForSignIn(ctx, t, old, hadClient, hash, now)
		if err != nil {
			return err
		}
		s.ClientID = c.ID
		if !a.cfg.Session.MultiSession {
			if ended, err = a.endSessions(ctx, t, storage.SessionFilter{ClientID: c.ID}, "", storage.SessionEnded); err != nil {
				return err
			}
		}
		if err := a.runSessionHooks(ctx, t, u, s); err != nil {
			return err
		}
		if err := t.CreateSession(ctx, s); err != nil {
			return err
		}
		c.ActiveSessionID, c.LastActiveAt, c.UpdatedAt = s.ID, now, now
		if err := t.UpdateClient(ctx, c); err != nil {
			return err
		}
		if also != nil {
			if err := also(t, s); err != nil {
				return err
			}
		}
		return t.emit(ctx, EventSessionCreated, a.sessionInfo(s, ""), auditInfo{UserID: userID, SessionID: s.ID, ActorID: p.ActorID})
	})
	if err != nil {
		return nil, err
	}
	a.revoke(ctx, ended...)
	sess, err := a.mint(ctx, s)
	if err != nil {
		return nil, err
	}
	rq.fx.setClient(clientCookie{ClientID: s.ClientID, Secret: secret})
	rq.fx.setSession(sess.Token)
	if p.ActorID == "" {
		rq.fx.remember(userID) // an admin's browser is not the user's
	}
	return sess, nil
}

// touchSignIn records the time of a sign-in on the user, in the session's
// transaction, rereading the user if a concurrent write changed it.
func (a *Auth) touchSignIn(ctx context.Context, t *tx, u *storage.User, now time.Time) error {
	for range maxUpdateRetries {
		u.LastSignInAt, u.UpdatedAt = now, now
		err := t.UpdateUser(ctx, u)
		if !errors.Is(err, storage.ErrStale) {
			return err
		}
		if u, err = t.GetUser(ctx, u.ID); err != nil {
			return err
		}
	}
	return ErrConflict
}

// clientForSignIn returns the browser's client with its secret replaced by
// hash, or a new client when the browser has none (or a cookie that does
// not prove one).
func (a *Auth) clientForSignIn(ctx context.Context, t *tx, old clientCookie, hadClient bool, hash []byte, now time.Time) (*storage.Client, error) {
	if hadClient {
		c, err := t.GetClient(ctx, old.ClientID)
		if err == nil && secretMatches(old.Secret, c.SecretHash) {
			c.SecretHash = hash
			c.ExpiresAt = now.Add(a.cfg.Session.MaxLifetime)
			return c, nil
		}
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
	}
	id, err := a.newID(PrefixClient)
	if err != nil {
		return nil, err
	}
	c := &storage.Client{ID: id, SecretHash: hash, LastActiveAt: now, ExpiresAt: now.Add(a.cfg.Session.MaxLifetime), CreatedAt: now, UpdatedAt: now}
	if err := t.CreateClient(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// SignOut ends a session of the browser of r (sessionID) or, with
// sessionID "", every session of that browser, replaces the client secret
// and updates the cookies on w: with other sessions left (MultiSession), the
// next one becomes active; otherwise the cookies are cleared. Signing out a
// session that is not the browser's is refused with ErrNotFound.
func (a *Auth) SignOut(ctx context.Context, w http.ResponseWriter, r *http.Request, sessionID string) error {
	secret, hash, err := a.newSecret()
	if err != nil {
		return ErrUnavailable.wrap(err)
	}
	var ended []string
	var next *storage.Session
	var clientID string
	err = a.inTx(ctx, func(t *tx) error {
		c, err := a.provenClient(ctx, t, r)
		if err != nil {
			return err
		}
		clientID = c.ID
		now := a.now()
		f := storage.SessionFilter{ClientID: c.ID}
		if sessionID != "" {
			s, err := t.GetSession(ctx, sessionID)
			if err != nil || s.ClientID != c.ID {
				return ErrNotFound
			}
			f.UserID = s.UserID
		}
		if ended, err = a.endSessions(ctx, t, f, "", storage.SessionEnded); err != nil {
			return err
		}
		if next, err = a.nextActive(ctx, t, c.ID); err != nil {
			return err
		}
		c.ActiveSessionID, c.SecretHash, c.UpdatedAt = "", hash, now
		if next != nil {
			c.ActiveSessionID = next.ID
		}
		return t.UpdateClient(ctx, c)
	})
	if errors.Is(err, errSignedOut) {
		a.cookies.clear(w)
		return nil
	}
	if err != nil {
		return err
	}
	a.revoke(ctx, ended...)
	if next == nil {
		a.cookies.clear(w)
		return nil
	}
	sess, err := a.mint(ctx, next)
	if err != nil {
		return err
	}
	if err := a.cookies.setClient(w, r, clientCookie{ClientID: clientID, Secret: secret}); err != nil {
		return ErrUnavailable.wrap(err)
	}
	a.cookies.setSession(w, sess.Token)
	return nil
}

var errSignedOut = errors.New("latch: no valid client")

// nextActive returns the newest active session of a client, or nil.
func (a *Auth) nextActive(ctx context.Context, q storage.Querier, clientID string) (*storage.Session, error) {
	ss, _, err := q.ListSessions(ctx, storage.SessionFilter{ClientID: clientID, Status: storage.SessionActive}, storage.Page{Limit: 1, Desc: true})
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	return ss[0], nil
}

// SetActiveSession switches the browser of r to another of its signed-in
// sessions (multi-session) and sets the new session cookie on w.
func (a *Auth) SetActiveSession(ctx context.Context, w http.ResponseWriter, r *http.Request, sessionID string) (*Session, error) {
	var s *storage.Session
	err := a.inTx(ctx, func(t *tx) error {
		c, err := a.provenClient(ctx, t, r)
		if errors.Is(err, errSignedOut) {
			return ErrSignedOut
		}
		if err != nil {
			return err
		}
		if s, err = t.GetSession(ctx, sessionID); err != nil || s.ClientID != c.ID || !a.live(s) {
			return ErrNotFound
		}
		c.ActiveSessionID, c.UpdatedAt = s.ID, a.now()
		return t.UpdateClient(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	sess, err := a.mint(ctx, s)
	if err != nil {
		return nil, err
	}
	a.cookies.setSession(w, sess.Token)
	return sess, nil
}

// ClientSessions lists the signed-in sessions of the browser of r, for an
// account switcher; the active one first.
func (a *Auth) ClientSessions(ctx context.Context, r *http.Request) ([]SessionInfo, error) {
	c, err := a.provenClient(ctx, a.store, r)
	if errors.Is(err, errSignedOut) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ss, _, err := a.store.ListSessions(ctx, storage.SessionFilter{ClientID: c.ID, Status: storage.SessionActive}, storage.Page{Limit: storage.MaxLimit, Desc: true})
	if err != nil {
		return nil, storageError(err)
	}
	out := make([]SessionInfo, 0, len(ss))
	for _, s := range ss {
		if a.live(s) {
			info := a.sessionInfo(s, c.ActiveSessionID)
			if info.Current {
				out = append([]SessionInfo{info}, out...)
			} else {
				out = append(out, info)
			}
		}
	}
	return out, nil
}

// ListUserSessions lists a user's active sessions across devices, newest
// first; currentSessionID marks the caller's own.
func (a *Auth) ListUserSessions(ctx context.Context, userID, currentSessionID string) ([]SessionInfo, error) {
	ss, _, err := a.store.ListSessions(ctx, storage.SessionFilter{UserID: userID, Status: storage.SessionActive}, storage.Page{Limit: storage.MaxLimit, Desc: true})
	if err != nil {
		return nil, storageError(err)
	}
	out := make([]SessionInfo, 0, len(ss))
	for _, s := range ss {
		if a.live(s) {
			out = append(out, a.sessionInfo(s, currentSessionID))
		}
	}
	return out, nil
}

// RevokeSession ends one session, wherever it is. Its token stops working
// at once on this instance, within about a second on the others in strict
// mode, and at its expiry (TokenLifetime) otherwise. It emits
// session.revoked.
func (a *Auth) RevokeSession(ctx context.Context, sessionID string) error {
	s, err := a.store.GetSession(ctx, sessionID)
	if err != nil {
		return storageError(err)
	}
	return a.revokeSessions(ctx, storage.SessionFilter{UserID: s.UserID, ClientID: s.ClientID}, sessionID)
}

// RevokeUserSessions ends every session of a user, except exceptSessionID
// when it is not "" ("sign out of all other devices").
func (a *Auth) RevokeUserSessions(ctx context.Context, userID, exceptSessionID string) error {
	return a.revokeSessions(ctx, storage.SessionFilter{UserID: userID, ExceptID: exceptSessionID}, "")
}

// revokeSessions ends the sessions matching f (only the one named by only,
// when set).
func (a *Auth) revokeSessions(ctx context.Context, f storage.SessionFilter, only string) error {
	var ended []string
	err := a.inTx(ctx, func(t *tx) error {
		var err error
		ended, err = a.endSessions(ctx, t, f, only, storage.SessionRevoked)
		return err
	})
	if err != nil {
		return err
	}
	a.revoke(ctx, ended...)
	return nil
}

// endSessions ends the sessions matching f (or only the one named only) with
// status, emitting an event for each, and returns their IDs.
func (a *Auth) endSessions(ctx context.Context, t *tx, f storage.SessionFilter, only, status string) ([]string, error) {
	event := EventSessionRevoked
	if status == storage.SessionEnded {
		event = EventSessionEnded
	}
	if only != "" {
		s, err := t.GetSession(ctx, only)
		if err != nil {
			return nil, storageError(err)
		}
		if s.Status != storage.SessionActive {
			return nil, nil
		}
		s.Status, s.EndedAt, s.UpdatedAt = status, a.now(), a.now()
		if err := t.UpdateSession(ctx, s); err != nil {
			return nil, storageError(err)
		}
		return []string{only}, t.emit(ctx, event, map[string]string{"id": only}, auditInfo{UserID: s.UserID, SessionID: only})
	}
	ended, err := t.EndSessions(ctx, f, status, a.now())
	if err != nil {
		return nil, err
	}
	for _, id := range ended {
		if err := t.emit(ctx, event, map[string]string{"id": id}, auditInfo{UserID: f.UserID, SessionID: id}); err != nil {
			return nil, err
		}
	}
	return ended, nil
}

// BanUser bans a user and ends all their sessions in one transaction: they
// cannot sign in or refresh a token again until unbanned.
func (a *Auth) BanUser(ctx context.Context, userID string) error {
	return a.setBanned(ctx, userID, true)
}

// UnbanUser lifts a ban.
func (a *Auth) UnbanUser(ctx context.Context, userID string) error {
	return a.setBanned(ctx, userID, false)
}

func (a *Auth) setBanned(ctx context.Context, userID string, banned bool) error {
	var ended []string
	_, err := a.updateUser(ctx, userID, func(t *tx, u *storage.User) error {
		u.Banned = banned
		if !banned {
			return nil
		}
		var err error
		ended, err = a.endSessions(ctx, t, storage.SessionFilter{UserID: userID}, "", storage.SessionRevoked)
		return err
	})
	if err != nil {
		return err
	}
	a.revoke(ctx, ended...)
	return nil
}

// live reports whether a stored session may still be used now: active, not
// past its lifetime, not idle past the inactivity timeout.
func (a *Auth) live(s *storage.Session) bool {
	now := a.now()
	if s.Status != storage.SessionActive || !now.Before(s.ExpiresAt) {
		return false
	}
	it := a.cfg.Session.InactivityTimeout
	return it == 0 || now.Sub(s.LastActiveAt) < it
}

func (a *Auth) sessionInfo(s *storage.Session, current string) SessionInfo {
	return SessionInfo{
		ID: s.ID, UserID: s.UserID, Status: s.Status, Current: s.ID == current, IP: s.IP, Browser: s.Browser, OS: s.OS,
		DeviceType: s.DeviceType, UserAgent: s.UserAgent, CreatedAt: s.CreatedAt, LastActiveAt: s.LastActiveAt, ExpiresAt: s.ExpiresAt,
	}
}

// markVerified records on a session that a factor (the second when second)
// was verified now, and renews its token on w so that the fva claim says
// so at once.
func (a *Auth) markVerified(ctx context.Context, fx *effects, sessionID string, second bool) error {
	var s *storage.Session
	err := a.inTx(ctx, func(t *tx) error {
		var err error
		if s, err = t.GetSession(ctx, sessionID); err != nil {
			return storageError(err)
		}
		now := a.now()
		if second {
			s.SecondFactorAt = now
		} else {
			s.FirstFactorAt = now
		}
		s.UpdatedAt = now
		return storageError(t.UpdateSession(ctx, s))
	})
	if err != nil {
		return err
	}
	sess, err := a.mint(ctx, s)
	if err != nil {
		return err
	}
	fx.setSession(sess.Token)
	return nil
}
