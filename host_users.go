package latch

import (
	"context"
	"net/http"
)

// The user and session API of Host: the same validated paths, emitting the
// same events, as Auth's public API, so that a plugin (an admin console,
// organizations, provisioning from an identity provider) never writes users
// or sessions to the store behind the events' back.

// CreateUser is Auth.CreateUser: it validates p, runs the OnSignUp hooks
// (Strategy "admin") and emits user.created.
func (h *Host) CreateUser(ctx context.Context, p CreateUserParams) (*User, error) {
	return h.a.CreateUser(ctx, p)
}

// GetUser is Auth.GetUser.
func (h *Host) GetUser(ctx context.Context, id string) (*User, error) { return h.a.GetUser(ctx, id) }

// UpdateUser is Auth.UpdateUser; it emits user.updated.
func (h *Host) UpdateUser(ctx context.Context, id string, p UpdateUserParams) (*User, error) {
	return h.a.UpdateUser(ctx, id, p)
}

// UpdateUserMetadata is Auth.UpdateUserMetadata; it emits user.updated.
func (h *Host) UpdateUserMetadata(ctx context.Context, id string, m UserMetadata) (*User, error) {
	return h.a.UpdateUserMetadata(ctx, id, m)
}

// BanUser is Auth.BanUser: it emits user.updated and session.revoked for
// each session it ends.
func (h *Host) BanUser(ctx context.Context, userID string) error { return h.a.BanUser(ctx, userID) }

// UnbanUser is Auth.UnbanUser; it emits user.updated.
func (h *Host) UnbanUser(ctx context.Context, userID string) error { return h.a.UnbanUser(ctx, userID) }

// DeleteUser is Auth.DeleteUser: it emits session.revoked for each session
// and user.deleted.
func (h *Host) DeleteUser(ctx context.Context, id string) error { return h.a.DeleteUser(ctx, id) }

// ListUserSessions is Auth.ListUserSessions.
func (h *Host) ListUserSessions(ctx context.Context, userID, currentSessionID string) ([]SessionInfo, error) {
	return h.a.ListUserSessions(ctx, userID, currentSessionID)
}

// RevokeSession is Auth.RevokeSession; it emits session.revoked.
func (h *Host) RevokeSession(ctx context.Context, sessionID string) error {
	return h.a.RevokeSession(ctx, sessionID)
}

// RevokeUserSessions is Auth.RevokeUserSessions; it emits session.revoked
// for each session it ends.
func (h *Host) RevokeUserSessions(ctx context.Context, userID, exceptSessionID string) error {
	return h.a.RevokeUserSessions(ctx, userID, exceptSessionID)
}

// CreateSession is Auth.CreateSession: it signs userID in on the browser
// of r, running the OnSessionCreate hooks and emitting session.created.
// With p.ActorID set it is an impersonation: prefer Impersonate, which
// checks the actor.
func (h *Host) CreateSession(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string, p SessionParams) (*Session, error) {
	return h.a.CreateSession(ctx, w, r, userID, p)
}

// ErrImpersonationRefused: the actor of an impersonation is the user
// themself, unknown or banned.
var ErrImpersonationRefused = &Error{Code: "impersonation_refused", Message: "This impersonation is not allowed.", Status: http.StatusForbidden}

// Impersonate signs the browser of r in as userID on behalf of actorID (an
// admin the plugin has already authorized): the session's token carries
// act.sub = actorID, its session.created event records the actor, it
// proves no factor (so it passes no reverification), and the user's
// device is not remembered on the admin's browser. ErrImpersonationRefused
// when actorID is "", userID itself, unknown or banned.
func (h *Host) Impersonate(ctx context.Context, w http.ResponseWriter, r *http.Request, actorID, userID string) (*Session, error) {
	if actorID == "" || actorID == userID {
		return nil, ErrImpersonationRefused
	}
	actor, err := h.a.store.GetUser(ctx, actorID)
	if err != nil || actor.Banned {
		return nil, ErrImpersonationRefused
	}
	return h.a.CreateSession(ctx, w, r, userID, SessionParams{ActorID: actorID})
}
