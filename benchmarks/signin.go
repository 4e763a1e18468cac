package benchmarks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/mail"
	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/storage"
)

type discardMailer struct{}

func (discardMailer) Send(context.Context, *mail.Message) error { return nil }

// newSignInLatch is a Latch for password sign-ins on st, hashing with
// hasher, with the default in-memory limiter consulted on every attempt
// under limits no benchmark reaches.
func newSignInLatch(st storage.Store, hasher password.Config) (*latch.Auth, error) {
	return latch.New(latch.Config{Store: st, BaseURL: baseURL, Logger: discard(), Mailer: discardMailer{},
		Secrets:    secrets,
		Password:   latch.PasswordConfig{Hasher: hasher},
		Protection: latch.ProtectionConfig{Limits: unlimited()},
	})
}

// signInRequest is a password sign-in through the JSON API, as a
// single-page app sends it, for the i-th seeded user.
func signInRequest(i int) *http.Request {
	body := `{"identifier":"` + SeedEmail(i) + `","password":"` + SeedPassword + `"}`
	r := httptest.NewRequest("POST", baseURL+"/v1/client/sign_ins", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// signInCase signs users in through auth.Handler(): users is how many
// seeded users to spread the sign-ins over (each sign-in makes a new
// browser, client and session).
func signInCase(a *latch.Auth, users int) *Case {
	return &Case{Handler: a.Handler(), Want: http.StatusOK, WantBody: `"complete"`,
		NewRequest: func(i int) *http.Request { return signInRequest(i * 7919 % users) }}
}

// signInVariant is a whole password sign-in on a store of one user,
// hashing with hasher.
func signInVariant(kind string, hasher password.Config) func(ctx context.Context, e *Env) (*Case, error) {
	return func(ctx context.Context, e *Env) (*Case, error) {
		st, err := e.Store(ctx, kind)
		if err != nil {
			return nil, err
		}
		h, err := password.NewHasher(hasher)
		if err != nil {
			return nil, err
		}
		hash, err := h.Hash(ctx, SeedPassword)
		if err != nil {
			return nil, err
		}
		if err := Seed(ctx, st, SeedConfig{To: 1, Hash: hash}); err != nil {
			return nil, err
		}
		a, err := newSignInLatch(st, hasher)
		if err != nil {
			return nil, err
		}
		e.Defer(func() { a.Flush(); a.Close() })
		return signInCase(a, 1), nil
	}
}

// hashOnly is the password check alone, with Latch's default argon2id, in
// the same round trip: what the sign-in pays for the hash.
func hashOnly(ctx context.Context, e *Env) (*Case, error) {
	h, err := password.NewHasher(password.Config{})
	if err != nil {
		return nil, err
	}
	hash, err := h.Hash(ctx, SeedPassword)
	if err != nil {
		return nil, err
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, _, err := h.Verify(r.Context(), SeedPassword, hash); !ok || err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return &Case{Handler: handler, Requests: []*http.Request{get()}}, nil
}

// SignInVariants are the sign-in variants, in the table's order.
func SignInVariants() []Variant {
	return []Variant{
		{Name: "signin/argon2id-sqlite", Note: "whole password sign-in, default argon2id (19 MiB, t=2)", Setup: signInVariant("sqlite", password.Config{})},
		{Name: "signin/argon2id-postgres", Note: "the same on PostgreSQL", Setup: signInVariant("postgres", password.Config{})},
		{Name: "signin/hash-only", Note: "the argon2id check alone", Setup: hashOnly},
		{Name: "signin/latch-work-sqlite", Note: "sign-in with a trivially cheap hash: Latch's own work", Setup: signInVariant("sqlite", CheapHasher)},
		{Name: "signin/latch-work-postgres", Note: "the same on PostgreSQL", Setup: signInVariant("postgres", CheapHasher)},
	}
}
