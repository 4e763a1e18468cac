package latch

import (
	"strings"
	"sync"

	"github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// maxUserAgentLength bounds what is stored and parsed of a User-Agent header.
const maxUserAgentLength = 512

// device is what a session records about the browser or app that signed in.
type device struct {
	UserAgent, Browser, OS, DeviceType string
}

// deviceParser parses User-Agent headers with a maintained parser, built on
// first use (it loads a trie of known agents) and shared afterwards.
type deviceParser struct {
	once   sync.Once
	parser *useragent.Parser
}

func (p *deviceParser) parse(ua string) device {
	if len(ua) > maxUserAgentLength {
		ua = ua[:maxUserAgentLength]
	}
	ua = strings.ToValidUTF8(ua, "")
	if ua == "" {
		return device{}
	}
	p.once.Do(func() { p.parser = useragent.NewParser() })
	a := p.parser.Parse(ua)
	d := device{UserAgent: ua, OS: string(a.OS())}
	if b := a.Browser(); b != "" {
		d.Browser = strings.TrimSpace(string(b) + " " + a.BrowserVersionMajor())
	}
	switch a.Device() {
	case agents.DeviceDesktop:
		d.DeviceType = "desktop"
	case agents.DeviceMobile:
		d.DeviceType = "mobile"
	case agents.DeviceTablet:
		d.DeviceType = "tablet"
	case agents.DeviceTV:
		d.DeviceType = "tv"
	case agents.DeviceBot:
		d.DeviceType = "bot"
	}
	return d
}

// describe names a browser and system for people, e.g. "Chrome 131 on
// Linux".
func (p *deviceParser) describe(ua string) string {
	d := p.parse(ua)
	switch {
	case d.Browser != "" && d.OS != "":
		return d.Browser + " on " + d.OS
	case d.Browser != "":
		return d.Browser
	case d.OS != "":
		return d.OS
	}
	return "an unknown device"
}
