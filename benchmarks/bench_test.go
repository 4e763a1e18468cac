package benchmarks

import (
	"context"
	"testing"
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
	if ErrUnavailable(err) {
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
