package password

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math/bits"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// Bounds on what an encoded hash may ask for. An encoded hash is untrusted input (it may come
// from an import file or a tampered row), and its parameters decide how much memory and CPU a
// verification spends, so anything beyond these is refused before any work is done.
const (
	// MaxEncodedLength is the longest encoded hash Verify will parse, in bytes.
	MaxEncodedLength = 512

	maxArgon2MemoryKiB = 1 << 20 // 1 GiB
	maxArgon2Time      = 100
	maxArgon2Threads   = 64
	minSaltLen         = 8
	maxSaltLen         = 64
	minKeyLen          = 16
	maxKeyLen          = 128

	maxBcryptCost = 16 // 2^16 rounds is already several seconds

	maxScryptLogN    = 20 // N = 2^20
	maxScryptR       = 32
	maxScryptP       = 16
	maxScryptMemory  = 1 << 30 // 128·r·N bytes
	maxPBKDF2Iter    = 10_000_000
	maxDjangoSaltLen = 128

	// bcryptMaxInput is the number of password bytes bcrypt reads; x/crypto's
	// CompareHashAndPassword silently ignores the rest, so nothing longer ever reaches it.
	bcryptMaxInput = 72
)

// ErrMalformedHash reports an encoded hash that is not in one of the accepted formats or asks
// for parameters outside the accepted bounds. It never quotes the hash.
var ErrMalformedHash = errors.New("password: malformed hash")

// ErrUnsupportedHash reports a well-formed hash of a scheme or version this package cannot
// verify (argon2d, argon2 version 0x10, bcrypt $2x$, an unknown PHC identifier).
var ErrUnsupportedHash = errors.New("password: unsupported hash scheme")

// scheme identifies one accepted encoding.
type scheme uint8

const (
	schemeArgon2id           scheme = iota + 1 // $argon2id$v=19$m=,t=,p=$salt$key (native)
	schemeLatchBcrypt                          // $latch-bcrypt-sha256$v=1$key$2b$.. (native)
	schemeArgon2i                              // $argon2i$v=19$m=,t=,p=$salt$key
	schemeBcrypt                               // $2a$ / $2b$ / $2y$
	schemeScrypt                               // $scrypt$ln=,r=,p=$salt$key
	schemePBKDF2SHA256                         // $pbkdf2-sha256$i=[,l=]$salt$key or passlib's $pbkdf2-sha256$N$ab64$ab64
	schemePBKDF2SHA512                         // same with sha512
	schemeDjangoPBKDF2SHA256                   // pbkdf2_sha256$N$salt$b64
	schemeDjangoPBKDF2SHA1                     // pbkdf2_sha1$N$salt$b64
	schemeDjangoBcryptSHA256                   // bcrypt_sha256$$2b$..: bcrypt of hex(SHA-256(pw))
	// Django's argon2$…, scrypt$… and bcrypt$… forms parse to schemeArgon2id/i, schemeScrypt
	// and schemeBcrypt.
)

const latchBcryptPrefix = "$latch-bcrypt-sha256$v=1$"

// parsedHash is a decoded hash; which fields are set depends on scheme.
type parsedHash struct {
	scheme scheme

	memory  uint32 // argon2, KiB
	time    uint32 // argon2
	threads uint8  // argon2

	logN, r, p int // scrypt

	iter int // pbkdf2

	cost   int    // bcrypt
	bcrypt []byte // the complete $2?$ string, for x/crypto

	salt []byte // argon2, scrypt, pbkdf2; HMAC key for latch-bcrypt-sha256
	key  []byte // expected derived key (not for bcrypt)

	// imported marks Django's encodings ("argon2$…", "scrypt$…", "bcrypt$…"); a native scheme
	// in another system's encoding is always rewritten in the native one.
	imported bool
}

var (
	phcB64    = base64.RawStdEncoding.Strict() // PHC: standard alphabet, no padding
	djangoB64 = base64.StdEncoding.Strict()    // Django: standard alphabet, padded
)

// bcryptAlphabet is bcrypt's own base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

var bcryptB64 = base64.NewEncoding(bcryptAlphabet).WithPadding(base64.NoPadding)

