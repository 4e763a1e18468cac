package smtpmail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/mail/mailtest"
	"github.com/latchauth/latch/mail/smtpmail"
)

const wait = 5 * time.Second

func message() *mail.Message {
	return &mail.Message{
		To:      "Ada Lovelace <ada@example.com>",
		Subject: "123456 is your Example code",
		Text:    "Your code is 123456.\nIt expires in 10 minutes.\n",
		HTML:    "<p>Your code is <b>123456</b>.</p>\n<p><a href=\"https://app.example.com/v?a=1&amp;b=2\">Verify</a></p>",
		Headers: map[string]string{"List-Unsubscribe": "<https://app.example.com/unsubscribe>"},
		Kind:    "verification_code",
	}
}

// plain returns a Sender for srv in development mode.
func plain(srv *mailtest.Server) *smtpmail.Sender {
	return smtpmail.New(smtpmail.Config{
		Host: srv.Host, Port: srv.Port, From: "Example <no-reply@example.com>",
		TLS: smtpmail.InsecurePlaintext, Timeout: wait,
	})
}

func TestSendPlaintextDevServer(t *testing.T) {
	srv := mailtest.NewServer(t)
	if err := plain(srv).Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	r := srv.WaitFor(t, "ada@example.com", wait)
	if r.EnvelopeFrom != "no-reply@example.com" || len(r.EnvelopeTo) != 1 || r.EnvelopeTo[0] != "ada@example.com" {
		t.Errorf("envelope = %q → %q", r.EnvelopeFrom, r.EnvelopeTo)
	}
	if r.From != "no-reply@example.com" || r.To != "ada@example.com" {
		t.Errorf("From %q, To %q", r.From, r.To)
	}
	if r.Subject != "123456 is your Example code" {
		t.Errorf("Subject = %q", r.Subject)
	}
	if r.Text != message().Text {
		t.Errorf("Text = %q", r.Text)
	}
	if r.HTML != message().HTML {
		t.Errorf("HTML = %q", r.HTML)
	}
	if mailtest.CodeIn(r.Text) != "123456" || mailtest.LinkIn(r.HTML) != "https://app.example.com/v?a=1&b=2" {
		t.Errorf("code %q, link %q", mailtest.CodeIn(r.Text), mailtest.LinkIn(r.HTML))
	}
	if r.TLS || r.AuthUser != "" {
		t.Errorf("TLS %v, auth %q on a plaintext server", r.TLS, r.AuthUser)
	}
	h := r.Header
	if got := h.Get("List-Unsubscribe"); got != "<https://app.example.com/unsubscribe>" {
		t.Errorf("List-Unsubscribe = %q", got)
	}
	if h.Get("MIME-Version") != "1.0" || !strings.HasPrefix(h.Get("Content-Type"), "multipart/alternative; boundary=") {
		t.Errorf("MIME headers: %q, %q", h.Get("MIME-Version"), h.Get("Content-Type"))
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID = %q", id)
	}
	if d, err := h.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date = %v, %v", d, err)
	}
	raw := string(r.Raw)
	for _, want := range []string{"Content-Type: text/plain; charset=UTF-8", "Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw message lacks %q", want)
		}
	}
	if strings.Index(raw, "text/plain") > strings.Index(raw, "text/html") {
		t.Error("text/html comes before text/plain; the preferred part must be last")
	}
	if strings.Contains(raw, "Kind") || strings.Contains(raw, "verification_code") {
		t.Error("Kind leaked into the message")
	}
}

