package sso

import (
	"embed"
	"encoding/base64"
)

// icons are the presets' button images (see icons/LICENSE.md).
//
//go:embed icons/*.svg
var icons embed.FS

// presetIcon is the bundled icon of a preset (or the generic one).
func presetIcon(name string) string {
	b, err := icons.ReadFile("icons/" + name + ".svg")
	if err != nil {
		b, _ = icons.ReadFile("icons/generic.svg")
	}
	return string(b)
}

// iconURL is an SVG document as a data: URL, for an <img> (which runs no
// script an SVG may hold).
func iconURL(svg string) string {
	if svg == "" {
		return ""
	}
	return "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(svg))
}
