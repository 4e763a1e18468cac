package latch

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/latchauth/latch/token"
)

// JWTTemplate describes tokens minted for another service (a database with
// row-level security, a GraphQL engine, a partner API) from a signed-in
// session: its own claims, lifetime, audience and, optionally, key.
//
// String values in Claims may hold shortcodes, replaced per user:
// {{user.id}}, {{user.external_id}}, {{user.username}}, {{user.first_name}},
// {{user.last_name}}, {{user.full_name}}, {{user.image_url}},
// {{user.primary_email_address}}, {{user.primary_phone_number}},
// {{user.email_verified}}, {{user.public_metadata}},
// {{user.public_metadata.KEY}}, {{user.unsafe_metadata.KEY}},
// {{session.id}} and {{session.actor}}. A value that is exactly one
// shortcode takes the shortcode's type (a metadata object stays an object,
// a missing value is null); shortcodes inside other text are interpolated.
//
// A template token is not a session token and never signs anybody in to
// Latch: signed with the session keys, it carries the typ header
// token.TypeTemplate and an audience, both of which every session verifier
// (Middleware, Auth.Verifier, token.NewRemoteVerifier with its defaults)
// refuses, and no sid. A service verifies it with token.NewRemoteVerifier on
// the JWKS, Config.Type set to token.TypeTemplate and Config.Audience to the
// template's audience. Revoking the session cannot recall a token already
// handed to another service, so its lifetime is short by default and never
// outlasts the session.
type JWTTemplate struct {
	Name     string         // the {template} of /v1/client/sessions/{id}/tokens/{template}
	Claims   map[string]any // custom claims; may not name iss, sub, exp, iat, nbf, aud, azp, sid
	Lifetime time.Duration  // default 60 s; at most 24 h, and never past the session's end
	// Audience is the aud claim. Empty means the template's Name for
	// tokens signed with the session keys (so that one template's tokens
	// are not another's, and no session verifier accepts them), and no aud
	// with a SigningKey (HMAC verifiers are often strict about aud).
	Audience string

	// SigningKey, when set, signs with HS256 under this shared secret (at
	// least 32 bytes), for services that verify only HMAC tokens. Without
	// it the session keys sign (EdDSA or ES256, verifiable with the JWKS).
	// Session tokens themselves never accept HMAC.
	SigningKey []byte
}

var reservedTemplateClaims = map[string]bool{"iss": true, "sub": true, "exp": true, "iat": true, "nbf": true, "aud": true, "azp": true, "sid": true, "jti": true}

func (t JWTTemplate) validate() error {
	switch {
	case t.Name == "" || strings.ContainsAny(t.Name, "/?#% "):
		return fmt.Errorf("Config.Session.Templates: name %q must be non-empty and URL-safe", t.Name)
	case t.Lifetime < 0 || t.Lifetime > 24*time.Hour:
		return fmt.Errorf("Config.Session.Templates[%s]: Lifetime must be at most 24h", t.Name)
	case t.SigningKey != nil && len(t.SigningKey) < 32:
		return fmt.Errorf("Config.Session.Templates[%s]: SigningKey must be at least 32 bytes", t.Name)
	}
	for k := range t.Claims {
		if reservedTemplateClaims[strings.ToLower(k)] {
			return fmt.Errorf("Config.Session.Templates[%s]: claim %q is set by Latch", t.Name, k)
		}
	}
	return nil
}

