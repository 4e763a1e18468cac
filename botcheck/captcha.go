package botcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Verifier checks a bot-protection token submitted with a form: a captcha
// response (Turnstile, hCaptcha) or a proof of work (PoWVerifier).
//
// Verify returns nil when the token is accepted. Otherwise the error matches
// ErrInvalid when the token was refused (a bot, a stale or reused token, a
// wrong hostname) or ErrUnavailable when no verdict could be had (service
// down, timeout, bad secret). Callers refuse the request on either, and alert
// on ErrUnavailable. remoteIP is the client's address as the app determines
// it; empty means "do not send". Implementations are safe for concurrent use.
type Verifier interface {
	Verify(ctx context.Context, token, remoteIP string) error
}

// Defaults and limits for the captcha verifiers.
const (
	// TurnstileURL is Cloudflare Turnstile's siteverify endpoint.
	TurnstileURL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
	// HCaptchaURL is hCaptcha's siteverify endpoint.
	HCaptchaURL = "https://api.hcaptcha.com/siteverify"
	// DefaultVerifyTimeout bounds one siteverify call when Timeout is zero.
	DefaultVerifyTimeout = 5 * time.Second
	// MaxTurnstileTokenLen is the longest Turnstile token Cloudflare issues
	// (2048 characters); longer ones are refused without a request.
	MaxTurnstileTokenLen = 2048
	// MaxHCaptchaTokenLen bounds hCaptcha tokens, which are longer; longer
	// ones are refused without a request.
	MaxHCaptchaTokenLen = 16 << 10
	// maxVerifyResponse bounds how much of a siteverify response is read.
	maxVerifyResponse = 64 << 10
)

// CaptchaError is the error a captcha Verifier returns. It matches ErrInvalid
// or ErrUnavailable (see Unavailable) and, for transport failures, the
// underlying error.
type CaptchaError struct {
	// Service is "turnstile" or "hcaptcha".
	Service string
	// Codes are the service's error-codes, verbatim (for example
	// "invalid-input-response", "timeout-or-duplicate").
	Codes []string
	// Reason says what went wrong when the codes alone do not (for example
	// "hostname mismatch", "HTTP 503").
	Reason string
	// Unavailable is true when no verdict was had — transport error,
	// timeout, non-200 status, unparseable body, or a code that means our
	// request or configuration is wrong (missing-input-secret,
	// invalid-input-secret, bad-request, internal-error,
	// sitekey-secret-mismatch, invalid-sitekey, …) — so the error matches
	// ErrUnavailable. Otherwise the token was refused and it matches
	// ErrInvalid.
	Unavailable bool
	// Err is the underlying transport or decoding error, if any.
	Err error
}