func TestNonASCII(t *testing.T) {
	srv := mailtest.NewServer(t)
	m := &mail.Message{
		From:    "Équipe Exemple <equipe@example.com>",
		To:      "Zoë Brontë <zoe@example.com>",
		Subject: "Vérifiez votre adresse e-mail pour Exemple ✓ — " + strings.Repeat("très long sujet ", 10),
		Text:    "Ouvrez ce lien : https://app.example.com/v?t=é\n" + strings.Repeat("ligne très longue ", 30),
		HTML:    "<p>Bonjour Zoë ✓</p>",
	}
	if err := plain(srv).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	r := srv.WaitFor(t, "zoe@example.com", wait)
	if r.Subject != m.Subject {
		t.Errorf("Subject = %q, want %q", r.Subject, m.Subject)
	}
	if r.Text != m.Text || r.HTML != m.HTML {
		t.Errorf("bodies = %q / %q", r.Text, r.HTML)
	}
	if r.From != "equipe@example.com" {
		t.Errorf("From = %q", r.From)
	}
	if raw := r.Raw; !isASCII(raw[:strings.Index(string(raw), "\r\n\r\n")]) {
		t.Errorf("header is not ASCII; non-ASCII must be encoded:\n%s", raw)
	}
	for _, line := range strings.Split(string(r.Raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
		for _, word := range strings.Fields(line) {
			if strings.HasPrefix(word, "=?") && len(word) > 75 {
				t.Errorf("encoded word of %d characters (RFC 2047 §2: at most 75): %q", len(word), word)
			}
		}
	}
	if id := r.Header.Get("Message-ID"); !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID = %q", id)
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c > '~' {
			return false
		}
	}
	return true
}

func TestSingleParts(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := plain(srv)
	ctx := context.Background()
	if err := s.Send(ctx, &mail.Message{To: "a@example.com", Subject: "t", Text: "text only"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(ctx, &mail.Message{To: "a@example.com", Subject: "h", HTML: "<p>html only</p>"}); err != nil {
		t.Fatal(err)
	}
	r := srv.WaitFor(t, "a@example.com", wait)
	if r.Text != "text only" || r.HTML != "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("text only: %q %q %q", r.Text, r.HTML, r.Header.Get("Content-Type"))
	}
	r = srv.WaitFor(t, "a@example.com", wait)
	if r.HTML != "<p>html only</p>" || r.Text != "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HTML only: %q %q %q", r.Text, r.HTML, r.Header.Get("Content-Type"))
	}
}

// TestDotStuffing: a body line that is a single "." must not end the data.
func TestDotStuffing(t *testing.T) {
	srv := mailtest.NewServer(t)
	m := &mail.Message{To: "a@example.com", Subject: "dots", Text: "before\n.\nafter\n..\n"}
	if err := plain(srv).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if r := srv.WaitFor(t, "a@example.com", wait); r.Text != m.Text {
		t.Errorf("Text = %q, want %q", r.Text, m.Text)
	}
}

func TestSTARTTLSAndAuth(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			srv := mailtest.NewServerWith(t, mailtest.Config{
				STARTTLS: true, RequireTLS: true, Username: "latch", Password: "s3cret", AuthMechanisms: []string{mech},
			})
			s := smtpmail.New(smtpmail.Config{
				Host: srv.Host, Port: srv.Port, Username: "latch", Password: "s3cret",
				From: "no-reply@example.com", TLSConfig: srv.ClientTLSConfig(), Timeout: wait,
			})
			if err := s.Send(context.Background(), message()); err != nil {
				t.Fatal(err)
			}
			r := srv.WaitFor(t, "ada@example.com", wait)
			if !r.TLS || r.AuthUser != "latch" {
				t.Errorf("TLS %v, AuthUser %q", r.TLS, r.AuthUser)
			}
			if r.Subject != message().Subject || r.Text != message().Text {
				t.Errorf("message: %q %q", r.Subject, r.Text)
			}
		})
	}
}

func TestImplicitTLS(t *testing.T) {
	srv := mailtest.NewServerWith(t, mailtest.Config{ImplicitTLS: true, Username: "latch", Password: "s3cret"})
	s := smtpmail.New(smtpmail.Config{
		Host: srv.Host, Port: srv.Port, Username: "latch", Password: "s3cret", TLS: smtpmail.ImplicitTLS,
		From: "no-reply@example.com", TLSConfig: srv.ClientTLSConfig(), Timeout: wait,
	})
	if err := s.Send(context.Background(), message()); err != nil {
		t.Fatal(err)
	}
	if r := srv.WaitFor(t, "ada@example.com", wait); !r.TLS || r.AuthUser != "latch" {
		t.Errorf("TLS %v, AuthUser %q", r.TLS, r.AuthUser)
	}
}

