package sso_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/sso"
	"github.com/latchauth/latch/sso/internal/idptest"
)

var buttonRE = regexp.MustCompile(`<button class="latch-button latch-button--secondary( latch-button--icon)?" type="submit" name="strategy" value="(oauth_[a-z_]+)"`)

// The hosted sign-in and sign-up pages show the providers' buttons, with
// their icons, above the "or" divider, in the configured order; many make
// a compact row of icon buttons named by their labels.
func TestProviderButtonsOnSignInAndSignUp(t *testing.T) {
	idp := idptest.New(t)
	few := []sso.Provider{sso.GitHub("id", "s"), sso.Google("id", "s")}
	e := newEnv(t, nil, few, map[string]*idptest.IdP{"x": idp})
	b := latchtest.NewBrowser(e.Auth.Handler())
	for _, path := range []string{"/sign-in", "/sign-up"} {
		page := body(b.Get(path))
		got := buttonRE.FindAllStringSubmatch(page, -1)
		if len(got) != 2 || got[0][2] != "oauth_github" || got[1][2] != "oauth_google" || got[0][1] != "" {
			t.Fatalf("%s buttons %v:\n%s", path, got, page)
		}
		if !strings.Contains(page, "Continue with GitHub") || !strings.Contains(page, `<img class="latch-strategy-icon" src="data:image/svg+xml;base64,`) {
			t.Fatalf("%s: no label or icon:\n%s", path, page)
		}
		if strings.Index(page, "oauth_google") > strings.Index(page, "latch-divider") {
			t.Fatalf("%s: the buttons are not above the divider", path)
		}
	}

	many := []sso.Provider{sso.Google("id", "s"), sso.GitHub("id", "s"), sso.Microsoft("id", "s", ""), sso.Discord("id", "s"), sso.Slack("id", "s")}
	e = newEnv(t, nil, many, nil)
	b = latchtest.NewBrowser(e.Auth.Handler())
	page := body(b.Get("/sign-in"))
	got := buttonRE.FindAllStringSubmatch(page, -1)
	if len(got) != 5 || got[2][2] != "oauth_microsoft" || got[0][1] == "" || !strings.Contains(page, "latch-strategies--compact") ||
		!strings.Contains(page, `aria-label="Continue with Microsoft"`) {
		t.Fatalf("compact row %v:\n%s", got, page)
	}
}
