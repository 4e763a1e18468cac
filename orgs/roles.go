package orgs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// Role is a named set of permissions members hold.
type Role struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Permissions []string `json:"permissions"`
}

// RoleParams defines a role.
type RoleParams struct {
	// Key is "org:<name>" (lower-case letters, digits, "_" and "-").
	Key         string
	Name        string
	Description string
	// Permissions are "org:<feature>:<action>" keys.
	Permissions []string
}

// PermissionParams describes a permission.
type PermissionParams struct {
	Key         string // "org:<feature>:<action>"
	Name        string
	Description string
}

// RoleSetParams defines a role set: the roles an organization using it
// may assign, its default role and its creator role.
type RoleSetParams struct {
	Key         string
	Name        string
	Description string
	Roles       []string
	DefaultRole string // default: the first of Roles
	CreatorRole string // default: Config.CreatorRole when in Roles, else the first
}

var (
	roleKey = regexp.MustCompile(`^org:[a-z0-9][a-z0-9_-]{0,63}$`)
	permKey = regexp.MustCompile(`^org:[a-z0-9][a-z0-9_-]{0,63}:[a-z0-9][a-z0-9_-]{0,63}$`)
	setKey  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
)

func validRoleKey(k string) error {
	if !roleKey.MatchString(k) {
		return fmt.Errorf("role key %q: use org:<name>", k)
	}
	return nil
}

// validPermission checks a permission key: "org:<feature>:<action>", where
// only the system permissions may use the "sys_" features.
func validPermission(k string) error {
	if !permKey.MatchString(k) {
		return fmt.Errorf("permission %q: use org:<feature>:<action>", k)
	}
	if strings.HasPrefix(k, "org:sys_") && !slices.Contains(SystemPermissions, k) {
		return fmt.Errorf("permission %q: the sys_ features are the system permissions", k)
	}
	return nil
}

func (r RoleParams) validate() error {
	if err := validRoleKey(r.Key); err != nil {
		return err
	}
	for _, pm := range r.Permissions {
		if err := validPermission(pm); err != nil {
			return fmt.Errorf("role %s: %w", r.Key, err)
		}
	}
	return nil
}

func paramErr(field string, err error) error {
	return latch.ErrParamInvalid.WithField(field).WithMessage(strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + ".")
}

// seed writes the default roles and set and the configured ones.
func (p *Plugin) seed(ctx context.Context) error {
	defaults := []RoleParams{
		{Key: RoleAdmin, Name: "Admin", Description: "Manages the organization.", Permissions: SystemPermissions},
		{Key: RoleMember, Name: "Member", Description: "Belongs to the organization.", Permissions: memberPermissions},
	}
	existing, err := p.roles.ListRoles(ctx)
	if err != nil {
		return err
	}
	for _, r := range defaults {
		if slices.ContainsFunc(p.cfg.Roles, func(c RoleParams) bool { return c.Key == r.Key }) {
			continue
		}
		if slices.ContainsFunc(existing, func(e *storage.Role) bool { return e.Key == r.Key }) {
			continue // an administrator may have edited it
		}
		if _, err := p.PutRole(ctx, r); err != nil {
			return err
		}
	}
	for _, r := range p.cfg.Roles {
		if _, err := p.PutRole(ctx, r); err != nil {
			return err
		}
	}
	for _, pm := range p.cfg.Permissions {
		if err := p.PutPermission(ctx, pm); err != nil {
			return err
		}
	}
	inSets := map[string]bool{}
	for _, s := range p.cfg.RoleSets {
		for _, r := range s.Roles {
			inSets[r] = true
		}
	}
	def := RoleSetParams{Key: DefaultRoleSet, Name: "Default", Roles: []string{RoleAdmin, RoleMember},
		DefaultRole: p.cfg.DefaultRole, CreatorRole: p.cfg.CreatorRole}
	for _, r := range append([]string{p.cfg.CreatorRole, p.cfg.DefaultRole}, keysOf(p.cfg.Roles)...) {
		if !slices.Contains(def.Roles, r) && (!inSets[r] || r == p.cfg.CreatorRole || r == p.cfg.DefaultRole) {
			def.Roles = append(def.Roles, r)
		}
	}
	if err := p.PutRoleSet(ctx, def); err != nil {
		return err
	}
	for _, s := range p.cfg.RoleSets {
		if err := p.PutRoleSet(ctx, s); err != nil {
			return fmt.Errorf("role set %s: %w", s.Key, err)
		}
	}
	return nil
}

