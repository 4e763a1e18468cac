package orgs

import (
	"os"
	"strings"
	"testing"
)

func TestEveryEventTypeThePluginEmitsIsCatalogued(t *testing.T) {
	e := newEnv(t, nil, Config{})
	declared := map[string]bool{}
	for _, ev := range e.EventTypes() {
		declared[ev.Name] = true
	}
	docs, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range EventTypes() {
		if !declared[typ] {
			t.Errorf("%q is not declared: emitting it fails", typ)
		}
		if !strings.Contains(string(docs), "`"+typ+"`") {
			t.Errorf("docs/events.md does not document %q", typ)
		}
	}
}
