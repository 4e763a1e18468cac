package sso_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/sso"
	"github.com/latchauth/latch/sso/internal/idptest"
)

// Sign in with Apple end to end: the client secret is an ES256 JWT signed
// with the app's key, the answer is a cross-site form_post that the
// kernel continues in the browser that started the sign-in, the name
// comes from the first answer's user field, and email_verified is the
// string "true".
func TestAppleFormPostCompletes(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	p8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	idp := idptest.New(t)
	idp.ClientID = "com.example.web"
	idp.FormPost = true
	idp.FormUser = `{"name":{"firstName":"Tim","lastName":"Apple"},"email":"forged@example.com"}`
	var secrets int
	idp.CheckSecret = func(secret string) bool {
		tok, err := jwt.Parse(secret, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
			jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience("https://appleid.apple.com"), jwt.WithIssuer("TEAM123456"),
			jwt.WithSubject("com.example.web"), jwt.WithTimeFunc(idp.Now))
		if err != nil || tok.Header["kid"] != "KEY1234567" {
			t.Errorf("client secret refused: %v %v", err, tok)
			return false
		}
		secrets++
		return true
	}
	p, err := sso.Apple(sso.AppleConfig{ServiceID: "com.example.web", TeamID: "TEAM123456", KeyID: "KEY1234567", PrivateKey: p8})
	if err != nil {
		t.Fatal(err)
	}
	p.Issuer = idp.Issuer()
	e := newEnv(t, nil, []sso.Provider{p}, map[string]*idptest.IdP{"oauth_apple": idp})
	idp.SignInAs(map[string]any{"sub": "001234.abcd", "email": "tim@privaterelay.appleid.com", "email_verified": "true", "is_private_email": "true"})

	b := latchtest.NewBrowser(e.Auth.Handler())
	external := start(t, b, "oauth_apple")
	back, fields := atProvider(t, idp, external)
	if idp.LastAuthorization().Get("response_mode") != "form_post" || fields.Get("code") == "" {
		t.Fatalf("not a form_post: %v %v", idp.LastAuthorization(), fields)
	}
	res := crossSitePost(e, idp, back, fields)
	page := body(res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("form_post: %d %s", res.StatusCode, page)
	}
	action, form := idptest.FormFields(page)
	if action != "/v1/continue" {
		t.Fatalf("continue page: %s", page)
	}
	if res := b.Post(action, form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("continue: %d %s", res.StatusCode, body(res))
	}
	u := me(b)
	if u == nil || u["first_name"] != "Tim" || u["last_name"] != "Apple" {
		t.Fatalf("signed in as %v", u)
	}
	addrs, _ := u["email_addresses"].([]any)
	if len(addrs) != 1 || addrs[0].(map[string]any)["value"] != "tim@privaterelay.appleid.com" || addrs[0].(map[string]any)["verified"] != true {
		t.Fatalf("addresses %v (the ID token's, verified; never the form's)", addrs)
	}
	if secrets != 1 {
		t.Fatalf("%d client secrets checked", secrets)
	}
}
