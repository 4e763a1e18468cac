package password

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"runtime"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Algorithm names the scheme a Hasher writes new hashes with.
type Algorithm string

const (
	// Argon2id is the default: memory-hard, the OWASP and RFC 9106 first choice.
	Argon2id Algorithm = "argon2id"
	// Bcrypt writes "$latch-bcrypt-sha256$" hashes: bcrypt over an HMAC-SHA256 pre-hash, so
	// passwords longer than 72 bytes are neither truncated nor refused.
	Bcrypt Algorithm = "bcrypt"
)

// Argon2Params are the Argon2id cost parameters. A zero field takes the default below, which
// is the OWASP Password Storage Cheat Sheet's configuration m=19 MiB, t=2, p=1.
type Argon2Params struct {
	MemoryKiB   uint32 // default 19456 (19 MiB); memory held by one hash while it runs
	Iterations  uint32 // default 2
	Parallelism uint8  // default 1
	SaltLength  uint32 // default 16 bytes (128 bits); at least 16
	KeyLength   uint32 // default 32 bytes; at least 16
}

// Defaults for Config.
const (
	DefaultArgon2MemoryKiB   = 19 * 1024
	DefaultArgon2Iterations  = 2
	DefaultArgon2Parallelism = 1
	DefaultSaltLength        = 16
	DefaultKeyLength         = 32
	DefaultBcryptCost        = 12
)

// MaxInputBytes is the hard cap on a password's length in bytes, checked before any
// normalisation or hashing so that an oversized input costs nothing (ASVS 6.2.9 DoS bound).
const MaxInputBytes = 4096

// Config configures a Hasher. The zero value is ready to use: Argon2id with OWASP parameters,
// at most GOMAXPROCS hashes at a time, randomness from crypto/rand.
type Config struct {
	// Algorithm for new hashes; empty means Argon2id.
	Algorithm Algorithm
	// Argon2 parameters, used when Algorithm is Argon2id.
	Argon2 Argon2Params
	// BcryptCost, used when Algorithm is Bcrypt; 0 means DefaultBcryptCost (12).
	BcryptCost int
	// MaxConcurrent bounds the hash and verify operations running at once, so memory stays
	// at most MaxConcurrent × Argon2.MemoryKiB (more for imported hashes with larger m, up
	// to their 1 GiB bound). 0 means runtime.GOMAXPROCS(0) at NewHasher.
	MaxConcurrent int
	// Rand supplies salts and keys; nil means crypto/rand.Reader. (bcrypt's inner salt
	// always comes from crypto/rand: x/crypto does not take a reader.)
	Rand io.Reader
	// InsecureWeakParameters allows Argon2 memory·time below the OWASP floor and bcrypt
	// cost below 10. It gives up resistance to offline guessing if hashes leak; it exists
	// so tests of code that hashes passwords run fast. Never set it in production.
	InsecureWeakParameters bool
}

// Hasher hashes and verifies passwords. It is safe for concurrent use; its concurrency is
// bounded by Config.MaxConcurrent. Create it with NewHasher.
type Hasher struct {
	alg   Algorithm
	argon Argon2Params
	cost  int
	rand  io.Reader
	sem   chan struct{}
	dummy *parsedHash // parsed once; see DummyVerify
}

// ErrTooLong is returned by Hash and Verify for a password longer than MaxInputBytes.
var ErrTooLong = fmt.Errorf("password: longer than %d bytes", MaxInputBytes)

// ErrEmpty is returned by Hash for an empty password.
var ErrEmpty = errors.New("password: empty")

// ErrMismatch is returned by Verify when the password does not match the hash. Verify
// returns ok == true exactly when err == nil, so a caller that checks only err fails closed.
var ErrMismatch = errors.New("password: does not match")

