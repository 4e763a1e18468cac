package mailtest

import (
	"html"
	"regexp"
	"strings"
)

var (
	// codeRE finds six digits standing alone: not part of a longer number,
	// a date or a phone number.
	codeRE = regexp.MustCompile(`(?:^|[^0-9])([0-9]{6})(?:[^0-9]|$)`)
	// linkRE stops at white space, quotes and angle brackets, which end a
	// URL in text and in an HTML attribute alike.
	linkRE = regexp.MustCompile(`https?://[^\s"'<>]+`)
)

// CodeIn returns the first run of exactly six digits in text, the way
// Latch's one-time codes are written, or "" when there is none.
func CodeIn(text string) string {
	m := codeRE.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

// LinkIn returns the first http:// or https:// URL in text, or "" when
// there is none. Trailing punctuation that ends a sentence is dropped, and
// HTML character references are decoded, so LinkIn works on the HTML body
// too (an href's "&amp;" becomes "&").
func LinkIn(text string) string {
	link := linkRE.FindString(text)
	link = strings.TrimRight(link, ".,;:!?)]")
	return html.UnescapeString(link)
}
