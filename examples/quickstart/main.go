// Command quickstart is the smallest app built on Latch: a net/http server
// with an SQLite database (quickstart.db in the working directory) that
// creates and lists users through Latch's Go API.
//
//	go run ./examples/quickstart            # http://localhost:8080
//	go run ./examples/quickstart -addr :9000
//
// The hosted sign-up and sign-in pages replace this page's form as those
// parts of Latch land; the wiring below (open a store, latch.New, serve)
// stays the same.
package main

import (
	"context"
	"errors"
	"flag"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/sqlitestore"
)

func main() {
	addr := flag.String("addr", envOr("ADDR", "localhost:8080"), "address to listen on (or $ADDR)")
	dbPath := flag.String("db", "quickstart.db", "SQLite database file")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	db, err := sqlitestore.Open(ctx, *dbPath)
	if err != nil {
		log.Error("opening the database", "err", err)
		os.Exit(1)
	}
	defer db.Close()

	auth, err := latch.New(latch.Config{Store: db, BaseURL: "http://" + *addr, AppName: "Quickstart", Logger: log})
	if err != nil {
		log.Error("configuring latch", "err", err)
		os.Exit(1)
	}
	auth.Subscribe(func(_ context.Context, e latch.Event) { log.Info("event", "type", e.Type, "id", e.ID) })

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { render(w, r, auth, nil) }))
	mux.Handle("POST /users", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := auth.CreateUser(r.Context(), latch.CreateUserParams{
			EmailAddresses: nonEmpty(r.PostFormValue("email_address")),
			FirstName:      r.PostFormValue("first_name"),
		})
		if err != nil {
			render(w, r, auth, err)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}))

	srv := &http.Server{Addr: *addr, Handler: http.NewCrossOriginProtection().Handler(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("quickstart is running", "open", "http://"+*addr+"/", "db", *dbPath)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serving", "err", err)
		os.Exit(1)
	}
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Latch quickstart</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.5rem 0}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}
button{font:inherit;padding:.4rem 1rem;margin-top:.5rem}.error{color:#b00020}li{margin:.25rem 0}</style></head>
<body><h1>Latch quickstart</h1>
<form method="post" action="/users">
<label>Email address <input name="email_address" type="email" autocomplete="email" required></label>
<label>First name <input name="first_name" autocomplete="given-name"></label>
{{with .Error}}<p class="error" role="alert">{{.Message}}</p>{{end}}
<button>Create user</button></form>
<h2>Users</h2><ul>{{range .Users}}<li>{{.PrimaryEmailAddress}} {{.FirstName}} <small>{{.ID}}</small></li>{{else}}<li>No users yet.</li>{{end}}</ul>
</body></html>`))

func render(w http.ResponseWriter, r *http.Request, auth *latch.Auth, err error) {
	users, _, lerr := auth.ListUsers(r.Context(), latch.ListUsersParams{})
	if err == nil {
		err = lerr
	}
	var le *latch.Error
	if err != nil && !errors.As(err, &le) {
		le = latch.ErrUnavailable
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if le != nil {
		w.WriteHeader(le.Status)
	}
	_ = page.Execute(w, map[string]any{"Users": users, "Error": le})
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
