package benchmarks

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/latchauth/latch/password"
	"github.com/latchauth/latch/storage"
)

// SeedPassword is every seeded user's password.
const SeedPassword = "correct horse battery staple 42"

// CheapHasher is an argon2id so cheap that a sign-in measures the work
// Latch does around the hash rather than the hash itself. Never use such
// parameters outside a benchmark.
var CheapHasher = password.Config{InsecureWeakParameters: true,
	Argon2: password.Argon2Params{MemoryKiB: 8, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}}

// SeedEmail is the email address of the i-th seeded user.
func SeedEmail(i int) string { return fmt.Sprintf("user-%d@bench.example", i) }

// newID makes an ID as the kernel does: prefix, underscore, lower-case
// ULID, so that seeded rows sort and cluster like real ones.
func newID(prefix string) string { return prefix + "_" + strings.ToLower(ulid.Make().String()) }

// SeedConfig says what Seed writes.
type SeedConfig struct {
	From, To int    // seed users SeedEmail(From) … SeedEmail(To-1)
	Batch    int    // users per transaction; default 5,000
	Hash     string // every user's password hash; default CheapHasher's hash of SeedPassword
	// Writers is how many transactions write at once, each its own
	// batches; default 1. More overlap the round trips of one with the
	// work of the others, on a database with cores to spare.
	Writers int
	// Progress, when set, is called after each batch with the number of
	// users written so far (in batches that may finish out of order).
	Progress func(done int)
}

// Seed writes users through the storage API, in transactions of Batch
// users: each with a verified primary email address, a password, and two
// sessions on two browsers (clients), as a user signed in on a laptop and
// a phone would have. A batch whose first user exists already is skipped,
// so that a seed that stopped can be run again as it was.
func Seed(ctx context.Context, st storage.Store, c SeedConfig) error {
	if c.Batch <= 0 {
		c.Batch = 5000
	}
	if c.Hash == "" {
		h, err := password.NewHasher(CheapHasher)
		if err != nil {
			return err
		}
		if c.Hash, err = h.Hash(ctx, SeedPassword); err != nil {
			return err
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	batches := make(chan int)
	var (
		mu    sync.Mutex
		done  int
		first error
	)
	var wg sync.WaitGroup
	for range max(c.Writers, 1) {
		wg.Go(func() {
			for start := range batches {
				n, err := seedBatch(ctx, st, start, min(start+c.Batch, c.To), c.Hash, now)
				mu.Lock()
				done += n
				if err != nil && first == nil {
					first = err
				}
				if err == nil && c.Progress != nil {
					c.Progress(done)
				}
				mu.Unlock()
			}
		})
	}
	for start := c.From; start < c.To; start += c.Batch {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		batches <- start
	}
	close(batches)
	wg.Wait()
	return first
}

// seedBatch writes users from … to-1 in one transaction and returns how
// many it wrote: none when the first of them is there already, so that a
// seed that stopped can be run again from the start and go on where its
// committed batches end.
func seedBatch(ctx context.Context, st storage.Store, from, to int, hash string, now time.Time) (int, error) {
	if _, err := st.GetUserByIdentifier(ctx, storage.KindEmailAddress, SeedEmail(from)); err == nil {
		return 0, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return 0, err
	}
	err := st.InTx(ctx, func(q storage.Querier) error {
		for i := from; i < to; i++ {
			if err := seedUser(ctx, q, i, hash, now); err != nil {
				return fmt.Errorf("user %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return to - from, nil
}

func seedUser(ctx context.Context, q storage.Querier, i int, hash string, now time.Time) error {
	u := &storage.User{ID: newID("user"), PasswordHash: hash, FirstName: "User", LastName: fmt.Sprint(i),
		LastSignInAt: now, LastActiveAt: now, CreatedAt: now, UpdatedAt: now}
	email := &storage.Identifier{ID: newID("idn"), UserID: u.ID, Kind: storage.KindEmailAddress, Value: SeedEmail(i),
		VerifiedAt: now, VerifiedBy: "email_code", CreatedAt: now, UpdatedAt: now}
	u.PrimaryEmailID = email.ID
	if err := q.CreateUser(ctx, u); err != nil {
		return err
	}
	if err := q.CreateIdentifier(ctx, email); err != nil {
		return err
	}
	for _, device := range []struct{ ua, browser, os, kind string }{
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131", "macOS", "desktop"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Safari 18", "iOS", "mobile"},
	} {
		secret := make([]byte, 32) // a stand-in: these browsers never come back
		rand.Read(secret)
		c := &storage.Client{ID: newID("client"), SecretHash: secret, LastActiveAt: now,
			ExpiresAt: now.Add(30 * 24 * time.Hour), CreatedAt: now, UpdatedAt: now}
		s := &storage.Session{ID: newID("sess"), ClientID: c.ID, UserID: u.ID, Status: storage.SessionActive,
			IP: "198.51.100.7", UserAgent: device.ua, Browser: device.browser, OS: device.os, DeviceType: device.kind,
			FirstFactorAt: now, AMR: []string{"pwd"}, LastActiveAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour),
			CreatedAt: now, UpdatedAt: now}
		c.ActiveSessionID = s.ID
		if err := q.CreateClient(ctx, c); err != nil {
			return err
		}
		if err := q.CreateSession(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
