package sso

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/storage"
)

// Connected accounts: the signed-in user's links to providers, as the
// JSON API and the account page show them, connected and disconnected
// from a session.
//
//	GET    /v1/me/external_accounts                          list
//	POST   /v1/me/external_accounts                          connect: {"strategy", "redirect_url", "additional_scopes"}
//	GET    /v1/me/external_accounts/callback/{strategy}      where the provider sends the browser back
//	DELETE /v1/me/external_accounts/{id}                     disconnect (reverified)
//
// A connection comes back to its own callback path, per provider, which
// must be registered at the provider beside the sign-in's
// /v1/callback/{strategy}.

// openAPI documents the routes.
//
//go:embed openapi.json
var openAPI []byte

const (
	connectPath     = "/v1/me/external_accounts"
	connectCallback = "/v1/me/external_accounts/callback/"
	connectPurpose  = "sso_connect"
	connectLifetime = 5 * time.Minute
)

// Event types the plugin emits.
const (
	// EventConnected: a signed-in user connected an account at a provider.
	EventConnected = "external_account.connected"
	// EventDisconnected: a user disconnected one.
	EventDisconnected = "external_account.disconnected"
)

// ExternalAccount is a connected account as the API shows it: never its
// tokens.
type ExternalAccount struct {
	ID           string    `json:"id"`
	Object       string    `json:"object"`
	Provider     string    `json:"provider"`
	EmailAddress string    `json:"email_address,omitempty"`
	Username     string    `json:"username,omitempty"`
	FirstName    string    `json:"first_name,omitempty"`
	LastName     string    `json:"last_name,omitempty"`
	ImageURL     string    `json:"image_url,omitempty"`
	Scopes       []string  `json:"approved_scopes"`
	CreatedAt    time.Time `json:"created_at"`
}

func viewOf(ea *storage.ExternalAccount) ExternalAccount {
	scopes := ea.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return ExternalAccount{ID: ea.ID, Object: "external_account", Provider: ea.Provider, EmailAddress: ea.EmailAddress, Username: ea.Username,
		FirstName: ea.FirstName, LastName: ea.LastName, ImageURL: ea.ImageURL, Scopes: scopes, CreatedAt: ea.CreatedAt}
}

