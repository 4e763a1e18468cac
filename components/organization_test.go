package components

import (
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

func orgRoles() []OrgRole {
	return []OrgRole{{Key: "org:admin", Name: "Admin"}, {Key: "org:member", Name: "Member"}, {Key: "org:billing"}}
}

// orgProfileAdmin is the profile as an admin with every permission sees it.
func orgProfileAdmin() OrganizationProfileProps {
	return OrganizationProfileProps{
		Organization:     OrgSummary{ID: "org_1", Name: "Acme Inc", Slug: "acme", ImageURL: "/img/acme.png", RoleName: "Admin", MembersCount: 3},
		CanManageProfile: true, CanDelete: true, CanReadMembers: true, CanManageMembers: true,
		CanReadDomains: true, CanManageDomains: true, CanLeave: true,
		UpdateAction: "/auth/orgs/org_1", DeleteAction: "/auth/orgs/org_1/delete", LeaveAction: "/auth/orgs/org_1/leave",
		Members: []OrgMember{
			{UserID: "user_1", Name: "Jane Doe", Email: "jane@acme.example", Role: "org:admin", JoinedAt: "March 2026", You: true},
			{UserID: "user_2", Name: "Bob Stone", Email: "bob@acme.example", Role: "org:member", JoinedAt: "April 2026"},
			{UserID: "user_3", Email: "founder@acme.example", Role: "org:admin", Locked: true},
		},
		MembersNextURL:   "/auth/orgs/org_1?members_after=user_3",
		UpdateRoleAction: "/auth/orgs/org_1/members/role", RemoveMemberAction: "/auth/orgs/org_1/members/remove",
		Roles: orgRoles(), DefaultRole: "org:member",
		Invitations:  []OrgInvitation{{ID: "inv_1", EmailAddress: "new@acme.example", Role: "org:member", CreatedAt: "yesterday", ExpiresAt: "in 6 days"}},
		InviteAction: "/auth/orgs/org_1/invitations", RevokeInvitationAction: "/auth/orgs/org_1/invitations/revoke",
		Requests:            []OrgMembershipRequest{{ID: "orgreq_1", UserID: "user_9", Name: "Carla Diaz", Email: "carla@acme.example", CreatedAt: "2 hours ago"}},
		AcceptRequestAction: "/auth/orgs/org_1/requests/accept", RejectRequestAction: "/auth/orgs/org_1/requests/reject",
		Domains: []OrgDomain{
			{ID: "dom_1", Name: "acme.example", EnrollmentMode: OrgEnrollmentAutoSuggestion, Verified: true, IncludeSubdomains: true},
			{ID: "dom_2", Name: "acme.test"},
			{ID: "dom_3", Name: "acme.dev", AffiliationEmail: "it@acme.dev"},
		},
		AllowSubdomains: true,
		AddDomainAction: "/auth/orgs/org_1/domains", PrepareDomainAction: "/auth/orgs/org_1/domains/prepare",
		VerifyDomainAction: "/auth/orgs/org_1/domains/verify", DomainEnrollmentAction: "/auth/orgs/org_1/domains/mode",
		RemoveDomainAction: "/auth/orgs/org_1/domains/remove",
		BackURL:            "/",
		Notice:             "Invitation sent.",
		Hidden:             hidden1,
	}
}

// orgCases is every state of the organization components with a golden
// file (testdata/org_*.html; go test ./components -update rewrites them).
func orgCases() map[string]templ.Component {
	sw := OrganizationSwitcherProps{
		Active:          &OrgSummary{ID: "org_1", Name: "Acme Inc", Slug: "acme", RoleName: "Admin", MembersCount: 3},
		Organizations:   []OrgSummary{{ID: "org_2", Name: "Globex", ImageURL: "/img/globex.png", RoleName: "Member"}, {ID: "org_3", Name: "Initech", MembersCount: 1}},
		User:            UserSummary{Name: "Jane Doe", Email: "jane@example.com"},
		SetActiveAction: "/auth/orgs/active", ManageURL: "/auth/orgs/org_1", CreateURL: "/auth/orgs/new", ListURL: "/auth/orgs",
		PendingCount: 2,
		Hidden:       hidden1,
	}
	swPersonal := sw
	swPersonal.Active, swPersonal.PendingCount = nil, 0

	member := orgProfileAdmin()
	member.Organization.RoleName = "Member"
	member.CanManageProfile, member.CanDelete, member.CanManageMembers, member.CanManageDomains = false, false, false, false
	member.Notice = ""

	fr := orgProfileAdmin()
	fr.Locale, fr.Appearance, fr.Notice = French, Appearance{Theme: "dark"}, ""
	fr.Errors = Errors{{"", "Impossible d'enregistrer."}, {"slug", "Cet identifiant est déjà pris."}, {"role:user_2", "Ce rôle n'existe pas."},
		{OrgErrDomainName, "Les domaines de messagerie publics ne peuvent pas être ajoutés."}, {"code:dom_3", "Ce code est incorrect."},
		{"affiliation_email_address:dom_2", "Cette adresse n'est pas sur acme.test."}, {"email_address", "Adresse invalide."}}

	create := CreateOrganizationProps{Action: "/auth/orgs/new", SlugPrefix: "app.example/", CancelURL: "/",
		Values: map[string]string{"name": "Acme Inc"}, Errors: Errors{{"slug", "That slug is taken."}},
		Hidden: hidden1, Branding: branding}
	invite := CreateOrganizationProps{Step: OrgStepInvite, Organization: OrgSummary{ID: "org_1", Name: "Acme Inc"},
		InviteAction: "/auth/orgs/org_1/invitations", Roles: orgRoles(), DefaultRole: "org:member",
		Invited: []string{"bob@acme.example"}, Notice: "1 invitation sent.", DoneURL: "/dashboard",
		Hidden: hidden1, Branding: branding}

	list := OrganizationListProps{
		Memberships: []OrgListMembership{
			{Organization: OrgSummary{ID: "org_1", Name: "Acme Inc", RoleName: "Admin", MembersCount: 3}, Active: true, ManageURL: "/auth/orgs/org_1"},
			{Organization: OrgSummary{ID: "org_2", Name: "Globex", ImageURL: "/img/globex.png", RoleName: "Member"}},
		},
		Personal: true, User: UserSummary{Name: "Jane Doe", Email: "jane@example.com"}, SetActiveAction: "/auth/orgs/active",
		Invitations:            []OrgListInvitation{{ID: "inv_7", Organization: OrgSummary{ID: "org_5", Name: "Umbrella"}, EmailAddress: "jane@example.com", RoleName: "Member"}},
		AcceptInvitationAction: "/auth/orgs/invitations/accept",
		Suggestions: []OrgListSuggestion{{ID: "sug_1", Organization: OrgSummary{ID: "org_6", Name: "Example Corp"}},
			{ID: "sug_2", Organization: OrgSummary{ID: "org_7", Name: "Example Labs"}, Requested: true}},
		RequestToJoinAction: "/auth/orgs/suggestions/request",
		CreateURL:           "/auth/orgs/new",
		Hidden:              hidden1, Branding: branding,
	}
	listFR := list
	listFR.Locale = French

	ub := UserButtonProps{User: UserSummary{SessionID: "sess_1", Name: "Jane Doe", Email: "jane@example.com"},
		ManageAccountURL: "/auth/profile", SignOutAction: "/auth/sign-out", Hidden: hidden1,
		Items: []MenuEntry{{Component: OrganizationSwitcher(sw)}}}

	return map[string]templ.Component{
		"org_switcher":             OrganizationSwitcher(sw),
		"org_switcher_personal":    OrganizationSwitcher(swPersonal),
		"org_switcher_in_menu":     UserButton(ub),
		"org_profile_admin":        OrganizationProfile(orgProfileAdmin()),
		"org_profile_member":       OrganizationProfile(member),
		"org_profile_fr_dark":      OrganizationProfile(fr),
		"org_create":               CreateOrganization(create),
		"org_create_invite":        CreateOrganization(invite),
		"org_list":                 OrganizationList(list),
		"org_list_fr":              OrganizationList(listFR),
		"org_list_empty":           OrganizationList(OrganizationListProps{CreateURL: "/auth/orgs/new", Hidden: hidden1}),
		"org_profile_no_access":    OrganizationProfile(OrganizationProfileProps{Organization: OrgSummary{ID: "org_1", Name: "Acme Inc"}, Hidden: hidden1}),
		"org_create_invite_skip":   CreateOrganization(CreateOrganizationProps{Step: OrgStepInvite, Organization: OrgSummary{ID: "org_1", Name: "Acme Inc"}, InviteAction: "/i", DoneURL: "/", Hidden: hidden1}),
		"org_switcher_no_personal": OrganizationSwitcher(OrganizationSwitcherProps{Active: sw.Active, HidePersonal: true, SetActiveAction: "/auth/orgs/active", Hidden: hidden1}),
	}
}

var formRe = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)

