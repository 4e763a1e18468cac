package components

func colorScheme(a Appearance) string {
	switch a.ThemeName() {
	case ThemeLight:
		return "light"
	case ThemeDark:
		return "dark"
	}
	return "light dark"
}

// referrer is the page's referrer policy, "same-origin" by default.
func (p PageProps) referrer() string {
	if p.Referrer == "" {
		return "same-origin"
	}
	return p.Referrer
}
