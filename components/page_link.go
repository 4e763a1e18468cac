package components

import "strconv"

// LinkPageProps is the view model of LinkPage.
type LinkPageProps struct {
	Title, Body string
	// Note is a smaller line under the origin.
	Note string
	// From is the browser that asked for the link, when it was opened in
	// another one.
	From *LinkOrigin
	// Action receives "token", "continue" and "confirm".
	Action  string
	Token   string
	Buttons []LinkChoice

	Branding   Branding
	Locale     Locale
	Appearance Appearance
}

// LinkOrigin is where a link was asked for.
type LinkOrigin struct{ Device, IP, At string }

// LinkChoice is one button of LinkPage: Continue is posted as "continue";
// Confirm, when set, is a box that must be ticked first.
type LinkChoice struct {
	Label, Continue, Confirm string
	Secondary                bool
}

func linkConfirmID(i int) string { return "latch-link-confirm-" + strconv.Itoa(i) }
