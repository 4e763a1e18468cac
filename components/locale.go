package components

import (
	"fmt"
	"maps"
)

// Locale is a table of message keys ("signin.identifier.title") to strings.
// Strings with arguments use fmt verbs; use indexed verbs such as %[1]s when
// a translation reorders them.
type Locale map[string]string

// Localize returns a copy of base (English when nil) with overrides applied,
// so an application can change a few strings or add a language.
func Localize(base Locale, overrides map[string]string) Locale {
	if base == nil {
		base = English
	}
	out := make(Locale, len(base)+len(overrides))
	maps.Copy(out, base)
	maps.Copy(out, overrides)
	return out
}

// T returns the string for key in l, falling back to English and then to the
// key itself, formatted with args when any are given.
func T(l Locale, key string, args ...any) string {
	s, ok := l[key]
	if !ok {
		if s, ok = English[key]; !ok {
			s = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Builtin returns the table of a language the module ships ("en", "fr"),
// or false. Shipping another language is a table file and a case here.
func Builtin(lang string) (Locale, bool) {
	switch lang {
	case "en":
		return English, true
	case "fr":
		return French, true
	}
	return nil, false
}

// BuiltinLanguages lists the languages Builtin knows, English first.
func BuiltinLanguages() []string { return []string{"en", "fr"} }

// English is the complete English table and the fallback for every other:
// the kernel's strings (pages, the link landing page, the messages' templates)
// and those of the plugins' components.
var English = mergeLocales(englishCore, englishMFA, englishPasskeys, englishMessages, englishVerify, englishOrg, englishProfile, englishSignIn)

var englishCore = Locale{
	"meta.lang": "en",

	"common.add":           "Add",
	"common.continue":      "Continue",
	"common.edit":          "Edit",
	"common.optional":      "Optional",
	"common.or":            "or",
	"common.remove":        "Remove",
	"common.resend":        "Resend code",
	"common.resend_prompt": "Didn't receive a code?",
	"common.save":          "Save",

	"field.code":                   "Verification code",
	"field.current_password":       "Current password",
	"field.email_address":          "Email address",
	"field.first_name":             "First name",
	"field.last_name":              "Last name",
	"field.new_password":           "New password",
	"field.password":               "Password",
	"field.phone_number":           "Phone number",
	"field.sign_out_other_devices": "Sign out of all other devices",
	"field.username":               "Username",

	"signin.another_method":          "Use another method",
	"strategy.password":              "Sign in with your password",
	"strategy.email_code":            "Email me a code",
	"strategy.email_link":            "Email me a sign-in link",
	"strategy.phone_code":            "Text me a code",
	"signin.choose.subtitle":         "Facing issues? You can use any of these methods to sign in.",
	"signin.choose.title":            "Use another method",
	"signin.code.subtitle":           "Enter the verification code sent to %s.",
	"signin.code.title":              "Check your inbox",
	"signin.edit_identifier":         "Edit email, phone or username",
	"signin.forgot_password":         "Forgot password?",
	"signin.identifier.label":        "Email, phone or username",
	"signin.identifier.subtitle":     "Welcome back! Please sign in to continue.",
	"signin.identifier.title":        "Sign in to %s",
	"signin.identifier.title_plain":  "Sign in",
	"signin.link_sent.resend":        "Resend link",
	"signin.link_sent.resend_prompt": "Didn't receive a link?",
	"signin.link_sent.subtitle":      "We sent a sign-in link to %s. Open it to continue.",
	"signin.link_sent.title":         "Check your email",
	"signin.ticket.subtitle":         "Continue to sign in with the link you were given.",
	"signin.link_verified.title":     "Link verified",
	"signin.link_verified.subtitle":  "Your sign-in link was opened. Continue to finish signing in here.",
	"signin.new_password.submit":     "Reset password",
	"signin.new_password.subtitle":   "Choose a strong password you don't use anywhere else.",
	"signin.new_password.title":      "Set a new password",
	"signin.no_account":              "Don't have an account?",
	"signin.password.subtitle":       "Enter the password associated with your account.",
	"signin.password.title":          "Enter your password",
	"signin.second_factor.subtitle":  "Enter the code from your authenticator app.",
	"signin.second_factor.title":     "Two-step verification",
	"signin.sign_up":                 "Sign up",

	"signup.have_account":          "Already have an account?",
	"signup.honeypot":              "Leave this field empty",
	"signup.legal.and":             "and",
	"signup.legal.prefix":          "I agree to the",
	"signup.legal.privacy":         "Privacy Policy",
	"signup.legal.terms":           "Terms of Service",
	"signup.link_sent.subtitle":    "We sent a verification link to %s. Open it to finish creating your account.",
	"signup.link_sent.title":       "Check your email",
	"signup.noscript":              "Turn on JavaScript to sign up: it runs a quick check that you are not a bot.",
	"signin.noscript":              "Turn on JavaScript to sign in: it runs a quick check that you are not a bot.",
	"signup.checking":              "Checking your browser…",
	"signup.sign_in":               "Sign in",
	"signup.subtitle":              "Welcome! Please fill in the details to get started.",
	"signup.title":                 "Create your %s account",
	"signup.title_plain":           "Create your account",
	"signup.verify_email.subtitle": "Enter the verification code sent to %s.",
	"signup.verify_email.title":    "Verify your email",
	"signup.verify_phone.subtitle": "Enter the verification code sent to %s.",
	"signup.verify_phone.title":    "Verify your phone number",

	"userbutton.add_account":    "Add account",
	"userbutton.manage":         "Manage account",
	"userbutton.open":           "Open account menu for %s",
	"userbutton.other_accounts": "Other accounts",
	"userbutton.sign_out":       "Sign out",
	"userbutton.sign_out_all":   "Sign out of all accounts",
	"userbutton.switch_to":      "Switch to",

	"profile.add_email":          "Add an email address",
	"profile.add_phone":          "Add a phone number",
	"profile.badge.primary":      "Primary",
	"profile.badge.unverified":   "Unverified",
	"profile.badge.verified":     "Verified",
	"profile.delete.button":      "Delete account",
	"profile.delete.confirm":     "Delete my account permanently",
	"profile.delete.warning":     "This deletes your account and all its data. It cannot be undone.",
	"profile.device.last_active": "Last active %s",
	"profile.device.name":        "%s on %s",
	"profile.device.revoke":      "Sign out",
	"profile.device.revoke_item": "Sign out of %s",
	"profile.device.this_device": "This device",
	"profile.device.unknown":     "Unknown device",
	"profile.image.label":        "Profile image",
	"profile.image.remove":       "Remove image",
	"profile.image.upload":       "Upload",
	"profile.make_primary":       "Make primary",
	"profile.make_primary_item":  "Make %s primary",
	"profile.password.set":       "Set password",
	"profile.password.update":    "Update password",
	"profile.remove_item":        "Remove %s",
	"profile.section.danger":     "Danger zone",
	"profile.section.devices":    "Active devices",
	"profile.section.email":      "Email addresses",
	"profile.section.password":   "Password",
	"profile.section.phone":      "Phone numbers",
	"profile.section.profile":    "Profile",
	"profile.send_code":          "Send code",
	"profile.send_code_item":     "Send a verification code to %s",
	"profile.subtitle":           "Manage your account information.",
	"profile.title":              "Account",
	"profile.verify":             "Verify",
	"profile.verify_code_for":    "Verification code for %s",
	"factor.backup_code.hint":    "Enter one of the backup codes you saved.",
	"factor.email_code.hint":     "Enter the code we emailed you.",
	"factor.enroll.code_hint":    "Then enter the 6-digit code the app shows.",
	"factor.enroll.manual":       "Can't scan it? Enter this key in the app:",
	"factor.enroll.qr_alt":       "QR code to add this account to an authenticator app",
	"factor.enroll.scan":         "Scan this QR code with your authenticator app.",
	"factor.enroll.subtitle":     "Your account needs a second step at sign-in. Set one up to continue.",
	"factor.enroll.title":        "Set up two-step verification",
	"factor.other_methods":       "Other methods",
	"factor.passkey.button":      "Use a passkey",
	"factor.passkey.hint":        "Use the passkey saved on this device, on your phone or on a security key.",
	"factor.password.hint":       "Enter your password.",
	"factor.phone_code.hint":     "Enter the code we texted to your phone.",
	"factor.security_key.button": "Use a security key",
	"factor.security_key.hint":   "Use your security key or one of your passkeys.",
	"factor.subtitle":            "Verify it's you with your second step.",
	"factor.totp.hint":           "Enter the 6-digit code from your authenticator app.",
	"factor.webauthn.create":     "Set up a security key",
	"field.backup_code":          "Backup code",
	"reverify.cancel":            "Cancel",
	"reverify.subtitle":          "For your security, confirm who you are before this change.",
	"reverify.title":             "Verify it's you",
	"signin.passkey.subtitle":    "Use the passkey saved on this device, on your phone or on a security key.",
	"signin.passkey.title":       "Sign in with a passkey",
}

// French is the complete French table.
var French = mergeLocales(frenchCore, frenchMFA, frenchPasskeys, frenchMessages, frenchVerify, frenchOrg, frenchProfile, frenchSignIn)

var frenchCore = Locale{
	"meta.lang": "fr",

	"common.add":           "Ajouter",
	"common.continue":      "Continuer",
	"common.edit":          "Modifier",
	"common.optional":      "Facultatif",
	"common.or":            "ou",
	"common.remove":        "Supprimer",
	"common.resend":        "Renvoyer le code",
	"common.resend_prompt": "Vous n'avez pas reçu de code ?",
	"common.save":          "Enregistrer",

	"field.code":                   "Code de vérification",
	"field.current_password":       "Mot de passe actuel",
	"field.email_address":          "Adresse e-mail",
	"field.first_name":             "Prénom",
	"field.last_name":              "Nom",
	"field.new_password":           "Nouveau mot de passe",
	"field.password":               "Mot de passe",
	"field.phone_number":           "Numéro de téléphone",
	"field.sign_out_other_devices": "Se déconnecter de tous les autres appareils",
	"field.username":               "Nom d'utilisateur",

	"signin.another_method":          "Utiliser une autre méthode",
	"strategy.password":              "Se connecter avec votre mot de passe",
	"strategy.email_code":            "Recevoir un code par e-mail",
	"strategy.email_link":            "Recevoir un lien de connexion par e-mail",
	"strategy.phone_code":            "Recevoir un code par SMS",
	"signin.choose.subtitle":         "Un problème ? Vous pouvez vous connecter avec l'une de ces méthodes.",
	"signin.choose.title":            "Utiliser une autre méthode",
	"signin.code.subtitle":           "Saisissez le code de vérification envoyé à %s.",
	"signin.code.title":              "Consultez votre messagerie",
	"signin.edit_identifier":         "Modifier l'e-mail, le téléphone ou le nom d'utilisateur",
	"signin.forgot_password":         "Mot de passe oublié ?",
	"signin.identifier.label":        "E-mail, téléphone ou nom d'utilisateur",
	"signin.identifier.subtitle":     "Bon retour ! Connectez-vous pour continuer.",
	"signin.identifier.title":        "Se connecter à %s",
	"signin.identifier.title_plain":  "Se connecter",
	"signin.link_sent.resend":        "Renvoyer le lien",
	"signin.link_sent.resend_prompt": "Vous n'avez pas reçu de lien ?",
	"signin.link_sent.subtitle":      "Nous avons envoyé un lien de connexion à %s. Ouvrez-le pour continuer.",
	"signin.link_sent.title":         "Consultez vos e-mails",
	"signin.ticket.subtitle":         "Continuez pour vous connecter avec le lien que vous avez reçu.",
	"signin.link_verified.title":     "Lien vérifié",
	"signin.link_verified.subtitle":  "Votre lien de connexion a été ouvert. Continuez pour terminer la connexion ici.",
	"signin.new_password.submit":     "Réinitialiser le mot de passe",
	"signin.new_password.subtitle":   "Choisissez un mot de passe robuste que vous n'utilisez nulle part ailleurs.",
	"signin.new_password.title":      "Définir un nouveau mot de passe",
	"signin.no_account":              "Vous n'avez pas de compte ?",
	"signin.password.subtitle":       "Saisissez le mot de passe associé à votre compte.",
	"signin.password.title":          "Saisissez votre mot de passe",
	"signin.second_factor.subtitle":  "Saisissez le code de votre application d'authentification.",
	"signin.second_factor.title":     "Vérification en deux étapes",
	"signin.sign_up":                 "S'inscrire",

	"signup.have_account":          "Vous avez déjà un compte ?",
	"signup.honeypot":              "Laissez ce champ vide",
	"signup.legal.and":             "et la",
	"signup.legal.prefix":          "J'accepte les",
	"signup.legal.privacy":         "Politique de confidentialité",
	"signup.legal.terms":           "Conditions d'utilisation",
	"signup.link_sent.subtitle":    "Nous avons envoyé un lien de vérification à %s. Ouvrez-le pour finir de créer votre compte.",
	"signup.link_sent.title":       "Consultez vos e-mails",
	"signup.noscript":              "Activez JavaScript pour vous inscrire : il vérifie rapidement que vous n’êtes pas un robot.",
	"signin.noscript":              "Activez JavaScript pour vous connecter : il vérifie rapidement que vous n’êtes pas un robot.",
	"signup.checking":              "Vérification de votre navigateur…",
	"signup.sign_in":               "Se connecter",
	"signup.subtitle":              "Bienvenue ! Renseignez les informations ci-dessous pour commencer.",
	"signup.title":                 "Créer votre compte %s",
	"signup.title_plain":           "Créer votre compte",
	"signup.verify_email.subtitle": "Saisissez le code de vérification envoyé à %s.",
	"signup.verify_email.title":    "Vérifiez votre adresse e-mail",
	"signup.verify_phone.subtitle": "Saisissez le code de vérification envoyé au %s.",
	"signup.verify_phone.title":    "Vérifiez votre numéro de téléphone",

	"userbutton.add_account":    "Ajouter un compte",
	"userbutton.manage":         "Gérer le compte",
	"userbutton.open":           "Ouvrir le menu du compte de %s",
	"userbutton.other_accounts": "Autres comptes",
	"userbutton.sign_out":       "Se déconnecter",
	"userbutton.sign_out_all":   "Se déconnecter de tous les comptes",
	"userbutton.switch_to":      "Passer à",

	"profile.add_email":          "Ajouter une adresse e-mail",
	"profile.add_phone":          "Ajouter un numéro de téléphone",
	"profile.badge.primary":      "Principale",
	"profile.badge.unverified":   "Non vérifiée",
	"profile.badge.verified":     "Vérifiée",
	"profile.delete.button":      "Supprimer le compte",
	"profile.delete.confirm":     "Supprimer définitivement mon compte",
	"profile.delete.warning":     "Cela supprime votre compte et toutes ses données. Cette action est irréversible.",
	"profile.device.last_active": "Dernière activité : %s",
	"profile.device.name":        "%s sur %s",
	"profile.device.revoke":      "Déconnecter",
	"profile.device.revoke_item": "Déconnecter %s",
	"profile.device.this_device": "Cet appareil",
	"profile.device.unknown":     "Appareil inconnu",
	"profile.image.label":        "Photo de profil",
	"profile.image.remove":       "Supprimer la photo",
	"profile.image.upload":       "Téléverser",
	"profile.make_primary":       "Définir comme principale",
	"profile.make_primary_item":  "Définir %s comme principale",
	"profile.password.set":       "Définir le mot de passe",
	"profile.password.update":    "Modifier le mot de passe",
	"profile.remove_item":        "Supprimer %s",
	"profile.section.danger":     "Zone de danger",
	"profile.section.devices":    "Appareils actifs",
	"profile.section.email":      "Adresses e-mail",
	"profile.section.password":   "Mot de passe",
	"profile.section.phone":      "Numéros de téléphone",
	"profile.section.profile":    "Profil",
	"profile.send_code":          "Envoyer un code",
	"profile.send_code_item":     "Envoyer un code de vérification à %s",
	"profile.subtitle":           "Gérez les informations de votre compte.",
	"profile.title":              "Compte",
	"profile.verify":             "Vérifier",
	"profile.verify_code_for":    "Code de vérification pour %s",
	"factor.backup_code.hint":    "Saisissez l'un des codes de secours que vous avez conservés.",
	"factor.email_code.hint":     "Saisissez le code reçu par e-mail.",
	"factor.enroll.code_hint":    "Puis saisissez le code à 6 chiffres affiché par l'application.",
	"factor.enroll.manual":       "Impossible de le scanner ? Saisissez cette clé dans l'application :",
	"factor.enroll.qr_alt":       "Code QR pour ajouter ce compte à une application d'authentification",
	"factor.enroll.scan":         "Scannez ce code QR avec votre application d'authentification.",
	"factor.enroll.subtitle":     "Votre compte exige une deuxième étape à la connexion. Configurez-en une pour continuer.",
	"factor.enroll.title":        "Configurer la vérification en deux étapes",
	"factor.other_methods":       "Autres méthodes",
	"factor.passkey.button":      "Utiliser une clé d'accès",
	"factor.passkey.hint":        "Utilisez la clé d'accès enregistrée sur cet appareil, sur votre téléphone ou sur une clé de sécurité.",
	"factor.password.hint":       "Saisissez votre mot de passe.",
	"factor.phone_code.hint":     "Saisissez le code reçu par SMS.",
	"factor.security_key.button": "Utiliser une clé de sécurité",
	"factor.security_key.hint":   "Utilisez votre clé de sécurité ou l'une de vos clés d'accès.",
	"factor.subtitle":            "Confirmez votre identité avec votre deuxième étape.",
	"factor.totp.hint":           "Saisissez le code à 6 chiffres de votre application d'authentification.",
	"factor.webauthn.create":     "Configurer une clé de sécurité",
	"field.backup_code":          "Code de secours",
	"reverify.cancel":            "Annuler",
	"reverify.subtitle":          "Par sécurité, confirmez qui vous êtes avant cette modification.",
	"reverify.title":             "Confirmez votre identité",
	"signin.passkey.subtitle":    "Utilisez la clé d'accès enregistrée sur cet appareil, sur votre téléphone ou sur une clé de sécurité.",
	"signin.passkey.title":       "Se connecter avec une clé d'accès",
}

// mergeLocales joins the tables of the kernel's and the plugins' components,
// which live in separate files so that each feature keeps its strings.
func mergeLocales(parts ...Locale) Locale {
	out := Locale{}
	for _, p := range parts {
		maps.Copy(out, p)
	}
	return out
}