// TestOrganizationFormsPostWithCSRF: every form of every organization
// component posts, carries the CSRF field from Hidden, and those of the
// profile name the organization they act on.
func TestOrganizationFormsPostWithCSRF(t *testing.T) {
	for name, c := range orgCases() {
		html := render(t, c)
		forms := formRe.FindAllStringSubmatch(html, -1)
		if len(forms) == 0 && name != "org_profile_no_access" && name != "org_list_empty" && name != "org_switcher_no_personal" {
			t.Errorf("%s: no forms", name)
		}
		for _, f := range forms {
			if !strings.Contains(f[1], `method="post"`) || !strings.Contains(f[1], `action="/`) {
				t.Errorf("%s: form %s does not post to an action", name, f[1])
			}
			if !strings.Contains(f[2], `<input type="hidden" name="csrf_token" value="tok123">`) {
				t.Errorf("%s: form %s has no CSRF field", name, f[1])
			}
			if strings.HasPrefix(name, "org_profile") && !strings.Contains(f[2], `name="organization_id" value="org_1"`) {
				t.Errorf("%s: form %s does not name the organization", name, f[1])
			}
		}
	}
}

var (
	buttonRe    = regexp.MustCompile(`(?s)<button\b([^>]*)>(.*?)</button>`)
	summaryRe   = regexp.MustCompile(`(?s)<summary\b[^>]*>(.*?)</summary>`)
	textRe      = regexp.MustCompile(`<[^>]*>`)
	ariaLabelRe = regexp.MustCompile(`aria-label="([^"]*)"`)
)

