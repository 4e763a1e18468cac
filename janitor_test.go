package latch_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// batchCounter counts the expiry deletes the janitor makes.
type batchCounter struct {
	storage.Store
	limits []int
}

func (b *batchCounter) DeleteExpiredFlows(ctx context.Context, before time.Time, limit int) (int, error) {
	b.limits = append(b.limits, limit)
	return b.Store.DeleteExpiredFlows(ctx, before, limit)
}

func TestJanitorDeletesInBoundedBatchesAndLeavesLiveFlows(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		counter := &batchCounter{Store: s}
		h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Store: counter,
			Janitor: latch.JanitorConfig{Disabled: true, Batch: 2, Grace: time.Hour}}})
		now := h.Clock.Now()
		n := 0
		flow := func(expires time.Duration) string {
			n++
			id := fmt.Sprintf("sia_%03d", n)
			if err := s.CreateFlow(ctx, &storage.Flow{ID: id, Kind: "sign_in", Status: "needs_identifier", Data: []byte(`{}`),
				ExpiresAt: now.Add(expires), CreatedAt: now, UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		var old []string
		for range 5 {
			old = append(old, flow(-2*time.Hour)) // expired beyond the grace period
		}
		recent, live := flow(-time.Minute), flow(time.Minute)
		code := &storage.Verification{ID: "ver_old", Purpose: "email_code", SecretHash: []byte{1}, ExpiresAt: now.Add(-2 * time.Hour), CreatedAt: now}
		used := &storage.Verification{ID: "ver_used", Purpose: "email_code", SecretHash: []byte{1}, ExpiresAt: now.Add(time.Minute), ConsumedAt: now, CreatedAt: now}
		for _, v := range []*storage.Verification{code, used} {
			if err := s.CreateVerification(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		res, err := h.Sweep(ctx)
		if err != nil || res != (latch.SweepResult{Flows: 5, Verifications: 1}) {
			t.Fatalf("Sweep = %+v, %v; want 5 flows and 1 verification", res, err)
		}
		if len(counter.limits) != 3 || counter.limits[0] != 2 {
			t.Errorf("flow deletes with limits %v, want three batches of at most 2", counter.limits)
		}
		for _, id := range old {
			if _, err := s.GetFlow(ctx, id); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("flow expired two hours ago: %v, want deleted", err)
			}
		}
		for _, id := range []string{recent, live} {
			if _, err := s.GetFlow(ctx, id); err != nil {
				t.Errorf("a live flow or one within the grace period was deleted: %v", err)
			}
		}
		if _, err := s.GetVerification(ctx, used.ID); err != nil {
			t.Errorf("a used verification that has not expired was deleted (a replay would no longer be refused as used): %v", err)
		}
	})
}

func TestJanitorSweepsInTheBackground(t *testing.T) {
	s := memStore()
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Store: s, Janitor: latch.JanitorConfig{Interval: time.Millisecond}}})
	now := h.Clock.Now()
	if err := s.CreateFlow(ctx, &storage.Flow{ID: "sia_old", Kind: "sign_in", Status: "needs_identifier", Data: []byte(`{}`),
		ExpiresAt: now.Add(-2 * time.Hour), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the janitor deletes the expired flow", func() bool {
		_, err := s.GetFlow(ctx, "sia_old")
		return errors.Is(err, storage.ErrNotFound)
	})
}
