package main

// Every ```go block of README.md is one region of this file (between a
// "readme:begin" and a "readme:end" comment line) or a whole .go file of this
// directory, so that a block that stops compiling fails the build, and a
// block edited in one place but not the other fails TestReadmeGoBlocks. The
// code around a region gives it the variables it uses.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/botcheck"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/examples/readme/mystore"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mail/smtpmail"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/passkeys"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/ratelimit/redisrate"
	"github.com/latchauth/latch/screen"
	"github.com/latchauth/latch/sms/twilio"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/memstore"
	"github.com/latchauth/latch/storage/pgstore"
	"github.com/latchauth/latch/storage/sqlitestore"
	"github.com/latchauth/latch/storage/storagetest"
	"github.com/latchauth/latch/token"
	"github.com/redis/go-redis/v9"
)

// These snippets are compiled but not run (they need services, a network or
// a listening port); the tests in readme_test.go run the others.
var _ = []any{productionSecrets, createUser, signUpConfig, protectionConfig, sessions, strictMode, stepUp,
	plugins, pluginHooks, germanPlugin{}, pluginChecks, mfaDefault, mfaRequired, mfaCodes, passkeysPlugin, verifyElsewhere, importUsers, consumers, stores}

func productionSecrets(db storage.Store) (*latch.Auth, error) {
	// readme:begin
	secrets, err := latch.ParseSecrets(os.Getenv("LATCH_SECRETS")) // base64, comma-separated; the first seals
	if err != nil {
		return nil, err
	}
	auth, err := latch.New(latch.Config{Store: db, BaseURL: "https://app.example.com", Secrets: secrets})
	// readme:end
	return auth, err
}

func createUser(ctx context.Context, auth *latch.Auth) error {
	// readme:begin
	u, err := auth.CreateUser(ctx, latch.CreateUserParams{
		EmailAddresses: []string{"ada@example.com"},
		FirstName:      "Ada",
	})
	var le *latch.Error
	if errors.As(err, &le) {
		// le.Code is stable ("form_identifier_exists"), le.Message is safe to
		// show, le.Field names the form field, le.Status is the HTTP status.
		return le
	}
	log.Printf("created %s", u.ID)

	auth.Subscribe(func(ctx context.Context, e latch.Event) {
		// "user.created", "user.updated", "user.deleted", … delivered after commit
	})
	// readme:end
	return nil
}

func userButton(auth *latch.Auth, mux *http.ServeMux) {
	// readme:begin
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		components.Stylesheet("/v1/latch.css").Render(r.Context(), w) // in the page's <head>: every latch- class is styled there
		if props, signedIn := auth.UserButtonProps(r); signedIn {
			components.UserButton(props).Render(r.Context(), w) // avatar menu: account, switch, sign out
		}
	})
	// readme:end
}

func ui() latch.UIConfig {
	// readme:begin
	ui := latch.UIConfig{
		Appearance:  components.Appearance{ColorPrimary: "#0a7", BorderRadius: "0.25rem", Theme: "dark"},
		LogoURL:     "/static/logo.svg",      // atop every card, 32 px high; its alt text is Config.AppName
		LogoDarkURL: "/static/logo-dark.svg", // optional: the dark theme's
		Strings: map[string]string{
			"signin.identifier.title":       "Welcome back to %s", // the heading; %s is Config.AppName
			"signin.identifier.title_plain": "Welcome back",       // the browser tab
		},
	}
	// readme:end
	return ui
}

func signUpWithBotToken(base string) (*http.Response, error) {
	// readme:begin
	res, err := http.Get(base + "/v1/bot_challenge")
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var c struct{ Challenge string }
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		return nil, err
	}
	botToken, err := botcheck.SolveToken(c.Challenge) // 5–20 ms of one core
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]string{
		"email_address": "ada@example.com", "password": "correct horse battery staple", "bot_token": botToken,
	})
	if err != nil {
		return nil, err
	}
	return http.Post(base+"/v1/client/sign_ups", "application/json", bytes.NewReader(body))
	// readme:end
}

