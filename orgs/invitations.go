package orgs

import (
	"context"
	"encoding/json"
	"errors"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// Invitation is an invitation to join an organization.
type Invitation struct {
	ID             string          `json:"id"`
	Object         string          `json:"object"`
	OrganizationID string          `json:"organization_id"`
	EmailAddress   string          `json:"email_address"`
	Role           string          `json:"role"`
	Status         string          `json:"status"`
	InviterID      string          `json:"inviter_id,omitempty"`
	PublicMetadata json.RawMessage `json:"public_metadata,omitempty"`
	ExpiresAt      time.Time       `json:"expires_at"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	// Organization is set in the lists of a user's invitations.
	Organization *Organization `json:"organization,omitempty"`
	// URL is the link that accepts it, only in the answer that created it
	// through the Go API (the JSON API mails it and never shows it).
	URL string `json:"-"`
}

func invitationView(i *storage.Invitation) *Invitation {
	return &Invitation{ID: i.ID, Object: "organization_invitation", OrganizationID: i.OrganizationID, EmailAddress: i.EmailAddress,
		Role: i.Role, Status: i.Status, InviterID: i.InviterID, PublicMetadata: i.PublicMetadata, ExpiresAt: i.ExpiresAt,
		CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
}

// InviteParams describes an invitation.
type InviteParams struct {
	EmailAddress string `json:"email_address"`
	// Role is the role the invitee gets; "" for the role set's default.
	Role string `json:"role"`
	// RedirectURL is where the invitee goes once they accepted: a path of
	// this application, or a URL under latch.Config.BaseURL.
	RedirectURL    string          `json:"redirect_url"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	// ExpiresIn: 0 for Config.InvitationTTL; at most 30 days.
	ExpiresIn time.Duration `json:"-"`
	// ExpiresInDays is ExpiresIn in the JSON API.
	ExpiresInDays int `json:"expires_in_days"`
}

func normalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") || len(s) > 320 {
		return "", latch.ErrEmailInvalid
	}
	at := strings.LastIndexByte(s, '@')
	return s[:at] + "@" + strings.ToLower(s[at+1:]), nil
}

