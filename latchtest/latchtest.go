// Package latchtest gives a host application's own tests a ready Latch: an
// in-memory store, a fake clock they can move, recorded mail and text
// messages, and deterministic defaults, so a test needs one line to get an
// *latch.Auth. Harness.SignUp signs a user up end to end and returns a
// signed-in Browser; Harness.LastCode and LastLink read what was sent;
// WithClaims gives a handler's unit test a signed-in context without any
// of it. Kits for the plugins live next to them: mfa/mfatest (TOTP codes)
// and passkeys/passkeystest (a virtual authenticator).
//
//	func TestDashboard(t *testing.T) {
//		auth := latchtest.New(t)
//		u, _ := auth.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
//		…
//	}
package latchtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/fakeclock"
	"github.com/latchauth/latch/mail/mailtest"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/sms/smstest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
)

// Clock is a fake clock for tests: it stands still until moved (Advance,
// Set). It is safe for concurrent use; pass its Now method as
// latch.Config.Clock.
type Clock = fakeclock.Clock

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock { return fakeclock.New(t) }

// Start is where every latchtest clock starts: a fixed instant, so that
// tests and golden files are reproducible.
var Start = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// unlimited is a rate limiter that allows everything.
type unlimited struct{}

func (unlimited) Allow(context.Context, string, ratelimit.Limit) (ratelimit.Result, error) {
	return ratelimit.Result{Allowed: true}, nil
}
func (unlimited) Reset(context.Context, string) error { return nil }

// Options adjusts what New builds. The zero value is the usual choice.
type Options struct {
	// Config is the starting configuration; Store and Clock are filled in
	// when unset.
	Config latch.Config
}

// Harness is a Latch under test with the parts a test may want to reach.
type Harness struct {
	*latch.Auth
	Clock *Clock
	Store storage.Store // the store in use: Options.Config.Store, or a fresh memstore

	// Mail and SMS record what Latch sends, for LastCode and LastLink:
	// fresh recorders when Options.Config leaves Mailer and SMS unset,
	// the configured ones when they are recorders, nil otherwise.
	Mail *mailtest.Recorder
	SMS  *smstest.Recorder

	// App is the handler NewBrowser and SignUp talk to; nil means Latch's
	// routes (Handler) behind Middleware. A test that mounts its own pages
	// next to Latch's sets it to its own handler.
	App http.Handler
}

// New returns a ready *latch.Auth on a fresh in-memory store with a fake
// clock set to Start, with mail and text messages recorded (Harness.Mail,
// Harness.SMS), and with rate limits and bot checks off (set
// Options.Config.Protection to test them). It fails the test if the
// configuration is invalid, and closes the Auth when the test ends.
func New(t testing.TB) *latch.Auth { return NewHarness(t, Options{}).Auth }

// NewHarness is New with options, returning the clock and store as well.
// t may be nil (in an Example); a bad configuration then panics.
func NewHarness(t testing.TB, o Options) *Harness {
	if t != nil {
		t.Helper()
	}
	h := &Harness{Clock: NewClock(Start)}
	cfg := o.Config
	if cfg.Store == nil {
		cfg.Store = memstore.New()
	}
	h.Store = cfg.Store
	h.recorders(&cfg)
	if cfg.Clock == nil {
		cfg.Clock = h.Clock.Now
	}
	if cfg.Protection.Limiter == nil {
		// A test drives hundreds of requests from one address at one
		// instant of a fake clock; limits would only get in its way.
		// Tests of the limits set Protection.Limiter themselves.
		cfg.Protection.Limiter = unlimited{}
	}
	if b := cfg.Protection.Bot; !b.Disabled && !b.OnSignIn && b.Verifier == nil && b.Difficulty == 0 {
		cfg.Protection.Bot.Disabled = true
	}
	if cfg.Secrets == nil && cfg.SecretsFile == "" {
		// A fixed secret, so tests need not think about cookies' keys.
		cfg.Secrets = [][]byte{[]byte("latchtest secret: not for production use")}
	}
	a, err := latch.New(cfg)
	if err != nil {
		if t == nil {
			panic("latchtest: " + err.Error())
		}
		t.Fatalf("latchtest: %v", err)
	}
	h.Auth = a
	if t != nil {
		// Stops the janitor and any durable consumers the test started.
		t.Cleanup(func() { a.Close() })
	}
	return h
}
