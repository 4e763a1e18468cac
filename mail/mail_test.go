package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch/mail"
)

func valid() *mail.Message {
	return &mail.Message{
		To:      "ada@example.com",
		Subject: "123456 is your code",
		Text:    "Your code is 123456.",
		HTML:    "<p>Your code is <b>123456</b>.</p>",
		Headers: map[string]string{"List-Unsubscribe": "<https://app.example.com/unsubscribe>"},
		Kind:    "verification_code",
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(m *mail.Message)
		ok     bool
	}{
		{"valid", func(m *mail.Message) {}, true},
		{"display names", func(m *mail.Message) { m.To, m.From = "Ada Lovelace <ada@example.com>", "Latch <no-reply@example.com>" }, true},
		{"non-ASCII subject and name", func(m *mail.Message) { m.Subject, m.To = "Vérifiez votre adresse ✓", "Zoë <zoe@example.com>" }, true},
		{"text only", func(m *mail.Message) { m.HTML = "" }, true},
		{"HTML only", func(m *mail.Message) { m.Text = "" }, true},
		{"tab in subject", func(m *mail.Message) { m.Subject = "a\tb" }, true},
		{"nil headers", func(m *mail.Message) { m.Headers = nil }, true},
		{"empty kind", func(m *mail.Message) { m.Kind = "" }, true},

		{"no To", func(m *mail.Message) { m.To = "" }, false},
		{"two recipients", func(m *mail.Message) { m.To = "ada@example.com, eve@example.org" }, false},
		{"no domain", func(m *mail.Message) { m.To = "ada@" }, false},
		{"no local part", func(m *mail.Message) { m.To = "@example.com" }, false},
		{"not an address", func(m *mail.Message) { m.To = "ada" }, false},
		{"local part too long", func(m *mail.Message) { m.To = strings.Repeat("a", 65) + "@example.com" }, false},
		{"address too long", func(m *mail.Message) { m.To = "a@" + strings.Repeat("b", 253) }, false},
		{"invalid UTF-8 address", func(m *mail.Message) { m.To = "ad\xffa@example.com" }, false},
		{"bad From", func(m *mail.Message) { m.From = "nobody" }, false},
		{"no body", func(m *mail.Message) { m.Text, m.HTML = "", "" }, false},
		{"body too long", func(m *mail.Message) { m.Text = strings.Repeat("x", mail.MaxBodyLen+1) }, false},
		{"invalid UTF-8 body", func(m *mail.Message) { m.HTML = "\xff" }, false},
		{"subject too long", func(m *mail.Message) { m.Subject = strings.Repeat("x", mail.MaxSubjectLen+1) }, false},
		{"reserved header Bcc", func(m *mail.Message) { m.Headers = map[string]string{"bcc": "eve@example.org"} }, false},
		{"reserved header Content-Type", func(m *mail.Message) { m.Headers = map[string]string{"Content-Type": "text/plain"} }, false},
		{"header name with colon", func(m *mail.Message) { m.Headers = map[string]string{"X-A:B": "c"} }, false},
		{"header name with space", func(m *mail.Message) { m.Headers = map[string]string{"X A": "c"} }, false},
		{"non-ASCII header value", func(m *mail.Message) { m.Headers = map[string]string{"X-Note": "é"} }, false},
		{"too many headers", func(m *mail.Message) {
			m.Headers = map[string]string{}
			for i := range mail.MaxHeaders + 1 {
				m.Headers[fmt.Sprintf("X-H%d", i)] = "v"
			}
		}, false},
		{"kind with space", func(m *mail.Message) { m.Kind = "sign in" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			tt.modify(m)
			err := m.Validate()
			if tt.ok && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, mail.ErrInvalidMessage) {
				t.Fatalf("Validate() = %v, want ErrInvalidMessage", err)
			}
		})
	}
	if err := (*mail.Message)(nil).Validate(); !errors.Is(err, mail.ErrInvalidMessage) {
		t.Errorf("nil message: %v", err)
	}
}

