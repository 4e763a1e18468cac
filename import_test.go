package latch_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest/stores"
	"github.com/latchauth/latch/storage"
	"golang.org/x/crypto/bcrypt"
)

// Users migrated from another system sign in with their old password, and
// the imported hash is replaced by a native one at that first sign-in.
func TestImportedPasswordHashSignsInAndIsRehashed(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), 4)
	if err != nil {
		t.Fatal(err)
	}
	rows := []struct{ email, pw, hash string }{
		{"bcrypt@example.com", "correct horse battery staple", string(bc)},
		// Django's own test vectors (tests/auth_tests/test_hashers.py).
		{"scrypt@example.com", "lètmein", "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw=="},
		{"argon2@example.com", "secret", "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw"},
		{"pbkdf2@example.com", "lètmein", "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY="},
		// passlib's django_bcrypt_sha256 vector: a password of 75 bytes, all of which count.
		{"bcrypt-sha256@example.com", strings.Repeat("abc123", 12) + "qwr", "bcrypt_sha256$$2a$06$Tg/oYyZTyAf.Nb3qSgN61Ocy0BEz1RK6xslSNi8PlaLX2pe7x/KQG"},
	}
	stores.Each(t, func(t *testing.T, s storage.Store) {
		a := newApp(t, latch.Config{Store: s})
		var params []latch.CreateUserParams
		for _, r := range rows {
			params = append(params, latch.CreateUserParams{EmailAddresses: []string{r.email}, PasswordHash: r.hash})
		}
		res, err := a.ImportUsers(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			if res[i].Err != nil {
				t.Fatalf("%s: %v", r.email, res[i].Err)
			}
			id := res[i].User.ID
			if !res[i].User.PasswordEnabled {
				t.Errorf("%s: imported user has no password", r.email)
			}
			out, code := call(t, a.browser(), "/v1/client/sign_ins", map[string]any{"identifier": r.email, "password": r.pw + "x"})
			if code == 200 {
				t.Fatalf("%s: wrong password accepted: %v", r.email, out)
			}
			b := a.browser()
			out, code = call(t, b, "/v1/client/sign_ins", map[string]any{"identifier": r.email, "password": r.pw})
			mustStatus(t, out, code, "complete")
			if got := whoami(t, b); !strings.HasPrefix(got, id) {
				t.Fatalf("%s: not signed in: %q", r.email, got)
			}
			u, err := a.Store.GetUser(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Errorf("%s: hash not rewritten at sign-in: %.30s…", r.email, u.PasswordHash)
			}
			// And the rewritten hash still signs in.
			out, code = call(t, a.browser(), "/v1/client/sign_ins", map[string]any{"identifier": r.email, "password": r.pw})
			mustStatus(t, out, code, "complete")
		}
	})
}

func TestImportRefusesUnsupportedHash(t *testing.T) {
	a := newApp(t, latch.Config{})
	for _, h := range []string{"$md5$abc", "5f4dcc3b5aa765d61d8327deb882cf99", "argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg"} {
		_, err := a.CreateUser(ctx, latch.CreateUserParams{EmailAddresses: []string{"ada@example.com"}, PasswordHash: h})
		if !errors.Is(err, latch.ErrPasswordHashInvalid) {
			t.Errorf("hash %.20q: %v, want ErrPasswordHashInvalid", h, err)
		}
	}
	if _, err := a.GetUserByEmailAddress(ctx, "ada@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("a refused import left a user behind: %v", err)
	}
}

func TestImportUsersReportsEachRow(t *testing.T) {
	a := newApp(t, latch.Config{})
	a.user(t, "taken@example.com")
	res, err := a.ImportUsers(ctx, []latch.CreateUserParams{
		{EmailAddresses: []string{"one@example.com"}, PasswordHash: "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga"},
		{EmailAddresses: []string{"taken@example.com"}},
		{EmailAddresses: []string{"two@example.com"}, PasswordHash: "$md5$nope"},
		{EmailAddresses: []string{"three@example.com"}},
	})
	if err != nil || len(res) != 4 {
		t.Fatalf("ImportUsers: %d results, %v", len(res), err)
	}
	if res[0].Err != nil || res[3].Err != nil || res[0].User == nil || res[3].User == nil {
		t.Errorf("good rows: %+v, %+v", res[0], res[3])
	}
	if !errors.Is(res[1].Err, latch.ErrIdentifierExists) {
		t.Errorf("taken address: %v", res[1].Err)
	}
	if !errors.Is(res[2].Err, latch.ErrPasswordHashInvalid) {
		t.Errorf("bad hash: %v", res[2].Err)
	}
	out, code := call(t, a.browser(), "/v1/client/sign_ins", map[string]any{"identifier": "one@example.com", "password": "allmine"})
	mustStatus(t, out, code, "complete")
}
