// Command templlayout shows Latch's components inside an app's own templ
// layout: the user button in the app's header, SignedIn/SignedOut and
// Protect around the app's own content, Latch's hosted pages for the rest.
//
//	go run ./examples/templlayout   # http://localhost:8081
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/sqlitestore"
)

func main() {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	db, err := sqlitestore.Open(ctx, "templlayout.db")
	if err != nil {
		log.Error("opening the database", "err", err)
		os.Exit(1)
	}
	defer db.Close()
	auth, err := latch.New(latch.Config{Store: db, BaseURL: "http://localhost:8081", AppName: "Acme Notes", Logger: log})
	if err != nil {
		log.Error("configuring latch", "err", err)
		os.Exit(1)
	}
	defer auth.Close()

	mux := http.NewServeMux()
	mux.Handle("/", auth.Handler())
	mux.HandleFunc("GET /app.css", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		w.Write([]byte(`body{margin:0;font-family:system-ui,sans-serif}.app-header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1.5rem;border-bottom:1px solid #e5e5ea}.app-brand{font-weight:700;text-decoration:none;color:inherit}.app-main{max-width:40rem;margin:2rem auto;padding:0 1.5rem}.app-muted{color:#666}`))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		d := pageData{}
		d.Button, d.SignedIn = auth.UserButtonProps(r)
		d.IsAdmin = latch.Has(r.Context(), latch.Role("org:admin"))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		home(d).Render(r.Context(), w)
	})
	log.Info("templlayout is running", "open", "http://localhost:8081/")
	srv := &http.Server{Addr: "localhost:8081", Handler: auth.Middleware(mux), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("serving", "err", err)
		os.Exit(1)
	}
}
