package storagetest

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/latchauth/latch/storage"
)

// outboxTests check the positions AppendEvent gives and the reads of
// durable consumers.
func outboxTests() []test {
	return group("Outbox",
		test{"AppendEvent numbers events and ListEventsAfterSeq reads after a position", func(e *env) {
			var evs []*storage.Event
			for range 4 {
				evs = append(evs, create(e, e.s.AppendEvent, newEvent("user.updated")))
			}
			for i := 1; i < len(evs); i++ {
				if evs[i].Seq <= evs[i-1].Seq {
					e.t.Fatalf("AppendEvent must set increasing Seq: %d then %d", evs[i-1].Seq, evs[i].Seq)
				}
			}
			after := func(seq int64, limit int) []string {
				return ids(must(e.s.ListEventsAfterSeq(e.ctx, seq, limit))(e))
			}
			e.sameIDs("ListEventsAfterSeq from the start", after(0, 10), ids(evs))
			e.sameIDs("ListEventsAfterSeq after a position", after(evs[1].Seq, 10), ids(evs[2:]))
			e.sameIDs("ListEventsAfterSeq limit", after(evs[0].Seq, 2), ids(evs[1:3]))
			e.sameIDs("ListEventsAfterSeq at the end", after(evs[3].Seq, 10), nil)
			got := must(e.s.ListEventsAfterSeq(e.ctx, evs[2].Seq, 1))(e)
			if len(got) != 1 || got[0].Seq != evs[3].Seq {
				e.t.Errorf("ListEventsAfterSeq must return Seq: got %+v", got)
			}
		}},
		test{"a rolled-back AppendEvent leaves no event", func(e *env) {
			first := create(e, e.s.AppendEvent, newEvent("user.created"))
			lost := newEvent("user.created")
			err := e.s.InTx(e.ctx, func(q storage.Querier) error {
				e.ok(q.AppendEvent(e.ctx, lost), "AppendEvent in a transaction")
				return errBoom
			})
			e.is(err, errBoom, "InTx")
			last := create(e, e.s.AppendEvent, newEvent("user.created"))
			e.sameIDs("ListEventsAfterSeq after a rollback", ids(must(e.s.ListEventsAfterSeq(e.ctx, 0, 10))(e)), []string{first.ID, last.ID})
		}},
		test{"ListEventsAfterSeq never skips an event that commits late", func(e *env) {
			// Writers append and then dawdle before committing; a reader
			// that moves its cursor to the last event it saw must still
			// see every event, as a durable consumer does.
			const writers = 8
			var wg sync.WaitGroup
			done := make(chan struct{})
			var want []string
			var mu sync.Mutex
			for i := range writers {
				wg.Go(func() {
					for j := range 5 {
						ev := newEvent("user.updated")
						err := e.s.InTx(e.ctx, func(q storage.Querier) error {
							if err := q.AppendEvent(e.ctx, ev); err != nil {
								return err
							}
							time.Sleep(time.Duration((i+j)%3) * time.Millisecond)
							return nil
						})
						if err != nil {
							e.t.Errorf("InTx: %v", err)
							return
						}
						mu.Lock()
						want = append(want, ev.ID)
						mu.Unlock()
					}
				})
			}
			go func() { wg.Wait(); close(done) }()
			var seen []string
			var cursor int64
			read := func() {
				evs, err := e.s.ListEventsAfterSeq(e.ctx, cursor, 3)
				if err != nil {
					e.t.Fatalf("ListEventsAfterSeq: %v", err)
				}
				for _, ev := range evs {
					seen = append(seen, ev.ID)
					cursor = ev.Seq
				}
			}
		loop:
			for {
				select {
				case <-done:
					break loop
				default:
					read()
				}
			}
			for n := -1; n != len(seen); {
				n = len(seen)
				read()
			}
			slices.Sort(want)
			slices.Sort(seen)
			if !slices.Equal(seen, want) {
				e.t.Errorf("a reader following its cursor saw %d events of %d: an event committed after a later one was skipped", len(seen), len(want))
			}
		}},
	)
}

func lease(owner string, now, until time.Duration) storage.ConsumerLease {
	return storage.ConsumerLease{Owner: owner, At: at(now), Until: atB(until)}
}

