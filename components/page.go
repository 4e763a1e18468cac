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
