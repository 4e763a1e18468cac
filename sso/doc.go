// Package sso is social sign-in for Latch: OAuth 2.0 and OpenID Connect
// providers as first-factor strategies (latch.Redirector), each returning
// the identity it proved (latch.Proof.Identity). The kernel does the rest:
// it signs in the identity's owner, links it to an existing user whose
// verified address the provider verified too, or continues as a sign-up.
//
// Every sign-in uses the authorization code flow with PKCE (S256), a state
// that is the kernel's single-use callback state bound to the flow (and so
// to the browser that started it), a nonce kept server-side with the flow
// and used once, and its own callback path per provider
// (/v1/callback/oauth_<provider>), so that an answer meant for one
// provider is never taken for another's. An OpenID Connect provider's ID
// token is verified with go-oidc against the keys and algorithms of its
// discovery document: issuer exact (or, for a multi-tenant issuer, the
// token's own tenant's), audience the client ID, azp when there are
// several audiences, exp and iat within a bounded leeway. The RFC 9207 iss
// parameter is checked when the answer carries one (and required when the
// discovery document says the provider sends it). The client's
// authentication at the token endpoint is set explicitly per provider.
//
// An identity is (issuer, subject), never an email address. Whether an
// address is verified follows each provider's own rule:
//
//	Strategy               Protocol            Verified email
//	oauth_google           OpenID Connect      email_verified claim
//	oauth_github           OAuth 2.0 + API     primary address of /user/emails, when verified
//	oauth_microsoft        OpenID Connect      only with xms_edov true; keyed by tenant (iss from tid) and oid
//	oauth_apple            OpenID Connect      email_verified, true or the string "true"
//	oauth_facebook         OAuth 2.0 + Graph   never
//	oauth_discord          OAuth 2.0 + API     the user's verified field
//	oauth_gitlab           OpenID Connect      email_verified claim
//	oauth_linkedin_oidc    OpenID Connect      email_verified claim
//	oauth_slack            OpenID Connect      email_verified claim
//	oauth_x                OAuth 2.0 + API     never (no address)
//	oauth_twitch           OpenID Connect      email_verified claim (asked for by the claims parameter)
//	oauth_spotify          OAuth 2.0 + API     never
//	oauth_bitbucket        OAuth 2.0 + API     primary address of /user/emails, when confirmed
//	oauth_dropbox          OAuth 2.0 + API     the account's email_verified
//	oauth_atlassian        OAuth 2.0 + API     the account's email_verified
//	oauth_notion           OAuth 2.0           never
//	oauth_hubspot          OAuth 2.0 + API     never
//	oauth_linear           OAuth 2.0 + GraphQL never
//	oauth_box              OAuth 2.0 + API     never
//	oauth_xero             OpenID Connect      never
//	oauth_coinbase         OAuth 2.0 + API     never
//	oauth_line             OpenID Connect      never
//	oauth_tiktok           OAuth 2.0 + API     never (no address)
//	oauth_huggingface      OpenID Connect      email_verified claim
//	oauth_custom_<key>     either              only with Provider.VerifiesEmail (off by default)
//
// An unverified address never links to an existing account: its owner
// signs in another way and connects the provider from their account.
//
// The provider's access and refresh tokens are sealed at rest in the
// external account (latch.Host.Seal), never sent to a browser or logged,
// and available to the back end through Plugin.AccessToken, refreshed
// when they have expired. The signed-in user lists, connects (with more
// scopes) and disconnects accounts through /v1/me/external_accounts; the
// last way a user has to sign in cannot be disconnected, and disconnecting
// needs a recent verification.
package sso