func malformed(why string) error { return fmt.Errorf("%w: %s", ErrMalformedHash, why) }

// parseHash decodes an encoded hash strictly: exact field counts, parameter names in their
// fixed order, canonical decimals, strict base64, every parameter within bounds. Its work is
// linear in len(s), which is capped at MaxEncodedLength.
func parseHash(s string) (*parsedHash, error) {
	if len(s) > MaxEncodedLength {
		return nil, malformed("too long")
	}
	switch {
	case strings.HasPrefix(s, "pbkdf2_sha256$"):
		return parseDjango(s[len("pbkdf2_sha256$"):], schemeDjangoPBKDF2SHA256, sha256.Size)
	case strings.HasPrefix(s, "pbkdf2_sha1$"):
		return parseDjango(s[len("pbkdf2_sha1$"):], schemeDjangoPBKDF2SHA1, sha1.Size)
	case strings.HasPrefix(s, "argon2$"):
		// Django's Argon2PasswordHasher: "argon2" + argon2-cffi's PHC string.
		f := strings.Split(s[len("argon2$"):], "$")
		if f[0] != "argon2id" && f[0] != "argon2i" {
			if f[0] == "argon2d" {
				return nil, fmt.Errorf("%w: argon2d", ErrUnsupportedHash)
			}
			return nil, malformed("django argon2 variant")
		}
		h, err := parseArgon2(f)
		if err != nil {
			return nil, err
		}
		h.imported = true
		return h, nil
	case strings.HasPrefix(s, "scrypt$"):
		return parseDjangoScrypt(s[len("scrypt$"):])
	case strings.HasPrefix(s, "bcrypt$"), strings.HasPrefix(s, "bcrypt_sha256$"):
		// Django's BCryptPasswordHasher and BCryptSHA256PasswordHasher: the algorithm
		// name, "$", then a complete bcrypt string.
		name, rest, _ := strings.Cut(s, "$")
		if !strings.HasPrefix(rest, "$2") {
			return nil, malformed("django bcrypt")
		}
		h, err := parseBcrypt(rest)
		if err != nil {
			return nil, err
		}
		h.imported = true
		if name == "bcrypt_sha256" {
			h.scheme = schemeDjangoBcryptSHA256
		}
		return h, nil
	case strings.HasPrefix(s, latchBcryptPrefix):
		return parseLatchBcrypt(s[len(latchBcryptPrefix):])
	case strings.HasPrefix(s, "$2"):
		return parseBcrypt(s)
	case !strings.HasPrefix(s, "$"):
		return nil, malformed("unknown format")
	}
	f := strings.Split(s[1:], "$")
	switch f[0] {
	case "argon2id", "argon2i":
		return parseArgon2(f)
	case "scrypt":
		return parseScrypt(f)
	case "pbkdf2-sha256":
		return parsePBKDF2(f, schemePBKDF2SHA256)
	case "pbkdf2-sha512":
		return parsePBKDF2(f, schemePBKDF2SHA512)
	case "argon2d", "bcrypt-sha256", "pbkdf2", "latch-bcrypt-sha256":
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedHash, f[0])
	}
	return nil, ErrUnsupportedHash
}

// parseUint parses a canonical decimal (no sign, no leading zero) no greater than max.
func parseUint(s string, max uint64) (uint64, bool) {
	if len(s) == 0 || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, n <= max
}

// parseParams parses "a=1,b=2" whose names are exactly names, in that order (PHC fixes the
// order per function, so any other order is not a hash we produced or were promised).
func parseParams(s string, names []string, max []uint64) ([]uint64, bool) {
	parts := strings.Split(s, ",")
	if len(parts) != len(names) {
		return nil, false
	}
	out := make([]uint64, len(names))
	for i, part := range parts {
		v, ok := strings.CutPrefix(part, names[i]+"=")
		if !ok {
			return nil, false
		}
		if out[i], ok = parseUint(v, max[i]); !ok {
			return nil, false
		}
	}
	return out, true
}

