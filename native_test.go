package latch_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/memstore"
)

// nativeApp drives the JSON API as a native app does: no cookie jar, the
// client value carried in latch.ClientHeader, the session token as a
// bearer token.
type nativeApp struct {
	t       *testing.T
	h       http.Handler
	ua      string
	client  string
	bearer  string
	cookies []string // every Set-Cookie the app was sent
}

func (n *nativeApp) do(method, path string, body any) (int, map[string]any) {
	n.t.Helper()
	var rd *strings.Reader
	if body != nil {
		rd = strings.NewReader(mustJSON(body))
	} else {
		rd = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(latch.NativeHeader, "1")
	req.Header.Set("User-Agent", n.ua)
	if n.client != "" {
		req.Header.Set(latch.ClientHeader, n.client)
	}
	if n.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+n.bearer)
	}
	rec := httptest.NewRecorder()
	n.h.ServeHTTP(rec, req)
	res := rec.Result()
	n.cookies = append(n.cookies, res.Header.Values("Set-Cookie")...)
	if v := res.Header.Get(latch.ClientHeader); v != "" {
		n.client = v
	}
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// TestNativeClientsGetNoCookies: a native app (Latch-Native: 1) keeps its
// client value in a header and its session token as a bearer token; a
// cookie sent to it is a second copy of its credentials in an HTTP stack's
// jar, which the app neither sees nor clears at sign-out. No answer to a
// native app sets one. Its device list names the app and its platform
// from its User-Agent.
func TestNativeClientsGetNoCookies(t *testing.T) {
	e := newFlowEnv(t, latch.Config{Store: memstore.New(), Session: latch.SessionConfig{MultiSession: true}})
	e.SignUpOn(t, e.browser(), "ada@example.com", goodPassword)
	app := &nativeApp{t: t, h: e.handler, ua: "MyApp/2.3 (iOS 17.4; iPhone)"}

	code, out := app.do("POST", "/v1/client/sign_ins", map[string]any{"identifier": "ada@example.com", "password": goodPassword})
	if code != 200 || out["status"] != "complete" || out["session_token"] == nil || app.client == "" {
		t.Fatalf("native sign-in: %d %v", code, out)
	}
	app.bearer = out["session_token"].(string)
	sid := out["created_session_id"].(string)
	if code, out := app.do("POST", "/v1/client/sessions/"+sid+"/touch", nil); code != 200 {
		t.Fatalf("touch: %d %v", code, out)
	}
	if code, out := app.do("POST", "/v1/client/sessions/"+sid+"/tokens", nil); code != 200 || out["jwt"] == nil {
		t.Fatalf("token: %d %v", code, out)
	}
	code, out = app.do("GET", "/v1/me/sessions", nil)
	if code != 200 {
		t.Fatalf("device list: %d %v", code, out)
	}
	var mine map[string]any
	for _, s := range out["sessions"].([]any) {
		if s := s.(map[string]any); s["id"] == sid {
			mine = s
		}
	}
	if mine == nil || mine["browser_name"] != "MyApp 2.3" || mine["os"] != "iOS 17.4" || mine["device_type"] != "mobile" {
		t.Errorf("device list names the app as %v", mine)
	}
	if code, out := app.do("POST", "/v1/client/sessions/"+sid+"/end", nil); code != 200 {
		t.Fatalf("sign-out: %d %v", code, out)
	}
	if len(app.cookies) > 0 {
		t.Errorf("a native app was sent cookies: %q", app.cookies)
	}
}