func signUpConfig() latch.Config {
	// readme:begin
	cfg := latch.Config{
		SignUp: latch.SignUpConfig{
			EmailAddress:      latch.Required, // default Required
			PhoneNumber:       latch.Optional, // default Off
			Username:          latch.Optional, // default Off
			Password:          latch.Required, // default Required
			Names:             latch.Required, // default Off
			LegalConsent:      true,
			EmailVerification: "link", // default "code"
		},
		SignIn:   latch.SignInConfig{FirstFactors: []string{"password", "email_code"}},
		Password: latch.PasswordConfig{Policy: password.Policy{MinLength: 15}}, // NIST rev 4 when password is the only factor
		Mailer:   smtpmail.New(smtpmail.Config{Host: "smtp.example.com", Port: 587, Username: "…", Password: "…", From: "auth@example.com"}),
		SMS:      twilio.New(twilio.Config{AccountSID: "…", AuthToken: "…", From: "+15555550100"}),
		Messages: map[latch.MessageKind]latch.MessageTemplate{latch.MessageSignInCode: {Subject: "Your code: {{.Code}}"}},
	}
	// readme:end
	return cfg
}

func protectionConfig() latch.Config {
	// readme:begin
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", MaxRetries: -1, DialTimeout: time.Second})
	cfg := latch.Config{
		Protection: latch.ProtectionConfig{
			Limiter: redisrate.New(rdb, "myapp:"),                       // one limit across instances (default: in memory)
			Proxies: latch.ProxyConfig{Trusted: []string{"10.0.0.0/8"}}, // who may set X-Forwarded-For
			Limits:  latch.Limits{Lockout: ratelimit.Limit{Rate: 100, Period: time.Hour, Burst: 100}},
			Bot:     latch.BotConfig{Verifier: botcheck.Turnstile{Secret: "…"}}, // default: built-in proof of work
			Rules:   screen.Rules{BlockSubaddresses: true, Block: []string{"@competitor.example"}},
		},
		SignUp: latch.SignUpConfig{Mode: latch.SignUpWaitlist}, // or SignUpRestricted, SignUpPublic (default)
	}
	// readme:end
	return cfg
}

func sessions(auth *latch.Auth, addr string) {
	// readme:begin
	mux := http.NewServeMux()
	mux.Handle("/", auth.Handler())                                                 // JWKS, session and token routes
	mux.Handle("GET /dashboard", auth.RequireSignedIn(http.HandlerFunc(dashboard))) // pages redirect to /sign-in, APIs get 401
	mux.Handle("GET /invoices", auth.Protect(latch.Permission("org:invoices:read"))(http.HandlerFunc(invoices)))
	log.Fatal(http.ListenAndServe(addr, auth.Middleware(mux))) // Middleware puts the session into each request
	// readme:end
}

// readme:begin
func dashboard(w http.ResponseWriter, r *http.Request) {
	s := latch.SessionFromContext(r.Context()) // nil when signed out; never behind RequireSignedIn
	if latch.Has(r.Context(), latch.Plan("pro"), latch.Reverified(10*time.Minute)) {
		fmt.Fprintln(w, "Pro features")
	}
	fmt.Fprintf(w, "Hello, %s", s.UserID)
}

// readme:end

func invoices(http.ResponseWriter, *http.Request) {}

func consumers(auth *latch.Auth) error {
	// readme:begin
	err := auth.Consume("app.welcome_mail", func(ctx context.Context, e latch.Event) error {
		var u latch.User
		if err := json.Unmarshal(e.Data, &u); err != nil {
			return nil // a payload that cannot be read will not improve: skip it
		}
		return sendWelcome(ctx, e.ID, u.PrimaryEmailAddress()) // an error redelivers this event later
	}, latch.EventUserCreated)
	// readme:end
	return err
}

// sendWelcome mails a welcome once per event ID.
func sendWelcome(context.Context, string, string) error { return nil }

func strictMode(pool *pgxpool.Pool, secrets [][]byte) error {
	// readme:begin
	db := pgstore.New(pool) // LISTEN/NOTIFY; or redisbroadcast.New(rdb, "") for Redis pub/sub
	auth, err := latch.New(latch.Config{Store: db, Secrets: secrets, Session: latch.SessionConfig{Broadcaster: db}})
	if err != nil {
		return err
	}
	defer auth.Close()
	// readme:end
	return nil
}