// TestOrganizationControlsLabelled: every input, select and textarea has a
// <label for> or an aria-label, and every button and disclosure has a
// name, so screen readers can tell the many per-row controls apart.
func TestOrganizationControlsLabelled(t *testing.T) {
	for name, c := range orgCases() {
		html := render(t, c)
		ts := tags(html)
		labelFor := map[string]bool{}
		for _, tg := range ts {
			if tg.name == "label" {
				labelFor[tg.attrs["for"]] = true
			}
		}
		for _, tg := range ts {
			if tg.name == "label" || tg.attrs["type"] == "hidden" || tg.attrs["aria-label"] != "" {
				continue
			}
			if id := tg.attrs["id"]; id == "" || !labelFor[id] {
				t.Errorf("%s: %s %v has no <label for> or aria-label", name, tg.name, tg.attrs)
			}
		}
		for _, b := range buttonRe.FindAllStringSubmatch(html, -1) {
			if !strings.Contains(b[1], `aria-label="`) && strings.TrimSpace(textRe.ReplaceAllString(b[2], "")) == "" {
				t.Errorf("%s: button %s has no name", name, b[0])
			}
		}
		// A button's accessible name holds its visible text, so that
		// speech control finds it by what it shows.
		for _, b := range buttonRe.FindAllStringSubmatch(html, -1) {
			label := ariaLabelRe.FindStringSubmatch(b[1])
			text := strings.TrimSpace(textRe.ReplaceAllString(b[2], ""))
			if label != nil && !strings.Contains(strings.ToLower(label[1]), strings.ToLower(text)) {
				t.Errorf("%s: button %q is named %q, which does not hold its text", name, text, label[1])
			}
		}
		for _, s := range summaryRe.FindAllStringSubmatch(html, -1) {
			if strings.TrimSpace(textRe.ReplaceAllString(s[1], "")) == "" {
				t.Errorf("%s: summary %s has no name", name, s[0])
			}
		}
	}
	// Per-row buttons say which row they act on.
	html := render(t, orgCases()["org_profile_admin"])
	for _, want := range []string{`aria-label="Remove Bob Stone from the organization"`, `aria-label="Revoke the invitation of new@acme.example"`,
		`aria-label="Accept the request of Carla Diaz"`, `aria-label="Reject the request of Carla Diaz"`, `aria-label="Remove the domain acme.test"`,
		`<label class="latch-sr-only" for="latch-org-role-user_2">Role of Bob Stone</label>`} {
		if !strings.Contains(html, want) {
			t.Errorf("admin profile lacks %s", want)
		}
	}
}

