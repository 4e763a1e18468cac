package orgs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func signInStatus(t *testing.T, e *env, email string) (int, any) {
	t.Helper()
	b := e.NewBrowser()
	code, out := b.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"identifier": email, "password": goodPassword})
	return code, out["status"]
}

func TestOrganizationRequiringSecondFactorAsksItOfMembers(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada, _ := e.SignUp(t, "ada@example.com", goodPassword)
	if code, st := signInStatus(t, e, "ada@example.com"); code != http.StatusOK || st != "complete" {
		t.Fatalf("signing in before: %d %v", code, st)
	}
	o := e.org(t, ada, "Acme")
	on := true
	if _, err := e.p.UpdateOrganization(e.ctx, ada, o.ID, UpdateParams{RequireSecondFactor: &on}); err != nil {
		t.Fatal(err)
	}
	if code, st := signInStatus(t, e, "ada@example.com"); code == http.StatusOK && st == "complete" {
		t.Errorf("a member of an organization requiring a second factor signed in with a password alone")
	}
	// The same policy keeps a member from removing their last factor.
	raw, err := e.Auth.Store().GetUser(e.ctx, ada)
	if err != nil {
		t.Fatal(err)
	}
	if need, err := e.p.h.SecondFactorRequired(e.ctx, raw); err != nil || !need {
		t.Errorf("a member of an organization requiring a second factor may drop it: %v %v", need, err)
	}
}

func TestRestrictToDomainsRefusesOtherAddresses(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada := e.user(t, "ada@acme.example")
	o := e.org(t, ada, "Acme")
	if _, err := e.p.CreateDomain(e.ctx, o.ID, DomainParams{Name: "acme.example", Verified: true}); err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := e.p.UpdateOrganization(e.ctx, ada, o.ID, UpdateParams{RestrictToDomains: &on}); err != nil {
		t.Fatal(err)
	}
	outsider := e.user(t, "eve@example.com")
	if _, err := e.p.AddMember(e.ctx, o.ID, outsider, ""); !errors.Is(err, ErrDomainRestricted) {
		t.Errorf("adding an outsider: %v", err)
	}
	e.unverified(t, outsider, "eve@acme.example")
	if _, err := e.p.AddMember(e.ctx, o.ID, outsider, ""); !errors.Is(err, ErrDomainRestricted) {
		t.Errorf("adding an outsider with an unverified address there: %v", err)
	}
	insider := e.user(t, "bob@acme.example")
	if _, err := e.p.AddMember(e.ctx, o.ID, insider, ""); err != nil {
		t.Errorf("adding someone at the domain: %v", err)
	}
}

