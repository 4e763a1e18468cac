// Command app is the smallest Latch app: sign-up, sign-in and account pages,
// and a page only signed-in users see, on SQLite.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage/sqlitestore"
)

func main() {
	db, err := sqlitestore.Open(context.Background(), "app.db") // or pgstore.New(pool): the app owns the DB
	if err != nil {
		log.Fatal(err)
	}
	auth, err := latch.New(latch.Config{
		Store:   db,
		BaseURL: "http://localhost:8080", // every emailed link is built from this, never from Host
		// Development: a secret made on first run and kept in this file, so a
		// restart signs nobody out. In production, set Secrets instead.
		SecretsFile: "app.db.secrets",
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("localhost:8080", auth.Middleware(routes(auth))))
}

// routes are the app's pages: Latch's own, and a dashboard.
func routes(auth *latch.Auth) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/", auth.Handler()) // /sign-up, /sign-in, /user, the JSON API
	mux.Handle("GET /dashboard", auth.RequireSignedIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello, %s", latch.SessionFromContext(r.Context()).UserID)
	})))
	return mux
}
