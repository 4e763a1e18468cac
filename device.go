package latch

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// maxUserAgentLength bounds what is stored and parsed of a User-Agent header.
const maxUserAgentLength = 512

// device is what a session records about the browser or app that signed in.
type device struct {
	UserAgent, Browser, OS, DeviceType string
}

// deviceParser parses User-Agent headers with a maintained parser, built on
// first use (it loads a trie of known agents) and shared afterwards.
type deviceParser struct {
	once   sync.Once
	parser *useragent.Parser
}

// cleanUserAgent is what is kept of a User-Agent header: its first
// maxUserAgentLength bytes, as valid UTF-8.
func cleanUserAgent(ua string) string {
	if len(ua) > maxUserAgentLength {
		ua = ua[:maxUserAgentLength]
	}
	return strings.ToValidUTF8(ua, "")
}

func (p *deviceParser) parse(ua string) device {
	ua = cleanUserAgent(ua)
	if ua == "" {
		return device{}
	}
	if d, ok := parseNativeApp(ua); ok {
		return d
	}
	p.once.Do(func() { p.parser = useragent.NewParser() })
	a := p.parser.Parse(ua)
	d := device{UserAgent: ua, OS: string(a.OS())}
	if b := a.Browser(); b != "" {
		d.Browser = strings.TrimSpace(string(b) + " " + a.BrowserVersionMajor())
	}
	switch a.Device() {
	case agents.DeviceDesktop:
		d.DeviceType = "desktop"
	case agents.DeviceMobile:
		d.DeviceType = "mobile"
	case agents.DeviceTablet:
		d.DeviceType = "tablet"
	case agents.DeviceTV:
		d.DeviceType = "tv"
	case agents.DeviceBot:
		d.DeviceType = "bot"
	}
	return d
}

// describe names a browser and system for people, e.g. "Chrome 131 on
// Linux".
func (p *deviceParser) describe(ua string) string {
	d := p.parse(ua)
	switch {
	case d.Browser != "" && d.OS != "":
		return d.Browser + " on " + d.OS
	case d.Browser != "":
		return d.Browser
	case d.OS != "":
		return d.OS
	}
	return "an unknown device"
}

// Native apps. A browser's User-Agent starts with "Mozilla/"; a native
// app's names the app first. The convention Latch reads, and recommends to
// apps that set their own User-Agent, is
//
//	AppName/AppVersion (Platform PlatformVersion; Device)
//
// as in "MyApp/2.3 (iOS 17.4; iPhone)" or "MyApp/2.3 (Android 14; Pixel 8)":
// the device list then says "MyApp 2.3" on "iOS 17.4". It also reads the
// defaults of common HTTP stacks: iOS's URLSession
// ("MyApp/1.0 CFNetwork/1494.0.7 Darwin/23.4.0", Darwin's major version
// giving iOS's), Android's ("Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8
// Build/…)"), OkHttp ("okhttp/4.12.0", taken as Android) and Dart
// ("Dart/3.3 (dart:io)", Flutter's).

// httpStacks are products that name the HTTP library rather than the app.
var httpStacks = map[string]string{
	"cfnetwork": "", "darwin": "", "alamofire": "", "dalvik": "Android", "okhttp": "Android", "dart": "",
	"ktor-client": "", "cronet": "Android",
}

// platforms are the systems a native app's User-Agent may name, with the
// kind of device each is when the User-Agent names none.
var platforms = []struct{ prefix, name, device string }{
	{"ipados", "iPadOS", "tablet"}, {"ios", "iOS", "mobile"}, {"iphone os", "iOS", "mobile"},
	{"android", "Android", "mobile"}, {"watchos", "watchOS", "mobile"}, {"tvos", "tvOS", "tv"},
	{"visionos", "visionOS", "mobile"}, {"macos", "macOS", "desktop"}, {"mac os x", "macOS", "desktop"},
	{"windows", "Windows", "desktop"}, {"harmonyos", "HarmonyOS", "mobile"},
}

