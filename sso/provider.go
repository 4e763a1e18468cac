package sso

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// Provider is one identity provider. The presets (Google, GitHub, …)
// return one filled in; a generic provider is built from OIDC or OAuth2,
// or written out.
type Provider struct {
	// Key names a generic provider: its strategy is "oauth_custom_<Key>"
	// (lower-case letters, digits, _). A preset's strategy is
	// "oauth_<provider>", as Clerk names them, and its Key is the
	// provider's name.
	Key string
	// Label is the provider's name on its button ("Google").
	Label string
	// Icon is an SVG document shown on the button (as an image, so any
	// script in it never runs). Default: the preset's bundled icon, or a
	// generic one (see icons/LICENSE.md).
	Icon string

	// ClientID and ClientSecret are the app's credentials at the
	// provider. ClientSecretFunc, when set, makes the secret for each
	// token request instead (Sign in with Apple's signed JWT).
	ClientID         string
	ClientSecret     string
	ClientSecretFunc func(now time.Time) (string, error) `json:"-"`
	// PublicClient allows a provider without a client secret (PKCE
	// alone).
	PublicClient bool

	// Issuer, for an OpenID Connect provider, is its issuer: the endpoints
	// and signing algorithms come from its discovery document, and the ID
	// token is verified. Empty for a plain OAuth 2.0 provider.
	Issuer string
	// TenantIssuer is for a multi-tenant issuer (Microsoft's "common"):
	// the issuer every ID token must carry, with "{tenantid}" standing for
	// the token's own tid claim. Empty: the ID token's iss must be Issuer.
	TenantIssuer string

	// AuthURL, TokenURL and UserInfoURL are the provider's endpoints;
	// for an OpenID Connect provider they override discovery.
	AuthURL, TokenURL, UserInfoURL string
	// AuthStyle is how the client authenticates at the token endpoint.
	// The zero value (oauth2.AuthStyleAutoDetect) is never used as such:
	// it means client_secret_basic, or client_secret_post when an OpenID
	// Connect provider's discovery lists only that, decided once.
	AuthStyle oauth2.AuthStyle
	// Scopes are asked for at sign-in. An OpenID Connect provider always
	// gets "openid".
	Scopes []string
	// AuthParams are added to the authorization request (prompt,
	// access_type, …).
	AuthParams map[string]string
	// FormPost asks for response_mode=form_post: the answer arrives by a
	// cross-site POST (Sign in with Apple).
	FormPost bool
	// IssuerParameter, for a plain OAuth 2.0 provider, is the value the
	// RFC 9207 iss parameter must have when the answer carries one. An
	// OpenID Connect provider's is its issuer.
	IssuerParameter string
	// IdentityIssuer is the issuer recorded with the identities of a
	// plain OAuth 2.0 provider (its accounts are (IdentityIssuer,
	// subject)). Default: the origin of AuthURL.
	IdentityIssuer string

	// Claims maps the provider's user document (the user-info answer, or
	// the ID token's claims) to the identity. The zero value reads the
	// OpenID Connect standard claims.
	Claims ClaimMapping
	// VerifiesEmail says that the provider checks its users' email
	// addresses: without it, the address a generic provider gives is
	// never taken as verified, so it never links to an existing account.
	// With it, the claim Claims.EmailVerified is read when present
	// (and, when that is empty, every address is taken as verified).
	VerifiesEmail bool

	// Profile, when set, replaces the user-info request and Claims: it
	// makes the provider's own requests with the access token and maps
	// the answers (the presets' GitHub, Linear, …). claims holds the
	// verified ID token's claims, or nil.
	Profile func(ctx context.Context, c *http.Client, tok *oauth2.Token, claims map[string]any) (*latch.Identity, error) `json:"-"`

	// TokenParams are added to the token request (TikTok's client_key).
	TokenParams map[string]string

	preset string
	// requests are what a preset asks of the provider's API with the
	// access token, and mapper maps the answers (in that order), the
	// token answer and the ID token's claims to the identity.
	requests []request
	mapper   func(tok *oauth2.Token, claims map[string]any, docs []any) (*latch.Identity, error)
	// formUser reads the name a first form_post carries (Apple's user
	// field).
	formUser bool
}

