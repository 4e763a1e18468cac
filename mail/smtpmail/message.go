package smtpmail

import (
	"bytes"
	"crypto/rand"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"sort"
	"strings"
	"time"

	"github.com/latchauth/latch/mail"
)

// build renders m as an RFC 5322 message with CRLF line endings: the
// headers, then a text/plain part, a text/html part, or both as
// multipart/alternative (text first: RFC 2046 §5.1.4 puts the preferred,
// richest part last). Bodies are UTF-8 in quoted-printable, which keeps
// every line under the 998-octet limit and the data 7-bit clean whatever
// the server supports. m must have passed Validate.
func build(from, to *netmail.Address, m *mail.Message, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	header("From", fold(from.String()))
	header("To", fold(to.String()))
	header("Subject", fold(mime.QEncoding.Encode("UTF-8", m.Subject)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+rand.Text()+"@"+idDomain(from.Address)+">")
	header("MIME-Version", "1.0")
	names := make([]string, 0, len(m.Headers))
	for name := range m.Headers {
		names = append(names, name)
	}
	sort.Strings(names) // a stable order makes messages comparable
	for _, name := range names {
		header(textproto.CanonicalMIMEHeaderKey(name), m.Headers[name])
	}

	if m.Text == "" || m.HTML == "" {
		ctype, body := "text/plain", m.Text
		if m.Text == "" {
			ctype, body = "text/html", m.HTML
		}
		header("Content-Type", ctype+"; charset=UTF-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, body); err != nil {
			return nil, err
		}
		// The SMTP client ends the data with a line break, which would
		// become part of the body; a closing soft line break (RFC 2045
		// §6.7 rule 5, never longer than 76 characters here since Go's
		// encoder keeps room for one) absorbs it, so the body arrives
		// exactly as given.
		if !strings.HasSuffix(body, "\n") && !strings.HasSuffix(body, "\r") {
			b.WriteString("=\r\n")
		}
		return b.Bytes(), nil
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body) // random boundary from crypto/rand
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	for _, p := range []struct{ ctype, text string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype + "; charset=UTF-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, p.text); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	b.Write(body.Bytes())
	return b.Bytes(), nil
}

// writeQP writes s quoted-printable. No line break is added: the CRLF
// before a boundary belongs to the boundary, and the SMTP client ends the
// data with one.
func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, s); err != nil {
		return err
	}
	return qp.Close()
}

// fold breaks a header value between RFC 2047 encoded words, which Go's
// encoder separates with a single space and limits to 75 characters each,
// so that a long non-ASCII subject or name stays within the line limit.
// Unfolding (removing the CRLF) restores the value exactly.
func fold(v string) string {
	return strings.ReplaceAll(v, "?= =?", "?=\r\n =?")
}

// idDomain is the right-hand side of a Message-ID: the From domain when it
// is plain ASCII (RFC 5322 §3.6.4 requires it), "localhost" otherwise.
func idDomain(addr string) string {
	d := addr[strings.LastIndexByte(addr, '@')+1:]
	for i := 0; i < len(d); i++ {
		if c := d[i]; c <= ' ' || c > '~' || c == '<' || c == '>' || c == '"' || c == '\\' {
			return "localhost"
		}
	}
	if d == "" {
		return "localhost"
	}
	return d
}
