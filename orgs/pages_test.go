package orgs

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func pageBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHostedPagesEndToEnd walks the hosted pages with plain forms (no
// JavaScript): create an organization, invite by email, sign up through
// the mailed link in a second browser, switch organizations, and a page
// protected by latch.Permission answers 403 and then 200 after a role
// change; a domain suggestion becomes a request, which is accepted.
func TestHostedPagesEndToEnd(t *testing.T) {
	e := newEnv(t, nil, Config{Roles: []RoleParams{{Key: "org:accountant", Name: "Accountant",
		Permissions: []string{"org:invoices:read", PermMembershipsRead, PermDomainsRead}}}})
	ada := e.user(t, "ada@acme.example")
	ab := e.signIn(t, ada)

	// Create.
	res := ab.Post("/organizations/new", url.Values{"name": {"Acme Inc"}, "slug": {""}})
	if res.StatusCode != http.StatusOK || !strings.Contains(pageBody(t, res), "Acme Inc") {
		t.Fatalf("creating: %d", res.StatusCode)
	}
	if c := claims(t, ab); c["org_slug"] != "acme-inc" || c["org_role"] != RoleAdmin {
		t.Fatalf("the new organization is not active: %v", c)
	}
	orgID := claims(t, ab)["org_id"].(string)

	// Invite by email on the invite step.
	res = ab.Post("/organizations/new/invite", url.Values{"organization_id": {orgID}, "email_address": {"grace@example.com, lin@example.com"}, "role": {RoleMember}})
	if page := pageBody(t, res); res.StatusCode != http.StatusOK || !strings.Contains(page, "grace@example.com") {
		t.Fatalf("inviting: %d %s", res.StatusCode, page)
	}

	// Grace opens the mailed link in another browser, signed out: it
	// sends her to sign up with the invitation.
	e.Flush()
	link, _ := url.Parse(e.LastLink(t, "grace@example.com"))
	gb := e.NewBrowser()
	res = gb.Get(link.RequestURI())
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/sign-up?ticket=") {
		t.Fatalf("the invitation link signed out: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	code, out := gb.JSON(http.MethodPost, "/v1/client/sign_ups", map[string]any{"ticket": link.Query().Get("ticket"), "password": goodPassword})
	if code != http.StatusOK || out["status"] != "complete" {
		t.Fatalf("signing up through the invitation: %d %v", code, out)
	}
	grace := out["created_user_id"].(string)

	// Lin already has an account: signed in, the link shows the
	// invitation, and accepting it makes the organization active.
	lin := e.user(t, "lin@example.com")
	lb := e.signIn(t, lin)
	link, _ = url.Parse(e.LastLink(t, "lin@example.com"))
	res = lb.Get(link.RequestURI())
	if page := pageBody(t, res); res.StatusCode != http.StatusOK || !strings.Contains(page, "Acme Inc") {
		t.Fatalf("the invitation page: %d", res.StatusCode)
	}
	invs, _ := e.p.ListUserInvitations(e.ctx, lin)
	if len(invs) != 1 {
		t.Fatalf("lin's invitations: %v", invs)
	}
	res = lb.Post("/organizations/invitations/accept", url.Values{"invitation_id": {invs[0].ID}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "notice=joined") {
		t.Fatalf("accepting: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if c := claims(t, lb); c["org_id"] != orgID {
		t.Errorf("after accepting, lin's token: %v", c)
	}

	// Grace switches to the organization through the switcher's form.
	gbb := e.signIn(t, grace)
	res = gbb.Post("/organizations/active", url.Values{"organization_id": {orgID}, "redirect_url": {"/test/invoices"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/test/invoices" {
		t.Fatalf("switching: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// The page protected by latch.Permission: 403, then 200 after a role
	// change through the profile page's form.
	if res := gbb.Get("/test/invoices"); res.StatusCode != http.StatusForbidden {
		t.Errorf("the invoices page as a member: %d", res.StatusCode)
	}
	res = ab.Post("/organizations/"+orgID+"/do?action=role", url.Values{"user_id": {grace}, "role": {"org:accountant"}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "notice=role") {
		t.Fatalf("changing the role: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := gbb.Get("/test/invoices"); res.StatusCode != http.StatusOK {
		t.Errorf("the invoices page as an accountant: %d", res.StatusCode)
	}
	// A member cannot use the admin's forms.
	res = gbb.Post("/organizations/"+orgID+"/do?action=role", url.Values{"user_id": {grace}, "role": {RoleAdmin}})
	if !strings.Contains(res.Header.Get("Location"), "error=forbidden") {
		t.Errorf("a member posts the role form: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	// Notices are in the reader's language, and only the known ones show.
	req := httptest.NewRequest(http.MethodGet, "/organizations/"+orgID+"?notice=role", nil)
	req.Header.Set("Accept-Language", "fr")
	if page := pageBody(t, ab.Do(req)); !strings.Contains(page, "Rôle modifié.") {
		t.Error("no French notice on the profile page")
	}
	if page := pageBody(t, ab.Get("/organizations/"+orgID+"?notice=%3Cb%3Ehacked")); strings.Contains(page, "hacked") {
		t.Error("an unknown notice was shown")
	}

	// The profile page and the list render.
	for _, path := range []string{"/organizations/" + orgID, "/organizations"} {
		if res := ab.Get(path); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.StatusCode)
		}
	}

	// A verified domain in suggestion mode: Sam is suggested, asks, and the
	// admin accepts on the profile page.
	res = ab.Post("/organizations/"+orgID+"/do?action=add_domain", url.Values{"name": {"acme.example"}})
	if !strings.Contains(res.Header.Get("Location"), "notice=domain_added") {
		t.Fatalf("adding the domain: %s", res.Header.Get("Location"))
	}
	ds, _ := e.p.ListDomains(e.ctx, orgID)
	if len(ds) != 1 || !ds[0].Verified {
		t.Fatalf("the admin's own address verifies the domain: %+v", ds)
	}
	ab.Post("/organizations/"+orgID+"/do?action=domain_mode", url.Values{"domain_id": {ds[0].ID}, "enrollment_mode": {EnrollAutoSuggestion}})
	sam := e.user(t, "sam@acme.example")
	sb := e.signIn(t, sam)
	if page := pageBody(t, sb.Get("/organizations")); !strings.Contains(page, `action="/organizations/suggestions/request"`) {
		t.Errorf("the suggestion is not on Sam's list: %s", page)
	}
	res = sb.Post("/organizations/suggestions/request", url.Values{"suggestion_id": {orgID}})
	if !strings.Contains(res.Header.Get("Location"), "notice=requested") {
		t.Fatalf("asking to join: %s", res.Header.Get("Location"))
	}
	reqs, _, _ := e.p.ListRequests(e.ctx, orgID, "pending", pageAll)
	if len(reqs) != 1 {
		t.Fatalf("requests: %v", reqs)
	}
	res = ab.Post("/organizations/"+orgID+"/do?action=accept_request", url.Values{"request_id": {reqs[0].ID}})
	if !strings.Contains(res.Header.Get("Location"), "notice=accepted") {
		t.Fatalf("accepting the request: %s", res.Header.Get("Location"))
	}
	if m, err := e.p.GetMembership(e.ctx, orgID, sam); err != nil || m.Role != RoleMember {
		t.Errorf("Sam's membership: %v %v", m, err)
	}
	e.Flush()
	if m := e.Mail.Last(); !strings.Contains(m.Text, "request to join Acme Inc was accepted") {
		t.Errorf("the acceptance mail: %q", m.Text)
	}
}
