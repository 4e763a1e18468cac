package mailtest

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/mail"
)

// Recorder is a mail.Sender that keeps every message in memory instead of
// sending it. It validates each message as a real sender would, so a test
// using it still catches a malformed one.
//
// The zero value is ready to use. A Recorder is safe for concurrent use
// and must not be copied after first use.
type Recorder struct {
	mu     sync.Mutex
	box    mailbox[*mail.Message]
	failed error
}

var _ mail.Sender = (*Recorder)(nil)

// Send validates m and records a copy of it. It returns the error set with
// Fail, if any, without recording.
func (r *Recorder) Send(ctx context.Context, m *mail.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mailtest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("mailtest: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed != nil {
		return r.failed
	}
	c := *m
	c.Headers = maps.Clone(m.Headers)
	r.box.add(&c, addrOf(c.To))
	return nil
}

// Fail makes every later Send return err (nil restores normal sending), to
// test what happens when mail cannot be delivered.
func (r *Recorder) Fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = err
}

// Messages returns the messages recorded so far, oldest first.
func (r *Recorder) Messages() []*mail.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.box.all()
}

// Last returns the most recent message, or nil.
func (r *Recorder) Last() *mail.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.box.last()
}

// WaitFor returns the oldest message to the address to (compared without
// case and display name) that no earlier WaitFor returned, waiting up to
// timeout for one to arrive; it fails the test when none does.
func (r *Recorder) WaitFor(t testing.TB, to string, timeout time.Duration) *mail.Message {
	t.Helper()
	m, ok := r.box.wait(&r.mu, addrOf(to), timeout)
	if !ok {
		t.Fatalf("mailtest: no message to %s within %v (%d recorded)", to, timeout, len(r.Messages()))
	}
	return m
}

// mailbox is an append-only list of items, each addressed to one or more
// recipients, with a read mark per item for WaitFor. Its owner's mutex
// guards it.
type mailbox[T any] struct {
	items   []T
	to      [][]string
	taken   []bool
	changed chan struct{} // closed and replaced on every add
}

func (b *mailbox[T]) add(item T, to ...string) {
	b.items = append(b.items, item)
	b.to = append(b.to, to)
	b.taken = append(b.taken, false)
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
}

func (b *mailbox[T]) all() []T { return append([]T(nil), b.items...) }

func (b *mailbox[T]) last() T {
	var zero T
	if len(b.items) == 0 {
		return zero
	}
	return b.items[len(b.items)-1]
}

// wait takes the oldest untaken item to addr, waiting for one until the
// timeout. mu is the owner's mutex, not held by the caller.
func (b *mailbox[T]) wait(mu *sync.Mutex, addr string, timeout time.Duration) (T, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		mu.Lock()
		for i, item := range b.items {
			if !b.taken[i] && matches(b.to[i], addr) {
				b.taken[i] = true
				mu.Unlock()
				return item, true
			}
		}
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		changed := b.changed
		mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			var zero T
			return zero, false
		}
	}
}

func matches(to []string, addr string) bool {
	for _, a := range to {
		if a == addr {
			return true
		}
	}
	return false
}

// addrOf reduces "Ada <Ada@Example.com>" to "ada@example.com" for
// comparison; input that does not parse is compared as typed, lowercased.
func addrOf(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		s = a.Address
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// LastCode returns the one-time code (see CodeIn) of the newest message to
// the address to that holds one, or "". It looks past messages without
// one because Latch sends security notifications in the background, so one
// may land after the code it followed.
func (r *Recorder) LastCode(to string) string { return r.Newest(to, CodeIn) }

// LastLink is LastCode for the first link of a message (see LinkIn).
func (r *Recorder) LastLink(to string) string { return r.Newest(to, LinkIn) }

// Newest returns what find finds in the plain text of the newest message
// to the address to where it finds anything (not ""), or "": LastCode and
// LastLink for anything else a message should say.
func (r *Recorder) Newest(to string, find func(string) string) string {
	addr := addrOf(to)
	msgs := r.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if addrOf(msgs[i].To) != addr {
			continue
		}
		if v := find(msgs[i].Text); v != "" {
			return v
		}
	}
	return ""
}