// Error describes the failure for logs. It never contains the token or secret.
func (e *CaptchaError) Error() string {
	var b strings.Builder
	b.WriteString("botcheck: ")
	b.WriteString(e.Service)
	if e.Unavailable {
		b.WriteString(": unavailable")
	} else {
		b.WriteString(": invalid")
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if len(e.Codes) > 0 {
		b.WriteString(": error-codes ")
		b.WriteString(strings.Join(e.Codes, ","))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns ErrInvalid or ErrUnavailable, and Err when set.
func (e *CaptchaError) Unwrap() []error {
	errs := []error{ErrInvalid}
	if e.Unavailable {
		errs[0] = ErrUnavailable
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// operatorCode reports whether a siteverify error code means the request or
// configuration is wrong, or the service failed — not that the visitor is a
// bot.
func operatorCode(code string) bool {
	switch code {
	case "missing-input-secret", "invalid-input-secret", "bad-request", "internal-error",
		"sitekey-secret-mismatch", "invalid-sitekey", "not-using-dummy-passcode", "not-using-dummy-secret":
		return true
	}
	return false
}

// siteverifyResponse is the union of the Turnstile and hCaptcha response
// bodies. challenge_ts is kept raw: Turnstile sends an ISO 8601 string and
// hCaptcha's type has varied.
type siteverifyResponse struct {
	Success     bool            `json:"success"`
	ErrorCodes  []string        `json:"error-codes"`
	ChallengeTS json.RawMessage `json:"challenge_ts"`
	Hostname    string          `json:"hostname"`
	Action      string          `json:"action"`
	CData       string          `json:"cdata"`
}

type siteverify struct {
	service  string
	endpoint string
	client   *http.Client
	timeout  time.Duration
	maxToken int
}

func (s siteverify) fail(unavailable bool, reason string, codes []string, err error) error {
	return &CaptchaError{Service: s.service, Unavailable: unavailable, Reason: reason, Codes: codes, Err: err}
}

// call validates the token locally, POSTs form and decodes the response. It
// returns the response only when success is true.
func (s siteverify) call(ctx context.Context, secret, token string, form url.Values) (*siteverifyResponse, error) {
	if secret == "" {
		return nil, s.fail(true, "no secret configured", nil, nil)
	}
	if token == "" {
		return nil, s.fail(false, "empty token", nil, nil)
	}
	if len(token) > s.maxToken {
		return nil, s.fail(false, fmt.Sprintf("token too long (%d bytes)", len(token)), nil, nil)
	}
	if s.timeout <= 0 {
		s.timeout = DefaultVerifyTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, s.fail(true, "building request", nil, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	client := s.client
	if client == nil {
		// Not http.DefaultClient: a redirect must not carry the secret on.
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, s.fail(true, "request failed", nil, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxVerifyResponse+1))
	if err != nil {
		return nil, s.fail(true, "reading response", nil, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, s.fail(true, fmt.Sprintf("HTTP %d", resp.StatusCode), nil, nil)
	}
	if len(body) > maxVerifyResponse {
		return nil, s.fail(true, "response too large", nil, nil)
	}
	var r siteverifyResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, s.fail(true, "decoding response", nil, err)
	}
	if !r.Success {
		unavailable := false
		for _, c := range r.ErrorCodes {
			if operatorCode(c) {
				unavailable = true
			}
		}
		return nil, s.fail(unavailable, "", r.ErrorCodes, nil)
	}
	return &r, nil
}

func (s siteverify) checkHostname(r *siteverifyResponse, want string) error {
	if want != "" && !strings.EqualFold(r.Hostname, want) {
		return s.fail(false, fmt.Sprintf("hostname mismatch: got %q, want %q", r.Hostname, want), nil, nil)
	}
	return nil
}

// Turnstile verifies Cloudflare Turnstile tokens with the siteverify API
// (POST application/x-www-form-urlencoded: secret, response, remoteip). The
// zero value with Secret set is ready to use; it is safe for concurrent use.
// Turnstile tokens are single-use and valid for 300 seconds; a reused one
// comes back as "timeout-or-duplicate" (ErrInvalid).
type Turnstile struct {
	// Secret is the widget's secret key. Required; empty fails with
	// ErrUnavailable without a request.
	Secret string
	// URL overrides TurnstileURL (for tests or a proxy).
	URL string
	// Client sends the request. Nil means a client that uses
	// http.DefaultTransport and does not follow redirects.
	Client *http.Client
	// Timeout bounds one verification; zero means DefaultVerifyTimeout.
	Timeout time.Duration
	// Hostname, when set, must equal (case-insensitively) the hostname the
	// widget was solved on, as reported by Cloudflare.
	Hostname string
	// Action, when set, must equal the action the widget was rendered with
	// (data-action), so a token minted for one form cannot be used on another.
	Action string
}

var _ Verifier = Turnstile{}

// Verify implements [Verifier]. An empty token, or one longer than
// MaxTurnstileTokenLen, is refused with ErrInvalid without a request.
func (t Turnstile) Verify(ctx context.Context, token, remoteIP string) error {
	s := siteverify{service: "turnstile", endpoint: t.URL, client: t.Client, timeout: t.Timeout, maxToken: MaxTurnstileTokenLen}
	if s.endpoint == "" {
		s.endpoint = TurnstileURL
	}
	form := url.Values{"secret": {t.Secret}, "response": {token}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	r, err := s.call(ctx, t.Secret, token, form)
	if err != nil {
		return err
	}
	if err := s.checkHostname(r, t.Hostname); err != nil {
		return err
	}
	if t.Action != "" && r.Action != t.Action {
		return s.fail(false, fmt.Sprintf("action mismatch: got %q, want %q", r.Action, t.Action), nil, nil)
	}
	return nil
}

// HCaptcha verifies hCaptcha tokens with the siteverify API (POST
// application/x-www-form-urlencoded: secret, response, remoteip, sitekey).
// The zero value with Secret set is ready to use; it is safe for concurrent
// use. A reused token comes back as "invalid-or-already-seen-response"
// (ErrInvalid).
type HCaptcha struct {
	// Secret is the account secret key. Required; empty fails with
	// ErrUnavailable without a request.
	Secret string
	// SiteKey, when set, is sent as sitekey so hCaptcha checks the token was
	// issued for this site ("sitekey-secret-mismatch" otherwise).
	SiteKey string
	// URL overrides HCaptchaURL (for tests or a proxy).
	URL string
	// Client sends the request. Nil means a client that uses
	// http.DefaultTransport and does not follow redirects.
	Client *http.Client
	// Timeout bounds one verification; zero means DefaultVerifyTimeout.
	Timeout time.Duration
	// Hostname, when set, must equal (case-insensitively) the hostname the
	// captcha was solved on, as reported by hCaptcha.
	Hostname string
}

var _ Verifier = HCaptcha{}

// Verify implements [Verifier]. An empty token, or one longer than
// MaxHCaptchaTokenLen, is refused with ErrInvalid without a request.
func (h HCaptcha) Verify(ctx context.Context, token, remoteIP string) error {
	s := siteverify{service: "hcaptcha", endpoint: h.URL, client: h.Client, timeout: h.Timeout, maxToken: MaxHCaptchaTokenLen}
	if s.endpoint == "" {
		s.endpoint = HCaptchaURL
	}
	form := url.Values{"secret": {h.Secret}, "response": {token}}
	if remoteIP != "" {
		form.Set("remoteip", remoteIP)
	}
	if h.SiteKey != "" {
		form.Set("sitekey", h.SiteKey)
	}
	r, err := s.call(ctx, h.Secret, token, form)
	if err != nil {
		return err
	}
	return s.checkHostname(r, h.Hostname)
}
