package e2e

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/passkeys"
	"github.com/latchauth/latch/sso"
)

// TestOpenAPIDocumentsThePlugins keeps /v1/openapi.json true for an app
// with the plugins the module ships, in each configuration: each route
// served is documented, and each route documented is served, so that a
// plugin (or one of its factors) that is off is absent. (The kernel's own
// test checks it without plugins; it cannot import them.)
func TestOpenAPIDocumentsThePlugins(t *testing.T) {
	for name, plugins := range map[string][]latch.Plugin{
		"none":                   nil,
		"mfa":                    {mfa.New(mfa.Config{})},
		"mfa with code factors":  {mfa.New(mfa.Config{SMSCode: true, EmailCode: true})},
		"mfa with texted codes":  {mfa.New(mfa.Config{SMSCode: true})},
		"passkeys":               {passkeys.New(passkeys.Config{})},
		"mfa and passkeys":       {mfa.New(mfa.Config{SMSCode: true, EmailCode: true}), passkeys.New(passkeys.Config{})},
		"passkeys, then the mfa": {passkeys.New(passkeys.Config{}), mfa.New(mfa.Config{EmailCode: true})},
		"social sign-in":         {sso.New(sso.Config{Providers: []sso.Provider{sso.GitHub("id", "secret")}})},
	} {
		t.Run(name, func(t *testing.T) { checkOpenAPI(t, plugins) })
	}
}

func checkOpenAPI(t *testing.T, plugins []latch.Plugin) {
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{BaseURL: "http://localhost:8080", Plugins: plugins}}).Auth
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components map[string]map[string]json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`"#/components/([A-Za-z]+)/([A-Za-z0-9_.-]+)"`)
	for _, ref := range refs.FindAllSubmatch(body, -1) {
		if _, ok := doc.Components[string(ref[1])][string(ref[2])]; !ok {
			t.Errorf("%s refers to a component the document does not have", ref[0])
		}
	}
	served := map[string]bool{}
	for _, r := range a.Routes() {
		served[r] = true
		method, pattern, _ := strings.Cut(r, " ")
		if _, ok := doc.Paths[pattern][strings.ToLower(method)]; !ok {
			t.Errorf("%s is served but not documented", r)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if r := strings.ToUpper(m) + " " + p; !served[r] {
				t.Errorf("%s is documented but not served", r)
			}
		}
	}
}
