package latchtest

import (
	"context"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/token"
)

// WithClaims returns ctx carrying a session with the claims c, as
// Middleware would put it there for a request with such a token: a unit
// test of a handler that calls latch.Has or latch.SessionFromContext needs
// no Auth, no store and no signed token.
//
//	ctx := latchtest.WithClaims(context.Background(), token.Claims{Subject: "user_1", OrgRole: "org:admin"})
//	latch.Has(ctx, latch.Role("org:admin")) // true
func WithClaims(ctx context.Context, c token.Claims) context.Context {
	s := &latch.Session{ID: c.SessionID, UserID: c.Subject, Claims: &c}
	if c.Actor != nil {
		s.ActorID = c.Actor.Subject
	}
	return latch.WithSession(ctx, s)
}
