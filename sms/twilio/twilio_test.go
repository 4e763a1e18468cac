package twilio_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch/sms"
	"github.com/latchauth/latch/sms/twilio"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "auth-token-canary"
	keySID     = "SKfedcba9876543210fedcba9876543210"
	keySecret  = "key-secret-canary"
	serviceSID = "MG00112233445566778899aabbccddeeff"
)

// created is the body Twilio answers a new message with (abridged only of
// fields nobody reads; the shape is the API's).
const created = `{
  "account_sid": "AC0123456789abcdef0123456789abcdef",
  "api_version": "2010-04-01",
  "body": "Your Example code is 123456",
  "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
  "date_sent": null,
  "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
  "direction": "outbound-api",
  "error_code": null,
  "error_message": null,
  "from": "+14155550100",
  "messaging_service_sid": null,
  "num_media": "0",
  "num_segments": "1",
  "price": null,
  "price_unit": "USD",
  "sid": "SM1234567890abcdef1234567890abcdef",
  "status": "queued",
  "subresource_uris": {"media": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM1234567890abcdef1234567890abcdef/Media.json"},
  "to": "+14155550123",
  "uri": "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM1234567890abcdef1234567890abcdef.json"
}`

// fakeTwilio checks each request against the API's format and answers with
// status and body.
func fakeTwilio(t *testing.T, user, pass string, wantForm url.Values, status int, body string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Method != http.MethodPost {
			t.Errorf("method %s", r.Method)
		}
		if want := "/2010-04-01/Accounts/" + accountSID + "/Messages.json"; r.URL.Path != want || r.URL.RawQuery != "" {
			t.Errorf("path %q?%q, want %q", r.URL.Path, r.URL.RawQuery, want)
		}
		if got, want := r.Header.Get("Authorization"), "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)); got != want {
			t.Errorf("Authorization %q, want %q", got, want)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type %q", ct)
		}
		raw, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			t.Errorf("body %q: %v", raw, err)
		}
		if !reflect.DeepEqual(form, wantForm) {
			t.Errorf("form %v, want %v", form, wantForm)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func msg() *sms.Message {
	return &sms.Message{To: "+14155550123", Body: "Your Example code is 123456 & more: é", Kind: "sign_in_code"}
}

func TestSend(t *testing.T) {
	want := url.Values{"To": {"+14155550123"}, "From": {"+14155550100"}, "Body": {msg().Body}}
	srv, calls := fakeTwilio(t, accountSID, authToken, want, http.StatusCreated, created)
	s := twilio.New(twilio.Config{AccountSID: accountSID, AuthToken: authToken, From: "+14155550100", BaseURL: srv.URL})
	res, err := s.SendMessage(context.Background(), msg())
	if err != nil {
		t.Fatal(err)
	}
	if res.SID != "SM1234567890abcdef1234567890abcdef" || res.Status != "queued" {
		t.Errorf("result %+v", res)
	}
	if err := s.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("%d calls", calls.Load())
	}
}

func TestSendWithAPIKeyAndMessagingService(t *testing.T) {
	want := url.Values{"To": {"+14155550123"}, "MessagingServiceSid": {serviceSID}, "Body": {msg().Body}}
	srv, _ := fakeTwilio(t, keySID, keySecret, want, http.StatusCreated, strings.Replace(created, `"queued"`, `"accepted"`, 1))
	s := twilio.New(twilio.Config{AccountSID: accountSID, APIKeySID: keySID, APIKeySecret: keySecret, MessagingServiceSID: serviceSID, BaseURL: srv.URL + "/"})
	res, err := s.SendMessage(context.Background(), msg())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "accepted" {
		t.Errorf("status %q", res.Status)
	}
}

func TestTwilioError(t *testing.T) {
	const invalidTo = `{"code": 21211, "message": "Invalid 'To' Phone Number: +1415555XXXX", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`
	want := url.Values{"To": {"+14155550123"}, "From": {"+14155550100"}, "Body": {msg().Body}}
	srv, _ := fakeTwilio(t, accountSID, authToken, want, http.StatusBadRequest, invalidTo)
	s := twilio.New(twilio.Config{AccountSID: accountSID, AuthToken: authToken, From: "+14155550100", BaseURL: srv.URL})
	err := s.Send(context.Background(), msg())
	var te *twilio.Error
	if !errors.As(err, &te) {
		t.Fatalf("Send = %v, want *twilio.Error", err)
	}
	if te.HTTPStatus != 400 || te.Code != 21211 || te.MoreInfo != "https://www.twilio.com/docs/errors/21211" || !strings.Contains(te.Message, "Invalid 'To' Phone Number") {
		t.Errorf("error %+v", te)
	}
	if te.Temporary() {
		t.Error("21211 reported as temporary")
	}
	if strings.Contains(err.Error(), authToken) {
		t.Error("the auth token appears in the error")
	}
}

