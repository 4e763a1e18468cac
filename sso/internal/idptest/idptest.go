// Package idptest is an OpenID Connect provider for the sso package's
// tests, served by httptest: discovery, keys, an authorization endpoint
// that answers at once for the account the test chose, a token endpoint
// that redeems a single-use code against its PKCE verifier and client
// credentials, user info and refresh. Its ID tokens are signed by
// go-oidc's oidctest, and a test may tamper with them (another issuer,
// audience, algorithm, key or nonce) to check that the plugin refuses
// them.
package idptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"
	jose "github.com/go-jose/go-jose/v4"
)

// IdP is the provider.
type IdP struct {
	Server       *httptest.Server
	ClientID     string
	ClientSecret string
	// Now is the provider's clock (the app's fake clock).
	Now func() time.Time
	// FormPost answers every request by an auto-submitted cross-site form.
	FormPost bool
	// TenantTemplate, when set, makes the discovery issuer this template
	// ("{base}/{tenantid}/v2.0"), as Microsoft's common endpoint does.
	TenantTemplate bool
	// NoIssParam leaves the RFC 9207 iss parameter out of answers;
	// IssParam, when set, is sent instead of the issuer.
	NoIssParam bool
	IssParam   string
	// Tamper changes the claims of the next ID tokens before they are
	// signed.
	Tamper func(claims map[string]any)
	// Sign, when set, signs the ID token instead (another key, another
	// algorithm).
	Sign func(claims []byte) string
	// CheckSecret, when set, checks the client secret instead of
	// comparing it with ClientSecret (Apple's signed secret).
	CheckSecret func(secret string) bool
	// FormUser is the user field of form_post answers (Apple's first
	// answer).
	FormUser string

	Key   *rsa.PrivateKey
	KeyID string

	mu       sync.Mutex
	claims   map[string]any
	grants   map[string]grant
	tokens   map[string]map[string]any // access token → user info
	refresh  map[string]map[string]any
	issued   []string // every secret the provider handed out
	lastAuth url.Values
}

type grant struct {
	claims              map[string]any
	redirectURI, nonce  string
	challenge, clientID string
}

// New starts a provider.
func New(t testing.TB) *IdP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &IdP{ClientID: "client-" + random()[:8], ClientSecret: random(), Now: time.Now, Key: key, KeyID: "k1",
		grants: map[string]grant{}, tokens: map[string]map[string]any{}, refresh: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /common/v2.0/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.keys)
	mux.HandleFunc("GET /auth", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Server.Close)
	return p
}

// Issuer is the provider's issuer (for TenantTemplate, the URL its
// discovery is served from).
func (p *IdP) Issuer() string {
	if p.TenantTemplate {
		return p.Server.URL + "/common/v2.0"
	}
	return p.Server.URL
}

// TenantIssuer is the issuer of tenant tid.
func (p *IdP) TenantIssuer(tid string) string { return p.Server.URL + "/" + tid + "/v2.0" }

// SignInAs chooses the account (its claims: sub, email, …) the provider
// vouches for from now on.
func (p *IdP) SignInAs(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claims = claims
}

// Issued lists every token the provider handed out (access, refresh, ID).
func (p *IdP) Issued() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.issued...)
}

// LastAuthorization is the query of the last authorization request.
func (p *IdP) LastAuthorization() url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastAuth
}

func (p *IdP) discovery(w http.ResponseWriter, _ *http.Request) {
	iss := p.Server.URL
	if p.TenantTemplate {
		iss = p.Server.URL + "/{tenantid}/v2.0"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": iss, "authorization_endpoint": p.Server.URL + "/auth", "token_endpoint": p.Server.URL + "/token",
		"jwks_uri": p.Server.URL + "/keys", "userinfo_endpoint": p.Server.URL + "/userinfo",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post"},
		"authorization_response_iss_parameter_supported": !p.NoIssParam && !p.TenantTemplate,
	})
}

func (p *IdP) keys(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.Key.PublicKey, KeyID: p.KeyID, Algorithm: "RS256", Use: "sig"}}})
}

func (p *IdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	p.lastAuth = q
	claims := p.claims
	p.mu.Unlock()
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := random()
	p.mu.Lock()
	p.grants[code] = grant{claims: claims, redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), clientID: q.Get("client_id")}
	p.mu.Unlock()
	answer := url.Values{"code": {code}, "state": {q.Get("state")}}
	if !p.NoIssParam && !p.TenantTemplate {
		answer.Set("iss", p.Server.URL)
		if p.IssParam != "" {
			answer.Set("iss", p.IssParam)
		}
	}
	if p.FormPost || q.Get("response_mode") == "form_post" {
		if p.FormUser != "" {
			answer.Set("user", p.FormUser)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = formPost.Execute(w, struct {
			Action string
			Fields url.Values
		}{q.Get("redirect_uri"), answer})
		return
	}
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+answer.Encode(), http.StatusSeeOther)
}

