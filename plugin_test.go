package latch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// hostPlugin keeps the Host it is given, to test the Host itself.
type hostPlugin struct{ h *latch.Host }

func (p *hostPlugin) Name() string                 { return "host" }
func (p *hostPlugin) Register(h *latch.Host) error { p.h = h; return nil }

// TestChallengeReplayAndCrossFlowUse: a challenge is redeemed once, only by
// the flow and purpose it was issued for, and not after five minutes,
// whatever TTL the plugin asked for.
func TestChallengeReplayAndCrossFlowUse(t *testing.T) {
	p := &hostPlugin{}
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{p}}})
	ctx := context.Background()
	for _, id := range []string{"sia_mine", "sia_theirs"} {
		now := a.Clock.Now()
		if err := a.Store.CreateFlow(ctx, &storage.Flow{ID: id, Kind: "sign_in", Status: "needs_second_factor", Data: []byte("{}"),
			ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	mine := &latch.Attempt{Purpose: latch.PurposeSignIn, FlowID: "sia_mine"}
	issue := func(ttl time.Duration) string {
		id, err := p.h.NewChallenge(ctx, mine, []byte(`{"challenge":"abc"}`), ttl)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	id := issue(time.Minute)
	for name, at := range map[string]*latch.Attempt{
		"another flow":    {Purpose: latch.PurposeSignIn, FlowID: "sia_theirs"},
		"another purpose": {Purpose: latch.PurposeEnrollment, FlowID: "sia_mine"},
	} {
		if _, err := p.h.ConsumeChallenge(ctx, at, id); !errors.Is(err, latch.ErrCodeExpired) {
			t.Errorf("%s redeemed it: %v", name, err)
		}
	}
	if data, err := p.h.ConsumeChallenge(ctx, mine, id); err != nil || string(data) != `{"challenge":"abc"}` {
		t.Fatalf("own flow: %q %v", data, err)
	}
	if _, err := p.h.ConsumeChallenge(ctx, mine, id); !errors.Is(err, latch.ErrCodeExpired) {
		t.Errorf("redeemed twice: %v", err)
	}
	long := issue(time.Hour)
	a.Clock.Advance(5*time.Minute + time.Second)
	if _, err := p.h.ConsumeChallenge(ctx, mine, long); !errors.Is(err, latch.ErrCodeExpired) {
		t.Errorf("redeemed after five minutes: %v", err)
	}
}

// TestSealedDataBoundToPurposeAndRotatable: what a plugin seals opens only
// for its purpose, and still opens after a new secret is put first.
func TestSealedDataBoundToPurposeAndRotatable(t *testing.T) {
	old, next := []byte("an old secret of thirty-two bytes!"), []byte("a new secret of thirty-two bytes!!")
	p := &hostPlugin{}
	latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Secrets: [][]byte{old}, Plugins: []latch.Plugin{p}}})
	sealed, kid, err := p.h.Seal("totp-seed", []byte("seed"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.h.Open("backup-codes", kid, sealed); err == nil {
		t.Error("opened for another purpose")
	}
	rotated := &hostPlugin{}
	latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Secrets: [][]byte{next, old}, Plugins: []latch.Plugin{rotated}}})
	if plain, err := rotated.h.Open("totp-seed", kid, sealed); err != nil || string(plain) != "seed" {
		t.Errorf("after rotation: %q %v", plain, err)
	}
}

// TestRecoveryCodesDoNotCountAsTheFactorKept: what would remain of a user's
// second factors if one went leaves recovery factors out, so that no plugin
// lets a required user keep backup codes alone.
func TestRecoveryCodesDoNotCountAsTheFactorKept(t *testing.T) {
	host, app, codes := &hostPlugin{}, newCodePlugin(), newCodePlugin()
	codes.name, codes.recovery = "test_backup", true
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Plugins: []latch.Plugin{host, app, codes}})
	uid := e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	app.enroll(uid)
	codes.enroll(uid)
	ctx := context.Background()
	if others, err := host.h.OtherSecondFactors(ctx, uid, "test_code"); err != nil || len(others) != 0 {
		t.Errorf("besides the app: %v %v, want nothing (codes only stand in)", others, err)
	}
	if others, err := host.h.OtherSecondFactors(ctx, uid, "test_backup"); err != nil || len(others) != 1 || others[0] != "test_code" {
		t.Errorf("besides the codes: %v %v, want the app", others, err)
	}
}
