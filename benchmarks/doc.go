// Package benchmarks compares the cost of authenticating a request with
// Latch against other ways of doing it in Go: no authentication at all,
// the Clerk Go SDK's middleware, gorilla/sessions, a golang-jwt check per
// request, an opaque session ID looked up in SQLite or PostgreSQL, and a
// bare ed25519.Verify. Every variant is the same net/http round trip
// (handler.ServeHTTP) through the library's middleware to a handler that
// checks the principal the middleware found, and the benchmark loop checks
// the handler's answer, so a variant that stopped authenticating would fail
// rather than look fast.
//
// It is a module of its own so that the peers' dependencies stay out of
// Latch's go.mod. `go test -bench .` runs each variant as a Go benchmark;
// `go run ./cmd/compare` runs them in interleaved rounds and prints the
// table in the README; `go run ./cmd/seed` fills a database with many users
// for the scale benchmarks.
package benchmarks
