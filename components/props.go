package components

import (
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// FieldError is one validation message. Field names the form field it belongs
// to (the input's name, e.g. "email_address"); an empty Field is a general
// message about the whole form.
type FieldError struct {
	Field   string
	Message string
}

// Errors is the list of messages a form shows. SignIn and SignUp show each
// message once: a field's own beneath that field, the others (general
// ones, and those of a field the step does not show) in a summary with
// role="alert".
type Errors []FieldError

// except returns the errors of e that belong to none of fields: what a
// step's summary shows when fields show their own messages.
func (e Errors) except(fields ...string) Errors {
	var out Errors
	for _, fe := range e {
		if fe.Field == "" || !slices.Contains(fields, fe.Field) {
			out = append(out, fe)
		}
	}
	return out
}

// For returns the message for field, or "" when it has none.
func (e Errors) For(field string) string {
	for _, fe := range e {
		if fe.Field == field && field != "" {
			return fe.Message
		}
	}
	return ""
}

// Messages returns every message, general ones first, in order.
func (e Errors) Messages() []string {
	var out []string
	for _, fe := range e {
		if fe.Field == "" && fe.Message != "" {
			out = append(out, fe.Message)
		}
	}
	for _, fe := range e {
		if fe.Field != "" && fe.Message != "" {
			out = append(out, fe.Message)
		}
	}
	return out
}

// Branding is the application's name and logo shown at the top of the card.
type Branding struct {
	AppName string
	// LogoURL is an image URL; empty shows the app name only. The logo
	// is shown 32 px high (its width follows its aspect ratio), its
	// alternative text is AppName.
	LogoURL string
	// LogoDarkURL, when set, is shown instead of LogoURL in the dark
	// theme (Appearance.Theme "dark", or "auto" when the system prefers
	// dark).
	LogoDarkURL string
}

// StrategyOption is one way to sign in that the user can choose, such as
// "email_code" or "oauth_google", with its display label.
type StrategyOption struct {
	Strategy string
	Label    string
	// Icon is the URL of the button's image (a social provider's logo, as
	// a data: URL of an SVG), or "" for the label alone.
	Icon string
}

// iconSrc is a strategy's icon URL for an <img>: an image data: URL, a
// path, or an https: URL (an <img> runs no script, whatever it shows).
func iconSrc(u string) templ.SafeURL {
	switch {
	case strings.HasPrefix(u, "data:image/"), strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//"):
		return templ.SafeURL(u)
	}
	return ""
}

// compactStrategies is how many strategies with icons the pages show as
// full-width buttons; more make a row of icon buttons.
const compactStrategies = 3

// compact reports whether strategies show as a row of icons.
func compact(strategies []StrategyOption) bool {
	if len(strategies) <= compactStrategies {
		return false
	}
	for _, s := range strategies {
		if iconSrc(s.Icon) == "" {
			return false
		}
	}
	return true
}

// Sign-in steps, the values of SignInProps.Step.
const (
	StepIdentifier     = "identifier"
	StepPassword       = "password"
	StepCode           = "code"
	StepLinkSent       = "link_sent"
	StepChooseStrategy = "choose_strategy"
	StepNewPassword    = "new_password"
	StepSecondFactor   = "second_factor"
	StepPasskey        = "passkey"
	StepLinkVerified   = "link_verified"
	// StepTicket is the landing of a sign-in token's link: one button
	// posts the token (intent "ticket", from Hidden["ticket"]); nothing
	// is asked, the token names the user.
	StepTicket = "ticket"
)

// Sign-up steps, the values of SignUpProps.Step. StepLinkSent is shared.
const (
	StepForm   = "form"
	StepVerify = "verify"
)

// SignInProps is the view model of SignIn.
//
// Every form posts to Action with a hidden "intent" field naming what the user
// asked for: "identifier", "password", "code", "new_password",
// "second_factor", "resend", "forgot_password", "choose_strategy" (show the
// list of methods), "use_strategy" (with a "strategy" field) or "ticket"
// (a sign-in token).
type SignInProps struct {
	// Step is one of the Step* constants; empty means StepIdentifier.
	Step string
	// Action is the URL every sign-in form posts to.
	Action string
	// Identifier is the email, phone or username being signed in.
	Identifier string
	// Identifiers are the kinds of identifier the identifier step takes,
	// among "email_address", "phone_number" and "username": they pick the
	// field's label ("Email address", "Email address or username", …),
	// type and autocomplete. Empty means all three.
	Identifiers []string
	// Strategies are the alternative methods: social buttons on the
	// identifier step and the list on the choose_strategy step.
	Strategies []StrategyOption
	Errors     Errors
	// Hidden fields (such as a CSRF token) added to every form, sorted by name.
	Hidden map[string]string
	// SignUpURL is linked from the identifier step; empty hides the link.
	SignUpURL string
	// RestartURL is the "edit" link beside the identifier; empty hides it.
	RestartURL string
	// Factor is the factor asked for on the second-factor and passkey
	// steps; Strategies then lists the other second factors.
	Factor *FactorForm
	// PasskeyStartURL, when set, adds "Sign in with a passkey" (intent
	// "passkey") and lets the WebAuthn script offer passkeys in the
	// identifier's autofill, starting a sign-in at this JSON API URL.
	PasskeyStartURL string
	// PoWChallenge, when set, adds a proof of work to the identifier step
	// (a hidden "bot_token" input carrying the challenge in
	// data-latch-pow, and a Continue button that waits for the answer);
	// PoWScriptURL is the script that solves it. For apps that check
	// sign-ins for bots.
	PoWChallenge string
	PoWScriptURL string
	// ScriptURL is the code script (CodeScript), loaded with the page's
	// CSP nonce: it turns a one-time code's field into digit boxes and
	// counts down before "Resend code" may be pressed. Empty leaves the
	// plain field and an enabled button.
	ScriptURL string
	// Notice is a confirmation shown in a role="status" region, such as
	// "A new code was sent."
	Notice string
	// SignedInAs, on the identifier step, names the account this browser
	// is already signed in to: the step becomes "Add an account", with a
	// line linking ContinueURL to go on as that account instead.
	SignedInAs  string
	ContinueURL string
	Branding    Branding
	// Locale is the string table; nil means English.
	Locale     Locale
	Appearance Appearance
}

// SignUpProps is the view model of SignUp.
//
// Forms post to Action with an "intent" of "sign_up", "verify" or "resend".
type SignUpProps struct {
	// Step is StepForm (default), StepVerify or StepLinkSent.
	Step   string
	Action string
	// Fields lists the fields to ask for among "email_address",
	// "phone_number", "username", "first_name", "last_name" and "password".
	// They render in that canonical order (names first, password last).
	Fields []string
	// Optional lists fields marked "Optional" and not required.
	Optional []string
	// Values holds what the user typed, redisplayed on error; passwords are
	// never redisplayed.
	Values map[string]string
	// Legal adds a required "I agree" checkbox (name "legal_accepted")
	// linking TermsURL and PrivacyURL.
	Legal      bool
	TermsURL   string
	PrivacyURL string
	// PoWChallenge, when set, adds a hidden "bot_token" input carrying the
	// challenge in data-latch-pow; PoWScriptURL is the script that solves it.
	PoWChallenge string
	PoWScriptURL string
	// VerifyField is the field being verified on StepVerify or StepLinkSent
	// ("email_address" or "phone_number"); Identifier is its value.
	VerifyField string
	Identifier  string
	Errors      Errors
	Hidden      map[string]string
	// Strategies are the providers a new user may sign up with (social
	// buttons above the form, on the form step): each posts intent
	// "use_strategy" to StrategyAction (the sign-in page), with
	// StrategyHidden.
	Strategies     []StrategyOption
	StrategyAction string
	StrategyHidden map[string]string
	// SignInURL is linked from the form step; empty hides the link.
	SignInURL string
	// ScriptURL and Notice are those of SignInProps.
	ScriptURL string
	Notice    string
	// SignedInAs, on the form step, names the account this browser is
	// already signed in to, with a line linking ContinueURL.
	SignedInAs  string
	ContinueURL string
	Branding    Branding
	Locale      Locale
	Appearance  Appearance
}

// UserSummary is one signed-in account as shown by UserButton.
type UserSummary struct {
	// SessionID identifies the session; UserButton posts it as "session_id"
	// to SwitchAction for other accounts.
	SessionID string
	Name      string
	Email     string
	// ImageURL is the avatar; empty shows initials.
	ImageURL string
}

// UserButtonProps is the view model of UserButton. Its forms post Hidden plus,
// for switching, a "session_id" field.
type UserButtonProps struct {
	User UserSummary
	// ManageAccountURL links to the profile page; empty hides the link.
	ManageAccountURL string
	// SignOutAction signs out the current session.
	SignOutAction string
	// Items are further entries of the menu, after the account link: the
	// plugins' pages, or whole components (an organization switcher).
	Items []MenuEntry
	// MultiSession shows Others, AddAccountURL and SignOutAllAction.
	MultiSession bool
	// Others are the other signed-in accounts on this device.
	Others           []UserSummary
	SwitchAction     string
	AddAccountURL    string
	SignOutAllAction string
	// ScriptURL, when set, loads the script (UserButtonScript) that closes
	// the menu on a click outside it and on Escape, focus back on the
	// button; without it the menu still opens and closes by its button.
	ScriptURL string
	// StylesheetURL, when set, links the stylesheet before the button,
	// for pages that do not link it in their <head>.
	StylesheetURL string
	Hidden        map[string]string
	Locale        Locale
	Appearance    Appearance
}

// MenuEntry is one entry of the UserButton's menu: a link (Label, URL), or,
// when Component is set, that component in place of the link.
type MenuEntry struct {
	Label     string
	URL       string
	Component templ.Component
	// Icon names the icon beside Label: "settings", "user", "shield",
	// "plus", "sign-out"; empty or unknown is a neutral one.
	Icon string
}

// iconName is the entry's icon, a neutral one by default.
func (m MenuEntry) iconName() string {
	if _, ok := iconPaths[m.Icon]; ok {
		return m.Icon
	}
	return "item"
}

// Contact is one email address or phone number on a user's profile.
type Contact struct {
	ID       string
	Value    string
	Primary  bool
	Verified bool
}

// ContactActions are the URLs the forms of an email or phone section post
// to. Per-row forms post an "id" field; Verify adds "code"; Add posts
// "email_address" or "phone_number". An empty URL hides that control.
type ContactActions struct {
	Add         string
	MakePrimary string
	Remove      string
	// Resend sends (again) a verification code to an unverified row.
	Resend string
	Verify string
}

// Device is one active session shown on the profile. The kernel formats
// LastActive for display.
type Device struct {
	ID         string
	Browser    string
	OS         string
	IP         string
	Location   string
	LastActive string
	// LastActiveAt, when set, is LastActive as a machine-readable
	// <time datetime>.
	LastActiveAt time.Time
	Mobile       bool
	// Current marks the session viewing the page; it cannot be revoked here.
	Current bool
}

// UserProfileProps is the view model of UserProfile. Every mutation is its own
// small form posting Hidden plus its fields to its own URL; an empty URL hides
// the control. A code error for an unverified email or phone uses the field
// "code:" + Contact.ID.
type UserProfileProps struct {
	FirstName string
	LastName  string
	ImageURL  string
	// UpdateProfileAction receives "first_name" and "last_name".
	UpdateProfileAction string
	// UploadImageAction receives a multipart "image" file; RemoveImageAction
	// removes it.
	UploadImageAction string
	RemoveImageAction string

	Emails       []Contact
	EmailActions ContactActions
	Phones       []Contact
	PhoneActions ContactActions

	// HasPassword asks for "current_password" before "new_password".
	HasPassword bool
	// PasswordAction receives "current_password", "new_password" and
	// "sign_out_other_devices"; empty hides the password section.
	PasswordAction string

	Devices []Device
	// RevokeDeviceAction receives "id".
	RevokeDeviceAction string

	// DeleteAccountAction shows the danger zone.
	DeleteAccountAction string

	// Extra sections that plugins render (two-factor, passkeys, …), each
	// placed after the built-in ones (in the Security pane, with
	// navigation).
	Extra []templ.Component

	// TabURL, when set, splits the page into panes with a side navigation
	// linking TabURL+key (e.g. "/user?tab="): Profile (name, image,
	// addresses), Security (password, Extra, devices, deleting the
	// account), then Tabs; only the pane named by Tab is shown. Empty
	// shows every section on one page.
	TabURL string
	// Tab is the current pane: TabProfile (the default), TabSecurity or a
	// Tabs key.
	Tab string
	// Tabs are further panes plugins add (organizations, billing).
	Tabs []ProfileTab
	// HomeURL, when set, is a "Back to AppName" link to the application.
	HomeURL string
	AppName string

	// Notice is a success message shown with role="status".
	Notice     string
	Errors     Errors
	Hidden     map[string]string
	Locale     Locale
	Appearance Appearance
}

// PageProps is the view model of Page, the document around hosted pages.
type PageProps struct {
	// Title is the document title.
	Title string
	// StylesheetURL links the default stylesheet, served by the kernel. When
	// empty the stylesheet is inlined instead.
	StylesheetURL string
	// ScriptURLs are scripts of this origin loaded with defer (the WebAuthn
	// ceremonies).
	ScriptURLs []string
	// Head is extra content for <head>, such as a favicon link.
	Head templ.Component
	// Referrer is the referrer policy of the page's <meta name="referrer">;
	// default "same-origin". A page whose URL holds a secret sets
	// "no-referrer".
	Referrer   string
	Locale     Locale
	Appearance Appearance
}

// hiddenFields returns the hidden fields sorted by name.
func hiddenFields(h map[string]string) [][2]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, h[k]}
	}
	return out
}

