package orgs

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage"
)

// The hosted pages: the list of the user's organizations, invitations
// and suggestions; creating one; an organization's profile; and the page
// a mailed invitation opens. Every change is a plain form post answered by
// a redirect (post/redirect/get), so they work without JavaScript; the
// handlers check membership and permission as the JSON API does.

// Page paths under Config.PagesPrefix.
const (
	pageNew      = "/new"
	pageInvite   = "/new/invite"
	pageActive   = "/active"
	pageAccept   = "/invitations/accept"
	pageRequest  = "/suggestions/request"
	pageOrgPost  = "/{id}/do"
	pageOrg      = "/{id}"
	pageSettings = "" // the list
)

// Notices a page shows after a redirect, by the key in its URL: only
// these, so that a link cannot make a page say anything else. Their words
// are the plugin's strings ("orgs.notice.<key>"), in English and French.
var pageNotices = map[string][2]string{
	"saved": {"Saved.", "Enregistré."}, "invited": {"Invitation sent.", "Invitation envoyée."},
	"revoked": {"Invitation revoked.", "Invitation révoquée."}, "removed": {"Member removed.", "Membre retiré."},
	"role": {"Role changed.", "Rôle modifié."}, "accepted": {"Request accepted.", "Demande acceptée."},
	"rejected": {"Request rejected.", "Demande refusée."}, "domain_added": {"Domain added.", "Domaine ajouté."},
	"code_sent": {"Code sent.", "Code envoyé."}, "domain_verified": {"Domain verified.", "Domaine vérifié."},
	"domain_removed": {"Domain removed.", "Domaine retiré."}, "joined": {"You joined the organization.", "Vous avez rejoint l'organisation."},
	"requested": {"Request sent.", "Demande envoyée."}, "left": {"You left the organization.", "Vous avez quitté l'organisation."},
	"deleted": {"Organization deleted.", "Organisation supprimée."},
}

func addStrings(h *latch.Host) error {
	en, fr := map[string]string{}, map[string]string{}
	for k, v := range pageNotices {
		en["orgs.notice."+k], fr["orgs.notice."+k] = v[0], v[1]
	}
	if err := h.AddStrings("en", en); err != nil {
		return err
	}
	return h.AddStrings("fr", fr)
}

func (p *Plugin) url(path string) string { return p.cfg.PagesPrefix + path }

func (p *Plugin) addPages(h *latch.Host) error {
	if err := addStrings(h); err != nil {
		return err
	}
	routes := []latch.Route{
		{Method: "GET", Pattern: p.url(pageSettings), Handler: p.serveListPage},
		{Method: "GET", Pattern: p.url(pageNew), Handler: p.serveCreatePage},
		{Method: "POST", Pattern: p.url(pageNew), Handler: p.serveCreatePost},
		{Method: "POST", Pattern: p.url(pageInvite), Handler: p.serveCreateInvitePost, Limit: ratelimit.PerMinute(20)},
		{Method: "POST", Pattern: p.url(pageActive), Handler: p.serveActivePost},
		{Method: "GET", Pattern: p.url(pageAccept), Handler: p.serveAcceptPage, Access: latch.AccessPublic, Limit: ratelimit.PerMinute(30)},
		{Method: "POST", Pattern: p.url(pageAccept), Handler: p.serveAcceptPost},
		{Method: "POST", Pattern: p.url(pageRequest), Handler: p.serveRequestPost},
		{Method: "GET", Pattern: p.url(pageOrg), Handler: p.serveProfilePage},
		{Method: "POST", Pattern: p.url(pageOrgPost), Handler: p.serveProfilePost, Limit: ratelimit.PerMinute(60)},
	}
	for _, rt := range routes {
		if err := h.Handle(rt); err != nil {
			return err
		}
	}
	return h.AddUserMenuItem(latch.MenuItem{Render: p.renderSwitcher})
}

func summary(o *storage.Organization, role string) components.OrgSummary {
	return components.OrgSummary{ID: o.ID, Name: o.Name, Slug: o.Slug, ImageURL: o.ImageURL, RoleName: roleLabel(role)}
}

