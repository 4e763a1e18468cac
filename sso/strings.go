package sso

import (
	"maps"
	"strings"

	"github.com/latchauth/latch"
)

// The plugin's words, in the languages the module ships; each provider's
// button is "strategy.<its strategy>".
var words = map[string]map[string]string{
	"en": {
		"sso.continue_with":          "Continue with %s",
		"sso.section.title":          "Connected accounts",
		"sso.section.empty":          "No connected accounts.",
		"sso.section.connect":        "Connect %s",
		"sso.section.disconnect":     "Disconnect",
		"sso.section.disconnect_one": "Disconnect %s",
		"sso.section.back":           "Back to your account",
		"sso.leave":                  "Continue to %s",
	},
	"fr": {
		"sso.continue_with":          "Continuer avec %s",
		"sso.section.title":          "Comptes connectés",
		"sso.section.empty":          "Aucun compte connecté.",
		"sso.section.connect":        "Connecter %s",
		"sso.section.disconnect":     "Déconnecter",
		"sso.section.disconnect_one": "Déconnecter %s",
		"sso.section.back":           "Retour à votre compte",
		"sso.leave":                  "Continuer vers %s",
	},
}

// registerStrings adds the words and each provider's button label.
func (pl *Plugin) registerStrings(h *latch.Host) error {
	for lang, table := range words {
		strs := maps.Clone(table)
		for _, p := range pl.providers {
			strs["strategy."+p.name] = strings.Replace(table["sso.continue_with"], "%s", p.Label, 1)
		}
		if err := h.AddStrings(lang, strs); err != nil {
			return err
		}
	}
	return nil
}