// CreateInvitation invites an email address to an organization and mails
// it the link. The address may accept once signed in with it verified, or
// sign up through the link, which verifies it.
func (p *Plugin) CreateInvitation(ctx context.Context, orgID, inviterID string, ip InviteParams) (*Invitation, error) {
	out, err := p.createInvitations(ctx, nil, orgID, inviterID, []InviteParams{ip})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// CreateInvitations invites several addresses at once (at most 50): all
// are created or, when one is refused, none.
func (p *Plugin) CreateInvitations(ctx context.Context, orgID, inviterID string, list []InviteParams) ([]*Invitation, error) {
	return p.createInvitations(ctx, nil, orgID, inviterID, list)
}

func (p *Plugin) createInvitations(ctx context.Context, by *actor, orgID, inviterID string, list []InviteParams) ([]*Invitation, error) {
	if len(list) == 0 || len(list) > maxBulkInvitations {
		return nil, latch.ErrParamInvalid.WithField("email_address").WithMessage("Invite 1 to 50 addresses at a time.")
	}
	now := p.h.Now()
	type pending struct {
		inv      *storage.Invitation
		ttl      time.Duration
		redirect string
		tok      string
	}
	var todo []*pending
	seen := map[string]bool{}
	for _, ip := range list {
		addr, err := normalizeEmail(ip.EmailAddress)
		if err != nil {
			return nil, err
		}
		if c := storage.Canonical(storage.KindEmailAddress, addr); seen[c] {
			continue
		} else {
			seen[c] = true
		}
		if err := validMetadata("public_metadata", ip.PublicMetadata); err != nil {
			return nil, err
		}
		if ip.RedirectURL != "" && !p.localURL(ip.RedirectURL) {
			return nil, latch.ErrRedirectNotAllowed
		}
		ttl := ip.ExpiresIn
		if ttl == 0 && ip.ExpiresInDays > 0 {
			ttl = time.Duration(ip.ExpiresInDays) * 24 * time.Hour
		}
		if ttl == 0 {
			ttl = p.cfg.InvitationTTL
		}
		if ttl < 0 || ttl > maxInvitationTTL {
			return nil, latch.ErrParamInvalid.WithField("expires_in_days").WithMessage("Invitations last at most 30 days.")
		}
		id, err := p.h.NewID(latch.PrefixInvitation)
		if err != nil {
			return nil, err
		}
		todo = append(todo, &pending{inv: &storage.Invitation{ID: id, OrganizationID: orgID, EmailAddress: addr, Role: ip.Role,
			Status: storage.InvitationPending, InviterID: inviterID, PublicMetadata: ip.PublicMetadata,
			ExpiresAt: now.Add(ttl), CreatedAt: now, UpdatedAt: now}, ttl: ttl, redirect: ip.RedirectURL})
	}
	var o *storage.Organization
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if o, err = s.orgs.GetOrganization(ctx, orgID); err != nil {
			return storageErr(err)
		}
		set, err := p.roleSetIn(ctx, s.sets, o)
		if err != nil {
			return err
		}
		for _, pd := range todo {
			if pd.inv.Role == "" {
				pd.inv.Role = set.DefaultRole
			}
			if err := p.mayAssign(ctx, s, o, pd.inv.Role, by.permissions()); err != nil {
				return err
			}
			if u, err := t.FindIdentifier(ctx, storage.KindEmailAddress, pd.inv.EmailAddress); err == nil {
				if _, err := s.members.GetMembership(ctx, orgID, u.UserID); err == nil {
					return ErrAlreadyMember.WithField("email_address")
				}
			}
			prev, _, err := s.invites.ListInvitationsForEmail(ctx, pd.inv.EmailAddress, storage.InvitationPending, storage.Page{Limit: storage.MaxLimit})
			if err != nil {
				return err
			}
			for _, old := range prev {
				if old.OrganizationID == orgID && now.Before(old.ExpiresAt) {
					return latch.ErrIdentifierExists.WithField("email_address").WithMessage("This address has a pending invitation.")
				}
			}
			if pd.tok, err = p.h.CreateInvitationLink(ctx, t, pd.inv, pd.ttl); err != nil {
				return err
			}
			if err := t.Emit(ctx, EventInvitationCreated, inviterID, invitationView(pd.inv)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*Invitation, len(todo))
	for i, pd := range todo {
		link := p.invitationURL(pd.tok, pd.redirect)
		if err := p.h.Send(ctx, MessageInvited, latch.Recipient{Email: pd.inv.EmailAddress},
			latch.MessageData{Link: link, Email: pd.inv.EmailAddress, Organization: o.Name}); err != nil {
			p.h.Logger().ErrorContext(ctx, "orgs: sending an invitation", "err", err)
		}
		out[i] = invitationView(pd.inv)
		out[i].URL = link
	}
	return out, nil
}

// invitationURL is the mailed link: the page that accepts it, signed in,
// or sends the invitee to sign up with it.
func (p *Plugin) invitationURL(tok, redirect string) string {
	q := url.Values{"ticket": {tok}}
	if redirect != "" {
		q.Set("redirect_url", redirect)
	}
	return p.h.BaseURL() + p.cfg.PagesPrefix + "/invitations/accept?" + q.Encode()
}

// localURL reports whether u is a path of this application or a URL under
// its base URL.
func (p *Plugin) localURL(u string) bool {
	if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") && !strings.ContainsAny(u, "\\\r\n") {
		return true
	}
	base := strings.TrimSuffix(p.h.BaseURL(), "/")
	return strings.HasPrefix(u, base+"/") || u == base
}

// ListInvitations returns one page of an organization's invitations with
// that status ("" for any).
func (p *Plugin) ListInvitations(ctx context.Context, orgID, status string, pg storage.Page) ([]*Invitation, string, error) {
	list, next, err := p.h.Store().ListInvitations(ctx, orgID, status, pg)
	if err != nil {
		return nil, "", err
	}
	out := make([]*Invitation, 0, len(list))
	for _, i := range list {
		if i.OrganizationID == orgID {
			out = append(out, invitationView(i))
		}
	}
	return out, next, nil
}

// orgInvitation returns an invitation of orgID, or ErrNotFound (another
// organization's is not found either).
func (p *Plugin) orgInvitation(ctx context.Context, q storage.Querier, orgID, id string) (*storage.Invitation, error) {
	inv, err := q.GetInvitation(ctx, id)
	if err != nil || orgID == "" || inv.OrganizationID != orgID {
		return nil, latch.ErrNotFound
	}
	return inv, nil
}

// RevokeInvitation revokes a pending invitation of orgID.
func (p *Plugin) RevokeInvitation(ctx context.Context, orgID, id string) (*Invitation, error) {
	return p.revokeInvitation(ctx, nil, orgID, id)
}

func (p *Plugin) revokeInvitation(ctx context.Context, by *actor, orgID, id string) (*Invitation, error) {
	var inv *storage.Invitation
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		var err error
		if inv, err = p.orgInvitation(ctx, t, orgID, id); err != nil {
			return err
		}
		if err := t.TransitionInvitation(ctx, id, storage.InvitationPending, storage.InvitationRevoked, p.h.Now()); err != nil {
			if errors.Is(err, storage.ErrConsumed) {
				return latch.ErrInvitationInvalid
			}
			return storageErr(err)
		}
		inv.Status = storage.InvitationRevoked
		return t.Emit(ctx, EventInvitationRevoked, by.id(), invitationView(inv))
	})
	if err != nil {
		return nil, err
	}
	return invitationView(inv), nil
}