func stepUp(auth *latch.Auth, mux *http.ServeMux) {
	// readme:begin
	mux.Handle("POST /billing/card", auth.ProtectReverified(10*time.Minute)(http.HandlerFunc(updateCard)))
	mux.HandleFunc("GET /billing", func(w http.ResponseWriter, r *http.Request) {
		if latch.Has(r.Context(), latch.Reverified(5*time.Minute)) { // reads the fva claim, no I/O
			fmt.Fprintln(w, "Card ending 4242")
		}
	})
	// readme:end
}

func updateCard(http.ResponseWriter, *http.Request) {}

func plugins(db storage.Store) (*latch.Auth, error) {
	// readme:begin
	auth, err := latch.New(latch.Config{
		Store:   db,
		Plugins: []latch.Plugin{mfa.New(mfa.Config{}), passkeys.New(passkeys.Config{})},
	})
	// readme:end
	return auth, err
}

// readme:begin
// teams is an application's own plugin: a route listing the user's teams,
// and the user's role in every session token.
type teams struct{ roles map[string]string } // user ID → role

func (teams) Name() string { return "teams" }

func (t teams) Register(h *latch.Host) error {
	err := h.Handle(latch.Route{Method: "GET", Pattern: "/v1/me/teams", Handler: t.list}) // Access: signed in, by default
	if err != nil {
		return err
	}
	return h.AddClaims(latch.ClaimsContributor{
		Claims: []string{"org_role", "team_tier"}, // declared up front; sub, sid, exp, … are refused
		Contribute: func(ctx context.Context, c *latch.TokenClaims) error { // at every mint and refresh
			c.Set("org_role", t.roles[c.UserID])
			c.Set("team_tier", "gold")
			return nil
		},
	})
}

func (t teams) list(w http.ResponseWriter, r *http.Request) {
	s := latch.SessionFromContext(r.Context())
	_ = json.NewEncoder(w).Encode(map[string]string{"role": t.roles[s.UserID]})
}

// readme:end

func pluginChecks(auth *latch.Auth, mux *http.ServeMux) {
	// readme:begin
	mux.Handle("GET /admin", auth.Protect(latch.Role("org:admin"))(http.HandlerFunc(admin))) // org_role, from teams
	mux.Handle("GET /lounge", auth.Protect(latch.Claim("team_tier", "gold"))(http.HandlerFunc(admin)))
	hardware := latch.CheckFunc(func(c *token.Claims) bool { return c.HasAMR("hwk") }) // any test of the claims
	mux.Handle("GET /vault", auth.Protect(hardware)(http.HandlerFunc(admin)))
	// readme:end
}

func admin(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }

func mfaDefault(db storage.Store) (*latch.Auth, error) {
	// readme:begin
	auth, err := latch.New(latch.Config{
		Store:   db,
		Plugins: []latch.Plugin{mfa.New(mfa.Config{})},
	})
	// readme:end
	return auth, err
}

func mfaRequired() latch.Config {
	return latch.Config{
		// readme:begin
		Plugins: []latch.Plugin{mfa.New(mfa.Config{Policy: mfa.Required, Issuer: "Acme", BackupCodes: 12})},
		// readme:end
	}
}

func mfaCodes() latch.Config {
	return latch.Config{
		// readme:begin
		Plugins: []latch.Plugin{mfa.New(mfa.Config{SMSCode: true, EmailCode: true})},
		// readme:end
	}
}

func passkeysPlugin(db storage.Store) (*latch.Auth, error) {
	// readme:begin
	auth, err := latch.New(latch.Config{
		Store:   db,
		BaseURL: "https://app.example.com",
		// RP ID "app.example.com" and origin https://app.example.com, from BaseURL.
		Plugins: []latch.Plugin{passkeys.New(passkeys.Config{})},
	})
	// readme:end
	return auth, err
}