func TestErrorsThatAreNotTwilios(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		temporary bool
		code      int
	}{
		{"auth", http.StatusUnauthorized, `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`, false, 20003},
		{"rate limited", http.StatusTooManyRequests, `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`, true, 20429},
		{"proxy page", http.StatusBadGateway, "<html>bad gateway secret-looking-page</html>", true, 0},
		{"huge body", http.StatusServiceUnavailable, `{"code": 1, "message": "` + strings.Repeat("x", 100<<10) + `"}`, true, 0},
		{"redirect", http.StatusFound, "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status == http.StatusFound {
					http.Redirect(w, r, "/elsewhere", http.StatusFound)
					return
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			s := twilio.New(twilio.Config{AccountSID: accountSID, AuthToken: authToken, From: "+14155550100", BaseURL: srv.URL})
			err := s.Send(context.Background(), msg())
			var te *twilio.Error
			if !errors.As(err, &te) || te.HTTPStatus != tt.status || te.Code != tt.code || te.Temporary() != tt.temporary {
				t.Fatalf("Send = %#v", err)
			}
			if strings.Contains(err.Error(), "secret-looking-page") {
				t.Error("a foreign body is echoed in the error")
			}
		})
	}
}

// TestSuccessWithUnreadableBody: a 2xx means Twilio took the message; a
// body we cannot parse must not report it as failed (and invite a resend).
func TestSuccessWithUnreadableBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "not json")
	}))
	defer srv.Close()
	s := twilio.New(twilio.Config{AccountSID: accountSID, AuthToken: authToken, From: "+14155550100", BaseURL: srv.URL})
	if err := s.Send(context.Background(), msg()); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidMessageNotSent(t *testing.T) {
	srv, calls := fakeTwilio(t, accountSID, authToken, nil, http.StatusCreated, created)
	s := twilio.New(twilio.Config{AccountSID: accountSID, AuthToken: authToken, From: "+14155550100", BaseURL: srv.URL})
	for _, m := range []*sms.Message{
		{To: "0612345678", Body: "x"},
		{To: "+14155550123&To=+19005550100", Body: "x"},
		{To: "+14155550123", Body: ""},
		{To: "+14155550123", Body: strings.Repeat("x", sms.MaxBodyLen+1)},
	} {
		if err := s.Send(context.Background(), m); !errors.Is(err, sms.ErrInvalidMessage) {
			t.Errorf("Send(%q) = %v, want ErrInvalidMessage", m.To, err)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("%d requests made", calls.Load())
	}
}

func TestContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	s := twilio.New(twilio.Config{AccountSID: accountSID, AuthToken: authToken, From: "+14155550100", BaseURL: srv.URL})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Send(ctx, msg()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send = %v, want DeadlineExceeded", err)
	}
}

func TestConfig(t *testing.T) {
	ok := twilio.Config{AccountSID: accountSID, AuthToken: authToken, From: "+14155550100"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(c *twilio.Config){
		"bad account SID":    func(c *twilio.Config) { c.AccountSID = "AC123/../../x" },
		"no credentials":     func(c *twilio.Config) { c.AuthToken = "" },
		"token and key":      func(c *twilio.Config) { c.APIKeySID, c.APIKeySecret = keySID, keySecret },
		"key without secret": func(c *twilio.Config) { c.AuthToken, c.APIKeySID = "", keySID },
		"bad key SID":        func(c *twilio.Config) { c.AuthToken, c.APIKeySID, c.APIKeySecret = "", "AC0123", keySecret },
		"no sender":          func(c *twilio.Config) { c.From = "" },
		"bad service SID":    func(c *twilio.Config) { c.MessagingServiceSID = "MG1" },
		"plain http":         func(c *twilio.Config) { c.BaseURL = "http://api.twilio.com" },
		"credentials in URL": func(c *twilio.Config) { c.BaseURL = "https://u:p@api.twilio.com" },
		"relative URL":       func(c *twilio.Config) { c.BaseURL = "/api" },
		"query in base URL":  func(c *twilio.Config) { c.BaseURL = "https://api.twilio.com/?x=1" },
	}
	for name, modify := range tests {
		c := ok
		modify(&c)
		if err := c.Validate(); !errors.Is(err, twilio.ErrConfig) {
			t.Errorf("%s: Validate = %v", name, err)
		}
		if err := twilio.New(c).Send(context.Background(), msg()); !errors.Is(err, twilio.ErrConfig) {
			t.Errorf("%s: Send = %v", name, err)
		}
	}
	c := ok
	c.BaseURL = "http://127.0.0.1:8080"
	if err := c.Validate(); err != nil {
		t.Errorf("http on loopback: %v", err)
	}
}

func ExampleNew() {
	sender := twilio.New(twilio.Config{
		AccountSID: "AC0123456789abcdef0123456789abcdef",
		AuthToken:  "token",
		From:       "+14155550100",
	})
	_ = sender // latch.Config{SMS: sender, …}
}
