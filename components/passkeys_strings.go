package components

// The strings of the passkeys plugin's components.

var englishPasskeys = Locale{
	"signin.passkey.button": "Sign in with a passkey",
	"strategy.passkey":      "Sign in with a passkey",
	"strategy.security_key": "Use a security key",

	"profile.passkeys.title":                     "Passkeys and security keys",
	"profile.passkeys.empty":                     "No passkeys or security keys yet. A passkey signs you in with your fingerprint, face or screen lock instead of a password.",
	"profile.passkeys.kind.passkey":              "Passkey",
	"profile.passkeys.kind.security_key":         "Security key",
	"profile.passkeys.synced":                    "Synced",
	"profile.passkeys.added":                     "Added %s",
	"profile.passkeys.last_used":                 "last used %s",
	"profile.passkeys.never_used":                "never used",
	"profile.passkeys.rename":                    "Rename",
	"profile.passkeys.rename_item":               "Rename %s",
	"profile.passkeys.remove_item":               "Remove %s",
	"profile.passkeys.name":                      "Name",
	"profile.passkeys.add.passkey":               "Add a passkey",
	"profile.passkeys.add.security_key":          "Add a security key",
	"profile.passkeys.add.subtitle.passkey":      "Sign in with your fingerprint, face or screen lock instead of a password. The passkey is saved on this device or in your password manager.",
	"profile.passkeys.add.subtitle.security_key": "Use a physical security key as the second step when you sign in.",
	"profile.passkeys.add.button.passkey":        "Create passkey",
	"profile.passkeys.add.button.security_key":   "Register security key",
	"profile.passkeys.default_name.passkey":      "Passkey",
	"profile.passkeys.default_name.security_key": "Security key",
	"profile.passkeys.factor.passkey":            "Passkey \"%s\"",
	"profile.passkeys.factor.security_key":       "Security key \"%s\"",
	"profile.passkeys.error":                     "The request was cancelled or could not be completed. Try again.",
	"profile.passkeys.back":                      "Back to your account",
	"profile.passkeys.cancel":                    "Cancel",
}

var frenchPasskeys = Locale{
	"signin.passkey.button": "Se connecter avec une clé d'accès",
	"strategy.passkey":      "Se connecter avec une clé d'accès",
	"strategy.security_key": "Utiliser une clé de sécurité",

	"profile.passkeys.title":                     "Clés d'accès et clés de sécurité",
	"profile.passkeys.empty":                     "Aucune clé d'accès ni clé de sécurité pour l'instant. Une clé d'accès vous connecte avec votre empreinte, votre visage ou le verrouillage de l'écran, sans mot de passe.",
	"profile.passkeys.kind.passkey":              "Clé d'accès",
	"profile.passkeys.kind.security_key":         "Clé de sécurité",
	"profile.passkeys.synced":                    "Synchronisée",
	"profile.passkeys.added":                     "Ajoutée : %s",
	"profile.passkeys.last_used":                 "dernière utilisation : %s",
	"profile.passkeys.never_used":                "jamais utilisée",
	"profile.passkeys.rename":                    "Renommer",
	"profile.passkeys.rename_item":               "Renommer %s",
	"profile.passkeys.remove_item":               "Supprimer %s",
	"profile.passkeys.name":                      "Nom",
	"profile.passkeys.add.passkey":               "Ajouter une clé d'accès",
	"profile.passkeys.add.security_key":          "Ajouter une clé de sécurité",
	"profile.passkeys.add.subtitle.passkey":      "Connectez-vous avec votre empreinte, votre visage ou le verrouillage de l'écran plutôt qu'avec un mot de passe. La clé d'accès est enregistrée sur cet appareil ou dans votre gestionnaire de mots de passe.",
	"profile.passkeys.add.subtitle.security_key": "Utilisez une clé de sécurité physique comme deuxième étape à la connexion.",
	"profile.passkeys.add.button.passkey":        "Créer la clé d'accès",
	"profile.passkeys.add.button.security_key":   "Enregistrer la clé de sécurité",
	"profile.passkeys.default_name.passkey":      "Clé d'accès",
	"profile.passkeys.default_name.security_key": "Clé de sécurité",
	// The security emails say "{{.Factor}} a été ajouté…": the subject is
	// masculine so that the sentence agrees.
	"profile.passkeys.factor.passkey":      "Le moyen de connexion « %s » (clé d'accès)",
	"profile.passkeys.factor.security_key": "Le moyen de connexion « %s » (clé de sécurité)",
	"profile.passkeys.error":               "La demande a été annulée ou n'a pas pu aboutir. Réessayez.",
	"profile.passkeys.back":                "Retour à votre compte",
	"profile.passkeys.cancel":              "Annuler",
}
