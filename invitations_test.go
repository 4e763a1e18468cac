package latch_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// TestRefusedSignUpKeepsTheInvitation: an invitation (or a waitlist
// approval, which is one) is spent in the transaction that creates the
// account, not at the first attempt: a sign-up refused for a weak
// password can be retried with the same link, and once the account exists
// the link is spent.
func TestRefusedSignUpKeepsTheInvitation(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		e := newFlowEnv(t, latch.Config{Store: s, SignUp: latch.SignUpConfig{Mode: latch.SignUpWaitlist}})
		ticketFor := func(t *testing.T, email string) string {
			t.Helper()
			link, _ := url.Parse(e.LastLink(t, email))
			return link.Query().Get("ticket")
		}

		t.Run("invitation, JSON API", func(t *testing.T) {
			if _, err := e.CreateInvitation(ctx, "ada@example.com", 0); err != nil {
				t.Fatal(err)
			}
			ticket := ticketFor(t, "ada@example.com")
			b := e.browser()
			out, code := call(t, b, "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": "password"})
			if code != 422 || out["id"] != nil {
				t.Fatalf("a weak password: %d %v", code, out)
			}
			out, code = call(t, b, "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": goodPassword})
			mustStatus(t, out, code, "complete")
			if out, _ := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": goodPassword}); errCode(out) != "invitation_invalid" {
				t.Fatalf("the invitation worked after the account was made: %v", out)
			}
		})

		t.Run("waitlist approval, refused in a later step", func(t *testing.T) {
			if err := e.JoinWaitlist(ctx, "bob@example.com"); err != nil {
				t.Fatal(err)
			}
			entries, _, err := e.ListWaitlist(ctx, storage.Page{})
			if err != nil || len(entries) != 1 {
				t.Fatalf("waitlist: %v %v", entries, err)
			}
			if _, err := e.ApproveWaitlistEntry(ctx, entries[0].ID); err != nil {
				t.Fatal(err)
			}
			ticket := ticketFor(t, "bob@example.com")
			b := e.browser()
			out, code := call(t, b, "/v1/client/sign_ups", map[string]any{"ticket": ticket})
			mustStatus(t, out, code, "missing_requirements")
			id := out["id"].(string)
			if out, code := call(t, b, "/v1/client/sign_ups/"+id, map[string]any{"password": "12345678"}); code == 200 {
				t.Fatalf("a weak password: %v", out)
			}
			// A second sign-up with the same link, refused too, and then
			// the first one completes.
			if out, code := call(t, e.browser(), "/v1/client/sign_ups", map[string]any{"ticket": ticket, "password": "qwertyuiop"}); code == 200 {
				t.Fatalf("a weak password: %v", out)
			}
			out, code = call(t, b, "/v1/client/sign_ups/"+id, map[string]any{"password": goodPassword})
			mustStatus(t, out, code, "complete")
			if _, err := e.GetUserByEmailAddress(ctx, "bob@example.com"); err != nil {
				t.Fatalf("no account: %v", err)
			}
		})

		t.Run("two sign-ups, one invitation", func(t *testing.T) {
			if _, err := e.CreateInvitation(ctx, "cy@example.com", 0); err != nil {
				t.Fatal(err)
			}
			ticket := ticketFor(t, "cy@example.com")
			first, second := e.browser(), e.browser()
			out, _ := call(t, first, "/v1/client/sign_ups", map[string]any{"ticket": ticket})
			id1 := out["id"].(string)
			out, _ = call(t, second, "/v1/client/sign_ups", map[string]any{"ticket": ticket})
			id2 := out["id"].(string)
			out, code := call(t, second, "/v1/client/sign_ups/"+id2, map[string]any{"password": goodPassword})
			mustStatus(t, out, code, "complete")
			if out, code := call(t, first, "/v1/client/sign_ups/"+id1, map[string]any{"password": goodPassword}); code == 200 {
				t.Fatalf("the spent invitation made a second account: %v", out)
			}
		})

		t.Run("hosted sign-up page", func(t *testing.T) {
			if _, err := e.CreateInvitation(ctx, "dee@example.com", 0); err != nil {
				t.Fatal(err)
			}
			ticket := ticketFor(t, "dee@example.com")
			b := e.browser()
			if res := b.Post("/sign-up", url.Values{"intent": {"sign_up"}, "ticket": {ticket}, "password": {"password"}}); res.StatusCode != 422 {
				t.Fatalf("a weak password on the page: %d", res.StatusCode)
			}
			res := b.Post("/sign-up", url.Values{"intent": {"sign_up"}, "ticket": {ticket}, "password": {goodPassword}})
			if res.StatusCode != 303 || e.whoami(t, b) == "signed-out" {
				t.Fatalf("the retry on the page: %d %q", res.StatusCode, res.Header.Get("Location"))
			}
		})
	})
}