// TemplateToken mints a token of the named JWT template for a session.
// ErrNotFound for an unknown template or session; ErrSignedOut when the
// session has ended.
func (a *Auth) TemplateToken(ctx context.Context, name, sessionID string) (string, error) {
	t, ok := a.templates[name]
	if !ok {
		return "", ErrNotFound
	}
	s, err := a.store.GetSession(ctx, sessionID)
	if err != nil {
		return "", storageError(err)
	}
	if !a.live(s) || a.revoked.has(s.ID) {
		return "", ErrSignedOut
	}
	u, err := a.GetUser(ctx, s.UserID)
	if err != nil {
		return "", err
	}
	vals := shortcodeValues(u, s.ID, s.ActorID)
	extra := map[string]any{}
	for k, v := range t.Claims {
		extra[k] = render(v, vals)
	}
	now := a.cfg.Clock().UTC().Truncate(time.Second)
	life := t.Lifetime
	if life == 0 {
		life = time.Minute
	}
	exp := now.Add(life)
	if s.ExpiresAt.Before(exp) {
		exp = s.ExpiresAt.UTC().Truncate(time.Second)
	}
	if t.SigningKey != nil {
		c := jwt.MapClaims{"iss": a.cfg.BaseURL, "sub": u.ID, "iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix()}
		if t.Audience != "" {
			c["aud"] = t.Audience
		}
		for k, v := range extra {
			c[k] = v
		}
		signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.SigningKey)
		if err != nil {
			return "", ErrUnavailable.wrap(err)
		}
		return signed, nil
	}
	if err := a.ensureKeys(ctx); err != nil {
		return "", asError(err)
	}
	aud := t.Audience
	if aud == "" {
		aud = t.Name
	}
	c := &token.Claims{Issuer: a.cfg.BaseURL, AuthorizedParty: a.cfg.Session.AuthorizedParties[0], Subject: u.ID, Audience: []string{aud},
		IssuedAt: now, NotBefore: now, ExpiresAt: exp, Extra: extra}
	signed, err := a.keys.set.SignType(c, token.TypeTemplate)
	if err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	return signed, nil
}

var shortcodeRE = regexp.MustCompile(`\{\{\s*([a-z_]+(?:\.[A-Za-z0-9_\-]+)*)\s*\}\}`)

// shortcodeValues resolves the shortcodes a template may use for one user.
func shortcodeValues(u *User, sid, actor string) func(string) (any, bool) {
	emailVerified := false
	for _, e := range u.EmailAddresses {
		if e.Primary {
			emailVerified = e.Verified
		}
	}
	fixed := map[string]any{
		"user.id": u.ID, "user.external_id": u.ExternalID, "user.username": u.Username, "user.first_name": u.FirstName,
		"user.last_name": u.LastName, "user.full_name": strings.TrimSpace(u.FirstName + " " + u.LastName),
		"user.image_url": u.ImageURL, "user.primary_email_address": u.PrimaryEmailAddress(),
		"user.primary_phone_number": u.PrimaryPhoneNumber(), "user.email_verified": emailVerified,
		"session.id": sid, "session.actor": actor,
	}
	meta := map[string]json.RawMessage{"user.public_metadata": u.PublicMetadata, "user.unsafe_metadata": u.UnsafeMetadata}
	return func(code string) (any, bool) {
		if v, ok := fixed[code]; ok {
			return v, true
		}
		for prefix, raw := range meta {
			if code != prefix && !strings.HasPrefix(code, prefix+".") {
				continue
			}
			var m map[string]any
			if len(raw) > 0 {
				_ = json.Unmarshal(raw, &m)
			}
			if code == prefix {
				return m, true
			}
			v, ok := m[strings.TrimPrefix(code, prefix+".")]
			return v, ok
		}
		return nil, false
	}
}

// render replaces shortcodes in v (recursively through maps and slices).
func render(v any, vals func(string) (any, bool)) any {
	switch v := v.(type) {
	case string:
		if m := shortcodeRE.FindStringSubmatchIndex(v); m != nil && m[0] == 0 && m[1] == len(v) {
			val, _ := vals(v[m[2]:m[3]])
			return val
		}
		return shortcodeRE.ReplaceAllStringFunc(v, func(s string) string {
			val, ok := vals(shortcodeRE.FindStringSubmatch(s)[1])
			if !ok || val == nil {
				return ""
			}
			return fmt.Sprint(val)
		})
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = render(x, vals)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = render(x, vals)
		}
		return out
	}
	return v
}
