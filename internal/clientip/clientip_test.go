package clientip

import (
	"net/http/httptest"
	"testing"
)

// TestTrustedProxyIPParsingIgnoresSpoofedHeaders: forwarding headers count
// only when the connection comes from a trusted proxy, and then only the
// hops the trusted proxies appended.
func TestTrustedProxyIPParsingIgnoresSpoofedHeaders(t *testing.T) {
	p, err := Parse([]string{"10.0.0.0/8", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, remote, xff, forwarded, want string
	}{
		{"no proxy: header ignored", "203.0.113.7:5555", "1.2.3.4", "", "203.0.113.7"},
		{"trusted proxy", "10.1.2.3:443", "198.51.100.9", "", "198.51.100.9"},
		{"spoofed left part ignored", "10.1.2.3:443", "1.2.3.4, 198.51.100.9", "", "198.51.100.9"},
		{"chain of trusted proxies", "10.1.2.3:443", "1.2.3.4, 198.51.100.9, 10.9.9.9, 192.0.2.1", "", "198.51.100.9"},
		{"garbage stops the chain", "10.1.2.3:443", "198.51.100.9, not-an-ip", "", "10.1.2.3"},
		{"only proxies", "10.1.2.3:443", "10.2.2.2", "", "10.1.2.3"},
		{"Forwarded header", "192.0.2.1:80", "", `for=1.2.3.4, for="[2001:db8::7]:4711"`, "2001:db8::7"},
		{"untrusted with Forwarded", "203.0.113.7:1", "", "for=1.2.3.4", "203.0.113.7"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:443", "198.51.100.9", "", "198.51.100.9"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if c.forwarded != "" {
			r.Header.Set("Forwarded", c.forwarded)
		}
		if got := p.ClientIP(r); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}