func verifyElsewhere(ctx context.Context, bearerToken string) (string, error) {
	// readme:begin
	v, err := token.NewRemoteVerifier("https://app.example.com/.well-known/jwks.json", token.Config{
		Issuer:            "https://app.example.com",
		AuthorizedParties: []string{"https://app.example.com"},
	})
	if err != nil {
		return "", err
	}
	claims, err := v.VerifyContext(ctx, bearerToken) // claims.Subject is the user ID
	// readme:end
	if err != nil {
		return "", err
	}
	return claims.Subject, nil
}

func importUsers(ctx context.Context, auth *latch.Auth) error {
	// readme:begin
	res, err := auth.ImportUsers(ctx, []latch.CreateUserParams{
		{EmailAddresses: []string{"ada@example.com"}, PasswordHash: "$2b$12$…"},                // bcrypt
		{EmailAddresses: []string{"alan@example.com"}, PasswordHash: "pbkdf2_sha256$870000$…"}, // Django
	})
	if err != nil {
		return err // ctx ended; rows not attempted carry its error
	}
	for i, r := range res {
		if r.Err != nil {
			log.Printf("row %d: %v", i, r.Err) // form_password_hash_invalid, form_identifier_exists, …
		}
	}
	// readme:end
	return nil
}

func stores(ctx context.Context, sqlDB *sql.DB, pool *pgxpool.Pool) error {
	// readme:begin
	sqlite, err := sqlitestore.Open(ctx, "app.db") // WAL, busy timeout, migrations applied
	ownSQLite := sqlitestore.New(sqlDB)            // your own *sql.DB; call ownSQLite.Migrate(ctx)
	postgres := pgstore.New(pool)                  // your own *pgxpool.Pool; call postgres.Migrate(ctx)
	inMemory := memstore.New()                     // tests
	// readme:end
	_, _, _, _ = sqlite, ownSQLite, postgres, inMemory
	return err
}

// readme:begin
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t testing.TB) storage.Store { return mystore.New() })
}

// readme:end

// readme:begin
func TestDashboard(t *testing.T) {
	h := latchtest.NewHarness(t, latchtest.Options{}) // in-memory store, fake clock
	u, err := h.CreateUser(context.Background(), latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	b := latchtest.NewBrowser(h.Middleware(routes(h.Auth))) // keeps cookies like a browser
	latchtest.SignIn(t, h.Auth, b, u.ID)                    // signed in, in one line
	if res := b.Get("/dashboard"); res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d", res.StatusCode)
	}
	h.Clock.Advance(2 * time.Minute) // tokens expire; the next request refreshes them
	if res := b.Get("/dashboard"); res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard after a refresh: %d", res.StatusCode)
	}
}

// readme:end

// readme:begin
type germanPlugin struct{}

func (germanPlugin) Name() string { return "de" }
func (germanPlugin) Register(h *latch.Host) error {
	return h.AddStrings("de", map[string]string{
		"signin.identifier.title":      "Bei %s anmelden",
		"verify.continue.title":        "Weiter zu %s", // the link landing page
		"message.sign_in_code.subject": "{{.Code}} ist Ihr {{.AppName}}-Code",
		"message.sign_in_code.text":    "Ihr Anmeldecode für {{.AppName}} lautet {{.Code}}.",
		// … any key of components.English; the ones left out stay English
	})
}

// readme:end

func pluginHooks(h *latch.Host, lastOrg map[string]string) {
	// readme:begin
	h.OnSignUp(func(ctx context.Context, e *latch.SignUpHook) error {
		return e.Tx.Emit(ctx, "org.member_added", e.User.ID, map[string]string{"user_id": e.User.ID}) // an error: no user
	})
	h.OnSessionCreate(func(ctx context.Context, e *latch.SessionCreateHook) error {
		e.ActiveOrganizationID = lastOrg[e.User.ID] // the first token already carries it
		return nil
	})
	h.AddSignInPolicy(func(ctx context.Context, in latch.SignInContext) (latch.SignInRequirement, error) {
		if in.OrganizationID == "org_strict" {
			return latch.SignInRequirement{Strategies: []string{"passkey"}, SecondFactor: true}, nil
		}
		return latch.SignInRequirement{}, nil
	})
	// readme:end
}
