package latch

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
)

// Cookie names. Over HTTPS they carry the __Host- prefix, which makes the
// browser refuse them unless they are Secure, Path=/ and without Domain, so a
// sibling subdomain cannot plant or overwrite them.
const (
	clientCookieName  = "latch_client"
	sessionCookieName = "latch_session"
	hostPrefix        = "__Host-"
)

// maxCookieLength bounds what is decoded of a cookie (and what a browser
// keeps: 4096 bytes per cookie).
const maxCookieLength = 4096

// clientCookie is what the client cookie holds, sealed (encrypted and
// authenticated) by securecookie: which client this browser is, and the
// secret proving it. Only the secret's hash is stored.
type clientCookie struct {
	ClientID string `json:"c"`
	Secret   string `json:"s"`
}

// cookieJar writes and reads Latch's cookies.
type cookieJar struct {
	secure      bool
	sameSite    http.SameSite
	maxAge      time.Duration
	clientName  string
	sessionName string
	codecs      []securecookie.Codec
}

func newCookieJar(secrets [][]byte, secure, strict bool, maxAge time.Duration) *cookieJar {
	j := &cookieJar{secure: secure, sameSite: http.SameSiteLaxMode, maxAge: maxAge,
		clientName: clientCookieName, sessionName: sessionCookieName}
	if strict {
		j.sameSite = http.SameSiteStrictMode
	}
	if secure {
		j.clientName, j.sessionName = hostPrefix+clientCookieName, hostPrefix+sessionCookieName
	}
	j.codecs = cookieCodecs(secrets, "cookie", maxAge)
	return j
}

// cookieCodecs seals and opens cookies of one kind (purpose keys them
// apart) under each of secrets, newest first, so that secrets rotate.
func cookieCodecs(secrets [][]byte, purpose string, maxAge time.Duration) []securecookie.Codec {
	out := make([]securecookie.Codec, 0, len(secrets))
	for _, s := range secrets {
		c := securecookie.New(derive(s, purpose+"-hash"), derive(s, purpose+"-block"))
		c.SetSerializer(securecookie.JSONEncoder{})
		c.MaxAge(int(maxAge / time.Second))
		c.MaxLength(maxCookieLength)
		out = append(out, c)
	}
	return out
}

func (j *cookieJar) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", Secure: j.secure, HttpOnly: true, SameSite: j.sameSite}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	} else {
		c.MaxAge = -1
	}
	return c
}

// ClientHeader carries the sealed client value for native apps, which have
// no cookie jar: they send it on every request and receive the new value in
// the same header of responses that replace it. Browsers never get it in a
// header, which JavaScript could read; for them it stays an HttpOnly cookie.
const ClientHeader = "Latch-Client"

// NativeHeader marks a request from a native app ("1"): its responses carry
// the client value in ClientHeader and, at sign-in, a refresh token.
const NativeHeader = "Latch-Native"

func isNative(r *http.Request) bool {
	return r.Header.Get(NativeHeader) != "" || r.Header.Get(ClientHeader) != ""
}

// setClient seals and sets the client cookie (or, for a native app, the
// client header).
func (j *cookieJar) setClient(w http.ResponseWriter, r *http.Request, v clientCookie) error {
	enc, err := securecookie.EncodeMulti(j.clientName, v, j.codecs[0])
	if err != nil {
		return err
	}
	if isNative(r) {
		w.Header().Set(ClientHeader, enc)
		return nil
	}
	http.SetCookie(w, j.cookie(j.clientName, enc, j.maxAge))
	return nil
}

// readClient opens the client cookie (or header); ok is false when it is
// absent, tampered with, sealed by a removed secret, or too old.
func (j *cookieJar) readClient(r *http.Request) (v clientCookie, ok bool) {
	raw := j.rawClient(r)
	if raw == "" {
		return v, false
	}
	if len(raw) > maxCookieLength {
		return v, false
	}
	if err := securecookie.DecodeMulti(j.clientName, raw, &v, j.codecs...); err != nil {
		return v, false
	}
	return v, v.ClientID != "" && v.Secret != ""
}

