package latch

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/storage/memstore"
	"github.com/latchauth/latch/storage/sqlitestore"
)

// clientCookieOf returns the client cookie among cookies.
func (f *fixture) clientCookie() *http.Cookie {
	for _, c := range f.cookies {
		if c.Name == f.a.cookies.clientName {
			return c
		}
	}
	return nil
}

// forgedToken is a well-formed session token for the fixture's session,
// with the header (and so the kid) of a real one and a signature that is
// not: it costs a full signature check to refuse.
func (f *fixture) forgedToken() string {
	parts := strings.Split(f.session.Token, ".")
	sig := make([]byte, 64)
	for i := range sig {
		sig[i] = byte(i)
	}
	return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// BenchmarkInvalidToken is the server cost of requests an attacker can
// make for free: a garbage session cookie next to their own valid client
// cookie (which a refresh would check against the database, then sign a new
// token for), and a well-formed forgery (which a verifier refuses only
// after checking its signature). writes/op counts storage writes.
func BenchmarkInvalidToken(b *testing.B) {
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	b.Run("garbage+client", func(b *testing.B) {
		db, err := sqlitestore.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		cs := &countingStore{Store: db}
		f := newFixture(b, cs)
		h := f.a.Middleware(next)
		r := f.request(f.clientCookie(), &http.Cookie{Name: f.a.cookies.sessionName, Value: "garbage"})
		cs.writes.Store(0)
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(httptest.NewRecorder(), r)
		}
		b.ReportMetric(float64(cs.writes.Load())/float64(b.N), "writes/op")
	})
	b.Run("forgery", func(b *testing.B) {
		f := newFixture(b, memstore.New())
		h := f.a.Middleware(next)
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+f.forgedToken())
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, r)
		}
	})
}

// heapPerCachedToken returns the live heap per verified token that the
// middleware remembers, for requests whose Cookie header also carries pad
// bytes of junk.
func heapPerCachedToken(tb testing.TB, pad int) float64 {
	f := newFixture(tb, memstore.New())
	h := f.a.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	const n = 256
	junk := strings.Repeat("j", pad)
	toks := make([]string, n)
	for i := range toks {
		c := *f.session.Claims
		c.SessionID = f.session.ID + string(rune('a'+i%26)) + string(rune('a'+i/26))
		tok, err := f.a.keys.set.Sign(&c)
		if err != nil {
			tb.Fatal(err)
		}
		toks[i] = tok
	}
	f.a.cache = newTokenCache(f.a.cfg.Session.Leeway)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, tok := range toks {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", "junk="+junk+"; "+f.a.cookies.sessionName+"="+tok)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := f.a.cache.c.Len(); got != n {
		tb.Fatalf("%d tokens cached, want %d", got, n)
	}
	runtime.KeepAlive(toks)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
}

// TestTokenCacheDoesNotKeepCookieHeaders: a cached token is a copy, so a
// request with a 64 KiB junk cookie beside its session token leaves about
// a kilobyte behind (it left 74 KB, the whole header, before), and the
// cache's estimate of an entry is not below what the entry holds.
func TestTokenCacheDoesNotKeepCookieHeaders(t *testing.T) {
	per := heapPerCachedToken(t, 64<<10)
	t.Logf("%.0f bytes of heap per cached token with a 64 KiB Cookie header", per)
	const bound = 4 << 10
	if per > bound {
		t.Errorf("each cached token keeps %.0f bytes alive, more than %d: the request's headers are retained", per, bound)
	}
	f := newFixture(t, memstore.New())
	if est, held := 2*len(f.session.Token)+cachedTokenOverhead, heapPerCachedToken(t, 0); float64(est) < held {
		t.Logf("estimate %d, held %.0f, token %d bytes", est, held, len(f.session.Token))
		t.Errorf("the cache estimates %d bytes per entry, less than it holds", est)
	}
}

// serve runs the middleware on r and returns the session it found.
func (f *fixture) serve(r *http.Request) (*Session, *httptest.ResponseRecorder) {
	var got *Session
	rec := httptest.NewRecorder()
	f.a.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = SessionFromContext(r.Context()) })).ServeHTTP(rec, r)
	return got, rec
}

// TestUnreadableSessionCookieRefreshedOncePerInterval: a browser whose
// session cookie is garbage is refreshed from its client cookie once; the
// same client sending garbage again within unreadableRefreshLimit is signed
// out without a storage call or a signature.
func TestUnreadableSessionCookieRefreshedOncePerInterval(t *testing.T) {
	cs := &countingStore{Store: memstore.New()}
	f := newFixture(t, cs)
	garbage := f.request(f.clientCookie(), &http.Cookie{Name: f.a.cookies.sessionName, Value: "garbage"})
	if err := f.a.ensureKeys(context.Background()); err != nil {
		t.Fatal(err)
	}
	cs.reads.Store(0)
	cs.writes.Store(0)
	if s, _ := f.serve(garbage); s == nil || s.ID != f.session.ID {
		t.Fatalf("the first unreadable cookie was not refreshed: %+v", s)
	}
	for range 20 {
		if s, _ := f.serve(garbage); s != nil {
			t.Fatal("an unreadable cookie was refreshed again within the interval")
		}
	}
	if r, w := cs.reads.Load(), cs.writes.Load(); r != 1 || w != 1 {
		t.Errorf("21 requests with an unreadable cookie cost %d reads and %d writes, want 1 and 1", r, w)
	}
	f.advance(unreadableRefreshLimit.Period + time.Second)
	if s, _ := f.serve(garbage); s == nil {
		t.Error("an unreadable cookie was not refreshed after the interval")
	}
}

// TestForgedTokensRateLimitedPerAddress: past forgedTokenLimit signature
// failures from one address, that address's uncached tokens are refused
// without a signature check (even a valid one, until the limit allows
// again), while other addresses are unaffected.
func TestForgedTokensRateLimitedPerAddress(t *testing.T) {
	f := newFixture(t, memstore.New())
	from := func(ip, tok string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = ip + ":1234"
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	fresh := func() string { // a valid token this instance has not cached
		f.advance(time.Second)
		c := *f.session.Claims
		c.IssuedAt, c.NotBefore, c.ExpiresAt = f.a.cfg.Clock(), f.a.cfg.Clock(), f.a.cfg.Clock().Add(time.Minute)
		tok, err := f.a.keys.set.Sign(&c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	forged := f.forgedToken()
	for range forgedTokenLimit.Burst + 5 {
		f.serve(from("203.0.113.7", forged))
	}
	if s, _ := f.serve(from("203.0.113.7", fresh())); s != nil {
		t.Error("an address over its forgery budget had a token checked")
	}
	if s, _ := f.serve(from("198.51.100.1", fresh())); s == nil {
		t.Error("another address was refused for the first one's forgeries")
	}
	f.advance(time.Minute)
	if s, _ := f.serve(from("203.0.113.7", fresh())); s == nil {
		t.Error("the address was still refused after its budget recovered")
	}
}
