package sso

import (
	"strings"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// The presets. Each is the provider's endpoints, the scopes that give a
// name and an email address, a mapper of its user document, and its rule
// for a verified email address, which decides whether a sign-in may link
// to an existing account (see the package documentation for the table).
// Every field may be changed on the returned Provider (more Scopes,
// AuthParams, a test issuer).

// Google is Sign in with Google (OpenID Connect). Verified email:
// the ID token's email_verified.
func Google(clientID, clientSecret string) Provider {
	return oidcPreset("google", "Google", "https://accounts.google.com", clientID, clientSecret, true, oauth2.AuthStyleInParams)
}

// GitHub is OAuth 2.0 with the REST API. Verified email: the primary
// address of /user/emails when it is verified; any other address is
// unverified.
func GitHub(clientID, clientSecret string) Provider {
	return Provider{preset: "github", Key: "github", Label: "GitHub", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://github.com/login/oauth/authorize", TokenURL: "https://github.com/login/oauth/access_token",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"read:user", "user:email"}, IdentityIssuer: "https://github.com",
		requests: []request{{url: "https://api.github.com/user", header: githubHeader}, {url: "https://api.github.com/user/emails", header: githubHeader}},
		mapper:   mapGitHub, UserInfoURL: "https://api.github.com/user"}
}

var githubHeader = map[string]string{"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}

func mapGitHub(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(docs[0])
	id := &latch.Identity{Issuer: "https://github.com", Subject: str(u["id"]), Username: str(u["login"]), ImageURL: str(u["avatar_url"]),
		EmailAddress: str(u["email"])}
	id.FirstName, id.LastName = splitName(str(u["name"]))
	for _, e := range arr(docs[1]) {
		e := obj(e)
		if truth(e["primary"]) {
			id.EmailAddress, id.EmailVerified = str(e["email"]), truth(e["verified"])
		}
	}
	return needSubject(id)
}

// Microsoft is the Microsoft identity platform (OpenID Connect), for
// tenant: "common" (work, school and personal accounts, the default when
// ""), "organizations", "consumers", or a tenant's ID. Accounts are keyed
// by the tenant and the object ID: the identity's issuer is the tenant's
// own, checked against the token's tid, and its subject the oid. Verified
// email: only when the token carries xms_edov (the tenant verified the
// address's domain) true; request it as an optional claim.
func Microsoft(clientID, clientSecret, tenant string) Provider {
	switch tenant {
	case "":
		tenant = "common"
	case "consumers":
		// Personal accounts: one tenant, whose discovery names it.
		tenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
	}
	p := Provider{preset: "microsoft", Key: "microsoft", Label: "Microsoft", ClientID: clientID, ClientSecret: clientSecret,
		Issuer: "https://login.microsoftonline.com/" + tenant + "/v2.0", AuthStyle: oauth2.AuthStyleInParams,
		Scopes: []string{"openid", "email", "profile"}, mapper: mapMicrosoft}
	switch tenant {
	case "common", "organizations":
		p.TenantIssuer = "https://login.microsoftonline.com/{tenantid}/v2.0"
	}
	return p
}

func mapMicrosoft(_ *oauth2.Token, c map[string]any, _ []any) (*latch.Identity, error) {
	id := &latch.Identity{Issuer: str(c["iss"]), Subject: or(str(c["oid"]), str(c["sub"])), EmailAddress: str(c["email"]),
		EmailVerified: truth(c["xms_edov"]) && str(c["email"]) != "", Username: str(c["preferred_username"]),
		FirstName: str(c["given_name"]), LastName: str(c["family_name"])}
	if id.FirstName == "" && id.LastName == "" {
		id.FirstName, id.LastName = splitName(str(c["name"]))
	}
	return needSubject(id)
}

// Facebook is Facebook Login (OAuth 2.0, Graph API). Verified email:
// never (Facebook does not say whether it verified an address).
func Facebook(clientID, clientSecret string) Provider {
	return Provider{preset: "facebook", Key: "facebook", Label: "Facebook", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://www.facebook.com/v21.0/dialog/oauth", TokenURL: "https://graph.facebook.com/v21.0/oauth/access_token",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"email", "public_profile"}, IdentityIssuer: "https://www.facebook.com",
		requests: []request{{url: "https://graph.facebook.com/v21.0/me?fields=id,name,first_name,last_name,email,picture"}}, mapper: mapFacebook,
		UserInfoURL: "https://graph.facebook.com/v21.0/me"}
}

func mapFacebook(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(docs[0])
	return needSubject(&latch.Identity{Issuer: "https://www.facebook.com", Subject: str(u["id"]), EmailAddress: str(u["email"]),
		FirstName: str(u["first_name"]), LastName: str(u["last_name"]), ImageURL: str(lookup(u, "picture.data.url"))})
}

// Discord is OAuth 2.0 with the users/@me API. Verified email: the
// user's verified field.
func Discord(clientID, clientSecret string) Provider {
	return Provider{preset: "discord", Key: "discord", Label: "Discord", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://discord.com/oauth2/authorize", TokenURL: "https://discord.com/api/oauth2/token",
		AuthStyle: oauth2.AuthStyleInHeader, Scopes: []string{"identify", "email"}, IdentityIssuer: "https://discord.com",
		requests: []request{{url: "https://discord.com/api/users/@me"}}, mapper: mapDiscord, UserInfoURL: "https://discord.com/api/users/@me"}
}

func mapDiscord(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(docs[0])
	id := &latch.Identity{Issuer: "https://discord.com", Subject: str(u["id"]), Username: str(u["username"]), EmailAddress: str(u["email"])}
	id.EmailVerified = id.EmailAddress != "" && truth(u["verified"])
	id.FirstName, id.LastName = splitName(str(u["global_name"]))
	if a := str(u["avatar"]); a != "" && id.Subject != "" {
		id.ImageURL = "https://cdn.discordapp.com/avatars/" + id.Subject + "/" + a + ".png"
	}
	return needSubject(id)
}

// GitLab is GitLab.com's OpenID Connect. Verified email: the ID token's
// email_verified.
func GitLab(clientID, clientSecret string) Provider {
	return oidcPreset("gitlab", "GitLab", "https://gitlab.com", clientID, clientSecret, true, oauth2.AuthStyleInParams)
}

// LinkedIn is Sign In with LinkedIn using OpenID Connect. Verified email:
// the email_verified claim.
func LinkedIn(clientID, clientSecret string) Provider {
	p := oidcPreset("linkedin_oidc", "LinkedIn", "https://www.linkedin.com/oauth", clientID, clientSecret, true, oauth2.AuthStyleInParams)
	return p
}

// Slack is Sign in with Slack (OpenID Connect). Verified email: the
// email_verified claim.
func Slack(clientID, clientSecret string) Provider {
	return oidcPreset("slack", "Slack", "https://slack.com", clientID, clientSecret, true, oauth2.AuthStyleInParams)
}

// X is X (Twitter) OAuth 2.0 with the users/me API. Verified email:
// never; the API gives no address by default.
func X(clientID, clientSecret string) Provider {
	return Provider{preset: "x", Key: "x", Label: "X", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://x.com/i/oauth2/authorize", TokenURL: "https://api.x.com/2/oauth2/token",
		AuthStyle: oauth2.AuthStyleInHeader, Scopes: []string{"users.read", "tweet.read"}, IdentityIssuer: "https://x.com",
		requests: []request{{url: "https://api.x.com/2/users/me?user.fields=profile_image_url"}}, mapper: mapX, UserInfoURL: "https://api.x.com/2/users/me"}
}

func mapX(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(obj(docs[0])["data"])
	id := &latch.Identity{Issuer: "https://x.com", Subject: str(u["id"]), Username: str(u["username"]), ImageURL: str(u["profile_image_url"])}
	id.FirstName, id.LastName = splitName(str(u["name"]))
	return needSubject(id)
}

// Twitch is Twitch's OpenID Connect, asking for the email claims.
// Verified email: the email_verified claim.
func Twitch(clientID, clientSecret string) Provider {
	p := oidcPreset("twitch", "Twitch", "https://id.twitch.tv/oauth2", clientID, clientSecret, true, oauth2.AuthStyleInParams)
	p.Scopes = []string{"openid", "user:read:email"}
	p.AuthParams = map[string]string{"claims": `{"id_token":{"email":null,"email_verified":null,"preferred_username":null,"picture":null}}`}
	return p
}

// Spotify is OAuth 2.0 with the /v1/me API. Verified email: never
// (Spotify does not verify addresses).
func Spotify(clientID, clientSecret string) Provider {
	return Provider{preset: "spotify", Key: "spotify", Label: "Spotify", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://accounts.spotify.com/authorize", TokenURL: "https://accounts.spotify.com/api/token",
		AuthStyle: oauth2.AuthStyleInHeader, Scopes: []string{"user-read-email", "user-read-private"}, IdentityIssuer: "https://accounts.spotify.com",
		requests: []request{{url: "https://api.spotify.com/v1/me"}}, mapper: mapSpotify, UserInfoURL: "https://api.spotify.com/v1/me"}
}

func mapSpotify(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(docs[0])
	id := &latch.Identity{Issuer: "https://accounts.spotify.com", Subject: str(u["id"]), EmailAddress: str(u["email"])}
	id.FirstName, id.LastName = splitName(str(u["display_name"]))
	if imgs := arr(u["images"]); len(imgs) > 0 {
		id.ImageURL = str(obj(imgs[0])["url"])
	}
	return needSubject(id)
}

// Bitbucket is Bitbucket Cloud's OAuth 2.0 with the 2.0 API. Verified
// email: the primary address of /user/emails when it is confirmed.
func Bitbucket(clientID, clientSecret string) Provider {
	return Provider{preset: "bitbucket", Key: "bitbucket", Label: "Bitbucket", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://bitbucket.org/site/oauth2/authorize", TokenURL: "https://bitbucket.org/site/oauth2/access_token",
		AuthStyle: oauth2.AuthStyleInHeader, Scopes: []string{"account", "email"}, IdentityIssuer: "https://bitbucket.org",
		requests: []request{{url: "https://api.bitbucket.org/2.0/user"}, {url: "https://api.bitbucket.org/2.0/user/emails"}}, mapper: mapBitbucket,
		UserInfoURL: "https://api.bitbucket.org/2.0/user"}
}

func mapBitbucket(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(docs[0])
	id := &latch.Identity{Issuer: "https://bitbucket.org", Subject: or(str(u["uuid"]), str(u["account_id"])), Username: str(u["username"]),
		ImageURL: str(lookup(u, "links.avatar.href"))}
	id.FirstName, id.LastName = splitName(str(u["display_name"]))
	for _, e := range arr(obj(docs[1])["values"]) {
		e := obj(e)
		if truth(e["is_primary"]) {
			id.EmailAddress, id.EmailVerified = str(e["email"]), truth(e["is_confirmed"])
		}
	}
	return needSubject(id)
}

// Dropbox is OAuth 2.0 with users/get_current_account. Verified email:
// the account's email_verified.
func Dropbox(clientID, clientSecret string) Provider {
	return Provider{preset: "dropbox", Key: "dropbox", Label: "Dropbox", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://www.dropbox.com/oauth2/authorize", TokenURL: "https://api.dropboxapi.com/oauth2/token",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"account_info.read"}, IdentityIssuer: "https://www.dropbox.com",
		AuthParams: map[string]string{"token_access_type": "offline"},
		requests: []request{{method: "POST", url: "https://api.dropboxapi.com/2/users/get_current_account", body: "null",
			header: map[string]string{"Content-Type": "application/json"}}}, mapper: mapDropbox, UserInfoURL: "https://api.dropboxapi.com/2/users/get_current_account"}
}

func mapDropbox(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(docs[0])
	id := &latch.Identity{Issuer: "https://www.dropbox.com", Subject: str(u["account_id"]), EmailAddress: str(u["email"]),
		FirstName: str(lookup(u, "name.given_name")), LastName: str(lookup(u, "name.surname")), ImageURL: str(u["profile_photo_url"])}
	id.EmailVerified = id.EmailAddress != "" && truth(u["email_verified"])
	return needSubject(id)
}

// Atlassian is Atlassian's OAuth 2.0 (3LO) with the /me API. Verified
// email: the account's email_verified.
func Atlassian(clientID, clientSecret string) Provider {
	return Provider{preset: "atlassian", Key: "atlassian", Label: "Atlassian", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://auth.atlassian.com/authorize", TokenURL: "https://auth.atlassian.com/oauth/token",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"read:me", "read:account"}, IdentityIssuer: "https://auth.atlassian.com",
		AuthParams: map[string]string{"audience": "api.atlassian.com", "prompt": "consent"},
		requests:   []request{{url: "https://api.atlassian.com/me"}}, mapper: mapAtlassian, UserInfoURL: "https://api.atlassian.com/me"}
}

func mapAtlassian(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(docs[0])
	id := &latch.Identity{Issuer: "https://auth.atlassian.com", Subject: str(u["account_id"]), EmailAddress: str(u["email"]),
		Username: str(u["nickname"]), ImageURL: str(u["picture"])}
	id.EmailVerified = id.EmailAddress != "" && truth(u["email_verified"])
	id.FirstName, id.LastName = splitName(str(u["name"]))
	return needSubject(id)
}

// Notion is Notion's public-integration OAuth 2.0; the user is in the
// token answer's owner. Verified email: never.
func Notion(clientID, clientSecret string) Provider {
	return Provider{preset: "notion", Key: "notion", Label: "Notion", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://api.notion.com/v1/oauth/authorize", TokenURL: "https://api.notion.com/v1/oauth/token",
		AuthStyle: oauth2.AuthStyleInHeader, IdentityIssuer: "https://api.notion.com", AuthParams: map[string]string{"owner": "user"},
		mapper: mapNotion, UserInfoURL: "https://api.notion.com/v1/users/me"}
}

func mapNotion(tok *oauth2.Token, _ map[string]any, _ []any) (*latch.Identity, error) {
	u := obj(lookup(obj(tok.Extra("owner")), "user"))
	id := &latch.Identity{Issuer: "https://api.notion.com", Subject: str(u["id"]), EmailAddress: str(lookup(u, "person.email")),
		ImageURL: str(u["avatar_url"])}
	id.FirstName, id.LastName = splitName(str(u["name"]))
	return needSubject(id)
}

// HubSpot is HubSpot's OAuth 2.0 with the access-token information
// endpoint. Verified email: never.
func HubSpot(clientID, clientSecret string) Provider {
	return Provider{preset: "hubspot", Key: "hubspot", Label: "HubSpot", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://app.hubspot.com/oauth/authorize", TokenURL: "https://api.hubapi.com/oauth/v1/token",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"oauth"}, IdentityIssuer: "https://app.hubspot.com",
		requests: []request{{url: "https://api.hubapi.com/oauth/v1/access-tokens/{token}", tokenInURL: true}}, mapper: mapHubSpot,
		UserInfoURL: "https://api.hubapi.com/oauth/v1/access-tokens/{token}"}
}

func mapHubSpot(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(docs[0])
	return needSubject(&latch.Identity{Issuer: "https://app.hubspot.com", Subject: str(u["user_id"]), EmailAddress: str(u["user"])})
}

// Linear is Linear's OAuth 2.0 with the GraphQL viewer. Verified email:
// never.
func Linear(clientID, clientSecret string) Provider {
	return Provider{preset: "linear", Key: "linear", Label: "Linear", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://linear.app/oauth/authorize", TokenURL: "https://api.linear.app/oauth/token",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"read"}, IdentityIssuer: "https://linear.app",
		requests: []request{{method: "POST", url: "https://api.linear.app/graphql", body: `{"query":"{ viewer { id name email avatarUrl } }"}`,
			header: map[string]string{"Content-Type": "application/json"}}}, mapper: mapLinear, UserInfoURL: "https://api.linear.app/graphql"}
}

func mapLinear(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(lookup(obj(docs[0]), "data.viewer"))
	id := &latch.Identity{Issuer: "https://linear.app", Subject: str(u["id"]), EmailAddress: str(u["email"]), ImageURL: str(u["avatarUrl"])}
	id.FirstName, id.LastName = splitName(str(u["name"]))
	return needSubject(id)
}

// Box is Box's OAuth 2.0 with /2.0/users/me. Verified email: never.
func Box(clientID, clientSecret string) Provider {
	return Provider{preset: "box", Key: "box", Label: "Box", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://account.box.com/api/oauth2/authorize", TokenURL: "https://api.box.com/oauth2/token",
		AuthStyle: oauth2.AuthStyleInParams, IdentityIssuer: "https://account.box.com",
		requests: []request{{url: "https://api.box.com/2.0/users/me"}}, mapper: mapBox, UserInfoURL: "https://api.box.com/2.0/users/me"}
}

func mapBox(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(docs[0])
	id := &latch.Identity{Issuer: "https://account.box.com", Subject: str(u["id"]), EmailAddress: str(u["login"]), ImageURL: str(u["avatar_url"])}
	id.FirstName, id.LastName = splitName(str(u["name"]))
	return needSubject(id)
}

// Xero is Xero's OpenID Connect. Verified email: never (its ID token
// carries no email_verified).
func Xero(clientID, clientSecret string) Provider {
	return oidcPreset("xero", "Xero", "https://identity.xero.com", clientID, clientSecret, false, oauth2.AuthStyleInHeader)
}

// Coinbase is Coinbase's OAuth 2.0 with /v2/user. Verified email: never.
func Coinbase(clientID, clientSecret string) Provider {
	return Provider{preset: "coinbase", Key: "coinbase", Label: "Coinbase", ClientID: clientID, ClientSecret: clientSecret,
		AuthURL: "https://login.coinbase.com/oauth2/auth", TokenURL: "https://login.coinbase.com/oauth2/token",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"wallet:user:read", "wallet:user:email"}, IdentityIssuer: "https://login.coinbase.com",
		requests: []request{{url: "https://api.coinbase.com/v2/user"}}, mapper: mapCoinbase, UserInfoURL: "https://api.coinbase.com/v2/user"}
}

func mapCoinbase(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(obj(docs[0])["data"])
	id := &latch.Identity{Issuer: "https://login.coinbase.com", Subject: str(u["id"]), EmailAddress: str(u["email"]),
		Username: str(u["username"]), ImageURL: str(u["avatar_url"])}
	id.FirstName, id.LastName = splitName(str(u["name"]))
	return needSubject(id)
}

// LINE is LINE Login v2.1 (OpenID Connect). Verified email: never (the
// ID token carries no email_verified). Its ID tokens are verified with the
// keys and algorithms (ES256) of LINE's discovery document; a channel
// whose tokens are signed with its channel secret (HS256) is refused.
func LINE(clientID, clientSecret string) Provider {
	return oidcPreset("line", "LINE", "https://access.line.me", clientID, clientSecret, false, oauth2.AuthStyleInParams)
}

// TikTok is Login Kit for Web (OAuth 2.0, client_key for client_id) with
// /v2/user/info. Verified email: never (TikTok gives no address).
func TikTok(clientKey, clientSecret string) Provider {
	return Provider{preset: "tiktok", Key: "tiktok", Label: "TikTok", ClientID: clientKey, ClientSecret: clientSecret,
		AuthURL: "https://www.tiktok.com/v2/auth/authorize/", TokenURL: "https://open.tiktokapis.com/v2/oauth/token/",
		AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"user.info.basic"}, IdentityIssuer: "https://www.tiktok.com",
		AuthParams: map[string]string{"client_key": clientKey}, TokenParams: map[string]string{"client_key": clientKey},
		requests: []request{{url: "https://open.tiktokapis.com/v2/user/info/?fields=open_id,union_id,avatar_url,display_name"}}, mapper: mapTikTok,
		UserInfoURL: "https://open.tiktokapis.com/v2/user/info/"}
}

