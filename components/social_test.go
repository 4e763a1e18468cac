package components

import "github.com/a-h/templ"

// testIcon is a provider's button image, as the sso plugin passes it.
const testIcon = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAyNCAyNCIvPg=="

// socialCases are the sign-in and sign-up pages with social providers'
// buttons (testdata/social_*.html): full-width with icons, and the
// compact row of icons when there are many.
func socialCases() map[string]templ.Component {
	few := []StrategyOption{{Strategy: "oauth_google", Label: "Continue with Google", Icon: testIcon}, {Strategy: "oauth_github", Label: "Continue with GitHub", Icon: testIcon}}
	var many []StrategyOption
	for _, name := range []string{"google", "github", "microsoft", "apple", "discord"} {
		many = append(many, StrategyOption{Strategy: "oauth_" + name, Label: "Continue with " + name, Icon: testIcon})
	}
	signIn := func(s []StrategyOption) templ.Component {
		return SignIn(SignInProps{Step: StepIdentifier, Action: "/auth/sign-in", SignUpURL: "/auth/sign-up", Branding: branding, Strategies: s})
	}
	return map[string]templ.Component{
		"social_signin_icons":   signIn(few),
		"social_signin_compact": signIn(many),
		"social_signup": SignUp(SignUpProps{Action: "/auth/sign-up", Fields: []string{"email_address", "password"}, SignInURL: "/auth/sign-in",
			Branding: branding, Strategies: few, StrategyAction: "/auth/sign-in", StrategyHidden: map[string]string{"redirect_url": "/welcome"}}),
		// An testIcon that is not an image URL is left out, never rendered.
		"social_signin_bad_icon": signIn([]StrategyOption{{Strategy: "oauth_x", Label: "Continue with X", Icon: "javascript:alert(1)"}}),
	}
}
