package orgs

import (
	"context"
	"errors"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// Suggestion is an organization a user may ask to join, because one of
// their verified addresses is at its verified domain.
type Suggestion struct {
	Object       string        `json:"object"`
	Organization *Organization `json:"organization"`
	EmailAddress string        `json:"email_address"`
	// Status is "suggested", or "pending" once the user asked.
	Status string `json:"status"`
}

// MembershipRequest is a user's request to join.
type MembershipRequest struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	OrganizationID string    `json:"organization_id"`
	UserID         string    `json:"user_id"`
	EmailAddress   string    `json:"email_address"`
	Status         string    `json:"status"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func requestView(r *storage.MembershipRequest) *MembershipRequest {
	return &MembershipRequest{ID: r.ID, Object: "organization_membership_request", OrganizationID: r.OrganizationID,
		UserID: r.UserID, EmailAddress: r.EmailAddress, Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// ListSuggestions returns the organizations suggested to userID: those
// whose verified domain in automatic_suggestion mode covers one of the
// user's verified addresses (never an unverified one), and which the user
// is not a member of.
func (p *Plugin) ListSuggestions(ctx context.Context, userID string) ([]*Suggestion, error) {
	emails, err := verifiedEmails(ctx, p.h.Store(), userID)
	if err != nil {
		return nil, err
	}
	var out []*Suggestion
	seen := map[string]bool{}
	for _, addr := range emails {
		doms, err := p.verifiedDomainsFor(ctx, p.domains, addr)
		if err != nil {
			return nil, err
		}
		for _, d := range doms {
			if d.EnrollmentMode != EnrollAutoSuggestion || seen[d.OrganizationID] {
				continue
			}
			if _, err := p.members.GetMembership(ctx, d.OrganizationID, userID); err == nil {
				continue
			}
			o, err := p.orgs.GetOrganization(ctx, d.OrganizationID)
			if err != nil {
				continue
			}
			seen[o.ID] = true
			status := "suggested"
			reqs, _, err := p.requests.ListMembershipRequests(ctx, storage.MembershipRequestFilter{OrganizationID: o.ID, UserID: userID,
				Status: storage.MembershipRequestPending}, storage.Page{Limit: 1})
			if err != nil {
				return nil, err
			}
			if len(reqs) > 0 {
				status = storage.MembershipRequestPending
			}
			out = append(out, &Suggestion{Object: "organization_suggestion", Organization: orgView(o), EmailAddress: addr, Status: status})
		}
	}
	return out, nil
}

// RequestMembership asks, for userID, to join orgID, which must be
// suggested to them (ErrNoSuggestion); the organization's admins accept or
// reject the request.
func (p *Plugin) RequestMembership(ctx context.Context, userID, orgID string) (*MembershipRequest, error) {
	sugg, err := p.ListSuggestions(ctx, userID)
	if err != nil {
		return nil, err
	}
	var s *Suggestion
	for _, x := range sugg {
		if x.Organization.ID == orgID {
			s = x
		}
	}
	if s == nil {
		return nil, ErrNoSuggestion
	}
	id, err := p.h.NewID("orgreq")
	if err != nil {
		return nil, err
	}
	now := p.h.Now()
	r := &storage.MembershipRequest{ID: id, OrganizationID: orgID, UserID: userID, EmailAddress: s.EmailAddress,
		Status: storage.MembershipRequestPending, CreatedAt: now, UpdatedAt: now}
	err = p.h.InTx(ctx, func(t *latch.Tx) error {
		st, err := txOf(t)
		if err != nil {
			return err
		}
		if err := st.requests.CreateMembershipRequest(ctx, r); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return latch.ErrIdentifierExists.WithMessage("You have asked to join already.")
			}
			return err
		}
		return t.Emit(ctx, EventRequestCreated, userID, requestView(r))
	})
	if err != nil {
		return nil, err
	}
	return requestView(r), nil
}

// ListRequests returns one page of an organization's membership requests
// with that status ("" for any).
func (p *Plugin) ListRequests(ctx context.Context, orgID, status string, pg storage.Page) ([]*MembershipRequest, string, error) {
	list, next, err := p.requests.ListMembershipRequests(ctx, storage.MembershipRequestFilter{OrganizationID: orgID, Status: status}, pg)
	if err != nil {
		return nil, "", err
	}
	out := make([]*MembershipRequest, len(list))
	for i, r := range list {
		out[i] = requestView(r)
	}
	return out, next, nil
}

// AcceptRequest accepts a pending request of orgID: the user becomes a
// member with the role set's default role and is told by mail.
func (p *Plugin) AcceptRequest(ctx context.Context, orgID, requestID string) (*Membership, error) {
	return p.decideRequest(ctx, nil, orgID, requestID, true)
}

// RejectRequest rejects a pending request of orgID.
func (p *Plugin) RejectRequest(ctx context.Context, orgID, requestID string) error {
	_, err := p.decideRequest(ctx, nil, orgID, requestID, false)
	return err
}

func (p *Plugin) decideRequest(ctx context.Context, by *actor, orgID, requestID string, accept bool) (*Membership, error) {
	var m *storage.Membership
	var o *storage.Organization
	var r *storage.MembershipRequest
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		r, err = s.requests.GetMembershipRequest(ctx, requestID)
		if err != nil || r.OrganizationID != orgID || orgID == "" {
			return latch.ErrNotFound
		}
		to, typ := storage.MembershipRequestRejected, EventRequestRejected
		if accept {
			to, typ = storage.MembershipRequestAccepted, EventRequestAccepted
		}
		if err := s.requests.TransitionMembershipRequest(ctx, requestID, storage.MembershipRequestPending, to, p.h.Now()); err != nil {
			if errors.Is(err, storage.ErrConsumed) {
				return ErrRequestInvalid
			}
			return storageErr(err)
		}
		r.Status = to
		if err := t.Emit(ctx, typ, by.id(), requestView(r)); err != nil {
			return err
		}
		if !accept {
			return nil
		}
		if o, err = s.orgs.GetOrganization(ctx, orgID); err != nil {
			return storageErr(err)
		}
		set, err := p.roleSetIn(ctx, s.sets, o)
		if err != nil {
			return err
		}
		m, err = p.join(ctx, t, s, o, r.UserID, set.DefaultRole, joinRequest)
		return err
	})
	if err != nil || !accept {
		return nil, err
	}
	p.evict(ctx, r.UserID)
	p.notify(ctx, r.UserID, MessageRequestAccepted, o)
	return memberView(m), nil
}
