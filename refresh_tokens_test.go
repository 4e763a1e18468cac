package latch_test

import (
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// TestRefreshTokenReplayInGraceDoesNotFork: a refresh token presented again
// within the grace period (a retry after a lost response, racing threads)
// gets the same successor as its first use, so the session keeps one chain
// of refresh tokens; presented later, it revokes the whole family.
func TestRefreshTokenReplayInGraceDoesNotFork(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		a := newApp(t, latch.Config{Store: s})
		u := a.user(t, "ada@example.com")
		sess := latchtest.SignIn(t, a.Auth, a.browser(), u.ID)
		rt0, err := a.NewRefreshToken(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, rt1, err := a.RefreshWithToken(ctx, rt0)
		if err != nil {
			t.Fatal(err)
		}
		a.Clock.Advance(2 * time.Second)
		jwt, again, err := a.RefreshWithToken(ctx, rt0)
		if err != nil || jwt == "" {
			t.Fatalf("retry within the grace period refused: %v", err)
		}
		if again != rt1 {
			t.Fatalf("retry within the grace period forked the chain: %q, first use gave %q", again, rt1)
		}

		// Racing requests with one token all get the one successor.
		const n = 8
		var wg sync.WaitGroup
		got := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, got[i], errs[i] = a.RefreshWithToken(ctx, rt1)
			}()
		}
		wg.Wait()
		rt2 := ""
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("racing refresh %d refused: %v", i, errs[i])
			}
			if rt2 == "" {
				rt2 = got[i]
			}
			if got[i] != rt2 || got[i] == rt1 {
				t.Fatalf("racing refreshes forked the chain: %q", got)
			}
		}
		_, rt3, err := a.RefreshWithToken(ctx, rt2)
		if err != nil {
			t.Fatal(err)
		}

		// Outside the grace period the old token is theft: everything goes.
		a.Clock.Advance(time.Minute)
		if _, _, err := a.RefreshWithToken(ctx, rt0); err == nil {
			t.Fatal("refresh token replayed after the grace period accepted")
		}
		for _, rt := range []string{rt1, rt2, rt3} {
			if _, _, err := a.RefreshWithToken(ctx, rt); err == nil {
				t.Fatalf("a refresh token of the family survived the replay: %q", rt)
			}
		}
		if st, err := a.Store.GetSession(ctx, sess.ID); err != nil || st.Status != storage.SessionRevoked {
			t.Errorf("session after the replay: %+v, %v", st, err)
		}
	})
}
