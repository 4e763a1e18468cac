// Package device reads User-Agent headers: the browser, system and kind of
// device a session records and a mail names ("Chrome 131 on Linux"), with
// the conventions native apps use. Browsers are read with a maintained
// parser (medama-io/go-useragent); the native-app conventions, which it
// does not know, are read here.
package device

import (
	"strconv"
	"strings"
	"sync"

	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// MaxLength bounds what is stored and parsed of a User-Agent header.
const MaxLength = 512

// Info is what a session records about the browser or app that signed in.
type Info struct {
	UserAgent, Browser, OS, DeviceType string
}

// Parser parses User-Agent headers with a maintained parser, built on
// first use (it loads a trie of known agents) and shared afterwards.
type Parser struct {
	once   sync.Once
	parser *useragent.Parser
}

// Clean is what is kept of a User-Agent header: its first
// MaxLength bytes, as valid UTF-8.
func Clean(ua string) string {
	if len(ua) > MaxLength {
		ua = ua[:MaxLength]
	}
	return strings.ToValidUTF8(ua, "")
}

func (p *Parser) Parse(ua string) Info {
	ua = Clean(ua)
	if ua == "" {
		return Info{}
	}
	if d, ok := parseNativeApp(ua); ok {
		return d
	}
	p.once.Do(func() { p.parser = useragent.NewParser() })
	a := p.parser.Parse(ua)
	d := Info{UserAgent: ua, OS: OSName(string(a.OS()))}
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

// Describe names a browser and system for people, e.g. "Chrome 131 on
// Linux".
func (p *Parser) Describe(ua string) string {
	d := p.Parse(ua)
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
// the Info list then says "MyApp 2.3" on "iOS 17.4". It also reads the
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
// kind of Info each is when the User-Agent names none.
var platforms = []struct{ prefix, name, Info string }{
	{"ipados", "iPadOS", "tablet"}, {"ios", "iOS", "mobile"}, {"iphone os", "iOS", "mobile"},
	{"android", "Android", "mobile"}, {"watchos", "watchOS", "mobile"}, {"tvos", "tvOS", "tv"},
	{"visionos", "visionOS", "mobile"}, {"macos", "macOS", "desktop"}, {"mac os x", "macOS", "desktop"},
	{"windows", "Windows", "desktop"}, {"harmonyos", "HarmonyOS", "mobile"},
}

// parseNativeApp reads a native app's User-Agent; ok is false for a
// browser's and for anything that names neither a platform nor a known
// HTTP stack (curl, bots), which the browser parser handles.
func parseNativeApp(ua string) (d Info, ok bool) {
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
// with its version ("iOS 17.4", "Android 14") or a Info ("iPhone",
// "iPad13,1", "Pixel 8 Build/…").
func readPlatformField(d *Info, f string) {
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
			return p.Info
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

// OSName spells a system's name as its maker does ("MacOS" and "Mac OS X"
// become "macOS", "Chrome OS" "ChromeOS"); a version after the name is
// kept, and a name it does not know is returned as it is.
func OSName(os string) string {
	lower := strings.ToLower(os)
	for _, n := range []struct{ prefix, name string }{
		{"mac os x", "macOS"}, {"macos", "macOS"}, {"ipados", "iPadOS"}, {"iphone os", "iOS"}, {"ios", "iOS"},
		{"chrome os", "ChromeOS"}, {"chromeos", "ChromeOS"}, {"windows", "Windows"}, {"android", "Android"},
		{"linux", "Linux"}, {"freebsd", "FreeBSD"}, {"openbsd", "OpenBSD"}, {"watchos", "watchOS"}, {"tvos", "tvOS"},
	} {
		if rest, ok := strings.CutPrefix(lower, n.prefix); ok && (rest == "" || rest[0] == ' ') {
			return n.name + os[len(n.prefix):]
		}
	}
	return os
}
