package botcheck_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/latchauth/latch/botcheck"
)

func Example() {
	secret := make([]byte, 32)
	rand.Read(secret)
	pow, err := botcheck.NewPoW(botcheck.PoWConfig{Secret: secret, Difficulty: 10})
	if err != nil {
		panic(err)
	}
	check := botcheck.PoWVerifier{
		PoW:   pow,
		Guard: botcheck.NewMemoryReplayGuard(botcheck.MemoryReplayGuardConfig{}),
	}

	// Rendering the form: the challenge goes in data-latch-pow.
	ch, _ := pow.Challenge()
	fmt.Printf("<input type=\"hidden\" name=%q data-latch-pow=\"…\">\n", botcheck.PoWField)

	// The browser script (or a native client) solves it.
	sol, _ := botcheck.Solve(ch.Value)
	token := ch.Value + botcheck.TokenSeparator + sol

	// Handling the submission.
	ctx := context.Background()
	fmt.Println("first:", check.Verify(ctx, token, "203.0.113.7"))
	err = check.Verify(ctx, token, "203.0.113.7")
	fmt.Println("again: replayed:", errors.Is(err, botcheck.ErrReplayed), "invalid:", errors.Is(err, botcheck.ErrInvalid))
	// Output:
	// <input type="hidden" name="latch_pow" data-latch-pow="…">
	// first: <nil>
	// again: replayed: true invalid: true
}

func ExampleHoneypotTripped() {
	form := url.Values{"email": {"bot@example.com"}, botcheck.HoneypotField: {"https://spam.example"}}
	r := httptest.NewRequest(http.MethodPost, "/sign-up", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	fmt.Println(botcheck.HoneypotTripped(r))
	// Output: true
}

func ExampleTurnstile() {
	var v botcheck.Verifier = botcheck.Turnstile{
		Secret:   "0x4AAAAAAA…", // from the Cloudflare dashboard
		Hostname: "app.example.com",
		Action:   "signup",
	}
	// An empty token is refused without a request.
	err := v.Verify(context.Background(), "", "203.0.113.7")
	switch {
	case errors.Is(err, botcheck.ErrUnavailable):
		fmt.Println("service problem: refuse and alert")
	case errors.Is(err, botcheck.ErrInvalid):
		fmt.Println("refused:", err)
	}
	// Output: refused: botcheck: turnstile: invalid: empty token
}