// TestOrganizationOutputEscaped: names, addresses and domains typed by
// users are escaped, so an organization called <script>… cannot run
// script in the pages of its members.
func TestOrganizationOutputEscaped(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	o := OrgSummary{ID: "org_1", Name: evil, Slug: evil, RoleName: evil}
	p := orgProfileAdmin()
	p.Organization = o
	p.Members[1].Name = evil
	p.Invitations[0].EmailAddress = evil
	p.Domains[1].Name = evil
	p.Requests[0].Name = evil
	p.Notice = evil
	p.Errors = Errors{{"", evil}}
	p.Roles = append(p.Roles, OrgRole{Key: evil, Name: evil})
	for name, c := range map[string]templ.Component{
		"switcher": OrganizationSwitcher(OrganizationSwitcherProps{Active: &o, Organizations: []OrgSummary{o}, SetActiveAction: "/a", ManageURL: "/m", Hidden: hidden1}),
		"profile":  OrganizationProfile(p),
		"create":   CreateOrganization(CreateOrganizationProps{Action: "/c", Values: map[string]string{"name": evil, "slug": evil}, Errors: Errors{{"name", evil}}, Hidden: hidden1}),
		"invite":   CreateOrganization(CreateOrganizationProps{Step: OrgStepInvite, Organization: o, InviteAction: "/i", Invited: []string{evil}, Values: map[string]string{"email_address": evil}, Hidden: hidden1}),
		"list": OrganizationList(OrganizationListProps{Memberships: []OrgListMembership{{Organization: o}}, SetActiveAction: "/a",
			Invitations: []OrgListInvitation{{ID: "i", Organization: o, RoleName: evil}}, AcceptInvitationAction: "/i",
			Suggestions: []OrgListSuggestion{{ID: "s", Organization: o}}, RequestToJoinAction: "/r", Hidden: hidden1}),
	} {
		html := render(t, c)
		if strings.Contains(html, "<script") {
			t.Errorf("%s: a name was not escaped", name)
		}
		if !strings.Contains(html, "&lt;script&gt;") {
			t.Errorf("%s: the name is missing", name)
		}
	}
}

// TestOrganizationProfileShowsOnlyPermittedSections: the Can* booleans
// alone decide what the viewer gets; a member sees the members and
// domains but no control that changes them.
func TestOrganizationProfileShowsOnlyPermittedSections(t *testing.T) {
	c := orgCases()
	none := render(t, c["org_profile_no_access"])
	if strings.Contains(none, "<form") || strings.Contains(none, "latch-org-members-title") || strings.Contains(none, "latch-org-domains-title") || strings.Contains(none, "latch-org-danger-title") {
		t.Error("a viewer without permissions gets sections or forms")
	}
	member := render(t, c["org_profile_member"])
	for _, want := range []string{"latch-org-members-title", "Bob Stone", "latch-org-domains-title", "acme.example", `action="/auth/orgs/org_1/leave"`, `<dd>acme</dd>`} {
		if !strings.Contains(member, want) {
			t.Errorf("member's view lacks %s", want)
		}
	}
	for _, action := range []string{"/auth/orgs/org_1\"", "delete", "members/role", "members/remove", "invitations", "requests", "domains/"} {
		if strings.Contains(member, `action="/auth/orgs/org_1/`+action) || strings.Contains(member, `action="`+action) {
			t.Errorf("member's view has a form posting to %s", action)
		}
	}
	if strings.Contains(member, "<select") || strings.Contains(member, "latch-org-invitations-title") || strings.Contains(member, "latch-org-requests-title") {
		t.Error("member's view has role selects, invitations or requests")
	}

	admin := render(t, c["org_profile_admin"])
	// The viewer's own row has no remove button; the locked row neither
	// remove nor role select.
	if strings.Contains(admin, "Remove Jane Doe") || strings.Contains(admin, "Remove founder@acme.example") || strings.Contains(admin, "latch-org-role-user_3") {
		t.Error("the viewer's or the locked member's row can be removed or changed")
	}
	for _, want := range []string{
		`name="name" type="text" value="Acme Inc"`, `name="slug" type="text" value="acme"`, `name="image_url" type="url" value="/img/acme.png"`,
		`name="user_id" value="user_2"`, `<option value="org:member" selected>Member</option>`, `<option value="org:billing">org:billing</option>`,
		`name="email_address"`, `name="invitation_id" value="inv_1"`, `name="request_id" value="orgreq_1"`,
		`name="domain_id" value="dom_1"`, `<option value="automatic_suggestion" selected>`, `name="enrollment_mode"`,
		`name="affiliation_email_address" type="email"`, `name="code" type="text"`, `name="affiliation_email_address" value="it@acme.dev"`,
		`name="include_subdomains" value="true"`, `<details class="latch-danger">`, `Member · sent yesterday · expires in 6 days`,
		`href="/auth/orgs/org_1?members_after=user_3"`, `role="status"`,
	} {
		if !strings.Contains(admin, want) {
			t.Errorf("admin profile lacks %s", want)
		}
	}
	// A verified domain asks for no code; an unverified one no mode.
	if strings.Contains(admin, "latch-org-domain-code-dom_1") || strings.Contains(admin, "latch-org-domain-mode-dom_2") || strings.Contains(admin, "latch-org-domain-code-dom_2") {
		t.Error("domain rows show the wrong verification controls")
	}

	fr := render(t, c["org_profile_fr_dark"])
	for _, want := range []string{`aria-describedby="latch-org-role-user_2-error"`, `aria-describedby="latch-org-domain-add-error"`,
		`aria-describedby="latch-org-domain-code-dom_3-error"`, `aria-describedby="latch-org-domain-email-dom_2-error"`,
		`aria-describedby="latch-org-invite-emails-hint latch-org-invite-emails-error"`, `aria-describedby="latch-org-slug-error"`,
		`data-latch-theme="dark"`, "Membres"} {
		if !strings.Contains(fr, want) {
			t.Errorf("French profile with errors lacks %s", want)
		}
	}
}