func mapTikTok(_ *oauth2.Token, _ map[string]any, docs []any) (*latch.Identity, error) {
	u := obj(lookup(obj(docs[0]), "data.user"))
	id := &latch.Identity{Issuer: "https://www.tiktok.com", Subject: str(u["open_id"]), ImageURL: str(u["avatar_url"])}
	id.FirstName, id.LastName = splitName(str(u["display_name"]))
	return needSubject(id)
}

// HuggingFace is Sign in with Hugging Face (OpenID Connect). Verified
// email: the email_verified claim.
func HuggingFace(clientID, clientSecret string) Provider {
	return oidcPreset("huggingface", "Hugging Face", "https://huggingface.co", clientID, clientSecret, true, oauth2.AuthStyleInHeader)
}

// OIDC is a generic OpenID Connect provider, found by discovery at
// issuer, with the strategy "oauth_custom_<key>". Its addresses count as
// verified only with VerifiesEmail set, and then by its email_verified
// claim.
func OIDC(key, label, issuer, clientID, clientSecret string) Provider {
	return Provider{Key: key, Label: label, Issuer: issuer, ClientID: clientID, ClientSecret: clientSecret, Scopes: []string{"openid", "email", "profile"}}
}

// OAuth2 is a generic OAuth 2.0 provider with the strategy
// "oauth_custom_<key>": its endpoints, and Claims to read its user-info
// answer. Its addresses count as verified only with VerifiesEmail set.
func OAuth2(key, label, authURL, tokenURL, userInfoURL, clientID, clientSecret string, claims ClaimMapping) Provider {
	return Provider{Key: key, Label: label, AuthURL: authURL, TokenURL: tokenURL, UserInfoURL: userInfoURL, ClientID: clientID,
		ClientSecret: clientSecret, Claims: claims}
}

func oidcPreset(name, label, issuer, clientID, clientSecret string, verifies bool, style oauth2.AuthStyle) Provider {
	return Provider{preset: name, Key: strings.TrimSuffix(name, "_oidc"), Label: label, Issuer: issuer, ClientID: clientID, ClientSecret: clientSecret,
		AuthStyle: style, Scopes: []string{"openid", "email", "profile"}, VerifiesEmail: verifies}
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func arr(v any) []any {
	a, _ := v.([]any)
	return a
}

func needSubject(id *latch.Identity) (*latch.Identity, error) {
	if id.Subject == "" {
		return nil, refused("the user document has no subject", nil)
	}
	return id, nil
}
