package password

import (
	"context"
	"testing"
)

// The hashing benchmarks use the production defaults: their ns/op and B/op are what one
// sign-up or sign-in costs (about 19 MiB per Argon2id operation).

func BenchmarkHashArgon2id(b *testing.B) {
	h := mustHasher(b, Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyArgon2id(b *testing.B) {
	h := mustHasher(b, Config{})
	ctx := context.Background()
	enc := mustHash(b, h, "correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", enc); !ok {
			b.Fatal(err)
		}
	}
}

func BenchmarkDummyVerify(b *testing.B) {
	h := mustHasher(b, Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := h.DummyVerify(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPolicyCheck(b *testing.B) {
	p := &Policy{}
	ctx := context.Background()
	commonPasswords()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Check(ctx, "violet staple orbit", "Acme", "jane.doe@example.com"); err != nil {
			b.Fatal(err)
		}
	}
}
