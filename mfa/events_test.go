package mfa_test

import (
	"os"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa"
)

func TestEveryEventTypeThePluginEmitsIsCatalogued(t *testing.T) {
	a := latchtest.NewHarness(t, latchtest.Options{Config: latch.Config{Plugins: []latch.Plugin{mfa.New(mfa.Config{})}}})
	declared := map[string]bool{}
	for _, e := range a.EventTypes() {
		declared[e.Name] = true
	}
	docs, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{mfa.EventFactorAdded, mfa.EventFactorRemoved, mfa.EventBackupCodesRegenerated} {
		if !declared[typ] {
			t.Errorf("%q is not declared: emitting it fails", typ)
		}
		if !strings.Contains(string(docs), "`"+typ+"`") {
			t.Errorf("docs/events.md does not document %q", typ)
		}
	}
}
