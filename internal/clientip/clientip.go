// Package clientip finds the address a request came from behind trusted
// proxies (X-Forwarded-For and Forwarded, RFC 7239), believing the headers
// only as far as the trusted proxies wrote them.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the trusted proxies, parsed.
type Proxies struct {
	trusted []netip.Prefix
}

// Parse reads trusted proxies' addresses or networks ("10.0.0.0/8",
// "127.0.0.1").
func Parse(trusted []string) (Proxies, error) {
	var p Proxies
	for _, s := range trusted {
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return p, err
			}
			p.trusted = append(p.trusted, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pre, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		p.trusted = append(p.trusted, pre.Masked())
	}
	return p, nil
}

func (p Proxies) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pre := range p.trusted {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP is the address the request came from. When the connection is
// from a trusted proxy, the forwarding headers are read right to left,
// passing over trusted proxies, and the first address that is not one is
// the client's: addresses further left were written by whoever sent the
// request and prove nothing.
func (p Proxies) ClientIP(r *http.Request) string {
	peer := remoteAddr(r)
	if !peer.IsValid() {
		return r.RemoteAddr
	}
	if !p.isTrusted(peer) {
		return peer.String()
	}
	hops := forwardedFor(r)
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break // garbage: stop believing the chain here
		}
		if !p.isTrusted(a) {
			return a.Unmap().String()
		}
	}
	return peer.String()
}

func remoteAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// forwardedFor lists the addresses of the Forwarded header's for=
// parameters (RFC 7239) or, without it, of X-Forwarded-For, left to right,
// across all lines of the header.
func forwardedFor(r *http.Request) []string {
	var out []string
	if fw := r.Header.Values("Forwarded"); len(fw) > 0 {
		for _, line := range fw {
			for _, elem := range strings.Split(line, ",") {
				for _, pair := range strings.Split(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if !ok || !strings.EqualFold(k, "for") {
						continue
					}
					v = strings.Trim(v, `"`)
					if strings.HasPrefix(v, "[") { // [2001:db8::1]:4711
						if end := strings.IndexByte(v, ']'); end > 0 {
							v = v[1:end]
						}
					} else if h, _, err := net.SplitHostPort(v); err == nil {
						v = h
					}
					out = append(out, v)
				}
			}
		}
		return out
	}
	for _, line := range r.Header.Values("X-Forwarded-For") {
		for _, a := range strings.Split(line, ",") {
			out = append(out, strings.TrimSpace(a))
		}
	}
	return out
}
