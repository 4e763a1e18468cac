package main

import (
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/memstore"
)

// The README's social sign-in setup offers both providers (once the Auth
// has the secrets every non-local BaseURL needs).
func TestSocialSignInSetup(t *testing.T) {
	t.Setenv("GITHUB_CLIENT_ID", "id")
	t.Setenv("GITHUB_CLIENT_SECRET", "secret")
	t.Setenv("CORP_CLIENT_ID", "id")
	t.Setenv("CORP_CLIENT_SECRET", "secret")
	db := memstore.New()
	_, social, err := socialSignIn(db)
	if err == nil || !strings.Contains(err.Error(), "Secrets") {
		t.Fatalf("want the missing-secrets error, got %v", err)
	}
	auth, err := latch.New(latch.Config{Store: db, BaseURL: "https://app.example.com", Secrets: [][]byte{[]byte("a test secret of enough length!!")},
		Plugins: []latch.Plugin{social}})
	if err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	if got := social.Providers(); len(got) != 2 || got[0] != "oauth_github" || got[1] != "oauth_custom_corp" {
		t.Fatalf("providers %v", got)
	}
	_ = repos
}
