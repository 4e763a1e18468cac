package latch

import (
	"net/http"
	"slices"
	"time"

	"github.com/gorilla/securecookie"
)

// deviceCookieName names the cookie that remembers which users have signed
// in on a browser. It outlives the client cookie, which sign-out clears, so
// that "a device this user has used before" survives signing out.
const deviceCookieName = "latch_device"

// deviceLifetime is how long a browser is remembered after its last
// sign-in: 400 days, the longest a browser keeps a cookie.
const deviceLifetime = 400 * 24 * time.Hour

// maxDeviceUsers bounds how many users one browser remembers; the one who
// signed in longest ago is forgotten first.
const maxDeviceUsers = 16

// deviceCookie is what the device cookie holds, sealed: a random ID of the
// browser and the users who completed a sign-in on it. Nobody can forge it
// without Config.Secrets, so a browser that carries it naming a user has
// really been used by that user (or by someone who stole the cookie from
// it).
type deviceCookie struct {
	ID    string   `json:"d"`
	Users []string `json:"u"`
}

// deviceJar writes and reads the device cookie.
type deviceJar struct {
	name   string
	secure bool
	codecs []securecookie.Codec
}

func newDeviceJar(secrets [][]byte, secure bool) *deviceJar {
	j := &deviceJar{name: deviceCookieName, secure: secure}
	if secure {
		j.name = hostPrefix + deviceCookieName
	}
	j.codecs = cookieCodecs(secrets, "device", deviceLifetime)
	return j
}

// read opens the device cookie of r; ok is false when there is none or it
// does not open.
func (j *deviceJar) read(r *http.Request) (v deviceCookie, ok bool) {
	if r == nil {
		return v, false
	}
	c, err := r.Cookie(j.name)
	if err != nil || len(c.Value) > maxCookieLength {
		return v, false
	}
	if securecookie.DecodeMulti(j.name, c.Value, &v, j.codecs...) != nil || v.ID == "" {
		return deviceCookie{}, false
	}
	return v, true
}

// knownDevice returns the ID of the browser of r when userID has signed in
// on it before, and "" otherwise (always "" for an unknown user).
func (a *Auth) knownDevice(r *http.Request, userID string) string {
	if userID == "" {
		return ""
	}
	v, ok := a.deviceJar.read(r)
	if !ok || !slices.Contains(v.Users, userID) {
		return ""
	}
	return v.ID
}

// rememberDevice records on the browser of r that userID signed in on it,
// giving the browser an ID the first time. Native apps, which keep no
// cookies, are not remembered.
func (a *Auth) rememberDevice(w http.ResponseWriter, r *http.Request, userID string) {
	if w == nil || r == nil || isNative(r) {
		return
	}
	v, ok := a.deviceJar.read(r)
	if !ok {
		id, err := a.newID("dev")
		if err != nil {
			return // the browser stays unremembered; nothing else depends on it
		}
		v = deviceCookie{ID: id}
	}
	v.Users = append(slices.DeleteFunc(v.Users, func(u string) bool { return u == userID }), userID)
	if len(v.Users) > maxDeviceUsers {
		v.Users = v.Users[len(v.Users)-maxDeviceUsers:]
	}
	enc, err := securecookie.EncodeMulti(a.deviceJar.name, v, a.deviceJar.codecs[0])
	if err != nil {
		a.cfg.Logger.WarnContext(r.Context(), "latch: sealing the device cookie", "err", err)
		return
	}
	// Lax, whatever Session.SameSiteStrict says: the cookie grants nothing,
	// and a sign-in that arrives from a link in a mail should still know
	// the browser.
	http.SetCookie(w, &http.Cookie{Name: a.deviceJar.name, Value: enc, Path: "/", Secure: a.deviceJar.secure, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(deviceLifetime / time.Second)})
}
