package latch

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzNormalizeEmail: whatever is accepted as an email address can go into
// a mail header unchanged: no CR, LF, NUL or other control character, no
// display name or second address, and normalising it again changes nothing.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ada@example.com", "ada@example.com\r\nBcc: x@evil.test", "Ada <ada@example.com>", "a@b", "\"a b\"@example.com", "ada@exa mple.com", "ｍｉｋｅ@example.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := normalizeEmail(s)
		if err != nil {
			return
		}
		if strings.ContainsAny(v, "\r\n\x00<>,; \t\"") {
			t.Fatalf("accepted %q as %q", s, v)
		}
		for _, r := range v {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("accepted a control character in %q", v)
			}
		}
		if again, err := normalizeEmail(v); err != nil || again != v {
			t.Fatalf("normalizing %q again gives %q, %v", v, again, err)
		}
	})
}

// TestOpenRedirectBypassesRefused covers the redirect_url tricks browsers
// and Go's URL parser disagree on (CVE-2024-8883, CVE-2026-7504 and kin).
func TestOpenRedirectBypassesRefused(t *testing.T) {
	origins := []string{"https://app.example"}
	for _, bad := range []string{
		"//evil.test", "/\\evil.test", "\\\\evil.test", "https://app.example@evil.test", "https://app.example.evil.test",
		"https:evil.test", "https://evil.test", "http://app.example", "javascript:alert(1)", "data:text/html,x",
		"/\t/evil.test", "/%2f%2fevil.test", "/%5cevil.test", " https://app.example", "https://app.example\n.evil.test",
		"https://user:pw@app.example/", "https://app.example:8443/", "//app.example@evil.test", "///evil.test",
		"https://аpp.example/", // Cyrillic а
	} {
		if AllowedRedirect(bad, origins) {
			t.Errorf("%q allowed", bad)
		}
	}
	for _, good := range []string{"/dashboard", "/a/b?c=d#e", "https://app.example", "https://app.example/x?y=1", "HTTPS://APP.EXAMPLE/x"} {
		if !AllowedRedirect(good, origins) {
			t.Errorf("%q refused", good)
		}
	}
}

// FuzzAllowedRedirect: when a redirect is allowed, the place a browser
// would go is this site or exactly an allowed origin.
func FuzzAllowedRedirect(f *testing.F) {
	for _, s := range []string{"/ok", "//evil", "/\\evil", "https://app.example@evil", "https://app.example/x", "https:evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !AllowedRedirect(s, []string{"https://app.example"}) {
			return
		}
		u, err := url.Parse(s)
		if err != nil {
			t.Fatalf("allowed %q, which does not parse", s)
		}
		resolved := (&url.URL{Scheme: "https", Host: "app.example", Path: "/"}).ResolveReference(u)
		if !strings.EqualFold(resolved.Scheme+"://"+resolved.Host, "https://app.example") || resolved.User != nil {
			t.Fatalf("allowed %q, which goes to %s://%s", s, resolved.Scheme, resolved.Host)
		}
	})
}
