package orgs

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// Team is a named group of members inside an organization.
type Team struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	OrganizationID string    `json:"organization_id"`
	Name           string    `json:"name"`
	CreatedAt      time.Time `json:"created_at"`
}

func teamView(t *storage.Team) *Team {
	return &Team{ID: t.ID, Object: "organization_team", OrganizationID: t.OrganizationID, Name: t.Name, CreatedAt: t.CreatedAt}
}

// CreateTeam adds a team to an organization; names are unique within it.
func (p *Plugin) CreateTeam(ctx context.Context, orgID, name string) (*Team, error) {
	name = strings.TrimSpace(name)
	if err := validName(name); err != nil {
		return nil, err
	}
	id, err := p.h.NewID("team")
	if err != nil {
		return nil, err
	}
	now := p.h.Now()
	t := &storage.Team{ID: id, OrganizationID: orgID, Name: name, CreatedAt: now, UpdatedAt: now}
	if err := p.teams.CreateTeam(ctx, t); err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return nil, latch.ErrIdentifierExists.WithField("name")
		}
		return nil, storageErr(err)
	}
	return teamView(t), nil
}

// orgTeam returns a team of orgID, or ErrNotFound.
func (p *Plugin) orgTeam(ctx context.Context, orgID, id string) (*storage.Team, error) {
	t, err := p.teams.GetTeam(ctx, id)
	if err != nil || orgID == "" || t.OrganizationID != orgID {
		return nil, latch.ErrNotFound
	}
	return t, nil
}

// ListTeams returns an organization's teams.
func (p *Plugin) ListTeams(ctx context.Context, orgID string) ([]*Team, error) {
	list, err := p.teams.ListTeams(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]*Team, len(list))
	for i, t := range list {
		out[i] = teamView(t)
	}
	return out, nil
}

// DeleteTeam removes a team of orgID.
func (p *Plugin) DeleteTeam(ctx context.Context, orgID, id string) error {
	if _, err := p.orgTeam(ctx, orgID, id); err != nil {
		return err
	}
	return storageErr(p.teams.DeleteTeam(ctx, id))
}

// AddTeamMember puts a member of the organization in one of its teams.
func (p *Plugin) AddTeamMember(ctx context.Context, orgID, teamID, userID string) error {
	if _, err := p.orgTeam(ctx, orgID, teamID); err != nil {
		return err
	}
	if _, err := p.members.GetMembership(ctx, orgID, userID); err != nil {
		return latch.ErrNotFound
	}
	err := p.teams.AddTeamMember(ctx, &storage.TeamMember{TeamID: teamID, UserID: userID, CreatedAt: p.h.Now()})
	if errors.Is(err, storage.ErrConflict) {
		return ErrAlreadyMember
	}
	if err != nil {
		return storageErr(err)
	}
	p.evict(ctx, userID)
	return nil
}

// RemoveTeamMember takes a user out of a team of orgID.
func (p *Plugin) RemoveTeamMember(ctx context.Context, orgID, teamID, userID string) error {
	if _, err := p.orgTeam(ctx, orgID, teamID); err != nil {
		return err
	}
	if err := p.teams.RemoveTeamMember(ctx, teamID, userID); err != nil {
		return storageErr(err)
	}
	p.evict(ctx, userID)
	return nil
}

// ListTeamMembers returns the user IDs of a team's members.
func (p *Plugin) ListTeamMembers(ctx context.Context, orgID, teamID string) ([]string, error) {
	if _, err := p.orgTeam(ctx, orgID, teamID); err != nil {
		return nil, err
	}
	list, err := p.teams.ListTeamMembers(ctx, teamID)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = m.UserID
	}
	return out, nil
}