func keysOf(rs []RoleParams) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Key
	}
	return out
}

// PutRole creates the role, or replaces the one with the same key.
func (p *Plugin) PutRole(ctx context.Context, r RoleParams) (*Role, error) {
	if err := r.validate(); err != nil {
		return nil, paramErr("key", err)
	}
	if r.Name == "" {
		r.Name = r.Key
	}
	now := p.h.Now()
	perms := slices.Compact(slices.Sorted(slices.Values(r.Permissions)))
	cur, err := p.roles.GetRole(ctx, r.Key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		id, err := p.h.NewID("role")
		if err != nil {
			return nil, err
		}
		err = p.roles.CreateRole(ctx, &storage.Role{ID: id, Key: r.Key, Name: r.Name, Description: r.Description,
			Permissions: perms, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return nil, storageErr(err)
		}
	case err != nil:
		return nil, err
	default:
		cur.Name, cur.Description, cur.Permissions, cur.UpdatedAt = r.Name, r.Description, perms, now
		if err := p.roles.UpdateRole(ctx, cur); err != nil {
			return nil, storageErr(err)
		}
	}
	return &Role{Key: r.Key, Name: r.Name, Description: r.Description, Permissions: perms}, nil
}

// DeleteRole removes a role no role set names. Members holding it keep
// the key but no permissions.
func (p *Plugin) DeleteRole(ctx context.Context, key string) error {
	sets, err := p.sets.ListRoleSets(ctx)
	if err != nil {
		return err
	}
	for _, s := range sets {
		if slices.Contains(s.Roles, key) {
			return latch.ErrParamInvalid.WithField("key").WithMessage("Remove the role from every role set first.")
		}
	}
	return storageErr(p.roles.DeleteRole(ctx, key))
}

// ListRoles returns every role.
func (p *Plugin) ListRoles(ctx context.Context) ([]*Role, error) {
	rs, err := p.roles.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Role, len(rs))
	for i, r := range rs {
		out[i] = roleView(r)
	}
	return out, nil
}

func roleView(r *storage.Role) *Role {
	return &Role{Key: r.Key, Name: r.Name, Description: r.Description, Permissions: slices.Clone(r.Permissions)}
}

// PutPermission creates or replaces the description of a permission.
func (p *Plugin) PutPermission(ctx context.Context, pm PermissionParams) error {
	if err := validPermission(pm.Key); err != nil {
		return paramErr("key", err)
	}
	id, err := p.h.NewID("perm")
	if err != nil {
		return err
	}
	now := p.h.Now()
	return storageErr(p.sets.PutPermission(ctx, &storage.Permission{ID: id, Key: pm.Key, Name: pm.Name,
		Description: pm.Description, CreatedAt: now, UpdatedAt: now}))
}

// ListPermissions returns the described permissions.
func (p *Plugin) ListPermissions(ctx context.Context) ([]*storage.Permission, error) {
	return p.sets.ListPermissions(ctx)
}

// DeletePermission removes a permission's description (roles keep the
// key).
func (p *Plugin) DeletePermission(ctx context.Context, key string) error {
	return storageErr(p.sets.DeletePermission(ctx, key))
}

// PutRoleSet creates or replaces a role set; every organization using it
// may assign its roles from then on.
func (p *Plugin) PutRoleSet(ctx context.Context, s RoleSetParams) error {
	if !setKey.MatchString(s.Key) {
		return latch.ErrParamInvalid.WithField("key").WithMessage("Role set keys are lower-case letters, digits, - and _.")
	}
	if len(s.Roles) == 0 {
		return latch.ErrParamInvalid.WithField("roles").WithMessage("A role set needs a role.")
	}
	for _, r := range s.Roles {
		if _, err := p.roles.GetRole(ctx, r); err != nil {
			return latch.ErrParamInvalid.WithField("roles").WithMessage(fmt.Sprintf("No role %s.", r))
		}
	}
	if s.DefaultRole == "" {
		s.DefaultRole = s.Roles[0]
	}
	if s.CreatorRole == "" {
		s.CreatorRole = s.Roles[0]
		if slices.Contains(s.Roles, p.cfg.CreatorRole) {
			s.CreatorRole = p.cfg.CreatorRole
		}
	}
	if !slices.Contains(s.Roles, s.DefaultRole) || !slices.Contains(s.Roles, s.CreatorRole) {
		return latch.ErrParamInvalid.WithField("roles").WithMessage("The default and creator roles must be in the set.")
	}
	id, err := p.h.NewID("rs")
	if err != nil {
		return err
	}
	now := p.h.Now()
	return storageErr(p.sets.PutRoleSet(ctx, &storage.RoleSet{ID: id, Key: s.Key, Name: s.Name, Description: s.Description,
		Roles: slices.Clone(s.Roles), DefaultRole: s.DefaultRole, CreatorRole: s.CreatorRole, CreatedAt: now, UpdatedAt: now}))
}