// TestHeaderInjectionRejected: a line break (or NUL) in anything that
// becomes a header would let an attacker add recipients or headers, or
// replace the body.
func TestHeaderInjectionRejected(t *testing.T) {
	const evil = "\r\nBcc: eve@example.org"
	for _, sep := range []string{"\r\n", "\n", "\r", "\x00", "\u0085", "\r\n "} {
		tests := map[string]func(m *mail.Message){
			"To":           func(m *mail.Message) { m.To = "ada@example.com" + sep + "Bcc: eve@example.org" },
			"To name":      func(m *mail.Message) { m.To = "\"Ada" + sep + "Bcc: eve@example.org\" <ada@example.com>" },
			"From":         func(m *mail.Message) { m.From = "no-reply@example.com" + sep },
			"Subject":      func(m *mail.Message) { m.Subject = "Hello" + sep + "Bcc: eve@example.org" },
			"header value": func(m *mail.Message) { m.Headers = map[string]string{"List-Unsubscribe": "<x>" + sep + "Bcc: e@x.org"} },
			"header name":  func(m *mail.Message) { m.Headers = map[string]string{"X-A" + sep + "Bcc": "e@x.org"} },
		}
		for field, modify := range tests {
			m := valid()
			modify(m)
			if err := m.Validate(); !errors.Is(err, mail.ErrInvalidMessage) {
				t.Errorf("%s with %q: Validate() = %v, want ErrInvalidMessage", field, sep, err)
			}
		}
	}
	// An encoded word in a display name must not smuggle a line break either.
	if err := mail.ValidateAddress("=?UTF-8?Q?Ada=0D=0ABcc:_eve@example.org?= <ada@example.com>"); err == nil {
		t.Error("encoded CRLF in display name accepted")
	}
	if err := mail.ValidateSubject("Hi" + evil); err == nil {
		t.Error("CRLF in subject accepted")
	}
}

func TestValidationErrorsDoNotQuoteInput(t *testing.T) {
	const secret = "s3cr3t-token-value"
	m := valid()
	m.Subject = secret + "\n"
	err := m.Validate()
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error %v quotes the input", err)
	}
}

func TestConsole(t *testing.T) {
	var buf bytes.Buffer
	c := &mail.Console{W: &buf}
	m := valid()
	m.Text = "Open this link:\n\nhttps://app.example.com/v?token=abc\x1b[2J\n"
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"verification_code", "To:      ada@example.com", "Subject: 123456 is your code", "https://app.example.com/v?token=abc", "List-Unsubscribe: <https://app.example.com/unsubscribe>", "HTML part"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("escape sequence reached the terminal")
	}

	buf.Reset()
	m = valid()
	m.Text = ""
	if err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<b>123456</b>") {
		t.Errorf("HTML-only message not shown:\n%s", buf.String())
	}
}

func TestConsoleRefuses(t *testing.T) {
	var buf bytes.Buffer
	c := &mail.Console{W: &buf}
	m := valid()
	m.To = "ada@example.com\r\nBcc: eve@example.org"
	if err := c.Send(context.Background(), m); !errors.Is(err, mail.ErrInvalidMessage) {
		t.Errorf("invalid message: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Send(ctx, valid()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}

// TestConsoleConcurrent: messages sent at once come out whole.
func TestConsoleConcurrent(t *testing.T) {
	var buf bytes.Buffer
	c := &mail.Console{W: &buf}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			m := valid()
			m.Text = strings.Repeat(fmt.Sprintf("line %02d\n", i), 50)
			if err := c.Send(context.Background(), m); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, block := range strings.Split(buf.String(), "──── mail:")[1:] {
		lines := strings.Count(block, "line ")
		if lines != 50 {
			t.Fatalf("a message has %d body lines, want 50: interleaved output", lines)
		}
	}
}

func ExampleConsole() {
	var buf bytes.Buffer
	c := &mail.Console{W: &buf}
	_ = c.Send(context.Background(), &mail.Message{
		To:      "ada@example.com",
		Subject: "Sign in to Example",
		Text:    "https://app.example.com/sign-in/link?token=abc",
		Kind:    "sign_in_link",
	})
	fmt.Print(buf.String())
	// Output:
	// ──── mail: sign_in_link ────
	// From:    (default)
	// To:      ada@example.com
	// Subject: Sign in to Example
	//
	// https://app.example.com/sign-in/link?token=abc
	// ────
}
