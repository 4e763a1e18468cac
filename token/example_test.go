package token_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/latchauth/latch/token"
)

// A service that is not the Latch instance verifies session tokens against the instance's
// JWKS URL. Here an httptest server plays the Latch instance.
func Example() {
	// --- the Latch instance (the kernel does this) ---
	key, err := token.GenerateKey(token.EdDSA, rand.Reader, "key-2025-01")
	if err != nil {
		panic(err)
	}
	keys, err := token.NewKeySet(token.Keys{Current: key})
	if err != nil {
		panic(err)
	}
	latch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jwks, _ := keys.JWKS()
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	defer latch.Close()
	now := time.Now()
	session, _ := keys.Sign(&token.Claims{
		Subject:         "user_2abc",
		SessionID:       "sess_2xyz",
		Issuer:          "https://app.example.com",
		AuthorizedParty: "https://app.example.com",
		IssuedAt:        now,
		ExpiresAt:       now.Add(60 * time.Second),
		OrgID:           "org_2def",
		OrgRole:         "org:admin",
		OrgPermissions:  []string{"org:invoices:read"},
		Plan:            "pro",
	})

	// --- the service: one Verifier for the life of the process ---
	verifier, err := token.NewRemoteVerifier(latch.URL+"/.well-known/jwks.json", token.Config{
		Issuer:            "https://app.example.com",
		AuthorizedParties: []string{"https://app.example.com"},
	})
	if err != nil {
		panic(err)
	}
	claims, err := verifier.Verify(session) // fetches the JWKS on first use
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	fmt.Println(claims.Subject, claims.OrgID, claims.HasPermission("org:invoices:read"), claims.HasPlan("enterprise"))

	_, err = verifier.Verify(session[:len(session)-4] + "AAAA")
	fmt.Println(errors.Is(err, token.ErrSignature))
	// Output:
	// user_2abc org_2def true false
	// true
}
