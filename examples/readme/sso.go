package main

import (
	"net/http"
	"os"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/sso"
	"github.com/latchauth/latch/storage"
)

// socialSignIn is the README's setup of a preset and a generic provider.
func socialSignIn(db storage.Store) (*latch.Auth, *sso.Plugin, error) {
	// readme:begin
	github := sso.GitHub(os.Getenv("GITHUB_CLIENT_ID"), os.Getenv("GITHUB_CLIENT_SECRET"))
	corp := sso.OIDC("corp", "Corp", "https://login.corp.example", os.Getenv("CORP_CLIENT_ID"), os.Getenv("CORP_CLIENT_SECRET"))
	corp.VerifiesEmail = true // only for a provider that checks its users' addresses
	social := sso.New(sso.Config{Providers: []sso.Provider{github, corp}})
	auth, err := latch.New(latch.Config{
		Store:   db,
		BaseURL: "https://app.example.com",
		Plugins: []latch.Plugin{social},
	})
	// readme:end
	return auth, social, err
}

// repos calls GitHub as the signed-in user.
func repos(social *sso.Plugin, r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	// readme:begin
	userID := latch.SessionFromContext(ctx).UserID
	tok, err := social.AccessToken(ctx, userID, "oauth_github") // refreshed when expired
	if err != nil {
		return nil, err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://api.github.com/user/repos", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return http.DefaultClient.Do(req)
	// readme:end
}
