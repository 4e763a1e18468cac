package mail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
)

// Console is a Sender for development: it writes each message, readably,
// to W, so that codes and links appear in the terminal. It sends nothing.
//
// Console prints one-time codes and sign-in links in clear: never use it in
// production, where they would end up in logs.
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

// Send validates m exactly as a real sender would (so development shows
// the same errors as production) and writes it. The From line shows
// "(default)" when m.From is empty, since the Console has no configured
// default.
func (c *Console) Send(ctx context.Context, m *Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: console: %w", err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("mail: console: %w", err)
	}
	var b bytes.Buffer
	kind := m.Kind
	if kind == "" {
		kind = "message"
	}
	fmt.Fprintf(&b, "──── mail: %s ────\n", kind)
	from := m.From
	if from == "" {
		from = "(default)"
	}
	fmt.Fprintf(&b, "From:    %s\nTo:      %s\nSubject: %s\n", from, m.To, m.Subject)
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "%s: %s\n", name, m.Headers[name])
	}
	b.WriteString("\n")
	// The text part is what a person reads; the HTML is shown only when it
	// is all there is, so that its links stay visible.
	body := m.Text
	if body == "" {
		body = m.HTML
	}
	b.WriteString(strings.Map(printable, strings.TrimRight(body, "\n")))
	b.WriteString("\n")
	if m.Text != "" && m.HTML != "" {
		fmt.Fprintf(&b, "[+ HTML part, %d bytes]\n", len(m.HTML))
	}
	b.WriteString("────\n")

	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.W
	if w == nil {
		w = os.Stderr
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("mail: console: %w", err)
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