func TestDomainsRefusePublicAndDisposableProviders(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada := e.user(t, "ada@example.com")
	o := e.org(t, ada, "Acme")
	for _, d := range []string{"gmail.com", "GMAIL.com", "mail.outlook.com", "mailinator.com", "not a domain", "localhost"} {
		if _, err := e.p.CreateDomain(e.ctx, o.ID, DomainParams{Name: d}); !errors.Is(err, ErrDomainNotAllowed) {
			t.Errorf("domain %q: %v", d, err)
		}
	}
	other := e.org(t, ada, "Other")
	if _, err := e.p.CreateDomain(e.ctx, o.ID, DomainParams{Name: "acme.example", Verified: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.CreateDomain(e.ctx, other.ID, DomainParams{Name: "ACME.example"}); !errors.Is(err, ErrDomainTaken) {
		t.Errorf("another organization's verified domain: %v", err)
	}
}

func TestDomainAffiliationByEmailedCode(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada := e.user(t, "ada@example.com")
	o := e.org(t, ada, "Acme")
	b := e.signIn(t, ada)
	code, out := b.JSON(http.MethodPost, "/v1/organizations/"+o.ID+"/domains", map[string]any{"name": "corp.example", "enrollment_mode": EnrollAutoInvitation})
	if code != http.StatusOK || out["verified"] != false {
		t.Fatalf("adding: %d %v", code, out)
	}
	dom := out["id"].(string)
	if code, out := b.JSON(http.MethodPost, "/v1/organizations/"+o.ID+"/domains/"+dom+"/prepare_affiliation_verification",
		map[string]any{"affiliation_email_address": "it@elsewhere.example"}); code != http.StatusUnprocessableEntity {
		t.Errorf("a code to an address elsewhere: %d %v", code, out)
	}
	code, out = b.JSON(http.MethodPost, "/v1/organizations/"+o.ID+"/domains/"+dom+"/prepare_affiliation_verification",
		map[string]any{"affiliation_email_address": "it@corp.example"})
	if code != http.StatusOK {
		t.Fatalf("preparing: %d %v", code, out)
	}
	ver := out["verification_id"].(string)
	e.Flush()
	mailed := e.LastCode(t, "it@corp.example")
	if code, out := b.JSON(http.MethodPost, "/v1/organizations/"+o.ID+"/domains/"+dom+"/attempt_affiliation_verification",
		map[string]any{"verification_id": ver, "code": "000000"}); code != http.StatusUnprocessableEntity || mailed == "000000" {
		t.Errorf("a wrong code: %d %v", code, out)
	}
	code, out = b.JSON(http.MethodPost, "/v1/organizations/"+o.ID+"/domains/"+dom+"/attempt_affiliation_verification",
		map[string]any{"verification_id": ver, "code": mailed})
	if code != http.StatusOK || out["verified"] != true {
		t.Fatalf("the right code: %d %v", code, out)
	}
	// Spent.
	if code, _ := b.JSON(http.MethodPost, "/v1/organizations/"+o.ID+"/domains/"+dom+"/attempt_affiliation_verification",
		map[string]any{"verification_id": ver, "code": mailed}); code == http.StatusOK {
		t.Error("the code worked twice")
	}
}

func TestActiveTeamInTheToken(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada, bob := e.user(t, "ada@example.com"), e.user(t, "bob@example.com")
	o := e.org(t, ada, "Acme")
	e.member(t, o.ID, bob, RoleMember)
	core, err := e.p.CreateTeam(e.ctx, o.ID, "Core")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.CreateTeam(e.ctx, o.ID, "CORE"); err == nil {
		t.Error("a second team of the same canonical name")
	}
	b := e.signIn(t, bob)
	if code, _ := b.JSON(http.MethodPut, "/v1/me/organizations/active", map[string]any{"organization_id": o.ID, "team_id": core.ID}); code != http.StatusNotFound {
		t.Errorf("switching to a team one is not in: %d", code)
	}
	if err := e.p.AddTeamMember(e.ctx, o.ID, core.ID, bob); err != nil {
		t.Fatal(err)
	}
	code, out := b.JSON(http.MethodPut, "/v1/me/organizations/active", map[string]any{"organization_id": o.ID, "team_id": core.ID})
	if code != http.StatusOK || out["jwt"] == "" {
		t.Fatalf("switching to the team: %d %v", code, out)
	}
	if c := claims(t, b); c["org_team"] != core.ID {
		t.Errorf("claims: %v", c)
	}
	if err := e.p.RemoveTeamMember(e.ctx, o.ID, core.ID, bob); err != nil {
		t.Fatal(err)
	}
	if c := claims(t, b); c["org_team"] != nil || c["org_id"] != o.ID {
		t.Errorf("claims after leaving the team: %v", c)
	}
}

func TestNewSessionActsForTheLastActiveOrganization(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada := e.user(t, "ada@example.com")
	e.org(t, ada, "First")
	second := e.org(t, ada, "Second")
	b := e.signIn(t, ada)
	if c := claims(t, b); c["org_id"] != nil {
		t.Errorf("a first session acts for %v, want the personal account", c["org_id"])
	}
	activate(t, b, second.ID)
	e.Clock.Advance(1)
	nb := e.signIn(t, ada)
	if c := claims(t, nb); c["org_id"] != second.ID {
		t.Errorf("a new session acts for %v, want %s", c["org_id"], second.ID)
	}
	if err := e.p.DeleteOrganization(e.ctx, ada, second.ID); err != nil {
		t.Fatal(err)
	}
	if c := claims(t, e.signIn(t, ada)); c["org_id"] != nil {
		t.Errorf("after deleting it: %v", c["org_id"])
	}
}

func TestCreateLimits(t *testing.T) {
	e := newEnv(t, nil, Config{MaxOrganizationsPerUser: 1, CanCreate: func(_ context.Context, userID string) (bool, error) { return userID != "user_nobody", nil }})
	ada := e.user(t, "ada@example.com")
	e.org(t, ada, "First")
	if _, err := e.p.CreateOrganization(e.ctx, ada, CreateParams{Name: "Second"}); !errors.Is(err, ErrCreateNotAllowed) {
		t.Errorf("a second organization: %v", err)
	}
	if _, err := e.p.CreateOrganization(e.ctx, "user_nobody", CreateParams{Name: "Third"}); !errors.Is(err, ErrCreateNotAllowed) {
		t.Errorf("CanCreate false: %v", err)
	}
}

func TestJSONCreateAndBulkInvite(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada := e.user(t, "ada@example.com")
	b := e.signIn(t, ada)
	code, out := b.JSON(http.MethodPost, "/v1/me/organizations", map[string]any{"name": "Acme", "slug": "acme"})
	if code != http.StatusOK || out["slug"] != "acme" {
		t.Fatalf("creating: %d %v", code, out)
	}
	id := out["id"].(string)
	code, out = b.JSON(http.MethodPost, "/v1/organizations/"+id+"/invitations", map[string]any{"invitations": []map[string]any{
		{"email_address": "a@example.com"}, {"email_address": "b@example.com", "role": RoleAdmin}, {"email_address": "A@example.com"}}})
	if code != http.StatusOK || len(out["data"].([]any)) != 2 {
		t.Fatalf("inviting in bulk: %d %v", code, out)
	}
	code, out = b.JSON(http.MethodPost, "/v1/organizations/"+id+"/invitations", map[string]any{"invitations": []map[string]any{
		{"email_address": "c@example.com"}, {"email_address": "not an address"}}})
	if code != http.StatusUnprocessableEntity {
		t.Errorf("a bulk invitation with a bad address: %d %v", code, out)
	}
	if invs, _, _ := e.p.ListInvitations(e.ctx, id, "pending", pageAll); len(invs) != 2 {
		t.Errorf("%d pending invitations, want 2 (all or none)", len(invs))
	}
	if code, _ := b.JSON(http.MethodPost, "/v1/organizations/"+id+"/invitations", map[string]any{"email_address": "a@example.com"}); code != http.StatusUnprocessableEntity {
		t.Errorf("inviting a pending address again: %d", code)
	}
	code, out = b.JSON(http.MethodGet, "/v1/me/organizations", nil)
	if code != http.StatusOK || len(out["data"].([]any)) != 1 {
		t.Errorf("the user's memberships: %d %v", code, out)
	}
	// The switcher is in the user menu.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, c := range b.Cookies() {
		r.AddCookie(c)
	}
	var found bool
	e.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		props, ok := e.UserButtonProps(r)
		for _, it := range props.Items {
			found = found || (ok && it.Component != nil)
		}
	})).ServeHTTP(httptest.NewRecorder(), r)
	if !found {
		t.Error("no organization switcher in the user menu")
	}
}

