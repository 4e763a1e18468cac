package botcheck

import "errors"

// Sentinel errors. Compare with [errors.Is]; the returned errors wrap these
// with detail for logs.
//
// Every rejection of a token or a proof of work — whatever the reason — is an
// [ErrInvalid]: [ErrExpired], [ErrReplayed] and [ErrTooEasy] each also match
// ErrInvalid, so a caller that only asks "was it refused?" checks ErrInvalid
// and a caller that wants to say "your page was open too long, try again"
// checks ErrExpired first. [ErrUnavailable] is the other family: the check
// could not be made (captcha service down, bad secret, replay store failing).
// Callers fail closed on both families but should log and alert on
// ErrUnavailable, because it is an operations problem, not a bot.
var (
	// ErrInvalid means the token, challenge or solution was refused: malformed,
	// forged, not solved, or rejected by the captcha service.
	ErrInvalid = errors.New("botcheck: invalid")

	// ErrExpired means a proof-of-work challenge was signed by us but its
	// expiry has passed. It matches ErrInvalid too.
	ErrExpired error = &subError{"botcheck: challenge expired", ErrInvalid}

	// ErrReplayed means a proof-of-work challenge was already used once. It
	// matches ErrInvalid too.
	ErrReplayed error = &subError{"botcheck: challenge already used", ErrInvalid}

	// ErrTooEasy means a proof-of-work challenge is authentic but was issued at
	// a lower difficulty than the one now configured (the difficulty was raised
	// after it was issued). It matches ErrInvalid too.
	ErrTooEasy error = &subError{"botcheck: challenge difficulty below the configured minimum", ErrInvalid}

	// ErrUnavailable means the check could not be carried out: the captcha
	// service did not answer, answered with something unparseable, or reported
	// a configuration error (bad secret, bad site key); or a ReplayGuard
	// failed or is full. The caller should refuse the request and alert.
	ErrUnavailable = errors.New("botcheck: verification unavailable")
)

// subError is a sentinel that is also an instance of a broader sentinel.
type subError struct {
	msg    string
	parent error
}

func (e *subError) Error() string { return e.msg }
func (e *subError) Unwrap() error { return e.parent }