func summaryOf(o *Organization, role string) components.OrgSummary {
	return components.OrgSummary{ID: o.ID, Name: o.Name, Slug: o.Slug, ImageURL: o.ImageURL, RoleName: roleLabel(role)}
}

// roleLabel is "Admin" for "org:admin".
func roleLabel(key string) string {
	name := strings.TrimPrefix(key, "org:")
	if name == "" {
		return ""
	}
	return strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "_", " ")
}

func (p *Plugin) userSummary(ctx context.Context, s *latch.Session) components.UserSummary {
	u, err := p.h.GetUser(ctx, s.UserID)
	if err != nil {
		return components.UserSummary{SessionID: s.ID}
	}
	return components.UserSummary{SessionID: s.ID, Name: strings.TrimSpace(u.FirstName + " " + u.LastName),
		Email: u.PrimaryEmailAddress(), ImageURL: u.ImageURL}
}

// renderSwitcher is the OrganizationSwitcher of the user menu.
func (p *Plugin) renderSwitcher(r *http.Request, s *latch.Session) (templ.Component, error) {
	ctx := r.Context()
	ms, _, err := p.ListUserMemberships(ctx, s.UserID, storage.Page{Limit: storage.MaxLimit})
	if err != nil {
		return nil, err
	}
	props := components.OrganizationSwitcherProps{User: p.userSummary(ctx, s), HidePersonal: p.cfg.HidePersonalAccount,
		SetActiveAction: p.url(pageActive), CreateURL: p.url(pageNew), ListURL: p.url(pageSettings),
		Hidden: map[string]string{"redirect_url": r.URL.RequestURI()}, Locale: p.h.Locale(r)}
	for _, m := range ms {
		sum := summaryOf(m.Organization, m.Role)
		if m.OrganizationID == s.Claims.OrgID {
			props.Active = &sum
			props.ManageURL = p.url("/" + m.OrganizationID)
			continue
		}
		props.Organizations = append(props.Organizations, sum)
	}
	return components.OrganizationSwitcher(props), nil
}

