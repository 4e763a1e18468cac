package sso

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// The provider's tokens are sealed (latch.Host.Seal) for the external
// account they belong to, bound to its issuer and subject, and stored in
// its record: never in a flow, a proof, a page or a log. An account the
// kernel has not created yet (a sign-up or a link in progress) gets them
// once it exists: they wait, sealed, in a short-lived record named after
// the identity, which the first read of the account's tokens or the
// user's next event claims.

// pendingLifetime bounds how long tokens wait for their account.
const pendingLifetime = 30 * time.Minute

// pendingSlots is how many sign-ins of one identity may wait at once.
const pendingSlots = 4

const pendingPurpose = "sso_pending_tokens"

// sealed is what is sealed: the token beside its kind and expiry.
type sealed struct {
	Token     string    `json:"t"`
	Type      string    `json:"y,omitempty"`
	ExpiresAt time.Time `json:"e,omitzero"`
}

func purpose(kind, issuer, subject string) string {
	return "sso:" + kind + ":" + issuer + "\x00" + subject
}

// seal returns the stored form: the key ID, a dot, the ciphertext.
func (pl *Plugin) seal(kind, issuer, subject string, v sealed) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	ct, keyID, err := pl.h.Seal(purpose(kind, issuer, subject), plain)
	if err != nil {
		return nil, err
	}
	return append([]byte(keyID+"."), ct...), nil
}

func (pl *Plugin) open(kind, issuer, subject string, stored []byte) (sealed, error) {
	var v sealed
	keyID, ct, ok := strings.Cut(string(stored), ".")
	if !ok {
		return v, errors.New("sso: malformed sealed token")
	}
	plain, err := pl.h.Open(purpose(kind, issuer, subject), keyID, []byte(ct))
	if err != nil {
		return v, err
	}
	return v, json.Unmarshal(plain, &v)
}

// sealTokens writes tok into ea (the refresh token only when the provider
// sent one).
func (pl *Plugin) sealTokens(ea *storage.ExternalAccount, tok *oauth2.Token, scopes []string) error {
	if secs := expiresIn(tok); secs > 0 {
		// By the app's clock, which may not be the library's.
		t := *tok
		t.Expiry = pl.h.Now().Add(time.Duration(secs) * time.Second)
		tok = &t
	}
	at, err := pl.seal("access", ea.Issuer, ea.Subject, sealed{Token: tok.AccessToken, Type: tok.TokenType, ExpiresAt: tok.Expiry})
	if err != nil {
		return err
	}
	ea.AccessToken, ea.TokenExpiresAt = at, tok.Expiry
	if tok.RefreshToken != "" {
		rt, err := pl.seal("refresh", ea.Issuer, ea.Subject, sealed{Token: tok.RefreshToken})
		if err != nil {
			return err
		}
		ea.RefreshToken = rt
	}
	if scopes != nil {
		ea.Scopes = scopes
	}
	return nil
}

// keepTokens stores the tokens of a sign-in or a connection: in the
// account when it exists, else waiting for it.
func (pl *Plugin) keepTokens(ctx context.Context, p *provider, id *latch.Identity, tok *oauth2.Token, scopes []string) error {
	if tok == nil || tok.AccessToken == "" {
		return nil
	}
	if scopes == nil {
		scopes = grantedScopes(p, tok, nil)
	}
	store := pl.h.Store()
	ea, err := store.FindExternalAccount(ctx, id.Issuer, id.Subject)
	if err == nil {
		if err := pl.sealTokens(ea, tok, scopes); err != nil {
			return err
		}
		ea.EmailAddress = id.EmailAddress
		if id.ImageURL != "" {
			ea.ImageURL = id.ImageURL
		}
		ea.UpdatedAt = pl.h.Now()
		return pl.linked.UpdateExternalAccount(ctx, ea)
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	tmp := &storage.ExternalAccount{Issuer: id.Issuer, Subject: id.Subject}
	if err := pl.sealTokens(tmp, tok, scopes); err != nil {
		return err
	}
	data, err := json.Marshal(pendingTokens{Access: tmp.AccessToken, Refresh: tmp.RefreshToken, ExpiresAt: tmp.TokenExpiresAt, Scopes: scopes})
	if err != nil {
		return err
	}
	now := pl.h.Now()
	for slot := range pendingSlots {
		err = store.CreateVerification(ctx, &storage.Verification{ID: pendingID(id.Issuer, id.Subject, slot), Purpose: pendingPurpose,
			Data: data, ExpiresAt: now.Add(pendingLifetime), CreatedAt: now})
		if !errors.Is(err, storage.ErrConflict) {
			return err
		}
	}
	return nil // every slot taken: this sign-in's tokens are not kept
}

type pendingTokens struct {
	Access    []byte    `json:"a"`
	Refresh   []byte    `json:"r,omitempty"`
	ExpiresAt time.Time `json:"e,omitzero"`
	Scopes    []string  `json:"s,omitempty"`
}

// pendingID names the waiting tokens of an identity: a hash, so that the
// record says nothing of whose they are.
func pendingID(issuer, subject string, slot int) string {
	sum := sha256.Sum256([]byte(issuer + "\x00" + subject))
	return fmt.Sprintf("ver_sso%d%s", slot, strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:20])))
}

