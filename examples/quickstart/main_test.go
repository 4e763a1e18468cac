package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
)

// TestQuickstartPagesCarrySecurityHeaders: the app's own pages, not only
// Latch's, can be neither framed nor sniffed and leak no URL.
func TestQuickstartPagesCarrySecurityHeaders(t *testing.T) {
	srv := newServer("localhost:0", latchtest.New(t))
	for _, path := range []string{"/", "/dashboard"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept", "text/html")
		rec := httptest.NewRecorder()
		srv.Handler.ServeHTTP(rec, req)
		h := rec.Header()
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s (%d) lacks the security headers: %v", path, rec.Code, h)
		}
	}
}

// TestQuickstartServerDropsSlowClients: a client that sends its headers a
// byte at a time (slowloris), or never sends them, must not hold a
// connection for ever. Every timeout of the server is set, and a
// connection that sends half a request is closed after ReadHeaderTimeout.
func TestQuickstartServerDropsSlowClients(t *testing.T) {
	srv := newServer("127.0.0.1:0", latchtest.New(t))
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Fatalf("timeouts: header %v read %v write %v idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n")); err != nil { // and no more
		t.Fatal(err)
	}
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(srv.ReadHeaderTimeout + 5*time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		res.Body.Close()
	}
	if waited := time.Since(start); waited >= srv.ReadHeaderTimeout+5*time.Second {
		t.Fatalf("a half-sent request held its connection for %v", waited)
	}
}

// TestQuickstartDemoProvider: with a local OpenID Provider named, the
// sign-in page offers "Continue with Demo".
func TestQuickstartDemoProvider(t *testing.T) {
	t.Setenv("QUICKSTART_OIDC_ISSUER", "http://localhost:9998")
	t.Setenv("QUICKSTART_OIDC_CLIENT_ID", "quickstart")
	t.Setenv("QUICKSTART_OIDC_CLIENT_SECRET", "secret")
	h := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: plugins("localhost:8080")}})
	res := latchtest.NewBrowser(h.Auth.Handler()).Get("/sign-in")
	page, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(page), "Continue with Demo") {
		t.Fatalf("no demo provider button:\n%s", page)
	}
}