// GetRoleSet returns a role set.
func (p *Plugin) GetRoleSet(ctx context.Context, key string) (*storage.RoleSet, error) {
	s, err := p.sets.GetRoleSet(ctx, key)
	return s, storageErr(err)
}

// ListRoleSets returns every role set.
func (p *Plugin) ListRoleSets(ctx context.Context) ([]*storage.RoleSet, error) {
	return p.sets.ListRoleSets(ctx)
}

// DeleteRoleSet removes a role set; the organizations that used it use
// the default set from then on. The default set stays.
func (p *Plugin) DeleteRoleSet(ctx context.Context, key string) error {
	if key == DefaultRoleSet {
		return latch.ErrParamInvalid.WithField("key").WithMessage("The default role set cannot be removed.")
	}
	return storageErr(p.sets.DeleteRoleSet(ctx, key))
}

// roleSetOf returns the role set of o.
func (p *Plugin) roleSetOf(ctx context.Context, o *storage.Organization) (*storage.RoleSet, error) {
	return p.roleSetIn(ctx, p.sets, o)
}

// roleSetIn returns the role set of o, read from sets.
func (p *Plugin) roleSetIn(ctx context.Context, sets storage.RoleSetStore, o *storage.Organization) (*storage.RoleSet, error) {
	key := o.RoleSet
	if key == "" {
		key = DefaultRoleSet
	}
	s, err := sets.GetRoleSet(ctx, key)
	if errors.Is(err, storage.ErrNotFound) && key != DefaultRoleSet {
		key = DefaultRoleSet // the set was removed: the default one applies
		s, err = sets.GetRoleSet(ctx, key)
	}
	if errors.Is(err, storage.ErrNotFound) {
		// Before Start (or a store seeded elsewhere): the configured
		// roles.
		return &storage.RoleSet{Key: DefaultRoleSet, Roles: []string{p.cfg.CreatorRole, p.cfg.DefaultRole},
			DefaultRole: p.cfg.DefaultRole, CreatorRole: p.cfg.CreatorRole}, nil
	}
	return s, err
}

// permissionsOf returns the permissions of role key (none when it no
// longer exists).
func permissionsOf(ctx context.Context, roles storage.RoleStore, key string) ([]string, error) {
	r, err := roles.GetRole(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.Permissions, nil
}

// mayAssign checks that role is in o's set and, when the actor is a member
// (actorPerms not nil), grants no system permission the actor lacks: no
// one raises anyone, themselves included, above their own powers.
func (p *Plugin) mayAssign(ctx context.Context, s *txStores, o *storage.Organization, role string, actorPerms []string) error {
	set, err := p.roleSetIn(ctx, s.sets, o)
	if err != nil {
		return err
	}
	if !slices.Contains(set.Roles, role) {
		return ErrRoleNotAllowed
	}
	if actorPerms == nil {
		return nil
	}
	perms, err := permissionsOf(ctx, s.roles, role)
	if err != nil {
		return err
	}
	if !systemSubset(perms, actorPerms) {
		return ErrRoleNotAllowed
	}
	return nil
}

// systemSubset reports whether every system permission of a is in b: the
// powers over the organization itself, which no member hands out beyond
// their own. The application's permissions (org:invoices:read) are the
// roles' to grant.
func systemSubset(a, b []string) bool {
	for _, pm := range a {
		if strings.HasPrefix(pm, "org:sys_") && !slices.Contains(b, pm) {
			return false
		}
	}
	return true
}