func TestWrongPassword(t *testing.T) {
	srv := mailtest.NewServerWith(t, mailtest.Config{STARTTLS: true, Username: "latch", Password: "s3cret"})
	s := smtpmail.New(smtpmail.Config{
		Host: srv.Host, Port: srv.Port, Username: "latch", Password: "wrong-password-canary",
		From: "no-reply@example.com", TLSConfig: srv.ClientTLSConfig(), Timeout: wait,
	})
	err := s.Send(context.Background(), message())
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 535 {
		t.Fatalf("Send = %v, want a 535 *textproto.Error", err)
	}
	if strings.Contains(err.Error(), "wrong-password-canary") {
		t.Error("the password appears in the error")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages delivered", n)
	}
}

// TestSTARTTLSStripping: by default, a server that does not offer STARTTLS
// (or an attacker who removed the offer) gets nothing, rather than the
// message in plaintext.
func TestSTARTTLSStripping(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := smtpmail.New(smtpmail.Config{Host: srv.Host, Port: srv.Port, From: "no-reply@example.com", Timeout: wait})
	if err := s.Send(context.Background(), message()); !errors.Is(err, smtpmail.ErrNoSTARTTLS) {
		t.Fatalf("Send = %v, want ErrNoSTARTTLS", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages delivered in plaintext", n)
	}
}

// TestUntrustedCertificate: STARTTLS with a certificate that does not
// verify is an error, not a silent downgrade.
func TestUntrustedCertificate(t *testing.T) {
	srv := mailtest.NewServerWith(t, mailtest.Config{STARTTLS: true})
	s := smtpmail.New(smtpmail.Config{Host: srv.Host, Port: srv.Port, From: "no-reply@example.com", Timeout: wait})
	err := s.Send(context.Background(), message())
	var cve *tls.CertificateVerificationError
	if !errors.As(err, &cve) {
		t.Fatalf("Send = %v, want a certificate verification error", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages delivered", n)
	}
}

// TestPlaintextAuthLoopbackOnly: InsecurePlaintext may authenticate to a
// development server on this machine.
func TestPlaintextAuthLoopbackOnly(t *testing.T) {
	srv := mailtest.NewServerWith(t, mailtest.Config{Username: "latch", Password: "s3cret"})
	s := smtpmail.New(smtpmail.Config{
		Host: srv.Host, Port: srv.Port, Username: "latch", Password: "s3cret",
		From: "no-reply@example.com", TLS: smtpmail.InsecurePlaintext, Timeout: wait,
	})
	if err := s.Send(context.Background(), message()); err != nil {
		t.Fatalf("loopback plaintext auth: %v", err)
	}
	if r := srv.WaitFor(t, "ada@example.com", wait); r.AuthUser != "latch" {
		t.Errorf("AuthUser = %q", r.AuthUser)
	}
}

// TestHeaderInjectionRejected: CR or LF in the recipient or the subject is
// refused before any connection is made.
func TestHeaderInjectionRejected(t *testing.T) {
	// A listener that fails the test if anything connects to it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	connected := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			connected <- struct{}{}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	s := smtpmail.New(smtpmail.Config{Host: "127.0.0.1", Port: port, From: "no-reply@example.com", TLS: smtpmail.InsecurePlaintext, Timeout: wait})

	tests := map[string]func(m *mail.Message){
		"CRLF in To":      func(m *mail.Message) { m.To = "ada@example.com\r\nBcc: eve@example.org" },
		"LF in To":        func(m *mail.Message) { m.To = "ada@example.com\nBcc: eve@example.org" },
		"CRLF in Subject": func(m *mail.Message) { m.Subject = "Hi\r\nBcc: eve@example.org" },
		"LF in Subject":   func(m *mail.Message) { m.Subject = "Hi\nBcc: eve@example.org" },
		"CRLF in From":    func(m *mail.Message) { m.From = "a@example.com\r\nBcc: eve@example.org" },
		"CRLF in a header": func(m *mail.Message) {
			m.Headers = map[string]string{"Reply-To": "a@example.com\r\nBcc: eve@example.org"}
		},
		"Bcc header": func(m *mail.Message) { m.Headers = map[string]string{"Bcc": "eve@example.org"} },
	}
	for name, modify := range tests {
		m := message()
		modify(m)
		if err := s.Send(context.Background(), m); !errors.Is(err, mail.ErrInvalidMessage) {
			t.Errorf("%s: Send = %v, want ErrInvalidMessage", name, err)
		}
	}
	select {
	case <-connected:
		t.Fatal("the sender connected to the server")
	case <-time.After(50 * time.Millisecond):
	}
}

// TestContextDeadline: a server that never answers holds Send no longer
// than the context allows, and the error says why.
func TestContextDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept, then say nothing
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	s := smtpmail.New(smtpmail.Config{Host: "127.0.0.1", Port: port, From: "no-reply@example.com", TLS: smtpmail.InsecurePlaintext, Timeout: time.Minute})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, message())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v", d)
	}

	// Cancellation without a deadline also unblocks it.
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	if err := s.Send(ctx, message()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want Canceled", err)
	}

	// And the Timeout bounds it when the context has no deadline.
	s = smtpmail.New(smtpmail.Config{Host: "127.0.0.1", Port: port, From: "no-reply@example.com", TLS: smtpmail.InsecurePlaintext, Timeout: 100 * time.Millisecond})
	var ne net.Error
	if err := s.Send(context.Background(), message()); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Send = %v, want a timeout", err)
	}
}

