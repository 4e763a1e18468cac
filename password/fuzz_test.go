package password

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseHash: parsing an untrusted encoded hash never panics, fails with one of the two
// documented errors, and never accepts parameters outside the DoS bounds. Accepted PHC
// strings are canonical: re-encoding the parsed value gives back the input.
func FuzzParseHash(f *testing.F) {
	for _, enc := range importedVectors(f, "fuzz seed") {
		f.Add(enc)
	}
	h := mustHasher(f, fastConfig)
	f.Add(mustHash(f, h, "fuzz seed"))
	cfg := fastConfig
	cfg.Algorithm = Bcrypt
	f.Add(mustHash(f, mustHasher(f, cfg), "fuzz seed"))
	for _, s := range []string{
		"", "$", "$$$$$", "$argon2id$v=19$m=,t=,p=$$", "$argon2id$v=19$m=4294967295,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$scrypt$ln=64,r=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "pbkdf2_sha256$$$", "$2a$99$" + strings.Repeat(".", 53),
		"$latch-bcrypt-sha256$v=1$$2b$04$", "$pbkdf2-sha256$i=1,l=0$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parseHash(s)
		if err != nil {
			if p != nil || !(errors.Is(err, ErrMalformedHash) || errors.Is(err, ErrUnsupportedHash)) {
				t.Fatalf("parseHash(%q) = %v, %v", s, p, err)
			}
			return
		}
		if len(s) > MaxEncodedLength {
			t.Fatalf("accepted %d bytes", len(s))
		}
		b64 := base64.RawStdEncoding.EncodeToString
		switch p.scheme {
		case schemeArgon2id, schemeArgon2i:
			if p.memory > maxArgon2MemoryKiB || p.time < 1 || p.time > maxArgon2Time || p.threads < 1 ||
				p.threads > maxArgon2Threads || p.memory < 8*uint32(p.threads) {
				t.Fatalf("argon2 out of bounds: %+v", p)
			}
			id := map[scheme]string{schemeArgon2id: "argon2id", schemeArgon2i: "argon2i"}[p.scheme]
			re := fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", id, p.memory, p.time, p.threads, b64(p.salt), b64(p.key))
			if p.imported {
				re = "argon2" + re // Django
			}
			if re != s {
				t.Fatalf("not canonical: %q re-encodes as %q", s, re)
			}
		case schemeScrypt:
			if p.logN < 1 || p.logN > maxScryptLogN || p.r > maxScryptR || p.p > maxScryptP || 128*p.r<<p.logN > maxScryptMemory {
				t.Fatalf("scrypt out of bounds: %+v", p)
			}
			re := fmt.Sprintf("$scrypt$ln=%d,r=%d,p=%d$%s$%s", p.logN, p.r, p.p, b64(p.salt), b64(p.key))
			if p.imported { // Django
				re = fmt.Sprintf("scrypt$%d$%s$%d$%d$%s", 1<<p.logN, p.salt, p.r, p.p, base64.StdEncoding.EncodeToString(p.key))
			}
			if re != s {
				t.Fatalf("not canonical: %q re-encodes as %q", s, re)
			}
		case schemePBKDF2SHA256, schemePBKDF2SHA512, schemeDjangoPBKDF2SHA256, schemeDjangoPBKDF2SHA1:
			if p.iter < 1 || p.iter > maxPBKDF2Iter || len(p.key) > maxKeyLen {
				t.Fatalf("pbkdf2 out of bounds: %+v", p)
			}
		case schemeBcrypt, schemeLatchBcrypt, schemeDjangoBcryptSHA256:
			if p.cost < 4 || p.cost > maxBcryptCost || len(p.bcrypt) != 60 {
				t.Fatalf("bcrypt out of bounds: %+v", p)
			}
		default:
			t.Fatalf("unknown scheme %d", p.scheme)
		}
		if len(p.salt) > maxDjangoSaltLen {
			t.Fatalf("salt of %d bytes", len(p.salt))
		}
	})
}

// FuzzPolicyCheck: the normaliser never panics, Check never panics, answers only nil or a
// *PolicyError with a known code (there is no HIBP here), and answers the same twice.
func FuzzPolicyCheck(f *testing.F) {
	for _, s := range []string{
		"", "password", "cafe\u0301 au lait", "ｐａｓｓｗｏｒｄ１２３", strings.Repeat("🦊", 257), "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8",
		"\ufdfa\ufdfa\ufdfa\ufdfa\ufdfa\ufdfa\ufdfa\ufdfa", strings.Repeat("a", MaxInputBytes+1), "x\u0301x\u0301x\u0301x\u0301",
	} {
		f.Add(s, "Jane Doe")
	}
	known := map[string]bool{CodeTooShort: true, CodeTooLong: true, CodeCommon: true, CodeContainsContext: true}
	f.Fuzz(func(t *testing.T, pw, word string) {
		n := normalize(pw)
		if utf8.ValidString(pw) && !utf8.ValidString(n) {
			t.Fatalf("NFKC of valid %q is invalid", pw)
		}
		p := &Policy{}
		e1, e2 := p.Check(context.Background(), pw, word), p.Check(context.Background(), pw, word)
		if fmt.Sprint(e1) != fmt.Sprint(e2) {
			t.Fatalf("not deterministic: %v then %v", e1, e2)
		}
		if e1 == nil {
			if c := utf8.RuneCountInString(n); len(pw) > MaxInputBytes || c < DefaultMinLength || c > DefaultMaxLength {
				t.Fatalf("accepted %q (%d code points)", pw, c)
			}
			return
		}
		var pe *PolicyError
		if !errors.As(e1, &pe) || !known[pe.Code] || pe.Message == "" {
			t.Fatalf("Check(%q) = %#v", pw, e1)
		}
	})
}
