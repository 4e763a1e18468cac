package latch

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch/storage/memstore"
)

// sessionCookieOf is what authenticate reads: the scanned value, or
// net/http's reading when the scanned value has a byte net/http refuses.
func sessionCookieOf(r *http.Request, name string) (string, bool) {
	v, ok := scanCookie(r.Header["Cookie"], name)
	if !ok || validCookieValue(v) {
		return v, ok
	}
	c, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

func TestScanCookieReadsWhatNetHTTPReads(t *testing.T) {
	const name = "latch_session"
	for _, tc := range []struct {
		lines []string
		want  string
		found bool
	}{
		{nil, "", false},
		{[]string{"latch_session=abc"}, "abc", true},
		{[]string{"a=1; latch_session=abc; b=2"}, "abc", true},
		{[]string{`latch_session="abc"`}, "abc", true},
		{[]string{`latch_session="`}, "", false},
		{[]string{"  latch_session = abc  "}, " abc", true}, // net/http keeps the space after =
		{[]string{"latch_session_old=x; latch_sessionx=y; xlatch_session=z; latch_session=abc"}, "abc", true},
		{[]string{"__Host-latch_session=x; latch_session=abc"}, "abc", true},
		{[]string{"a=1", "b=2; latch_session=second-line"}, "second-line", true},
		{[]string{"latch_session=first", "latch_session=second"}, "first", true},
		{[]string{"latch_session=bad\\value; latch_session=good"}, "good", true},
		{[]string{"latch_session=bad value"}, "bad value", true},
		{[]string{"latch_session"}, "", true},
		{[]string{"latch_session="}, "", true},
		{[]string{";;; latch_session=abc;;"}, "abc", true},
		{[]string{"latch_session=a=b"}, "a=b", true},
		{[]string{strings.Repeat("x=1;", maxCookies) + "latch_session=abc"}, "", false},
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header["Cookie"] = tc.lines
		got, found := sessionCookieOf(r, name)
		if got != tc.want || found != tc.found {
			t.Errorf("%q: got %q, %v; want %q, %v", tc.lines, got, found, tc.want, tc.found)
		}
		c, err := r.Cookie(name)
		if (err == nil) != found || err == nil && c.Value != got {
			t.Errorf("%q: net/http reads %v, %v", tc.lines, c, err)
		}
	}
}

func TestScanCookieDoesNotAllocate(t *testing.T) {
	tok := strings.Repeat("eyJhbGciOiJFZERTQSJ9", 24)
	lines := []string{"_ga=GA1.1.1; theme=dark; latch_client=sealed; latch_session=" + tok + "; csrftoken=abc"}
	if n := testing.AllocsPerRun(100, func() {
		if v, ok := scanCookie(lines, "latch_session"); !ok || v != tok {
			t.Fatal("not found")
		}
	}); n != 0 {
		t.Errorf("scanCookie allocates %v times", n)
	}
}

// FuzzScanCookie: for any Cookie header lines, what authenticate reads as
// the session cookie is exactly what Request.Cookie returns, and whenever
// the scanned value is one net/http accepts (which a cached token always
// is) the scan alone already agrees with it.
func FuzzScanCookie(f *testing.F) {
	f.Add("latch_session=abc", "")
	f.Add("a=1; latch_session=\"abc\"; b=2", "latch_session=x")
	f.Add("latch_sessionx=1; latch_session = abc ", "")
	f.Add("latch_session=a\\b; latch_session=ok", "")
	f.Add("latch_session", "latch_session=z")
	f.Add(" ; latch_session=\"\" ;", "\tlatch_session=\t")
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		const name = "latch_session"
		lines := []string{line1}
		if line2 != "" {
			lines = append(lines, line2)
		}
		r := &http.Request{Header: http.Header{"Cookie": lines}}
		want, err := r.Cookie(name)
		raw, rawOK := scanCookie(lines, name)
		got, ok := sessionCookieOf(r, name)
		if (err == nil) != ok || err == nil && got != want.Value {
			t.Fatalf("%q: read %q, %v; net/http %v, %v", lines, got, ok, want, err)
		}
		if rawOK && validCookieValue(raw) && (err != nil || raw != want.Value) {
			t.Fatalf("%q: scanned %q; net/http %v, %v", lines, raw, want, err)
		}
	})
}

// TestSessionCookieReadAsNetHTTPReadsIt: Middleware finds the session cookie
// wherever net/http would, quoted, among others, in a second Cookie header,
// or after an earlier cookie of the same name that net/http skips, and
// never under a longer name.
func TestSessionCookieReadAsNetHTTPReadsIt(t *testing.T) {
	f := newFixture(t, memstore.New())
	name, tok := f.a.cookies.sessionName, f.session.Token
	for _, tc := range []struct {
		lines    []string
		signedIn bool
	}{
		{[]string{name + "=" + tok}, true},
		{[]string{"a=1; " + name + `="` + tok + `"; b=2`}, true},
		{[]string{"a=1", "theme=dark; " + name + "=" + tok}, true},
		{[]string{name + "=bad\\value; " + name + "=" + tok}, true}, // net/http skips the first
		{[]string{name + "x=" + tok}, false},
		{[]string{"x" + name + "=" + tok}, false},
		{[]string{name + "=" + tok + "x"}, false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Cookie"] = tc.lines
		var got *Session
		f.a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = SessionFromContext(r.Context()) })).
			ServeHTTP(httptest.NewRecorder(), r)
		if (got != nil) != tc.signedIn {
			t.Errorf("%q: signed in %v, want %v", tc.lines, got != nil, tc.signedIn)
		}
	}
}
