package latch

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/latchauth/latch/internal/device"
	"github.com/latchauth/latch/storage"
)

// Event types. Data holds the resource after the change (for deletions, its
// ID), as the JSON API would return it.
const (
	EventUserCreated = "user.created"
	EventUserUpdated = "user.updated"
	EventUserDeleted = "user.deleted"
)

// Event is a change of state, delivered after the change has committed to
// durable consumers (Consume) and in-process subscribers (Subscribe).
// Delivery is at least once: a handler may see an event again after a
// crash, and should use ID to ignore repeats. Auth.EventTypes lists every
// type, with its payload.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Data      json.RawMessage `json:"data"`
	CreatedAt time.Time       `json:"created_at"`
}

// EventHandler receives events. It runs on the goroutine that made the
// change, after the commit, so it should be quick; a panic in it is
// recovered and logged.
type EventHandler func(ctx context.Context, e Event)

// eventBus dispatches outbox rows to in-process subscribers.
type eventBus struct {
	a    *Auth
	mu   sync.RWMutex
	subs []subscriber // in subscription order
	next int
}

type subscriber struct {
	id int
	h  EventHandler
}

func newEventBus(a *Auth) *eventBus {
	a.registerKernelEvents()
	return &eventBus{a: a}
}

// Subscribe adds h to the in-process handlers of every event and returns a
// function that removes it. After each commit in this process, the first
// subscribed instance to claim an event hands it to its handlers, once;
// an event committed while this process has no subscriber stays pending
// for DispatchPending (here or on another instance). For reactions that
// must not be missed whichever instance commits and whatever crashes, use
// a durable consumer (Consume) instead: each has its own cursor, and
// neither kind of delivery affects the other.
func (a *Auth) Subscribe(h EventHandler) (unsubscribe func()) {
	b := a.events
	b.mu.Lock()
	id := b.next
	b.next++
	b.subs = append(b.subs, subscriber{id, h})
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for i, s := range b.subs {
			if s.id == id {
				b.subs = append(b.subs[:i:i], b.subs[i+1:]...)
				return
			}
		}
	}
}

// DispatchPending delivers to this process's subscribers the events that no
// subscriber has claimed (committed while no process subscribed, or
// before a crash between a commit and its dispatch) and returns how many
// it delivered. Call it at start-up and, on several instances, now and
// then; each event is claimed by exactly one caller. Durable consumers do
// not need it.
func (a *Auth) DispatchPending(ctx context.Context) (int, error) {
	n, after := 0, ""
	for {
		evs, err := a.store.ListEvents(ctx, after, true, storage.DefaultLimit)
		if err != nil {
			return n, asError(err)
		}
		if len(evs) == 0 {
			return n, nil
		}
		n += a.events.dispatch(ctx, evs)
		after = evs[len(evs)-1].ID
	}
}

// dispatch claims each event (so that one instance delivers it) and hands it
// to the subscribers. A failed claim leaves the event for DispatchPending.
func (b *eventBus) dispatch(ctx context.Context, evs []*storage.Event) int {
	n := 0
	for _, e := range evs {
		err := b.a.store.MarkEventDispatched(ctx, e.ID, b.a.now())
		if errors.Is(err, storage.ErrConsumed) {
			continue
		}
		if err != nil {
			b.a.cfg.Logger.ErrorContext(ctx, "latch: claiming event for dispatch", "event_id", e.ID, "err", err)
			continue
		}
		n++
		ev := Event{ID: e.ID, Type: e.Type, Data: e.Data, CreatedAt: e.CreatedAt}
		for _, h := range b.handlers() {
			b.call(ctx, h, ev)
		}
	}
	return n
}

// committed hands the events a transaction committed to this process's
// subscribers, if any (claiming each, which costs a write, only then), and
// wakes the durable consumers.
func (b *eventBus) committed(ctx context.Context, evs []*storage.Event) {
	if len(evs) == 0 {
		return
	}
	if b.hasSubscribers() {
		b.dispatch(ctx, evs)
	}
	b.a.life.consumers.wake()
}

func (b *eventBus) hasSubscribers() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs) > 0
}

// handlers copies the subscribers, so that a handler may itself subscribe or
// unsubscribe without deadlocking.
func (b *eventBus) handlers() []EventHandler {
	b.mu.RLock()
	defer b.mu.RUnlock()
	hs := make([]EventHandler, 0, len(b.subs))
	for _, s := range b.subs {
		hs = append(hs, s.h)
	}
	return hs
}

func (b *eventBus) call(ctx context.Context, h EventHandler, e Event) {
	defer func() {
		if r := recover(); r != nil {
			b.a.cfg.Logger.ErrorContext(ctx, "latch: event handler panicked", "event_id", e.ID, "type", e.Type, "panic", r)
		}
	}()
	h(ctx, e)
}

