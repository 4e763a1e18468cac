package sso

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// mapPreset maps a preset's documented answers: the ID token's claims
// (OpenID Connect), the API's answers in the preset's order, the token
// answer's extra fields.
func mapPreset(t *testing.T, c Provider, claims string, docs []string, tokenExtra string) *latch.Identity {
	t.Helper()
	var cl map[string]any
	if claims != "" {
		must(t, json.Unmarshal([]byte(claims), &cl))
	}
	var ds []any
	for _, d := range docs {
		var v any
		must(t, json.Unmarshal([]byte(d), &v))
		ds = append(ds, v)
	}
	tok := &oauth2.Token{AccessToken: "x"}
	if tokenExtra != "" {
		var extra map[string]any
		must(t, json.Unmarshal([]byte(tokenExtra), &extra))
		tok = tok.WithExtra(extra)
	}
	p := &provider{Provider: c, name: c.Strategy()}
	var id *latch.Identity
	var err error
	if c.mapper != nil {
		if len(ds) != len(c.requests) {
			t.Fatalf("%s makes %d requests; the test gives %d answers", c.Strategy(), len(c.requests), len(ds))
		}
		id, err = c.mapper(tok, cl, ds)
	} else {
		id, err = p.mapClaims(cl)
	}
	if err != nil {
		t.Fatalf("%s: %v", c.Strategy(), err)
	}
	return id
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func apple(t *testing.T) Provider {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	p, err := Apple(AppleConfig{ServiceID: "s", TeamID: "t", KeyID: "k", PrivateKey: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})})
	must(t, err)
	return p
}

