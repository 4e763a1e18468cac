package password

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func sha1Hex(pw string) string {
	s := sha1.Sum([]byte(pw))
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// rangeServer serves the Pwned Passwords range API for the given password counts, with
// padding entries and CRLF line ends as the real service sends, and records each request.
type rangeServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func newRangeServer(t *testing.T, counts map[string]int) *rangeServer {
	rs := &rangeServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		rs.reqs, rs.body = append(rs.reqs, r), append(rs.body, b)
		rs.mu.Unlock()
		prefix := strings.TrimPrefix(r.URL.Path, "/range/")
		var lines []string
		for pw, n := range counts {
			if h := sha1Hex(pw); h[:5] == prefix {
				lines = append(lines, fmt.Sprintf("%s:%d", h[5:], n))
			}
		}
		for i := range 5 { // padding: random-looking suffixes with count 0
			lines = append(lines, fmt.Sprintf("%035X:0", i*7919))
		}
		lines = append(lines, "0018A45C4D1DEF81644B54AB7F969B88D65:21") // someone else's
		io.WriteString(w, strings.Join(lines, "\r\n"))
	}))
	t.Cleanup(rs.Close)
	return rs
}

func TestHIBPSendsOnlyPrefix(t *testing.T) {
	const breached, clean = "correct horse battery staple", "unlisted granite parable"
	rs := newRangeServer(t, map[string]int{breached: 42, clean + "-not": 3})
	p := &Policy{HIBP: &HIBP{Endpoint: rs.URL + "/range/"}}

	if got := code(t, p.Check(context.Background(), breached)); got != CodeBreached {
		t.Errorf("breached password: got %q, want %s", got, CodeBreached)
	}
	rep, err := p.CheckReport(context.Background(), clean)
	if err != nil || !rep.OnlineChecked || rep.FellBack {
		t.Errorf("clean password: err=%v report=%+v", err, rep)
	}

	path := regexp.MustCompile(`^/range/[0-9A-F]{5}$`)
	for i, r := range rs.reqs {
		pw := []string{breached, clean}[i]
		full := sha1Hex(pw)
		if !path.MatchString(r.URL.Path) || r.URL.Path != "/range/"+full[:5] {
			t.Errorf("request path %q, want /range/%s", r.URL.Path, full[:5])
		}
		if r.Method != http.MethodGet || r.URL.RawQuery != "" || len(rs.body[i]) != 0 {
			t.Errorf("request %s ?%q with %d body bytes, want a bare GET", r.Method, r.URL.RawQuery, len(rs.body[i]))
		}
		if r.Header.Get("Add-Padding") != "true" {
			t.Error("Add-Padding: true not sent")
		}
		var dump bytes.Buffer
		r.Header.Write(&dump)
		dump.WriteString(r.URL.String())
		dump.Write(rs.body[i])
		s := strings.ToUpper(dump.String())
		for _, secret := range []string{pw, full, full[5:], full[5:15]} {
			if strings.Contains(s, strings.ToUpper(secret)) {
				t.Errorf("request contains %q", secret)
			}
		}
	}

	// Threshold: 42 appearances are not enough at 100.
	p.HIBP.Threshold = 100
	if err := p.Check(context.Background(), breached); err != nil {
		t.Errorf("count below threshold: %v", err)
	}
}

func TestHIBPPaddingEntriesIgnored(t *testing.T) {
	const pw = "padded but not pwned"
	rs := newRangeServer(t, map[string]int{pw: 0})
	if n, err := (&HIBP{Endpoint: rs.URL + "/range/"}).Count(context.Background(), pw); err != nil || n != 0 {
		t.Errorf("Count = %d, %v; want 0, nil", n, err)
	}
}

func TestHIBPOutageFallsBackToOfflineList(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer hang.Close()
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html>Sign in to the hotel Wi-Fi</html>")
	}))
	defer portal.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line := strings.Repeat("A", 35) + ":1\r\n"
		io.WriteString(w, strings.Repeat(line, 1000))
	}))
	defer huge.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for name, endpoint := range map[string]string{
		"503":              down.URL + "/range/",
		"timeout":          hang.URL + "/range/",
		"not the API":      portal.URL + "/range/",
		"response too big": huge.URL + "/range/",
		"refused":          closed.URL + "/range/",
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			p := &Policy{
				HIBP:   &HIBP{Endpoint: endpoint, Timeout: 200 * time.Millisecond, MaxResponseBytes: 16 << 10},
				Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			}
			start := time.Now()
			rep, err := p.CheckReport(context.Background(), "unlisted granite parable")
			if err != nil || !rep.FellBack || rep.OnlineErr == nil || rep.OnlineChecked {
				t.Errorf("strong password: err=%v report=%+v, want a reported fallback", err, rep)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("sign-up blocked for %v", time.Since(start))
			}
			if !strings.Contains(logs.String(), "level=WARN") || strings.Contains(logs.String(), "granite") {
				t.Errorf("log = %q, want a warning without the password", logs.String())
			}
			// The offline list still decides.
			if got := code(t, p.Check(context.Background(), "password123")); got != CodeCommon {
				t.Errorf("common password during the outage: got %q", got)
			}
		})
	}

	// A caller that gives up gets its context error, not a fallback answer.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := &Policy{HIBP: &HIBP{Endpoint: hang.URL + "/range/"}}
	if err := p.Check(ctx, "unlisted granite parable"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v", err)
	}
}

func TestParseRangeStrict(t *testing.T) {
	suffix := []byte(strings.Repeat("A", 35))
	for body, want := range map[string]int{
		"":                             0,
		strings.Repeat("A", 35) + ":7": 7,
		strings.Repeat("a", 35) + ":7\r\n" + strings.Repeat("B", 35) + ":0\r\n": 7,
		strings.Repeat("A", 35) + ":0":                                          0,
	} {
		if n, err := parseRange([]byte(body), suffix); err != nil || n != want {
			t.Errorf("parseRange(%q) = %d, %v; want %d", body, n, err, want)
		}
	}
	for _, body := range []string{"nope", strings.Repeat("A", 35) + ":", strings.Repeat("A", 34) + ":1", strings.Repeat("G", 35) + ":1", strings.Repeat("A", 35) + ":-1"} {
		if _, err := parseRange([]byte(body), suffix); err == nil {
			t.Errorf("parseRange(%q) accepted", body)
		}
	}
}
