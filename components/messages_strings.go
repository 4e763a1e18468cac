package components

// The kernel's emails and text messages: per kind, "message.<kind>.subject"
// and "message.<kind>.text" are text/template sources, "message.<kind>.html"
// (optional) an html/template source, all executed with the kernel's
// MessageData; "message.continue" labels the button of a link in the
// default HTML layout, "message.link_fallback" introduces the link spelled
// out below it. They sit in the same tables as the components'
// strings so that a language is one table: pages, the link landing page
// and mails.

var englishMessages = Locale{
	"message.continue":                    "Continue",
	"message.link_fallback":               "If the button does not work, paste this link into your browser:",
	"message.sign_in_code.subject":        "{{.Code}} is your {{.AppName}} code",
	"message.sign_in_code.text":           "Your {{.AppName}} sign-in code is {{.Code}}. It expires in 10 minutes. If you did not try to sign in, ignore this message.",
	"message.sign_in_link.subject":        "Sign in to {{.AppName}}",
	"message.sign_in_link.text":           "Open this link to sign in to {{.AppName}}:\n\n{{.Link}}\n\n{{if .Device}}It was asked for from {{.Device}}. {{end}}It expires in 10 minutes and works once. If you did not try to sign in, ignore this message.",
	"message.reset_password_code.subject": "{{.Code}} is your {{.AppName}} password reset code",
	"message.reset_password_code.text":    "Your code to reset your {{.AppName}} password is {{.Code}}. It expires in 10 minutes. If you did not ask for it, ignore this message: your password has not changed.",
	"message.reset_password_link.subject": "Reset your {{.AppName}} password",
	"message.reset_password_link.text":    "Open this link to choose a new {{.AppName}} password:\n\n{{.Link}}\n\n{{if .Device}}It was asked for from {{.Device}}. {{end}}It expires in 10 minutes. If you did not ask for it, ignore this message: your password has not changed.",
	"message.verification_code.subject":   "{{.Code}} is your {{.AppName}} verification code",
	"message.verification_code.text":      "Your {{.AppName}} verification code is {{.Code}}. It expires in 10 minutes.",
	"message.verification_link.subject":   "Verify your email address for {{.AppName}}",
	"message.verification_link.text":      "Open this link to verify your email address:\n\n{{.Link}}\n\n{{if .Device}}It was asked for from {{.Device}}. {{end}}It expires in 10 minutes.",
	"message.account_exists.subject":      "You already have a {{.AppName}} account",
	"message.account_exists.text":         "Someone tried to create a {{.AppName}} account with this address, which already has one. If it was you, sign in instead: {{.Link}}\nIf it was not you, ignore this message.",
	"message.password_changed.subject":    "Your {{.AppName}} password was changed",
	"message.password_changed.text":       "The password of your {{.AppName}} account was just changed. If this was not you, reset your password now and contact support.",
	"message.email_address_added.subject": "A new email address was added to your {{.AppName}} account",
	"message.email_address_added.text":    "{{.Email}} was added to your {{.AppName}} account. If this was not you, remove it and change your password.",
	"message.new_sign_in.subject":         "New sign-in to your {{.AppName}} account",
	"message.new_sign_in.text":            "Your {{.AppName}} account was signed in to from a new device: {{.Device}}. If this was not you, change your password and sign out of your other sessions.",
	"message.factor_added.subject":        "A sign-in method was added to your {{.AppName}} account",
	"message.factor_added.text":           "{{.Factor}} was added to your {{.AppName}} account. If this was not you, remove it, change your password and sign out of your other sessions.",
	"message.factor_removed.subject":      "A sign-in method was removed from your {{.AppName}} account",
	"message.factor_removed.text":         "{{.Factor}} was removed from your {{.AppName}} account. If this was not you, change your password and sign out of your other sessions now.",
	"message.backup_code_used.subject":    "A backup code was used on your {{.AppName}} account",
	"message.backup_code_used.text":       "One of your {{.AppName}} backup codes was just used to sign in. {{.Factor}} If this was not you, change your password and generate new backup codes.",
	"message.code_guesses.subject":        "Someone is trying codes on your {{.AppName}} account",
	"message.code_guesses.text":           "Many wrong {{.Factor}} were just entered for your {{.AppName}} account. To protect it, each further attempt now has to wait. If this was not you, someone may be trying to get in: keep your codes to yourself, and if you use a password, make sure it is strong and used nowhere else. A browser you have signed in on before is not slowed down.",
	"message.invitation.subject":          "You are invited to {{.AppName}}",
	"message.invitation.text":             "You have been invited to join {{.AppName}}. Create your account here:\n\n{{.Link}}\n\nThe invitation works once.",
}

