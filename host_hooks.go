package latch

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/latchauth/latch/storage"
)

// SignUpHook is what an OnSignUp hook receives about a user being created.
// It is a struct so that it can grow without breaking hooks.
type SignUpHook struct {
	// User is the new user as the API will return it. Changing it changes
	// nothing: write through Tx instead.
	User *User
	// Tx is the transaction that creates the user: the user and its
	// identifiers are already in it, and what the hook writes or emits
	// commits with the user or not at all.
	Tx *Tx
	// Strategy is what verified the user's identifiers: the sign-up's
	// strategy ("email_code", "email_link", "phone_code"), "ticket" for an
	// invitation, "admin" for a user created through the Go API
	// (CreateUser, ImportUsers); "" when nothing was verified (a
	// username-only account).
	Strategy string
	// Identity is the account at an outside provider the user signed up
	// with (a social or enterprise sign-in), already linked to the user in
	// Tx; nil otherwise. A hook provisions from it: the organization of an
	// SSO connection, a role from a SAML attribute.
	Identity *Identity
	// InvitationID is the invitation the sign-up spent (its link verified
	// the address), already accepted in Tx; "" for none. A hook acts on
	// what it invites to (an organization's membership).
	InvitationID string
}

// SessionCreateHook is what an OnSessionCreate hook receives about a session
// being created. It is a struct so that it can grow without breaking hooks.
type SessionCreateHook struct {
	// User is the user signing in, as stored.
	User *storage.User
	// Session is a copy of the session about to be stored, for reading:
	// its ID, client, AMR and actor are final.
	Session storage.Session
	// Tx is the session's transaction.
	Tx *Tx
	// ActiveOrganizationID is the organization the session will act for,
	// "" for none. A hook sets it (the last to set it wins), and the
	// session is stored with it, so the first token already carries it.
	ActiveOrganizationID string
}

// SignInContext is what a sign-in policy sees of a sign-in whose first
// factor has been verified. It is a struct so that it can grow.
type SignInContext struct {
	// User is the user signing in.
	User *storage.User
	// Strategy is the first factor used ("password", "email_code",
	// "passkey", …).
	Strategy string
	// AMR lists the methods the first factor verified (RFC 8176).
	AMR []string
	// OrganizationID is the organization the sign-in is for, when it
	// started from one (an organization's own sign-in connection); "".
	OrganizationID string
}

// SignInRequirement is what a sign-in policy asks of a sign-in.
type SignInRequirement struct {
	// SecondFactor requires a second factor: the user verifies one, or
	// sets one up first when they have none.
	SecondFactor bool
	// Strategies, when not empty, are the only first factors the sign-in
	// may have used ("members of this organization sign in with a
	// passkey"). A sign-in that used another is refused with
	// ErrStrategyNotAllowed.
	Strategies []string
}

// SignInPolicy decides what a sign-in must prove beyond its first factor.
// Returning the zero SignInRequirement asks for nothing; an error fails the
// sign-in (a non-*Error as ErrUnavailable).
type SignInPolicy func(ctx context.Context, in SignInContext) (SignInRequirement, error)

// OnSignUp runs fn inside the transaction that creates each user, after
// the user and its identifiers are written and before user.created is
// emitted: for every sign-up (hosted pages, the JSON API, invitations) and
// every user created through the Go API (CreateUser, ImportUsers, and
// Host.CreateUser), so that what a plugin keeps for every user (a personal
// organization, an accepted invitation) exists for every user.
// SignUpHook.Strategy tells them apart. An error from fn aborts the
// creation: no user, no event, and the caller gets the error as an *Error
// (any other error as ErrUnavailable). Hooks run in registration order.
func (h *Host) OnSignUp(fn func(ctx context.Context, e *SignUpHook) error) {
	h.a.reg.signUp = append(h.a.reg.signUp, fn)
}

// OnSessionCreate runs fn inside the transaction of every new session,
// before the session is stored, so that fn can pick its active
// organization (SessionCreateHook.ActiveOrganizationID). An error aborts
// the sign-in: no session, no event, and the caller gets it as an *Error
// (any other error as ErrUnavailable).
func (h *Host) OnSessionCreate(fn func(ctx context.Context, e *SessionCreateHook) error) {
	h.a.reg.sessionCreate = append(h.a.reg.sessionCreate, fn)
}

// AddSignInPolicy adds p to the policies every sign-in is checked against
// once its first factor is verified. Requirements add up: a second factor
// when any policy asks for one, and a first factor that every policy
// listing strategies allows. RequireSecondFactor is the special case of a
// policy that asks for a second factor by user alone.
func (h *Host) AddSignInPolicy(p SignInPolicy) {
	h.a.reg.signIn = append(h.a.reg.signIn, p)
}

// runSignUpHooks runs the OnSignUp hooks in t for the new user u.
func (a *Auth) runSignUpHooks(ctx context.Context, t *tx, u *User, strategy string) error {
	for _, fn := range a.reg.signUp {
		if err := fn(ctx, &SignUpHook{User: u, Tx: &Tx{Querier: t, t: t}, Strategy: strategy, Identity: t.identity, InvitationID: t.invitation}); err != nil {
			return asError(err)
		}
	}
	return nil
}

// runSessionHooks runs the OnSessionCreate hooks in t for s, which is not
// stored yet, and applies what they chose to it.
func (a *Auth) runSessionHooks(ctx context.Context, t *tx, u *storage.User, s *storage.Session) error {
	if len(a.reg.sessionCreate) == 0 {
		return nil
	}
	e := &SessionCreateHook{User: u, Tx: &Tx{Querier: t, t: t}, ActiveOrganizationID: s.ActiveOrganizationID}
	for _, fn := range a.reg.sessionCreate {
		e.Session = *s
		e.Session.AMR = slices.Clone(s.AMR)
		if err := fn(ctx, e); err != nil {
			return asError(err)
		}
		s.ActiveOrganizationID = e.ActiveOrganizationID
	}
	return nil
}

// signInRequirements evaluates every policy for a sign-in whose first
// factor is verified: the second-factor policies (RequireSecondFactor) and
// the sign-in policies (AddSignInPolicy). It fails with
// ErrStrategyNotAllowed when a policy allows only other first factors than
// in.Strategy; the requirement's Strategies are then those every such
// policy allows, for the message.
func (a *Auth) signInRequirements(ctx context.Context, in SignInContext) (SignInRequirement, error) {
	var req SignInRequirement
	second, err := a.secondFactorRequired(ctx, in.User)
	if err != nil {
		return req, err
	}
	req.SecondFactor = second
	restricted := false
	for _, p := range a.reg.signIn {
		r, err := p(ctx, in)
		if err != nil {
			return SignInRequirement{}, asError(err)
		}
		req.SecondFactor = req.SecondFactor || r.SecondFactor
		if len(r.Strategies) == 0 {
			continue
		}
		if !restricted {
			req.Strategies, restricted = slices.Clone(r.Strategies), true
			continue
		}
		req.Strategies = slices.DeleteFunc(req.Strategies, func(s string) bool { return !slices.Contains(r.Strategies, s) })
	}
	if restricted && !slices.Contains(req.Strategies, in.Strategy) {
		msg := "This account cannot sign in this way."
		if len(req.Strategies) > 0 {
			msg = fmt.Sprintf("This account must sign in with %s.", strings.Join(req.Strategies, " or "))
		}
		return req, ErrStrategyNotAllowed.WithMessage(msg)
	}
	return req, nil
}