// claimPending moves the newest waiting tokens of ea's identity into it.
func (pl *Plugin) claimPending(ctx context.Context, ea *storage.ExternalAccount) (bool, error) {
	store := pl.h.Store()
	var best *storage.Verification
	for slot := range pendingSlots {
		v, err := store.GetVerification(ctx, pendingID(ea.Issuer, ea.Subject, slot))
		if err != nil || v.Purpose != pendingPurpose || !v.ConsumedAt.IsZero() || !pl.h.Now().Before(v.ExpiresAt) {
			continue
		}
		if best == nil || v.CreatedAt.After(best.CreatedAt) {
			best = v
		}
	}
	if best == nil {
		return false, nil
	}
	// The tokens move in one transaction, so that a claimer that loses the
	// race reads the account once the winner has written it.
	err := pl.h.InTx(ctx, func(t *latch.Tx) error {
		v, err := t.ConsumeVerification(ctx, best.ID, pl.h.Now())
		if err != nil {
			return errClaimed
		}
		var pt pendingTokens
		if err := json.Unmarshal(v.Data, &pt); err != nil {
			return err
		}
		linked, err := latch.TxStore[storage.ConnectedAccountStore](t)
		if err != nil {
			return err
		}
		next := *ea
		next.AccessToken, next.RefreshToken, next.TokenExpiresAt, next.Scopes = pt.Access, pt.Refresh, pt.ExpiresAt, pt.Scopes
		next.UpdatedAt = pl.h.Now()
		if err := linked.UpdateExternalAccount(ctx, &next); err != nil {
			return err
		}
		*ea = next
		return nil
	})
	if errors.Is(err, errClaimed) {
		if cur, err := pl.linked.GetExternalAccount(ctx, ea.ID); err == nil {
			*ea = *cur
		}
		return false, nil
	}
	return err == nil, err
}

// errClaimed: another request moved the waiting tokens first.
var errClaimed = errors.New("sso: waiting tokens claimed meanwhile")

// claimAll gives each of the user's accounts without tokens the tokens
// waiting for it.
func (pl *Plugin) claimAll(ctx context.Context, userID string) ([]*storage.ExternalAccount, error) {
	accounts, err := pl.linked.ListExternalAccounts(ctx, userID)
	if err != nil {
		return nil, err
	}
	for _, ea := range accounts {
		if len(ea.AccessToken) == 0 && pl.byName[ea.Provider] != nil {
			if _, err := pl.claimPending(ctx, ea); err != nil {
				return nil, err
			}
		}
	}
	return accounts, nil
}

// ErrNoToken: the user has no account at that provider, or none with a
// token the provider still honours.
var ErrNoToken = &latch.Error{Code: "oauth_token_unavailable", Message: "There is no connected account with a usable token for this provider.", Status: 404}

// AccessToken returns a current access token of the user's account at
// the provider (its strategy, "oauth_github"), refreshed first when it
// has expired and the provider gave a refresh token, as Clerk's OAuth
// access token API does. It is for the back end's calls to the provider:
// never send it to a browser.
func (pl *Plugin) AccessToken(ctx context.Context, userID, strategy string) (*oauth2.Token, error) {
	p, err := pl.provider(strategy)
	if err != nil {
		return nil, err
	}
	accounts, err := pl.claimAll(ctx, userID)
	if err != nil {
		return nil, err
	}
	var ea *storage.ExternalAccount
	for _, a := range accounts {
		if a.Provider == strategy && len(a.AccessToken) > 0 && (ea == nil || a.UpdatedAt.After(ea.UpdatedAt)) {
			ea = a
		}
	}
	if ea == nil {
		return nil, ErrNoToken
	}
	at, err := pl.open("access", ea.Issuer, ea.Subject, ea.AccessToken)
	if err != nil {
		return nil, err
	}
	tok := &oauth2.Token{AccessToken: at.Token, TokenType: at.Type, Expiry: at.ExpiresAt}
	if len(ea.RefreshToken) > 0 {
		rt, err := pl.open("refresh", ea.Issuer, ea.Subject, ea.RefreshToken)
		if err != nil {
			return nil, err
		}
		tok.RefreshToken = rt.Token
	}
	now := pl.h.Now()
	if tok.Expiry.IsZero() || now.Add(30*time.Second).Before(tok.Expiry) {
		return tok, nil
	}
	if tok.RefreshToken == "" {
		return nil, ErrNoToken
	}
	if err := p.setup(ctx); err != nil {
		return nil, err
	}
	cfg := p.config("", nil)
	if p.ClientSecretFunc != nil {
		if cfg.ClientSecret, err = p.ClientSecretFunc(now); err != nil {
			return nil, err
		}
	}
	expired := *tok
	expired.Expiry = time.Unix(1, 0) // expired by any clock: the library's is not ours
	fresh, err := cfg.TokenSource(p.ctxClient(ctx), &expired).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if asRetrieve(err, &re) {
			return nil, ErrNoToken
		}
		return nil, unreachable(err)
	}
	if err := pl.sealTokens(ea, fresh, nil); err != nil {
		return nil, err
	}
	ea.UpdatedAt = now
	if err := pl.linked.UpdateExternalAccount(ctx, ea); err != nil {
		return nil, err
	}
	return fresh, nil
}

// grantedScopes are the scopes of a token answer: its scope field when
// the provider sends one, else what was asked for.
func grantedScopes(p *provider, tok *oauth2.Token, extra []string) []string {
	if s, _ := tok.Extra("scope").(string); s != "" {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	}
	return p.config("", extra).Scopes
}

func expiresIn(tok *oauth2.Token) int64 {
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		return int64(v)
	case string:
		var n int64
		_, _ = fmt.Sscan(v, &n)
		return n
	}
	return 0
}