func decodeBounded(enc *base64.Encoding, s string, min, max int) ([]byte, bool) {
	// encoding/base64 skips CR and LF even in strict mode; a hash containing them is not
	// canonical (found by FuzzParseHash, see testdata/fuzz).
	if len(s) > enc.EncodedLen(max) || strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	b, err := enc.DecodeString(s)
	if err != nil || len(b) < min || len(b) > max {
		return nil, false
	}
	return b, true
}

func parseArgon2(f []string) (*parsedHash, error) {
	if len(f) != 5 {
		if len(f) == 4 && strings.HasPrefix(f[1], "m=") {
			// No "v=" means version 0x10, which x/crypto does not implement.
			return nil, fmt.Errorf("%w: argon2 version 0x10", ErrUnsupportedHash)
		}
		return nil, malformed("argon2 field count")
	}
	if f[1] != "v=19" {
		if strings.HasPrefix(f[1], "v=") {
			return nil, fmt.Errorf("%w: argon2 version", ErrUnsupportedHash)
		}
		return nil, malformed("argon2 version field")
	}
	v, ok := parseParams(f[2], []string{"m", "t", "p"}, []uint64{maxArgon2MemoryKiB, maxArgon2Time, maxArgon2Threads})
	if !ok || v[1] < 1 || v[2] < 1 || v[0] < 8*v[2] {
		// m < 8·p is invalid per RFC 9106 §3.1; x/crypto would silently raise it instead.
		return nil, malformed("argon2 parameters")
	}
	h := &parsedHash{scheme: schemeArgon2id, memory: uint32(v[0]), time: uint32(v[1]), threads: uint8(v[2])}
	if f[0] == "argon2i" {
		h.scheme = schemeArgon2i
	}
	if h.salt, ok = decodeBounded(phcB64, f[3], minSaltLen, maxSaltLen); !ok {
		return nil, malformed("argon2 salt")
	}
	if h.key, ok = decodeBounded(phcB64, f[4], minKeyLen, maxKeyLen); !ok {
		return nil, malformed("argon2 hash")
	}
	return h, nil
}

func parseScrypt(f []string) (*parsedHash, error) {
	if len(f) != 4 {
		return nil, malformed("scrypt field count")
	}
	v, ok := parseParams(f[1], []string{"ln", "r", "p"}, []uint64{maxScryptLogN, maxScryptR, maxScryptP})
	if !ok || v[0] < 1 || v[1] < 1 || v[2] < 1 || 128*v[1]<<v[0] > maxScryptMemory {
		return nil, malformed("scrypt parameters")
	}
	h := &parsedHash{scheme: schemeScrypt, logN: int(v[0]), r: int(v[1]), p: int(v[2])}
	if h.salt, ok = decodeBounded(phcB64, f[2], minSaltLen, maxSaltLen); !ok {
		return nil, malformed("scrypt salt")
	}
	if h.key, ok = decodeBounded(phcB64, f[3], minKeyLen, maxKeyLen); !ok {
		return nil, malformed("scrypt hash")
	}
	return h, nil
}

// parsePBKDF2 accepts the PHC form "i=N[,l=L]" with standard base64 (RustCrypto's pbkdf2
// crate) and passlib's form "N" with its adapted base64 ('.' for '+').
func parsePBKDF2(f []string, s scheme) (*parsedHash, error) {
	if len(f) != 4 {
		return nil, malformed("pbkdf2 field count")
	}
	h := &parsedHash{scheme: s}
	enc, saltStr, keyStr := phcB64, f[2], f[3]
	wantLen := uint64(0)
	if n, ok := parseUint(f[1], maxPBKDF2Iter); ok {
		// passlib
		if strings.ContainsAny(saltStr+keyStr, "+") {
			return nil, malformed("pbkdf2 passlib base64")
		}
		saltStr, keyStr = strings.ReplaceAll(saltStr, ".", "+"), strings.ReplaceAll(keyStr, ".", "+")
		h.iter = int(n)
	} else {
		v, ok := parseParams(f[1], []string{"i", "l"}, []uint64{maxPBKDF2Iter, maxKeyLen})
		if !ok {
			if v, ok = parseParams(f[1], []string{"i"}, []uint64{maxPBKDF2Iter}); !ok {
				return nil, malformed("pbkdf2 parameters")
			}
		}
		h.iter = int(v[0])
		if len(v) == 2 {
			wantLen = v[1]
		}
	}
	if h.iter < 1 {
		return nil, malformed("pbkdf2 iterations")
	}
	var ok bool
	if h.salt, ok = decodeBounded(enc, saltStr, minSaltLen, maxSaltLen); !ok {
		return nil, malformed("pbkdf2 salt")
	}
	if h.key, ok = decodeBounded(enc, keyStr, minKeyLen, maxKeyLen); !ok {
		return nil, malformed("pbkdf2 hash")
	}
	if wantLen != 0 && uint64(len(h.key)) != wantLen {
		return nil, malformed("pbkdf2 length")
	}
	return h, nil
}