func (pl *Plugin) registerAccounts(h *latch.Host) error {
	for _, r := range []latch.Route{
		{Method: http.MethodGet, Pattern: connectPath, Handler: pl.serveList},
		{Method: http.MethodPost, Pattern: connectPath, Handler: pl.serveConnect},
		{Method: http.MethodGet, Pattern: connectCallback + "{strategy}", Handler: pl.serveConnectCallback},
		{Method: http.MethodDelete, Pattern: connectPath + "/{id}", Handler: pl.serveDisconnect, Access: latch.AccessReverified},
		{Method: http.MethodPost, Pattern: formPath, Handler: pl.serveForm},
	} {
		if err := h.Handle(r); err != nil {
			return err
		}
	}
	if err := h.AddOpenAPI(openAPI); err != nil {
		return err
	}
	h.AddProfileSection(pl.profileSection)
	if err := h.Consume("sso-tokens", func(ctx context.Context, e latch.Event) error {
		var u struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(e.Data, &u) != nil || u.ID == "" {
			return nil
		}
		_, err := pl.claimAll(ctx, u.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		return err
	}, latch.EventUserCreated, latch.EventUserUpdated); err != nil {
		return err
	}
	return h.DeclareEvents(
		latch.EventType{Name: EventConnected, Description: "A signed-in user connected an account at a provider.",
			Payload: json.RawMessage(`{"user_id":"user_…","provider":"oauth_github","external_account_id":"eac_…"}`)},
		latch.EventType{Name: EventDisconnected, Description: "A user disconnected an account at a provider.",
			Payload: json.RawMessage(`{"user_id":"user_…","provider":"oauth_github","external_account_id":"eac_…"}`)})
}

// Accounts lists the user's connected accounts at the configured
// providers.
func (pl *Plugin) Accounts(ctx context.Context, userID string) ([]ExternalAccount, error) {
	accounts, err := pl.claimAll(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := []ExternalAccount{}
	for _, ea := range accounts {
		out = append(out, viewOf(ea))
	}
	return out, nil
}

func (pl *Plugin) serveList(w http.ResponseWriter, r *http.Request) {
	s := latch.SessionFromContext(r.Context())
	list, err := pl.Accounts(r.Context(), s.UserID)
	pl.h.Respond(w, map[string]any{"data": list, "total_count": len(list)}, err)
}

// connectState is what a connection keeps server-side while the browser
// is at the provider.
type connectState struct {
	UserID   string   `json:"u"`
	Strategy string   `json:"p"`
	Verifier string   `json:"v"`
	Nonce    string   `json:"n"`
	Secret   []byte   `json:"s"` // hash of the state's secret half
	Scopes   []string `json:"x,omitempty"`
	Redirect string   `json:"r,omitempty"`
}

func (pl *Plugin) serveConnect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := latch.SessionFromContext(ctx)
	var in struct {
		Strategy         string `json:"strategy"`
		RedirectURL      string `json:"redirect_url"`
		AdditionalScopes any    `json:"additional_scopes"`
	}
	if err := pl.h.Decode(w, r, &in); err != nil {
		pl.h.Respond(w, nil, err)
		return
	}
	p, err := pl.provider(in.Strategy)
	if err != nil {
		pl.h.Respond(w, nil, err)
		return
	}
	if in.RedirectURL != "" && !pl.h.AllowedRedirect(in.RedirectURL) {
		pl.h.Respond(w, nil, latch.ErrRedirectNotAllowed)
		return
	}
	u, err := pl.startConnect(ctx, s, p, in.RedirectURL, scopeList(in.AdditionalScopes))
	if err != nil {
		pl.h.Respond(w, nil, err)
		return
	}
	pl.h.Respond(w, map[string]any{"object": "external_account_connection", "provider": p.name,
		"external_verification_redirect_url": u}, nil)
}

// startConnect keeps a connection's state for the session and returns
// where the browser goes.
func (pl *Plugin) startConnect(ctx context.Context, s *latch.Session, p *provider, redirect string, scopes []string) (string, error) {
	if err := p.setup(ctx); err != nil {
		return "", err
	}
	secret := oauth2.GenerateVerifier()
	sum := sha256.Sum256([]byte(secret))
	cs := connectState{UserID: s.UserID, Strategy: p.name, Verifier: oauth2.GenerateVerifier(), Nonce: oauth2.GenerateVerifier(),
		Secret: sum[:], Scopes: scopes, Redirect: redirect}
	data, err := json.Marshal(cs)
	if err != nil {
		return "", err
	}
	id, err := pl.h.NewChallenge(ctx, &latch.Attempt{Purpose: connectPurpose, FlowID: s.ID}, data, connectLifetime)
	if err != nil {
		return "", err
	}
	// A connection comes back by GET with the session's cookie: no
	// form_post, which would arrive without it.
	return p.authURL(pl.connectRedirect(p), id+"."+secret, cs.Nonce, cs.Verifier, scopes, false), nil
}

func (pl *Plugin) connectRedirect(p *provider) string {
	return strings.TrimRight(pl.h.BaseURL(), "/") + connectCallback + url.PathEscape(p.name)
}

// ErrConnectFailed: a connection's answer does not belong to this
// session, has expired, or was used.
var ErrConnectFailed = &latch.Error{Code: "oauth_connection_invalid", Message: "This connection was started elsewhere or has expired. Start again.", Status: http.StatusBadRequest}

func (pl *Plugin) serveConnectCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s := latch.SessionFromContext(ctx)
	p, err := pl.provider(r.PathValue("strategy"))
	if err != nil {
		pl.formError(w, r, err)
		return
	}
	id, secret, _ := strings.Cut(r.FormValue("state"), ".")
	// The state is spent by the session that started it, once.
	data, err := pl.h.ConsumeChallenge(ctx, &latch.Attempt{Purpose: connectPurpose, FlowID: s.ID}, id)
	if err != nil {
		pl.formError(w, r, ErrConnectFailed)
		return
	}
	var cs connectState
	sum := sha256.Sum256([]byte(secret))
	if json.Unmarshal(data, &cs) != nil || cs.UserID != s.UserID || cs.Strategy != p.name || subtle.ConstantTimeCompare(sum[:], cs.Secret) != 1 {
		pl.formError(w, r, ErrConnectFailed)
		return
	}
	ident, tok, err := p.exchange(ctx, r, pl.connectRedirect(p), cs.Verifier, cs.Nonce, pl.h.Now(), pl.cfg.Leeway)
	if err != nil {
		pl.formError(w, r, err)
		return
	}
	ident.Provider = p.name
	if err := pl.connect(ctx, s.UserID, ident); err != nil {
		pl.formError(w, r, err)
		return
	}
	if err := pl.keepTokens(ctx, p, ident, tok, grantedScopes(p, tok, cs.Scopes)); err != nil {
		pl.formError(w, r, err)
		return
	}
	redirect := cs.Redirect
	if redirect == "" {
		redirect = pl.h.ProfileTabURL(components.TabSecurity)
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// ErrAccountConnectedElsewhere: the provider's account is another user's.
var ErrAccountConnectedElsewhere = &latch.Error{Code: "external_account_exists", Message: "This account at the provider is already connected to another user.", Status: http.StatusConflict}

// connect links ident to userID, or finds it already theirs.
func (pl *Plugin) connect(ctx context.Context, userID string, ident *latch.Identity) error {
	store := pl.h.Store()
	if ea, err := store.FindExternalAccount(ctx, ident.Issuer, ident.Subject); err == nil {
		if ea.UserID != userID {
			return ErrAccountConnectedElsewhere
		}
		return nil
	}
	eid, err := pl.h.NewID(latch.PrefixExternalAccount)
	if err != nil {
		return err
	}
	now := pl.h.Now()
	ea := &storage.ExternalAccount{ID: eid, UserID: userID, Provider: ident.Provider, Issuer: ident.Issuer, Subject: ident.Subject,
		EmailAddress: ident.EmailAddress, Username: ident.Username, FirstName: ident.FirstName, LastName: ident.LastName,
		ImageURL: ident.ImageURL, CreatedAt: now, UpdatedAt: now}
	return pl.h.InTx(ctx, func(t *latch.Tx) error {
		if err := t.CreateExternalAccount(ctx, ea); err != nil {
			if errors.Is(err, storage.ErrConflict) {
				return ErrAccountConnectedElsewhere
			}
			return err
		}
		return t.Emit(ctx, EventConnected, userID, map[string]string{"user_id": userID, "provider": ident.Provider, "external_account_id": eid})
	})
}

// ErrLastSignInMethod: disconnecting would leave the user no way to sign
// in.
var ErrLastSignInMethod = &latch.Error{Code: "last_sign_in_method", Message: "This is your only way to sign in. Add a password, an email address or another account before disconnecting it.", Status: http.StatusUnprocessableEntity}

func (pl *Plugin) serveDisconnect(w http.ResponseWriter, r *http.Request) {
	s := latch.SessionFromContext(r.Context())
	pl.h.Respond(w, map[string]any{"id": r.PathValue("id"), "object": "external_account", "deleted": true},
		pl.Disconnect(r.Context(), s.UserID, r.PathValue("id")))
}

// Disconnect removes the user's connected account id at one of the
// plugin's providers (and its tokens),
// refusing with ErrLastSignInMethod when it is the user's only way to sign
// in: no password, no verified email address or phone number, no passkey,
// no other connected account.
func (pl *Plugin) Disconnect(ctx context.Context, userID, id string) error {
	ea, err := pl.linked.GetExternalAccount(ctx, id)
	if err != nil || ea.UserID != userID || pl.byName[ea.Provider] == nil {
		return latch.ErrNotFound // another user's, or another plugin's (enterprise SSO)
	}
	others, err := pl.otherSignInMethods(ctx, userID, id)
	if err != nil {
		return err
	}
	if !others {
		return ErrLastSignInMethod
	}
	if err := pl.linked.DeleteExternalAccount(ctx, id); err != nil {
		return err
	}
	return pl.h.InTx(ctx, func(t *latch.Tx) error {
		return t.Emit(ctx, EventDisconnected, userID, map[string]string{"user_id": userID, "provider": ea.Provider, "external_account_id": id})
	})
}

func (pl *Plugin) otherSignInMethods(ctx context.Context, userID, except string) (bool, error) {
	u, err := pl.h.GetUser(ctx, userID)
	if err != nil {
		return false, err
	}
	if u.PasswordEnabled {
		return true, nil
	}
	for _, i := range append(append([]latch.Identifier(nil), u.EmailAddresses...), u.PhoneNumbers...) {
		if i.Verified {
			return true, nil
		}
	}
	accounts, err := pl.linked.ListExternalAccounts(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, ea := range accounts {
		if ea.ID != except {
			return true, nil
		}
	}
	creds, err := pl.h.Store().ListCredentials(ctx, userID)
	if err != nil {
		return false, err
	}
	for _, c := range creds {
		if c.Kind == "passkey" {
			return true, nil
		}
	}
	return false, nil
}

// scopeList reads additional_scopes: a list, or one string separated by
// spaces or commas.
func scopeList(v any) []string {
	var out []string
	add := func(s string) {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' }) {
			if len(out) < 20 && len(f) <= 200 {
				out = append(out, f)
			}
		}
	}
	switch v := v.(type) {
	case string:
		add(v)
	case []any:
		for _, s := range v {
			if s, ok := s.(string); ok {
				add(s)
			}
		}
	}
	return out
}
