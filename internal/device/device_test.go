package device

import "testing"

// TestDeviceListNamesNativeApps: the User-Agents native apps send (the
// convention Latch documents, and the defaults of common HTTP stacks) name
// the app and its platform in the device list; browsers' are read as
// before.
func TestDeviceListNamesNativeApps(t *testing.T) {
	var p Parser
	for _, c := range []struct{ ua, browser, os, kind string }{
		{"MyApp/2.3 (iOS 17.4; iPhone)", "MyApp 2.3", "iOS 17.4", "mobile"},
		{"MyApp/2.3 (Android 14; Pixel 8)", "MyApp 2.3", "Android 14", "mobile"},
		{"Notes/4.1 (iPadOS 17.4; iPad13,1)", "Notes 4.1", "iPadOS 17.4", "tablet"},
		{"Notes/4.1 (iOS 17.4; iPad)", "Notes 4.1", "iOS 17.4", "tablet"},
		{"MyApp/3.0 (macOS 14.4; MacBookPro18,1)", "MyApp 3.0", "macOS 14.4", "desktop"},
		{"MyApp/3.0 (Windows 11)", "MyApp 3.0", "Windows 11", "desktop"},
		{"MyApp/1.0 CFNetwork/1494.0.7 Darwin/23.4.0", "MyApp 1.0", "iOS 17", "mobile"},
		{"MyApp/1.0 (com.example.MyApp; build:1; iOS 17.4.0) Alamofire/5.8.0", "MyApp 1.0", "iOS 17.4.0", "mobile"},
		{"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240205.004)", "", "Android 14", "mobile"},
		{"okhttp/4.12.0", "okhttp 4.12.0", "Android", "mobile"},
		{"Dart/3.3 (dart:io)", "Dart 3.3", "", ""},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "Safari 17", "iOS", "mobile"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131", "Linux", "desktop"},
		{"((((", "", "", ""},
	} {
		d := p.Parse(c.ua)
		if d.Browser != c.browser || d.OS != c.os || d.DeviceType != c.kind {
			t.Errorf("%q: %q on %q (%q), want %q on %q (%q)", c.ua, d.Browser, d.OS, d.DeviceType, c.browser, c.os, c.kind)
		}
	}
}

func FuzzParseNativeApp(f *testing.F) {
	f.Add("MyApp/2.3 (iOS 17.4; iPhone)")
	f.Add("a/b (Android")
	f.Fuzz(func(t *testing.T, ua string) {
		d, _ := parseNativeApp(ua)
		if len(d.Browser) > len(ua) || len(d.OS) > len(ua)+len("visionOS ") {
			t.Fatalf("%q: %+v", ua, d)
		}
	})
}

// TestOSNameAsItsMakerSpellsIt: system names read as their makers write
// them, whatever the User-Agent library or an old record says.
func TestOSNameAsItsMakerSpellsIt(t *testing.T) {
	for in, want := range map[string]string{
		"MacOS": "macOS", "Mac OS X 10_15": "macOS 10_15", "IOS": "iOS", "Chrome OS": "ChromeOS", "chromeos": "ChromeOS",
		"windows 11": "Windows 11", "Linux": "Linux", "Plan 9": "Plan 9", "": "", "iOSX": "iOSX",
	} {
		if got := OSName(in); got != want {
			t.Errorf("OSName(%q) = %q, want %q", in, got, want)
		}
	}
}
