package latchtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// RevocationLatency checks a strict-mode broadcaster end to end, for
// adapter tests: a and b are two instances of one application (one store,
// one secret, each with its own Broadcaster on the shared medium). It signs
// a user in on a, checks that b accepts the session token, revokes the
// session on a, and returns how long b took to refuse the token. It fails
// the test if b still accepts it after deadline.
func RevocationLatency(t testing.TB, a, b *latch.Auth, deadline time.Duration) time.Duration {
	t.Helper()
	ctx := context.Background()
	<-a.Ready()
	<-b.Ready()
	u, err := a.CreateUser(ctx, latch.CreateUserParams{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.CreateSession(ctx, httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil), u.ID, latch.SessionParams{})
	if err != nil {
		t.Fatal(err)
	}
	signedIn := func(x *latch.Auth) bool {
		var got *latch.Session
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+s.Token)
		x.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = latch.SessionFromContext(r.Context()) })).
			ServeHTTP(httptest.NewRecorder(), r)
		return got != nil
	}
	if !signedIn(b) {
		t.Fatal("latchtest: the second instance does not accept a valid session token")
	}
	start := time.Now()
	if err := a.RevokeSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if signedIn(a) {
		t.Fatal("latchtest: the revoking instance still accepts the revoked session")
	}
	for signedIn(b) {
		if time.Since(start) > deadline {
			t.Fatalf("latchtest: the second instance still accepts a revoked session after %v", deadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}
