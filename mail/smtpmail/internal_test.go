package smtpmail

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/mail/mailtest"
)

// TestPlaintextCredentialsToRemoteHostRefused: a server reached without
// TLS under a name that is not a loopback address never sees the password,
// even when it offers AUTH.
func TestPlaintextCredentialsToRemoteHostRefused(t *testing.T) {
	for _, mech := range []string{"PLAIN", "LOGIN"} {
		t.Run(mech, func(t *testing.T) {
			srv := mailtest.NewServerWith(t, mailtest.Config{Username: "latch", Password: "s3cret", AuthMechanisms: []string{mech}})
			s := New(Config{
				Host: "mail.example.test", Username: "latch", Password: "s3cret",
				From: "no-reply@example.com", TLS: InsecurePlaintext, Timeout: 5 * time.Second,
			})
			s.dial = func(d *net.Dialer, ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, srv.Addr)
			}
			err := s.Send(context.Background(), &mail.Message{To: "ada@example.com", Subject: "s", Text: "t"})
			if !errors.Is(err, ErrPlaintextAuth) {
				t.Fatalf("Send = %v, want ErrPlaintextAuth", err)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("%d messages delivered", n)
			}
		})
	}
}

func TestIDDomain(t *testing.T) {
	for addr, want := range map[string]string{
		"a@example.com":   "example.com",
		"a@[127.0.0.1]":   "[127.0.0.1]",
		"a@exämple.com":   "localhost",
		"\"a@b\"@x.org":   "x.org",
		"a@":              "localhost",
		"a@ex ample.com":  "localhost",
		"a@ex<ample>.com": "localhost",
	} {
		if got := idDomain(addr); got != want {
			t.Errorf("idDomain(%q) = %q, want %q", addr, got, want)
		}
	}
}
