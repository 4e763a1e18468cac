package latch

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch/storage/memstore"
)

// openAPIDoc is what the tests read of an OpenAPI document.
type openAPIDoc struct {
	OpenAPI    string                                        `json:"openapi"`
	Paths      map[string]map[string]openAPIOperationForTest `json:"paths"`
	Components map[string]map[string]json.RawMessage         `json:"components"`
}

type openAPIOperationForTest struct {
	Responses   map[string]json.RawMessage `json:"responses"`
	RequestBody struct {
		Content map[string]struct {
			Schema struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
}

// TestOpenAPIDocumentsEveryRoute keeps /v1/openapi.json true: every route
// of Handler is in it, and it documents no route that does not exist. The
// plugins' routes are in their own fragments (e2e checks them together).
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json is not an OpenAPI 3 document: %v", err)
	}
	a, err := New(Config{Store: memstore.New()})
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range a.routes() {
		key := strings.ToLower(r.method) + " " + r.pattern
		served[key] = true
		if _, ok := doc.Paths[r.pattern][strings.ToLower(r.method)]; !ok {
			t.Errorf("route %s is not in openapi.json", key)
		}
	}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			if !served[m+" "+p] {
				t.Errorf("openapi.json documents %s %s, which Handler does not serve", m, p)
			}
			// limitBody answers every route that may take a body.
			if _, ok := op.Responses["413"]; m != "get" && !ok {
				t.Errorf("%s %s does not document 413", m, p)
			}
			if _, ok := op.Responses["415"]; m != "get" && !ok {
				t.Errorf("%s %s does not document 415", m, p)
			}
		}
	}
	for _, p := range []string{"/v1/client/sign_ins", "/v1/client/sign_ins/{id}/attempt_first_factor", "/v1/client/sign_ins/{id}/attempt_second_factor",
		"/v1/client/sign_ups/{id}/attempt_verification", "/v1/me/reverification/{id}/attempt"} {
		if _, ok := doc.Paths[p]["post"].Responses["422"]; !ok {
			t.Errorf("POST %s does not document factor_unexpected (422)", p)
		}
	}
	form := doc.Paths["/v1/verify"]["post"].RequestBody.Content["application/x-www-form-urlencoded"].Schema
	if _, ok := form.Properties["confirm"]; !ok || !slices.Equal(form.Properties["continue"].Enum, []string{continueHere, continueThere}) ||
		!slices.Equal(form.Required, []string{"token"}) {
		t.Errorf("POST /v1/verify's form fields: %+v", form)
	}
	if !strings.Contains(string(a.plugins.openAPI), "factor_unexpected") {
		t.Error("the document does not name factor_unexpected")
	}
}