// Strategy is the provider's strategy name: "oauth_google",
// "oauth_custom_<key>".
func (c Provider) Strategy() string {
	if c.preset != "" {
		return "oauth_" + c.preset
	}
	return "oauth_custom_" + c.Key
}

// ClaimMapping names the fields of a provider's user document that make
// the identity; a dotted name reaches into objects ("data.user.id"). The
// zero value of each is the OpenID Connect standard claim.
type ClaimMapping struct {
	Subject       string // default "sub"
	Email         string // default "email"
	EmailVerified string // default "email_verified"
	FirstName     string // default "given_name"
	LastName      string // default "family_name"
	Name          string // default "name", split when there is no first name
	Username      string // default "preferred_username"
	Picture       string // default "picture"
}

// provider is a configured Provider with what was discovered.
type provider struct {
	Provider
	name   string
	client *http.Client

	mu       sync.Mutex
	disc     *oidc.Provider
	verifier *oidc.IDTokenVerifier
	endpoint oauth2.Endpoint
	userInfo string
	issParam string // the RFC 9207 iss value, or "" when not known
	issReq   bool   // the provider always sends iss
	ready    bool
}

// discovery is the part of an OpenID Connect discovery document the
// plugin reads beyond what go-oidc does.
type discovery struct {
	TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	IssParameter     bool     `json:"authorization_response_iss_parameter_supported"`
}

// setup discovers the provider once (again after a failure).
func (p *provider) setup(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready {
		return nil
	}
	ep := oauth2.Endpoint{AuthURL: p.AuthURL, TokenURL: p.TokenURL, AuthStyle: p.AuthStyle}
	userInfo := p.UserInfoURL
	if p.Issuer != "" {
		dctx := p.ctxClient(context.WithoutCancel(ctx))
		if p.TenantIssuer != "" {
			// The document of a multi-tenant endpoint names the template,
			// not the URL it is served from.
			dctx = oidc.InsecureIssuerURLContext(dctx, p.TenantIssuer)
		}
		d, err := oidc.NewProvider(dctx, p.Issuer)
		if err != nil {
			return unreachable(err)
		}
		var extra discovery
		if err := d.Claims(&extra); err != nil {
			return unreachable(err)
		}
		de := d.Endpoint()
		if ep.AuthURL == "" {
			ep.AuthURL = de.AuthURL
		}
		if ep.TokenURL == "" {
			ep.TokenURL = de.TokenURL
		}
		if userInfo == "" {
			userInfo = d.UserInfoEndpoint()
		}
		if ep.AuthStyle == oauth2.AuthStyleAutoDetect {
			ep.AuthStyle = oauth2.AuthStyleInHeader
			if len(extra.TokenAuthMethods) > 0 && !contains(extra.TokenAuthMethods, "client_secret_basic") && contains(extra.TokenAuthMethods, "client_secret_post") {
				ep.AuthStyle = oauth2.AuthStyleInParams
			}
		}
		// Expiry is checked here, with a bounded leeway; the algorithms
		// are the discovery document's (go-oidc's default for a
		// provider), never "none".
		p.verifier = d.VerifierContext(p.ctxClient(context.WithoutCancel(ctx)), &oidc.Config{ClientID: p.ClientID, SkipExpiryCheck: true,
			SkipIssuerCheck: p.TenantIssuer != ""})
		p.disc = d
		if p.TenantIssuer == "" {
			p.issParam = p.Issuer
		}
		p.issReq = extra.IssParameter
	} else {
		if ep.AuthStyle == oauth2.AuthStyleAutoDetect {
			ep.AuthStyle = oauth2.AuthStyleInHeader
		}
		p.issParam = p.IssuerParameter
	}
	p.endpoint, p.userInfo, p.ready = ep, userInfo, true
	return nil
}

// config is the oauth2 configuration for a redirect URI and scopes.
func (p *provider) config(redirectURI string, extra []string) *oauth2.Config {
	scopes := append([]string(nil), p.Scopes...)
	if p.Issuer != "" && !contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	for _, s := range extra {
		if !contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: p.endpoint, RedirectURL: redirectURI, Scopes: scopes}
}

