// Package fakeidp is an identity provider for tests, served by httptest,
// and a plugin whose first factor signs in with it: a strategy that leaves
// for another site and comes back, the way social and enterprise sign-ins
// do, built only on latch.Host.
//
// The provider speaks a small subset of OAuth 2.0: an authorization
// endpoint that answers at once for the account the test chose (by a
// redirect, or by an auto-submitted cross-site form like OpenID Connect's
// form_post and SAML's HTTP-POST binding), and a token endpoint that
// redeems a single-use code against its PKCE verifier. It signs nothing:
// the protocol libraries the real providers use are tested by the sso
// plugin; this package tests the kernel's half of the round trip.
package fakeidp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// Account is who is signed in at the provider.
type Account struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	FirstName     string `json:"given_name"`
	LastName      string `json:"family_name"`
}

// Provider is the identity provider.
type Provider struct {
	// Server serves the provider; its URL is the issuer.
	Server *httptest.Server
	// FormPost makes the provider answer with a page that posts the code
	// back from its own origin, instead of a redirect.
	FormPost bool

	mu      sync.Mutex
	account Account
	grants  map[string]grant
}

type grant struct {
	account             Account
	redirectURI, nonce  string
	challenge, clientID string
}

// ClientID is the client the plugin registers as.
const ClientID = "latch-test-client"

// New starts a provider, stopped when the test ends.
func New(t testing.TB) *Provider {
	p := &Provider{grants: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Server.Close)
	return p
}

// Issuer is the provider's issuer identifier.
func (p *Provider) Issuer() string { return p.Server.URL }

// SignInAs chooses the account the provider vouches for from now on.
func (p *Provider) SignInAs(a Account) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.account = a
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != ClientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := random()
	p.mu.Lock()
	p.grants[code] = grant{account: p.account, redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), clientID: q.Get("client_id")}
	p.mu.Unlock()
	answer := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {p.Issuer()}}
	if q.Get("response_mode") == "form_post" {
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

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	code := r.PostFormValue("code")
	p.mu.Lock()
	g, ok := p.grants[code]
	delete(p.grants, code) // single use
	p.mu.Unlock()
	if !ok || g.redirectURI != r.PostFormValue("redirect_uri") || g.clientID != r.PostFormValue("client_id") || s256(r.PostFormValue("code_verifier")) != g.challenge {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		Account
		Nonce string `json:"nonce"`
	}{g.account, g.nonce})
}

// FormFields reads the hidden fields of a form_post page.
func FormFields(page string) (action string, fields url.Values) {
	fields = url.Values{}
	for _, part := range strings.Split(page, "<input ")[1:] {
		name, value := attr(part, "name"), attr(part, "value")
		fields.Set(name, value)
	}
	return attr(page, "action"), fields
}

func attr(s, name string) string {
	i := strings.Index(s, name+`="`)
	if i < 0 {
		return ""
	}
	s = s[i+len(name)+2:]
	return unescape(s[:strings.IndexByte(s, '"')])
}

func unescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#43;", "+").Replace(s)
}

// Plugin adds the provider's sign-in to an Auth, as the strategy Strategy,
// with the other things a real provider plugin adds: a session-token claim
// naming the provider a user is linked to (Claim), a sign-up hook that
// records, in the transaction creating the user, an event for users it
// provisioned (Event), and a durable consumer of those events
// (Provisioned).
type Plugin struct {
	// Provider is where users sign in.
	Provider *Provider
	// Strategy is the strategy's name; default "oauth_fake".
	Strategy string
	// Consumer names the durable consumer; default "fakeidp-<Strategy>".
	Consumer string

	mu          sync.Mutex
	provisioned []latch.Event
}

// Event is the type of the events the plugin's sign-up hook emits:
// "<strategy>.user_provisioned".
func (pl *Plugin) Event() string { return pl.Strategy + ".user_provisioned" }

// Claim is the session-token claim the plugin sets to the strategy's name
// for users linked to the provider: "<strategy>_linked".
func (pl *Plugin) Claim() string { return pl.Strategy + "_linked" }

// Name implements latch.Plugin.
func (*Plugin) Name() string { return "fakeidp" }