// auditInfo says who did what to whom, for the audit record written beside
// each event.
type auditInfo struct {
	ActorID        string
	UserID         string
	OrganizationID string
	SessionID      string
	IP, UserAgent  string
}

// requestInfoKey keys, in the context of a request served by Handler, the
// client address and user agent that audit records carry.
type requestInfoKey struct{}

type requestInfo struct{ ip, userAgent string }

// withRequestInfo puts the client address (behind trusted proxies) and
// user agent of each request into its context, for the audit records of
// what the request changes.
func (a *Auth) withRequestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := requestInfo{ip: a.proxies.ClientIP(r), userAgent: device.Clean(r.UserAgent())}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
	})
}

// complete fills in, from ctx, what the caller did not say: the address
// and user agent of the request, and, for a signed-in request, its session
// and who made it (the impersonating admin, or the user).
func (who *auditInfo) complete(ctx context.Context) {
	if info, ok := ctx.Value(requestInfoKey{}).(requestInfo); ok {
		who.IP, who.UserAgent = cmp.Or(who.IP, info.ip), cmp.Or(who.UserAgent, info.userAgent)
	}
	if s := SessionFromContext(ctx); s != nil {
		if who.ActorID == "" {
			who.ActorID = cmp.Or(s.ActorID, s.UserID)
		}
		if who.SessionID == "" {
			who.SessionID = s.ID
		}
	}
}

// noteFailure records in the audit log a sign-in step (typ
// "sign_in.failed", "reverification.failed") that was tried and failed.
// A request refused by a limit before anything was checked is not
// recorded: a flood of them would only fill the log.
func (a *Auth) noteFailure(ctx context.Context, r *http.Request, typ, userID, strategy string, err error) {
	var re *rateError
	if err == nil || errors.As(err, &re) || errors.Is(err, ErrUnavailable) {
		return
	}
	a.auditFailure(ctx, r, typ, userID, map[string]string{"strategy": strategy, "reason": asError(err).Code})
}

// auditFailure records an attempt that changed nothing (a wrong password or
// code) about userID ("" for an identifier that names nobody). It is
// written on its own, there being no change to commit it with; a failure
// to write it is logged, never shown.
func (a *Auth) auditFailure(ctx context.Context, r *http.Request, typ, userID string, data map[string]string) {
	id, err := a.newID(PrefixAudit)
	if err != nil {
		return
	}
	raw, _ := json.Marshal(data)
	who := auditInfo{UserID: userID}
	if r != nil {
		who.IP, who.UserAgent = a.proxies.ClientIP(r), device.Clean(r.UserAgent())
	}
	who.complete(ctx)
	if err := a.store.AppendAuditEvent(ctx, &storage.AuditEvent{ID: id, Type: typ, Outcome: "failure", ActorID: who.ActorID,
		UserID: userID, SessionID: who.SessionID, IP: who.IP, UserAgent: who.UserAgent, Data: raw, CreatedAt: a.now()}); err != nil {
		a.cfg.Logger.WarnContext(ctx, "latch: recording a failed attempt in the audit log", "type", typ, "err", err)
	}
}

// emit records an event and its audit record in the transaction, so that
// neither exists without the change and the change never commits without
// them. The audit record is written at once; the event goes into the
// outbox when fn has returned (appendEvents), since appending holds the
// outbox's position until commit. typ must be in the catalogue.
func (t *tx) emit(ctx context.Context, typ string, data any, who auditInfo) error {
	if !t.a.life.catalogue.has(typ) {
		err := fmt.Errorf("latch: event type %q is not declared: a plugin declares its types with Host.DeclareEvents in Register", typ)
		t.a.cfg.Logger.ErrorContext(ctx, err.Error())
		return err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	now := t.a.now()
	evID, err := t.a.newID(PrefixEvent)
	if err != nil {
		return err
	}
	audID, err := t.a.newID(PrefixAudit)
	if err != nil {
		return err
	}
	who.complete(ctx)
	if err := t.AppendAuditEvent(ctx, &storage.AuditEvent{
		ID: audID, Type: typ, Outcome: "success",
		ActorID: who.ActorID, UserID: who.UserID, OrganizationID: who.OrganizationID, SessionID: who.SessionID,
		IP: who.IP, UserAgent: who.UserAgent,
		Data: json.RawMessage(`{"event_id":"` + evID + `"}`), CreatedAt: now,
	}); err != nil {
		return err
	}
	// Undispatched: whether this process has subscribers says nothing of
	// the others', and durable consumers do not look at DispatchedAt.
	t.events = append(t.events, &storage.Event{ID: evID, Type: typ, Data: raw, CreatedAt: now})
	return nil
}

// appendEvents writes the events emitted in the transaction to the outbox,
// as the transaction's last writes: an adapter may serialise appending
// transactions from their first append to their commit, and nothing else
// should wait on that.
func (t *tx) appendEvents(ctx context.Context) error {
	for _, e := range t.events {
		if err := t.AppendEvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}
