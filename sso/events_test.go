package sso_test

import (
	"os"
	"strings"
	"testing"

	"github.com/latchauth/latch/sso"
)

func TestEveryEventTypeThePluginEmitsIsCatalogued(t *testing.T) {
	e := newEnv(t, nil, []sso.Provider{sso.GitHub("id", "s")}, nil)
	declared := map[string]bool{}
	for _, et := range e.Auth.EventTypes() {
		declared[et.Name] = true
	}
	docs, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{sso.EventConnected, sso.EventDisconnected} {
		if !declared[typ] {
			t.Errorf("%q is not declared: emitting it fails", typ)
		}
		if !strings.Contains(string(docs), "`"+typ+"`") {
			t.Errorf("docs/events.md does not document %q", typ)
		}
	}
}
