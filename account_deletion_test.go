package latch_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// TestAccountDeletionNeedsReverification: a session left open on a shared
// computer, or a stolen session cookie, must not be enough to destroy the
// account. Deleting it from the account page needs a factor verified in
// the last ReverificationWindow, like every other sensitive change; a
// stale session is sent to verify first, and the account stays.
func TestAccountDeletionNeedsReverification(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		ctx := context.Background()
		e := newFlowEnv(t, latch.Config{Store: s})
		b := e.browser()
		uid := e.SignUpOn(t, b, "ada@example.com", goodPassword)

		e.Clock.Advance(latch.ReverificationWindow + time.Minute)
		res := b.Post("/user?do=delete", nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/reverify?redirect_url=%2Fuser%3Ftab%3Dsecurity" {
			t.Fatalf("stale session deleting the account: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		if _, err := e.GetUser(ctx, uid); err != nil {
			t.Fatalf("the account was deleted without reverification: %v", err)
		}

		// Verify it is you (the password), then delete.
		res = b.Post("/reverify", url.Values{"intent": {"use_strategy"}, "strategy": {"password"}, "redirect_url": {"/user"}})
		next, _ := url.Parse(res.Header.Get("Location"))
		res = b.Post("/reverify", url.Values{"intent": {"attempt"}, "strategy": {"password"}, "password": {goodPassword},
			"reverification_id": {next.Query().Get("reverification_id")}, "redirect_url": {"/user"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/user" {
			t.Fatalf("reverification: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		res = b.Post("/user?do=delete", nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
			t.Fatalf("delete after reverification: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		if _, err := e.GetUser(ctx, uid); !errors.Is(err, latch.ErrNotFound) {
			t.Fatalf("account still there after deletion: %v", err)
		}
		if e.whoami(t, b) != "signed-out" {
			t.Error("still signed in after deleting the account")
		}
	})
}
