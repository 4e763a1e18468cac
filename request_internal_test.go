package latch

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/latchauth/latch/storage/memstore"
)

// A sign-in runs to completion without an http.ResponseWriter: the step
// records the cookies it would set as effects, and the edge sets them.
// This is what lets a provider's callback, a CLI or a Go client drive a
// flow.
func TestSignInRunsWithoutAResponseWriter(t *testing.T) {
	a, err := New(Config{Store: memstore.New(), BaseURL: "https://app.example", Secrets: [][]byte{[]byte("a test secret, not for production")},
		Protection: ProtectionConfig{Bot: BotConfig{Disabled: true}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := a.CreateUser(ctx, CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.setPassword(ctx, u.ID, "correct horse battery staple", "en"); err != nil {
		t.Fatal(err)
	}
	rq := a.newFlowReq(httptest.NewRequest("POST", "/v1/client/sign_ins", nil))
	si, err := a.startSignIn(ctx, rq, SignInParams{Identifier: "ada@example.com", Password: "correct horse battery staple"})
	if err != nil || si.Status != SignInComplete {
		t.Fatalf("sign-in: %+v %v", si, err)
	}
	if rq.fx.client == nil || rq.fx.sessionToken == "" || rq.fx.rememberUser == "" {
		t.Fatalf("effects: %+v", rq.fx)
	}
	rec := httptest.NewRecorder()
	if err := a.apply(rec, rq); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range rec.Result().Cookies() {
		names[c.Name] = true
	}
	if !names[a.cookies.clientName] || !names[a.cookies.sessionName] || !names[a.deviceJar.name] {
		t.Fatalf("cookies set by the edge: %v", names)
	}
	if rq.fx.hasAny {
		t.Fatal("effects applied twice")
	}
}