// back redirects to target with a notice or, for err, its code.
func (p *Plugin) back(w http.ResponseWriter, r *http.Request, target, notice string, err error) {
	u, _ := url.Parse(target)
	q := u.Query()
	var le *latch.Error
	switch {
	case err != nil && errors.As(err, &le):
		q.Set("error", le.Code)
	case err != nil:
		q.Set("error", latch.ErrUnavailable.Code)
	case notice != "":
		q.Set("notice", notice)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// knownErrors are the errors a page names by code after a redirect.
var knownErrors = []*latch.Error{ErrSlugTaken, ErrCreateNotAllowed, ErrMembershipLimit, ErrLastCreator, ErrAlreadyMember,
	ErrRoleNotAllowed, ErrEmailNotVerified, ErrDomainNotAllowed, ErrDomainTaken, ErrDomainRestricted, ErrRequestInvalid,
	ErrNoSuggestion, latch.ErrInvitationInvalid, latch.ErrForbidden, latch.ErrNotFound, latch.ErrCodeIncorrect,
	latch.ErrCodeExpired, latch.ErrEmailInvalid, latch.ErrParamInvalid, latch.ErrUnavailable, latch.ErrIdentifierExists}

func pageState(l components.Locale, r *http.Request) (notice string, errs components.Errors) {
	q := r.URL.Query()
	if _, ok := pageNotices[q.Get("notice")]; ok {
		notice = components.T(l, "orgs.notice."+q.Get("notice"))
	}
	if code := q.Get("error"); code != "" {
		for _, e := range knownErrors {
			if e.Code == code {
				errs = components.Errors{{Message: e.Message}}
			}
		}
	}
	return notice, errs
}

// errorsOf shows err on a page.
func errorsOf(err error) components.Errors {
	if err == nil {
		return nil
	}
	var le *latch.Error
	if errors.As(err, &le) {
		return components.Errors{{Field: le.Field, Message: le.Message}}
	}
	return components.Errors{{Message: latch.ErrUnavailable.Message}}
}

func (p *Plugin) serveListPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := latch.SessionFromContext(ctx)
	l := p.h.Locale(r)
	notice, errs := pageState(l, r)
	props := components.OrganizationListProps{Personal: !p.cfg.HidePersonalAccount, PersonalActive: s.Claims.OrgID == "",
		User: p.userSummary(ctx, s), SetActiveAction: p.url(pageActive), AcceptInvitationAction: p.url(pageAccept),
		RequestToJoinAction: p.url(pageRequest), CreateURL: p.url(pageNew), Notice: notice, Errors: errs,
		Hidden: map[string]string{"redirect_url": p.url(pageSettings)}, Branding: components.Branding{AppName: p.h.AppName()},
		Locale: l, Appearance: p.h.Appearance()}
	ms, _, err := p.ListUserMemberships(ctx, s.UserID, storage.Page{Limit: storage.MaxLimit})
	if err != nil {
		p.h.RenderPage(w, r, http.StatusServiceUnavailable, components.T(l, "org.list.title"), components.OrganizationList(props))
		return
	}
	for _, m := range ms {
		props.Memberships = append(props.Memberships, components.OrgListMembership{Organization: summaryOf(m.Organization, m.Role),
			Active: m.OrganizationID == s.Claims.OrgID, ManageURL: p.url("/" + m.OrganizationID)})
	}
	if invs, err := p.ListUserInvitations(ctx, s.UserID); err == nil {
		for _, i := range invs {
			props.Invitations = append(props.Invitations, components.OrgListInvitation{ID: i.ID, Organization: summaryOf(i.Organization, ""),
				EmailAddress: i.EmailAddress, RoleName: roleLabel(i.Role)})
		}
	}
	if sugg, err := p.ListSuggestions(ctx, s.UserID); err == nil {
		for _, sg := range sugg {
			props.Suggestions = append(props.Suggestions, components.OrgListSuggestion{ID: sg.Organization.ID,
				Organization: summaryOf(sg.Organization, ""), Requested: sg.Status == storage.MembershipRequestPending})
		}
	}
	p.h.RenderPage(w, r, http.StatusOK, components.T(l, "org.list.title"), components.OrganizationList(props))
}

func (p *Plugin) createProps(r *http.Request) components.CreateOrganizationProps {
	l := p.h.Locale(r)
	return components.CreateOrganizationProps{Action: p.url(pageNew), InviteAction: p.url(pageInvite), DoneURL: p.url(pageSettings),
		CancelURL: p.url(pageSettings), Branding: components.Branding{AppName: p.h.AppName()}, Locale: l, Appearance: p.h.Appearance()}
}

func (p *Plugin) serveCreatePage(w http.ResponseWriter, r *http.Request) {
	props := p.createProps(r)
	p.h.RenderPage(w, r, http.StatusOK, components.T(props.Locale, "org.create.title"), components.CreateOrganization(props))
}

func (p *Plugin) serveCreatePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := latch.SessionFromContext(ctx)
	_ = r.ParseForm()
	props := p.createProps(r)
	cp := CreateParams{Name: r.PostForm.Get("name"), Slug: r.PostForm.Get("slug"), ImageURL: r.PostForm.Get("image_url")}
	o, err := p.CreateOrganization(ctx, s.UserID, cp)
	if err != nil {
		props.Values = map[string]string{"name": cp.Name, "slug": cp.Slug, "image_url": cp.ImageURL}
		props.Errors = errorsOf(err)
		p.h.RenderPage(w, r, http.StatusUnprocessableEntity, components.T(props.Locale, "org.create.title"), components.CreateOrganization(props))
		return
	}
	if _, err := p.SetActive(ctx, w, s, o.ID, ""); err != nil {
		p.h.Logger().ErrorContext(ctx, "orgs: making a new organization active", "err", err)
	}
	p.renderInviteStep(w, r, o, nil, nil, http.StatusOK)
}