// parseNativeApp reads a native app's User-Agent; ok is false for a
// browser's and for anything that names neither a platform nor a known
// HTTP stack (curl, bots), which the browser parser handles.
func parseNativeApp(ua string) (d device, ok bool) {
	if strings.HasPrefix(ua, "Mozilla/") || strings.HasPrefix(ua, "Opera/") {
		return d, false
	}
	d.UserAgent = ua
	var stack, stackOS, darwin string
	known := false // an HTTP stack of native apps is named
	for _, tok := range uaTokens(ua) {
		if tok.comment {
			for _, field := range strings.Split(tok.text, ";") {
				readPlatformField(&d, strings.TrimSpace(field))
			}
			continue
		}
		name, version, _ := strings.Cut(tok.text, "/")
		lower := strings.ToLower(name)
		if os, isStack := httpStacks[lower]; isStack {
			if lower == "darwin" {
				darwin = version
			}
			if stackOS == "" {
				stackOS = os
			}
			if stack == "" && lower != "darwin" && lower != "dalvik" {
				stack = strings.TrimSpace(name + " " + version)
			}
			known = true
			continue
		}
		if d.Browser == "" && name != "" {
			d.Browser = strings.TrimSpace(name + " " + version)
		}
	}
	if d.OS == "" && darwin != "" {
		// URLSession's default names no platform: Darwin 19 is iOS 13,
		// and so on (macOS apps should use the convention above).
		if major, err := strconv.Atoi(strings.SplitN(darwin, ".", 2)[0]); err == nil && major >= 19 {
			d.OS, d.DeviceType = "iOS "+strconv.Itoa(major-6), "mobile"
		}
	}
	if d.OS == "" && stackOS != "" {
		d.OS = stackOS
	}
	if d.DeviceType == "" && d.OS != "" {
		d.DeviceType = deviceOfPlatform(d.OS)
	}
	if d.Browser == "" {
		d.Browser = stack // the app did not name itself: the stack is all there is
	}
	return d, d.OS != "" || known
}

// readPlatformField reads one field of a User-Agent comment: a platform
// with its version ("iOS 17.4", "Android 14") or a device ("iPhone",
// "iPad13,1", "Pixel 8 Build/…").
func readPlatformField(d *device, f string) {
	for _, p := range platforms {
		if len(f) < len(p.prefix) || !strings.EqualFold(f[:len(p.prefix)], p.prefix) {
			continue
		}
		if rest := f[len(p.prefix):]; rest == "" || rest[0] == ' ' || rest[0] == '/' {
			if d.OS == "" {
				d.OS = strings.TrimSpace(p.name + " " + strings.TrimLeft(rest, " /"))
			}
			return
		}
	}
	lower := strings.ToLower(f)
	switch {
	case strings.HasPrefix(lower, "ipad"):
		d.DeviceType = "tablet"
	case strings.HasPrefix(lower, "iphone"), strings.HasPrefix(lower, "ipod"):
		d.DeviceType = "mobile"
	}
}

func deviceOfPlatform(os string) string {
	lower := strings.ToLower(os)
	for _, p := range platforms {
		if strings.HasPrefix(lower, strings.ToLower(p.name)) {
			return p.device
		}
	}
	return ""
}

type uaToken struct {
	text    string
	comment bool
}

// uaTokens splits a User-Agent into its products ("MyApp/2.3") and
// comments ("(iOS 17.4; iPhone)", without the parentheses).
func uaTokens(ua string) []uaToken {
	var out []uaToken
	for ua = strings.TrimSpace(ua); ua != ""; ua = strings.TrimSpace(ua) {
		if ua[0] == '(' {
			end := strings.IndexByte(ua, ')')
			if end < 0 {
				end = len(ua)
			}
			out = append(out, uaToken{text: ua[1:end], comment: true})
			ua = ua[min(end+1, len(ua)):]
			continue
		}
		end := strings.IndexAny(ua, " (")
		if end < 0 {
			end = len(ua)
		}
		out = append(out, uaToken{text: ua[:end]})
		ua = ua[end:]
	}
	return out
}

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
