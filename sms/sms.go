// Package sms is the contract between Latch and whatever delivers its text
// messages: a Message, the Sender interface, and the validation every
// Sender runs before it touches the network.
//
// It imports only the standard library, so an application can implement
// Sender for any gateway by reading this one package. Implementations
// shipped with Latch: [Console] for development, sms/twilio for Twilio's
// Programmable Messaging API, and sms/smstest's Recorder for tests.
//
// What a Sender does not do: decide whether a number may receive a text.
// SECURITY.md item 20 (send only to numbers the user has verified or is
// verifying, caps per number, per IP and per prefix against toll fraud,
// offering a stronger factor) is enforced by the kernel before Send is
// called; a Sender delivers what it is given, once.
package sms

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Message is one text message.
//
// A Sender must not modify a Message, and the caller must not modify it
// while Send runs.
type Message struct {
	// To is the recipient in E.164 form: "+" and 8 to 15 digits, the
	// first not 0, with no spaces or punctuation, e.g. "+14155550123".
	To string

	// Body is the text, UTF-8, at most [MaxBodyLen] characters.
	Body string

	// Kind names the message for logs and metrics, e.g. "sign_in_code".
	// It is never sent. Letters, digits, '_', '-', '.' and ':' only.
	Kind string
}

// Sender delivers text messages.
//
// An implementation must:
//
//   - validate the message with [Message.Validate] before any I/O, so an
//     invalid message is refused with an error wrapping
//     [ErrInvalidMessage] and nothing is sent;
//   - honour ctx: return promptly once it is done, with an error that
//     wraps ctx.Err();
//   - return nil only when the gateway accepted the message; an uncertain
//     outcome is an error, never a success;
//   - wrap the errors it returns with %w so callers can use errors.Is and
//     errors.As, and never put credentials into them;
//   - be safe for concurrent use by several goroutines.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// ErrInvalidMessage is wrapped by every validation error: a message that
// could never be sent as it is. Retrying it is pointless.
var ErrInvalidMessage = errors.New("sms: invalid message")

// Bounds on a message.
const (
	// MaxBodyLen bounds Body, in characters (Unicode code points). It is
	// Twilio's limit, ten concatenated segments of GSM-7 text; carriers
	// may split or drop longer messages.
	MaxBodyLen = 1600
	// MinPhoneDigits and MaxPhoneDigits bound the digits of an E.164
	// number (ITU-T E.164 §6: at most 15 digits; 8 is the shortest number
	// in use with its country code).
	MinPhoneDigits = 8
	MaxPhoneDigits = 15
	// MaxKindLen bounds Kind, in bytes.
	MaxKindLen = 64
)

// invalid returns a validation error wrapping ErrInvalidMessage.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// Validate checks that To is an E.164 number, Body is non-empty valid
// UTF-8 within [MaxBodyLen] characters with no NUL, and Kind is a token.
// Errors wrap [ErrInvalidMessage] and never quote the message's content.
func (m *Message) Validate() error {
	if m == nil {
		return invalid("nil message")
	}
	if err := ValidatePhone(m.To); err != nil {
		return fmt.Errorf("recipient (To): %w", err)
	}
	switch {
	case m.Body == "":
		return invalid("empty body")
	case !utf8.ValidString(m.Body):
		return invalid("body is not valid UTF-8")
	case utf8.RuneCountInString(m.Body) > MaxBodyLen:
		return invalid("body longer than %d characters", MaxBodyLen)
	}
	for i := 0; i < len(m.Body); i++ {
		if m.Body[i] == 0 {
			return invalid("body contains NUL")
		}
	}
	if len(m.Kind) > MaxKindLen {
		return invalid("kind longer than %d bytes", MaxKindLen)
	}
	for i := 0; i < len(m.Kind); i++ {
		c := m.Kind[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return invalid("kind contains a forbidden character")
		}
	}
	return nil
}

// ValidatePhone reports whether s is a number in E.164 form: "+", then
// [MinPhoneDigits] to [MaxPhoneDigits] ASCII digits, the first not 0.
// Formatting such as spaces, dashes or a national trunk prefix is refused
// rather than repaired: numbers are normalised once, when a user adds
// them, and a Sender must send to exactly the stored number.
func ValidatePhone(s string) error {
	if len(s) < 1+MinPhoneDigits || len(s) > 1+MaxPhoneDigits || s[0] != '+' || s[1] == '0' {
		return invalid("phone number is not in E.164 form")
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return invalid("phone number is not in E.164 form")
		}
	}
	return nil
}
