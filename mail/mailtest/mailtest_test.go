package mailtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/mail/mailtest"
)

func TestCodeIn(t *testing.T) {
	tests := map[string]string{
		"Your code is 123456.":                     "123456",
		"123456 is your code":                      "123456",
		"Code: 042917\nIt expires in 10 minutes.":  "042917",
		"Call +14155550123, then enter 654321":     "654321",
		"Order 1234567 shipped; code 111222":       "111222",
		"no code here":                             "",
		"12345 is too short":                       "",
		"<p>Your code is <b>987654</b></p>":        "987654",
		"Le code est 135790 (valable 10 minutes).": "135790",
	}
	for in, want := range tests {
		if got := mailtest.CodeIn(in); got != want {
			t.Errorf("CodeIn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLinkIn(t *testing.T) {
	tests := map[string]string{
		"Open this link:\n\nhttps://app.example.com/v?token=abc_-123\n\nIt expires": "https://app.example.com/v?token=abc_-123",
		"Sign in: https://app.example.com/s?t=x.":                                   "https://app.example.com/s?t=x",
		"(see https://app.example.com/a)":                                           "https://app.example.com/a",
		`<a href="https://app.example.com/v?a=1&amp;b=2">Verify</a>`:                "https://app.example.com/v?a=1&b=2",
		"http://localhost:8080/x then https://second.example.com":                   "http://localhost:8080/x",
		"no link":             "",
		"ftp://example.com/x": "",
	}
	for in, want := range tests {
		if got := mailtest.LinkIn(in); got != want {
			t.Errorf("LinkIn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRecorder(t *testing.T) {
	var r mailtest.Recorder
	ctx := context.Background()
	m := &mail.Message{To: "Ada <Ada@Example.com>", Subject: "first", Text: "code 111111", Headers: map[string]string{"X-A": "1"}}
	if err := r.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	m.Headers["X-A"] = "changed" // the recording is a copy
	if err := r.Send(ctx, &mail.Message{To: "ada@example.com", Subject: "second", Text: "code 222222"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Send(ctx, &mail.Message{To: "ada@example.com\r\nBcc: e@x.org", Subject: "s", Text: "t"}); !errors.Is(err, mail.ErrInvalidMessage) {
		t.Errorf("invalid message: %v", err)
	}
	if n := len(r.Messages()); n != 2 {
		t.Fatalf("%d messages", n)
	}
	if r.Last().Subject != "second" {
		t.Errorf("Last = %q", r.Last().Subject)
	}
	first := r.WaitFor(t, "ada@example.com", time.Second)
	second := r.WaitFor(t, "ADA@example.com", time.Second)
	if first.Subject != "first" || second.Subject != "second" || first.Headers["X-A"] != "1" {
		t.Errorf("WaitFor gave %q then %q (X-A %q)", first.Subject, second.Subject, first.Headers["X-A"])
	}

	outage := errors.New("smtp down")
	r.Fail(outage)
	if err := r.Send(ctx, &mail.Message{To: "b@example.com", Subject: "s", Text: "t"}); !errors.Is(err, outage) {
		t.Errorf("Send while failing = %v", err)
	}
	r.Fail(nil)

	// WaitFor waits for a message sent later, from another goroutine.
	go func() {
		time.Sleep(20 * time.Millisecond)
		_ = r.Send(ctx, &mail.Message{To: "late@example.com", Subject: "late", Text: "t"})
	}()
	if got := r.WaitFor(t, "late@example.com", 5*time.Second); got.Subject != "late" {
		t.Errorf("late message: %q", got.Subject)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	var r mailtest.Recorder
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			_ = r.Send(context.Background(), &mail.Message{To: fmt.Sprintf("u%d@example.com", i), Subject: "s", Text: "t"})
		})
	}
	for i := range 50 {
		wg.Go(func() { r.WaitFor(t, fmt.Sprintf("u%d@example.com", i), 5*time.Second) })
	}
	wg.Wait()
}

// TestServerParsesForeignMessages: the server decodes what other clients
// send too (base64, nested multiparts, Q-encoded subjects), here through
// net/smtp directly.
func TestServerParsesForeignMessages(t *testing.T) {
	srv := mailtest.NewServer(t)
	raw := "From: a@example.com\r\n" +
		"To: =?UTF-8?B?WsO2w6s=?= <zoe@example.com>\r\n" +
		"Subject: =?UTF-8?B?SMOpbGxv?=\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=outer\r\n\r\n" +
		"--outer\r\n" +
		"Content-Type: multipart/alternative; boundary=inner\r\n\r\n" +
		"--inner\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" +
		"Q29kZSA0MjQy\r\nNDI=\r\n" +
		"--inner\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		"<p>hi</p>\r\n" +
		"--inner--\r\n" +
		"--outer\r\n" +
		"Content-Type: application/pdf\r\n\r\n" +
		"%PDF\r\n" +
		"--outer--\r\n"
	if err := smtp.SendMail(srv.Addr, nil, "a@example.com", []string{"zoe@example.com"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	r := srv.WaitFor(t, "zoe@example.com", 5*time.Second)
	if r.Subject != "Héllo" || r.Text != "Code 424242" || r.HTML != "<p>hi</p>" || r.To != "zoe@example.com" {
		t.Errorf("parsed: subject %q, text %q, HTML %q, To %q", r.Subject, r.Text, r.HTML, r.To)
	}
	if mailtest.CodeIn(r.Text) != "424242" {
		t.Errorf("code %q", mailtest.CodeIn(r.Text))
	}
}

func TestServerRecordsParseErrors(t *testing.T) {
	srv := mailtest.NewServer(t)
	raw := "Subject: x\r\nContent-Type: text/plain; charset=latin1\r\n\r\nbody\r\n"
	if err := smtp.SendMail(srv.Addr, nil, "a@example.com", []string{"b@example.com"}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	if r := srv.Last(); r == nil || r.ParseErr == nil || !strings.Contains(r.ParseErr.Error(), "charset") {
		t.Fatalf("Last = %+v", r)
	}
}

func TestServerRequiresAuth(t *testing.T) {
	srv := mailtest.NewServerWith(t, mailtest.Config{Username: "u", Password: "p"})
	err := smtp.SendMail(srv.Addr, nil, "a@example.com", []string{"b@example.com"}, []byte("Subject: x\r\n\r\nbody\r\n"))
	if err == nil || !strings.Contains(err.Error(), "authenticate") {
		t.Fatalf("unauthenticated send: %v", err)
	}
	if err := smtp.SendMail(srv.Addr, smtp.PlainAuth("", "u", "wrong", srv.Host), "a@example.com", []string{"b@example.com"}, []byte("Subject: x\r\n\r\nbody\r\n")); err == nil {
		t.Fatal("wrong password accepted")
	}
	if err := smtp.SendMail(srv.Addr, smtp.PlainAuth("", "u", "p", srv.Host), "a@example.com", []string{"b@example.com"}, []byte("Subject: x\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	if r := srv.WaitFor(t, "b@example.com", 5*time.Second); r.AuthUser != "u" || r.Text != "body\n" {
		t.Errorf("AuthUser %q, Text %q", r.AuthUser, r.Text)
	}
}

func TestServerCloseEarly(t *testing.T) {
	srv := mailtest.NewServer(t)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
