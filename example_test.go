package latch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage/memstore"
	"github.com/latchauth/latch/token"
)

// ExampleNew makes a Latch and manages a user through the Go API. A real
// app passes its database (sqlitestore, pgstore) and secrets from its
// secret manager.
func ExampleNew() {
	auth, err := latch.New(latch.Config{
		Store:   memstore.New(),
		BaseURL: "https://app.example", // every emailed link is built from this
		Secrets: [][]byte{[]byte("example secret, not for production")},
	})
	if err != nil {
		panic(err)
	}
	defer auth.Close()
	u, err := auth.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(u.ID, "user_"), u.EmailAddresses[0].Value)
	// Output: true ada@example.com
}

// exampleAuth is the Latch of ExampleNew, for the examples that follow it.
func exampleAuth() *latch.Auth {
	auth, err := latch.New(latch.Config{Store: memstore.New(), BaseURL: "https://app.example",
		Secrets: [][]byte{[]byte("example secret, not for production")}})
	if err != nil {
		panic(err)
	}
	return auth
}

// ExampleAuth_Handler mounts Latch's pages and JSON API next to the app's
// own routes: the sign-in page is served, and an account page sends a
// signed-out visitor to it.
func ExampleAuth_Handler() {
	auth := exampleAuth()
	defer auth.Close()
	mux := http.NewServeMux()
	mux.Handle("/", auth.Handler()) // /sign-up, /sign-in, /user, /v1/…
	app := auth.Middleware(mux)

	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/sign-in", nil))
	fmt.Println("/sign-in:", w.Code, w.Header().Get("Content-Type"))

	w = httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/user", nil))
	fmt.Println("/user:", w.Code, "to", w.Header().Get("Location"))
	// Output:
	// /sign-in: 200 text/html; charset=utf-8
	// /user: 303 to /sign-in?redirect_url=%2Fuser
}

// ExampleAuth_Middleware puts each request's session into its context: a
// request with a session token (the cookie a sign-in set, or a bearer
// token) is signed in, one without is passed on signed out.
func ExampleAuth_Middleware() {
	auth := exampleAuth()
	defer auth.Close()
	ctx := context.Background()
	whoami := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := latch.SessionFromContext(r.Context()); s != nil {
			fmt.Fprintln(w, "signed in:", strings.HasPrefix(s.UserID, "user_"))
			return
		}
		fmt.Fprintln(w, "signed out")
	}))

	w := httptest.NewRecorder()
	whoami.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Print(w.Body.String())

	// A sign-in flow ends in CreateSession; a native client keeps the token.
	u, err := auth.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		panic(err)
	}
	s, err := auth.CreateSession(ctx, httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil), u.ID, latch.SessionParams{})
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+s.Token)
	w = httptest.NewRecorder()
	whoami.ServeHTTP(w, r)
	fmt.Print(w.Body.String())
	// Output:
	// signed out
	// signed in: true
}

// ExampleHas decides inside a handler from the session token's claims
// alone, with no I/O. latchtest.WithClaims gives a unit test of such a
// handler the context Middleware would have made.
func ExampleHas() {
	invoices := func(w http.ResponseWriter, r *http.Request) {
		if !latch.Has(r.Context(), latch.Permission("org:invoices:read")) {
			http.Error(w, "not yours to read", http.StatusForbidden)
			return
		}
		fmt.Fprintln(w, "the invoices of", latch.SessionFromContext(r.Context()).Claims.OrgSlug)
	}

	for _, c := range []token.Claims{
		{Subject: "user_1", OrgSlug: "acme", OrgPermissions: []string{"org:invoices:read"}},
		{Subject: "user_2", OrgSlug: "acme"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/invoices", nil)
		w := httptest.NewRecorder()
		invoices(w, r.WithContext(latchtest.WithClaims(r.Context(), c)))
		fmt.Print(c.Subject, ": ", w.Code, " ", w.Body.String())
	}
	// Output:
	// user_1: 200 the invoices of acme
	// user_2: 403 not yours to read
}

// ExampleAuth_Protect guards a route with checks: a signed-out caller of
// the API gets 401, a signed-in one without the role 403, an admin the
// page.
func ExampleAuth_Protect() {
	auth := exampleAuth()
	defer auth.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /admin", auth.Protect(latch.Role("org:admin"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "the admin page")
	})))
	app := auth.Middleware(mux)

	for _, c := range []*token.Claims{nil, {Subject: "user_1", OrgRole: "org:member"}, {Subject: "user_2", OrgRole: "org:admin"}} {
		r := httptest.NewRequest(http.MethodGet, "/admin", nil)
		r.Header.Set("Accept", "application/json")
		who := "signed out"
		if c != nil {
			r, who = r.WithContext(latchtest.WithClaims(r.Context(), *c)), c.OrgRole
		}
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		fmt.Println(who+":", w.Code)
	}
	// Output:
	// signed out: 401
	// org:member: 403
	// org:admin: 200
}
