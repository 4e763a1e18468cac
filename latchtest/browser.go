package latchtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
)

// Browser drives an http.Handler the way a browser would, without a
// network: it keeps the cookies the handler sets and sends them back, and
// marks its requests same-origin (Sec-Fetch-Site) as a browser does. It is
// safe for concurrent use.
type Browser struct {
	Handler   http.Handler
	UserAgent string

	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

// NewBrowser returns a browser with no cookies that sends requests to h.
func NewBrowser(h http.Handler) *Browser {
	return &Browser{Handler: h, cookies: map[string]*http.Cookie{},
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}
}

// Do sends r with the browser's cookies and keeps the cookies of the
// response.
func (b *Browser) Do(r *http.Request) *http.Response {
	r.Header.Set("User-Agent", b.UserAgent)
	if r.Header.Get("Sec-Fetch-Site") == "" {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for _, c := range b.Cookies() {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.Handler.ServeHTTP(rec, r)
	res := rec.Result()
	b.keep(res.Cookies())
	return res
}

// Get requests path.
func (b *Browser) Get(path string) *http.Response {
	return b.Do(httptest.NewRequest(http.MethodGet, path, nil))
}

// Post submits form to path.
func (b *Browser) Post(path string, form url.Values) *http.Response {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(r)
}

// PostJSON posts v as JSON to path, as a single-page app would.
func (b *Browser) PostJSON(path string, v any) *http.Response {
	body, err := json.Marshal(v)
	if err != nil {
		panic("latchtest: " + err.Error())
	}
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	return b.Do(r)
}

// JSON sends body as JSON (nothing when body is nil) with method to path,
// as an API client would, and returns the status and the decoded answer
// (nil when it is not a JSON object).
func (b *Browser) JSON(method, path string, body any) (int, map[string]any) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			panic("latchtest: " + err.Error())
		}
		rd = bytes.NewReader(raw)
	}
	r := httptest.NewRequest(method, path, rd)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Accept", "application/json")
	res := b.Do(r)
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// ErrorCode returns the code of the first error of a JSON API answer
// ("form_password_incorrect"), or "" when it holds none.
func ErrorCode(answer map[string]any) string {
	errs, _ := answer["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	first, _ := errs[0].(map[string]any)
	code, _ := first["code"].(string)
	return code
}

// Cookies returns the cookies the browser holds.
func (b *Browser) Cookies() []*http.Cookie {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*http.Cookie, 0, len(b.cookies))
	for _, c := range b.cookies {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

// Cookie returns the value of a cookie, or "".
func (b *Browser) Cookie(name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c := b.cookies[name]; c != nil {
		return c.Value
	}
	return ""
}

// SetCookie puts a cookie into the browser, as an attacker planting one
// would.
func (b *Browser) SetCookie(name, value string) {
	b.keep([]*http.Cookie{{Name: name, Value: value}})
}

func (b *Browser) keep(cs []*http.Cookie) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range cs {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = c
	}
}

// SignIn signs userID in on browser b, as a completed sign-in would, and
// returns the session.
func SignIn(t testing.TB, a *latch.Auth, b *Browser, userID string) *latch.Session {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/sign-in", nil)
	r.Header.Set("User-Agent", b.UserAgent)
	for _, c := range b.Cookies() {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	s, err := a.CreateSession(context.Background(), rec, r, userID, latch.SessionParams{AMR: []string{"pwd"}})
	if err != nil {
		t.Fatalf("latchtest: signing in %s: %v", userID, err)
	}
	b.keep(rec.Result().Cookies())
	return s
}