// parseDjango parses what follows "pbkdf2_sha256$": iterations$salt$base64(key). Django uses
// the salt string's bytes as the salt, undecoded, and a key exactly one digest long.
func parseDjango(rest string, s scheme, size int) (*parsedHash, error) {
	f := strings.Split(rest, "$")
	if len(f) != 3 {
		return nil, malformed("django field count")
	}
	n, ok := parseUint(f[0], maxPBKDF2Iter)
	if !ok || n < 1 {
		return nil, malformed("django iterations")
	}
	if len(f[1]) == 0 || len(f[1]) > maxDjangoSaltLen {
		return nil, malformed("django salt")
	}
	h := &parsedHash{scheme: s, iter: int(n), salt: []byte(f[1])}
	if h.key, ok = decodeBounded(djangoB64, f[2], size, size); !ok {
		return nil, malformed("django hash")
	}
	return h, nil
}

// parseDjangoScrypt parses what follows Django's "scrypt$": N$salt$r$p$base64(key), where N
// is the work factor itself (a power of two), the salt is used as text, undecoded, and the key
// is padded standard base64 (64 bytes from Django).
func parseDjangoScrypt(rest string) (*parsedHash, error) {
	f := strings.Split(rest, "$")
	if len(f) != 5 {
		return nil, malformed("django scrypt field count")
	}
	n, ok := parseUint(f[0], 1<<maxScryptLogN)
	if !ok || n < 2 || n&(n-1) != 0 {
		return nil, malformed("django scrypt work factor")
	}
	r, okR := parseUint(f[2], maxScryptR)
	p, okP := parseUint(f[3], maxScryptP)
	if !okR || !okP || r < 1 || p < 1 || 128*r*n > maxScryptMemory {
		return nil, malformed("django scrypt parameters")
	}
	if len(f[1]) == 0 || len(f[1]) > maxDjangoSaltLen {
		return nil, malformed("django scrypt salt")
	}
	h := &parsedHash{scheme: schemeScrypt, logN: bits.TrailingZeros64(n), r: int(r), p: int(p), salt: []byte(f[1]), imported: true}
	if h.key, ok = decodeBounded(djangoB64, f[4], minKeyLen, maxKeyLen); !ok {
		return nil, malformed("django scrypt hash")
	}
	return h, nil
}

// parseBcrypt accepts exactly "$2a$", "$2b$" or "$2y$", a two-digit cost and 53 characters
// of bcrypt base64 (22 of salt, 31 of hash). "$2x$" (crypt_blowfish's buggy mode) and "$2$"
// are refused: x/crypto would verify them with different semantics than the producer.
func parseBcrypt(s string) (*parsedHash, error) {
	if len(s) < 4 || s[3] != '$' || (s[2] != 'a' && s[2] != 'b' && s[2] != 'y') {
		if len(s) >= 4 && s[3] == '$' {
			return nil, fmt.Errorf("%w: bcrypt variant", ErrUnsupportedHash)
		}
		return nil, malformed("bcrypt prefix")
	}
	if len(s) != 60 || s[6] != '$' {
		return nil, malformed("bcrypt length")
	}
	cost, ok := parseUint(strings.TrimPrefix(s[4:6], "0"), maxBcryptCost)
	if !ok || cost < uint64(bcrypt.MinCost) {
		return nil, malformed("bcrypt cost")
	}
	for i := 7; i < len(s); i++ {
		if strings.IndexByte(bcryptAlphabet, s[i]) < 0 {
			return nil, malformed("bcrypt alphabet")
		}
	}
	return &parsedHash{scheme: schemeBcrypt, cost: int(cost), bcrypt: []byte(s)}, nil
}