// authURL is where the browser goes, with PKCE S256, the state and the
// nonce.
func (p *provider) authURL(redirectURI, state, nonce, verifier string, extra []string, formPost bool) string {
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if p.Issuer != "" {
		opts = append(opts, oidc.Nonce(nonce))
	}
	for k, v := range p.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	if formPost {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	return p.config(redirectURI, extra).AuthCodeURL(state, opts...)
}

// exchange redeems the code of the answer r and returns the identity it
// proves and the provider's tokens.
func (p *provider) exchange(ctx context.Context, r *http.Request, redirectURI, verifier, nonce string, now time.Time, leeway time.Duration) (*latch.Identity, *oauth2.Token, error) {
	if e := r.FormValue("error"); e != "" {
		if e == "access_denied" {
			return nil, nil, ErrProviderDenied
		}
		return nil, nil, refused("the provider answered "+firstN(e, 40), nil)
	}
	// RFC 9207: an answer naming another issuer is another provider's.
	iss := r.FormValue("iss")
	switch {
	case iss != "" && p.issParam != "" && iss != p.issParam:
		return nil, nil, refused("the answer's iss names another issuer", nil)
	case iss != "" && p.TenantIssuer != "" && !tenantIssuer(p.TenantIssuer, iss):
		return nil, nil, refused("the answer's iss names another issuer", nil)
	case iss == "" && p.issReq:
		return nil, nil, refused("the answer lacks the iss its provider sends", nil)
	}
	code := r.FormValue("code")
	if code == "" {
		return nil, nil, refused("no code", nil)
	}
	cfg := p.config(redirectURI, nil)
	if p.ClientSecretFunc != nil {
		s, err := p.ClientSecretFunc(now)
		if err != nil {
			return nil, nil, err
		}
		cfg.ClientSecret = s
	}
	opts := []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}
	for k, v := range p.TokenParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	tok, err := cfg.Exchange(p.ctxClient(ctx), code, opts...)
	if err != nil {
		var re *oauth2.RetrieveError
		if asRetrieve(err, &re) {
			return nil, nil, refused("the token endpoint refused the code", nil)
		}
		return nil, nil, unreachable(err)
	}
	var claims map[string]any
	if p.Issuer != "" {
		raw, _ := tok.Extra("id_token").(string)
		if raw == "" {
			return nil, nil, refused("no ID token", nil)
		}
		claims, err = p.verifyIDToken(ctx, raw, nonce, now, leeway)
		if err != nil {
			return nil, nil, err
		}
	}
	var id *latch.Identity
	switch {
	case p.mapper != nil:
		var docs []any
		docs, err = p.fetchAll(ctx, tok)
		if err == nil {
			id, err = p.mapper(tok, claims, docs)
		}
	case p.Profile != nil:
		id, err = p.Profile(ctx, p.client, tok, claims)
	case claims != nil:
		doc := claims
		if p.userInfo != "" && p.needsUserInfo(claims) {
			if ui, uerr := p.fetchUserInfo(ctx, tok); uerr == nil && ui["sub"] == claims["sub"] {
				doc = merge(claims, ui)
			}
		}
		id, err = p.mapClaims(doc)
	default:
		var ui map[string]any
		ui, err = p.fetchUserInfo(ctx, tok)
		if err == nil {
			id, err = p.mapClaims(ui)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	switch {
	case p.Issuer != "" && p.TenantIssuer == "":
		// The verified issuer, as configured: go-oidc also accepts
		// Google's "accounts.google.com", which must not make a second
		// identity of the same account.
		id.Issuer = p.Issuer
	case id.Issuer == "":
		id.Issuer = p.identityIssuer(claims)
	}
	if p.formUser {
		readFormUser(r, id)
	}
	if id.Subject == "" {
		return nil, nil, refused("no subject", nil)
	}
	return id, tok, nil
}

// needsUserInfo: the ID token lacks the email the mapping reads.
func (p *provider) needsUserInfo(claims map[string]any) bool {
	return str(lookup(claims, or(p.Claims.Email, "email"))) == ""
}

func (p *provider) identityIssuer(claims map[string]any) string {
	if claims != nil {
		if s, _ := claims["iss"].(string); s != "" {
			return s
		}
	}
	if p.IdentityIssuer != "" {
		return p.IdentityIssuer
	}
	u := p.AuthURL
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j]
		}
	}
	return u
}

