package latch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

// Sign-up modes (SignUpConfig.Mode).
const (
	SignUpPublic     = "public"     // anyone may sign up (the default)
	SignUpRestricted = "restricted" // only with an invitation
	SignUpWaitlist   = "waitlist"   // people join a waitlist; approved ones are invited
)

// Invitation states beyond the storage ones.
const (
	invitationWaitlisted = "waitlisted"
	invitationApproved   = "approved"
	purposeInvitation    = "invitation"
	defaultInvitationTTL = 7 * 24 * time.Hour
	maxInvitationTTL     = 30 * 24 * time.Hour
)

// MessageInvitation invites someone to sign up.
const MessageInvitation MessageKind = "invitation"

// Errors of invitation-only and waitlist sign-up.
var (
	// ErrSignUpRestricted: sign-up needs an invitation.
	ErrSignUpRestricted = &Error{Code: "sign_up_restricted", Message: "Sign-up is by invitation only.", Status: http.StatusForbidden}
	// ErrInvitationInvalid: the invitation is unknown, used, revoked or expired.
	ErrInvitationInvalid = &Error{Code: "invitation_invalid", Message: "This invitation is no longer valid.", Status: http.StatusUnprocessableEntity, Field: "ticket"}
)

// Invitation is an invitation to sign up, or a waitlist entry.
type Invitation struct {
	ID           string    `json:"id"`
	EmailAddress string    `json:"email_address"`
	Status       string    `json:"status"` // pending, accepted, revoked, waitlisted, approved
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
}

func invitationView(i *storage.Invitation) *Invitation {
	return &Invitation{ID: i.ID, EmailAddress: i.EmailAddress, Status: i.Status, ExpiresAt: i.ExpiresAt, CreatedAt: i.CreatedAt}
}

// CreateInvitation invites an email address to sign up: it mails a link
// (valid ttl, default 7 days, at most 30) whose token, passed to sign-up as
// "ticket", verifies the address and lets the person in whatever the
// sign-up mode.
func (a *Auth) CreateInvitation(ctx context.Context, email string, ttl time.Duration) (*Invitation, error) {
	addr, e := normalizeEmail(email)
	if e != nil {
		return nil, e
	}
	if ttl == 0 {
		ttl = defaultInvitationTTL
	}
	if ttl < 0 || ttl > maxInvitationTTL {
		return nil, ErrParamInvalid.WithField("expires_in").WithMessage("Invitations last at most 30 days.")
	}
	id, err := a.newID(PrefixInvitation)
	if err != nil {
		return nil, err
	}
	now := a.now()
	inv := &storage.Invitation{ID: id, EmailAddress: addr, Status: storage.InvitationPending, ExpiresAt: now.Add(ttl), CreatedAt: now, UpdatedAt: now}
	var tok string
	err = a.inTx(ctx, func(t *tx) error {
		data, _ := json.Marshal(map[string]string{"invitation_id": id})
		var err error
		if tok, err = a.newLink(ctx, t, purposeInvitation, "", "", "", ttl, data); err != nil {
			return err
		}
		inv.VerificationID, _, _ = strings.Cut(tok, ".")
		if err := t.CreateInvitation(ctx, inv); err != nil {
			return storageError(err)
		}
		return t.emit(ctx, EventInvitationCreated, invitationView(inv), auditInfo{})
	})
	if err != nil {
		return nil, err
	}
	link := a.link("/sign-up?ticket=" + url.QueryEscape(tok))
	if err := a.send(ctx, MessageInvitation, Recipient{Email: addr}, MessageData{Link: link}); err != nil {
		return nil, err
	}
	return invitationView(inv), nil
}

// JoinWaitlist puts an email address on the waitlist. It answers the same
// whether or not the address already has an account or an entry.
func (a *Auth) JoinWaitlist(ctx context.Context, email string) error {
	addr, e := normalizeEmail(email)
	if e != nil {
		return e
	}
	if err := a.screenIdentifier(storage.KindEmailAddress, addr); err != nil {
		return err
	}
	id, err := a.newID(PrefixInvitation)
	if err != nil {
		return err
	}
	now := a.now()
	inv := &storage.Invitation{ID: id, EmailAddress: addr, Status: invitationWaitlisted, CreatedAt: now, UpdatedAt: now}
	return a.inTx(ctx, func(t *tx) error {
		if err := t.CreateInvitation(ctx, inv); err != nil {
			return storageError(err)
		}
		return t.emit(ctx, EventWaitlistEntryCreated, invitationView(inv), auditInfo{})
	})
}

