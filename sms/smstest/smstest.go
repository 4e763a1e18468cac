// Package smstest helps test code that sends text messages: [Recorder] is
// an in-memory sms.Sender, read in order with WaitFor. A fake of an SMS
// gateway's wire format belongs with its adapter (see sms/twilio's tests);
// this is for tests of the code that decides to send.
package smstest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/sms"
)

// Recorder is an sms.Sender that keeps every message in memory instead of
// sending it. It validates each message as a real sender would.
//
// The zero value is ready to use. A Recorder is safe for concurrent use
// and must not be copied after first use.
type Recorder struct {
	mu      sync.Mutex
	msgs    []*sms.Message
	taken   []bool
	changed chan struct{} // closed and replaced on every Send
	failed  error
}

var _ sms.Sender = (*Recorder)(nil)

// Send validates m and records a copy of it. It returns the error set with
// Fail, if any, without recording.
func (r *Recorder) Send(ctx context.Context, m *sms.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("smstest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("smstest: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed != nil {
		return r.failed
	}
	c := *m
	r.msgs = append(r.msgs, &c)
	r.taken = append(r.taken, false)
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
	return nil
}

// Fail makes every later Send return err (nil restores normal sending), to
// test what happens when the gateway is down.
func (r *Recorder) Fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = err
}

// Messages returns the messages recorded so far, oldest first.
func (r *Recorder) Messages() []*sms.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*sms.Message(nil), r.msgs...)
}

// Last returns the most recent message, or nil.
func (r *Recorder) Last() *sms.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		return nil
	}
	return r.msgs[len(r.msgs)-1]
}

// LastTo returns the body of the most recent message to the number to, or
// "" when none was sent there.
func (r *Recorder) LastTo(to string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if r.msgs[i].To == to {
			return r.msgs[i].Body
		}
	}
	return ""
}

// WaitFor returns the oldest message to the number to that no earlier
// WaitFor returned, waiting up to timeout for one to arrive; it fails the
// test when none does.
func (r *Recorder) WaitFor(t testing.TB, to string, timeout time.Duration) *sms.Message {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		r.mu.Lock()
		for i, m := range r.msgs {
			if !r.taken[i] && m.To == to {
				r.taken[i] = true
				r.mu.Unlock()
				return m
			}
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		changed, n := r.changed, len(r.msgs)
		r.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("smstest: no message to %s within %v (%d recorded)", to, timeout, n)
			return nil
		}
	}
}