// verifyIDToken checks the ID token: signature against the provider's
// keys with an algorithm of its discovery document, issuer (exact, or the
// tenant's own), audience, azp when there are several audiences,
// exp and iat with the leeway, and the nonce of this attempt.
func (p *provider) verifyIDToken(ctx context.Context, raw, nonce string, now time.Time, leeway time.Duration) (map[string]any, error) {
	t, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, refused("ID token", err)
	}
	var claims map[string]any
	if err := t.Claims(&claims); err != nil {
		return nil, refused("ID token claims", err)
	}
	if p.TenantIssuer != "" {
		tid, _ := claims["tid"].(string)
		if tid == "" || !guidLike(tid) || t.Issuer != strings.ReplaceAll(p.TenantIssuer, "{tenantid}", tid) {
			return nil, refused("the ID token's issuer is not its tenant's", nil)
		}
	}
	if len(t.Audience) > 1 {
		if azp, _ := claims["azp"].(string); azp != p.ClientID {
			return nil, refused("the ID token was issued to another party", nil)
		}
	}
	if t.Expiry.IsZero() || !now.Before(t.Expiry.Add(leeway)) {
		return nil, refused("the ID token has expired", nil)
	}
	if t.IssuedAt.IsZero() || t.IssuedAt.After(now.Add(leeway)) || t.IssuedAt.Before(now.Add(-10*time.Minute-leeway)) {
		return nil, refused("the ID token's iat is out of bounds", nil)
	}
	if nonce == "" || t.Nonce != nonce {
		return nil, refused("the ID token answers another attempt (nonce)", nil)
	}
	return claims, nil
}

func (p *provider) fetchUserInfo(ctx context.Context, tok *oauth2.Token) (map[string]any, error) {
	var doc map[string]any
	err := getJSON(ctx, p.client, tok, http.MethodGet, p.userInfo, nil, nil, &doc)
	return doc, err
}

// getJSON makes a request with the access token and decodes the answer.
func getJSON(ctx context.Context, c *http.Client, tok *oauth2.Token, method, url string, body io.Reader, header map[string]string, v any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return unreachable(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return refused(fmt.Sprintf("user info: status %d", res.StatusCode), nil)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v); err != nil {
		return refused("user info", err)
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func merge(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range b {
		out[k] = v
	}
	for k, v := range a {
		out[k] = v // the signed claims win
	}
	return out
}

// tenantIssuer reports whether iss is template's issuer for some tenant.
func tenantIssuer(template, iss string) bool {
	i := strings.Index(template, "{tenantid}")
	if i < 0 {
		return iss == template
	}
	pre, post := template[:i], template[i+len("{tenantid}"):]
	if len(iss) <= len(pre)+len(post) {
		return false
	}
	return strings.HasPrefix(iss, pre) && strings.HasSuffix(iss, post) && guidLike(iss[len(pre):len(iss)-len(post)])
}

func guidLike(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '-') {
			return false
		}
	}
	return true
}

// request is one call a preset makes to the provider's API.
type request struct {
	method, url, body string
	header            map[string]string
	// tokenInURL is where the access token goes in the URL (HubSpot's
	// token information endpoint), replacing "{token}".
	tokenInURL bool
}

func (p *provider) fetchAll(ctx context.Context, tok *oauth2.Token) ([]any, error) {
	docs := make([]any, len(p.requests))
	for i, rq := range p.requests {
		u := rq.url
		if rq.tokenInURL {
			u = strings.ReplaceAll(u, "{token}", url.PathEscape(tok.AccessToken))
		}
		method := rq.method
		if method == "" {
			method = http.MethodGet
		}
		var body io.Reader
		if rq.body != "" {
			body = strings.NewReader(rq.body)
		}
		if err := getJSON(ctx, p.client, tok, method, u, body, rq.header, &docs[i]); err != nil {
			return nil, err
		}
	}
	return docs, nil
}
