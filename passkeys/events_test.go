package passkeys_test

import (
	"os"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/passkeys"
)

func TestEveryEventTypeThePluginEmitsIsCatalogued(t *testing.T) {
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{passkeys.New(passkeys.Config{})}}})
	declared := map[string]bool{}
	for _, e := range a.EventTypes() {
		declared[e.Name] = true
	}
	docs, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{passkeys.EventPasskeyCreated, passkeys.EventPasskeyUpdated, passkeys.EventPasskeyDeleted} {
		if !declared[typ] {
			t.Errorf("%q is not declared: emitting it fails", typ)
		}
		if !strings.Contains(string(docs), "`"+typ+"`") {
			t.Errorf("docs/events.md does not document %q", typ)
		}
	}
}
