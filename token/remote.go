package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of [RemoteConfig].
const (
	DefaultMinRefreshInterval = time.Minute
	DefaultJWKSMaxAge         = time.Hour
	DefaultJWKSFetchTimeout   = 10 * time.Second
	DefaultMaxJWKSBytes       = 64 << 10
)

// RemoteConfig configures a [RemoteKeySet]. The zero value is ready to use.
type RemoteConfig struct {
	// HTTPClient makes the requests. Nil means a new client of this RemoteKeySet's own
	// (never http.DefaultClient, which other code may change).
	HTTPClient *http.Client

	// MinRefreshInterval is the least time between two fetches caused by unknown kids or
	// by age: a flood of tokens with made-up kids costs the JWKS server at most one request
	// per interval. Concurrent requests for a fetch share one. Zero means 1 minute.
	MinRefreshInterval time.Duration

	// MaxAge is how long fetched keys are used before a lookup starts a background refresh,
	// so that a key the signer has dropped stops verifying here too. The old keys keep
	// being used while the refresh runs and if it fails. Zero means 1 hour.
	MaxAge time.Duration

	// Timeout bounds one fetch, including reading the body. Zero means 10 seconds.
	Timeout time.Duration

	// MaxResponseBytes bounds the JWKS body; a longer one is an error. Zero means 64 KiB.
	MaxResponseBytes int64

	// Clock returns the current time, for the refresh interval and MaxAge. Nil means
	// time.Now (or Config.Clock, through NewRemoteVerifier).
	Clock func() time.Time

	// InsecureAllowHTTP permits an http:// JWKS URL on a host other than localhost or a
	// loopback address. It gives up the integrity of the keys: anyone on the network path
	// can substitute their own and mint tokens this verifier accepts.
	InsecureAllowHTTP bool
}

// RemoteKeySet is a [KeySource] that reads the keys from a JWKS URL — the way a service
// that is not the Latch instance verifies session tokens. It fetches lazily (or through
// [RemoteKeySet.Refresh]), caches the keys, and refetches when a token names a kid it does
// not know, at most once per MinRefreshInterval, sharing one fetch among concurrent
// callers. It only ever contacts its configured URL: nothing in a token ("jku", "x5u", …)
// makes it fetch anything. Fetch failures keep the previous keys.
//
// It is safe for concurrent use; a lookup of a known kid takes no lock and does not allocate.
type RemoteKeySet struct {
	url         string
	client      *http.Client
	minInterval time.Duration
	maxAge      time.Duration
	timeout     time.Duration
	maxBytes    int64
	clock       func() time.Time

	snap atomic.Pointer[remoteSnapshot]

	mu        sync.Mutex
	lastFetch time.Time  // start of the last fetch, for the rate limit
	inflight  *fetchCall // the fetch in progress, shared by everyone who wants one
}

type remoteSnapshot struct {
	byKID   map[string]*Key
	fetched time.Time
}

type fetchCall struct {
	done chan struct{}
	err  error // written before done is closed
}

// NewRemoteKeySet returns a RemoteKeySet for jwksURL. It does not fetch yet.
func NewRemoteKeySet(jwksURL string, cfg RemoteConfig) (*RemoteKeySet, error) {
	u, err := url.Parse(jwksURL)
	if err != nil {
		return nil, fmt.Errorf("token: JWKS URL: %w", err)
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
	case u.Scheme == "http" && u.Host != "" && (cfg.InsecureAllowHTTP || isLoopback(u.Hostname())):
	default:
		return nil, errors.New("token: JWKS URL must be an https URL (http only for loopback hosts or with InsecureAllowHTTP)")
	}
	r := &RemoteKeySet{
		url:         u.String(),
		client:      cfg.HTTPClient,
		minInterval: cfg.MinRefreshInterval,
		maxAge:      cfg.MaxAge,
		timeout:     cfg.Timeout,
		maxBytes:    cfg.MaxResponseBytes,
		clock:       cfg.Clock,
	}
	if r.client == nil {
		r.client = &http.Client{}
	}
	if r.minInterval <= 0 {
		r.minInterval = DefaultMinRefreshInterval
	}
	if r.maxAge <= 0 {
		r.maxAge = DefaultJWKSMaxAge
	}
	if r.timeout <= 0 {
		r.timeout = DefaultJWKSFetchTimeout
	}
	if r.maxBytes <= 0 {
		r.maxBytes = DefaultMaxJWKSBytes
	}
	if r.clock == nil {
		r.clock = time.Now
	}
	return r, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewRemoteVerifier returns a Verifier whose keys come from the JWKS at jwksURL, configured
// by cfg.Remote. When cfg.Remote.Clock is nil, cfg.Clock is used for it too.
func NewRemoteVerifier(jwksURL string, cfg Config) (*Verifier, error) {
	rc := cfg.Remote
	if rc.Clock == nil {
		rc.Clock = cfg.Clock
	}
	keys, err := NewRemoteKeySet(jwksURL, rc)
	if err != nil {
		return nil, err
	}
	return NewVerifier(keys, cfg)
}

// Refresh fetches the JWKS now, regardless of the rate limit (but joining a fetch already
// in progress), and returns its error. A service may call it at start-up to fail fast.
func (r *RemoteKeySet) Refresh(ctx context.Context) error {
	call := r.startFetch(true)
	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Lookup returns the cached key with ID kid, or nil. It never fetches.
func (r *RemoteKeySet) Lookup(kid string) *Key {
	snap := r.snap.Load()
	if snap == nil {
		return nil
	}
	return snap.byKID[kid]
}

func (r *RemoteKeySet) lookupKey(kid string) *Key {
	snap := r.snap.Load()
	if snap == nil {
		return nil
	}
	if r.clock().Sub(snap.fetched) > r.maxAge {
		r.startFetch(false) // in the background; this lookup uses the keys at hand
	}
	return snap.byKID[kid]
}

func (r *RemoteKeySet) refreshUnknown(ctx context.Context) bool {
	call := r.startFetch(false)
	if call == nil {
		return false
	}
	select {
	case <-call.done:
		return call.err == nil
	case <-ctx.Done():
		return false
	}
}

// startFetch returns the fetch in progress, or starts one unless rate-limited (nil).
// The fetch runs on its own goroutine with its own timeout, so that a caller that stops
// waiting does not cancel it for the others.
func (r *RemoteKeySet) startFetch(force bool) *fetchCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight != nil {
		return r.inflight
	}
	now := r.clock()
	if !force && !r.lastFetch.IsZero() && now.Sub(r.lastFetch) < r.minInterval {
		return nil
	}
	r.lastFetch = now
	call := &fetchCall{done: make(chan struct{})}
	r.inflight = call
	go func() {
		call.err = r.fetch()
		r.mu.Lock()
		r.inflight = nil
		r.mu.Unlock()
		close(call.done)
	}()
	return call
}

func (r *RemoteKeySet) fetch() error {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("token: fetching JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("token: fetching JWKS: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBytes+1))
	if err != nil {
		return fmt.Errorf("token: reading JWKS: %w", err)
	}
	if int64(len(body)) > r.maxBytes {
		return fmt.Errorf("token: JWKS larger than %d bytes", r.maxBytes)
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return errors.New("token: JWKS has no usable keys") // keep the old ones rather than none
	}
	snap := &remoteSnapshot{byKID: make(map[string]*Key, len(keys)), fetched: r.clock()}
	for _, k := range keys {
		snap.byKID[k.kid] = k
	}
	r.snap.Store(snap)
	return nil
}
