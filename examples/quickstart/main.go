// Command quickstart is the smallest app built on Latch: a net/http server
// with an SQLite database (quickstart.db in the working directory), Latch's
// hosted sign-up, sign-in and account pages, a landing page with the user
// button, and a protected dashboard. Codes and links are printed to the
// console instead of being mailed.
//
//	go run ./examples/quickstart            # http://localhost:8080
//	go run ./examples/quickstart -addr :9000
//	QUICKSTART_OIDC_ISSUER=http://localhost:9998 QUICKSTART_OIDC_CLIENT_ID=… QUICKSTART_OIDC_CLIENT_SECRET=… go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/mfa"
	"github.com/latchauth/latch/orgs"
	"github.com/latchauth/latch/passkeys"
	"github.com/latchauth/latch/sso"
	"github.com/latchauth/latch/storage/sqlitestore"
)

func main() {
	addr := flag.String("addr", envOr("ADDR", "localhost:8080"), "address to listen on (or $ADDR)")
	dbPath := flag.String("db", "quickstart.db", "SQLite database file")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, log, *addr, *dbPath); err != nil {
		log.Error("quickstart", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, log *slog.Logger, addr, dbPath string) error {
	db, err := sqlitestore.Open(ctx, dbPath)
	if err != nil {
		return fmt.Errorf("opening the database: %w", err)
	}
	defer db.Close()
	host := addr
	if strings.HasPrefix(host, ":") {
		host = "localhost" + host
	}
	auth, err := latch.New(latch.Config{
		Store:   db,
		BaseURL: "http://" + host,
		AppName: "Quickstart",
		// Created on first run, so a restart signs nobody out. A real app
		// sets Secrets from its secret manager (see latch.ParseSecrets).
		SecretsFile: dbPath + ".secrets",
		Logger:      log,
		// Mailer and SMS are unset: codes and links go to this console.
		Plugins: plugins(host),
	})
	if err != nil {
		return fmt.Errorf("configuring latch: %w", err)
	}
	defer auth.Close()

	srv := newServer(addr, auth)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("quickstart is running", "open", "http://"+host+"/", "db", dbPath)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newServer builds the app's server: Latch's routes, and the app's own
// pages with the security headers Latch's pages carry. Every timeout is
// set, so a slow or stalled client cannot hold a connection (and its
// goroutine) for ever: headers must arrive within 5 s, the whole request
// within 15 s, the answer go out within 30 s, and an idle keep-alive
// connection closes after 2 minutes.
func newServer(addr string, auth *latch.Auth) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/", auth.Handler()) // /sign-in, /sign-up, /user, the JSON API
	mux.Handle("GET /{$}", latch.SecureHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, auth, "home")
	})))
	mux.Handle("GET /dashboard", latch.SecureHeaders(auth.RequireSignedIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, auth, "dashboard")
	}))))
	return &http.Server{
		Addr:              addr,
		Handler:           auth.Middleware(mux),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

var pages = template.Must(template.New("").Parse(`
{{define "layout"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Quickstart</title><link rel="stylesheet" href="/v1/latch.css">
<style>body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f7f7f9;color:#1a1a1a}
header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1.5rem;background:#fff;border-bottom:1px solid #e5e5ea}
main{max-width:40rem;margin:3rem auto;padding:0 1.5rem}a{color:#2f3cff}nav a{margin-left:1rem}
@media (prefers-color-scheme:dark){body{background:#111318;color:#eee}header{background:#181b22;border-color:#2a2e38}a{color:#8c95ff}}</style></head>
<body><header><strong>Quickstart</strong><nav>{{if .Button}}{{.Button}}{{else}}<a href="/sign-in">Sign in</a><a href="/sign-up">Sign up</a>{{end}}</nav></header>
<main>{{template "content" .}}</main></body></html>{{end}}
{{define "home"}}{{template "layout" .}}{{end}}
{{define "dashboard"}}{{template "layout" .}}{{end}}
`))

var content = map[string]string{
	"home": `{{define "content"}}<h1>Welcome</h1>{{if .Button}}<p>You are signed in. Go to your <a href="/dashboard">dashboard</a>.</p>
{{else}}<p>This app uses Latch for accounts. <a href="/sign-up">Create an account</a> — the verification code appears in the terminal.</p>{{end}}{{end}}`,
	"dashboard": `{{define "content"}}<h1>Dashboard</h1><p>Only signed-in users see this page. Your user ID is <code>{{.UserID}}</code>.</p>{{end}}`,
}

func render(w http.ResponseWriter, r *http.Request, auth *latch.Auth, name string) {
	t := template.Must(template.Must(pages.Clone()).Parse(content[name]))
	data := map[string]any{}
	if props, ok := auth.UserButtonProps(r); ok {
		var b strings.Builder
		if err := components.UserButton(props).Render(r.Context(), &b); err == nil {
			data["Button"] = template.HTML(b.String()) // rendered by templ, which escapes its input
		}
		data["UserID"] = latch.SessionFromContext(r.Context()).UserID
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := t.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, "rendering failed", http.StatusInternalServerError)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// plugins turns on two-step verification (an authenticator app, backup
// codes) and, when the app is served on a host name such as localhost,
// passkeys: WebAuthn does not accept an IP address as the site's identity.
func plugins(host string) []latch.Plugin {
	// Organizations: /organizations, the switcher in the user menu, and
	// org_id, org_role and org_permissions in the session token.
	ps := []latch.Plugin{mfa.New(mfa.Config{}), orgs.New(orgs.Config{})}
	if h, _, err := net.SplitHostPort(host); err == nil && net.ParseIP(h) == nil {
		ps = append(ps, passkeys.New(passkeys.Config{}))
	}
	// "Continue with Demo" for a local OpenID Provider, when one is named
	// (QUICKSTART_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET); register
	// http://<addr>/v1/callback/oauth_custom_demo as its redirect URI.
	if iss := os.Getenv("QUICKSTART_OIDC_ISSUER"); iss != "" {
		demo := sso.OIDC("demo", "Demo", iss, os.Getenv("QUICKSTART_OIDC_CLIENT_ID"), os.Getenv("QUICKSTART_OIDC_CLIENT_SECRET"))
		ps = append(ps, sso.New(sso.Config{Providers: []sso.Provider{demo}}))
	}
	return ps
}
