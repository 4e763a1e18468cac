package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/orgs"
	"github.com/latchauth/latch/storage"
)

// orgsExample sets up organizations on db, makes one for adaID, invites
// Grace and protects a page by permission: the README's blocks, which
// orgs_test.go runs.
func orgsExample(ctx context.Context, db storage.Store, adaID string) (*latch.Auth, http.Handler, error) {
	// readme:begin
	o := orgs.New(orgs.Config{
		MaxMemberships: 25, // seats of each new organization; 0 for no limit
		Roles: []orgs.RoleParams{{Key: "org:billing", Name: "Billing",
			Permissions: []string{"org:invoices:read", orgs.PermBillingManage}}},
	})
	auth, err := latch.New(latch.Config{Store: db, Plugins: []latch.Plugin{o}})
	// readme:end
	if err != nil {
		return nil, nil, err
	}
	if adaID == "" {
		u, err := auth.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
		if err != nil {
			return nil, nil, err
		}
		adaID = u.ID
	}
	// readme:begin
	org, err := o.CreateOrganization(ctx, adaID, orgs.CreateParams{Name: "Acme"}) // Ada is its org:admin
	if err != nil {
		return nil, nil, err
	}
	_, err = o.CreateInvitation(ctx, org.ID, adaID, orgs.InviteParams{
		EmailAddress: "grace@example.com",
		Role:         "org:billing",
		RedirectURL:  "/invoices",
	})
	// readme:end
	if err != nil {
		return nil, nil, err
	}
	// readme:begin
	mux := http.NewServeMux()
	mux.Handle("/", auth.Handler()) // the JSON API and the /organizations pages
	mux.Handle("GET /invoices", auth.Protect(latch.Permission("org:invoices:read"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			s := latch.SessionFromContext(r.Context())
			fmt.Fprintf(w, "Invoices of %s", s.Claims.OrgSlug)
		})))
	// readme:end
	return auth, auth.Middleware(mux), nil
}