// verifiedEmails returns the canonical forms of userID's verified email
// addresses, with the addresses as stored.
func verifiedEmails(ctx context.Context, q storage.Querier, userID string) (map[string]string, error) {
	ids, err := q.ListIdentifiers(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, i := range ids {
		if i.Kind == storage.KindEmailAddress && !i.VerifiedAt.IsZero() {
			out[storage.Canonical(storage.KindEmailAddress, i.Value)] = i.Value
		}
	}
	return out, nil
}

// ListUserInvitations returns the pending invitations to the user's
// verified email addresses, each with its organization. Verified domains
// in automatic_invitation mode invite the user here the first time.
func (p *Plugin) ListUserInvitations(ctx context.Context, userID string) ([]*Invitation, error) {
	emails, err := verifiedEmails(ctx, p.h.Store(), userID)
	if err != nil {
		return nil, err
	}
	if err := p.domainInvitations(ctx, userID, emails); err != nil {
		return nil, err
	}
	now := p.h.Now()
	var out []*Invitation
	for _, addr := range emails {
		list, _, err := p.invites.ListInvitationsForEmail(ctx, addr, storage.InvitationPending, storage.Page{Limit: storage.MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, i := range list {
			if i.OrganizationID == "" || !now.Before(i.ExpiresAt) {
				continue
			}
			o, err := p.orgs.GetOrganization(ctx, i.OrganizationID)
			if err != nil {
				continue
			}
			v := invitationView(i)
			v.Organization = orgView(o)
			out = append(out, v)
		}
	}
	return out, nil
}

// AcceptInvitation makes userID a member as the invitation says. The user
// must hold the invited address verified (ErrEmailNotVerified); a used,
// revoked or expired invitation is ErrInvitationInvalid, and of concurrent
// acceptances exactly one succeeds.
func (p *Plugin) AcceptInvitation(ctx context.Context, userID, invitationID string) (*Membership, error) {
	var m *storage.Membership
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		inv, err := t.GetInvitation(ctx, invitationID)
		if err != nil || inv.OrganizationID == "" {
			return latch.ErrInvitationInvalid
		}
		emails, err := verifiedEmails(ctx, t, userID)
		if err != nil {
			return err
		}
		if _, ok := emails[storage.Canonical(storage.KindEmailAddress, inv.EmailAddress)]; !ok {
			return ErrEmailNotVerified
		}
		m, err = p.spend(ctx, t, inv, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	p.evict(ctx, userID)
	return memberView(m), nil
}

// spend accepts inv for userID in t.
func (p *Plugin) spend(ctx context.Context, t *latch.Tx, inv *storage.Invitation, userID string) (*storage.Membership, error) {
	now := p.h.Now()
	if inv.Status != storage.InvitationPending || !now.Before(inv.ExpiresAt) {
		return nil, latch.ErrInvitationInvalid
	}
	if err := t.TransitionInvitation(ctx, inv.ID, storage.InvitationPending, storage.InvitationAccepted, now); err != nil {
		if errors.Is(err, storage.ErrConsumed) || errors.Is(err, storage.ErrNotFound) {
			return nil, latch.ErrInvitationInvalid
		}
		return nil, err
	}
	if inv.VerificationID != "" {
		// The link is spent too, so that it cannot sign anyone up.
		if _, err := t.ConsumeVerification(ctx, inv.VerificationID, now); err != nil && !errors.Is(err, storage.ErrConsumed) && !errors.Is(err, storage.ErrNotFound) {
			return nil, err
		}
	}
	return p.joinInvited(ctx, t, inv, userID)
}

// joinInvited makes userID a member as the accepted invitation inv says.
func (p *Plugin) joinInvited(ctx context.Context, t *latch.Tx, inv *storage.Invitation, userID string) (*storage.Membership, error) {
	s, err := txOf(t)
	if err != nil {
		return nil, err
	}
	o, err := s.orgs.GetOrganization(ctx, inv.OrganizationID)
	if err != nil {
		return nil, latch.ErrInvitationInvalid
	}
	role := inv.Role
	set, err := p.roleSetIn(ctx, s.sets, o)
	if err != nil {
		return nil, err
	}
	if role == "" || !contains(set.Roles, role) {
		role = set.DefaultRole // the set changed since
	}
	m, err := p.join(ctx, t, s, o, userID, role, joinInvitation)
	if err != nil {
		return nil, err
	}
	inv.Status = storage.InvitationAccepted
	return m, t.Emit(ctx, EventInvitationAccepted, userID, invitationView(inv))
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// onSignUp makes a user who signed up through an organization's invitation
// link a member: the kernel verified the address and spent the invitation
// in the same transaction.
func (p *Plugin) onSignUp(ctx context.Context, e *latch.SignUpHook) error {
	if e.InvitationID == "" {
		return nil
	}
	inv, err := e.Tx.GetInvitation(ctx, e.InvitationID)
	if err != nil {
		return err
	}
	if inv.OrganizationID == "" {
		return nil
	}
	_, err = p.joinInvited(ctx, e.Tx, inv, e.User.ID)
	return err
}
