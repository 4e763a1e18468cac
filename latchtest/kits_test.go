package latchtest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/token"
)

const password = "correct horse battery staple"

// TestSignUpSignsInOnTheBrowserItReturns: the user SignUp makes exists with
// a verified address, and the browser it returns is signed in as them.
func TestSignUpSignsInOnTheBrowserItReturns(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{BaseURL: "https://app.example"}})
	id, b := h.SignUp(t, "ada@example.com", password)
	u, err := h.GetUser(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.EmailAddresses) != 1 || !u.EmailAddresses[0].Verified {
		t.Fatalf("addresses %+v, want ada@example.com verified", u.EmailAddresses)
	}
	status, out := b.JSON(http.MethodGet, "/v1/me", nil)
	if status != http.StatusOK || out["id"] != id {
		t.Fatalf("GET /v1/me on the returned browser: %d %v, want user %s", status, out, id)
	}
}

// TestLastCodeAndLastLinkReadTheNewestMessage: a second code replaces the
// first, and links are read from the same recorder.
func TestLastCodeAndLastLinkReadTheNewestMessage(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{BaseURL: "https://app.example"}})
	h.SignUp(t, "ada@example.com", password)
	b := h.NewBrowser()
	_, out := b.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	sid, _ := out["id"].(string)
	prepare := func(strategy string) {
		t.Helper()
		if status, out := b.JSON(http.MethodPost, "/v1/client/sign_ins/"+sid+"/prepare_first_factor", map[string]any{"strategy": strategy}); status != http.StatusOK {
			t.Fatalf("prepare %s: %d %v", strategy, status, out)
		}
	}
	prepare("email_code")
	first := h.LastCode(t, "ada@example.com")
	prepare("email_code")
	second := h.LastCode(t, "Ada <ADA@example.com>")
	if first == second {
		t.Logf("two codes in a row are both %s (one chance in a million)", first)
	}
	status, out := b.JSON(http.MethodPost, "/v1/client/sign_ins/"+sid+"/attempt_first_factor", map[string]any{"strategy": "email_code", "code": second})
	if status != http.StatusOK || out["status"] != "complete" {
		t.Fatalf("the newest code does not sign in: %d %v", status, out)
	}
	prepareLink := h.NewBrowser()
	_, out = prepareLink.JSON(http.MethodPost, "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com"})
	lid, _ := out["id"].(string)
	prepareLink.JSON(http.MethodPost, "/v1/client/sign_ins/"+lid+"/prepare_first_factor", map[string]any{"strategy": "email_link"})
	if link := h.LastLink(t, "ada@example.com"); !strings.HasPrefix(link, "https://app.example/") {
		t.Fatalf("LastLink = %q, want a link to the app", link)
	}
}

// TestWithClaimsAnswersHas: Has reads the claims WithClaims put in, and
// nothing more.
func TestWithClaimsAnswersHas(t *testing.T) {
	ctx := latchtest.WithClaims(context.Background(), token.Claims{Subject: "user_1", SessionID: "sess_1", OrgRole: "org:admin"})
	if !latch.Has(ctx, latch.Role("org:admin")) {
		t.Error("Has(Role(org:admin)) = false with that role in the claims")
	}
	if latch.Has(ctx, latch.Role("org:member")) {
		t.Error("Has(Role(org:member)) = true without that role")
	}
	if s := latch.SessionFromContext(ctx); s == nil || s.UserID != "user_1" || s.ID != "sess_1" {
		t.Errorf("session %+v, want user_1 in sess_1", s)
	}
	if latch.Has(context.Background()) {
		t.Error("Has on a context without claims = true")
	}
}