func (p *Plugin) renderInviteStep(w http.ResponseWriter, r *http.Request, o *Organization, invited []string, err error, status int) {
	ctx := r.Context()
	props := p.createProps(r)
	props.Step = components.OrgStepInvite
	props.Organization = summaryOf(o, "")
	props.Invited = invited
	props.Errors = errorsOf(err)
	props.DoneURL = p.url("/" + o.ID)
	if so, e := p.orgs.GetOrganization(ctx, o.ID); e == nil {
		props.Roles, props.DefaultRole = p.roleOptions(ctx, so)
	}
	p.h.RenderPage(w, r, status, components.T(props.Locale, "org.create.invite_title"), components.CreateOrganization(props))
}

func (p *Plugin) roleOptions(ctx context.Context, o *storage.Organization) ([]components.OrgRole, string) {
	set, err := p.roleSetOf(ctx, o)
	if err != nil {
		return nil, ""
	}
	var out []components.OrgRole
	for _, k := range set.Roles {
		name := roleLabel(k)
		if rl, err := p.roles.GetRole(ctx, k); err == nil {
			name = rl.Name
		}
		out = append(out, components.OrgRole{Key: k, Name: name})
	}
	return out, set.DefaultRole
}

// splitEmails splits what the invite textarea holds.
func splitEmails(vals []string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })...)
	}
	return out
}

func (p *Plugin) invitesFrom(r *http.Request) []InviteParams {
	var out []InviteParams
	for _, a := range splitEmails(r.PostForm["email_address"]) {
		out = append(out, InviteParams{EmailAddress: a, Role: r.PostForm.Get("role")})
	}
	return out
}

func (p *Plugin) serveCreateInvitePost(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	c, err := p.authorizeOrg(r, r.PostForm.Get("organization_id"), PermMembershipsManage)
	if err != nil {
		p.back(w, r, p.url(pageSettings), "", err)
		return
	}
	todo := p.invitesFrom(r)
	invs, err := p.createInvitations(r.Context(), c.by, c.org.ID, c.by.userID, todo)
	var invited []string
	for _, i := range invs {
		invited = append(invited, i.EmailAddress)
	}
	status := http.StatusOK
	if err != nil {
		status = http.StatusUnprocessableEntity
	}
	p.renderInviteStep(w, r, orgView(c.org), invited, err, status)
}

// authorizeOrg is authorize for an organization named by a form.
func (p *Plugin) authorizeOrg(r *http.Request, orgID, perm string) (*call, error) {
	r.SetPathValue("id", orgID)
	return p.authorize(r, perm)
}

// redirectTarget is where a form asks to go, when it is of this
// application.
func (p *Plugin) redirectTarget(r *http.Request, fallback string) string {
	if u := r.PostForm.Get("redirect_url"); u != "" && p.localURL(u) {
		return u
	}
	return fallback
}

