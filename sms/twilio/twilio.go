// Package twilio is an sms.Sender that sends through Twilio's Programmable
// Messaging REST API:
//
//	POST {BaseURL}/2010-04-01/Accounts/{AccountSid}/Messages.json
//
// authenticated with HTTP Basic auth (the Account SID and Auth Token, or
// an API key SID and secret), with the form fields To, From or
// MessagingServiceSid, and Body. Twilio answers 201 with the message
// resource (its sid and status) or an error document (code, message,
// more_info, status), returned here as an [*Error].
//
//	sender := twilio.New(twilio.Config{
//		AccountSID: os.Getenv("TWILIO_ACCOUNT_SID"),
//		AuthToken:  os.Getenv("TWILIO_AUTH_TOKEN"),
//		From:       "+14155550100",
//	})
//
// A 2xx answer means Twilio accepted the message for delivery; delivery to
// the handset is reported later, to a status callback, which Latch does
// not need. Send is not retried: a retry after an uncertain failure could
// text the same code twice, and the user can ask for a new one.
package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch/sms"
)

// DefaultBaseURL is Twilio's API.
const DefaultBaseURL = "https://api.twilio.com"

// maxResponse bounds how much of a response is read; Twilio's message
// resource is about 1 KiB.
const maxResponse = 64 << 10

// Config configures a Sender. AccountSID, credentials, and From or
// MessagingServiceSID are required.
type Config struct {
	// AccountSID is the account ("AC" and 32 hex digits); it is part of
	// the request path.
	AccountSID string

	// AuthToken is the account's auth token. Alternatively set APIKeySID
	// ("SK…") and APIKeySecret, which Twilio recommends for production
	// because a key can be revoked without rotating the account's token.
	AuthToken    string
	APIKeySID    string
	APIKeySecret string

	// From is the sender: an E.164 number, a short code or an
	// alphanumeric sender ID from the account.
	From string

	// MessagingServiceSID ("MG…") sends through a Messaging Service, which
	// picks the sender from its pool. It may be combined with From.
	MessagingServiceSID string

	// BaseURL defaults to DefaultBaseURL. It must be https, except for a
	// loopback host (a test server), so that credentials never cross a
	// network in clear.
	BaseURL string

	// HTTPClient defaults to a client with a 30 s timeout that does not
	// follow redirects (the API never redirects a POST, and following one
	// would resend the message elsewhere).
	HTTPClient *http.Client
}

// ErrConfig is wrapped by the error of every Send of a Sender whose Config
// is invalid, and by Config.Validate.
var ErrConfig = errors.New("twilio: invalid config")

var (
	accountSIDRE = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	apiKeySIDRE  = regexp.MustCompile(`^SK[0-9a-fA-F]{32}$`)
	serviceSIDRE = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
)

