package components

import (
	"context"
	_ "embed"
	"html"
	"io"
	"strings"

	"github.com/a-h/templ"
)

//go:embed latch.css
var stylesheet string

// CSS returns the default stylesheet, for the kernel to serve (with a
// long cache lifetime) at the URL it puts in PageProps.StylesheetURL.
func CSS() string { return stylesheet }

// Stylesheet renders a <link rel="stylesheet"> to href, where the kernel
// serves CSS.
func Stylesheet(href string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		u := string(templ.URL(href))
		_, err := io.WriteString(w, `<link rel="stylesheet" href="`+html.EscapeString(u)+`">`)
		return err
	})
}

// StylesheetInline renders the default stylesheet in a <style> element, with
// the CSP nonce from templ.WithNonce when one is set.
func StylesheetInline() templ.Component {
	return styleElement(stylesheet)
}

func styleElement(css string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		open := "<style>"
		if n := templ.GetNonce(ctx); n != "" {
			open = `<style nonce="` + html.EscapeString(n) + `">`
		}
		_, err := io.WriteString(w, open+css+"</style>")
		return err
	})
}

// Themes, the values of Appearance.Theme.
const (
	ThemeAuto  = "auto"
	ThemeLight = "light"
	ThemeDark  = "dark"
)

// Appearance restyles the components. Theme picks light, dark or "auto"
// (follow prefers-color-scheme, the default). Every other field sets the CSS
// custom property named beside it; empty keeps the stylesheet's default, and
// a value with characters unsafe in CSS is dropped.
type Appearance struct {
	Theme string

	ColorPrimary     string // --latch-color-primary
	ColorPrimaryText string // --latch-color-primary-text (text on primary)
	ColorBackground  string // --latch-color-background (page)
	ColorSurface     string // --latch-color-surface (card)
	ColorText        string // --latch-color-text
	ColorTextMuted   string // --latch-color-text-muted
	ColorBorder      string // --latch-color-border
	ColorDanger      string // --latch-color-danger
	ColorSuccess     string // --latch-color-success
	BorderRadius     string // --latch-border-radius
	FontFamily       string // --latch-font-family
	FontSize         string // --latch-font-size (base size)
	Spacing          string // --latch-spacing (the 4px unit)
}

// ThemeName returns Theme normalised to ThemeLight, ThemeDark or ThemeAuto.
func (a Appearance) ThemeName() string {
	switch strings.ToLower(strings.TrimSpace(a.Theme)) {
	case ThemeLight:
		return ThemeLight
	case ThemeDark:
		return ThemeDark
	default:
		return ThemeAuto
	}
}

// Variables returns the sanitised custom property declarations, in a fixed
// order, such as "--latch-color-primary:#4f46e5".
func (a Appearance) Variables() []string {
	pairs := [...][2]string{
		{"color-primary", a.ColorPrimary},
		{"color-primary-text", a.ColorPrimaryText},
		{"color-background", a.ColorBackground},
		{"color-surface", a.ColorSurface},
		{"color-text", a.ColorText},
		{"color-text-muted", a.ColorTextMuted},
		{"color-border", a.ColorBorder},
		{"color-danger", a.ColorDanger},
		{"color-success", a.ColorSuccess},
		{"border-radius", a.BorderRadius},
		{"font-family", a.FontFamily},
		{"font-size", a.FontSize},
		{"spacing", a.Spacing},
	}
	var out []string
	for _, p := range pairs {
		if v, ok := SanitizeCSSValue(p[1]); ok {
			out = append(out, "--latch-"+p[0]+":"+v)
		}
	}
	return out
}

// Style renders a <style> element setting the custom properties on :root, or
// nothing when no variable is set.
func (a Appearance) Style() templ.Component {
	vars := a.Variables()
	if len(vars) == 0 {
		return templ.NopComponent
	}
	return styleElement(":root{" + strings.Join(vars, ";") + "}")
}

// SanitizeCSSValue trims v and reports whether it is safe to place in a CSS
// declaration: only letters, digits, spaces and # % . , ( ) - + * / _ ' " !,
// with balanced quotes and parentheses, and no url(), expression(),
// image-set(), @ or comments. Empty values are rejected.
func SanitizeCSSValue(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 200 {
		return "", false
	}
	depth, dq, sq := 0, 0, 0
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune(" #%.,-+*/_!", r):
		case r == '"':
			dq++
		case r == '\'':
			sq++
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth < 0 {
				return "", false
			}
		default:
			return "", false
		}
	}
	if depth != 0 || dq%2 != 0 || sq%2 != 0 {
		return "", false
	}
	l := strings.ToLower(v)
	for _, bad := range []string{"url(", "expression(", "image(", "image-set(", "/*", "*/", "!important"} {
		if strings.Contains(l, bad) {
			return "", false
		}
	}
	return v, true
}
