package latch

import "github.com/latchauth/latch/internal/clientip"

// ProxyConfig says which proxies in front of the application may tell it
// the client's address. Without it, the address is the connection's: a
// client can write any X-Forwarded-For it likes, so the header is believed
// only when it was set by a proxy listed here.
type ProxyConfig struct {
	// Trusted lists the proxies' addresses or networks ("10.0.0.0/8",
	// "127.0.0.1"). Empty: no proxy is trusted.
	Trusted []string
}

func (c ProxyConfig) parse() (clientip.Proxies, error) { return clientip.Parse(c.Trusted) }
