package benchmarks

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/latchauth/latch/storage"
)

// setup builds v's case in an Env closed when the test ends, skipping when
// the variant cannot run here.
func setup(tb testing.TB, v Variant) *Case {
	tb.Helper()
	e, err := NewEnv()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	c, err := v.Setup(context.Background(), e)
	if Unavailable(err) {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatalf("%s: %v", v.Name, err)
	}
	return c
}

// TestVariants checks that every variant authenticates: each request of
// each case reaches the handler with the principal it expects.
func TestVariants(t *testing.T) {
	for _, v := range Variants() {
		t.Run(v.Name, func(t *testing.T) {
			if err := setup(t, v).CheckN(1000); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkRoundTrip is each variant's round trip on one goroutine.
func BenchmarkRoundTrip(b *testing.B) {
	for _, v := range Variants() {
		b.Run(v.Name, func(b *testing.B) { setup(b, v).Run(b) })
	}
}

// BenchmarkRoundTripParallel is each variant on every core.
func BenchmarkRoundTripParallel(b *testing.B) {
	for _, v := range Variants() {
		b.Run(v.Name, func(b *testing.B) { setup(b, v).RunParallel(b) })
	}
}

// TestSignInVariants checks that each sign-in variant signs in.
func TestSignInVariants(t *testing.T) {
	for _, v := range SignInVariants() {
		t.Run(v.Name, func(t *testing.T) {
			if err := setup(t, v).CheckN(3); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkSignIn is a whole password sign-in, with the hash alone and
// with a cheap hash beside it.
func BenchmarkSignIn(b *testing.B) {
	for _, v := range SignInVariants() {
		b.Run(v.Name, func(b *testing.B) { setup(b, v).Run(b) })
	}
}

var (
	scaleSizes    = flag.String("scale.sizes", "1000,20000", "comma-separated store sizes (users) for BenchmarkScale; -short keeps the first")
	scaleSQLite   = flag.String("scale.sqlite", "", "an sqlitestore file seeded by cmd/seed, measured instead of seeding")
	scalePostgres = flag.String("scale.postgres", "", "a pgstore DSN seeded by cmd/seed, measured instead of seeding")
)

// BenchmarkScale measures the email lookup, the refresh and a cheap-hash
// sign-in on SQLite and PostgreSQL stores of each size in -scale.sizes (or
// on the stores -scale.sqlite and -scale.postgres name): each should cost
// about the same at every size.
func BenchmarkScale(b *testing.B) {
	var sizes []int
	for _, s := range strings.Split(*scaleSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			b.Fatalf("-scale.sizes: %q is not a size", s)
		}
		sizes = append(sizes, n)
	}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		at := map[string]string{"sqlite": *scaleSQLite, "postgres": *scalePostgres}[kind]
		if at != "" {
			sizes = []int{0}
		}
		for _, n := range sizes {
			e, err := NewEnv()
			if err != nil {
				b.Fatal(err)
			}
			st, n, err := e.Seeded(context.Background(), kind, at, n, nil)
			if err != nil {
				e.Close()
				if Unavailable(err) {
					b.Run(kind, func(b *testing.B) { b.Skip(err) })
					continue
				}
				b.Fatal(err)
			}
			for _, v := range ScaleVariants(fmt.Sprintf("%s/users=%d", kind, n), st, n) {
				b.Run(v.Name, func(b *testing.B) { setupIn(b, e, v).Run(b) })
			}
			e.Close()
		}
	}
}

// setupIn is setup in an Env the caller closes.
func setupIn(tb testing.TB, e *Env, v Variant) *Case {
	tb.Helper()
	c, err := v.Setup(context.Background(), e)
	if err != nil {
		tb.Fatalf("%s: %v", v.Name, err)
	}
	if err := c.CheckN(10); err != nil {
		tb.Fatalf("%s: %v", v.Name, err)
	}
	return c
}

// TestSeedGoesOnAfterAStop: a seed run again over users it wrote already
// skips their batches and writes the rest, so that a stopped seed of a
// million users is finished by running the same command again.
func TestSeedGoesOnAfterAStop(t *testing.T) {
	ctx := context.Background()
	e, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	st, err := e.Store(ctx, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if err := Seed(ctx, st, SeedConfig{To: 30, Batch: 10}); err != nil {
		t.Fatal(err)
	}
	if err := Seed(ctx, st, SeedConfig{To: 50, Batch: 10, Writers: 2}); err != nil {
		t.Fatalf("seeding again over the first 30 users: %v", err)
	}
	admin, ok := st.(storage.AdminStore)
	if !ok {
		t.Fatal("the sqlite store cannot count its users")
	}
	if n, err := admin.CountUsers(ctx, storage.UserFilter{}); err != nil || n != 50 {
		t.Fatalf("CountUsers = %d, %v; want 50", n, err)
	}
	for _, i := range []int{0, 29, 30, 49} {
		if _, err := st.GetUserByIdentifier(ctx, storage.KindEmailAddress, SeedEmail(i)); err != nil {
			t.Errorf("user %d: %v", i, err)
		}
	}
}
