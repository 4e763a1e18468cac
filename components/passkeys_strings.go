package components

// The strings of the passkeys plugin's components.

var englishPasskeys = Locale{}

var frenchPasskeys = Locale{}