// NewHasher validates cfg and returns a Hasher.
func NewHasher(cfg Config) (*Hasher, error) {
	h := &Hasher{alg: cfg.Algorithm, argon: cfg.Argon2, cost: cfg.BcryptCost, rand: cfg.Rand}
	if h.alg == "" {
		h.alg = Argon2id
	}
	if h.rand == nil {
		h.rand = rand.Reader
	}
	a := &h.argon
	a.MemoryKiB = orDefault(a.MemoryKiB, DefaultArgon2MemoryKiB)
	a.Iterations = orDefault(a.Iterations, DefaultArgon2Iterations)
	a.Parallelism = orDefault(a.Parallelism, DefaultArgon2Parallelism)
	a.SaltLength = orDefault(a.SaltLength, DefaultSaltLength)
	a.KeyLength = orDefault(a.KeyLength, DefaultKeyLength)
	h.cost = orDefault(h.cost, DefaultBcryptCost)

	switch h.alg {
	case Argon2id:
		switch {
		case a.MemoryKiB > maxArgon2MemoryKiB || a.Iterations > maxArgon2Time || a.Parallelism > maxArgon2Threads:
			return nil, errors.New("password: Argon2 parameters above the accepted bounds (m ≤ 1 GiB, t ≤ 100, p ≤ 64)")
		case a.MemoryKiB < 8*uint32(a.Parallelism):
			return nil, errors.New("password: Argon2 memory must be at least 8 KiB per lane")
		case a.SaltLength < 16 || a.SaltLength > maxSaltLen:
			return nil, errors.New("password: Argon2 salt length must be 16 to 64 bytes")
		case a.KeyLength < minKeyLen || a.KeyLength > maxKeyLen:
			return nil, errors.New("password: Argon2 key length must be 16 to 128 bytes")
		case !cfg.InsecureWeakParameters && (a.MemoryKiB < 7*1024 || uint64(a.MemoryKiB)*uint64(a.Iterations) < 7*1024*5):
			// OWASP's weakest listed configuration is m=7 MiB, t=5.
			return nil, errors.New("password: Argon2 parameters below the OWASP floor (m ≥ 7 MiB and m·t ≥ 35 MiB)")
		}
	case Bcrypt:
		if h.cost > maxBcryptCost || h.cost < bcrypt.MinCost || (!cfg.InsecureWeakParameters && h.cost < 10) {
			return nil, fmt.Errorf("password: bcrypt cost must be 10 to %d", maxBcryptCost)
		}
	default:
		return nil, fmt.Errorf("password: unknown algorithm %q", h.alg)
	}

	n := cfg.MaxConcurrent
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	h.sem = make(chan struct{}, n)

	d, err := h.dummyHash()
	if err != nil {
		return nil, err
	}
	if h.dummy, err = parseHash(d); err != nil {
		return nil, fmt.Errorf("password: building dummy hash: %w", err)
	}
	return h, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// dummyHash returns an encoded hash with the current parameters whose key is random bytes,
// not the hash of anything: verifying against it costs exactly one real verification and
// never succeeds, and building it costs nothing.
func (h *Hasher) dummyHash() (string, error) {
	switch h.alg {
	case Bcrypt:
		b := make([]byte, 16+16+23)
		if _, err := io.ReadFull(h.rand, b); err != nil {
			return "", fmt.Errorf("password: reading randomness: %w", err)
		}
		return fmt.Sprintf("%s%s$2b$%02d$%s%s", latchBcryptPrefix, phcB64.EncodeToString(b[:16]), h.cost,
			bcryptB64.EncodeToString(b[16:32]), bcryptB64.EncodeToString(b[32:])), nil
	default:
		b := make([]byte, h.argon.SaltLength+h.argon.KeyLength)
		if _, err := io.ReadFull(h.rand, b); err != nil {
			return "", fmt.Errorf("password: reading randomness: %w", err)
		}
		return encodeArgon2id(h.argon, b[:h.argon.SaltLength], b[h.argon.SaltLength:]), nil
	}
}

// acquire takes a slot of the semaphore or gives up when ctx is done. A done ctx never
// acquires, even if a slot is free, so cancelled requests do no hashing.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the encoded hash of NFKC(pw) under the configured algorithm: a PHC string
// "$argon2id$v=19$m=…,t=…,p=…$salt$key" or "$latch-bcrypt-sha256$v=1$key$2b$cost$…". Each
// call uses a fresh random salt. It waits for a concurrency slot (or ctx) first.
// Errors: ErrEmpty, ErrTooLong, ctx.Err(), or a failure to read randomness.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if len(pw) > MaxInputBytes {
		return "", ErrTooLong
	}
	if pw == "" {
		return "", ErrEmpty
	}
	pw = normalize(pw)
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	// Salt is read inside the slot: the read is part of the operation being bounded.
	switch h.alg {
	case Bcrypt:
		key := make([]byte, 16)
		if _, err := io.ReadFull(h.rand, key); err != nil {
			return "", fmt.Errorf("password: reading randomness: %w", err)
		}
		bc, err := bcrypt.GenerateFromPassword(bcryptPrehash(key, pw), h.cost)
		if err != nil {
			return "", fmt.Errorf("password: bcrypt: %w", err)
		}
		// x/crypto writes "$2a$"; the computation is identical to "$2b$", which is the
		// name for "correct implementation of the length wrap-around" and what we record.
		bc[2] = 'b'
		return latchBcryptPrefix + phcB64.EncodeToString(key) + string(bc), nil
	default:
		salt := make([]byte, h.argon.SaltLength)
		if _, err := io.ReadFull(h.rand, salt); err != nil {
			return "", fmt.Errorf("password: reading randomness: %w", err)
		}
		key := argon2.IDKey([]byte(pw), salt, h.argon.Iterations, h.argon.MemoryKiB, h.argon.Parallelism, h.argon.KeyLength)
		return encodeArgon2id(h.argon, salt, key), nil
	}
}

