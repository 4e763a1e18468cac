package latch

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/latchauth/latch/storage"
)

// Refresh tokens let native apps, which have no cookie jar, keep a session:
// each use returns a new session token and a new refresh token (the
// successor), and the used one dies. A used refresh token presented again
// means it was copied: the whole family (the session and all its refresh
// tokens) is revoked, except within refreshGrace of its use, where two
// requests racing with the same token (a retry after a lost response, two
// threads) are benign. Those get the same successor again, so that a
// session never has two live chains of refresh tokens.
//
// The successor can be handed out again without storing it: its ID is
// chosen when its predecessor is issued (and kept in the predecessor's
// Data), and its secret is an HMAC of the predecessor token under a key
// derived from the application's secrets, so only the holder of the
// predecessor can compute it. Its hash is stored like every other secret.
const (
	purposeRefresh = "refresh_token"
	refreshGrace   = 10 * time.Second
)

// refreshData is the Data of a refresh token's verification.
type refreshData struct {
	Next string `json:"next"` // the ID its successor will have
}

// NewRefreshToken returns a refresh token for a session, for a native app
// that signed in through the JSON API. It lives as long as the session.
func (a *Auth) NewRefreshToken(ctx context.Context, sessionID string) (string, error) {
	s, err := a.store.GetSession(ctx, sessionID)
	if err != nil {
		return "", storageError(err)
	}
	if !a.live(s) {
		return "", ErrSignedOut
	}
	id, err := a.newID(PrefixVerification)
	if err != nil {
		return "", err
	}
	secret, _, err := a.newSecret()
	if err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	return a.createRefresh(ctx, a.store, s, id, secret)
}

// createRefresh stores the refresh token id.secret of session s.
func (a *Auth) createRefresh(ctx context.Context, q storage.Querier, s *storage.Session, id, secret string) (string, error) {
	next, err := a.newID(PrefixVerification)
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(refreshData{Next: next})
	if err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	if err := q.CreateVerification(ctx, &storage.Verification{ID: id, Purpose: purposeRefresh, FlowID: s.ID, UserID: s.UserID,
		SecretHash: hashSecret(secret), Data: data, ExpiresAt: s.ExpiresAt, CreatedAt: a.now()}); err != nil {
		return "", storageError(err)
	}
	return id + "." + secret, nil
}

// successorSecret is the secret of the successor of refresh token tok under
// one application secret.
func successorSecret(secret []byte, tok string) string {
	m := hmac.New(sha256.New, derive(secret, "refresh-successor"))
	m.Write([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// errRefreshReplayed: the refresh token was used before (or expired).
var errRefreshReplayed = errors.New("latch: refresh token already used")

// RefreshWithToken exchanges a refresh token for a new session token and a
// new refresh token. Presented again within a few seconds of its use it
// returns the same new refresh token (and a fresh session token); later,
// it revokes the session. Errors are ErrTokenInvalid (unknown, expired,
// replayed — which revokes the session — or its session ended) or
// ErrUnavailable.
func (a *Auth) RefreshWithToken(ctx context.Context, refreshToken string) (jwt, next string, err error) {
	v, err := a.findLink(ctx, refreshToken, purposeRefresh)
	if err != nil {
		return "", "", err
	}
	var d refreshData
	if len(v.Data) > 0 {
		_ = json.Unmarshal(v.Data, &d) // tokens issued before successors were named have none
	}
	now := a.now()
	var s *storage.Session
	err = a.inTx(ctx, func(t *tx) error {
		// Consuming and creating the successor commit together, so a
		// request that finds the token consumed finds its successor too.
		if _, err := t.ConsumeVerification(ctx, v.ID, now); errors.Is(err, storage.ErrConsumed) {
			return errRefreshReplayed
		} else if err != nil {
			return storageError(err)
		}
		var err error
		if s, err = t.GetSession(ctx, v.FlowID); err != nil {
			return storageError(err)
		}
		if !a.live(s) || a.revoked.has(s.ID) {
			return ErrTokenInvalid
		}
		if err := t.TouchSession(ctx, s.ID, now); err != nil {
			return ErrTokenInvalid.wrap(err)
		}
		id := d.Next
		if id == "" {
			if id, err = a.newID(PrefixVerification); err != nil {
				return err
			}
		}
		next, err = a.createRefresh(ctx, t, s, id, successorSecret(a.cfg.Secrets[0], refreshToken))
		return err
	})
	if errors.Is(err, errRefreshReplayed) {
		s, next, err = a.refreshReplayed(ctx, v.ID, d.Next, refreshToken, now)
	}
	if err != nil {
		return "", "", err
	}
	sess, err := a.mint(ctx, s)
	if err != nil {
		return "", "", err
	}
	return sess.Token, next, nil
}

// refreshReplayed decides what a second use of refresh token tok means:
// within the grace period of its first use, the session and the successor
// that use issued; later, ErrTokenInvalid after revoking the family.
func (a *Auth) refreshReplayed(ctx context.Context, id, nextID, tok string, now time.Time) (*storage.Session, string, error) {
	v, err := a.store.GetVerification(ctx, id)
	if err != nil {
		return nil, "", storageError(err)
	}
	if v.ConsumedAt.IsZero() {
		return nil, "", ErrTokenInvalid // expired, not reused
	}
	if now.Sub(v.ConsumedAt) > refreshGrace {
		return nil, "", a.refreshReused(ctx, v, now)
	}
	s, err := a.store.GetSession(ctx, v.FlowID)
	if err != nil {
		return nil, "", storageError(err)
	}
	if !a.live(s) || a.revoked.has(s.ID) || nextID == "" {
		return nil, "", ErrTokenInvalid
	}
	succ, err := a.store.GetVerification(ctx, nextID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, "", ErrTokenInvalid // revoked with its family, or never issued
	} else if err != nil {
		return nil, "", storageError(err)
	}
	for _, secret := range a.cfg.Secrets { // the successor may predate a rotation of Secrets
		if sec := successorSecret(secret, tok); secretMatches(sec, succ.SecretHash) {
			return s, nextID + "." + sec, nil
		}
	}
	return nil, "", ErrTokenInvalid
}

// refreshReused revokes the family of a refresh token used again after the
// grace period, and returns ErrTokenInvalid.
func (a *Auth) refreshReused(ctx context.Context, v *storage.Verification, now time.Time) error {
	a.cfg.Logger.WarnContext(ctx, "latch: refresh token reused; revoking its session", "session_id", v.FlowID)
	var ended []string
	err := a.inTx(ctx, func(t *tx) error {
		if _, err := t.RevokeVerifications(ctx, storage.VerificationFilter{Purpose: purposeRefresh, FlowID: v.FlowID}, now); err != nil {
			return err
		}
		var err error
		ended, err = a.endSessions(ctx, t, storage.SessionFilter{}, v.FlowID, storage.SessionRevoked)
		return err
	})
	if err != nil {
		return err
	}
	a.revoke(ctx, ended...)
	return ErrTokenInvalid
}