// TestOrganizationSwitcherWorksWithoutJavaScript: the switcher is a
// <details> disclosure whose entries are plain forms, the personal
// account posting an empty organization_id.
func TestOrganizationSwitcherWorksWithoutJavaScript(t *testing.T) {
	c := orgCases()
	html := render(t, c["org_switcher"])
	for _, want := range []string{`<details class="latch-orgswitcher">`, `name="organization_id" value=""`, `name="organization_id" value="org_2"`,
		`href="/auth/orgs/new"`, `href="/auth/orgs/org_1"`, `aria-label="Manage Acme Inc"`, `2 waiting`, `Admin · 3 members`, `src="/img/globex.png"`} {
		if !strings.Contains(html, want) {
			t.Errorf("switcher lacks %s", want)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, `value="org_1"`) {
		t.Error("switcher has a script or offers the active organization")
	}
	personal := render(t, c["org_switcher_personal"])
	if strings.Contains(personal, `name="organization_id" value=""`) || !strings.Contains(personal, "Personal account") {
		t.Error("personal switcher offers the personal account it is on")
	}
	if strings.Contains(render(t, c["org_switcher_no_personal"]), "Personal account") {
		t.Error("HidePersonal still shows the personal account")
	}
	if !strings.Contains(render(t, c["org_switcher_in_menu"]), `<li class="latch-menu__extra"><div class="latch-root latch-orgswitcher-root"`) {
		t.Error("switcher not placed in the user menu")
	}
}

func TestCreateOrganizationSteps(t *testing.T) {
	c := orgCases()
	create := render(t, c["org_create"])
	for _, want := range []string{`name="name" type="text" value="Acme Inc"`, `autofocus`, `app.example/`, `aria-describedby="latch-orgcreate-slug-error"`, `href="/"`} {
		if !strings.Contains(create, want) {
			t.Errorf("create step lacks %s", want)
		}
	}
	if strings.Contains(create, `name="slug" type="text" autocomplete="off" required`) {
		t.Error("optional slug is required")
	}
	invite := render(t, c["org_create_invite"])
	for _, want := range []string{`name="organization_id" value="org_1"`, `<textarea`, `name="role"`, `<option value="org:member" selected>`, `bob@acme.example`, `>Done</a>`} {
		if !strings.Contains(invite, want) {
			t.Errorf("invite step lacks %s", want)
		}
	}
	if !strings.Contains(render(t, c["org_create_invite_skip"]), "Skip for now") {
		t.Error("invite step before anyone is invited does not offer to skip")
	}
}

func TestOrganizationList(t *testing.T) {
	c := orgCases()
	html := render(t, c["org_list"])
	for _, want := range []string{`aria-label="Open Globex"`, `name="organization_id" value="org_2"`, `aria-label="Open your personal account"`,
		`name="invitation_id" value="inv_7"`, `Invited as Member · jane@example.com`, `name="suggestion_id" value="sug_1"`, `>Requested</span>`,
		`aria-label="Manage Acme Inc"`} {
		if !strings.Contains(html, want) {
			t.Errorf("list lacks %s", want)
		}
	}
	if strings.Contains(html, `value="org_1"`) || strings.Contains(html, `value="sug_2"`) {
		t.Error("list offers to open the active organization or to request twice")
	}
	if !strings.Contains(render(t, c["org_list_empty"]), "not a member of any organization") {
		t.Error("empty list says nothing")
	}
	if !strings.Contains(render(t, c["org_list_fr"]), "Demander à rejoindre") {
		t.Error("French list is not French")
	}
}