var frenchMessages = Locale{
	"message.continue":                    "Continuer",
	"message.link_fallback":               "Si le bouton ne fonctionne pas, collez ce lien dans votre navigateur :",
	"message.sign_in_code.subject":        "{{.Code}} est votre code {{.AppName}}",
	"message.sign_in_code.text":           "Votre code de connexion {{.AppName}} est {{.Code}}. Il expire dans 10 minutes. Si vous n'avez pas essayé de vous connecter, ignorez ce message.",
	"message.sign_in_link.subject":        "Connexion à {{.AppName}}",
	"message.sign_in_link.text":           "Ouvrez ce lien pour vous connecter à {{.AppName}} :\n\n{{.Link}}\n\n{{if .Device}}Il a été demandé depuis {{.Device}}. {{end}}Il expire dans 10 minutes et ne sert qu'une fois. Si vous n'avez pas essayé de vous connecter, ignorez ce message.",
	"message.reset_password_code.subject": "{{.Code}} est votre code de réinitialisation {{.AppName}}",
	"message.reset_password_code.text":    "Votre code pour réinitialiser votre mot de passe {{.AppName}} est {{.Code}}. Il expire dans 10 minutes. Si vous ne l'avez pas demandé, ignorez ce message : votre mot de passe n'a pas changé.",
	"message.reset_password_link.subject": "Réinitialisez votre mot de passe {{.AppName}}",
	"message.reset_password_link.text":    "Ouvrez ce lien pour choisir un nouveau mot de passe {{.AppName}} :\n\n{{.Link}}\n\n{{if .Device}}Il a été demandé depuis {{.Device}}. {{end}}Il expire dans 10 minutes. Si vous ne l'avez pas demandé, ignorez ce message : votre mot de passe n'a pas changé.",
	"message.verification_code.subject":   "{{.Code}} est votre code de vérification {{.AppName}}",
	"message.verification_code.text":      "Votre code de vérification {{.AppName}} est {{.Code}}. Il expire dans 10 minutes.",
	"message.verification_link.subject":   "Vérifiez votre adresse e-mail pour {{.AppName}}",
	"message.verification_link.text":      "Ouvrez ce lien pour vérifier votre adresse e-mail :\n\n{{.Link}}\n\n{{if .Device}}Il a été demandé depuis {{.Device}}. {{end}}Il expire dans 10 minutes.",
	"message.account_exists.subject":      "Vous avez déjà un compte {{.AppName}}",
	"message.account_exists.text":         "Quelqu'un a essayé de créer un compte {{.AppName}} avec cette adresse, qui en a déjà un. Si c'était vous, connectez-vous plutôt : {{.Link}}\nSinon, ignorez ce message.",
	"message.password_changed.subject":    "Votre mot de passe {{.AppName}} a été modifié",
	"message.password_changed.text":       "Le mot de passe de votre compte {{.AppName}} vient d'être modifié. Si ce n'était pas vous, réinitialisez-le maintenant et contactez le support.",
	"message.email_address_added.subject": "Une nouvelle adresse a été ajoutée à votre compte {{.AppName}}",
	"message.email_address_added.text":    "{{.Email}} a été ajoutée à votre compte {{.AppName}}. Si ce n'était pas vous, retirez-la et changez votre mot de passe.",
	"message.new_sign_in.subject":         "Nouvelle connexion à votre compte {{.AppName}}",
	"message.new_sign_in.text":            "Votre compte {{.AppName}} a été utilisé depuis un nouvel appareil : {{.Device}}. Si ce n'était pas vous, changez votre mot de passe et déconnectez vos autres sessions.",
	"message.factor_added.subject":        "Une méthode de connexion a été ajoutée à votre compte {{.AppName}}",
	"message.factor_added.text":           "{{.Factor}} a été ajouté à votre compte {{.AppName}}. Si ce n'était pas vous, retirez-le, changez votre mot de passe et déconnectez vos autres sessions.",
	"message.factor_removed.subject":      "Une méthode de connexion a été retirée de votre compte {{.AppName}}",
	"message.factor_removed.text":         "{{.Factor}} a été retiré de votre compte {{.AppName}}. Si ce n'était pas vous, changez votre mot de passe et déconnectez vos autres sessions maintenant.",
	"message.backup_code_used.subject":    "Un code de secours a été utilisé sur votre compte {{.AppName}}",
	"message.backup_code_used.text":       "L'un de vos codes de secours {{.AppName}} vient de servir à vous connecter. {{.Factor}} Si ce n'était pas vous, changez votre mot de passe et générez de nouveaux codes.",
	"message.code_guesses.subject":        "Quelqu'un essaie des codes sur votre compte {{.AppName}}",
	"message.code_guesses.text":           "De nombreux {{.Factor}} erronés viennent d'être saisis pour votre compte {{.AppName}}. Pour le protéger, chaque nouvelle tentative doit désormais attendre. Si ce n'était pas vous, quelqu'un essaie peut-être d'y entrer : gardez vos codes pour vous et, si vous utilisez un mot de passe, choisissez-le solide et unique. Un navigateur sur lequel vous vous êtes déjà connecté n'est pas ralenti.",
	"message.invitation.subject":          "Vous êtes invité·e sur {{.AppName}}",
	"message.invitation.text":             "Vous êtes invité·e à rejoindre {{.AppName}}. Créez votre compte ici :\n\n{{.Link}}\n\nL'invitation ne sert qu'une fois.",
}