func TestMembershipMetadata(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada := e.user(t, "ada@example.com")
	o := e.org(t, ada, "Acme")
	if _, err := e.p.UpdateMemberMetadata(e.ctx, o.ID, ada, []byte(`{"title":"CTO"}`), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.UpdateMemberMetadata(e.ctx, o.ID, ada, []byte(`[1]`), nil); err == nil {
		t.Error("metadata that is no object")
	}
	m, err := e.p.GetMembership(e.ctx, o.ID, ada)
	if err != nil || string(m.PublicMetadata) != `{"title":"CTO"}` || m.Role != RoleAdmin {
		t.Errorf("after the update: %+v %v", m, err)
	}
}

func TestRoleSetsBoundWhatAnOrganizationAssigns(t *testing.T) {
	e := newEnv(t, nil, Config{Roles: []RoleParams{{Key: "org:viewer", Name: "Viewer", Permissions: []string{PermMembershipsRead}}},
		RoleSets: []RoleSetParams{{Key: "small", Roles: []string{RoleAdmin, "org:viewer"}, DefaultRole: "org:viewer"}}})
	if _, err := e.p.PutRole(e.ctx, RoleParams{Key: "org:bad", Permissions: []string{"org:sys_secret:manage"}}); err == nil {
		t.Error("a role with an unknown system permission")
	}
	if _, err := e.p.PutRole(e.ctx, RoleParams{Key: "Admin"}); err == nil {
		t.Error("a role key that is not org:<name>")
	}
	ada, bob := e.user(t, "ada@example.com"), e.user(t, "bob@example.com")
	o, err := e.p.CreateOrganization(e.ctx, ada, CreateParams{Name: "Small", RoleSet: "small"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.AddMember(e.ctx, o.ID, bob, RoleMember); !errors.Is(err, ErrRoleNotAllowed) {
		t.Errorf("a role outside the set: %v", err)
	}
	m, err := e.p.AddMember(e.ctx, o.ID, bob, "")
	if err != nil || m.Role != "org:viewer" {
		t.Fatalf("the set's default role: %+v %v", m, err)
	}
	// Editing the set applies to every organization using it.
	if err := e.p.PutRoleSet(e.ctx, RoleSetParams{Key: "small", Roles: []string{RoleAdmin, "org:viewer", RoleMember}, DefaultRole: "org:viewer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.UpdateMemberRole(e.ctx, o.ID, bob, RoleMember); err != nil {
		t.Errorf("a role the edited set allows: %v", err)
	}
	if err := e.p.DeleteRoleSet(e.ctx, "small"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.p.UpdateMemberRole(e.ctx, o.ID, bob, "org:viewer"); !errors.Is(err, ErrRoleNotAllowed) {
		t.Errorf("after the set is removed, a role only it had: %v", err)
	}
	if _, err := e.p.UpdateMemberRole(e.ctx, o.ID, bob, RoleAdmin); err != nil {
		t.Errorf("after the set is removed, a role of the default set: %v", err)
	}
}

func TestSubdomainsOnlyWhenIncluded(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada := e.user(t, "ada@example.com")
	o := e.org(t, ada, "Acme")
	if _, err := e.p.CreateDomain(e.ctx, o.ID, DomainParams{Name: "acme.example", EnrollmentMode: EnrollAutoSuggestion, IncludeSubdomains: true, Verified: true}); err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]int{"sam@eu.acme.example": 1, "lin@acme.example": 1, "max@notacme.example": 0, "kim@acme.example.evil": 0} {
		u := e.user(t, addr)
		if sugg, err := e.p.ListSuggestions(e.ctx, u); err != nil || len(sugg) != want {
			t.Errorf("%s: %d suggestions (%v), want %d", addr, len(sugg), err, want)
		}
	}
}

// The hosted page's verify form posts the code alone: the verification it
// answers rides in a cookie, so the check does not depend on which instance
// sent the code.
func TestDomainAffiliationByEmailedCodeOnTheHostedPage(t *testing.T) {
	e := newEnv(t, nil, Config{})
	ada := e.user(t, "ada@example.com")
	o := e.org(t, ada, "Acme")
	b := e.signIn(t, ada)
	d, err := e.p.CreateDomain(e.ctx, o.ID, DomainParams{Name: "corp.example"})
	if err != nil || d.Verified {
		t.Fatalf("adding: %+v %v", d, err)
	}
	res := b.Post("/organizations/"+o.ID+"/do?action=prepare_domain", url.Values{"domain_id": {d.ID}, "affiliation_email_address": {"it@corp.example"}})
	if !strings.Contains(res.Header.Get("Location"), "notice=code_sent") {
		t.Fatalf("sending the code: %s", res.Header.Get("Location"))
	}
	e.Flush()
	mailed := e.LastCode(t, "it@corp.example")
	res = b.Post("/organizations/"+o.ID+"/do?action=verify_domain", url.Values{"domain_id": {d.ID}, "code": {mailed}})
	if !strings.Contains(res.Header.Get("Location"), "notice=domain_verified") {
		t.Fatalf("verifying: %s", res.Header.Get("Location"))
	}
	if ds, _ := e.p.ListDomains(e.ctx, o.ID); len(ds) != 1 || !ds[0].Verified {
		t.Errorf("the domain after the right code: %+v", ds)
	}
}