// Every preset maps its provider's documented answer, by its own rule for
// a verified email.
func TestPresetMappers(t *testing.T) {
	cases := []struct {
		preset     Provider
		strategy   string
		claims     string
		docs       []string
		tokenExtra string
		want       latch.Identity
	}{
		{preset: Google("id", "s"), strategy: "oauth_google",
			claims: `{"iss":"https://accounts.google.com","sub":"110169484474386276334","email":"ada@gmail.com","email_verified":true,"name":"Ada Lovelace","given_name":"Ada","family_name":"Lovelace","picture":"https://lh3.googleusercontent.com/a/p"}`,
			want:   latch.Identity{Subject: "110169484474386276334", EmailAddress: "ada@gmail.com", EmailVerified: true, FirstName: "Ada", LastName: "Lovelace", ImageURL: "https://lh3.googleusercontent.com/a/p"}},
		{preset: Google("id", "s"), strategy: "oauth_google",
			claims: `{"sub":"2","email":"bo@example.com","email_verified":false}`,
			want:   latch.Identity{Subject: "2", EmailAddress: "bo@example.com"}},
		{preset: GitHub("id", "s"), strategy: "oauth_github",
			docs: []string{`{"login":"octocat","id":583231,"avatar_url":"https://avatars.githubusercontent.com/u/583231","name":"The Octocat","email":"public@example.com"}`,
				`[{"email":"other@example.com","verified":true,"primary":false,"visibility":null},{"email":"octocat@github.com","verified":true,"primary":true,"visibility":"public"}]`},
			want: latch.Identity{Issuer: "https://github.com", Subject: "583231", Username: "octocat", EmailAddress: "octocat@github.com", EmailVerified: true,
				FirstName: "The", LastName: "Octocat", ImageURL: "https://avatars.githubusercontent.com/u/583231"}},
		{preset: GitHub("id", "s"), strategy: "oauth_github",
			docs: []string{`{"login":"new","id":7,"email":null}`, `[{"email":"new@example.com","verified":false,"primary":true}]`},
			want: latch.Identity{Issuer: "https://github.com", Subject: "7", Username: "new", EmailAddress: "new@example.com"}},
		{preset: Microsoft("id", "s", ""), strategy: "oauth_microsoft",
			claims: `{"iss":"https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0","sub":"AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ","oid":"00000000-0000-0000-66f3-3332eca7ea81","tid":"9188040d-6c67-4c5b-b112-36a304b66dad","name":"Abe Lincoln","preferred_username":"abe@contoso.com","email":"abe@contoso.com"}`,
			want: latch.Identity{Issuer: "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", Subject: "00000000-0000-0000-66f3-3332eca7ea81",
				EmailAddress: "abe@contoso.com", Username: "abe@contoso.com", FirstName: "Abe", LastName: "Lincoln"}},
		{preset: Microsoft("id", "s", ""), strategy: "oauth_microsoft",
			claims: `{"iss":"https://login.microsoftonline.com/t/v2.0","oid":"o","tid":"t","email":"abe@contoso.com","xms_edov":true}`,
			want:   latch.Identity{Issuer: "https://login.microsoftonline.com/t/v2.0", Subject: "o", EmailAddress: "abe@contoso.com", EmailVerified: true}},
		{preset: apple(t), strategy: "oauth_apple",
			claims: `{"iss":"https://appleid.apple.com","sub":"001234.abcdef","email":"x@privaterelay.appleid.com","email_verified":"true","is_private_email":"true"}`,
			want:   latch.Identity{Issuer: "https://appleid.apple.com", Subject: "001234.abcdef", EmailAddress: "x@privaterelay.appleid.com", EmailVerified: true}},
		{preset: apple(t), strategy: "oauth_apple",
			claims: `{"iss":"https://appleid.apple.com","sub":"001234.abcdef","email":"x@example.com","email_verified":"false"}`,
			want:   latch.Identity{Issuer: "https://appleid.apple.com", Subject: "001234.abcdef", EmailAddress: "x@example.com"}},
		{preset: Facebook("id", "s"), strategy: "oauth_facebook",
			docs: []string{`{"id":"10224386272","name":"Ada Lovelace","first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","picture":{"data":{"height":50,"is_silhouette":false,"url":"https://platform-lookaside.fbsbx.com/p","width":50}}}`},
			want: latch.Identity{Issuer: "https://www.facebook.com", Subject: "10224386272", EmailAddress: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", ImageURL: "https://platform-lookaside.fbsbx.com/p"}},
		{preset: Discord("id", "s"), strategy: "oauth_discord",
			docs: []string{`{"id":"80351110224678912","username":"nelly","discriminator":"0","global_name":"Nelly","avatar":"8342729096ea3675442027381ff50dfe","verified":true,"email":"nelly@discord.com","flags":64}`},
			want: latch.Identity{Issuer: "https://discord.com", Subject: "80351110224678912", Username: "nelly", EmailAddress: "nelly@discord.com", EmailVerified: true, FirstName: "Nelly",
				ImageURL: "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"}},
		{preset: Discord("id", "s"), strategy: "oauth_discord",
			docs: []string{`{"id":"1","username":"u","verified":false,"email":"u@example.com"}`},
			want: latch.Identity{Issuer: "https://discord.com", Subject: "1", Username: "u", EmailAddress: "u@example.com"}},
		{preset: GitLab("id", "s"), strategy: "oauth_gitlab",
			claims: `{"iss":"https://gitlab.com","sub":"1234567","name":"Ada Lovelace","nickname":"ada","preferred_username":"ada","email":"ada@example.com","email_verified":true,"picture":"https://gitlab.com/uploads/a.png"}`,
			want:   latch.Identity{Subject: "1234567", Username: "ada", EmailAddress: "ada@example.com", EmailVerified: true, FirstName: "Ada", LastName: "Lovelace", ImageURL: "https://gitlab.com/uploads/a.png"}},
		{preset: LinkedIn("id", "s"), strategy: "oauth_linkedin_oidc",
			claims: `{"sub":"782bbtaQ","name":"John Doe","given_name":"John","family_name":"Doe","picture":"https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/","locale":"en-US","email":"doe@email.com","email_verified":true}`,
			want:   latch.Identity{Subject: "782bbtaQ", EmailAddress: "doe@email.com", EmailVerified: true, FirstName: "John", LastName: "Doe", ImageURL: "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/"}},
		{preset: Slack("id", "s"), strategy: "oauth_slack",
			claims: `{"ok":true,"sub":"U0R7JM","https://slack.com/user_id":"U0R7JM","https://slack.com/team_id":"T0R7GR","email":"krane@slack-corp.com","email_verified":true,"date_email_verified":1622128723,"name":"krane","picture":"https://secure.gravatar.com/avatar/x.jpg","given_name":"Bront","family_name":"Labradoodle","locale":"en-US"}`,
			want:   latch.Identity{Subject: "U0R7JM", EmailAddress: "krane@slack-corp.com", EmailVerified: true, FirstName: "Bront", LastName: "Labradoodle", ImageURL: "https://secure.gravatar.com/avatar/x.jpg"}},
		{preset: X("id", "s"), strategy: "oauth_x",
			docs: []string{`{"data":{"id":"2244994945","name":"X Dev","username":"TwitterDev","profile_image_url":"https://pbs.twimg.com/profile_images/1/x_normal.jpg"}}`},
			want: latch.Identity{Issuer: "https://x.com", Subject: "2244994945", Username: "TwitterDev", FirstName: "X", LastName: "Dev", ImageURL: "https://pbs.twimg.com/profile_images/1/x_normal.jpg"}},
		{preset: Twitch("id", "s"), strategy: "oauth_twitch",
			claims: `{"iss":"https://id.twitch.tv/oauth2","sub":"713936733","aud":"id","email":"dev@twitch.tv","email_verified":true,"preferred_username":"twitchdev","picture":"https://static-cdn.jtvnw.net/p.png"}`,
			want:   latch.Identity{Subject: "713936733", EmailAddress: "dev@twitch.tv", EmailVerified: true, Username: "twitchdev", ImageURL: "https://static-cdn.jtvnw.net/p.png"}},
		{preset: Spotify("id", "s"), strategy: "oauth_spotify",
			docs: []string{`{"country":"SE","display_name":"JM Wizzler","email":"email@example.com","id":"wizzler","images":[{"url":"https://i.scdn.co/image/ab67","height":300,"width":300}],"product":"premium","type":"user","uri":"spotify:user:wizzler"}`},
			want: latch.Identity{Issuer: "https://accounts.spotify.com", Subject: "wizzler", EmailAddress: "email@example.com", FirstName: "JM", LastName: "Wizzler", ImageURL: "https://i.scdn.co/image/ab67"}},
		{preset: Bitbucket("id", "s"), strategy: "oauth_bitbucket",
			docs: []string{`{"uuid":"{d301aafa-d676-4ee0-88be-962be7417567}","username":"evzijst","display_name":"Erik van Zijst","account_id":"557058:c0b72ad0","links":{"avatar":{"href":"https://bitbucket.org/account/evzijst/avatar/"}}}`,
				`{"pagelen":10,"values":[{"is_primary":false,"is_confirmed":true,"type":"email","email":"old@example.com"},{"is_primary":true,"is_confirmed":true,"type":"email","email":"erik@example.com"}],"page":1,"size":2}`},
			want: latch.Identity{Issuer: "https://bitbucket.org", Subject: "{d301aafa-d676-4ee0-88be-962be7417567}", Username: "evzijst", EmailAddress: "erik@example.com", EmailVerified: true,
				FirstName: "Erik", LastName: "van Zijst", ImageURL: "https://bitbucket.org/account/evzijst/avatar/"}},
		{preset: Dropbox("id", "s"), strategy: "oauth_dropbox",
			docs: []string{`{"account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","name":{"given_name":"Franz","surname":"Ferdinand","familiar_name":"Franz","display_name":"Franz Ferdinand (Personal)","abbreviated_name":"FF"},"email":"franz@dropbox.com","email_verified":true,"disabled":false,"profile_photo_url":"https://dl-web.dropbox.com/account_photo/get/dbaphid%3AAAHWGmIXV3sUuOmBfTz0wPsiqHUpBWvv3ZA"}`},
			want: latch.Identity{Issuer: "https://www.dropbox.com", Subject: "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc", EmailAddress: "franz@dropbox.com", EmailVerified: true,
				FirstName: "Franz", LastName: "Ferdinand", ImageURL: "https://dl-web.dropbox.com/account_photo/get/dbaphid%3AAAHWGmIXV3sUuOmBfTz0wPsiqHUpBWvv3ZA"}},
		{preset: Atlassian("id", "s"), strategy: "oauth_atlassian",
			docs: []string{`{"account_type":"atlassian","account_id":"112233aa-bb11-cc22-33dd-444444eeeeee","email":"mia@example.com","email_verified":true,"name":"Mia Krystof","picture":"https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/m.png","account_status":"active","nickname":"mkrystof","zoneinfo":"Australia/Sydney","locale":"en-US"}`},
			want: latch.Identity{Issuer: "https://auth.atlassian.com", Subject: "112233aa-bb11-cc22-33dd-444444eeeeee", EmailAddress: "mia@example.com", EmailVerified: true, Username: "mkrystof",
				FirstName: "Mia", LastName: "Krystof", ImageURL: "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/m.png"}},
		{preset: Notion("id", "s"), strategy: "oauth_notion",
			tokenExtra: `{"bot_id":"b","workspace_id":"w","owner":{"type":"user","user":{"object":"user","id":"e79a0b74-3aba-4149-9f74-0bb5791a6ee6","name":"Avocado Lovelace","avatar_url":"https://secure.notion-static.com/e6a352a8.jpg","type":"person","person":{"email":"avo@example.org"}}}}`,
			want: latch.Identity{Issuer: "https://api.notion.com", Subject: "e79a0b74-3aba-4149-9f74-0bb5791a6ee6", EmailAddress: "avo@example.org", FirstName: "Avocado", LastName: "Lovelace",
				ImageURL: "https://secure.notion-static.com/e6a352a8.jpg"}},
		{preset: HubSpot("id", "s"), strategy: "oauth_hubspot",
			docs: []string{`{"token":"CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4","user":"test@hubspot.com","hub_domain":"demo.hubapi.com","scopes":["oauth"],"hub_id":62515,"app_id":456,"expires_in":21588,"user_id":123,"token_type":"access"}`},
			want: latch.Identity{Issuer: "https://app.hubspot.com", Subject: "123", EmailAddress: "test@hubspot.com"}},
		{preset: Linear("id", "s"), strategy: "oauth_linear",
			docs: []string{`{"data":{"viewer":{"id":"2b0d6e0d-b2c6-4a7a-9cd4-9f5e7dd4b1d1","name":"Ada Lovelace","email":"ada@linear.app","avatarUrl":"https://public.linear.app/a.png"}}}`},
			want: latch.Identity{Issuer: "https://linear.app", Subject: "2b0d6e0d-b2c6-4a7a-9cd4-9f5e7dd4b1d1", EmailAddress: "ada@linear.app", FirstName: "Ada", LastName: "Lovelace", ImageURL: "https://public.linear.app/a.png"}},
		{preset: Box("id", "s"), strategy: "oauth_box",
			docs: []string{`{"id":"11446498","type":"user","name":"Aaron Levie","login":"ceo@example.com","avatar_url":"https://www.box.com/api/avatar/large/181216415","status":"active"}`},
			want: latch.Identity{Issuer: "https://account.box.com", Subject: "11446498", EmailAddress: "ceo@example.com", FirstName: "Aaron", LastName: "Levie", ImageURL: "https://www.box.com/api/avatar/large/181216415"}},
		{preset: Xero("id", "s"), strategy: "oauth_xero",
			claims: `{"iss":"https://identity.xero.com","sub":"a3a4dbafh3495a808ed7a7b964388f53","xero_userid":"fb4b0c74-9b5c-4e0c-9cb4-0b9c5e2d5d5a","given_name":"Jane","family_name":"Doe","email":"jane@example.com","preferred_username":"jane@example.com"}`,
			want:   latch.Identity{Subject: "a3a4dbafh3495a808ed7a7b964388f53", EmailAddress: "jane@example.com", Username: "jane@example.com", FirstName: "Jane", LastName: "Doe"}},
		{preset: Coinbase("id", "s"), strategy: "oauth_coinbase",
			docs: []string{`{"data":{"id":"9da7a204-544e-5fd1-9a12-61176c5d4cd8","name":"User One","username":"user1","profile_location":null,"avatar_url":"https://images.coinbase.com/avatar?h=1","resource":"user","email":"user1@example.com"}}`},
			want: latch.Identity{Issuer: "https://login.coinbase.com", Subject: "9da7a204-544e-5fd1-9a12-61176c5d4cd8", Username: "user1", EmailAddress: "user1@example.com",
				FirstName: "User", LastName: "One", ImageURL: "https://images.coinbase.com/avatar?h=1"}},
		{preset: LINE("id", "s"), strategy: "oauth_line",
			claims: `{"iss":"https://access.line.me","sub":"U1234567890abcdef1234567890abcdef","aud":"1234567890","exp":1504169092,"iat":1504263657,"nonce":"0987654asdf","amr":["pwd"],"name":"Taro Line","picture":"https://sample_line.me/aBcdefg123456","email":"taro.line@example.com"}`,
			want:   latch.Identity{Subject: "U1234567890abcdef1234567890abcdef", EmailAddress: "taro.line@example.com", FirstName: "Taro", LastName: "Line", ImageURL: "https://sample_line.me/aBcdefg123456"}},
		{preset: TikTok("key", "s"), strategy: "oauth_tiktok",
			docs: []string{`{"data":{"user":{"avatar_url":"https://p19-sign.tiktokcdn-us.com/a.jpeg","open_id":"723f24d7-e717-40f8-a2b6-cb8464cd23b4","union_id":"c9c60f44-a68e-4f5d-84dd-ce22faeb0ba1","display_name":"Tik Toker"}},"error":{"code":"ok","message":"","log_id":"20220829194722CBE87ED59D524E727021"}}`},
			want: latch.Identity{Issuer: "https://www.tiktok.com", Subject: "723f24d7-e717-40f8-a2b6-cb8464cd23b4", FirstName: "Tik", LastName: "Toker", ImageURL: "https://p19-sign.tiktokcdn-us.com/a.jpeg"}},
		{preset: HuggingFace("id", "s"), strategy: "oauth_huggingface",
			claims: `{"sub":"62eb2d1a8d4a1e3a0e1f1b2c","name":"Ada Lovelace","preferred_username":"ada","profile":"https://huggingface.co/ada","picture":"https://cdn-avatars.huggingface.co/a.png","email":"ada@example.com","email_verified":true}`,
			want:   latch.Identity{Subject: "62eb2d1a8d4a1e3a0e1f1b2c", Username: "ada", EmailAddress: "ada@example.com", EmailVerified: true, FirstName: "Ada", LastName: "Lovelace", ImageURL: "https://cdn-avatars.huggingface.co/a.png"}},
		{preset: OIDC("corp", "Corp", "https://idp.example", "id", "s"), strategy: "oauth_custom_corp",
			claims: `{"sub":"c1","email":"c@example.com","email_verified":true}`,
			want:   latch.Identity{Subject: "c1", EmailAddress: "c@example.com"}},
		{preset: OAuth2("forge", "Forge", "https://forge.example/auth", "https://forge.example/token", "https://forge.example/me", "id", "s",
			ClaimMapping{Subject: "user.id", Email: "user.mail", Name: "user.display"}), strategy: "oauth_custom_forge",
			claims: `{"user":{"id":42,"mail":"f@example.com","display":"Fay Forge"}}`,
			want:   latch.Identity{Subject: "42", EmailAddress: "f@example.com", FirstName: "Fay", LastName: "Forge"}},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.strategy, func(t *testing.T) {
			if got := c.preset.Strategy(); got != c.strategy {
				t.Fatalf("strategy %q, want %q", got, c.strategy)
			}
			seen[c.strategy] = true
			got := mapPreset(t, c.preset, c.claims, c.docs, c.tokenExtra)
			if *got != c.want {
				t.Fatalf("mapped\n %+v\nwant\n %+v", *got, c.want)
			}
		})
	}
	if len(seen) != 26 {
		t.Fatalf("%d presets and generics tested, want 24 + 2", len(seen))
	}
}

// A generic provider believes addresses only with VerifiesEmail, and then
// by its claim when it names one.
func TestGenericVerifiesEmailSwitch(t *testing.T) {
	doc := map[string]any{"sub": "1", "email": "a@example.com", "email_verified": "false"}
	for _, c := range []struct {
		p    Provider
		want bool
	}{
		{OIDC("k", "K", "https://i.example", "id", "s"), false},
		{func() Provider { p := OIDC("k", "K", "https://i.example", "id", "s"); p.VerifiesEmail = true; return p }(), false},
		{OAuth2("k", "K", "a", "t", "u", "id", "s", ClaimMapping{}), false},
		{func() Provider {
			p := OAuth2("k", "K", "a", "t", "u", "id", "s", ClaimMapping{})
			p.VerifiesEmail = true
			return p
		}(), true},
	} {
		id, err := (&provider{Provider: c.p}).mapClaims(doc)
		if err != nil || id.EmailVerified != c.want {
			t.Fatalf("%+v: verified %v, want %v (%v)", c.p, id.EmailVerified, c.want, err)
		}
	}
	for v, want := range map[any]bool{true: true, "true": true, " TRUE ": true, "false": false, false: false, "1": false, nil: false} {
		if truth(v) != want {
			t.Fatalf("truth(%#v) = %v", v, !want)
		}
	}
}

// FuzzMapClaims: a provider's user document is untrusted input; the
// mapping never panics, and an identity it returns has a subject.
func FuzzMapClaims(f *testing.F) {
	f.Add(`{"sub":"1","email":"a@b","email_verified":"true","name":"A B"}`)
	f.Add(`{"user":{"id":[1]}}`)
	p := &provider{Provider: OAuth2("k", "K", "a", "t", "u", "id", "s", ClaimMapping{Subject: "user.id"})}
	f.Fuzz(func(t *testing.T, s string) {
		var doc map[string]any
		if json.Unmarshal([]byte(s), &doc) != nil {
			return
		}
		if id, err := p.mapClaims(doc); err == nil && id.Subject == "" {
			t.Fatal("an identity without a subject")
		}
	})
}

// FuzzReadFormUser: Sign in with Apple's user field arrives in a
// cross-site POST anyone can forge; reading it never panics and sets only
// the names, never the address.
func FuzzReadFormUser(f *testing.F) {
	f.Add(`{"name":{"firstName":"Tim","lastName":"Apple"},"email":"x@example.com"}`)
	f.Add(`{"name":"x"}`)
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(url.Values{"user": {s}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		id := &latch.Identity{Subject: "s", EmailAddress: "signed@example.com"}
		readFormUser(r, id)
		if id.EmailAddress != "signed@example.com" || id.EmailVerified || id.Subject != "s" {
			t.Fatalf("the form changed %+v", id)
		}
	})
}
