package botcheck

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
	"time"
)

//go:embed pow.js
var script string

// ScriptPath is a suggested path to serve Script at; any path works.
const ScriptPath = "/latch/botcheck/pow.js"

// Script returns the browser proof-of-work solver: a dependency-free
// JavaScript file (under 3 KiB) to serve as application/javascript (or
// inline in a <script> element). On DOMContentLoaded it finds every
// <input data-latch-pow="CHALLENGE"> (a hidden input carrying
// Challenge.Value) and solves the challenge with its own SHA-256 in plain
// JavaScript, in slices of about 25 ms between which it yields to the event
// loop so the page stays responsive; it needs neither WebCrypto nor a secure
// context. Then it:
//
//   - sets the input's value to the token CHALLENGE + TokenSeparator +
//     SOLUTION, ready for PoWVerifier (or split it at the last "." for
//     PoW.VerifyOnce);
//   - enables the form's submit buttons ([type=submit] and buttons without a
//     type), which the page should render disabled, removes their
//     aria-busy, and replaces their text with their data-latch-pow-label
//     when they have one (so a button can say "Checking your browser…"
//     until then);
//   - sets data-latch-pow-state on the form to "solving", "solved" or
//     "error" (for styling a progress hint) and dispatches a bubbling
//     "latch-pow-solved" event from the input. On "error" the buttons are
//     enabled too, so that the server explains the refusal.
//
// Form markup:
//
//	<form method="post">
//	  <input type="hidden" name="latch_pow" data-latch-pow="{{.Challenge.Value}}">
//	  …
//	  <button type="submit" disabled aria-busy="true" data-latch-pow-label="Sign up">Checking your browser…</button>
//	</form>
//	<script src="/latch/botcheck/pow.js" integrity="{{ScriptSRI}}" defer></script>
//
// Without JavaScript nothing is solved and the button stays disabled: what to
// do then is the page's business — typically a <noscript> message asking to
// enable JavaScript, or a <noscript> fallback form that uses a captcha
// Verifier (Turnstile, HCaptcha) instead. See the package documentation for
// how long solving takes.
//
// The returned slice is a fresh copy; callers may keep or modify it.
func Script() []byte { return []byte(script) }

// ScriptSHA256 returns the CSP source expression for Script, for
// Content-Security-Policy script-src when the script is inlined:
// 'sha256-<base64 of SHA-256(Script())>' (quotes included).
func ScriptSHA256() string {
	return "'" + ScriptSRI() + "'"
}

// ScriptSRI returns the Subresource Integrity value for Script,
// "sha256-<base64>", for the integrity attribute of a <script src> element.
func ScriptSRI() string {
	sum := sha256.Sum256([]byte(script))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// ScriptHandler serves Script as text/javascript with an ETag (its SHA-256),
// nosniff and a one-day public cache lifetime; mount it at ScriptPath or
// anywhere else. It answers GET and HEAD, conditional requests included.
func ScriptHandler() http.Handler {
	etag := `"` + ScriptSRI() + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "public, max-age=86400")
		h.Set("ETag", etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(Script()))
	})
}
