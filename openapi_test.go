package latch

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/latchauth/latch/storage/memstore"
)

// TestOpenAPIDocumentsEveryRoute keeps /v1/openapi.json true: every route
// of Handler is in it, and it documents no route that does not exist.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                                        `json:"openapi"`
		Paths   map[string]map[string]struct{ Tags []string } `json:"paths"`
	}
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
	// The routes of the plugins shipped with the module (tagged MFA and
	// Passkeys) are documented here too; their own tests serve them.
	var documented []string
	for p, ops := range doc.Paths {
		for m, op := range ops {
			if !slices.Contains(op.Tags, "MFA") && !slices.Contains(op.Tags, "Passkeys") {
				documented = append(documented, m+" "+p)
			}
		}
	}
	sort.Strings(documented)
	for _, d := range documented {
		if !served[d] {
			t.Errorf("openapi.json documents %s, which Handler does not serve", d)
		}
	}
}
