package botcheck

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// siteverifyServer is a fake siteverify endpoint. It asserts the request is a
// form POST with exactly the fields in want, then writes reply.
func siteverifyServer(t *testing.T, want url.Values, reply string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != http.MethodPost {
			t.Errorf("method %s, want POST", r.Method)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type %q", ct)
		}
		if r.URL.RawQuery != "" {
			t.Errorf("query string %q: secrets belong in the body", r.URL.RawQuery)
		}
		body, _ := io.ReadAll(r.Body)
		got, err := url.ParseQuery(string(body))
		if err != nil {
			t.Errorf("body %q: %v", body, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("form fields\n got %v\nwant %v", got, want)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestTurnstileRequestFormat(t *testing.T) {
	const secret, token = "0x4AAAAAAA-secret", "XXXX.DUMMY.TOKEN.XXXX"
	withIP := url.Values{"secret": {secret}, "response": {token}, "remoteip": {"203.0.113.7"}}
	for _, tc := range []struct {
		name     string
		ts       Turnstile
		remoteIP string
		want     url.Values
		reply    string
		wantErr  error
		codes    []string
	}{
		{
			name: "success", remoteIP: "203.0.113.7", want: withIP,
			reply: `{"success":true,"error-codes":[],"challenge_ts":"2026-01-02T03:04:05.678Z","hostname":"app.example.com","action":"signup","cdata":"sessionid-123","metadata":{"ephemeral_id":"x:1"}}`,
			ts:    Turnstile{Hostname: "APP.example.com", Action: "signup"},
		},
		{
			name: "success without remote ip", want: url.Values{"secret": {secret}, "response": {token}},
			reply: `{"success":true,"error-codes":[],"challenge_ts":"2026-01-02T03:04:05.678Z","hostname":"app.example.com","action":"","cdata":""}`,
		},
		{
			name: "invalid response", remoteIP: "203.0.113.7", want: withIP,
			reply:   `{"success":false,"error-codes":["invalid-input-response"],"messages":[]}`,
			wantErr: ErrInvalid, codes: []string{"invalid-input-response"},
		},
		{
			name: "duplicate", remoteIP: "203.0.113.7", want: withIP,
			reply:   `{"success":false,"error-codes":["timeout-or-duplicate"]}`,
			wantErr: ErrInvalid, codes: []string{"timeout-or-duplicate"},
		},
		{
			name: "bad secret is unavailable", remoteIP: "203.0.113.7", want: withIP,
			reply:   `{"success":false,"error-codes":["invalid-input-secret"]}`,
			wantErr: ErrUnavailable, codes: []string{"invalid-input-secret"},
		},
		{
			name: "internal error is unavailable", remoteIP: "203.0.113.7", want: withIP,
			reply:   `{"success":false,"error-codes":["internal-error"]}`,
			wantErr: ErrUnavailable, codes: []string{"internal-error"},
		},
		{
			name: "hostname mismatch", remoteIP: "203.0.113.7", want: withIP,
			reply:   `{"success":true,"error-codes":[],"challenge_ts":"2026-01-02T03:04:05Z","hostname":"evil.example","action":"signup","cdata":""}`,
			ts:      Turnstile{Hostname: "app.example.com"},
			wantErr: ErrInvalid,
		},
		{
			name: "action mismatch", remoteIP: "203.0.113.7", want: withIP,
			reply:   `{"success":true,"error-codes":[],"challenge_ts":"2026-01-02T03:04:05Z","hostname":"app.example.com","action":"signin","cdata":""}`,
			ts:      Turnstile{Action: "signup"},
			wantErr: ErrInvalid,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := siteverifyServer(t, tc.want, tc.reply)
			v := tc.ts
			v.Secret, v.URL = secret, srv.URL
			err := v.Verify(context.Background(), token, tc.remoteIP)
			checkVerifyErr(t, err, tc.wantErr, tc.codes)
			if calls.Load() != 1 {
				t.Fatalf("%d requests, want 1", calls.Load())
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestHCaptchaRequestFormat(t *testing.T) {
	const secret, token, sitekey = "0x0000000000000000000000000000000000000000", "P1_eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.x.y", "10000000-ffff-ffff-ffff-000000000001"
	full := url.Values{"secret": {secret}, "response": {token}, "remoteip": {"2001:db8::1"}, "sitekey": {sitekey}}
	for _, tc := range []struct {
		name     string
		hc       HCaptcha
		remoteIP string
		want     url.Values
		reply    string
		wantErr  error
		codes    []string
	}{
		{
			name: "success", hc: HCaptcha{SiteKey: sitekey, Hostname: "app.example.com"}, remoteIP: "2001:db8::1", want: full,
			reply: `{"success":true,"challenge_ts":"2026-01-02T03:04:05.000000Z","hostname":"app.example.com","credit":false}`,
		},
		{
			name: "success, no site key or ip", want: url.Values{"secret": {secret}, "response": {token}},
			reply: `{"success":true,"challenge_ts":"2026-01-02T03:04:05Z","hostname":"app.example.com"}`,
		},
		{
			name: "invalid response", hc: HCaptcha{SiteKey: sitekey}, remoteIP: "2001:db8::1", want: full,
			reply:   `{"success":false,"error-codes":["invalid-input-response"]}`,
			wantErr: ErrInvalid, codes: []string{"invalid-input-response"},
		},
		{
			name: "already seen", hc: HCaptcha{SiteKey: sitekey}, remoteIP: "2001:db8::1", want: full,
			reply:   `{"success":false,"error-codes":["invalid-or-already-seen-response"]}`,
			wantErr: ErrInvalid, codes: []string{"invalid-or-already-seen-response"},
		},
		{
			name: "sitekey mismatch is unavailable", hc: HCaptcha{SiteKey: sitekey}, remoteIP: "2001:db8::1", want: full,
			reply:   `{"success":false,"error-codes":["sitekey-secret-mismatch"]}`,
			wantErr: ErrUnavailable, codes: []string{"sitekey-secret-mismatch"},
		},
		{
			name: "hostname mismatch", hc: HCaptcha{SiteKey: sitekey, Hostname: "app.example.com"}, remoteIP: "2001:db8::1", want: full,
			reply:   `{"success":true,"challenge_ts":"2026-01-02T03:04:05Z","hostname":"evil.example"}`,
			wantErr: ErrInvalid,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, calls := siteverifyServer(t, tc.want, tc.reply)
			v := tc.hc
			v.Secret, v.URL = secret, srv.URL
			checkVerifyErr(t, v.Verify(context.Background(), token, tc.remoteIP), tc.wantErr, tc.codes)
			if calls.Load() != 1 {
				t.Fatalf("%d requests, want 1", calls.Load())
			}
		})
	}
}

func checkVerifyErr(t *testing.T, err, want error, codes []string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	other := ErrUnavailable
	if want == ErrUnavailable {
		other = ErrInvalid
	}
	if errors.Is(err, other) {
		t.Fatalf("%v matches both ErrInvalid and ErrUnavailable", err)
	}
	var ce *CaptchaError
	if !errors.As(err, &ce) {
		t.Fatalf("%T is not a *CaptchaError", err)
	}
	if codes != nil && !reflect.DeepEqual(ce.Codes, codes) {
		t.Fatalf("codes %v, want %v", ce.Codes, codes)
	}
	for _, c := range codes {
		if !strings.Contains(err.Error(), c) {
			t.Fatalf("error %q omits code %q", err, c)
		}
	}
}

func TestVerifierRefusesWithoutRequest(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.WriteString(w, `{"success":true}`)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name  string
		v     Verifier
		token string
		want  error
	}{
		{"turnstile empty token", Turnstile{Secret: "s", URL: srv.URL}, "", ErrInvalid},
		{"turnstile token too long", Turnstile{Secret: "s", URL: srv.URL}, strings.Repeat("a", MaxTurnstileTokenLen+1), ErrInvalid},
		{"turnstile no secret", Turnstile{URL: srv.URL}, "tok", ErrUnavailable},
		{"hcaptcha empty token", HCaptcha{Secret: "s", URL: srv.URL}, "", ErrInvalid},
		{"hcaptcha token too long", HCaptcha{Secret: "s", URL: srv.URL}, strings.Repeat("a", MaxHCaptchaTokenLen+1), ErrInvalid},
		{"hcaptcha no secret", HCaptcha{URL: srv.URL}, "tok", ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.v.Verify(context.Background(), tc.token, ""); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if calls.Load() != 0 {
		t.Fatalf("%d requests made for tokens refused locally", calls.Load())
	}
}

func TestVerifierServiceDownIsUnavailable(t *testing.T) {
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + l.Addr().String() + "/siteverify"
	l.Close()

	handler := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	hang := make(chan struct{})
	cases := []struct {
		name    string
		url     string
		timeout time.Duration
	}{
		{"connection refused", closedURL, 0},
		{"HTTP 503", handler(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
		}), 0},
		{"HTTP 302 not followed", handler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://attacker.example/steal", http.StatusTemporaryRedirect)
		}), 0},
		{"HTML instead of JSON", handler(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html>Cloudflare error 1020</html>")
		}), 0},
		{"oversized response", handler(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"success":true,"hostname":"`+strings.Repeat("a", maxVerifyResponse)+`"}`)
		}), 0},
		{"timeout", handler(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}), 50 * time.Millisecond},
	}
	// Registered after the servers' Close, so it runs first and frees the
	// hanging handler.
	t.Cleanup(func() { close(hang) })
	for _, tc := range cases {
		for _, v := range []Verifier{
			Turnstile{Secret: "s", URL: tc.url, Timeout: tc.timeout},
			HCaptcha{Secret: "s", URL: tc.url, Timeout: tc.timeout},
		} {
			t.Run(tc.name+"/"+reflect.TypeOf(v).Name(), func(t *testing.T) {
				start := time.Now()
				err := v.Verify(context.Background(), "token", "198.51.100.2")
				if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalid) {
					t.Fatalf("got %v, want ErrUnavailable only", err)
				}
				if tc.timeout > 0 && time.Since(start) > 5*time.Second {
					t.Fatalf("timeout not enforced: took %v", time.Since(start))
				}
			})
		}
	}
}
