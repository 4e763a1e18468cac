package sms

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Console is a Sender for development: it writes each message to W, so
// that codes appear in the terminal. It sends nothing.
//
// Console prints one-time codes in clear: never use it in production,
// where they would end up in logs.
//
// The zero value writes to os.Stderr. A Console is safe for concurrent
// use; each message is written with a single Write so that messages never
// interleave. It must not be copied after first use.
type Console struct {
	// W receives the messages. Nil means os.Stderr.
	W io.Writer

	mu sync.Mutex // serialises writes to W
}

var _ Sender = (*Console)(nil)

// Send validates m exactly as a real sender would and writes it.
func (c *Console) Send(ctx context.Context, m *Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sms: console: %w", err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("sms: console: %w", err)
	}
	kind := m.Kind
	if kind == "" {
		kind = "message"
	}
	out := fmt.Sprintf("──── sms: %s ────\nTo: %s\n\n%s\n────\n", kind, m.To, strings.Map(printable, strings.TrimRight(m.Body, "\n")))

	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.W
	if w == nil {
		w = os.Stderr
	}
	if _, err := io.WriteString(w, out); err != nil {
		return fmt.Errorf("sms: console: %w", err)
	}
	return nil
}

// printable replaces control characters other than newline and tab, so a
// message cannot drive the terminal with escape sequences; CR is dropped.
func printable(r rune) rune {
	if r == '\r' {
		return -1
	}
	if r == '\n' || r == '\t' || r >= ' ' && r != 0x7f && !(0x80 <= r && r <= 0x9f) {
		return r
	}
	return '\uFFFD'
}
