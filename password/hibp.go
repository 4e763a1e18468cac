package password

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultHIBPEndpoint is the Have I Been Pwned Pwned Passwords range API.
const DefaultHIBPEndpoint = "https://api.pwnedpasswords.com/range/"

// HIBP checks passwords against Have I Been Pwned's Pwned Passwords corpus with the
// k-anonymity range API: only the first 5 hex characters of the password's SHA-1 leave the
// process; the service answers with every suffix sharing that prefix and the comparison is
// done here. The zero value is ready to use and safe for concurrent use; do not change its
// fields while it is in use.
type HIBP struct {
	// Endpoint is the URL the 5-character prefix is appended to; empty means
	// DefaultHIBPEndpoint. It must end in "/range/" or an equivalent.
	Endpoint string
	// Client sends the request; nil means http.DefaultClient. Its own timeout, if any,
	// applies in addition to Timeout.
	Client *http.Client
	// Timeout bounds one lookup, including reading the response; 0 means 3 s. A sign-up
	// waits at most this long for the service before falling back to the offline list.
	Timeout time.Duration
	// Threshold is the breach count at or above which a password counts as breached;
	// 0 means 1 (any appearance).
	Threshold int
	// DisablePadding stops sending "Add-Padding: true". Padding makes every response about
	// the same size, so an observer of the TLS stream cannot infer the prefix; padded
	// entries have count 0 and are ignored.
	DisablePadding bool
	// UserAgent is sent as User-Agent (the API asks clients to identify themselves); empty
	// means "latch-password".
	UserAgent string
	// MaxResponseBytes bounds the response body; 0 means 1 MiB (a padded response is
	// about 40 KB). A larger response is an error, never truncated silently.
	MaxResponseBytes int64
}

// Count returns how many times pw appears in the corpus (0 when it does not). pw is hashed
// as given; Policy passes it NFKC-normalised, the form that gets stored. Any failure — a
// network error, a timeout, a status other than 200, an oversized or malformed response —
// is an error, so the caller can fall back rather than treat the password as clean.
func (h *HIBP) Count(ctx context.Context, pw string) (int, error) {
	sum := sha1.Sum([]byte(pw))
	var hx [40]byte
	hex.Encode(hx[:], sum[:])
	full := bytes.ToUpper(hx[:])
	prefix, suffix := string(full[:5]), full[5:]

	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	endpoint := h.Endpoint
	if endpoint == "" {
		endpoint = DefaultHIBPEndpoint
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+prefix, nil)
	if err != nil {
		return 0, fmt.Errorf("password: HIBP request: %w", err)
	}
	ua := h.UserAgent
	if ua == "" {
		ua = "latch-password"
	}
	req.Header.Set("User-Agent", ua)
	if !h.DisablePadding {
		req.Header.Set("Add-Padding", "true")
	}
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("password: HIBP: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("password: HIBP: status %d", resp.StatusCode)
	}
	limit := h.MaxResponseBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, fmt.Errorf("password: HIBP: reading response: %w", err)
	}
	if int64(len(body)) > limit {
		return 0, errors.New("password: HIBP: response too large")
	}
	return parseRange(body, suffix)
}

// parseRange finds suffix (35 uppercase hex characters) in a range response: lines of
// "SUFFIX:COUNT" separated by LF or CRLF. Every line is validated, so a response that is not
// what the API returns (a captive portal, an error page with status 200) is an error rather
// than "not found".
func parseRange(body, suffix []byte) (int, error) {
	found := 0
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		s, c, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(s) != 35 || !isHex(s) {
			return 0, errors.New("password: HIBP: malformed response line")
		}
		n, ok := parseUint(string(c), 1<<31-1)
		if !ok {
			return 0, errors.New("password: HIBP: malformed count")
		}
		if bytes.EqualFold(s, suffix) && n > 0 {
			found = int(n)
		}
	}
	return found, nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Breached reports whether pw appears at least Threshold times. Errors are those of Count.
func (h *HIBP) Breached(ctx context.Context, pw string) (bool, error) {
	n, err := h.Count(ctx, pw)
	if err != nil {
		return false, err
	}
	t := h.Threshold
	if t <= 0 {
		t = 1
	}
	return n >= t, nil
}
