package orgs

import (
	"context"
	"errors"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// contribute sets the organization claims of a session token from one
// read of the active organization's membership: a removed member's next
// token has none, a new role shows in the next token.
func (p *Plugin) contribute(ctx context.Context, c *latch.TokenClaims) error {
	s := c.Session
	if s.ActiveOrganizationID == "" {
		return nil
	}
	mc, err := p.claims.GetMembershipClaims(ctx, s.ActiveOrganizationID, c.UserID, s.ActiveTeamID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c.Set("org_id", mc.Membership.OrganizationID)
	c.Set("org_slug", mc.OrganizationSlug)
	c.Set("org_role", mc.Membership.Role)
	perms := mc.Permissions
	if perms == nil {
		perms = []string{}
	}
	c.Set("org_permissions", perms)
	if mc.InTeam {
		c.Set("org_team", s.ActiveTeamID)
	}
	return nil
}

// onSessionCreate makes a new session act for the organization the user
// last acted for, when they are still a member; otherwise the personal
// account (or, with HidePersonalAccount, their oldest membership).
func (p *Plugin) onSessionCreate(ctx context.Context, e *latch.SessionCreateHook) error {
	if e.ActiveOrganizationID != "" {
		return nil
	}
	s, err := txOf(e.Tx)
	if err != nil {
		return err
	}
	var last *storage.Session
	pg := storage.Page{Limit: storage.MaxLimit}
	for range 10 {
		list, next, err := e.Tx.ListSessions(ctx, storage.SessionFilter{UserID: e.User.ID}, pg)
		if err != nil {
			return err
		}
		for _, x := range list {
			if x.ActiveOrganizationID != "" && (last == nil || x.UpdatedAt.After(last.UpdatedAt)) {
				last = x
			}
		}
		if next == "" {
			break
		}
		pg.After = next
	}
	if last != nil {
		if _, err := s.members.GetMembership(ctx, last.ActiveOrganizationID, e.User.ID); err == nil {
			e.ActiveOrganizationID = last.ActiveOrganizationID
			return nil
		}
	}
	if p.cfg.HidePersonalAccount {
		list, _, err := s.members.ListMemberships(ctx, storage.MembershipFilter{UserID: e.User.ID}, storage.Page{Limit: 1})
		if err != nil {
			return err
		}
		if len(list) > 0 {
			e.ActiveOrganizationID = list[0].OrganizationID
		}
	}
	return nil
}

// signInPolicy asks a second factor of members of organizations that
// require one.
func (p *Plugin) signInPolicy(ctx context.Context, in latch.SignInContext) (latch.SignInRequirement, error) {
	need, err := p.needsSecondFactor(ctx, in.User)
	return latch.SignInRequirement{SecondFactor: need}, err
}

// needsSecondFactor reports whether u is a member of an organization that
// requires a second factor. As a Host.RequireSecondFactor policy it also
// keeps such a member from removing their last one.
func (p *Plugin) needsSecondFactor(ctx context.Context, u *storage.User) (bool, error) {
	for pg := (storage.Page{Limit: storage.MaxLimit}); ; {
		list, next, err := p.members.ListMemberships(ctx, storage.MembershipFilter{UserID: u.ID}, pg)
		if err != nil {
			return false, err
		}
		for _, m := range list {
			o, err := p.orgs.GetOrganization(ctx, m.OrganizationID)
			if err == nil && o.RequireSecondFactor {
				return true, nil
			}
		}
		if next == "" {
			return false, nil
		}
		pg.After = next
	}
}

// SetActive makes orgID (and teamID, "" for none) the active organization
// of session s, and sets the fresh session token on w (nil for none). The
// user must be a member (a foreign organization is latch.ErrNotFound) and,
// for a team, in it. orgID "" is the personal account.
func (p *Plugin) SetActive(ctx context.Context, w http.ResponseWriter, s *latch.Session, orgID, teamID string) (*latch.Session, error) {
	if s == nil {
		return nil, latch.ErrSignedOut
	}
	if orgID != "" {
		mc, err := p.claims.GetMembershipClaims(ctx, orgID, s.UserID, teamID)
		if err != nil {
			return nil, storageErr(err)
		}
		if teamID != "" && !mc.InTeam {
			return nil, latch.ErrNotFound
		}
	} else if teamID != "" {
		return nil, latch.ErrParamInvalid.WithField("team_id")
	}
	return p.h.SetActiveOrganization(ctx, w, s.ID, orgID, teamID)
}

// notify mails userID about o (kind: removed, request accepted).
func (p *Plugin) notify(ctx context.Context, userID string, kind latch.MessageKind, o *storage.Organization) {
	if o == nil {
		return
	}
	u, err := p.h.GetUser(ctx, userID)
	if err != nil {
		return
	}
	addr := u.PrimaryEmailAddress()
	if addr == "" {
		return
	}
	link := p.h.BaseURL() + p.cfg.PagesPrefix
	if err := p.h.Send(ctx, kind, latch.Recipient{Email: addr}, latch.MessageData{Organization: o.Name, Email: addr, Link: link}); err != nil {
		p.h.Logger().ErrorContext(ctx, "orgs: sending a notification", "kind", kind, "err", err)
	}
}
