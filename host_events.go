package latch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/latchauth/latch/storage"
)

// ConsumerFunc handles one event for a durable consumer. Returning an
// error (or panicking) has the same event delivered again, after a backoff;
// the consumer's later events wait for it. It should return promptly once
// ctx is done: Close waits for it.
type ConsumerFunc func(ctx context.Context, e Event) error

// EventsConfig tunes durable consumers (Host.Consume, Auth.Consume). The
// zero value is the recommended setting.
type EventsConfig struct {
	// PollInterval is how often an idle consumer looks for events that
	// other instances committed; a commit in this process wakes the
	// consumers at once. Default 5 s.
	PollInterval time.Duration

	// RetryMin is the wait before the first redelivery of an event whose
	// handler failed; each further failure doubles it, up to RetryMax.
	// Defaults 1 s and 5 min.
	RetryMin time.Duration
	RetryMax time.Duration

	// Batch is how many events a consumer reads at a time. Default 100; at
	// most 500.
	Batch int

	// Lease is how long an instance keeps a consumer to itself without
	// renewing (it renews every third of it while it runs): after a crash,
	// another instance takes the consumer over once this has passed.
	// Default 30 s; at least 1 s.
	Lease time.Duration
}

func (c *EventsConfig) withDefaults() []error {
	var errs []error
	def := func(name string, v *time.Duration, d time.Duration) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			errs = append(errs, fmt.Errorf("Config.Events.%s is %v; it must not be negative", name, *v))
		}
	}
	def("PollInterval", &c.PollInterval, 5*time.Second)
	def("RetryMin", &c.RetryMin, time.Second)
	def("RetryMax", &c.RetryMax, 5*time.Minute)
	def("Lease", &c.Lease, 30*time.Second)
	if c.Lease > 0 && c.Lease < time.Second {
		errs = append(errs, fmt.Errorf("Config.Events.Lease is %v; it must be at least 1s", c.Lease))
	}
	if c.RetryMax < c.RetryMin {
		errs = append(errs, fmt.Errorf("Config.Events.RetryMax (%v) is below RetryMin (%v)", c.RetryMax, c.RetryMin))
	}
	switch {
	case c.Batch == 0:
		c.Batch = 100
	case c.Batch < 0 || c.Batch > storage.MaxLimit:
		errs = append(errs, fmt.Errorf("Config.Events.Batch is %d; it must be between 1 and %d", c.Batch, storage.MaxLimit))
	}
	return errs
}

// Consume adds a durable consumer named name: handle receives every event
// committed from the consumer's first start on (of the given types, or all
// when none is given), at least once and in commit order, whichever
// instance committed it and across restarts. Each consumer has its own
// cursor in the store and its own goroutine, so a failing handler holds up
// only its own consumer; with several instances on one database, one at a
// time delivers each consumer.
//
// The name identifies the cursor, so keep it stable across releases: 1 to
// 100 lower-case letters, digits and "._:-", starting with a letter or
// digit, prefixed by the plugin's name ("webhooks.deliver"). Consumers
// start once New has started every plugin, and stop at Close.
func (h *Host) Consume(name string, handle ConsumerFunc, types ...string) error {
	return h.a.life.consumers.add(h.a, name, handle, types)
}

// Consume adds a durable consumer, as Host.Consume does for plugins, and
// starts it at once. Use it for the application's own reactions to events
// (sending a welcome mail, syncing a CRM) that must survive restarts;
// Subscribe is for in-process notifications that may be missed.
func (a *Auth) Consume(name string, handle ConsumerFunc, types ...string) error {
	return a.life.consumers.add(a, name, handle, types)
}

// consumerSet is the registered consumers and, once started, their
// goroutines.
type consumerSet struct {
	mu      sync.Mutex
	byName  map[string]*consumer
	running context.Context // nil until started; done once stopping
	closed  bool
	owner   string // this instance, in leases
	wg      sync.WaitGroup
}

// consumer is one durable consumer.
type consumer struct {
	name   string
	handle ConsumerFunc
	types  map[string]bool // nil for every type
	wake   chan struct{}   // buffered: a commit in this process
}

