package e2e

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/passkeys"
)

// TestOpenAPIDocumentsThePlugins keeps /v1/openapi.json true for an app
// with every plugin the module ships: each route served is documented, and
// each route documented is served. (The kernel's own test checks it
// without plugins; it cannot import them.)
func TestOpenAPIDocumentsThePlugins(t *testing.T) {
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{BaseURL: "http://localhost:8080",
		Plugins: []latch.Plugin{mfa.New(mfa.Config{SMSCode: true, EmailCode: true}), passkeys.New(passkeys.Config{})}}}).Auth
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
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
