package layering

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

var plugins = map[string]bool{"mfa": true, "passkeys": true, "sso": true, "orgs": true, "billing": true, "webhooks": true, "web3": true, "admin": true}

// layer names the layer of a package, given its path inside the module.
func layer(p string) string {
	top, _, _ := strings.Cut(p, "/")
	switch {
	case p == "":
		return "kernel"
	case top == "examples" || top == "cmd" || top == "e2e":
		return "app"
	case p == "latchtest" || strings.HasPrefix(p, "latchtest/") || p == "storage/storagetest" || strings.HasPrefix(p, "storage/storagetest/"):
		return "testkit"
	case strings.Contains(p, "/") && strings.HasSuffix(p, "test"): // a package's kit: mfa/mfatest, passkeys/passkeystest
		return "testkit"
	case strings.HasPrefix(p, "storage/"):
		return "store-adapter"
	case top == "mail" && p != "mail", top == "sms" && p != "sms", top == "ratelimit" && p != "ratelimit",
		p == "billing/stripe" || strings.HasPrefix(p, "billing/stripe/"):
		return "adapter"
	case plugins[top]:
		return "plugin:" + top
	}
	return "leaf"
}

// violation returns why an import from one layer to another is not allowed,
// or "".
func violation(from, to string) string {
	switch {
	case from == "leaf" || from == "store-adapter":
		if to != "leaf" {
			return "a " + strings.ReplaceAll(from, "-", " ") + " may import only contracts and leaves, not the " + to + " layer"
		}
	case from == "kernel":
		if to != "leaf" {
			return "the kernel imports the " + to + " layer"
		}
	case strings.HasPrefix(from, "plugin:"):
		if strings.HasPrefix(to, "plugin:") && to != from {
			return "one plugin imports another"
		}
		if to != "leaf" && to != "kernel" && to != from && !strings.HasPrefix(to, "plugin:") {
			return "a plugin imports the " + to + " layer"
		}
	case from == "adapter" || from == "testkit":
		if to == "app" {
			return "the " + from + " layer imports an app"
		}
	}
	return ""
}

func TestImportsFollowTheLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "github.com/latchauth/latch/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/latchauth/latch"
	rel := func(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, mod), "/") }
	s := bufio.NewScanner(bytes.NewReader(out))
	pkgs := 0
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) == 0 {
			continue
		}
		pkgs++
		from := rel(f[0])
		for _, imp := range f[1:] {
			if imp != mod && !strings.HasPrefix(imp, mod+"/") {
				continue
			}
			if why := violation(layer(from), layer(rel(imp))); why != "" {
				t.Errorf("%s imports %s: %s", f[0], imp, why)
			}
		}
	}
	if pkgs < 3 {
		t.Fatalf("go list found %d packages; the test is not looking at the module", pkgs)
	}
}

func TestLayerRules(t *testing.T) {
	for _, c := range []struct {
		from, to string
		bad      bool
	}{
		{"", "storage", false},
		{"", "storage/memstore", true},
		{"storage/sqlitestore", "internal/sqlstore", false},
		{"storage/sqlitestore", "", true},
		{"token", "", true},
		{"mfa", "", false},
		{"mfa", "passkeys", true},
		{"orgs", "storage/memstore", true},
		{"latchtest", "storage/memstore", false},
		{"latchtest", "examples/quickstart", true},
		{"mfa/mfatest", "latchtest", false},
		{"passkeys/passkeystest", "examples/quickstart", true},
		{"examples/quickstart", "storage/sqlitestore", false},
		{"ratelimit/redisrate", "ratelimit", false},
		{"ratelimit", "ratelimit/redisrate", true},
	} {
		got := violation(layer(c.from), layer(c.to)) != ""
		if got != c.bad {
			t.Errorf("%q -> %q: violation=%v, want %v", c.from, c.to, got, c.bad)
		}
	}
}