// validConsumerName says whether name may name a consumer: it is a storage
// key and appears in logs, so a small alphabet.
func validConsumerName(name string) bool {
	if name == "" || len(name) > 100 {
		return false
	}
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case i > 0 && (r == '.' || r == '_' || r == ':' || r == '-'):
		default:
			return false
		}
	}
	return true
}

func (s *consumerSet) add(a *Auth, name string, handle ConsumerFunc, types []string) error {
	if !validConsumerName(name) {
		return fmt.Errorf("latch: consumer name %q: use 1 to 100 of a-z, 0-9 and \"._:-\", starting with a letter or digit", name)
	}
	if handle == nil {
		return fmt.Errorf("latch: consumer %q has no handler", name)
	}
	c := &consumer{name: name, handle: handle, wake: make(chan struct{}, 1)}
	for _, t := range types {
		if t == "" {
			return fmt.Errorf("latch: consumer %q: empty event type", name)
		}
		if c.types == nil {
			c.types = map[string]bool{}
		}
		c.types[t] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("latch: consumer %q added after Close", name)
	}
	if _, dup := s.byName[name]; dup {
		return fmt.Errorf("latch: consumer %q registered twice", name)
	}
	if s.byName == nil {
		s.byName = map[string]*consumer{}
	}
	s.byName[name] = c
	if s.running != nil {
		s.launch(a, c)
	}
	return nil
}

// start runs every registered consumer, under ctx, as owner.
func (s *consumerSet) start(ctx context.Context, a *Auth, owner string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running, s.owner = ctx, owner
	for _, c := range s.byName {
		s.launch(a, c)
	}
}

// launch takes c's lease before starting its goroutine, which creates the
// cursor of a consumer seen for the first time: it then receives every
// event committed after Consume (or New) returned. When the store does not
// answer, the goroutine keeps trying.
func (s *consumerSet) launch(a *Auth, c *consumer) {
	ctx, owner := s.running, s.owner
	rec, err := a.acquire(ctx, c.name, owner)
	if err != nil && !errors.Is(err, storage.ErrConsumed) {
		a.cfg.Logger.ErrorContext(ctx, "latch: taking consumer lease", "consumer", c.name, "err", err)
	}
	s.wg.Go(func() { a.runConsumer(ctx, c, owner, rec) })
}

// stop waits for the consumers, whose context the caller has cancelled,
// and refuses new ones.
func (s *consumerSet) stop() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
}

