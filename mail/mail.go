// Package mail is the contract between Latch and whatever delivers its
// email: a Message, the Sender interface, and the validation every Sender
// runs before it touches the network.
//
// The kernel renders a message (subject, text and HTML bodies) and hands it
// to Config.Mailer. This package imports only the standard library so that
// an application can implement Sender (for a provider's HTTP API, a queue,
// a test double) by reading this one package. Implementations shipped with
// Latch:
//
//   - [Console] prints messages for development;
//   - mail/smtpmail submits them to an SMTP server;
//   - mail/mailtest records them (Recorder) or runs a real SMTP server in
//     process (Server) for tests.
//
// Header injection is stopped here, in one place: [Message.Validate]
// rejects CR, LF, NUL and other control characters in every value that
// becomes a header, so a hostile identifier such as
// "ada@example.com\r\nBcc: victim@example.org" never reaches a wire format.
package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"unicode/utf8"
)

// Message is one email. Text and HTML are alternative renderings of the
// same content; at least one is required, and a sender that can send only
// one kind sends Text. All strings are UTF-8.
//
// A Sender must not modify a Message, and the caller must not modify it
// while Send runs.
type Message struct {
	// From is the author, "ada@example.com" or "Ada <ada@example.com>".
	// Empty means the sender's configured default, which is the usual case.
	From string

	// To is the one recipient, in the same forms as From. One recipient
	// per message keeps a code or link from ever being copied to a second
	// mailbox.
	To string

	// Subject is a single line; non-ASCII text is encoded by the sender.
	Subject string

	// Text is the text/plain body.
	Text string

	// HTML is the text/html body. Leave it empty to send text only.
	HTML string

	// Headers holds extra header fields, such as List-Unsubscribe or
	// Reply-To. Names are header field names; values must be printable
	// ASCII. Fields the sender writes itself (From, To, Cc, Bcc, Subject,
	// Date, Message-ID, MIME-Version, Content-*) cannot be set here.
	Headers map[string]string

	// Kind names the message for logs and metrics, e.g. "verification_code".
	// It is never sent to the recipient. Letters, digits, '_', '-', '.'
	// and ':' only.
	Kind string
}

// Sender delivers email.
//
// An implementation must:
//
//   - validate the message with [Message.Validate] (and its own From with
//     [ValidateAddress]) before any I/O, so an invalid message is refused
//     with an error wrapping [ErrInvalidMessage] and nothing is sent;
//   - honour ctx: return promptly once it is done, with an error that
//     wraps ctx.Err();
//   - return nil only when the message was handed over completely (for
//     SMTP: the server accepted the DATA); a partial or uncertain send is
//     an error, never a success;
//   - wrap the errors it returns with %w so callers can use errors.Is and
//     errors.As, and never put credentials into them;
//   - be safe for concurrent use by several goroutines.
//
// Send may block for as long as ctx allows; the kernel calls it off the
// request's goroutine, with a timeout.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// ErrInvalidMessage is wrapped by every validation error: a message that
// could never be sent as it is. Retrying it is pointless.
var ErrInvalidMessage = errors.New("mail: invalid message")

// Bounds on a message. They are far above anything Latch sends and keep a
// bug or an attacker from making a sender allocate or transmit without
// limit.
const (
	// MaxAddressLen bounds an address with its display name, in bytes.
	MaxAddressLen = 512
	// MaxAddrSpecLen bounds the "local@domain" part, in bytes (RFC 5321
	// §4.5.3.1.3: a path is at most 256 octets including "<" and ">").
	MaxAddrSpecLen = 254
	// MaxLocalPartLen bounds the part before "@" (RFC 5321 §4.5.3.1.1).
	MaxLocalPartLen = 64
	// MaxSubjectLen bounds the subject, in bytes, so that even unencoded it
	// fits an RFC 5322 line of 998 characters.
	MaxSubjectLen = 900
	// MaxBodyLen bounds Text and HTML, each, in bytes.
	MaxBodyLen = 1 << 20
	// MaxHeaders bounds the number of extra header fields.
	MaxHeaders = 32
	// MaxHeaderValueLen bounds one extra header value, in bytes.
	MaxHeaderValueLen = 900
	// MaxKindLen bounds Kind, in bytes.
	MaxKindLen = 64
)

// reservedHeaders are written by senders from the Message's own fields or
// from the MIME structure; letting Headers set them would allow adding
// recipients or corrupting the body.
var reservedHeaders = map[string]bool{
	"From": true, "To": true, "Cc": true, "Bcc": true, "Sender": true,
	"Subject": true, "Date": true, "Message-Id": true, "Mime-Version": true,
	"Return-Path": true, "Received": true,
}

// invalid returns a validation error wrapping ErrInvalidMessage.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
}

