package latch_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/memstore"
)

// TestSecureHeadersMatchTheHostedPages: an app's own pages wrapped in
// latch.SecureHeaders carry the headers Latch's hosted pages carry, so
// they can be neither framed (clickjacking) nor sniffed, do not leak their
// URL to other sites, and run scripts from their own origin only.
func TestSecureHeadersMatchTheHostedPages(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New()})
	hosted := e.browser().Get("/sign-in")
	app := latch.SecureHeaders(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<p>hi</p>")) }))
	req := httptest.NewRequest("GET", "https://app.example.com/", nil)
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	for _, h := range []string{"Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options", "Cache-Control", "Strict-Transport-Security"} {
		if got, want := rec.Header().Get(h), hosted.Header.Get(h); got == "" || got != want {
			t.Errorf("%s: %q, the hosted pages send %q", h, got, want)
		}
	}
	// Without TLS, no HSTS (a browser ignores it over plain HTTP anyway).
	rec = httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest("GET", "http://localhost/", nil))
	if rec.Header().Get("Strict-Transport-Security") != "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("over plain HTTP: %v", rec.Header())
	}
	// A handler that needs another policy sets its own.
	custom := latch.SecureHeaders(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
	}))
	rec = httptest.NewRecorder()
	custom.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Header().Get("Cache-Control") != "public, max-age=60" {
		t.Errorf("handler's own Cache-Control overridden: %q", rec.Header().Get("Cache-Control"))
	}
}
