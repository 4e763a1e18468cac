package components

import _ "embed"

//go:embed webauthn.js
var webauthnScript string

// WebAuthnScript returns the browser script that runs WebAuthn ceremonies
// for WebAuthnButton forms (and any form with the same attributes) and
// offers passkeys in the autofill of an identifier field marked for it. It
// has no dependencies and no inline handlers, so it works under a
// Content-Security-Policy of script-src 'self'; serve it from the
// application's origin with Content-Type text/javascript.
func WebAuthnScript() string { return webauthnScript }

//go:embed userbutton.js
var userButtonScript string

// UserButtonScript returns the user button's script (UserButtonProps.ScriptURL),
// for the kernel to serve.
func UserButtonScript() string { return userButtonScript }

//go:embed code.js
var codeScriptSource string

// CodeScript returns the sign-in and sign-up cards' script
// (SignInProps.ScriptURL): a one-time code's field as digit boxes that take
// typing, paste and autofill, and the countdown before "Resend code". The
// pages work without it. It has no dependencies and no inline handlers,
// so it runs under a Content-Security-Policy of script-src 'self'.
func CodeScript() string { return codeScriptSource }
