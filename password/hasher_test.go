package password

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// fastConfig is far below any production setting; it keeps tests that hash many times quick.
var fastConfig = Config{Argon2: Argon2Params{MemoryKiB: 64, Iterations: 1}, BcryptCost: 4, InsecureWeakParameters: true}

func mustHasher(t testing.TB, cfg Config) *Hasher {
	t.Helper()
	h, err := NewHasher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustHash(t testing.TB, h *Hasher, pw string) string {
	t.Helper()
	enc, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// verify returns ok and needsRehash, failing the test on any error other than ErrMismatch.
func verify(t testing.TB, h *Hasher, pw, enc string) (bool, bool) {
	t.Helper()
	ok, rehash, err := h.Verify(context.Background(), pw, enc)
	if err != nil && !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify: %v", err)
	}
	if ok != (err == nil) {
		t.Fatalf("Verify: ok=%v with err=%v", ok, err)
	}
	return ok, rehash
}

var salt16 = []byte("0123456789abcdef")

func pbkdf2Hex(t testing.TB, f func() hash.Hash, pw string, salt []byte, iter, n int) []byte {
	k, err := pbkdf2.Key(f, pw, salt, iter, n)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// importedVectors hashes pw in every imported format with the libraries that define them
// (x/crypto for bcrypt, Argon2 and scrypt; the standard library for PBKDF2), encoded the way
// the respective producers encode them.
func importedVectors(t testing.TB, pw string) map[string]string {
	t.Helper()
	b64 := base64.RawStdEncoding.EncodeToString
	ab64 := func(b []byte) string { return strings.ReplaceAll(b64(b), "+", ".") }
	v := map[string]string{
		"argon2i": fmt.Sprintf("$argon2i$v=19$m=256,t=3,p=2$%s$%s", b64(salt16),
			b64(argon2.Key([]byte(pw), salt16, 3, 256, 2, 32))),
		"argon2id-other-params": fmt.Sprintf("$argon2id$v=19$m=128,t=1,p=1$%s$%s", b64(salt16[:8]),
			b64(argon2.IDKey([]byte(pw), salt16[:8], 1, 128, 1, 16))),
		"pbkdf2-sha256-phc": fmt.Sprintf("$pbkdf2-sha256$i=1000,l=32$%s$%s", b64(salt16),
			b64(pbkdf2Hex(t, sha256.New, pw, salt16, 1000, 32))),
		"pbkdf2-sha512-phc": fmt.Sprintf("$pbkdf2-sha512$i=1000$%s$%s", b64(salt16),
			b64(pbkdf2Hex(t, sha512.New, pw, salt16, 1000, 64))),
		"pbkdf2-sha256-passlib": fmt.Sprintf("$pbkdf2-sha256$1000$%s$%s", ab64(salt16),
			ab64(pbkdf2Hex(t, sha256.New, pw, salt16, 1000, 32))),
		"django-pbkdf2_sha256": "pbkdf2_sha256$1000$seasalt$" +
			base64.StdEncoding.EncodeToString(pbkdf2Hex(t, sha256.New, pw, []byte("seasalt"), 1000, 32)),
		"django-pbkdf2_sha1": "pbkdf2_sha1$1000$seasalt$" +
			base64.StdEncoding.EncodeToString(pbkdf2Hex(t, sha1.New, pw, []byte("seasalt"), 1000, 20)),
	}
	sk, err := scrypt.Key([]byte(pw), salt16, 1<<10, 8, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	v["scrypt"] = fmt.Sprintf("$scrypt$ln=10,r=8,p=1$%s$%s", b64(salt16), b64(sk))
	dk, err := scrypt.Key([]byte(pw), []byte("seasalt"), 1<<10, 8, 2, 64)
	if err != nil {
		t.Fatal(err)
	}
	v["django-scrypt"] = "scrypt$1024$seasalt$8$2$" + base64.StdEncoding.EncodeToString(dk)
	v["django-argon2id"] = fmt.Sprintf("argon2$argon2id$v=19$m=256,t=2,p=2$%s$%s", b64([]byte("djangosalt12")),
		b64(argon2.IDKey([]byte(pw), []byte("djangosalt12"), 2, 256, 2, 16)))
	if len(pw) <= 72 {
		bc, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, minor := range "aby" {
			bc[2] = byte(minor)
			v["bcrypt-2"+string(minor)] = string(bc)
		}
	}
	return v
}

func TestImportedHashesVerify(t *testing.T) {
	// Production parameters: verification cost is set by each hash, and the argon2id
	// vectors must count as weaker than the configuration.
	h := mustHasher(t, Config{})
	const pw = "correct horse battery staple"
	for name, enc := range importedVectors(t, pw) {
		t.Run("generated/"+name, func(t *testing.T) {
			if err := CheckHash(enc); err != nil {
				t.Errorf("CheckHash: %v", err)
			}
			if ok, rehash := verify(t, h, pw, enc); !ok || !rehash {
				t.Errorf("right password: ok=%v rehash=%v, want true true", ok, rehash)
			}
			if ok, _ := verify(t, h, pw+".", enc); ok {
				t.Error("wrong password verified")
			}
		})
	}

	// Published vectors, each verified against its documented password.
	known := []struct{ name, pw, enc string }{
		// x/crypto bcrypt_test.go TestBcryptingIsCorrect.
		{"bcrypt x/crypto", "allmine", "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"},
		// phc-winner-argon2 README: echo -n password | argon2 somesalt -t 2 -m 16 -p 4 -l 24.
		{"argon2i reference README", "password", "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"},
		// A published argon2id PHC string (jtheo/argon2 README example).
		{"argon2id PHC example", "mySuperPass", "$argon2id$v=19$m=3906,t=4,p=1$ejcSAnKlTR6fhI0SRV7cUw$6EvE9S1qgsA8PoS96uZzuBGZZWCaeK91CHdHHYzn/mA"},
		// libscrypt-based pwhash_crypt test (PHC scrypt, N=2^16).
		{"scrypt PHC", "password", "$scrypt$ln=16,r=8,p=1$MTIzNDU2Nzg$NuB+vs2zc0fb2UzIRwwAV6ZWb3St8+X9IedYI1gQsoo"},
		// RustCrypto pbkdf2 PHC test (RFC 6070-style inputs, 40-byte output).
		{"pbkdf2-sha256 PHC", "passwordPASSWORDpassword", "$pbkdf2-sha256$i=4096,l=40$c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q"},
		// Django tests/auth_tests/test_hashers.py test_pbkdf2 (Django 1.5, 10000 iterations).
		{"django pbkdf2_sha256", "lètmein", "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY="},
		// Django tests/auth_tests/test_hashers.py: test_scrypt, test_argon2 (argon2i with a
		// version field) and test_argon2_version_upgrade (argon2id).
		{"django scrypt", "lètmein", "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="},
		{"django argon2i", "secret", "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q"},
		{"django argon2id", "secret", "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw"},
		// passlib django_bcrypt and django_bcrypt_sha256 known_correct_hashes; the second
		// pair differ only after byte 72, which the SHA-256 pre-hash keeps.
		{"django bcrypt", "abcdefghijklmnopqrstuvwxyz", "bcrypt$$2a$10$fVH8e28OQRj9tqiDXs1e1uxpsjN0c7II7YPKXua2NAKYvM6iQk7dq"},
		{"django bcrypt_sha256", strings.Repeat("abc123", 12), "bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61OySmyXA8FoY4PjGizjE1QSDfuL5MXNni"},
		{"django bcrypt_sha256 past 72", strings.Repeat("abc123", 12) + "qwr", "bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61Ocy0BEz1RK6xslSNi8PlaLX2pe7x/KQG"},
		// passlib django_pbkdf2_sha1 known_correct_hashes.
		{"django pbkdf2_sha1", "not a password", "pbkdf2_sha1$10000$wz5B6WkasRoF$atJmJ1o+XfJxKq1+Nu1f1i57Z5I="},
	}
	for _, k := range known {
		t.Run("known/"+k.name, func(t *testing.T) {
			if ok, rehash := verify(t, h, k.pw, k.enc); !ok || !rehash {
				t.Errorf("documented password: ok=%v rehash=%v, want true true", ok, rehash)
			}
			if ok, _ := verify(t, h, strings.ToUpper(k.pw), k.enc); ok {
				t.Error("wrong password verified")
			}
		})
	}
}

func TestUnsupportedAndMalformedHashes(t *testing.T) {
	h := mustHasher(t, fastConfig)
	djangoKey64 := base64.StdEncoding.EncodeToString(make([]byte, 64))
	salt, key := base64.RawStdEncoding.EncodeToString(salt16), base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	for _, c := range []struct {
		enc  string
		want error
	}{
		{"", ErrMalformedHash},
		{"plaintext", ErrMalformedHash},
		{"$argon2d$v=19$m=256,t=1,p=1$" + salt + "$" + key, ErrUnsupportedHash},
		{"$argon2id$m=256,t=1,p=1$" + salt + "$" + key, ErrUnsupportedHash},          // version 0x10
		{"$argon2id$v=16$m=256,t=1,p=1$" + salt + "$" + key, ErrUnsupportedHash},     // version 0x10
		{"$argon2id$v=19$m=2097152,t=1,p=1$" + salt + "$" + key, ErrMalformedHash},   // m > 1 GiB
		{"$argon2id$v=19$m=256,t=101,p=1$" + salt + "$" + key, ErrMalformedHash},     // t > 100
		{"$argon2id$v=19$m=4096,t=1,p=65$" + salt + "$" + key, ErrMalformedHash},     // p > 64
		{"$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key, ErrMalformedHash},         // m < 8p
		{"$argon2id$v=19$t=1,m=256,p=1$" + salt + "$" + key, ErrMalformedHash},       // order
		{"$argon2id$v=19$m=0256,t=1,p=1$" + salt + "$" + key, ErrMalformedHash},      // leading zero
		{"$argon2id$v=19$m=256,t=1,p=1$" + salt + "=$" + key, ErrMalformedHash},      // padding
		{"$argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + key + "$", ErrMalformedHash}, // extra field
		{"$argon2id$v=19$m=256,t=1,p=1$c2FsdA$" + key, ErrMalformedHash},             // salt < 8 bytes
		{"$scrypt$ln=21,r=8,p=1$" + salt + "$" + key, ErrMalformedHash},              // N > 2^20
		{"$scrypt$ln=20,r=16,p=1$" + salt + "$" + key, ErrMalformedHash},             // 2 GiB
		{"$pbkdf2-sha256$i=10000001$" + salt + "$" + key, ErrMalformedHash},
		{"$pbkdf2-sha256$i=1000,l=31$" + salt + "$" + key, ErrMalformedHash}, // l ≠ key length
		{"pbkdf2_sha256$1000$salt$AAAA", ErrMalformedHash},                   // key not 32 bytes
		{"$2x$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga", ErrUnsupportedHash},
		{"$2a$17$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga", ErrMalformedHash}, // cost > 16
		{"$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcg", ErrMalformedHash},  // short
		{"$md5$whatever", ErrUnsupportedHash},
		// Django's forms.
		{"argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg", ErrUnsupportedHash}, // version 0x10
		{"argon2$argon2d$v=19$m=256,t=1,p=1$" + salt + "$" + key, ErrUnsupportedHash},
		{"argon2$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key, ErrMalformedHash}, // m < 8p
		{"argon2$bcrypt$x", ErrMalformedHash},
		{"scrypt$16385$seasalt$8$1$" + djangoKey64, ErrMalformedHash},    // N not a power of two
		{"scrypt$2097152$seasalt$8$1$" + djangoKey64, ErrMalformedHash},  // N > 2^20
		{"scrypt$1048576$seasalt$16$1$" + djangoKey64, ErrMalformedHash}, // 2 GiB
		{"scrypt$16384$seasalt$8$0$" + djangoKey64, ErrMalformedHash},
		{"scrypt$16384$$8$1$" + djangoKey64, ErrMalformedHash},
		{"scrypt$16384$seasalt$8$1$" + djangoKey64 + "$", ErrMalformedHash},
		{"scrypt$16384$seasalt$8$1$" + strings.TrimRight(djangoKey64, "="), ErrMalformedHash}, // unpadded
		{"bcrypt_sha256$xyz$2a$06$/3OeRpbOf8/l6nPPRdZPp.nRiyYqPobEZGdNRBWihQhiFDh1ws1tu", ErrMalformedHash},
		{"bcrypt$$2x$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga", ErrUnsupportedHash},
		{"$argon2id$v=19$m=256,t=1,p=1$" + strings.Repeat("A", 600), ErrMalformedHash},
	} {
		_, _, err := h.Verify(context.Background(), "pw", c.enc)
		if !errors.Is(err, c.want) {
			t.Errorf("Verify(%.60q) = %v, want %v", c.enc, err, c.want)
		}
		if err := CheckHash(c.enc); !errors.Is(err, c.want) {
			t.Errorf("CheckHash(%.60q) = %v, want %v", c.enc, err, c.want)
		}
	}
}

// TestNoTruncationAt72Bytes: two passwords sharing a 72-byte prefix never verify against
// each other's hash, in any scheme (SECURITY.md A3, row 16; Okta 2024).
func TestNoTruncationAt72Bytes(t *testing.T) {
	p := strings.Repeat("0123456789abcdef", 5)[:73] // 73 bytes
	q := p[:72] + "X"
	r := p + "x"
	for _, alg := range []Algorithm{Argon2id, Bcrypt} {
		cfg := fastConfig
		cfg.Algorithm = alg
		h := mustHasher(t, cfg)
		enc := mustHash(t, h, p)
		if ok, _ := verify(t, h, p, enc); !ok {
			t.Fatalf("%s: own password did not verify", alg)
		}
		for _, other := range []string{q, r, p[:72]} {
			if ok, _ := verify(t, h, other, enc); ok {
				t.Errorf("%s: %d-byte password sharing the 72-byte prefix verified", alg, len(other))
			}
		}
	}

	h := mustHasher(t, fastConfig)
	for name, enc := range importedVectors(t, p) {
		if ok, _ := verify(t, h, p, enc); !ok {
			t.Errorf("%s: own password did not verify", name)
		}
		for _, other := range []string{q, r} {
			if ok, _ := verify(t, h, other, enc); ok {
				t.Errorf("%s: password sharing the 72-byte prefix verified", name)
			}
		}
	}

	// Plain bcrypt only ever saw 72 bytes. A hash of the 72-byte prefix (what a truncating
	// producer stored for p) must verify the prefix and nothing longer.
	bc, err := bcrypt.GenerateFromPassword([]byte(p[:72]), 4)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := verify(t, h, p[:72], string(bc)); !ok {
		t.Error("bcrypt: 72-byte password did not verify")
	}
	for _, other := range []string{p, q, r} {
		if ok, _ := verify(t, h, other, string(bc)); ok {
			t.Errorf("bcrypt: %d-byte password verified against the hash of its 72-byte prefix", len(other))
		}
	}
}

func TestSamePasswordDifferentHashes(t *testing.T) {
	h := mustHasher(t, Config{}) // the defaults, as in production
	a, b := mustHash(t, h, "same password twice"), mustHash(t, h, "same password twice")
	if a == b {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	for _, enc := range []string{a, b} {
		if !phc.MatchString(enc) {
			t.Errorf("hash %q is not the documented default PHC form", enc)
		}
		if ok, rehash := verify(t, h, "same password twice", enc); !ok || rehash {
			t.Errorf("ok=%v rehash=%v, want true false", ok, rehash)
		}
	}

	cfg := fastConfig
	cfg.Algorithm = Bcrypt
	hb := mustHasher(t, cfg)
	a, b = mustHash(t, hb, "same password twice"), mustHash(t, hb, "same password twice")
	if a == b {
		t.Fatal("bcrypt: two hashes of one password are equal")
	}
	if !regexp.MustCompile(`^\$latch-bcrypt-sha256\$v=1\$[A-Za-z0-9+/]{22}\$2b\$04\$[./A-Za-z0-9]{53}$`).MatchString(a) {
		t.Errorf("bcrypt hash %q is not the documented form", a)
	}
}

func TestRehashWhenParamsChange(t *testing.T) {
	const pw = "a perfectly fine password"
	weak := mustHasher(t, fastConfig)
	encWeak := mustHash(t, weak, pw)

	strongerCfg := fastConfig
	strongerCfg.Argon2.MemoryKiB *= 2
	stronger := mustHasher(t, strongerCfg)
	if ok, rehash := verify(t, stronger, pw, encWeak); !ok || !rehash {
		t.Errorf("memory raised: ok=%v rehash=%v, want true true", ok, rehash)
	}
	encStrong := mustHash(t, stronger, pw)
	if ok, rehash := verify(t, stronger, pw, encStrong); !ok || rehash {
		t.Errorf("after rehash: ok=%v rehash=%v, want true false", ok, rehash)
	}
	if ok, rehash := verify(t, weak, pw, encStrong); !ok || rehash {
		t.Errorf("stronger than configured: ok=%v rehash=%v, want true false", ok, rehash)
	}

	for name, change := range map[string]func(*Config){
		"iterations":  func(c *Config) { c.Argon2.Iterations = 2 },
		"parallelism": func(c *Config) { c.Argon2.Parallelism = 2 },
		"key length":  func(c *Config) { c.Argon2.KeyLength = 64 },
		"salt length": func(c *Config) { c.Argon2.SaltLength = 32 },
		"to bcrypt":   func(c *Config) { c.Algorithm = Bcrypt },
	} {
		cfg := fastConfig
		change(&cfg)
		if ok, rehash := verify(t, mustHasher(t, cfg), pw, encWeak); !ok || !rehash {
			t.Errorf("%s changed: ok=%v rehash=%v, want true true", name, ok, rehash)
		}
	}

	bcCfg := fastConfig
	bcCfg.Algorithm = Bcrypt
	bc4 := mustHasher(t, bcCfg)
	encBc4 := mustHash(t, bc4, pw)
	if _, rehash := verify(t, bc4, pw, encBc4); rehash {
		t.Error("bcrypt, same cost: rehash requested")
	}
	bcCfg.BcryptCost = 5
	if _, rehash := verify(t, mustHasher(t, bcCfg), pw, encBc4); !rehash {
		t.Error("bcrypt cost raised: no rehash requested")
	}
	if _, rehash := verify(t, bc4, pw, encWeak); !rehash {
		t.Error("argon2id hash under a bcrypt config: no rehash requested")
	}
	if ok, _ := verify(t, weak, pw, encBc4); !ok {
		t.Error("latch-bcrypt hash does not verify under an argon2id config")
	}
}

func TestNFKCComposedAndDecomposedVerify(t *testing.T) {
	composed, decomposed := "caf\u00e9 au lait, s'il vous pla\u00eet", "cafe\u0301 au lait, s'il vous plai\u0302t"
	for _, alg := range []Algorithm{Argon2id, Bcrypt} {
		cfg := fastConfig
		cfg.Algorithm = alg
		h := mustHasher(t, cfg)
		for _, set := range []string{composed, decomposed} {
			enc := mustHash(t, h, set)
			for _, try := range []string{composed, decomposed} {
				if ok, rehash := verify(t, h, try, enc); !ok || rehash {
					t.Errorf("%s: set %+q, verify %+q: ok=%v rehash=%v", alg, set, try, ok, rehash)
				}
			}
		}
		// Compatibility forms fold too (fullwidth letters), but case does not.
		enc := mustHash(t, h, "ｐａｓｓｗｏｒｄ ｗｉｔｈ ｗｉｄｔｈ")
		if ok, _ := verify(t, h, "password with width", enc); !ok {
			t.Errorf("%s: fullwidth and ASCII forms differ", alg)
		}
		if ok, _ := verify(t, h, "Password with width", enc); ok {
			t.Errorf("%s: case was folded", alg)
		}
	}

	// An imported hash of the raw decomposed form (its producer did not normalise) still
	// verifies, and asks for a rehash, which stores the normalised form.
	h := mustHasher(t, fastConfig)
	enc := importedVectors(t, decomposed)["pbkdf2-sha256-phc"]
	if ok, rehash := verify(t, h, decomposed, enc); !ok || !rehash {
		t.Errorf("raw imported hash: ok=%v rehash=%v, want true true", ok, rehash)
	}
}

func TestHardCapRejected(t *testing.T) {
	h := mustHasher(t, fastConfig)
	enc := mustHash(t, h, "short and fine")
	over := strings.Repeat("a", MaxInputBytes+1)
	if _, err := h.Hash(context.Background(), over); !errors.Is(err, ErrTooLong) {
		t.Errorf("Hash: %v, want ErrTooLong", err)
	}
	if ok, _, err := h.Verify(context.Background(), over, enc); ok || !errors.Is(err, ErrTooLong) {
		t.Errorf("Verify: %v, want ErrTooLong", err)
	}
	// The cap is checked before the hash is even parsed.
	if _, _, err := h.Verify(context.Background(), over, "garbage"); !errors.Is(err, ErrTooLong) {
		t.Errorf("Verify with a bad hash: %v, want ErrTooLong first", err)
	}
	if err := h.DummyVerify(context.Background(), over); !errors.Is(err, ErrTooLong) {
		t.Errorf("DummyVerify: %v, want ErrTooLong", err)
	}
	// Exactly at the cap is accepted by the hasher (the policy's 256-character limit is
	// separate).
	atCap := strings.Repeat("é", MaxInputBytes/2)
	if ok, _ := verify(t, h, atCap, mustHash(t, h, atCap)); !ok {
		t.Error("4096-byte password did not round-trip")
	}

	var pe *PolicyError
	err := (&Policy{}).Check(context.Background(), over)
	if !errors.As(err, &pe) || pe.Code != CodeTooLong || !strings.Contains(pe.Message, "256") {
		t.Errorf("Policy.Check: %v, want %s with a message naming the limit", err, CodeTooLong)
	}
}

func TestEmptyPasswordNotHashed(t *testing.T) {
	h := mustHasher(t, fastConfig)
	if _, err := h.Hash(context.Background(), ""); !errors.Is(err, ErrEmpty) {
		t.Errorf("Hash(\"\"): %v, want ErrEmpty", err)
	}
	// Verifying an empty password still does the full work and fails.
	if _, _, err := h.Verify(context.Background(), "", mustHash(t, h, "x")); !errors.Is(err, ErrMismatch) {
		t.Errorf("Verify(\"\"): %v, want ErrMismatch", err)
	}
}

func TestDummyVerifyUsesCurrentParams(t *testing.T) {
	for _, alg := range []Algorithm{Argon2id, Bcrypt} {
		cfg := fastConfig
		cfg.Algorithm = alg
		h := mustHasher(t, cfg)
		if err := h.DummyVerify(context.Background(), ""); err != nil {
			t.Errorf("%s: DummyVerify: %v", alg, err)
		}
		real, err := parseHash(mustHash(t, h, "x"))
		if err != nil {
			t.Fatal(err)
		}
		d := h.dummy
		if d.scheme != real.scheme || d.memory != real.memory || d.time != real.time || d.threads != real.threads ||
			d.cost != real.cost || len(d.salt) != len(real.salt) || len(d.key) != len(real.key) {
			t.Errorf("%s: dummy hash %+v does not have the parameters of a real one %+v", alg, d, real)
		}
	}
}

func TestUnknownAccountPathCallsHasher(t *testing.T) {
	// DummyVerify takes a slot like a real verification: with the only slot held it waits.
	h := mustHasher(t, Config{MaxConcurrent: 1, Argon2: fastConfig.Argon2, InsecureWeakParameters: true})
	h.sem <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := h.DummyVerify(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DummyVerify with no free slot: %v, want DeadlineExceeded", err)
	}
	<-h.sem
}

// gateReader is a Rand that, once armed, blocks every Read until released, and records how
// many Reads are in progress at once. Hash reads its salt inside its concurrency slot, so
// a blocked Read holds the slot.
type gateReader struct {
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
	delay   time.Duration
	cur     atomic.Int32
	peak    atomic.Int32
}

func (g *gateReader) Read(p []byte) (int, error) {
	if g.armed.Load() {
		n := g.cur.Add(1)
		for {
			if old := g.peak.Load(); n <= old || g.peak.CompareAndSwap(old, n) {
				break
			}
		}
		if g.entered != nil {
			select {
			case g.entered <- struct{}{}:
			default:
			}
		}
		if g.release != nil {
			<-g.release
		}
		time.Sleep(g.delay)
		g.cur.Add(-1)
	}
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}

func TestConcurrencyBounded(t *testing.T) {
	t.Run("limit 1: a blocked hash holds everyone else", func(t *testing.T) {
		g := &gateReader{entered: make(chan struct{}, 1), release: make(chan struct{})}
		cfg := fastConfig
		cfg.MaxConcurrent, cfg.Rand = 1, g
		h := mustHasher(t, cfg)
		enc := mustHash(t, h, "password one") // before arming: not blocked
		g.armed.Store(true)

		done := make(chan error, 1)
		go func() { _, err := h.Hash(context.Background(), "password two"); done <- err }()
		<-g.entered // the first Hash holds the only slot

		for name, op := range map[string]func(context.Context) error{
			"Verify":      func(ctx context.Context) error { _, _, err := h.Verify(ctx, "password one", enc); return err },
			"DummyVerify": func(ctx context.Context) error { return h.DummyVerify(ctx, "x") },
			"Hash":        func(ctx context.Context) error { _, err := h.Hash(ctx, "password three"); return err },
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			res := make(chan error, 1)
			go func() { res <- op(ctx) }()
			select {
			case err := <-res:
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s while the slot is held: %v, want DeadlineExceeded", name, err)
				}
			case <-time.After(5 * time.Second):
				// It got past the semaphore and is stuck in the gate: no bound.
				t.Errorf("%s ran while the only slot was held", name)
			}
			cancel()
		}
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := h.Verify(cancelled, "password one", enc); !errors.Is(err, context.Canceled) {
			t.Errorf("Verify with a cancelled context: %v", err)
		}

		g.armed.Store(false)
		close(g.release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if ok, _ := verify(t, h, "password one", enc); !ok {
			t.Error("Verify after the slot was released failed")
		}
		// A cancelled context never takes a slot, even a free one.
		if _, _, err := h.Verify(cancelled, "password one", enc); !errors.Is(err, context.Canceled) {
			t.Errorf("Verify with a cancelled context and a free slot: %v", err)
		}
	})

	t.Run("limit 2: never more than 2 at once", func(t *testing.T) {
		g := &gateReader{delay: 10 * time.Millisecond}
		cfg := fastConfig
		cfg.MaxConcurrent, cfg.Rand = 2, g
		h := mustHasher(t, cfg)
		g.armed.Store(true)
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				if _, err := h.Hash(context.Background(), "parallel password"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if p := g.peak.Load(); p != 2 {
			t.Errorf("peak concurrent hashes = %d, want 2", p)
		}
	})
}

func TestNewHasherRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"below OWASP floor": {Argon2: Argon2Params{MemoryKiB: 1024, Iterations: 1}},
		"bcrypt cost 9":     {Algorithm: Bcrypt, BcryptCost: 9},
		"bcrypt cost 17":    {Algorithm: Bcrypt, BcryptCost: 17},
		"short salt":        {Argon2: Argon2Params{SaltLength: 8}},
		"huge memory":       {Argon2: Argon2Params{MemoryKiB: 1<<20 + 1}},
		"unknown algorithm": {Algorithm: "md5"},
	} {
		if _, err := NewHasher(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
