package sms_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch/sms"
)

func TestValidatePhone(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"+14155550123", true},
		{"+33612345678", true},
		{"+12345678", true},        // 8 digits
		{"+123456789012345", true}, // 15 digits
		{"+1234567", false},        // 7 digits
		{"+1234567890123456", false},
		{"14155550123", false},
		{"+04155550123", false},
		{"+1 415 555 0123", false},
		{"+1-415-555-0123", false},
		{"+1415555012a", false},
		{"+١٤١٥٥٥٥٠١٢٣", false}, // Arabic-Indic digits
		{"+14155550123\n", false},
		{"", false},
		{"+", false},
	}
	for _, tt := range tests {
		if err := sms.ValidatePhone(tt.in); (err == nil) != tt.ok {
			t.Errorf("ValidatePhone(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		} else if err != nil && !errors.Is(err, sms.ErrInvalidMessage) {
			t.Errorf("ValidatePhone(%q) = %v, want ErrInvalidMessage", tt.in, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		m    sms.Message
		ok   bool
	}{
		{"valid", sms.Message{To: "+14155550123", Body: "Your code is 123456", Kind: "sign_in_code"}, true},
		{"max length, multibyte", sms.Message{To: "+14155550123", Body: strings.Repeat("é", sms.MaxBodyLen)}, true},
		{"too long", sms.Message{To: "+14155550123", Body: strings.Repeat("a", sms.MaxBodyLen+1)}, false},
		{"empty body", sms.Message{To: "+14155550123"}, false},
		{"NUL", sms.Message{To: "+14155550123", Body: "a\x00b"}, false},
		{"invalid UTF-8", sms.Message{To: "+14155550123", Body: "\xff"}, false},
		{"bad number", sms.Message{To: "0612345678", Body: "hi"}, false},
		{"bad kind", sms.Message{To: "+14155550123", Body: "hi", Kind: "a b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate()
			if tt.ok != (err == nil) || err != nil && !errors.Is(err, sms.ErrInvalidMessage) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if err := (*sms.Message)(nil).Validate(); err == nil {
		t.Error("nil message accepted")
	}
}

func TestConsole(t *testing.T) {
	var buf bytes.Buffer
	c := &sms.Console{W: &buf}
	if err := c.Send(context.Background(), &sms.Message{To: "+14155550123", Body: "Your code is 123456\x1b[2J", Kind: "sign_in_code"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"sign_in_code", "+14155550123", "Your code is 123456"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("escape sequence reached the terminal")
	}

	buf.Reset()
	if err := c.Send(context.Background(), &sms.Message{To: "+1", Body: "x"}); !errors.Is(err, sms.ErrInvalidMessage) {
		t.Errorf("invalid message: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Send(ctx, &sms.Message{To: "+14155550123", Body: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}

func TestConsoleConcurrent(t *testing.T) {
	var buf bytes.Buffer
	c := &sms.Console{W: &buf}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			body := strings.Repeat(fmt.Sprintf("%02d", i), 100)
			if err := c.Send(context.Background(), &sms.Message{To: "+14155550123", Body: body}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(buf.String(), "──── sms:"); n != 20 {
		t.Fatalf("%d messages written, want 20", n)
	}
}

func ExampleConsole() {
	var buf bytes.Buffer
	c := &sms.Console{W: &buf}
	_ = c.Send(context.Background(), &sms.Message{To: "+14155550123", Body: "Your Example code is 123456", Kind: "sign_in_code"})
	fmt.Print(buf.String())
	// Output:
	// ──── sms: sign_in_code ────
	// To: +14155550123
	//
	// Your Example code is 123456
	// ────
}