// Register implements latch.Plugin.
func (pl *Plugin) Register(h *latch.Host) error {
	if pl.Strategy == "" {
		pl.Strategy = "oauth_fake"
	}
	if pl.Consumer == "" {
		pl.Consumer = "fakeidp-" + pl.Strategy
	}
	linked, err := latch.RequireStore[storage.ConnectedAccountStore](h)
	if err != nil {
		return err
	}
	if err := h.AddStrategy(&strategy{pl: pl, h: h}); err != nil {
		return err
	}
	if err := h.DeclareEvents(latch.EventType{Name: pl.Event(), Description: "A user signed up through the test provider.",
		Payload: json.RawMessage(`{"user_id":"user_…","strategy":"oauth_fake","subject":"u-1"}`)}); err != nil {
		return err
	}
	h.OnSignUp(func(ctx context.Context, e *latch.SignUpHook) error {
		if e.Identity == nil || e.Identity.Provider != pl.Strategy {
			return nil
		}
		return e.Tx.Emit(ctx, pl.Event(), e.User.ID, map[string]string{"user_id": e.User.ID, "strategy": pl.Strategy, "subject": e.Identity.Subject})
	})
	if err := h.AddClaims(latch.ClaimsContributor{Claims: []string{pl.Claim()}, Contribute: func(ctx context.Context, c *latch.TokenClaims) error {
		accounts, err := linked.ListExternalAccounts(ctx, c.UserID)
		if err != nil {
			return err
		}
		for _, ea := range accounts {
			if ea.Provider == pl.Strategy {
				c.Set(pl.Claim(), ea.Provider)
			}
		}
		return nil
	}}); err != nil {
		return err
	}
	return h.Consume(pl.Consumer, func(_ context.Context, e latch.Event) error {
		pl.mu.Lock()
		defer pl.mu.Unlock()
		pl.provisioned = append(pl.provisioned, e)
		return nil
	}, pl.Event())
}

// Provisioned returns the provisioning events the plugin's durable
// consumer has received so far.
func (pl *Plugin) Provisioned() []latch.Event {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return append([]latch.Event(nil), pl.provisioned...)
}

var _ latch.Redirector = (*strategy)(nil)

type strategy struct {
	pl *Plugin
	h  *latch.Host
}

// memory is what the strategy keeps with the flow between leaving and
// coming back: never in the browser.
type memory struct {
	Verifier string `json:"verifier"`
	Nonce    string `json:"nonce"`
}

func (s *strategy) Info() latch.StrategyInfo {
	return latch.StrategyInfo{Name: s.pl.Strategy, Kind: latch.FirstFactor, Input: latch.InputRedirect, Label: "Continue with Fake IdP"}
}

func (s *strategy) Enrolled(context.Context, string) (bool, error) { return false, nil }

func (s *strategy) Prepare(_ context.Context, at *latch.Attempt) (json.RawMessage, error) {
	m := memory{Verifier: random(), Nonce: random()}
	state, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	at.State = state
	q := url.Values{"client_id": {ClientID}, "redirect_uri": {at.CallbackURL}, "state": {at.CallbackState}, "nonce": {m.Nonce},
		"code_challenge": {s256(m.Verifier)}, "code_challenge_method": {"S256"}, "response_type": {"code"}}
	if s.pl.Provider.FormPost {
		q.Set("response_mode", "form_post")
	}
	at.ExternalURL = s.pl.Provider.Issuer() + "/authorize?" + q.Encode()
	return nil, nil
}

// Verify is never the way in: the answer comes back through Callback.
func (s *strategy) Verify(context.Context, *latch.Attempt, latch.AttemptParams) (*latch.Proof, error) {
	return nil, latch.ErrFlowStep
}

func (s *strategy) Callback(ctx context.Context, at *latch.Attempt, r *http.Request) (*latch.Proof, error) {
	var m memory
	if err := json.Unmarshal(at.State, &m); err != nil || m.Verifier == "" {
		return nil, latch.ErrFlowStep
	}
	// RFC 9207: the answer names the issuer it came from.
	if iss := r.FormValue("iss"); iss != s.pl.Provider.Issuer() {
		return nil, latch.ErrCodeIncorrect
	}
	form := url.Values{"code": {r.FormValue("code")}, "code_verifier": {m.Verifier}, "redirect_uri": {at.CallbackURL}, "client_id": {ClientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.pl.Provider.Issuer()+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.pl.Provider.Server.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, latch.ErrCodeIncorrect
	}
	var got struct {
		Account
		Nonce string `json:"nonce"`
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		return nil, fmt.Errorf("fakeidp: token answer: %w", err)
	}
	if got.Nonce != m.Nonce || got.Subject == "" {
		return nil, errors.New("fakeidp: the token does not answer this attempt")
	}
	return &latch.Proof{AMR: []string{"ext"}, Identity: &latch.Identity{Issuer: s.pl.Provider.Issuer(), Subject: got.Subject,
		EmailAddress: got.Email, EmailVerified: got.EmailVerified, FirstName: got.FirstName, LastName: got.LastName}}, nil
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