// Validate checks everything a sender needs before it writes a byte: To is
// a valid address; From, when set, too; Subject and header values hold no
// line break or other control character; at least one body; all sizes
// within bounds; all text valid UTF-8. Errors wrap [ErrInvalidMessage] and
// never quote the offending value, which may be hostile or secret.
func (m *Message) Validate() error {
	if m == nil {
		return invalid("nil message")
	}
	if err := ValidateAddress(m.To); err != nil {
		return fmt.Errorf("recipient (To): %w", err)
	}
	if m.From != "" {
		if err := ValidateAddress(m.From); err != nil {
			return fmt.Errorf("sender (From): %w", err)
		}
	}
	if err := ValidateSubject(m.Subject); err != nil {
		return err
	}
	if m.Text == "" && m.HTML == "" {
		return invalid("no body: set Text or HTML")
	}
	for name, body := range map[string]string{"Text": m.Text, "HTML": m.HTML} {
		if len(body) > MaxBodyLen {
			return invalid("%s longer than %d bytes", name, MaxBodyLen)
		}
		if !utf8.ValidString(body) {
			return invalid("%s is not valid UTF-8", name)
		}
	}
	if len(m.Headers) > MaxHeaders {
		return invalid("more than %d extra headers", MaxHeaders)
	}
	for name, value := range m.Headers {
		if err := ValidateHeader(name, value); err != nil {
			return err
		}
	}
	return validateKind(m.Kind)
}

// ValidateAddress reports whether s is one email address that is safe to
// put in a header and an SMTP command: no control character at all (CR,
// LF and NUL included), valid UTF-8, within the length bounds, and parsed
// by net/mail as exactly one address with a non-empty local part and
// domain. Both "ada@example.com" and "Ada <ada@example.com>" are accepted.
func ValidateAddress(s string) error {
	_, err := ParseAddress(s)
	return err
}

// ParseAddress validates s as [ValidateAddress] does and returns it
// parsed. Senders use Address for the SMTP envelope and Address.String()
// for the header, which encodes a non-ASCII display name.
func ParseAddress(s string) (*netmail.Address, error) {
	switch {
	case s == "":
		return nil, invalid("empty address")
	case len(s) > MaxAddressLen:
		return nil, invalid("address longer than %d bytes", MaxAddressLen)
	case !utf8.ValidString(s):
		return nil, invalid("address is not valid UTF-8")
	case hasControl(s, false):
		// Checked before parsing: net/mail accepts folding white space
		// (CRLF followed by a space) in some positions.
		return nil, invalid("address contains a control character")
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, invalid("malformed address")
	}
	at := strings.LastIndexByte(a.Address, '@')
	switch {
	case at <= 0 || at == len(a.Address)-1:
		return nil, invalid("address needs a local part and a domain")
	case at > MaxLocalPartLen:
		return nil, invalid("local part longer than %d bytes", MaxLocalPartLen)
	case len(a.Address) > MaxAddrSpecLen:
		return nil, invalid("address longer than %d bytes", MaxAddrSpecLen)
	case hasControl(a.Address, false) || hasControl(a.Name, false):
		// Encoded words in a display name decode to arbitrary bytes.
		return nil, invalid("address contains a control character")
	}
	return a, nil
}

// ValidateSubject reports whether s can be a Subject: valid UTF-8, at most
// [MaxSubjectLen] bytes, and no control character other than tab.
func ValidateSubject(s string) error {
	switch {
	case len(s) > MaxSubjectLen:
		return invalid("subject longer than %d bytes", MaxSubjectLen)
	case !utf8.ValidString(s):
		return invalid("subject is not valid UTF-8")
	case hasControl(s, true):
		return invalid("subject contains a line break or control character")
	}
	return nil
}

// ValidateHeader reports whether name: value can be added to a message as
// an extra header: name is a field name (RFC 5322 §3.6.8: printable ASCII
// except ':') that the sender does not write itself and not a Content-*
// field; value is printable ASCII (tab allowed), at most
// [MaxHeaderValueLen] bytes, with no CR, LF or NUL.
func ValidateHeader(name, value string) error {
	if name == "" || len(name) > 76 {
		return invalid("header name empty or too long")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c > '~' || c == ':' {
			return invalid("header name contains a forbidden character")
		}
	}
	canon := textproto.CanonicalMIMEHeaderKey(name)
	if reservedHeaders[canon] || strings.HasPrefix(canon, "Content-") {
		return invalid("header %s is written by the sender and cannot be set", canon)
	}
	if len(value) > MaxHeaderValueLen {
		return invalid("header %s longer than %d bytes", canon, MaxHeaderValueLen)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c > '~' {
			return invalid("header %s contains a line break, control or non-ASCII character", canon)
		}
	}
	return nil
}

// validateKind keeps Kind safe to log as a bare token.
func validateKind(k string) error {
	if len(k) > MaxKindLen {
		return invalid("kind longer than %d bytes", MaxKindLen)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return invalid("kind contains a forbidden character")
		}
	}
	return nil
}

// hasControl reports whether s holds a C0 control character, DEL, or a C1
// control (U+0080–U+009F, which includes NEL); tab is allowed when
// allowTab is set.
func hasControl(s string, allowTab bool) bool {
	for _, r := range s {
		if r < ' ' && !(allowTab && r == '\t') || r == 0x7f || 0x80 <= r && r <= 0x9f {
			return true
		}
	}
	return false
}