func (p *Plugin) serveActivePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_ = r.ParseForm()
	_, err := p.SetActive(ctx, w, latch.SessionFromContext(ctx), r.PostForm.Get("organization_id"), r.PostForm.Get("team_id"))
	target := p.redirectTarget(r, p.url(pageSettings))
	if err != nil {
		p.back(w, r, p.url(pageSettings), "", err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// serveAcceptPage is where a mailed invitation leads. Signed in, it shows
// the invitation to accept (a GET changes nothing); signed out, it sends
// the invitee to sign in (an account holds the address) or to sign up
// with the invitation, which verifies the address.
func (p *Plugin) serveAcceptPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tok := r.URL.Query().Get("ticket")
	inv, err := p.h.InvitationFromLink(ctx, tok)
	s := latch.SessionFromContext(ctx)
	if err != nil || inv.OrganizationID == "" {
		if s != nil {
			p.back(w, r, p.url(pageSettings), "", latch.ErrInvitationInvalid)
			return
		}
		http.Redirect(w, r, p.h.SignInURL(), http.StatusSeeOther)
		return
	}
	if s == nil {
		if _, err := p.h.Store().FindIdentifier(ctx, storage.KindEmailAddress, inv.EmailAddress); err == nil {
			http.Redirect(w, r, p.h.SignInURL()+"?redirect_url="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		q := url.Values{"ticket": {tok}}
		if red := r.URL.Query().Get("redirect_url"); red != "" && p.localURL(red) {
			q.Set("redirect_url", red)
		}
		http.Redirect(w, r, p.h.SignUpURL()+"?"+q.Encode(), http.StatusSeeOther)
		return
	}
	o, err := p.orgs.GetOrganization(ctx, inv.OrganizationID)
	if err != nil {
		p.back(w, r, p.url(pageSettings), "", latch.ErrInvitationInvalid)
		return
	}
	l := p.h.Locale(r)
	redirect := p.url(pageSettings)
	if red := r.URL.Query().Get("redirect_url"); red != "" && p.localURL(red) {
		redirect = red
	}
	props := components.OrganizationListProps{User: p.userSummary(ctx, s), AcceptInvitationAction: p.url(pageAccept),
		Invitations: []components.OrgListInvitation{{ID: inv.ID, Organization: summary(o, ""), EmailAddress: inv.EmailAddress, RoleName: roleLabel(inv.Role)}},
		Hidden:      map[string]string{"redirect_url": redirect}, Branding: components.Branding{AppName: p.h.AppName()},
		Locale: l, Appearance: p.h.Appearance()}
	p.h.RenderPage(w, r, http.StatusOK, components.T(l, "org.list.title"), components.OrganizationList(props))
}

func (p *Plugin) serveAcceptPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_ = r.ParseForm()
	s := latch.SessionFromContext(ctx)
	m, err := p.AcceptInvitation(ctx, s.UserID, r.PostForm.Get("invitation_id"))
	if err != nil {
		p.back(w, r, p.url(pageSettings), "", err)
		return
	}
	if _, err := p.SetActive(ctx, w, s, m.OrganizationID, ""); err != nil {
		p.h.Logger().ErrorContext(ctx, "orgs: making a joined organization active", "err", err)
	}
	p.back(w, r, p.redirectTarget(r, p.url(pageSettings)), "joined", nil)
}

func (p *Plugin) serveRequestPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_ = r.ParseForm()
	_, err := p.RequestMembership(ctx, latch.SessionFromContext(ctx).UserID, r.PostForm.Get("suggestion_id"))
	p.back(w, r, p.url(pageSettings), "requested", err)
}

func (p *Plugin) serveProfilePage(w http.ResponseWriter, r *http.Request) {
	c, err := p.authorize(r, anyMember)
	if err != nil {
		p.back(w, r, p.url(pageSettings), "", err)
		return
	}
	p.renderProfile(w, r, c, http.StatusOK)
}

func (p *Plugin) renderProfile(w http.ResponseWriter, r *http.Request, c *call, status int) {
	ctx := r.Context()
	l := p.h.Locale(r)
	notice, errs := pageState(l, r)
	has := func(perm string) bool { return contains(c.perms, perm) }
	act := p.url("/" + c.org.ID + "/do?action=")
	props := components.OrganizationProfileProps{Organization: summary(c.org, c.me.Role),
		CanManageProfile: has(PermProfileManage), CanDelete: has(PermProfileDelete), CanReadMembers: has(PermMembershipsRead),
		CanManageMembers: has(PermMembershipsManage), CanReadDomains: has(PermDomainsRead), CanManageDomains: has(PermDomainsManage),
		CanLeave: true, UpdateAction: act + "update", DeleteAction: act + "delete", LeaveAction: act + "leave",
		UpdateRoleAction: act + "role", RemoveMemberAction: act + "remove", InviteAction: act + "invite",
		RevokeInvitationAction: act + "revoke", AcceptRequestAction: act + "accept_request", RejectRequestAction: act + "reject_request",
		AllowSubdomains: true, AddDomainAction: act + "add_domain", PrepareDomainAction: act + "prepare_domain",
		VerifyDomainAction: act + "verify_domain", DomainEnrollmentAction: act + "domain_mode", RemoveDomainAction: act + "remove_domain",
		BackURL: p.url(pageSettings), Notice: notice, Errors: errs, Locale: l, Appearance: p.h.Appearance()}
	props.Roles, props.DefaultRole = p.roleOptions(ctx, c.org)
	set, _ := p.roleSetOf(ctx, c.org)
	if props.CanReadMembers {
		ms, _, _ := p.ListMembers(ctx, c.org.ID, "", storage.Page{Limit: storage.MaxLimit})
		creators := 0
		for _, m := range ms {
			if set != nil && m.Role == set.CreatorRole {
				creators++
			}
		}
		for _, m := range ms {
			om := components.OrgMember{UserID: m.UserID, Role: m.Role, JoinedAt: m.CreatedAt.Format("2006-01-02"), You: m.UserID == c.by.userID}
			if u, err := p.h.GetUser(ctx, m.UserID); err == nil {
				om.Name, om.Email, om.ImageURL = strings.TrimSpace(u.FirstName+" "+u.LastName), u.PrimaryEmailAddress(), u.ImageURL
			}
			om.Locked = set != nil && m.Role == set.CreatorRole && creators <= 1
			if om.You && om.Locked {
				props.CanLeave = false
			}
			props.Members = append(props.Members, om)
		}
		invs, _, _ := p.ListInvitations(ctx, c.org.ID, storage.InvitationPending, storage.Page{Limit: storage.MaxLimit})
		for _, i := range invs {
			props.Invitations = append(props.Invitations, components.OrgInvitation{ID: i.ID, EmailAddress: i.EmailAddress, Role: i.Role,
				CreatedAt: i.CreatedAt.Format("2006-01-02"), ExpiresAt: i.ExpiresAt.Format("2006-01-02")})
		}
		reqs, _, _ := p.ListRequests(ctx, c.org.ID, storage.MembershipRequestPending, storage.Page{Limit: storage.MaxLimit})
		for _, q := range reqs {
			or := components.OrgMembershipRequest{ID: q.ID, UserID: q.UserID, Email: q.EmailAddress, CreatedAt: q.CreatedAt.Format("2006-01-02")}
			if u, err := p.h.GetUser(ctx, q.UserID); err == nil {
				or.Name = strings.TrimSpace(u.FirstName + " " + u.LastName)
			}
			props.Requests = append(props.Requests, or)
		}
	}
	if props.CanReadDomains {
		ds, _ := p.ListDomains(ctx, c.org.ID)
		for _, d := range ds {
			props.Domains = append(props.Domains, components.OrgDomain{ID: d.ID, Name: d.Name, EnrollmentMode: d.EnrollmentMode,
				IncludeSubdomains: d.IncludeSubdomains, Verified: d.Verified})
		}
	}
	p.h.RenderPage(w, r, status, components.T(l, "org.profile.title"), components.OrganizationProfile(props))
}

// profileActions are the profile page's forms: the permission each needs
// and what it does. The page redirects back with a notice or the error.
var profileActions = map[string]struct {
	perm string
	do   func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (notice string, err error)
}{
	"update": {PermProfileManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		f := r.PostForm
		up := UpdateParams{}
		if f.Has("name") {
			v := f.Get("name")
			up.Name = &v
		}
		if f.Has("slug") {
			v := f.Get("slug")
			up.Slug = &v
		}
		if f.Has("image_url") {
			v := f.Get("image_url")
			up.ImageURL = &v
		}
		_, err := p.UpdateOrganization(r.Context(), c.by.userID, c.org.ID, up)
		return "saved", err
	}},
	"delete": {PermProfileDelete, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		return "deleted", p.DeleteOrganization(r.Context(), c.by.userID, c.org.ID)
	}},
	"leave": {anyMember, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		return "left", p.Leave(r.Context(), c.org.ID, c.by.userID)
	}},
	"role": {PermMembershipsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		_, err := p.updateRole(r.Context(), c.by, c.org.ID, r.PostForm.Get("user_id"), r.PostForm.Get("role"))
		return "role", err
	}},
	"remove": {PermMembershipsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		uid := r.PostForm.Get("user_id")
		return "removed", p.removeMember(r.Context(), c.by, c.org.ID, uid, uid == c.by.userID)
	}},
	"invite": {PermMembershipsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		_, err := p.createInvitations(r.Context(), c.by, c.org.ID, c.by.userID, p.invitesFrom(r))
		return "invited", err
	}},
	"revoke": {PermMembershipsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		_, err := p.revokeInvitation(r.Context(), c.by, c.org.ID, r.PostForm.Get("invitation_id"))
		return "revoked", err
	}},
	"accept_request": {PermMembershipsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		_, err := p.decideRequest(r.Context(), c.by, c.org.ID, r.PostForm.Get("request_id"), true)
		return "accepted", err
	}},
	"reject_request": {PermMembershipsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		_, err := p.decideRequest(r.Context(), c.by, c.org.ID, r.PostForm.Get("request_id"), false)
		return "rejected", err
	}},
	"add_domain": {PermDomainsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		_, err := p.createDomain(r.Context(), c.by, c.org.ID, DomainParams{Name: r.PostForm.Get("name"),
			IncludeSubdomains: r.PostForm.Get("include_subdomains") == "true"})
		return "domain_added", err
	}},
	"prepare_domain": {PermDomainsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		domainID := r.PostForm.Get("domain_id")
		id, err := p.PrepareAffiliation(r.Context(), c.org.ID, domainID, r.PostForm.Get("affiliation_email_address"))
		if err == nil {
			p.setAffiliationCookie(w, domainID+":"+id, int(affiliationTTL.Seconds()))
		}
		return "code_sent", err
	}},
	"verify_domain": {PermDomainsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		// The form posts the code alone; the verification it answers is the
		// one this browser was last sent for the domain, kept in a cookie
		// so that any instance can check it.
		domainID := r.PostForm.Get("domain_id")
		v := ""
		if ck, err := r.Cookie(affiliationCookie); err == nil {
			if d, id, ok := strings.Cut(ck.Value, ":"); ok && d == domainID {
				v = id
			}
		}
		if v == "" {
			return "", latch.ErrCodeExpired
		}
		_, err := p.attemptAffiliation(r.Context(), c.by, c.org.ID, domainID, v, r.PostForm.Get("code"))
		if err == nil {
			p.setAffiliationCookie(w, "", -1)
		}
		return "domain_verified", err
	}},
	"domain_mode": {PermDomainsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		_, err := p.updateDomain(r.Context(), c.by, c.org.ID, r.PostForm.Get("domain_id"), r.PostForm.Get("enrollment_mode"))
		return "saved", err
	}},
	"remove_domain": {PermDomainsManage, func(p *Plugin, w http.ResponseWriter, r *http.Request, c *call) (string, error) {
		return "domain_removed", p.deleteDomain(r.Context(), c.by, c.org.ID, r.PostForm.Get("domain_id"))
	}},
}

func (p *Plugin) serveProfilePost(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	action, ok := profileActions[r.URL.Query().Get("action")]
	if !ok {
		p.back(w, r, p.url(pageSettings), "", latch.ErrNotFound)
		return
	}
	c, err := p.authorize(r, action.perm)
	if err != nil {
		p.back(w, r, p.url(pageSettings), "", err)
		return
	}
	notice, err := action.do(p, w, r, c)
	target := p.url("/" + c.org.ID)
	if err == nil && (notice == "deleted" || notice == "left") {
		target = p.url(pageSettings)
	}
	p.back(w, r, target, notice, err)
}

// affiliationCookie names the verification of the last affiliation code
// sent to this browser, as "domain_id:verification_id". It is no secret:
// the code is, and only a member who may manage the domain can use it.
const affiliationCookie = "latch_org_affiliation"

func (p *Plugin) setAffiliationCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: affiliationCookie, Value: value, Path: p.url(""), MaxAge: maxAge,
		HttpOnly: true, Secure: strings.HasPrefix(p.h.BaseURL(), "https://"), SameSite: http.SameSiteLaxMode})
}
