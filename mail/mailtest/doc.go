// Package mailtest helps test code that sends email.
//
//   - [Server] is a real SMTP server, github.com/emersion/go-smtp listening
//     on 127.0.0.1 in the test's process, with optional STARTTLS (a
//     self-signed certificate made in memory) and AUTH. It parses every
//     message it receives, so a test reads the subject, text and HTML as
//     the recipient would. Use it to test a Sender end to end, or to run
//     the whole stack (latch + smtpmail) over a real network connection.
//   - [Recorder] is an in-memory mail.Sender for unit tests that only need
//     to see what would have been sent.
//   - [CodeIn] and [LinkIn] pull a one-time code or a link out of a
//     message, as a user would.
//
// Both Server and Recorder are mailboxes read in order: WaitFor returns
// the oldest message to an address that no earlier WaitFor returned, so a
// test that triggers two codes reads the first, then the second.
//
// This package imports only mail, the standard library and go-smtp; it
// belongs in tests, never in production code.
package mailtest
