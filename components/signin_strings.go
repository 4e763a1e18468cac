package components

// The strings of the sign-in and sign-up cards' identifier label, code
// boxes, resend countdown and signed-in line.

var englishSignIn = Locale{
	"common.code_sent":   "A new code was sent.",
	"common.resend_wait": "Resend code (%s)",
	"field.code.digit":   "Digit %s of %s",

	"signin.add_account.subtitle":                        "Sign in to another account.",
	"signin.add_account.title":                           "Add an account",
	"signin.identifier.label.email_address":              "Email address",
	"signin.identifier.label.email_address_phone_number": "Email address or phone number",
	"signin.identifier.label.email_address_username":     "Email address or username",
	"signin.identifier.label.phone_number":               "Phone number",
	"signin.identifier.label.phone_number_username":      "Phone number or username",
	"signin.identifier.label.username":                   "Username",
	"signin.link_sent.resent":                            "A new link was sent.",
	"signin.signed_in_as":                                "Signed in as",
}

var frenchSignIn = Locale{
	"common.code_sent":   "Un nouveau code a été envoyé.",
	"common.resend_wait": "Renvoyer le code (%s)",
	"field.code.digit":   "Chiffre %s sur %s",

	"signin.add_account.subtitle":                        "Connectez-vous à un autre compte.",
	"signin.add_account.title":                           "Ajouter un compte",
	"signin.identifier.label.email_address":              "Adresse e-mail",
	"signin.identifier.label.email_address_phone_number": "Adresse e-mail ou numéro de téléphone",
	"signin.identifier.label.email_address_username":     "Adresse e-mail ou nom d'utilisateur",
	"signin.identifier.label.phone_number":               "Numéro de téléphone",
	"signin.identifier.label.phone_number_username":      "Numéro de téléphone ou nom d'utilisateur",
	"signin.identifier.label.username":                   "Nom d'utilisateur",
	"signin.link_sent.resent":                            "Un nouveau lien a été envoyé.",
	"signin.signed_in_as":                                "Connecté en tant que",
}