// Validate reports whether the Config can be used, without connecting.
// New calls it; Send returns its error.
func (c Config) Validate() error {
	var errs []error
	if !accountSIDRE.MatchString(c.AccountSID) {
		errs = append(errs, errors.New(`AccountSID must be "AC" and 32 hex digits`))
	}
	switch {
	case c.APIKeySID == "" && c.APIKeySecret == "":
		if c.AuthToken == "" {
			errs = append(errs, errors.New("set AuthToken, or APIKeySID and APIKeySecret"))
		}
	case !apiKeySIDRE.MatchString(c.APIKeySID):
		errs = append(errs, errors.New(`APIKeySID must be "SK" and 32 hex digits`))
	case c.APIKeySecret == "":
		errs = append(errs, errors.New("APIKeySID set without APIKeySecret"))
	case c.AuthToken != "":
		errs = append(errs, errors.New("set either AuthToken or an API key, not both"))
	}
	if c.From == "" && c.MessagingServiceSID == "" {
		errs = append(errs, errors.New("set From or MessagingServiceSID"))
	}
	if c.MessagingServiceSID != "" && !serviceSIDRE.MatchString(c.MessagingServiceSID) {
		errs = append(errs, errors.New(`MessagingServiceSID must be "MG" and 32 hex digits`))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		switch {
		case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, errors.New("BaseURL must be a plain absolute URL"))
		case u.Scheme == "https":
		case u.Scheme == "http" && isLoopback(u.Hostname()):
		default:
			errs = append(errs, errors.New("BaseURL must use https (http only for a loopback host)"))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(errs...))
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Sender sends text messages through Twilio. It is safe for concurrent
// use.
type Sender struct {
	cfg      Config
	endpoint string
	err      error // from Config.Validate, returned by every Send
}

var _ sms.Sender = (*Sender)(nil)

// New returns a Sender for cfg, with defaults applied. It does not
// connect. An invalid cfg is reported by every Send (so New can be used
// inline in a latch.Config); call cfg.Validate first to fail at start-up.
func New(cfg Config) *Sender {
	s := &Sender{cfg: cfg, err: cfg.Validate()}
	if s.cfg.BaseURL == "" {
		s.cfg.BaseURL = DefaultBaseURL
	}
	if s.cfg.HTTPClient == nil {
		s.cfg.HTTPClient = &http.Client{
			Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	s.endpoint = strings.TrimRight(s.cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
	return s
}

// Result is Twilio's answer to an accepted message.
type Result struct {
	// SID identifies the message ("SM…"), for Twilio's console and logs.
	SID string
	// Status is the message's state when accepted, usually "queued" or
	// "accepted" (with a Messaging Service).
	Status string
}

// Error is an error answer from Twilio, or a non-2xx answer that is not
// one. See https://www.twilio.com/docs/api/errors for the codes; 21211
// (invalid To), 21408 (region not enabled), 21610 (recipient opted out)
// and 21614 (not a mobile number) are the ones a user can cause.
type Error struct {
	// HTTPStatus is the response's status code.
	HTTPStatus int
	// Code is Twilio's error code; 0 when the body was not Twilio's.
	Code int
	// Message is Twilio's explanation. It may quote the phone number.
	Message string
	// MoreInfo is a link to the code's documentation.
	MoreInfo string
}

// Error returns a one-line description.
func (e *Error) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("twilio: HTTP %d: %s", e.HTTPStatus, e.Message)
	}
	return fmt.Sprintf("twilio: error %d: %s (HTTP %d, %s)", e.Code, e.Message, e.HTTPStatus, e.MoreInfo)
}

// Temporary reports whether trying again later may succeed: Twilio is
// rate limiting (429) or failing (5xx).
func (e *Error) Temporary() bool {
	return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
}

// Send sends m. See SendMessage.
func (s *Sender) Send(ctx context.Context, m *sms.Message) error {
	_, err := s.SendMessage(ctx, m)
	return err
}

// SendMessage validates m, sends it, and returns Twilio's identifier for
// it. It returns an error wrapping sms.ErrInvalidMessage (nothing sent),
// ErrConfig, ctx.Err() or the transport's error, or an *Error with
// Twilio's answer.
func (s *Sender) SendMessage(ctx context.Context, m *sms.Message) (*Result, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	if s.cfg.From != "" {
		form.Set("From", s.cfg.From)
	}
	if s.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", s.cfg.MessagingServiceSID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "latch-twilio")
	if s.cfg.APIKeySID != "" {
		req.SetBasicAuth(s.cfg.APIKeySID, s.cfg.APIKeySecret)
	} else {
		req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	}

	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		// *url.Error names the URL, which holds the Account SID but no
		// credential (those are in a header).
		return nil, fmt.Errorf("twilio: sending: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("twilio: reading the response (HTTP %d): %w", resp.StatusCode, err)
	}
	tooLarge := len(body) > maxResponse

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The status code is what says Twilio took the message: a body we
		// cannot read must not turn a sent message into a reported failure,
		// which could lead to a second text.
		var ok struct {
			SID    string `json:"sid"`
			Status string `json:"status"`
		}
		if !tooLarge {
			_ = json.Unmarshal(body, &ok)
		}
		return &Result{SID: ok.SID, Status: ok.Status}, nil
	}

	e := &Error{HTTPStatus: resp.StatusCode}
	var doc struct {
		Code     int    `json:"code"`
		Message  string `json:"message"`
		MoreInfo string `json:"more_info"`
		Status   int    `json:"status"`
	}
	if !tooLarge && json.Unmarshal(body, &doc) == nil && (doc.Code != 0 || doc.Message != "") {
		e.Code, e.Message, e.MoreInfo = doc.Code, doc.Message, doc.MoreInfo
	} else {
		// Not Twilio's document (a proxy's page, say): do not echo it.
		e.Message = http.StatusText(resp.StatusCode)
		if e.Message == "" {
			e.Message = "status " + strconv.Itoa(resp.StatusCode)
		}
	}
	return nil, e
}