var formPost = template.Must(template.New("post").Parse(`<!doctype html><form method="post" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">{{end}}<button>Continue</button></form>`))

// FormFields reads the hidden fields of a form_post page.
func FormFields(page string) (action string, fields url.Values) {
	fields = url.Values{}
	for _, part := range strings.Split(page, "<input ")[1:] {
		fields.Set(attr(part, "name"), attr(part, "value"))
	}
	return attr(page, "action"), fields
}

func attr(s, name string) string {
	i := strings.Index(s, name+`="`)
	if i < 0 {
		return ""
	}
	s = s[i+len(name)+2:]
	return strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#43;", "+").Replace(s[:strings.IndexByte(s, '"')])
}

func (p *IdP) clientOK(r *http.Request) bool {
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != p.ClientID {
		return false
	}
	if p.CheckSecret != nil {
		return p.CheckSecret(secret)
	}
	return secret == p.ClientSecret
}

func (p *IdP) token(w http.ResponseWriter, r *http.Request) {
	if !p.clientOK(r) {
		oauthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	if r.PostFormValue("grant_type") == "refresh_token" {
		p.mu.Lock()
		info, ok := p.refresh[r.PostFormValue("refresh_token")]
		p.mu.Unlock()
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant")
			return
		}
		p.answerTokens(w, info, "")
		return
	}
	code := r.PostFormValue("code")
	p.mu.Lock()
	g, ok := p.grants[code]
	delete(p.grants, code) // single use
	p.mu.Unlock()
	if !ok || g.redirectURI != r.PostFormValue("redirect_uri") || s256(r.PostFormValue("code_verifier")) != g.challenge {
		oauthError(w, http.StatusBadRequest, "invalid_grant")
		return
	}
	now := p.Now()
	claims := map[string]any{"iss": p.Server.URL, "aud": p.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	for k, v := range g.claims {
		claims[k] = v
	}
	if p.Tamper != nil {
		p.Tamper(claims)
	}
	payload, _ := json.Marshal(claims)
	var idToken string
	if p.Sign != nil {
		idToken = p.Sign(payload)
	} else {
		idToken = oidctest.SignIDToken(p.Key, p.KeyID, "RS256", string(payload))
	}
	p.answerTokens(w, g.claims, idToken)
}

func (p *IdP) answerTokens(w http.ResponseWriter, info map[string]any, idToken string) {
	access, refresh := "at-"+random(), "rt-"+random()
	p.mu.Lock()
	p.tokens[access], p.refresh[refresh] = info, info
	p.issued = append(p.issued, access, refresh)
	if idToken != "" {
		p.issued = append(p.issued, idToken)
	}
	p.mu.Unlock()
	out := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": refresh, "scope": "openid email profile"}
	if idToken != "" {
		out["id_token"] = idToken
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

func (p *IdP) userinfo(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	info, ok := p.tokens[tok]
	p.mu.Unlock()
	if !ok {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(info)
}

// ValidAccessToken reports whether tok is an access token the provider
// issued.
func (p *IdP) ValidAccessToken(tok string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.tokens[tok]
	return ok
}

func oauthError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"error":"` + code + `"}`))
}

// OtherKeySigner signs with a fresh key the provider never published.
func OtherKeySigner() func([]byte) string {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	return func(b []byte) string { return oidctest.SignIDToken(key, "k1", "RS256", string(b)) }
}

// ES256Signer signs with an EC key under the published key ID: an
// algorithm the discovery document does not list.
func ES256Signer() func([]byte) string {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return func(b []byte) string { return oidctest.SignIDToken(key, "k1", "ES256", string(b)) }
}

// HS256Signer signs with HMAC keyed by secret (the client secret, in the
// classic algorithm-confusion attack).
func HS256Signer(secret string) func([]byte) string {
	return func(b []byte) string { return oidctest.SignIDToken([]byte(secret), "k1", "HS256", string(b)) }
}

// NoneSigner makes an unsigned token (alg "none").
func NoneSigner() func([]byte) string {
	return func(b []byte) string {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"k1"}`))
		return h + "." + base64.RawURLEncoding.EncodeToString(b) + "."
	}
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
