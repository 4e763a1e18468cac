package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
)

// maxParts bounds the MIME parts read from one message, and maxDepth the
// nesting of multiparts, so a malformed message cannot keep the parser
// busy.
const (
	maxParts = 32
	maxDepth = 4
)

// parse fills r's header fields and bodies from r.Raw, as a mail client
// would: encoded words in Subject and addresses decoded, the first
// text/plain and text/html parts found (at any multipart depth) decoded
// from their transfer encoding, and CRLF turned into "\n".
func parse(r *Received) error {
	msg, err := netmail.ReadMessage(bytes.NewReader(r.Raw))
	if err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	r.Header = msg.Header
	dec := new(mime.WordDecoder)
	if r.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return fmt.Errorf("decoding Subject: %w", err)
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"From", &r.From}, {"To", &r.To}} {
		if v := msg.Header.Get(f.name); v != "" {
			a, err := netmail.ParseAddress(v)
			if err != nil {
				return fmt.Errorf("parsing %s: %w", f.name, err)
			}
			*f.dst = a.Address
		}
	}
	parts := 0
	return walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, r, 0, &parts)
}

// walk decodes one entity and, for a multipart, each of its parts.
func walk(ctype, cte string, body io.Reader, r *Received, depth int, parts *int) error {
	if ctype == "" {
		ctype = "text/plain; charset=us-ascii" // RFC 2045 §5.2
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("parsing Content-Type: %w", err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxDepth {
			return errors.New("multipart nested too deep")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart, not NextPart: NextPart would decode
			// quoted-printable silently and hide which encoding was used.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("reading a part: %w", err)
			}
			if *parts++; *parts > maxParts {
				return errors.New("too many parts")
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, r, depth+1, parts); err != nil {
				return err
			}
		}
	}
	var dst *string
	switch mt {
	case "text/plain":
		dst = &r.Text
	case "text/html":
		dst = &r.HTML
	default:
		return nil // attachments are not needed by any test yet
	}
	if *dst != "" {
		return nil // the first of each kind wins
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return fmt.Errorf("unsupported charset %q", cs)
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &newlineStripper{r: body})
	case "", "7bit", "8bit", "binary":
	default:
		return fmt.Errorf("unknown Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("decoding %s: %w", mt, err)
	}
	*dst = strings.ReplaceAll(string(b), "\r\n", "\n")
	return nil
}

// newlineStripper drops CR and LF, which base64 bodies are wrapped with.
type newlineStripper struct{ r io.Reader }

// Read reads and removes line breaks in place.
func (s *newlineStripper) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, c := range p[:n] {
		if c != '\r' && c != '\n' {
			p[j] = c
			j++
		}
	}
	return j, err
}
