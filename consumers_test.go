package latch_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
)

// fastEvents makes consumers poll and retry on a scale of milliseconds.
var fastEvents = latch.EventsConfig{PollInterval: 5 * time.Millisecond, RetryMin: time.Millisecond, RetryMax: 4 * time.Millisecond}

// instance is one Latch process on the shared store s, with the shared
// clock.
func instance(t *testing.T, s storage.Store, clock *latchtest.Clock, events latch.EventsConfig) *latchtest.Harness {
	t.Helper()
	return latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Store: s, Clock: clock.Now, Events: events,
		Janitor: latch.JanitorConfig{Disabled: true}}})
}

// createUsers commits n user.created events through a and returns their
// IDs in commit order.
func createUsers(t *testing.T, a *latch.Auth, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		u, err := a.CreateUser(ctx, latch.CreateUserParams{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	return ids
}

// userOf returns the user ID an event's Data carries.
func userOf(e latch.Event) string {
	var v struct{ ID string }
	_ = json.Unmarshal(e.Data, &v)
	return v.ID
}

// recorder records deliveries, safely for concurrent handlers.
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestConsumerKilledMidDeliveryRedeliversOnRestartInOrder(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		clock := latchtest.NewClock(latchtest.Start)
		first := instance(t, s, clock, fastEvents)
		var before, after recorder
		stuck := make(chan struct{})
		err := first.Consume("test.sink", func(ctx context.Context, e latch.Event) error {
			if len(before.all()) == 2 {
				close(stuck)
				<-ctx.Done() // the process dies with the third event in hand
				return ctx.Err()
			}
			before.add(userOf(e))
			return nil
		}, latch.EventUserCreated)
		if err != nil {
			t.Fatal(err)
		}
		users := createUsers(t, first.Auth, 5)
		<-stuck
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		second := instance(t, s, clock, fastEvents)
		if err := second.Consume("test.sink", func(_ context.Context, e latch.Event) error {
			after.add(userOf(e))
			return nil
		}, latch.EventUserCreated); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the restarted consumer catches up", func() bool { return len(after.all()) >= 3 })
		if got := before.all(); !slices.Equal(got, users[:2]) {
			t.Errorf("before the restart the consumer handled %v, want %v", got, users[:2])
		}
		if got := after.all(); !slices.Equal(got, users[2:]) {
			t.Errorf("after the restart the consumer handled %v, want the rest in order from the event in hand: %v", got, users[2:])
		}
	})
}

