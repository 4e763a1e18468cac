// Package latch gives a Go web application complete user management —
// accounts, sessions, session tokens, and (as they land) sign-in flows, MFA,
// passkeys, SSO and organizations — inside the application itself, on the
// application's own database.
//
// One New, one Handler, one Middleware:
//
//	db, _ := sqlitestore.Open(ctx, "app.db")
//	auth, _ := latch.New(latch.Config{Store: db, BaseURL: "https://app.example.com", Secrets: secrets})
//	mux.Handle("/", auth.Handler())
//	mux.Handle("GET /dashboard", auth.RequireSignedIn(dashboard))
//	http.ListenAndServe(addr, auth.Middleware(mux))
//
// Handlers read the session with SessionFromContext and authorize with Has,
// which reads only the verified token's claims. Every error Latch returns to
// an application is an *Error with a stable code and a message safe to show;
// every change of state is one transaction that also writes its event
// (delivered to Subscribe handlers after commit) and its audit record.
package latch