// consumerTests check the cursors and leases of durable consumers.
func consumerTests() []test {
	return group("Consumers",
		test{"AcquireConsumer creates a consumer at the end of the outbox", func(e *env) {
			create(e, e.s.AppendEvent, newEvent("user.created"))
			last := create(e, e.s.AppendEvent, newEvent("user.created"))
			c := must(e.s.AcquireConsumer(e.ctx, "search", lease("a", 0, time.Minute)))(e)
			want := &storage.Consumer{Name: "search", Cursor: last.Seq, LeaseOwner: "a", LeaseUntil: atB(time.Minute), CreatedAt: at(0), UpdatedAt: at(0)}
			e.same("AcquireConsumer of a new consumer", c, want)
			next := create(e, e.s.AppendEvent, newEvent("user.created"))
			e.ok(e.s.AdvanceConsumer(e.ctx, "search", next.Seq, lease("a", time.Second, 2*time.Minute)), "AdvanceConsumer")
			e.ok(e.s.ReleaseConsumer(e.ctx, "search", "a"), "ReleaseConsumer")
			c = must(e.s.AcquireConsumer(e.ctx, "search", lease("b", 2*time.Second, 3*time.Minute)))(e)
			want = &storage.Consumer{Name: "search", Cursor: next.Seq, LeaseOwner: "b", LeaseUntil: atB(3 * time.Minute), CreatedAt: at(0), UpdatedAt: at(2 * time.Second)}
			e.same("the cursor survives the lease", c, want)
		}},
		test{"the lease keeps other owners out until it lapses", func(e *env) {
			must(e.s.AcquireConsumer(e.ctx, "mail", lease("a", 0, time.Minute)))(e)
			_, err := e.s.AcquireConsumer(e.ctx, "mail", lease("b", 30*time.Second, 2*time.Minute))
			e.is(err, storage.ErrConsumed, "AcquireConsumer while another owner holds the lease")
			must(e.s.AcquireConsumer(e.ctx, "other", lease("b", 30*time.Second, 2*time.Minute)))(e)
			must(e.s.AcquireConsumer(e.ctx, "mail", lease("a", 30*time.Second, 2*time.Minute)))(e)
			_, err = e.s.AcquireConsumer(e.ctx, "mail", lease("b", time.Minute, 3*time.Minute))
			e.is(err, storage.ErrConsumed, "AcquireConsumer before the renewed lease lapses")
			c := must(e.s.AcquireConsumer(e.ctx, "mail", lease("b", 2*time.Minute, 3*time.Minute)))(e)
			if c.LeaseOwner != "b" {
				e.t.Errorf("AcquireConsumer after the lease lapsed: owner %q, want b", c.LeaseOwner)
			}
			e.is(e.s.AdvanceConsumer(e.ctx, "mail", 0, lease("a", 2*time.Minute, 4*time.Minute)), storage.ErrConsumed,
				"AdvanceConsumer by an owner whose lease was taken over")
			e.ok(e.s.ReleaseConsumer(e.ctx, "mail", "a"), "ReleaseConsumer by an owner who does not hold the lease")
			_, err = e.s.AcquireConsumer(e.ctx, "mail", lease("a", 2*time.Minute, 4*time.Minute))
			e.is(err, storage.ErrConsumed, "ReleaseConsumer by another owner must not free the lease")
		}},
		test{"AdvanceConsumer never moves the cursor back", func(e *env) {
			ev := create(e, e.s.AppendEvent, newEvent("user.created"))
			must(e.s.AcquireConsumer(e.ctx, "c", lease("a", 0, time.Minute)))(e)
			ev2 := create(e, e.s.AppendEvent, newEvent("user.created"))
			e.ok(e.s.AdvanceConsumer(e.ctx, "c", ev2.Seq, lease("a", 0, time.Minute)), "AdvanceConsumer")
			e.ok(e.s.AdvanceConsumer(e.ctx, "c", ev2.Seq, lease("a", 0, time.Minute)), "AdvanceConsumer to the same position")
			e.is(e.s.AdvanceConsumer(e.ctx, "c", ev.Seq, lease("a", 0, time.Minute)), storage.ErrConsumed, "AdvanceConsumer backwards")
			e.is(e.s.AdvanceConsumer(e.ctx, "missing", ev.Seq, lease("a", 0, time.Minute)), storage.ErrNotFound, "AdvanceConsumer of a missing consumer")
			e.ok(e.s.ReleaseConsumer(e.ctx, "missing", "a"), "ReleaseConsumer of a missing consumer")
		}},
		test{"AcquireConsumer concurrent owners exactly one wins", func(e *env) {
			e.exactlyOne("AcquireConsumer", race(n, func(i int) error {
				_, err := e.s.AcquireConsumer(e.ctx, "race", lease(fmt.Sprint("owner", i), 0, time.Minute))
				return err
			}), storage.ErrConsumed)
		}},
	)
}

// janitorTests check the bounded deletes of expired records.
func janitorTests() []test {
	return group("Janitor",
		test{"DeleteExpiredFlows deletes in bounded batches and keeps live flows", func(e *env) {
			var live []string
			for i := range 7 {
				f := newFlow()
				f.ExpiresAt = at(time.Duration(i-5) * time.Minute) // five expired, two live
				create(e, e.s.CreateFlow, f)
				if i >= 5 {
					live = append(live, f.ID)
				}
			}
			for _, want := range []int{2, 2, 1, 0} {
				if n := must(e.s.DeleteExpiredFlows(e.ctx, at(0), 2))(e); n != want {
					e.t.Errorf("DeleteExpiredFlows(limit 2) = %d, want %d", n, want)
				}
			}
			for _, id := range live {
				must(e.s.GetFlow(e.ctx, id))(e)
			}
		}},
		test{"DeleteExpiredVerifications deletes in bounded batches and keeps live ones", func(e *env) {
			var live []string
			for i := range 6 {
				v := newVerification("email_code")
				v.ExpiresAt = at(time.Duration(i-3) * time.Minute) // three expired, three live
				create(e, e.s.CreateVerification, v)
				if i >= 3 {
					live = append(live, v.ID)
					must(e.s.ConsumeVerification(e.ctx, v.ID, at(-time.Hour)))(e) // consumed but not expired: kept
				}
			}
			for _, want := range []int{2, 1, 0} {
				if n := must(e.s.DeleteExpiredVerifications(e.ctx, at(0), 2))(e); n != want {
					e.t.Errorf("DeleteExpiredVerifications(limit 2) = %d, want %d", n, want)
				}
			}
			for _, id := range live {
				must(e.s.GetVerification(e.ctx, id))(e)
			}
		}},
	)
}
