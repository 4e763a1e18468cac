package latch

import (
	"net/url"
	"strings"
)

// Where a browser may be sent after a flow: a local path or an authorized
// origin, checked the way browsers parse URLs.

// checkRedirect accepts "" (no redirect), a path on this site ("/x", never
// "//x" or "/\x", which browsers read as another host), or an absolute URL
// whose origin is exactly one of Session.AuthorizedParties.
func (a *Auth) checkRedirect(raw string) error {
	if raw == "" {
		return nil
	}
	if AllowedRedirect(raw, a.cfg.Session.AuthorizedParties) {
		return nil
	}
	return ErrRedirectNotAllowed
}

// AllowedRedirect reports whether raw is a safe place to send a browser:
// a local path, or an absolute http(s) URL whose origin is exactly one of
// origins. It refuses what browsers parse differently from Go (back
// slashes, control characters and white space anywhere, userinfo, "//"
// at the start of a path), so that the origin it checks is the one a
// browser would go to.
func AllowedRedirect(raw string, origins []string) bool {
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, "\\\t\r\n \x00") {
		return false
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	if strings.HasPrefix(raw, "/") {
		return !strings.HasPrefix(raw, "//") && !strings.Contains(raw, "%2f%2f") && !strings.Contains(strings.ToLower(raw), "%5c")
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return false
	}
	origin := strings.ToLower(u.Scheme + "://" + u.Host)
	for _, o := range origins {
		if strings.ToLower(o) == origin {
			return true
		}
	}
	return false
}

// safeRedirect is raw when it is an allowed redirect, else "": a page
// keeps working when handed a bad redirect_url, it just does not follow it.
func (a *Auth) safeRedirect(raw string) string {
	if a.checkRedirect(raw) != nil {
		return ""
	}
	return raw
}
