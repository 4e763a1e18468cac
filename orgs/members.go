package orgs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// Membership is a user's membership as the API returns it.
type Membership struct {
	ID              string          `json:"id"`
	Object          string          `json:"object"`
	OrganizationID  string          `json:"organization_id"`
	UserID          string          `json:"user_id"`
	Role            string          `json:"role"`
	PublicMetadata  json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata json.RawMessage `json:"-"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
	// Permissions are the role's, when the answer includes them.
	Permissions []string `json:"permissions,omitempty"`
	// Organization is set in the lists of a user's memberships.
	Organization *Organization `json:"organization,omitempty"`
}

func memberView(m *storage.Membership) *Membership {
	return &Membership{ID: m.ID, Object: "organization_membership", OrganizationID: m.OrganizationID, UserID: m.UserID,
		Role: m.Role, PublicMetadata: m.PublicMetadata, PrivateMetadata: m.PrivateMetadata, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

// actor is who asks for a change through the JSON API: a member acting
// within their own permissions. The Go API acts as nobody in particular
// (nil), bounded by the rules of the organization alone.
type actor struct {
	userID string
	perms  []string
}

func (a *actor) id() string {
	if a == nil {
		return ""
	}
	return a.userID
}

func (a *actor) permissions() []string {
	if a == nil {
		return nil
	}
	if a.perms == nil {
		return []string{}
	}
	return a.perms
}

// How a member joined, for the event.
const (
	joinDirect     = "direct"
	joinInvitation = "invitation"
	joinRequest    = "request"
	joinDomain     = "domain"
)

// join makes userID a member of o with role, in t: it locks the
// organization so that the membership limit holds under concurrency, and
// enforces RestrictToDomains.
func (p *Plugin) join(ctx context.Context, t *latch.Tx, s *txStores, o *storage.Organization, userID, role, how string) (*storage.Membership, error) {
	if err := s.lock.LockOrganization(ctx, o.ID); err != nil {
		return nil, storageErr(err)
	}
	cur, err := s.orgs.GetOrganization(ctx, o.ID) // as of the lock
	if err != nil {
		return nil, storageErr(err)
	}
	if _, err := s.members.GetMembership(ctx, o.ID, userID); err == nil {
		return nil, ErrAlreadyMember
	} else if !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	if cur.MaxMemberships > 0 {
		n, err := s.members.CountMemberships(ctx, storage.MembershipFilter{OrganizationID: o.ID})
		if err != nil {
			return nil, err
		}
		if n >= cur.MaxMemberships {
			return nil, ErrMembershipLimit
		}
	}
	if cur.RestrictToDomains {
		ok, err := p.atVerifiedDomain(ctx, t, s, o.ID, userID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrDomainRestricted
		}
	}
	id, err := p.h.NewID(latch.PrefixMembership)
	if err != nil {
		return nil, err
	}
	now := p.h.Now()
	m := &storage.Membership{ID: id, OrganizationID: o.ID, UserID: userID, Role: role, CreatedAt: now, UpdatedAt: now}
	if err := s.members.CreateMembership(ctx, m); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, ErrAlreadyMember
		}
		return nil, storageErr(err)
	}
	v := memberView(m)
	return m, t.Emit(ctx, EventMembershipCreated, userID, struct {
		*Membership
		Source string `json:"source"`
	}{v, how})
}

// atVerifiedDomain reports whether userID has a verified email address at
// one of orgID's verified domains.
func (p *Plugin) atVerifiedDomain(ctx context.Context, q storage.Querier, s *txStores, orgID, userID string) (bool, error) {
	doms, err := s.domains.ListDomains(ctx, orgID)
	if err != nil {
		return false, err
	}
	ids, err := q.ListIdentifiers(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, i := range ids {
		if i.Kind != storage.KindEmailAddress || i.VerifiedAt.IsZero() {
			continue
		}
		for _, d := range doms {
			if !d.VerifiedAt.IsZero() && domainMatches(d, emailDomain(i.Value)) {
				return true, nil
			}
		}
	}
	return false, nil
}

// AddMember adds userID to an organization directly (a back end's
// decision: no invitation), with role ("" for the role set's default).
func (p *Plugin) AddMember(ctx context.Context, orgID, userID, role string) (*Membership, error) {
	return p.addMember(ctx, nil, orgID, userID, role)
}

func (p *Plugin) addMember(ctx context.Context, by *actor, orgID, userID, role string) (*Membership, error) {
	var m *storage.Membership
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		o, err := s.orgs.GetOrganization(ctx, orgID)
		if err != nil {
			return storageErr(err)
		}
		if role == "" {
			set, err := p.roleSetIn(ctx, s.sets, o)
			if err != nil {
				return err
			}
			role = set.DefaultRole
		}
		if err := p.mayAssign(ctx, s, o, role, by.permissions()); err != nil {
			return err
		}
		m, err = p.join(ctx, t, s, o, userID, role, joinDirect)
		return err
	})
	if err != nil {
		return nil, err
	}
	p.evict(ctx, userID)
	return memberView(m), nil
}

// GetMembership returns the membership of userID in orgID with its role's
// permissions, or ErrNotFound: the cheap check for a back end (one read).
func (p *Plugin) GetMembership(ctx context.Context, orgID, userID string) (*Membership, error) {
	mc, err := p.claims.GetMembershipClaims(ctx, orgID, userID, "")
	if err != nil {
		return nil, storageErr(err)
	}
	v := memberView(mc.Membership)
	v.Permissions = mc.Permissions
	return v, nil
}

// UpdateMemberRole gives a member another role of the organization's set.
// The last member holding the creator role keeps it (ErrLastCreator).
func (p *Plugin) UpdateMemberRole(ctx context.Context, orgID, userID, role string) (*Membership, error) {
	return p.updateRole(ctx, nil, orgID, userID, role)
}

func (p *Plugin) updateRole(ctx context.Context, by *actor, orgID, userID, role string) (*Membership, error) {
	var m *storage.Membership
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if err := s.lock.LockOrganization(ctx, orgID); err != nil {
			return storageErr(err)
		}
		o, err := s.orgs.GetOrganization(ctx, orgID)
		if err != nil {
			return storageErr(err)
		}
		if m, err = s.members.GetMembership(ctx, orgID, userID); err != nil {
			return storageErr(err)
		}
		if m.Role == role {
			return nil
		}
		if err := p.mayAssign(ctx, s, o, role, by.permissions()); err != nil {
			return err
		}
		if by != nil {
			// Nor may anyone change the role of a member who holds more
			// than they do.
			held, err := permissionsOf(ctx, s.roles, m.Role)
			if err != nil {
				return err
			}
			if !systemSubset(held, by.permissions()) {
				return ErrRoleNotAllowed
			}
		}
		if err := p.keepsCreator(ctx, s, o, m); err != nil {
			return err
		}
		m.Role, m.UpdatedAt = role, p.h.Now()
		if err := s.members.UpdateMembership(ctx, m); err != nil {
			return storageErr(err)
		}
		return t.Emit(ctx, EventMembershipUpdated, by.id(), memberView(m))
	})
	if err != nil {
		return nil, err
	}
	p.evict(ctx, userID)
	return memberView(m), nil
}

// keepsCreator refuses a change that takes m, holding the creator role,
// out of it when no other member holds it. The organization is locked.
func (p *Plugin) keepsCreator(ctx context.Context, s *txStores, o *storage.Organization, m *storage.Membership) error {
	set, err := p.roleSetIn(ctx, s.sets, o)
	if err != nil {
		return err
	}
	if m.Role != set.CreatorRole {
		return nil
	}
	n, err := s.members.CountMemberships(ctx, storage.MembershipFilter{OrganizationID: o.ID, Role: set.CreatorRole})
	if err != nil {
		return err
	}
	if n <= 1 {
		return ErrLastCreator
	}
	return nil
}

// RemoveMember removes userID from an organization (and its teams) and
// tells them by mail. The last member holding the creator role stays
// (ErrLastCreator). Their sessions acting for it switch to the personal
// account: the next token has no organization claims.
func (p *Plugin) RemoveMember(ctx context.Context, orgID, userID string) error {
	return p.removeMember(ctx, nil, orgID, userID, false)
}

// Leave removes userID from an organization at their own request.
func (p *Plugin) Leave(ctx context.Context, orgID, userID string) error {
	return p.removeMember(ctx, &actor{userID: userID}, orgID, userID, true)
}

func (p *Plugin) removeMember(ctx context.Context, by *actor, orgID, userID string, leaving bool) error {
	var o *storage.Organization
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if err := s.lock.LockOrganization(ctx, orgID); err != nil {
			return storageErr(err)
		}
		if o, err = s.orgs.GetOrganization(ctx, orgID); err != nil {
			return storageErr(err)
		}
		m, err := s.members.GetMembership(ctx, orgID, userID)
		if err != nil {
			return storageErr(err)
		}
		if by != nil && !leaving {
			held, err := permissionsOf(ctx, s.roles, m.Role)
			if err != nil {
				return err
			}
			if !systemSubset(held, by.permissions()) {
				return ErrRoleNotAllowed
			}
		}
		if err := p.keepsCreator(ctx, s, o, m); err != nil {
			return err
		}
		if err := s.members.DeleteMembership(ctx, orgID, userID); err != nil {
			return storageErr(err)
		}
		return t.Emit(ctx, EventMembershipDeleted, by.id(), memberView(m))
	})
	if err != nil {
		return err
	}
	if err := p.h.ClearActiveOrganization(ctx, userID, orgID); err != nil {
		p.h.Logger().ErrorContext(ctx, "orgs: clearing the active organization of a removed member", "err", err)
	}
	p.evict(ctx, userID)
	if !leaving {
		p.notify(ctx, userID, MessageRemoved, o)
	}
	return nil
}

// evict makes the user's tokens carry their new organization claims.
func (p *Plugin) evict(ctx context.Context, userID string) {
	if err := p.h.EvictUserTokens(ctx, userID); err != nil {
		p.h.Logger().ErrorContext(ctx, "orgs: evicting session tokens", "err", err)
	}
}

// ListMembers returns one page of an organization's members (role ""
// for all).
func (p *Plugin) ListMembers(ctx context.Context, orgID, role string, pg storage.Page) ([]*Membership, string, error) {
	list, next, err := p.members.ListMemberships(ctx, storage.MembershipFilter{OrganizationID: orgID, Role: role}, pg)
	if err != nil {
		return nil, "", err
	}
	out := make([]*Membership, len(list))
	for i, m := range list {
		out[i] = memberView(m)
	}
	return out, next, nil
}

// ListUserMemberships returns one page of a user's memberships, each with
// its organization.
func (p *Plugin) ListUserMemberships(ctx context.Context, userID string, pg storage.Page) ([]*Membership, string, error) {
	list, next, err := p.members.ListMemberships(ctx, storage.MembershipFilter{UserID: userID}, pg)
	if err != nil {
		return nil, "", err
	}
	out := make([]*Membership, 0, len(list))
	for _, m := range list {
		o, err := p.orgs.GetOrganization(ctx, m.OrganizationID)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		v := memberView(m)
		v.Organization = orgView(o)
		out = append(out, v)
	}
	return out, next, nil
}

// emailDomain returns the canonical domain of an address.
func emailDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return storage.CanonicalName(addr[i+1:])
}

// UpdateMemberMetadata replaces a membership's public and private
// metadata (nil keeps one as it is).
func (p *Plugin) UpdateMemberMetadata(ctx context.Context, orgID, userID string, public, private json.RawMessage) (*Membership, error) {
	for _, err := range []error{validMetadata("public_metadata", public), validMetadata("private_metadata", private)} {
		if err != nil {
			return nil, err
		}
	}
	var m *storage.Membership
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if m, err = s.members.GetMembership(ctx, orgID, userID); err != nil {
			return storageErr(err)
		}
		if public != nil {
			m.PublicMetadata = public
		}
		if private != nil {
			m.PrivateMetadata = private
		}
		m.UpdatedAt = p.h.Now()
		if err := s.members.UpdateMembership(ctx, m); err != nil {
			return storageErr(err)
		}
		return t.Emit(ctx, EventMembershipUpdated, "", memberView(m))
	})
	if err != nil {
		return nil, err
	}
	return memberView(m), nil
}
