package components

// The strings of the mfa plugin's components.

var englishMFA = Locale{}

var frenchMFA = Locale{}
