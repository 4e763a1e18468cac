// Package botcheck protects sign-up and sign-in forms from automated abuse
// with three independent tools: a self-hosted proof of work, a honeypot
// field, and verification of third-party captcha tokens (Cloudflare
// Turnstile, hCaptcha) behind one small [Verifier] interface.
//
// # Threat model
//
// The adversary is a script that submits forms in bulk: mass sign-ups (spam
// accounts, free-tier abuse, SMS and email pumping), credential stuffing and
// password spraying against sign-in. These attacks are profitable only when
// each attempt is nearly free.
//
// Proof of work ([PoW]) makes every submission cost CPU time. It does not
// tell a human from a bot — a bot that runs the solver passes, and that is
// fine: it is not a CAPTCHA. What it does is raise the price of volume. A
// solution is the smallest decimal n for which SHA-256(challenge ":" n) has
// at least the challenge's difficulty (its third "."-separated field) in
// leading zero bits; the token is challenge "." n. At the default 15 bits
// that takes 2^15 ≈ 33,000 SHA-256 evaluations on average (23,000 at the
// median). The browser script, plain JavaScript that hashes the challenge's
// fixed first block once and compresses only the last one per attempt,
// spends 0.5–1.2 µs of CPU per attempt under Node 20 on the shared 2-core
// server it was measured on (BenchmarkScriptSolve), a median solve of 12–27
// ms; the WebCrypto version it replaced spent 20 µs per attempt and, at 16
// bits, took a median 2.2 s (up to 13 s). Assuming a mid-range phone runs
// JavaScript five to ten times slower than that server, a median solve takes
// 0.06–0.27 s there; headless Chromium with DevTools' 4× CPU slowdown (the
// mid-tier mobile preset) measured a median 0.23 s on the same, heavily
// loaded, machine. It starts when the page loads. Native Go code ([Solve],
// BenchmarkPoWSolve) manages 2–6 million attempts a second on one core of
// the same machine, 5–20 ms per solution, so a million sign-ups cost an
// attacker with an optimised native solver a few core-hours instead of
// nothing (and far less on a GPU): a price on volume, not a wall.
// Verification costs the server about a
// microsecond (one HMAC, one hash). It
// needs no outside service, stores nothing at issue (the challenge is signed,
// self-contained and expires after 5 minutes by default), and sends no
// visitor data to anyone. Pair it with rate limiting per IP and per account,
// which stops what proof of work only slows. A ReplayGuard makes each
// challenge single-use; without one, one solution could be replayed until the
// challenge expires.
//
// The honeypot ([HoneypotField], [HoneypotTripped]) catches naive form-filling
// bots at no cost to people: a field hidden from humans that such bots fill
// in. It does nothing against a targeted attacker, who will simply leave it
// empty, so it complements the others and never replaces them.
//
// A captcha ([Turnstile], [HCaptcha]) asks a third party to judge the
// visitor. It is stronger against targeted bots but adds an outside
// dependency, a privacy cost, and a failure mode: when the service is
// unreachable the caller must choose, and this package's answer is fail
// closed. Errors say which case occurred — [ErrInvalid] (refused: treat as a
// bot, log quietly) or [ErrUnavailable] (no verdict: refuse, log loudly and
// alert) — so an outage is never mistaken for an attack or silently let
// through.
//
// # Defaults and why
//
//   - Difficulty 15 bits (bounded 8..30): a fraction of a second of
//     background work on a mid-range phone, which the page overlaps with the
//     user typing, so nobody waits. Every extra bit doubles the cost for
//     everyone, the slowest phones first; below 8 bits the work is noise.
//   - TTL 5 minutes: long enough to fill in a form, short enough that
//     solutions cannot be stockpiled ahead of an attack, and it bounds how
//     long a ReplayGuard must remember a used challenge.
//   - Secret of at least 32 bytes: the HMAC key must not be guessable; a
//     forged challenge could set its own difficulty.
//   - 128-bit random nonce: the challenge id, unique without coordination.
//   - Captcha timeout 5 seconds and 64 KiB response limit: a slow or hostile
//     endpoint cannot hold a sign-in request, or memory, hostage.
//
// # Use
//
// Issue a challenge when rendering the form, serve [Script], and verify on
// submit:
//
//	pow, err := botcheck.NewPoW(botcheck.PoWConfig{Secret: secret})
//	guard := botcheck.NewMemoryReplayGuard(botcheck.MemoryReplayGuardConfig{})
//	check := botcheck.PoWVerifier{PoW: pow, Guard: guard}
//
//	// render: ch, err := pow.Challenge(); put ch.Value in data-latch-pow
//	// submit:
//	if botcheck.HoneypotTripped(r) {
//		// refuse like any other failure
//	}
//	if err := check.Verify(ctx, r.PostFormValue(botcheck.PoWField), ip); err != nil {
//		// refuse; errors.Is(err, botcheck.ErrUnavailable) means alert
//	}
//
// The package holds no global mutable state; every type is safe for
// concurrent use once constructed.
package botcheck
