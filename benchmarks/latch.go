package benchmarks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// baseURL is where the benchmarked apps live: plain cookie names, as on a
// developer's machine (over HTTPS they gain the __Host- prefix, which
// costs nothing more to read).
const baseURL = "http://localhost"

// verifyPool is how many distinct tokens the verify variant cycles
// through: more than the middleware's token cache holds (16,384), so that
// no request finds its token remembered and every one checks a signature.
const verifyPool = 20_000

// secrets are every benchmarked instance's: instances sharing a store
// share their signing keys, which are sealed with these.
var secrets = [][]byte{[]byte(strings.Repeat("s", 32))}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newLatch returns a Latch on st whose clock stands still at clock, with
// rate limits and bot checks off (latchtest's defaults): the middleware
// consults neither.
func newLatch(st storage.Store, clock *latchtest.Clock) *latch.Auth {
	return latchtest.NewHarness(nil, latchtest.Options{Config: latch.Config{
		Store: st, BaseURL: baseURL, Logger: discard(), Clock: clock.Now, Secrets: secrets,
	}}).Auth
}

// signIn creates a user and signs them in on a new browser, returning the
// user ID, the session and the cookies the browser then holds.
func signIn(ctx context.Context, a *latch.Auth, email string) (string, *latch.Session, []*http.Cookie, error) {
	u, err := a.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{email}})
	if err != nil {
		return "", nil, nil, err
	}
	s, cookies, err := newSession(ctx, a, u.ID)
	return u.ID, s, cookies, err
}

// newSession signs userID in on a new browser.
func newSession(ctx context.Context, a *latch.Auth, userID string) (*latch.Session, []*http.Cookie, error) {
	rec := httptest.NewRecorder()
	s, err := a.CreateSession(ctx, rec, httptest.NewRequest("POST", baseURL+"/sign-in", nil), userID, latch.SessionParams{AMR: []string{"pwd"}})
	if err != nil {
		return nil, nil, err
	}
	return s, rec.Result().Cookies(), nil
}

