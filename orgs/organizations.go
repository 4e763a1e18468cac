package orgs

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// Organization is an organization as the API returns it. PrivateMetadata
// is only in the Go API's answers.
type Organization struct {
	ID                  string          `json:"id"`
	Object              string          `json:"object"`
	Name                string          `json:"name"`
	Slug                string          `json:"slug"`
	ImageURL            string          `json:"image_url,omitempty"`
	PublicMetadata      json.RawMessage `json:"public_metadata,omitempty"`
	PrivateMetadata     json.RawMessage `json:"-"`
	MaxMemberships      int             `json:"max_allowed_memberships"`
	RoleSet             string          `json:"role_set,omitempty"`
	RequireSecondFactor bool            `json:"require_second_factor"`
	RestrictToDomains   bool            `json:"restrict_to_domains"`
	CreatedBy           string          `json:"created_by"`
	CreatedAt           time.Time       `json:"created_at"`
	UpdatedAt           time.Time       `json:"updated_at"`
}

func orgView(o *storage.Organization) *Organization {
	return &Organization{ID: o.ID, Object: "organization", Name: o.Name, Slug: o.Slug, ImageURL: o.ImageURL,
		PublicMetadata: o.PublicMetadata, PrivateMetadata: o.PrivateMetadata, MaxMemberships: o.MaxMemberships,
		RoleSet: o.RoleSet, RequireSecondFactor: o.RequireSecondFactor, RestrictToDomains: o.RestrictToDomains,
		CreatedBy: o.CreatedBy, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

// CreateParams describes a new organization.
type CreateParams struct {
	Name string `json:"name"`
	// Slug is the organization's address ("acme"); default: made from
	// Name. Unique under storage.CanonicalName, so "Acme" and "ＡＣＭＥ"
	// collide.
	Slug            string          `json:"slug"`
	ImageURL        string          `json:"image_url"`
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"-"`
	// MaxMemberships: 0 for Config.MaxMemberships.
	MaxMemberships int    `json:"-"`
	RoleSet        string `json:"-"`
}

// UpdateParams changes an organization; nil fields stay.
type UpdateParams struct {
	Name                *string          `json:"name"`
	Slug                *string          `json:"slug"`
	ImageURL            *string          `json:"image_url"`
	PublicMetadata      *json.RawMessage `json:"public_metadata"`
	PrivateMetadata     *json.RawMessage `json:"-"`
	MaxMemberships      *int             `json:"-"`
	RoleSet             *string          `json:"-"`
	RequireSecondFactor *bool            `json:"require_second_factor"`
	RestrictToDomains   *bool            `json:"restrict_to_domains"`
}

func validName(name string) error {
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	if n == 0 || n > 256 {
		return latch.ErrParamInvalid.WithField("name").WithMessage("Names are 1 to 256 characters.")
	}
	return nil
}

// validSlug accepts letters and digits of any script, "-" and "_", 1 to 64
// characters: uniqueness under the canonical form makes look-alikes collide.
func validSlug(s string) error {
	n := utf8.RuneCountInString(s)
	ok := n > 0 && n <= 64
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' {
			ok = false
		}
	}
	if !ok {
		return latch.ErrParamInvalid.WithField("slug").WithMessage("Use 1 to 64 letters, digits, - or _.")
	}
	return nil
}

// slugOf makes a slug of a name: lower-case letters and digits, runs of
// anything else as one "-".
func slugOf(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	s := b.String()
	if utf8.RuneCountInString(s) > 64 {
		s = string([]rune(s)[:64])
	}
	return s
}

func validMetadata(field string, m json.RawMessage) error {
	if len(m) == 0 {
		return nil
	}
	var v map[string]any
	if len(m) > 8<<10 || json.Unmarshal(m, &v) != nil {
		return latch.ErrMetadataInvalid.WithField(field)
	}
	return nil
}

func validImage(u string) error {
	if u != "" && !strings.HasPrefix(u, "https://") {
		return latch.ErrParamInvalid.WithField("image_url").WithMessage("Use an https:// URL.")
	}
	return nil
}

// CreateOrganization creates an organization with creatorID as its first
// member, holding the creator role of its role set. It refuses
// (ErrCreateNotAllowed) when Config.CanCreate does or the user created
// Config.MaxOrganizationsPerUser already, and a taken or reserved slug
// (ErrSlugTaken). creatorID "" creates it without members (a back end's
// own).
func (p *Plugin) CreateOrganization(ctx context.Context, creatorID string, cp CreateParams) (*Organization, error) {
	cp.Name = strings.TrimSpace(cp.Name)
	if cp.Slug == "" {
		cp.Slug = slugOf(cp.Name)
	}
	cp.Slug = strings.TrimSpace(cp.Slug)
	for _, err := range []error{validName(cp.Name), validSlug(cp.Slug), validImage(cp.ImageURL),
		validMetadata("public_metadata", cp.PublicMetadata), validMetadata("private_metadata", cp.PrivateMetadata)} {
		if err != nil {
			return nil, err
		}
	}
	if p.reserved[storage.CanonicalName(cp.Slug)] {
		return nil, ErrSlugTaken
	}
	if cp.MaxMemberships == 0 {
		cp.MaxMemberships = p.cfg.MaxMemberships
	}
	if cp.RoleSet != "" {
		if _, err := p.sets.GetRoleSet(ctx, cp.RoleSet); err != nil {
			return nil, latch.ErrParamInvalid.WithField("role_set")
		}
	}
	if creatorID != "" {
		if err := p.mayCreate(ctx, creatorID); err != nil {
			return nil, err
		}
	}
	id, err := p.h.NewID(latch.PrefixOrganization)
	if err != nil {
		return nil, err
	}
	now := p.h.Now()
	o := &storage.Organization{ID: id, Name: cp.Name, Slug: cp.Slug, ImageURL: cp.ImageURL, PublicMetadata: cp.PublicMetadata,
		PrivateMetadata: cp.PrivateMetadata, MaxMemberships: cp.MaxMemberships, RoleSet: cp.RoleSet, CreatedBy: creatorID,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	set, err := p.roleSetOf(ctx, o)
	if err != nil {
		return nil, err
	}
	err = p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if err := s.orgs.CreateOrganization(ctx, o); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return ErrSlugTaken
			}
			return err
		}
		if err := t.Emit(ctx, EventOrganizationCreated, creatorID, orgView(o)); err != nil {
			return err
		}
		if creatorID == "" {
			return nil
		}
		_, err = p.join(ctx, t, s, o, creatorID, set.CreatorRole, joinDirect)
		return err
	})
	if err != nil {
		return nil, err
	}
	return orgView(o), nil
}

func (p *Plugin) mayCreate(ctx context.Context, userID string) error {
	if f := p.cfg.CanCreate; f != nil {
		ok, err := f(ctx, userID)
		if err != nil {
			return latch.ErrUnavailable
		}
		if !ok {
			return ErrCreateNotAllowed
		}
	}
	if max := p.cfg.MaxOrganizationsPerUser; max > 0 {
		n, err := p.members.CountMemberships(ctx, storage.MembershipFilter{UserID: userID, Role: p.cfg.CreatorRole})
		if err != nil {
			return err
		}
		if n >= max {
			return ErrCreateNotAllowed
		}
	}
	return nil
}

// GetOrganization returns an organization by ID.
func (p *Plugin) GetOrganization(ctx context.Context, id string) (*Organization, error) {
	o, err := p.orgs.GetOrganization(ctx, id)
	if err != nil {
		return nil, storageErr(err)
	}
	return orgView(o), nil
}

// GetOrganizationBySlug returns an organization by slug (in any letter
// case or Unicode form).
func (p *Plugin) GetOrganizationBySlug(ctx context.Context, slug string) (*Organization, error) {
	o, err := p.orgs.GetOrganizationBySlug(ctx, slug)
	if err != nil {
		return nil, storageErr(err)
	}
	return orgView(o), nil
}

// ListOrganizations returns one page of organizations whose name, slug or
// ID contains query.
func (p *Plugin) ListOrganizations(ctx context.Context, query string, pg storage.Page) ([]*Organization, string, error) {
	os, next, err := p.orgs.ListOrganizations(ctx, query, pg)
	if err != nil {
		return nil, "", err
	}
	out := make([]*Organization, len(os))
	for i, o := range os {
		out[i] = orgView(o)
	}
	return out, next, nil
}

// UpdateOrganization changes an organization.
func (p *Plugin) UpdateOrganization(ctx context.Context, actorID, id string, up UpdateParams) (*Organization, error) {
	var o *storage.Organization
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if o, err = s.orgs.GetOrganization(ctx, id); err != nil {
			return storageErr(err)
		}
		if up.Name != nil {
			o.Name = strings.TrimSpace(*up.Name)
			if err := validName(o.Name); err != nil {
				return err
			}
		}
		if up.Slug != nil {
			o.Slug = strings.TrimSpace(*up.Slug)
			if err := validSlug(o.Slug); err != nil {
				return err
			}
			if p.reserved[storage.CanonicalName(o.Slug)] {
				return ErrSlugTaken
			}
		}
		if up.ImageURL != nil {
			if err := validImage(*up.ImageURL); err != nil {
				return err
			}
			o.ImageURL = *up.ImageURL
		}
		if up.PublicMetadata != nil {
			if err := validMetadata("public_metadata", *up.PublicMetadata); err != nil {
				return err
			}
			o.PublicMetadata = *up.PublicMetadata
		}
		if up.PrivateMetadata != nil {
			if err := validMetadata("private_metadata", *up.PrivateMetadata); err != nil {
				return err
			}
			o.PrivateMetadata = *up.PrivateMetadata
		}
		if up.MaxMemberships != nil {
			if *up.MaxMemberships < 0 {
				return latch.ErrParamInvalid.WithField("max_allowed_memberships")
			}
			o.MaxMemberships = *up.MaxMemberships
		}
		if up.RoleSet != nil {
			if *up.RoleSet != "" {
				if _, err := s.sets.GetRoleSet(ctx, *up.RoleSet); err != nil {
					return latch.ErrParamInvalid.WithField("role_set")
				}
			}
			o.RoleSet = *up.RoleSet
		}
		if up.RequireSecondFactor != nil {
			o.RequireSecondFactor = *up.RequireSecondFactor
		}
		if up.RestrictToDomains != nil {
			o.RestrictToDomains = *up.RestrictToDomains
		}
		o.UpdatedAt = p.h.Now()
		if err := s.orgs.UpdateOrganization(ctx, o); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return ErrSlugTaken
			}
			return storageErr(err)
		}
		o.Version++
		return t.Emit(ctx, EventOrganizationUpdated, actorID, orgView(o))
	})
	if err != nil {
		return nil, err
	}
	return orgView(o), nil
}

// DeleteOrganization removes an organization with its memberships,
// invitations (pending ones are revoked first), domains, requests and
// teams, and makes the personal account active in every live session that
// acted for it: their next token has no organization claims.
func (p *Plugin) DeleteOrganization(ctx context.Context, actorID, id string) error {
	var users []string
	err := p.h.InTx(ctx, func(t *latch.Tx) error {
		s, err := txOf(t)
		if err != nil {
			return err
		}
		if err := s.lock.LockOrganization(ctx, id); err != nil {
			return storageErr(err)
		}
		o, err := s.orgs.GetOrganization(ctx, id)
		if err != nil {
			return storageErr(err)
		}
		if users, err = allMembers(ctx, s.members, id); err != nil {
			return err
		}
		now := p.h.Now()
		for pg := (storage.Page{}); ; {
			invs, next, err := t.ListInvitations(ctx, id, storage.InvitationPending, pg)
			if err != nil {
				return err
			}
			for _, inv := range invs {
				if err := t.TransitionInvitation(ctx, inv.ID, storage.InvitationPending, storage.InvitationRevoked, now); err != nil && !errors.Is(err, storage.ErrConsumed) {
					return err
				}
				inv.Status = storage.InvitationRevoked
				if err := t.Emit(ctx, EventInvitationRevoked, actorID, invitationView(inv)); err != nil {
					return err
				}
			}
			if next == "" {
				break
			}
			pg.After = next
		}
		if err := s.orgs.DeleteOrganization(ctx, id); err != nil {
			return storageErr(err)
		}
		return t.Emit(ctx, EventOrganizationDeleted, actorID, map[string]any{"id": o.ID, "object": "organization", "slug": o.Slug, "deleted": true})
	})
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := p.h.ClearActiveOrganization(ctx, u, id); err != nil {
			p.h.Logger().ErrorContext(ctx, "orgs: clearing the active organization of a deleted one", "organization_id", id, "err", err)
		}
	}
	return nil
}

// allMembers lists the user IDs of an organization's members.
func allMembers(ctx context.Context, ms storage.MembershipStore, orgID string) ([]string, error) {
	var out []string
	for pg := (storage.Page{Limit: storage.MaxLimit}); ; {
		list, next, err := ms.ListMemberships(ctx, storage.MembershipFilter{OrganizationID: orgID}, pg)
		if err != nil {
			return nil, err
		}
		for _, m := range list {
			out = append(out, m.UserID)
		}
		if next == "" {
			return out, nil
		}
		pg.After = next
	}
}

// txStores are the capabilities of a transaction's store.
type txStores struct {
	orgs     storage.OrganizationStore
	members  storage.MembershipStore
	lock     storage.OrganizationLockStore
	domains  storage.DomainStore
	sets     storage.RoleSetStore
	roles    storage.RoleStore
	requests storage.MembershipRequestStore
	teams    storage.TeamStore
	invites  storage.OrganizationInvitationStore
}

func txOf(t *latch.Tx) (*txStores, error) {
	var s txStores
	var err error
	if s.orgs, err = latch.TxStore[storage.OrganizationStore](t); err != nil {
		return nil, err
	}
	if s.members, err = latch.TxStore[storage.MembershipStore](t); err != nil {
		return nil, err
	}
	if s.lock, err = latch.TxStore[storage.OrganizationLockStore](t); err != nil {
		return nil, err
	}
	if s.domains, err = latch.TxStore[storage.DomainStore](t); err != nil {
		return nil, err
	}
	if s.sets, err = latch.TxStore[storage.RoleSetStore](t); err != nil {
		return nil, err
	}
	if s.roles, err = latch.TxStore[storage.RoleStore](t); err != nil {
		return nil, err
	}
	if s.requests, err = latch.TxStore[storage.MembershipRequestStore](t); err != nil {
		return nil, err
	}
	if s.teams, err = latch.TxStore[storage.TeamStore](t); err != nil {
		return nil, err
	}
	if s.invites, err = latch.TxStore[storage.OrganizationInvitationStore](t); err != nil {
		return nil, err
	}
	return &s, nil
}