func TestServerDown(t *testing.T) {
	srv := mailtest.NewServer(t)
	s := plain(srv)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), message()); err == nil {
		t.Fatal("Send to a closed server succeeded")
	}
}

func TestConfig(t *testing.T) {
	tests := map[string]smtpmail.Config{
		"no host":           {From: "a@example.com"},
		"no from":           {Host: "smtp.example.com"},
		"from with CRLF":    {Host: "smtp.example.com", From: "a@example.com\r\nBcc: b@example.com"},
		"host with space":   {Host: "smtp example.com", From: "a@example.com"},
		"bad port":          {Host: "smtp.example.com", From: "a@example.com", Port: 70000},
		"bad mode":          {Host: "smtp.example.com", From: "a@example.com", TLS: 7},
		"password, no user": {Host: "smtp.example.com", From: "a@example.com", Password: "x"},
		"HELO with CRLF":    {Host: "smtp.example.com", From: "a@example.com", HeloName: "x\r\nRSET"},
		"negative timeout":  {Host: "smtp.example.com", From: "a@example.com", Timeout: -1},
	}
	for name, cfg := range tests {
		if err := cfg.Validate(); !errors.Is(err, smtpmail.ErrConfig) {
			t.Errorf("%s: Validate = %v", name, err)
		}
		if err := smtpmail.New(cfg).Send(context.Background(), message()); !errors.Is(err, smtpmail.ErrConfig) {
			t.Errorf("%s: Send = %v", name, err)
		}
	}
	if err := (smtpmail.Config{Host: "smtp.example.com", From: "a@example.com"}).Validate(); err != nil {
		t.Errorf("minimal config: %v", err)
	}
}

func ExampleNew() {
	mailer := smtpmail.New(smtpmail.Config{
		Host:     "smtp.example.com", // port 587, STARTTLS required
		Username: "apikey",
		Password: "secret",
		From:     "Example <no-reply@example.com>",
	})
	_ = mailer // latch.Config{Mailer: mailer, …}
}