// get returns a GET request carrying cookies.
func get(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest("GET", baseURL+"/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// latchUser is what the principal handler asks Latch.
func latchUser(r *http.Request) string {
	if s := latch.SessionFromContext(r.Context()); s != nil {
		return s.UserID
	}
	return ""
}

func latchSignedOut(ctx context.Context, e *Env) (*Case, error) {
	a := newLatch(memstore.New(), latchtest.NewClock(latchtest.Start))
	e.Defer(func() { a.Close() })
	return &Case{Handler: a.Middleware(principal("", latchUser)), Requests: []*http.Request{get()}}, nil
}

func latchCached(ctx context.Context, e *Env) (*Case, error) {
	a := newLatch(memstore.New(), latchtest.NewClock(latchtest.Start))
	e.Defer(func() { a.Close() })
	uid, _, cookies, err := signIn(ctx, a, "ada@example.com")
	if err != nil {
		return nil, err
	}
	return &Case{Handler: a.Middleware(principal(uid, latchUser)), Requests: []*http.Request{get(cookies...)}}, nil
}

// otherCookies are what other software on a site sets beside Latch's two:
// analytics, a preference and a CSRF token.
func otherCookies() []*http.Cookie {
	return []*http.Cookie{
		{Name: "_ga", Value: "GA1.1.1183744062.1764612000"},
		{Name: "theme", Value: "dark"},
		{Name: "csrftoken", Value: "f2Jq9XvL0bQ7sT1wKc4mYd8eRz3hUa6N"},
	}
}

// browserRequest is a GET as a signed-in browser sends it: Latch's client
// and session cookies among the other cookies.
func browserRequest(latchCookies []*http.Cookie) *http.Request {
	o := otherCookies()
	return get(append(append([]*http.Cookie{o[0]}, latchCookies...), o[1], o[2])...)
}

// movingClock reads the wall clock, as production does, but restarts from
// start every 30 seconds: long comparisons never outlive the 60-second
// token of the cached variant, which would turn it into a refresh.
func movingClock(start time.Time) func() time.Time {
	t0 := time.Now()
	return func() time.Time { return start.Add(time.Since(t0) % (30 * time.Second)) }
}

// latchCachedBrowser is latchCached as a browser sends it (both cookies
// among three others) on a clock that moves.
func latchCachedBrowser(ctx context.Context, e *Env) (*Case, error) {
	a := latchtest.NewHarness(nil, latchtest.Options{Config: latch.Config{
		Store: memstore.New(), BaseURL: baseURL, Logger: discard(), Clock: movingClock(latchtest.Start), Secrets: secrets,
	}}).Auth
	e.Defer(func() { a.Close() })
	uid, _, cookies, err := signIn(ctx, a, "ada@example.com")
	if err != nil {
		return nil, err
	}
	return &Case{Handler: a.Middleware(principal(uid, latchUser)), Requests: []*http.Request{browserRequest(cookies)}}, nil
}

// latchSignedOutBrowser is latchSignedOut with the other cookies a site
// sets: the middleware must find that neither of its own is there.
func latchSignedOutBrowser(ctx context.Context, e *Env) (*Case, error) {
	a := newLatch(memstore.New(), latchtest.NewClock(latchtest.Start))
	e.Defer(func() { a.Close() })
	return &Case{Handler: a.Middleware(principal("", latchUser)), Requests: []*http.Request{get(otherCookies()...)}}, nil
}

// latchVerify mints verifyPool tokens on one instance and measures
// another instance sharing its store (as a second app server would): that
// one has seen none of the tokens, and the pool is larger than its token
// cache, so each request verifies a signature and claims. The tokens are
// verifySessions sessions' tokens, each minted at verifyTicks different
// seconds (through the JSON API's token route), all still valid when the
// verifying instance's clock reads them.
func latchVerify(ctx context.Context, e *Env) (*Case, error) {
	const verifySessions, verifyTicks = verifyPool / 50, 50
	st := memstore.New()
	mintClock, verifyClock := latchtest.NewClock(latchtest.Start), latchtest.NewClock(latchtest.Start.Add(verifyTicks*time.Second))
	minter, verifier := newLatch(st, mintClock), newLatch(st, verifyClock)
	e.Defer(func() { minter.Close(); verifier.Close() })
	u, err := minter.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		return nil, err
	}
	type browser struct {
		id      string
		cookies []*http.Cookie
	}
	var browsers []browser
	for range verifySessions {
		s, cookies, err := newSession(ctx, minter, u.ID)
		if err != nil {
			return nil, err
		}
		browsers = append(browsers, browser{s.ID, cookies})
	}
	c := &Case{Handler: verifier.Middleware(principal(u.ID, latchUser))}
	api := minter.Handler()
	for k := range verifyTicks {
		mintClock.Set(latchtest.Start.Add(time.Duration(k) * time.Second))
		for _, b := range browsers {
			r := httptest.NewRequest("POST", baseURL+"/v1/client/sessions/"+b.id+"/tokens", nil)
			var client *http.Cookie
			for _, c := range b.cookies {
				r.AddCookie(c)
				if !strings.Contains(c.Value, ".") { // the sealed client cookie, not the JWT
					client = c
				}
			}
			w := httptest.NewRecorder()
			api.ServeHTTP(w, r)
			var out struct{ JWT string }
			if err := json.Unmarshal(w.Body.Bytes(), &out); w.Code != http.StatusOK || err != nil || out.JWT == "" {
				return nil, fmt.Errorf("minting a token: %d %s", w.Code, w.Body)
			}
			c.Requests = append(c.Requests, get(client, &http.Cookie{Name: sessionCookie(b.cookies), Value: out.JWT}))
		}
	}
	return c, nil
}

// sessionCookie is the name of the cookie holding the session token: the
// one whose value is a JWT.
func sessionCookie(cookies []*http.Cookie) string {
	for _, c := range cookies {
		if strings.Count(c.Value, ".") == 2 {
			return c.Name
		}
	}
	return ""
}

// latchRefresh signs a browser in, then moves the clock past the token's
// lifetime: every request presents the expired token and the client
// cookie, and the middleware refreshes it (one read, one write, a new
// signed token and its cookie).
func latchRefresh(kind string) func(ctx context.Context, e *Env) (*Case, error) {
	return func(ctx context.Context, e *Env) (*Case, error) {
		st, err := e.Store(ctx, kind)
		if err != nil {
			return nil, err
		}
		clock := latchtest.NewClock(latchtest.Start)
		a := newLatch(st, clock)
		e.Defer(func() { a.Close() })
		uid, _, cookies, err := signIn(ctx, a, "ada@example.com")
		if err != nil {
			return nil, err
		}
		clock.Advance(2 * time.Minute)
		c := &Case{Handler: a.Middleware(principal(uid, latchUser)), Requests: []*http.Request{get(cookies...)}}
		if err := c.Check(); err != nil {
			return nil, fmt.Errorf("refresh: %w", err)
		}
		return c, nil
	}
}

// unlimited returns Limits with every limit (whatever fields Limits has)
// far beyond what a benchmark reaches: the limiter is consulted as in
// production, and the work is measured rather than refused.
func unlimited() latch.Limits {
	var l latch.Limits
	lots := ratelimit.Limit{Rate: 1 << 30, Period: time.Second, Burst: 1 << 30}
	v := reflect.ValueOf(&l).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Type() == reflect.TypeOf(lots) {
			f.Set(reflect.ValueOf(lots))
		}
	}
	return l
}
