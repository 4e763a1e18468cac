package latch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/memstore"
)

// welcome is a whole plugin: an event in the transaction that creates each
// user, a durable consumer of it, a claim in every session token, a route.
type welcome struct{ sent chan string }

func (welcome) Name() string { return "welcome" }

func (p welcome) Register(h *latch.Host) error {
	if err := h.DeclareEvents(latch.EventType{Name: "welcome.queued", Description: "A new user is to be welcomed."}); err != nil {
		return err
	}
	h.OnSignUp(func(ctx context.Context, e *latch.SignUpHook) error { // commits with the user, or neither does
		return e.Tx.Emit(ctx, "welcome.queued", e.User.ID, map[string]string{"user_id": e.User.ID})
	})
	err := h.Consume("welcome-mailer", func(ctx context.Context, e latch.Event) error {
		p.sent <- e.Type // a durable cursor: retried until nil, across restarts and instances
		return nil
	}, "welcome.queued")
	if err != nil {
		return err
	}
	err = h.AddClaims(latch.ClaimsContributor{Claims: []string{"tier"}, Contribute: func(_ context.Context, c *latch.TokenClaims) error {
		c.Set("tier", "free") // runs at each mint, never when a token is checked
		return nil
	}})
	if err != nil {
		return err
	}
	return h.Handle(latch.Route{Method: http.MethodGet, Pattern: "/v1/welcome", Handler: func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "free tier:", latch.Has(r.Context(), latch.Claim("tier", "free"))) // signed in: the default Access
	}})
}

// Example_plugin writes a plugin with the Host alone: the kernel needs no
// change to gain a sign-up step, a durable event consumer, a session-token
// claim and a route.
func Example_plugin() {
	p := welcome{sent: make(chan string, 1)}
	auth, err := latch.New(latch.Config{Store: memstore.New(), Secrets: [][]byte{[]byte("example secret, not for production")},
		Plugins: []latch.Plugin{p}})
	if err != nil {
		panic(err)
	}
	defer auth.Close()
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		panic(err)
	}
	fmt.Println("consumed:", <-p.sent)

	signIn := httptest.NewRecorder()
	if _, err := auth.CreateSession(ctx, signIn, httptest.NewRequest(http.MethodPost, "/sign-in", nil), u.ID, latch.SessionParams{}); err != nil {
		panic(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/v1/welcome", nil)
	for _, c := range signIn.Result().Cookies() {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	auth.Handler().ServeHTTP(w, r)
	fmt.Print(w.Body.String())
	// Output:
	// consumed: welcome.queued
	// free tier: true
}
