package orgs

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// TestBrowserOrganizations drives the hosted pages in Chromium, two
// browsers at once, with their plain forms: Ada creates an organization
// and invites Grace by email; Grace opens the mailed link in her browser
// and accepts; a page protected by latch.Permission answers 403, then 200
// once Ada changes Grace's role; Grace switches to her personal account
// and back; a domain suggestion becomes Sam's request, which Ada accepts.
// It runs when LATCH_TEST_CHROME names a Chromium binary.
func TestBrowserOrganizations(t *testing.T) {
	chrome := os.Getenv("LATCH_TEST_CHROME")
	if chrome == "" {
		t.Skip("LATCH_TEST_CHROME is not set; set it to a Chromium binary to run the pages in a browser")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	e := newEnv(t, nil, Config{Roles: []RoleParams{{Key: "org:accountant", Name: "Accountant",
		Permissions: []string{"org:invoices:read", PermMembershipsRead, PermDomainsRead}}}},
		func(c *latch.Config) { c.BaseURL = origin })
	users := map[string]string{}
	for _, n := range []string{"ada@acme.example", "grace@example.com", "sam@acme.example"} {
		users[strings.Split(n, "@")[0]] = e.user(t, n)
	}
	mux := http.NewServeMux()
	mux.Handle("/", e.App)
	mux.HandleFunc("GET /t/login", func(w http.ResponseWriter, r *http.Request) {
		if _, err := e.CreateSession(r.Context(), w, r, users[r.URL.Query().Get("user")], latch.SessionParams{AMR: []string{"pwd"}}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.Redirect(w, r, r.URL.Query().Get("next"), http.StatusSeeOther)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	browser := func() context.Context {
		opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(chrome), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true), chromedp.NoFirstRun,
			chromedp.UserDataDir(t.TempDir())}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
		t.Cleanup(cancelAlloc)
		tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
		t.Cleanup(cancelTab)
		return tab
	}
	ada, grace := browser(), browser()
	run := func(tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab, actions...); err != nil {
			loc, _ := chromedp.Run(tab, chromedp.Location())
			body, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v (at %s)\n%s", what, err, loc, body)
		}
	}
	status := func(tab context.Context, path string) int64 {
		t.Helper()
		res, err := chromedp.Run(tab, chromedp.NavigateResponse(origin+path))
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return res.Status
	}
	// eventually waits for what a form's post does (a click returns before
	// the browser's navigation ends).
	eventually := func(what string, done func() bool) {
		t.Helper()
		for start := time.Now(); !done(); time.Sleep(20 * time.Millisecond) {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("%s: not done after 10s", what)
			}
		}
	}
	login := func(tab context.Context, user, next string) {
		t.Helper()
		run(tab, "signing in "+user, chromedp.Navigate(origin+"/t/login?user="+user+"&next="+url.QueryEscape(next)))
	}

	// Ada creates the organization, then invites Grace on the next step.
	login(ada, "ada", "/organizations/new")
	run(ada, "create", chromedp.WaitVisible(chromedp.CSS(`form[action="/organizations/new"] input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action="/organizations/new"] input[name="name"]`), "Acme Inc"),
		chromedp.Click(chromedp.CSS(`form[action="/organizations/new"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/organizations/new/invite"] textarea[name="email_address"]`)))
	o, err := e.p.GetOrganizationBySlug(e.ctx, "acme-inc")
	if err != nil {
		t.Fatal(err)
	}
	run(ada, "invite", chromedp.SendKeys(chromedp.CSS(`form[action="/organizations/new/invite"] textarea[name="email_address"]`), "grace@example.com"),
		chromedp.Click(chromedp.CSS(`form[action="/organizations/new/invite"] button[type="submit"]`)),
		// The invite step answers with the list of who was invited: the
		// form alone is already on the page before the post.
		chromedp.WaitVisible(chromedp.CSS(`.latch-org-invited`)))
	e.Flush()
	link, err := url.Parse(e.LastLink(t, "grace@example.com"))
	if err != nil {
		t.Fatal(err)
	}

	// Grace opens the mailed link in her own browser and accepts.
	login(grace, "grace", link.RequestURI())
	run(grace, "accept", chromedp.WaitVisible(chromedp.CSS(`form[action="/organizations/invitations/accept"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/organizations/invitations/accept"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/organizations/active"]`)))
	if m, err := e.p.GetMembership(e.ctx, o.ID, users["grace"]); err != nil || m.Role != RoleMember {
		t.Fatalf("Grace's membership: %v %v", m, err)
	}

	// The page protected by latch.Permission: 403, then 200 after Ada
	// gives Grace a role that holds it.
	if got := status(grace, "/test/invoices"); got != http.StatusForbidden {
		t.Errorf("the invoices page as a member: %d", got)
	}
	row := fmt.Sprintf(`#latch-org-role-%s`, users["grace"])
	run(ada, "change the role", chromedp.Navigate(origin+"/organizations/"+o.ID), chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.SetValue(chromedp.CSS(row), "org:accountant"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`form[action$="action=role"]:has(input[value="%s"]) button`, users["grace"]))),
		chromedp.WaitVisible(chromedp.CSS(row)))
	eventually("the role change", func() bool {
		m, err := e.p.GetMembership(e.ctx, o.ID, users["grace"])
		return err == nil && m.Role == "org:accountant"
	})
	if got := status(grace, "/test/invoices"); got != http.StatusOK {
		t.Errorf("the invoices page as an accountant: %d", got)
	}

	// Grace switches to her personal account and back.
	switchTo := func(orgID string) {
		t.Helper()
		sel := fmt.Sprintf(`form[action="/organizations/active"]:has(input[name="organization_id"][value="%s"]) button`, orgID)
		run(grace, "switch to "+orgID, chromedp.Navigate(origin+"/organizations"), chromedp.WaitVisible(chromedp.CSS(sel)))
		// Wait for the page the post loads, so that the next navigation
		// does not abort it.
		if _, err := chromedp.RunResponse(grace, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatalf("switch to %s: %v", orgID, err)
		}
		eventually("the switch to "+orgID, func() bool {
			ss, _, err := e.Store.ListSessions(e.ctx, storage.SessionFilter{UserID: users["grace"]}, pageAll)
			return err == nil && len(ss) == 1 && ss[0].ActiveOrganizationID == orgID
		})
	}
	switchTo("")
	if got := status(grace, "/test/invoices"); got != http.StatusForbidden {
		t.Errorf("the invoices page from the personal account: %d", got)
	}
	switchTo(o.ID)
	if got := status(grace, "/test/invoices"); got != http.StatusOK {
		t.Errorf("the invoices page back in the organization: %d", got)
	}

	// A verified domain suggests the organization to Sam, who asks to
	// join; Ada accepts.
	run(ada, "add the domain", chromedp.Navigate(origin+"/organizations/"+o.ID),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="action=add_domain"] input[name="name"]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action$="action=add_domain"] input[name="name"]`), "acme.example"),
		chromedp.Click(chromedp.CSS(`form[action$="action=add_domain"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="action=domain_mode"] select`)),
		chromedp.SetValue(chromedp.CSS(`form[action$="action=domain_mode"] select`), EnrollAutoSuggestion),
		chromedp.Click(chromedp.CSS(`form[action$="action=domain_mode"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="action=domain_mode"] select`)))
	eventually("the enrollment mode", func() bool {
		ds, err := e.p.ListDomains(e.ctx, o.ID)
		return err == nil && len(ds) == 1 && ds[0].Verified && ds[0].EnrollmentMode == EnrollAutoSuggestion
	})
	login(grace, "sam", "/organizations")
	run(grace, "ask to join", chromedp.WaitVisible(chromedp.CSS(`form[action="/organizations/suggestions/request"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/organizations/suggestions/request"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`body`)))
	eventually("the request", func() bool {
		reqs, _, err := e.p.ListRequests(e.ctx, o.ID, "pending", pageAll)
		return err == nil && len(reqs) == 1
	})
	run(ada, "accept the request", chromedp.Navigate(origin+"/organizations/"+o.ID),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="action=accept_request"] button`)),
		chromedp.Click(chromedp.CSS(`form[action$="action=accept_request"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="action=update"]`)))
	eventually("Sam's membership", func() bool {
		m, err := e.p.GetMembership(e.ctx, o.ID, users["sam"])
		return err == nil && m.Role == RoleMember
	})
}
