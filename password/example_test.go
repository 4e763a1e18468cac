package password_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchauth/latch/password"
)

func ExampleHasher() {
	ctx := context.Background()
	h, err := password.NewHasher(password.Config{}) // Argon2id, OWASP parameters
	if err != nil {
		panic(err)
	}
	stored, _ := h.Hash(ctx, "violet staple orbit")

	ok, needsRehash, err := h.Verify(ctx, "violet staple orbit", stored)
	fmt.Println(ok, needsRehash, err)
	ok, _, err = h.Verify(ctx, "violet staple orbiT", stored)
	fmt.Println(ok, errors.Is(err, password.ErrMismatch))

	// A user migrated from Django signs in: the hash verifies and asks to be replaced.
	ok, needsRehash, _ = h.Verify(ctx, "lètmein", "pbkdf2_sha256$10000$seasalt$CWWFdHOWwPnki7HvkcqN9iA2T3KLW1cf2uZ5kvArtVY=")
	fmt.Println(ok, needsRehash)
	// Output:
	// true false <nil>
	// false true
	// true true
}

func ExamplePolicy_Check() {
	p := &password.Policy{MinLength: 15} // password is the only factor (NIST 800-63B rev 4)
	for _, pw := range []string{"Password123", "passwordpassword", "acme-rocks-every-day", "violet staple orbit"} {
		err := p.Check(context.Background(), pw, "Acme", "jane@example.com")
		var pe *password.PolicyError
		if errors.As(err, &pe) {
			fmt.Printf("%s: %s\n", pe.Code, pe.Message)
		} else {
			fmt.Println("ok", err)
		}
	}
	// Output:
	// password_too_short: Use at least 15 characters.
	// password_common: This password is too common. Choose one that is harder to guess.
	// password_contains_context: Don't use your name, email address or the name of this service in your password.
	// ok <nil>
}
