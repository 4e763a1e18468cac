package latch_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// TestPrivateMetadataNeverReachesTheUser follows Clerk's three kinds of
// metadata: public (the user reads it, the back end writes it), private
// (the back end only) and unsafe (the user reads and writes it). A user
// must never read what the back end keeps about them, nor write what the
// back end trusts.
func TestPrivateMetadataNeverReachesTheUser(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		e := newFlowEnv(t, latch.Config{Store: s})
		u, err := e.CreateUser(ctx, latch.CreateUserParams{
			EmailAddresses:  []string{"ada@example.com"},
			PublicMetadata:  json.RawMessage(`{"plan":"pro"}`),
			PrivateMetadata: json.RawMessage(`{"risk_note":"private-marker-7f3a"}`),
			UnsafeMetadata:  json.RawMessage(`{"theme":"dark"}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		latchtest.SignIn(t, e.Auth, b, u.ID)

		// Every answer the user's browser gets about the account: the JSON
		// API (GET and POST /v1/me, in JSON and as a form) and the account
		// page.
		raw := func(what string, res *http.Response) string {
			t.Helper()
			body, _ := io.ReadAll(res.Body)
			if strings.Contains(string(body), "private-marker-7f3a") || strings.Contains(string(body), "private_metadata") {
				t.Fatalf("%s shows private metadata: %s", what, body)
			}
			return string(body)
		}
		res := b.Get("/v1/me")
		me := raw("GET /v1/me", res)
		if res.StatusCode != 200 || !strings.Contains(me, `"public_metadata":{"plan":"pro"}`) || !strings.Contains(me, `"unsafe_metadata":{"theme":"dark"}`) {
			t.Fatalf("GET /v1/me: %d %s", res.StatusCode, me)
		}
		res = b.PostJSON("/v1/me", map[string]any{"first_name": "Ada", "unsafe_metadata": map[string]any{"lang": "fr", "theme": nil}})
		if got := raw("POST /v1/me", res); res.StatusCode != 200 || !strings.Contains(got, `"unsafe_metadata":{"lang":"fr"}`) || !strings.Contains(got, `"first_name":"Ada"`) {
			t.Fatalf("POST /v1/me with unsafe metadata: %d %s", res.StatusCode, got)
		}
		raw("the account page", b.Get("/user"))

		// The user may not write public or private metadata, in JSON or
		// in a form, alone or next to a field they may change.
		for _, body := range []map[string]any{
			{"public_metadata": map[string]any{"plan": "enterprise"}},
			{"private_metadata": map[string]any{"risk_note": "fine"}},
			{"first_name": "Eve", "public_metadata": map[string]any{"plan": "enterprise"}},
		} {
			code, out := b.JSON(http.MethodPost, "/v1/me", body)
			if code != http.StatusForbidden || errCode(out) != "forbidden" {
				t.Errorf("POST /v1/me %v: %d %v", body, code, out)
			}
		}
		if res := b.Post("/v1/me", map[string][]string{"public_metadata": {`{"plan":"enterprise"}`}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("form with public_metadata: %d", res.StatusCode)
		}

		// The back end still reads and writes all three, and nothing the
		// user sent changed what it trusts.
		got, err := e.GetUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !sameJSON(got.PublicMetadata, `{"plan":"pro"}`) || !sameJSON(got.PrivateMetadata, `{"risk_note":"private-marker-7f3a"}`) ||
			!sameJSON(got.UnsafeMetadata, `{"lang":"fr"}`) || got.FirstName != "Ada" {
			t.Fatalf("stored: public %s private %s unsafe %s first %q", got.PublicMetadata, got.PrivateMetadata, got.UnsafeMetadata, got.FirstName)
		}
	})
}

// sameJSON compares JSON values, not their spelling (PostgreSQL's jsonb
// spaces them its own way).
func sameJSON(got json.RawMessage, want string) bool {
	var g, w any
	return json.Unmarshal(got, &g) == nil && json.Unmarshal([]byte(want), &w) == nil && mustJSON(g) == mustJSON(w)
}