func TestConsumerLeaseOfCrashedInstanceLapsesThenAnotherTakesOver(t *testing.T) {
	s := memStore()
	clock := latchtest.NewClock(latchtest.Start)
	a := instance(t, s, clock, fastEvents)
	// An instance took the consumer and crashed without releasing it.
	if _, err := s.AcquireConsumer(ctx, "test.sink", storage.ConsumerLease{Owner: "crashed", At: clock.Now(), Until: clock.Now().Add(30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	var got recorder
	if err := a.Consume("test.sink", func(_ context.Context, e latch.Event) error { got.add(e.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	createUsers(t, a.Auth, 1)
	time.Sleep(50 * time.Millisecond)
	if n := len(got.all()); n != 0 {
		t.Fatalf("delivered %d events while another instance held the lease", n)
	}
	clock.Advance(31 * time.Second)
	waitFor(t, "the lapsed lease is taken over", func() bool { return len(got.all()) == 1 })
}

func TestFailingConsumerIsRetriedWithBackoffAndDoesNotBlockAnother(t *testing.T) {
	cfg := latch.EventsConfig{PollInterval: 5 * time.Millisecond, RetryMin: 40 * time.Millisecond, RetryMax: 100 * time.Millisecond}
	a := instance(t, memStore(), latchtest.NewClock(latchtest.Start), cfg)
	var healthy, failing recorder
	var attempts []time.Time
	var healthyAtSuccess int
	if err := a.Consume("test.failing", func(_ context.Context, e latch.Event) error {
		attempts = append(attempts, time.Now())
		switch len(attempts) {
		case 1:
			panic("the handler's bug")
		case 2, 3:
			return errors.New("downstream unavailable")
		case 4:
			healthyAtSuccess = len(healthy.all())
		}
		failing.add(userOf(e))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.Consume("test.healthy", func(_ context.Context, e latch.Event) error { healthy.add(userOf(e)); return nil }); err != nil {
		t.Fatal(err)
	}
	users := createUsers(t, a.Auth, 3)
	waitFor(t, "the failing consumer recovers", func() bool { return len(failing.all()) == 3 })
	if got := failing.all(); !slices.Equal(got, users) {
		t.Errorf("the failing consumer handled %v, want %v: the failed event again, then the others in order", got, users)
	}
	if got := healthy.all(); !slices.Equal(got, users) {
		t.Errorf("the healthy consumer handled %v, want %v", got, users)
	}
	if healthyAtSuccess != 3 {
		t.Errorf("the healthy consumer had handled %d of 3 events when the failing one first succeeded: it was held up", healthyAtSuccess)
	}
	// Waits of 40, 80 and then 100 ms (the cap) between the attempts at
	// the first event.
	for i, want := range []time.Duration{40 * time.Millisecond, 80 * time.Millisecond, 100 * time.Millisecond} {
		if gap := attempts[i+1].Sub(attempts[i]); gap < want {
			t.Errorf("attempt %d came %v after the previous one, want at least %v", i+2, gap, want)
		}
	}
}

func TestConsumerLeaseKeepsTwoInstancesFromDeliveringAtOnce(t *testing.T) {
	stores.Each(t, func(t *testing.T, s storage.Store) {
		clock := latchtest.NewClock(latchtest.Start)
		var inside, overlaps atomic.Int32
		var got recorder
		handler := func() latch.ConsumerFunc {
			return func(_ context.Context, e latch.Event) error {
				if inside.Add(1) > 1 {
					overlaps.Add(1)
				}
				time.Sleep(2 * time.Millisecond)
				got.add(userOf(e))
				inside.Add(-1)
				return nil
			}
		}
		a, b := instance(t, s, clock, fastEvents), instance(t, s, clock, fastEvents)
		for _, in := range []*latchtest.Harness{a, b} {
			if err := in.Consume("test.shared", handler()); err != nil {
				t.Fatal(err)
			}
		}
		var users []string
		for i := range 8 {
			users = append(users, createUsers(t, []*latchtest.Harness{a, b}[i%2].Auth, 1)...)
		}
		waitFor(t, "every event is delivered", func() bool { return len(got.all()) >= len(users) })
		if n := overlaps.Load(); n > 0 {
			t.Errorf("two instances delivered the consumer's events at the same time %d times", n)
		}
		if g := got.all(); !slices.Equal(g, users) {
			t.Errorf("delivered %v, want each event once in commit order %v", g, users)
		}
	})
}

func TestConsumerOfSomeTypesSkipsTheOthers(t *testing.T) {
	a := instance(t, memStore(), latchtest.NewClock(latchtest.Start), fastEvents)
	var got recorder
	if err := a.Consume("test.deletions", func(_ context.Context, e latch.Event) error { got.add(e.Type + " " + userOf(e)); return nil },
		latch.EventUserDeleted); err != nil {
		t.Fatal(err)
	}
	users := createUsers(t, a.Auth, 2)
	if err := a.DeleteUser(ctx, users[1]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deletion is delivered", func() bool { return len(got.all()) == 1 })
	time.Sleep(20 * time.Millisecond)
	if g := got.all(); !slices.Equal(g, []string{latch.EventUserDeleted + " " + users[1]}) {
		t.Errorf("delivered %v, want only the deletion", g)
	}
}

func TestConsumerNamesAreCheckedAtRegistration(t *testing.T) {
	a := latchtest.New(t)
	ok := func(context.Context, latch.Event) error { return nil }
	for _, name := range []string{"", "Upper", "with space", ".dot", "a/b", string(make([]byte, 101))} {
		if err := a.Consume(name, ok); err == nil {
			t.Errorf("consumer name %q accepted", name)
		}
	}
	if err := a.Consume("webhooks.deliver", ok); err != nil {
		t.Fatal(err)
	}
	if err := a.Consume("webhooks.deliver", ok); err == nil {
		t.Error("a consumer name registered twice was accepted")
	}
	if err := a.Consume("other", nil); err == nil {
		t.Error("a consumer without a handler was accepted")
	}
	a.Close()
	if err := a.Consume("late", ok); err == nil {
		t.Error("a consumer added after Close was accepted")
	}
}

func TestEventCommittedWithoutSubscriberStaysPendingForAnotherInstance(t *testing.T) {
	s := memStore()
	clock := latchtest.NewClock(latchtest.Start)
	quiet, listening := instance(t, s, clock, latch.EventsConfig{}), instance(t, s, clock, latch.EventsConfig{})
	var got []string
	listening.Subscribe(func(_ context.Context, e latch.Event) { got = append(got, userOf(e)) })
	users := createUsers(t, quiet.Auth, 1) // no subscriber in this process
	if n, err := listening.DispatchPending(ctx); err != nil || n != 1 || !slices.Equal(got, users) {
		t.Errorf("DispatchPending on the subscribed instance = %d, %v, delivered %v; want the event the other instance committed", n, err, got)
	}
}