// wake tells every consumer that events were committed.
func (s *consumerSet) wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.byName {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// errLeaseLost ends a delivery when another instance took the consumer
// over (after this one failed to renew its lease in time).
var errLeaseLost = errors.New("latch: consumer lease taken over by another instance")

// runConsumer delivers c's events until ctx is done: it takes the lease
// (unless leased, the consumer as launch leased it, is not nil), reads
// after the cursor, hands each event to the handler (again and again, with backoff,
// until it succeeds) and moves the cursor past it. Without the lease it
// waits and tries again, for the holder may die.
func (a *Auth) runConsumer(ctx context.Context, c *consumer, owner string, leased *storage.Consumer) {
	cfg := a.cfg.Events
	held := leased != nil
	var cursor int64
	if held {
		cursor = leased.Cursor
	}
	defer func() {
		// Even when the lease seems lost: a failed renewal may have been
		// applied. Releasing a lease someone else holds does nothing.
		rctx, cancel := detached(ctx)
		defer cancel()
		if err := a.store.ReleaseConsumer(rctx, c.name, owner); err != nil {
			a.cfg.Logger.WarnContext(rctx, "latch: releasing consumer lease", "consumer", c.name, "err", err)
		}
	}()
	for ctx.Err() == nil {
		if !held {
			rec, err := a.acquire(ctx, c.name, owner)
			switch {
			case err == nil:
				held, cursor = true, rec.Cursor
			case errors.Is(err, storage.ErrConsumed) || ctx.Err() != nil:
			default:
				a.cfg.Logger.ErrorContext(ctx, "latch: taking consumer lease", "consumer", c.name, "err", err)
			}
		}
		if held {
			more, err := a.deliverBatch(ctx, c, owner, &cursor)
			if err != nil {
				// Lost the lease, or the store failed: take it again,
				// which reloads the stored cursor.
				held = false
				if !errors.Is(err, errLeaseLost) && ctx.Err() == nil {
					a.cfg.Logger.ErrorContext(ctx, "latch: delivering events", "consumer", c.name, "err", err)
				}
			}
			if more {
				continue
			}
		}
		t := time.NewTimer(cfg.PollInterval)
		select {
		case <-ctx.Done():
		case <-c.wake:
		case <-t.C:
		}
		t.Stop()
		if held && ctx.Err() == nil {
			// Renew while idle, so that the lease never lapses under a
			// live instance.
			if _, err := a.acquire(ctx, c.name, owner); err != nil {
				held = false
			}
		}
	}
}

// detached is ctx for one store call of a consumer: not cancelled by Close,
// so that a call in flight finishes (and is not logged as a failure), but
// bounded.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// acquire takes or renews owner's lease on the consumer name.
func (a *Auth) acquire(ctx context.Context, name, owner string) (*storage.Consumer, error) {
	sctx, cancel := detached(ctx)
	defer cancel()
	return a.store.AcquireConsumer(sctx, name, a.lease(owner))
}

// lease is owner's lease from now.
func (a *Auth) lease(owner string) storage.ConsumerLease {
	now := a.now()
	return storage.ConsumerLease{Owner: owner, At: now, Until: now.Add(a.cfg.Events.Lease)}
}

// deliverBatch delivers one batch after *cursor, moving it, and reports
// whether the batch was full (more may wait).
func (a *Auth) deliverBatch(ctx context.Context, c *consumer, owner string, cursor *int64) (bool, error) {
	sctx, cancel := detached(ctx)
	evs, err := a.store.ListEventsAfterSeq(sctx, *cursor, a.cfg.Events.Batch)
	cancel()
	if err != nil || len(evs) == 0 {
		return false, err
	}
	skipped := false
	for _, e := range evs {
		if c.types != nil && !c.types[e.Type] {
			*cursor, skipped = e.Seq, true
			continue
		}
		if err := a.deliverEvent(ctx, c, owner, e); err != nil {
			return false, err
		}
		*cursor, skipped = e.Seq, false
		if err := a.advance(ctx, c, owner, *cursor); err != nil {
			return false, err
		}
	}
	if skipped {
		if err := a.advance(ctx, c, owner, *cursor); err != nil {
			return false, err
		}
	}
	return len(evs) == a.cfg.Events.Batch, nil
}

// advance stores the cursor. A handler that succeeded is not run again for
// a Close that came while it ran, so the write outlives ctx briefly.
func (a *Auth) advance(ctx context.Context, c *consumer, owner string, cursor int64) error {
	sctx, cancel := detached(ctx)
	defer cancel()
	err := a.store.AdvanceConsumer(sctx, c.name, cursor, a.lease(owner))
	if errors.Is(err, storage.ErrConsumed) {
		return errLeaseLost
	}
	return err
}

// deliverEvent runs the handler on e until it succeeds, waiting longer
// after each failure, while renewing the lease. It fails only when ctx is
// done or the lease is lost.
func (a *Auth) deliverEvent(ctx context.Context, c *consumer, owner string, e *storage.Event) error {
	hctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(a.cfg.Events.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				if _, err := a.acquire(hctx, c.name, owner); errors.Is(err, storage.ErrConsumed) {
					cancel(errLeaseLost)
					return
				}
			}
		}
	}()
	defer func() { cancel(nil); <-renewed }()
	ev := Event{ID: e.ID, Type: e.Type, Data: e.Data, CreatedAt: e.CreatedAt}
	wait := a.cfg.Events.RetryMin
	for attempt := 1; ; attempt++ {
		err := callConsumer(hctx, c.handle, ev)
		if err == nil {
			return nil
		}
		if hctx.Err() != nil {
			return context.Cause(hctx)
		}
		a.cfg.Logger.WarnContext(ctx, "latch: event consumer failed; retrying", "consumer", c.name,
			"event_id", e.ID, "type", e.Type, "attempt", attempt, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-hctx.Done():
			t.Stop()
			return context.Cause(hctx)
		case <-t.C:
		}
		wait = min(2*wait, a.cfg.Events.RetryMax)
	}
}

// callConsumer runs h, turning a panic into an error.
func callConsumer(ctx context.Context, h ConsumerFunc, e Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("consumer panicked: %v", r)
		}
	}()
	return h(ctx, e)
}