// rawClient returns the sealed client value of r (header or cookie),
// unopened, or "".
func (j *cookieJar) rawClient(r *http.Request) string {
	if raw := r.Header.Get(ClientHeader); raw != "" {
		return raw
	}
	c, err := r.Cookie(j.clientName)
	if err != nil {
		return ""
	}
	return c.Value
}

// setSession sets the session-token cookie. The cookie outlives the token
// inside it so that the middleware learns which session to refresh.
func (j *cookieJar) setSession(w http.ResponseWriter, jwt string) {
	http.SetCookie(w, j.cookie(j.sessionName, jwt, j.maxAge))
}

// clearSession removes the session cookie.
func (j *cookieJar) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, j.cookie(j.sessionName, "", 0))
}

// clear removes both cookies.
func (j *cookieJar) clear(w http.ResponseWriter) {
	http.SetCookie(w, j.cookie(j.clientName, "", 0))
	http.SetCookie(w, j.cookie(j.sessionName, "", 0))
}

// sessionToken returns the session token of the request: the Authorization
// bearer token when there is one (native apps, other services), else the
// session cookie. fromCookie says which.
func (j *cookieJar) sessionToken(r *http.Request) (tok string, fromCookie bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:]), false
		}
		return "", false
	}
	v, ok := scanCookie(r.Header["Cookie"], j.sessionName)
	return v, ok
}

// maxCookies is net/http's default bound on the cookies of a request
// (GODEBUG httpcookiemaxnum): past it, Request.Cookie finds none, and so
// does scanCookie.
const maxCookies = 3000

// scanCookie returns the value of the first cookie called name in the
// Cookie header lines, as Request.Cookie splits and trims them, without
// allocating and without checking the value's bytes. Request.Cookie checks
// every byte of every cookie of that name and allocates each one it finds;
// for the session cookie that is a 500-byte token on every request, where
// a cache hit is an exact match with a token already verified (which holds
// only valid bytes) and a miss is verified anyway. So the value is checked
// (validCookieValue) only when it goes on to be verified, and when it fails
// the check sessionCookie asks net/http, which skips invalid cookies and
// may find a later one of the same name.
//
// It differs from Request.Cookie only when the first cookie called name
// has a byte net/http refuses: FuzzScanCookie holds it to that.
func scanCookie(lines []string, name string) (string, bool) {
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	if n > maxCookies {
		return "", false
	}
	for _, line := range lines {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(trimASCIISpace(part), "=")
			if trimASCIISpace(k) != name {
				continue // another cookie, perhaps one whose name name is a prefix of
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			return v, true
		}
	}
	return "", false
}

// validCookieValue reports whether net/http accepts v (unquoted) as a
// cookie value.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return false
		}
	}
	return true
}

// sessionCookie is what Request.Cookie says the session cookie holds, for
// a value from scanCookie that validCookieValue refused: net/http then
// skips it and looks further.
func (j *cookieJar) sessionCookie(r *http.Request) string {
	c, err := r.Cookie(j.sessionName)
	if err != nil {
		return ""
	}
	return c.Value
}

// trimASCIISpace trims what textproto.TrimString trims.
func trimASCIISpace(s string) string {
	for len(s) > 0 && isASCIISpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isASCIISpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isASCIISpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// newSecret returns a fresh client secret (256 bits) and its hash.
func (a *Auth) newSecret() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(a.cfg.Rand, b); err != nil {
		return "", nil, err
	}
	s := base64.RawURLEncoding.EncodeToString(b)
	return s, hashSecret(s), nil
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// secretMatches compares a presented secret with a stored hash in constant
// time.
func secretMatches(presented string, stored []byte) bool {
	return len(stored) == sha256.Size && subtle.ConstantTimeCompare(hashSecret(presented), stored) == 1
}