// initials returns up to two uppercase initials from a name, or the first
// letter of an email.
func initials(name, email string) string {
	src := strings.TrimSpace(name)
	if src == "" {
		src = strings.TrimSpace(email)
		if src == "" {
			return "?"
		}
		for _, r := range src {
			return strings.ToUpper(string(r))
		}
	}
	var out []rune
	for _, w := range strings.Fields(src) {
		for _, r := range w {
			out = append(out, r)
			break
		}
		if len(out) == 2 {
			break
		}
	}
	return strings.ToUpper(string(out))
}

// displayName is the name to show for an account, falling back to its email.
func displayName(u UserSummary) string {
	if strings.TrimSpace(u.Name) != "" {
		return u.Name
	}
	return u.Email
}

func fullName(first, last string) string {
	return strings.TrimSpace(first + " " + last)
}

// errID is the id of the element holding a field's error message.
func errID(inputID string) string { return inputID + "-error" }

// ReverifyProps is the view model of Reverify.
type ReverifyProps struct {
	// Action is the URL the forms post to.
	Action string
	// Factors are the ways the user can verify (their second factors, or
	// their first factors when they have none).
	Factors []StrategyOption
	// Factor is the chosen one; nil shows the list. A Factor with
	// Strategy "password" asks for the password.
	Factor *FactorForm
	// CancelURL goes back without verifying; empty hides the link.
	CancelURL string
	Errors    Errors
	Hidden    map[string]string
	// ScriptURL is that of SignInProps: a code's field becomes digit
	// boxes, and "Resend code" counts down.
	ScriptURL  string
	Branding   Branding
	Locale     Locale
	Appearance Appearance
}