// Verify reports whether pw matches encoded, a hash in any accepted format (see the package
// documentation), and whether the caller should replace the stored hash with Hash(pw) now
// that it knows the password: needsRehash is true only when ok is true and the hash is an
// imported format, a different scheme than configured, or weaker than the configured
// parameters.
//
// pw is NFKC-normalised as in Hash. If that does not match and the raw input differs from
// its normal form, the raw input is tried too, because imported hashes were made by systems
// that did not normalise; a match that way always asks for a rehash, which stores the
// normalised form. For hashes this package wrote the second try can never match.
//
// ok is true exactly when err is nil. err is ErrMismatch for a wrong password (including a
// password over 72 bytes against a plain bcrypt hash, which is refused, never truncated);
// ErrTooLong; ErrMalformedHash or ErrUnsupportedHash (wrapped; use errors.Is); or ctx.Err()
// if ctx ended while waiting for a slot.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (ok, needsRehash bool, err error) {
	if len(pw) > MaxInputBytes {
		return false, false, ErrTooLong
	}
	ph, err := parseHash(encoded)
	if err != nil {
		return false, false, err
	}
	return h.verifyParsed(ctx, pw, ph)
}

func (h *Hasher) verifyParsed(ctx context.Context, pw string, ph *parsedHash) (ok, needsRehash bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	n := normalize(pw)
	if ph.matches(n) {
		return true, h.needsRehash(ph), nil
	}
	if n != pw && ph.matches(pw) {
		return true, true, nil
	}
	return false, false, ErrMismatch
}

// DummyVerify spends the time of a Verify of pw against a hash with the current parameters
// and always fails. Call it when the account does not exist (or has no password) so the
// response time does not reveal that (SECURITY.md item 11, CVE-2025-6011). It takes a
// concurrency slot like Verify; it returns only ErrTooLong or ctx.Err().
func (h *Hasher) DummyVerify(ctx context.Context, pw string) error {
	if len(pw) > MaxInputBytes {
		return ErrTooLong
	}
	if _, _, err := h.verifyParsed(ctx, pw, h.dummy); !errors.Is(err, ErrMismatch) {
		return err
	}
	return nil
}

// needsRehash: imported schemes always; a native scheme other than the configured one; or
// weaker parameters. Parallelism is compared for equality: a different lane count is a
// different cost profile, and the operator's choice should win once the password is known.
func (h *Hasher) needsRehash(ph *parsedHash) bool {
	if ph.imported {
		return true
	}
	switch ph.scheme {
	case schemeArgon2id:
		a := h.argon
		return h.alg != Argon2id || ph.memory < a.MemoryKiB || ph.time < a.Iterations ||
			ph.threads != a.Parallelism || uint32(len(ph.salt)) < a.SaltLength || uint32(len(ph.key)) < a.KeyLength
	case schemeLatchBcrypt:
		return h.alg != Bcrypt || ph.cost < h.cost
	default:
		return true
	}
}
