package latch

import (
	htmltemplate "html/template"
	"strings"

	"github.com/latchauth/latch/components"
)

// mailLayout is the HTML part of every email whose template has no HTML of
// its own: the text's paragraphs in a card under the logo (or the app's
// name), the code set large, a link as a button with the address spelled
// out below it for clients that drop buttons. Tables and inline styles,
// because that is what the common mail clients render alike; the light
// scheme only, so that a client's dark mode does not half-invert it.
// __LANG__, __CONTINUE__ and __FALLBACK__ are replaced with the language's
// tag and strings before parsing.
const mailLayout = `<!doctype html>
<html lang="__LANG__"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light"><meta name="supported-color-schemes" content="light"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:0;background-color:#f4f4f5">
{{with paragraphs .Text .Link}}<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">{{index . 0}}</div>{{end}}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f5"><tr><td align="center" style="padding:32px 16px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:520px;background-color:#ffffff;border:1px solid #e4e4e7;border-radius:8px">
<tr><td style="padding:32px 32px 0 32px;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif">{{if .LogoURL}}<img src="{{.LogoURL}}" alt="{{.AppName}}" height="40" style="display:block;height:40px;width:auto;border:0;outline:none;text-decoration:none">{{else}}<p style="margin:0;font-size:18px;line-height:24px;font-weight:600;color:#18181b">{{.AppName}}</p>{{end}}</td></tr>
<tr><td style="padding:24px 32px 32px 32px;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:24px;color:#18181b">
{{$parts := split .Text .Link}}{{range $parts.Before}}<p style="margin:0 0 16px 0">{{lines .}}</p>
{{end}}{{if .Code}}<p style="margin:8px 0 24px 0;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:32px;line-height:40px;letter-spacing:6px;font-weight:700;color:#18181b">{{.Code}}</p>
{{end}}{{if .Link}}<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px 0"><tr><td bgcolor="#2f3cff" style="border-radius:6px;background-color:#2f3cff"><a href="{{.Link}}" style="display:inline-block;padding:12px 24px;font-size:16px;line-height:20px;font-weight:600;color:#ffffff;text-decoration:none;border-radius:6px">__CONTINUE__</a></td></tr></table>
{{end}}{{range $parts.After}}<p style="margin:0 0 16px 0">{{lines .}}</p>
{{end}}{{if .Link}}<p style="margin:0;font-size:13px;line-height:20px;color:#52525b">__FALLBACK__<br><a href="{{.Link}}" style="color:#2f3cff;word-break:break-all">{{.Link}}</a></p>
{{end}}</td></tr></table>
<p style="margin:16px 0 0 0;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:12px;line-height:16px;color:#71717a">{{.AppName}}</p>
</td></tr></table>
</body></html>`

// mailFuncs are the functions an HTML message template may use besides
// html/template's own: paragraphs splits a text at its blank lines,
// leaving out a paragraph that is only the link (the layout shows it as a
// button); split does the same in two parts, the paragraphs before the
// link's and those after it (all before, when the link is inside a
// paragraph or there is none); lines renders one paragraph with its line
// breaks kept.
var mailFuncs = htmltemplate.FuncMap{
	"paragraphs": func(text, link string) []string {
		s := splitText(text, link)
		return append(s.Before, s.After...)
	},
	"split": splitText,
	"lines": func(p string) htmltemplate.HTML {
		ls := strings.Split(p, "\n")
		for i, l := range ls {
			ls[i] = htmltemplate.HTMLEscapeString(l)
		}
		return htmltemplate.HTML(strings.Join(ls, "<br>"))
	},
}

// textParts are a text's paragraphs around the one that is its link.
type textParts struct{ Before, After []string }

func splitText(text, link string) textParts {
	var out textParts
	seen := false
	for _, p := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		switch p = strings.TrimSpace(p); {
		case p == "":
		case link != "" && p == link:
			seen = true
		case seen:
			out.After = append(out.After, p)
		default:
			out.Before = append(out.Before, p)
		}
	}
	return out
}

// layoutFor is the default HTML layout in the language of table.
func layoutFor(table components.Locale) string {
	esc := htmltemplate.HTMLEscapeString
	return strings.NewReplacer(
		"__LANG__", esc(components.T(table, "meta.lang")),
		"__CONTINUE__", esc(components.T(table, "message.continue")),
		"__FALLBACK__", esc(components.T(table, "message.link_fallback")),
	).Replace(mailLayout)
}

// mailLogo is the logo as an absolute URL, as a mail client needs it: a
// path is taken on BaseURL; anything but http(s) is left out.
func (a *Auth) mailLogo() string {
	l := a.cfg.UI.LogoURL
	switch {
	case strings.HasPrefix(l, "https://"), strings.HasPrefix(l, "http://"):
		return l
	case strings.HasPrefix(l, "/") && !strings.HasPrefix(l, "//"):
		return strings.TrimSuffix(a.cfg.BaseURL, "/") + l
	}
	return ""
}
