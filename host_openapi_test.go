package latch_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage/memstore"
)

// openAPIPlugin serves GET /v1/widgets and documents it with fragments.
func openAPIPlugin(fragments ...string) latch.Plugin {
	return funcPlugin(func(h *latch.Host) error {
		if err := h.Handle(latch.Route{Method: "GET", Pattern: "/v1/widgets", Handler: answer("[]")}); err != nil {
			return err
		}
		for _, f := range fragments {
			if err := h.AddOpenAPI([]byte(f)); err != nil {
				return err
			}
		}
		return nil
	})
}

const widgetsFragment = `{"paths": {"/v1/widgets": {"get": {"summary": "The user's widgets", "responses": {
	"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Widgets"}}}},
	"default": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}}}}}}},
 "components": {"schemas": {"Widgets": {"type": "array"}}, "examples": {"Widget": {"value": {}}}}}`

func servedOpenAPI(t *testing.T, a *latch.Auth) (raw string, doc struct {
	Paths      map[string]map[string]json.RawMessage
	Components map[string]map[string]json.RawMessage
}) {
	t.Helper()
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/openapi.json", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/openapi.json: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	return rec.Body.String(), doc
}

func TestOpenAPIFragmentIsServed(t *testing.T) {
	plain, kernel := servedOpenAPI(t, latchtest.New(t))
	raw, doc := servedOpenAPI(t, latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{openAPIPlugin(widgetsFragment)}}}).Auth)
	if _, ok := kernel.Paths["/v1/widgets"]; ok {
		t.Fatal("the path is served without the plugin")
	}
	if _, ok := doc.Paths["/v1/widgets"]["get"]; !ok {
		t.Error("the fragment's path is not served")
	}
	if _, ok := doc.Components["schemas"]["Widgets"]; !ok {
		t.Error("the fragment's schema is not served")
	}
	if _, ok := doc.Components["examples"]["Widget"]; !ok {
		t.Error("the fragment's own section of components is not served")
	}
	if len(doc.Paths) != len(kernel.Paths)+1 || len(doc.Components["schemas"]) != len(kernel.Components["schemas"])+1 {
		t.Errorf("assembled: %d paths and %d schemas, from %d and %d", len(doc.Paths), len(doc.Components["schemas"]),
			len(kernel.Paths), len(kernel.Components["schemas"]))
	}
	// The kernel's part keeps its order, and the plugin's paths follow it.
	if i, j := strings.Index(raw, `"/.well-known/jwks.json"`), strings.Index(raw, `"/v1/widgets"`); i < 0 || j < i || strings.Contains(plain, `"/v1/widgets"`) {
		t.Errorf("order of paths: jwks at %d, widgets at %d", i, j)
	}
}

func TestOpenAPIFragmentRefused(t *testing.T) {
	widgets := func(path string) string {
		return `{"paths": {"` + path + `": {"get": {"responses": {"200": {"description": "OK"}}}}}}`
	}
	for name, fragments := range map[string][]string{
		"not JSON":                     {`{"paths": `},
		"not an object":                {`["paths"]`},
		"no paths":                     {`{"components": {"schemas": {"Widgets": {}}}}`},
		"empty paths":                  {`{"paths": {}}`},
		"a member of the kernel's":     {`{"paths": {"/v1/widgets": {"get": {}}}, "info": {"title": "Widgets"}}`},
		"a path that is not a path":    {widgets("v1/widgets")},
		"an operation not an object":   {`{"paths": {"/v1/widgets": {"get": "list them"}}}`},
		"data after the object":        {widgets("/v1/widgets") + `{}`},
		"a member twice":               {`{"paths": {"/v1/widgets": {"get": {}}, "/v1/widgets": {"get": {}}}}`},
		"a kernel path":                {widgets("/v1/me")},
		"a kernel schema":              {widgets("/v1/widgets")[:len(widgets("/v1/widgets"))-1] + `, "components": {"schemas": {"Errors": {}}}}`},
		"a path another fragment has":  {widgets("/v1/widgets"), widgets("/v1/widgets")},
		"an operation no route serves": {`{"paths": {"/v1/widgets": {"post": {"responses": {"200": {"description": "OK"}}}}}}`},
		"a path no route serves":       {widgets("/v1/gadgets")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := latch.New(latch.Config{Store: memstore.New(), Secrets: [][]byte{[]byte(strings.Repeat("s", 32))},
				Plugins: []latch.Plugin{openAPIPlugin(fragments...)}})
			if err == nil {
				t.Fatal("New accepted the fragment")
			}
		})
	}
	if _, err := latch.New(latch.Config{Store: memstore.New(), Secrets: [][]byte{[]byte(strings.Repeat("s", 32))},
		Plugins: []latch.Plugin{openAPIPlugin(widgets("/v1/widgets"))}}); err != nil {
		t.Fatalf("a fragment of one path: %v", err)
	}
}