// parseLatchBcrypt parses what follows "$latch-bcrypt-sha256$v=1$": base64(hmacKey) followed
// by a complete "$2b$" bcrypt string.
func parseLatchBcrypt(rest string) (*parsedHash, error) {
	keyStr, bc, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, malformed("latch-bcrypt fields")
	}
	key, ok := decodeBounded(phcB64, keyStr, 16, 16)
	if !ok {
		return nil, malformed("latch-bcrypt key")
	}
	h, err := parseBcrypt("$" + bc)
	if err != nil || bc[1] != 'b' {
		return nil, malformed("latch-bcrypt inner hash")
	}
	h.scheme, h.salt = schemeLatchBcrypt, key
	return h, nil
}

// bcryptPrehash is what latch-bcrypt-sha256 feeds to bcrypt: base64(HMAC-SHA256(key, pw)),
// 44 bytes, so bcrypt never sees more than 72 and every byte of pw counts. Keying the HMAC
// with a per-hash random key (as passlib's bcrypt_sha256 v2 does with the salt) means a
// leaked unsalted SHA-256 of the password elsewhere cannot be "shucked" against this hash.
func bcryptPrehash(key []byte, pw string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(pw))
	sum := m.Sum(nil)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(out, sum)
	return out
}

// matches reports whether pw is the password h was made from. All comparisons of derived
// keys are constant-time.
func (h *parsedHash) matches(pw string) bool {
	var got []byte
	switch h.scheme {
	case schemeArgon2id:
		got = argon2.IDKey([]byte(pw), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	case schemeArgon2i:
		got = argon2.Key([]byte(pw), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	case schemeScrypt:
		k, err := scrypt.Key([]byte(pw), h.salt, 1<<h.logN, h.r, h.p, len(h.key))
		if err != nil {
			return false
		}
		got = k
	case schemePBKDF2SHA256, schemeDjangoPBKDF2SHA256:
		got = pbkdf2Key(sha256.New, pw, h)
	case schemePBKDF2SHA512:
		got = pbkdf2Key(sha512.New, pw, h)
	case schemeDjangoPBKDF2SHA1:
		got = pbkdf2Key(sha1.New, pw, h)
	case schemeBcrypt:
		if len(pw) > bcryptMaxInput {
			// Refuse rather than truncate: the producer may have hashed only the first 72
			// bytes, and accepting any password with that prefix is the Okta 2024 bug.
			return false
		}
		return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(pw)) == nil
	case schemeLatchBcrypt:
		return bcrypt.CompareHashAndPassword(h.bcrypt, bcryptPrehash(h.salt, pw)) == nil
	case schemeDjangoBcryptSHA256:
		sum := sha256.Sum256([]byte(pw))
		return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(hex.EncodeToString(sum[:]))) == nil
	default:
		return false
	}
	return got != nil && subtle.ConstantTimeCompare(got, h.key) == 1
}

func pbkdf2Key(f func() hash.Hash, pw string, h *parsedHash) []byte {
	k, err := pbkdf2.Key(f, pw, h.salt, h.iter, len(h.key))
	if err != nil {
		return nil
	}
	return k
}

func encodeArgon2id(p Argon2Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.MemoryKiB, p.Iterations, p.Parallelism, phcB64.EncodeToString(salt), phcB64.EncodeToString(key))
}

// CheckHash reports whether Verify can use encoded: nil for every format listed in the package
// documentation, ErrMalformedHash or ErrUnsupportedHash (wrapped) otherwise. It does no
// hashing, so it is cheap enough to vet every row of an import before storing it.
func CheckHash(encoded string) error {
	_, err := parseHash(encoded)
	return err
}
