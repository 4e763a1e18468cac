package latch

import (
	"context"
	"errors"
	"time"

	"github.com/latchauth/latch/storage"
)

// Refresh tokens let native apps, which have no cookie jar, keep a session:
// each use returns a new session token and a new refresh token, and the
// used one dies. A used refresh token presented again means it was copied:
// the whole family (the session and all its refresh tokens) is revoked,
// except within refreshGrace of its use, where two requests racing with
// the same token (a retry after a lost response, two threads) are benign.
const (
	purposeRefresh = "refresh_token"
	refreshGrace   = 10 * time.Second
)

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
	return a.issueRefresh(ctx, a.store, s)
}

func (a *Auth) issueRefresh(ctx context.Context, q storage.Querier, s *storage.Session) (string, error) {
	return a.newLink(ctx, q, purposeRefresh, s.ID, s.UserID, "", s.ExpiresAt.Sub(a.now()), nil)
}

// RefreshWithToken exchanges a refresh token for a new session token and a
// new refresh token. Errors are ErrTokenInvalid (unknown, expired, already
// used — which revokes the session — or its session ended) or
// ErrUnavailable.
func (a *Auth) RefreshWithToken(ctx context.Context, refreshToken string) (jwt, next string, err error) {
	v, err := a.findLink(ctx, refreshToken, purposeRefresh)
	if err != nil {
		return "", "", err
	}
	now := a.now()
	if _, err := a.store.ConsumeVerification(ctx, v.ID, now); errors.Is(err, storage.ErrConsumed) {
		if err := a.refreshReused(ctx, v.ID, now); err != nil {
			return "", "", err
		}
	} else if err != nil {
		return "", "", storageError(err)
	}
	s, err := a.store.GetSession(ctx, v.FlowID)
	if err != nil {
		return "", "", storageError(err)
	}
	if !a.live(s) || a.revoked.has(s.ID) {
		return "", "", ErrTokenInvalid
	}
	if err := a.store.TouchSession(ctx, s.ID, now); err != nil {
		return "", "", ErrTokenInvalid.wrap(err)
	}
	sess, err := a.mint(ctx, s)
	if err != nil {
		return "", "", err
	}
	next, err = a.issueRefresh(ctx, a.store, s)
	if err != nil {
		return "", "", err
	}
	return sess.Token, next, nil
}

// refreshReused decides what a second use of a refresh token means: nil
// within the grace period of its first use (carry on), else
// ErrTokenInvalid after revoking the family.
func (a *Auth) refreshReused(ctx context.Context, id string, now time.Time) error {
	v, err := a.store.GetVerification(ctx, id)
	if err != nil {
		return storageError(err)
	}
	if v.ConsumedAt.IsZero() {
		return ErrTokenInvalid // expired, not reused
	}
	if now.Sub(v.ConsumedAt) <= refreshGrace {
		return nil
	}
	a.cfg.Logger.WarnContext(ctx, "latch: refresh token reused; revoking its session", "session_id", v.FlowID)
	var ended []string
	err = a.inTx(ctx, func(t *tx) error {
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