// ListWaitlist returns one page of waitlist entries still waiting.
func (a *Auth) ListWaitlist(ctx context.Context, p storage.Page) ([]*Invitation, string, error) {
	invs, next, err := a.store.ListInvitations(ctx, "", invitationWaitlisted, p)
	if err != nil {
		return nil, "", storageError(err)
	}
	out := make([]*Invitation, len(invs))
	for i, inv := range invs {
		out[i] = invitationView(inv)
	}
	return out, next, nil
}

// ApproveWaitlistEntry approves a waitlist entry and sends its address an
// invitation. Approving twice sends nothing more (ErrInvitationInvalid).
func (a *Auth) ApproveWaitlistEntry(ctx context.Context, id string) (*Invitation, error) {
	w, err := a.store.GetInvitation(ctx, id)
	if err != nil {
		return nil, storageError(err)
	}
	if err := a.store.TransitionInvitation(ctx, id, invitationWaitlisted, invitationApproved, a.now()); err != nil {
		if errors.Is(err, storage.ErrConsumed) {
			return nil, ErrInvitationInvalid
		}
		return nil, storageError(err)
	}
	return a.CreateInvitation(ctx, w.EmailAddress, 0)
}

// checkInvitation reads the invitation a token names, when it can still be
// used, without spending it: a sign-up refused on the way (a weak password)
// keeps it. spendInvitation spends it when the account is created.
func (a *Auth) checkInvitation(ctx context.Context, tok string) (*storage.Invitation, *storage.Verification, error) {
	v, err := a.findLink(ctx, tok, purposeInvitation)
	if err != nil || !v.ConsumedAt.IsZero() || !a.now().Before(v.ExpiresAt) {
		return nil, nil, ErrInvitationInvalid
	}
	var d struct {
		InvitationID string `json:"invitation_id"`
	}
	if err := json.Unmarshal(v.Data, &d); err != nil {
		return nil, nil, ErrInvitationInvalid
	}
	inv, err := a.store.GetInvitation(ctx, d.InvitationID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && inv.Status != storage.InvitationPending) {
		return nil, nil, ErrInvitationInvalid
	}
	if err != nil {
		return nil, nil, storageError(err)
	}
	return inv, v, nil
}

// spendInvitation spends, with t (the transaction that creates the
// account), the invitation a sign-up was started with: of two sign-ups
// with one invitation, exactly one creates an account.
func (a *Auth) spendInvitation(ctx context.Context, t *tx, invitationID, verificationID string) error {
	now := a.now()
	if _, err := t.ConsumeVerification(ctx, verificationID, now); err != nil {
		if errors.Is(err, storage.ErrConsumed) || errors.Is(err, storage.ErrNotFound) {
			return ErrInvitationInvalid
		}
		return storageError(err)
	}
	if err := t.TransitionInvitation(ctx, invitationID, storage.InvitationPending, storage.InvitationAccepted, now); err != nil {
		if errors.Is(err, storage.ErrConsumed) || errors.Is(err, storage.ErrNotFound) {
			return ErrInvitationInvalid
		}
		return storageError(err)
	}
	inv, err := t.GetInvitation(ctx, invitationID)
	if err != nil {
		return storageError(err)
	}
	t.invitation = invitationID
	return t.emit(ctx, EventInvitationAccepted, invitationView(inv), auditInfo{})
}

func (a *Auth) serveWaitlist(w http.ResponseWriter, r *http.Request) {
	var p struct {
		EmailAddress string `json:"email_address"`
	}
	if err := decode(w, r, &p); err != nil {
		writeError(w, err)
		return
	}
	if a.cfg.SignUp.Mode != SignUpWaitlist {
		writeError(w, ErrNotFound)
		return
	}
	respond(w, map[string]bool{"joined": true}, a.JoinWaitlist(r.Context(), p.EmailAddress))
}
