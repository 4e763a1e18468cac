package token

import (
	"crypto/ed25519"
	"testing"
	"time"
)

func benchSetup(b *testing.B, alg Algorithm) (*KeySet, *Verifier, string) {
	k := mustKey(b, alg, "key-bench-"+string(alg))
	ks := mustKeySet(b, Keys{Current: k})
	v := mustVerifier(b, ks, Config{AuthorizedParties: []string{"https://app.example.com"}})
	tok := mustSign(b, ks, sessionClaims())
	return ks, v, tok
}

func BenchmarkSign(b *testing.B) {
	ks, _, _ := benchSetup(b, EdDSA)
	c := sessionClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ks.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	_, v, tok := benchSetup(b, EdDSA)
	b.SetBytes(int64(len(tok)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyES256(b *testing.B) {
	_, v, tok := benchSetup(b, ES256)
	b.SetBytes(int64(len(tok)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEd25519Verify is the floor for BenchmarkVerify: a bare ed25519.Verify of a
// message as long as the token's signing input.
func BenchmarkEd25519Verify(b *testing.B) {
	_, _, tok := benchSetup(b, EdDSA)
	parts := splitToken(tok)
	msg := []byte(parts[0] + "." + parts[1])
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := priv.Public().(ed25519.PublicKey)
	sig := ed25519.Sign(priv, msg)
	b.SetBytes(int64(len(tok)))
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad signature")
		}
	}
}

// BenchmarkVerifyVsEd25519 interleaves Verify and a bare ed25519.Verify of the same length
// in one loop and reports their ratio, which stays meaningful on a busy machine where the
// two separate benchmarks drift apart.
func BenchmarkVerifyVsEd25519(b *testing.B) {
	_, v, tok := benchSetup(b, EdDSA)
	parts := splitToken(tok)
	msg := []byte(parts[0] + "." + parts[1])
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := priv.Public().(ed25519.PublicKey)
	sig := ed25519.Sign(priv, msg)
	var full, bare time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := v.Verify(tok); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("bad signature")
		}
		full += t1.Sub(t0)
		bare += time.Since(t1)
	}
	b.ReportMetric(float64(full)/float64(bare), "x-ed25519")
}
