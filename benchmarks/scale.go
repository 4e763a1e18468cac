package benchmarks

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/storage"
	"github.com/latchauth/latch/storage/pgstore"
	"github.com/latchauth/latch/storage/sqlitestore"
)

// scaleProbes is how many seeded users the refresh probe signs in again,
// and how many distinct addresses the lookups cycle through: spread over
// the whole table (index i*7919 mod n), so that a lookup does not find its
// pages cached by the previous one.
const scaleProbes = 4096

// probe is the i-th user the scale probes touch.
func probe(i, n int) int { return i * 7919 % n }

// Seeded returns a store of n users seeded by Seed: freshly made and
// seeded in the Env, or, when at is not "", the sqlitestore file or pgstore
// DSN at that place, already seeded by cmd/seed, whose size is counted.
func (e *Env) Seeded(ctx context.Context, kind, at string, n int, progress func(int)) (storage.Store, int, error) {
	if at != "" {
		var st storage.Store
		var err error
		switch kind {
		case "sqlite":
			var db *sqlitestore.Store
			db, err = sqlitestore.Open(ctx, at)
			st = db
			if err == nil {
				e.Defer(func() { db.Close() })
			}
		case "postgres":
			var db *pgstore.Store
			db, err = pgstore.Open(ctx, at)
			st = db
			if err == nil {
				e.Defer(func() { db.Close() })
			}
		default:
			err = fmt.Errorf("unknown store %q", kind)
		}
		if err != nil {
			return nil, 0, err
		}
		admin, ok := st.(storage.AdminStore)
		if !ok {
			return nil, 0, fmt.Errorf("the %s store cannot count its users", kind)
		}
		n, err := admin.CountUsers(ctx, storage.UserFilter{})
		return st, n, err
	}
	st, err := e.Store(ctx, kind)
	if err != nil {
		return nil, 0, err
	}
	return st, n, Seed(ctx, st, SeedConfig{To: n, Progress: progress})
}

// ScaleVariants are the hot paths measured on a store of n seeded users:
// the email lookup a sign-in starts with, the refresh of an expired token,
// and a whole sign-in with a cheap hash. name prefixes their names.
func ScaleVariants(name string, st storage.Store, n int) []Variant {
	return []Variant{
		{Name: name + "/email-lookup", Note: "GetUserByIdentifier of a verified address", Setup: func(ctx context.Context, e *Env) (*Case, error) {
			emails := make([]string, min(scaleProbes, n))
			for i := range emails {
				emails[i] = SeedEmail(probe(i, n))
			}
			var next atomic.Int64
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				u, err := st.GetUserByIdentifier(r.Context(), storage.KindEmailAddress, emails[int(next.Add(1))%len(emails)])
				if err != nil || u.ID == "" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			})
			return &Case{Handler: h, Requests: []*http.Request{get()}}, nil
		}},
		{Name: name + "/refresh", Note: "middleware refresh of an expired token", Setup: func(ctx context.Context, e *Env) (*Case, error) {
			// Probe users spread over the table get a new session each
			// (CreateSession: their rows are the newest, as an active
			// session's are); then every token expires.
			clock := latchtest.NewClock(time.Now().UTC().Truncate(time.Second))
			a := newLatch(st, clock)
			e.Defer(func() { a.Close() })
			c := &Case{}
			users := map[string]string{}
			for i := range min(scaleProbes/16, n) {
				u, err := st.GetUserByIdentifier(ctx, storage.KindEmailAddress, SeedEmail(probe(i, n)))
				if err != nil {
					return nil, err
				}
				_, cookies, err := newSession(ctx, a, u.ID)
				if err != nil {
					return nil, err
				}
				r := get(cookies...)
				c.Requests = append(c.Requests, r)
				users[r.Header.Get("Cookie")] = u.ID
			}
			clock.Advance(2 * time.Minute)
			c.Handler = a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if latchUser(r) != users[r.Header.Get("Cookie")] {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			return c, nil
		}},
		{Name: name + "/signin-cheap-hash", Note: "password sign-in, cheap hash, users spread over the table", Setup: func(ctx context.Context, e *Env) (*Case, error) {
			a, err := newSignInLatch(st, CheapHasher)
			if err != nil {
				return nil, err
			}
			e.Defer(func() { a.Flush(); a.Close() })
			return signInCase(a, n), nil
		}},
	}
}
