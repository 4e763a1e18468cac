package latch

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/latchauth/latch/botcheck"
	"github.com/latchauth/latch/internal/clientip"
	"github.com/latchauth/latch/internal/device"
	"github.com/latchauth/latch/internal/ids"
	"github.com/latchauth/latch/internal/storelog"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/token"
)

// Auth is Latch inside an application: the services (users, sessions,
// sign-in), the HTTP handler and the middleware. Make one with New and share
// it; it is safe for concurrent use.
type Auth struct {
	cfg      Config
	store    storage.Store
	ids      *ids.Generator
	events   *eventBus
	secrets  *keyring
	keys     signingKeys
	verifier *token.Verifier
	cookies  *cookieJar
	cache    *tokenCache
	forged   forgeryGuard
	// reservedReported holds the reserved claim names Config.Session.Claims
	// returned that have been logged, so that each is logged once.
	reservedReported sync.Map
	revoked          *revokedSet
	stale            staleSet // sessions whose tokens must be minted again (host_orgs.go)
	devices          device.Parser
	deviceJar        *deviceJar
	templates        map[string]JWTTemplate
	passwords        *password.Hasher
	messages         messages
	outbox           outbox
	limiter          ratelimit.Limiter
	proxies          clientip.Proxies
	pow              *botcheck.PoW
	powGuard         botcheck.ReplayGuard
	plugins          plugins
	reg              registry
	life             life
	stop             context.CancelFunc
	listening        chan struct{}
}

// New validates cfg, fills in defaults, registers and starts the plugins and
// returns a ready Auth. It does no I/O itself: the signing keys are loaded
// (and created, the first time) on first use. It starts goroutines, which
// Close stops: the janitor (unless Config.Janitor.Disabled), one per
// durable consumer, and the strict-mode listener when
// Session.Broadcaster is set.
func New(cfg Config) (*Auth, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Auth{
		cfg:       cfg,
		store:     storelog.Wrap(cfg.Store, cfg.Logger), // every failure answered with 503 is in the log, by operation
		ids:       ids.New(cfg.Rand),
		secrets:   &keyring{secrets: cfg.Secrets},
		cache:     newTokenCache(cfg.Session.Leeway),
		templates: map[string]JWTTemplate{},
	}
	a.events = newEventBus(a)
	if a.passwords, err = password.NewHasher(cfg.Password.Hasher); err != nil {
		return nil, fmt.Errorf("latch: invalid Config.Password.Hasher: %w", err)
	}
	a.limiter = cfg.Protection.Limiter
	if a.proxies, err = cfg.Protection.Proxies.parse(); err != nil {
		return nil, fmt.Errorf("latch: invalid Config.Protection.Proxies: %w", err)
	}
	if a.pow, err = botcheck.NewPoW(botcheck.PoWConfig{Secret: derive(cfg.Secrets[0], "proof-of-work"), Difficulty: cfg.Protection.Bot.Difficulty,
		Clock: cfg.Clock, Rand: cfg.Rand}); err != nil {
		return nil, fmt.Errorf("latch: invalid Config.Protection.Bot: %w", err)
	}
	a.powGuard = storeReplayGuard{a}
	a.revoked = newRevokedSet(cfg.Session.TokenLifetime+cfg.Session.Leeway, cfg.Clock)
	a.keys.set, err = token.NewKeySet(token.Keys{})
	if err != nil {
		return nil, err
	}
	a.verifier, err = token.NewVerifier(a.keys.set, token.Config{
		Issuer: cfg.BaseURL, AuthorizedParties: cfg.Session.AuthorizedParties,
		Leeway: cfg.Session.Leeway, Clock: cfg.Clock,
	})
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(cfg.BaseURL)
	a.cookies = newCookieJar(cfg.Secrets, u.Scheme == "https", cfg.Session.SameSiteStrict, cfg.Session.MaxLifetime)
	a.deviceJar = newDeviceJar(cfg.Secrets, u.Scheme == "https")
	for _, t := range cfg.Session.Templates {
		a.templates[t.Name] = t
	}
	if err := a.registerPlugins(); err != nil {
		return nil, err
	}
	if err := a.buildLanguages(); err != nil {
		return nil, fmt.Errorf("latch: invalid %w", err)
	}
	if err := a.startUp(); err != nil {
		return nil, err
	}
	if cfg.Session.Broadcaster != nil {
		ctx, cancel := context.WithCancel(context.Background())
		a.stop, a.listening = cancel, make(chan struct{})
		go a.listen(ctx, a.listening)
	}
	return a, nil
}

// Close stops the durable consumers (waiting for running handlers) and the
// janitor, closes the plugins in reverse order, stops the strict-mode
// listener, if any, and waits for messages being sent. It returns the
// plugins' Close errors. The Auth must not be used afterwards. The store
// is the application's to close.
func (a *Auth) Close() error {
	err := a.shutdown()
	if a.stop != nil {
		a.stop()
	}
	a.Flush()
	return err
}

// Ready returns a channel closed once the strict-mode listener is
// listening (immediately without strict mode), for health checks and tests.
func (a *Auth) Ready() <-chan struct{} {
	if a.listening == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return a.listening
}

// Verifier returns the verifier of this instance's session tokens, for code
// in the same process that checks tokens outside a request (a WebSocket
// upgrade, a job). Other services use token.NewRemoteVerifier on the JWKS.
func (a *Auth) Verifier() *token.Verifier { return a.verifier }

// Store returns the store Latch uses, for applications that read Latch's
// records directly (reports, migrations). Writes through it bypass events
// and validation.
func (a *Auth) Store() storage.Store { return a.cfg.Store }

// now is the current time at the precision every adapter stores.
func (a *Auth) now() time.Time { return a.cfg.Clock().UTC().Truncate(time.Microsecond) }

// newID returns a fresh ID with the given prefix.
func (a *Auth) newID(prefix string) (string, error) {
	id, err := a.ids.New(prefix, a.now())
	if err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	return id, nil
}

// tx is one write transaction of the kernel: the storage operations plus the
// events the change emits, which go into the outbox in the same transaction.
type tx struct {
	storage.Querier
	a      *Auth
	events []*storage.Event
	// created is the user the transaction creates, for what createUser
	// runs in it.
	created *storage.User
	// identity is the provider's account linked to it, for the sign-up
	// hooks.
	identity *Identity
	// invitation is the invitation the sign-up spent, for the sign-up
	// hooks.
	invitation string
}

// inTx runs fn in a storage transaction and, once it has committed,
// dispatches the events fn emitted. Errors that are not *Error become
// ErrUnavailable, so storage internals never reach a caller.
func (a *Auth) inTx(ctx context.Context, fn func(t *tx) error) error {
	var events []*storage.Event
	err := a.store.InTx(ctx, func(q storage.Querier) error {
		t := &tx{Querier: q, a: a}
		if err := fn(t); err != nil {
			return err
		}
		events = t.events
		return t.appendEvents(ctx)
	})
	if err != nil {
		return asError(err)
	}
	a.events.committed(ctx, events)
	return nil
}
