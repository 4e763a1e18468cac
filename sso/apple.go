package sso

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// AppleConfig is the app's registration with Sign in with Apple.
type AppleConfig struct {
	// ServiceID is the Services ID, the client_id.
	ServiceID string
	// TeamID is the Apple Developer team, the issuer of the client
	// secret.
	TeamID string
	// KeyID names the Sign in with Apple private key.
	KeyID string
	// PrivateKey is that key's .p8 file (PEM, PKCS #8, P-256).
	PrivateKey []byte
}

// Apple is Sign in with Apple (OpenID Connect). The client secret is an
// ES256 JWT the plugin signs with the key, renewed hourly; the answer
// arrives by response_mode=form_post, a cross-site POST the kernel
// continues in the browser that started the sign-in; the name is only in
// the first answer's user field, and the email address only in the signed
// ID token. Verified email: email_verified, which Apple may send as the
// string "true" (any other value, "false" included, is unverified);
// private relay addresses are verified addresses.
func Apple(c AppleConfig) (Provider, error) {
	key, err := parseP8(c.PrivateKey)
	if err != nil {
		return Provider{}, fmt.Errorf("sso: Apple private key: %w", err)
	}
	if c.ServiceID == "" || c.TeamID == "" || c.KeyID == "" {
		return Provider{}, errors.New("sso: Apple needs ServiceID, TeamID and KeyID")
	}
	s := &appleSecret{c: c, key: key}
	return Provider{preset: "apple", Key: "apple", Label: "Apple", ClientID: c.ServiceID, ClientSecretFunc: s.secret,
		Issuer: "https://appleid.apple.com", AuthStyle: oauth2.AuthStyleInParams, Scopes: []string{"name", "email"}, FormPost: true,
		formUser: true, mapper: mapApple}, nil
}

func mapApple(_ *oauth2.Token, c map[string]any, _ []any) (*latch.Identity, error) {
	id := &latch.Identity{Issuer: str(c["iss"]), Subject: str(c["sub"]), EmailAddress: str(c["email"])}
	id.EmailVerified = id.EmailAddress != "" && truth(c["email_verified"])
	return needSubject(id)
}

type appleSecret struct {
	c   AppleConfig
	key *ecdsa.PrivateKey

	mu     sync.Mutex
	token  string
	expiry time.Time
}

// secret returns the client secret JWT: iss the team, sub the Services
// ID, aud Apple, alive an hour (Apple allows six months).
func (s *appleSecret) secret(now time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && now.Add(5*time.Minute).Before(s.expiry) && !now.Before(s.expiry.Add(-time.Hour)) {
		return s.token, nil
	}
	exp := now.Add(time.Hour)
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.RegisteredClaims{Issuer: s.c.TeamID, Subject: s.c.ServiceID,
		Audience: jwt.ClaimStrings{"https://appleid.apple.com"}, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp)})
	t.Header["kid"] = s.c.KeyID
	signed, err := t.SignedString(s.key)
	if err != nil {
		return "", err
	}
	s.token, s.expiry = signed, exp
	return signed, nil
}

func parseP8(b []byte) (*ecdsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an EC key")
	}
	return ek, nil
}
