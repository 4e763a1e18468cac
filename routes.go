package latch

import (
	"net/http"

	"github.com/latchauth/latch/storage"
)

// The table of Handler's routes, the kernel's and the plugins'.

// route is one route of Handler. The table is the single list that the mux,
// the OpenAPI document's test and the README are checked against.
type route struct {
	method, pattern string
	handler         http.HandlerFunc
	signedIn        bool // needs a session; answered 401 otherwise
	// crossSitePost exempts the route from cross-origin protection: only a
	// callback that another site's page POSTs to (an identity provider's
	// form_post or SAML HTTP-POST binding) sets it. Such a request carries
	// no SameSite=Lax cookie, so the route cannot need a session.
	crossSitePost bool
}

func (a *Auth) routes() []route {
	return append(a.kernelRoutes(), a.plugins.routes...)
}

// Routes lists the routes Handler serves, the kernel's and the plugins',
// as "METHOD pattern" (the http.ServeMux form), for an application's
// documentation, logs and tests.
func (a *Auth) Routes() []string {
	rs := a.routes()
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.method + " " + r.pattern
	}
	return out
}

func (a *Auth) kernelRoutes() []route {
	return []route{
		{"GET", "/.well-known/jwks.json", a.serveJWKS, false, false},
		{"GET", "/v1/openapi.json", a.serveOpenAPI, false, false},

		{"GET", "/v1/client", a.serveClient, false, false},
		{"POST", "/v1/client/sessions/{id}/tokens", a.serveSessionToken, false, false},
		{"POST", "/v1/client/sessions/{id}/tokens/{template}", a.serveSessionToken, false, false},
		{"POST", "/v1/client/sessions/{id}/touch", a.serveTouch, false, false},
		{"POST", "/v1/client/sessions/{id}/end", a.serveEnd, false, false},
		{"POST", "/v1/client/sessions/end", a.serveEnd, false, false},
		{"POST", "/v1/tokens/refresh", a.perIP(a.serveRefreshToken), false, false},
		{"POST", "/sign-out", a.serveSignOutForm, false, false},

		{"POST", "/v1/client/sign_ins", a.perIP(startFlow(a, a.startSignIn)), false, false},
		{"GET", "/v1/client/sign_ins/{id}", flowGet(a, flowKindSignIn, a.signInView), false, false},
		{"POST", "/v1/client/sign_ins/{id}/prepare_first_factor", a.perIP(flowStep(a, flowKindSignIn, a.prepareFirstFactor)), false, false},
		{"POST", "/v1/client/sign_ins/{id}/attempt_first_factor", a.perIP(flowStep(a, flowKindSignIn, a.attemptFirstFactor)), false, false},
		{"POST", "/v1/client/sign_ins/{id}/reset_password", a.perIP(flowStep(a, flowKindSignIn, a.resetPassword)), false, false},
		{"POST", "/v1/client/sign_ins/{id}/prepare_second_factor", a.perIP(flowStep(a, flowKindSignIn, a.prepareSecondFactor)), false, false},
		{"POST", "/v1/client/sign_ins/{id}/attempt_second_factor", a.perIP(flowStep(a, flowKindSignIn, a.attemptSecondFactor)), false, false},

		{"POST", "/v1/client/sign_ups", a.perIP(startFlow(a, a.startSignUp)), false, false},
		{"GET", "/v1/client/sign_ups/{id}", flowGet(a, flowKindSignUp, a.signUpView), false, false},
		{"POST", "/v1/client/sign_ups/{id}", a.perIP(flowStep(a, flowKindSignUp, a.updateSignUp)), false, false},
		{"POST", "/v1/client/sign_ups/{id}/prepare_verification", a.perIP(flowStep(a, flowKindSignUp, a.prepareSignUpVerification)), false, false},
		{"POST", "/v1/client/sign_ups/{id}/attempt_verification", a.perIP(flowStep(a, flowKindSignUp, a.attemptSignUpVerification)), false, false},

		{"POST", "/v1/waitlist", a.perIP(a.serveWaitlist), false, false},
		{"GET", "/v1/verify", a.serveVerifyPage, false, false},
		{"GET", stylesheetPath, serveStylesheet, false, false},
		{"GET", webAuthnScriptPath, serveWebAuthnScript, false, false},
		{"GET", userButtonScriptPath, serveUserButtonScript, false, false},
		{"GET", codeScriptPath, serveCodeScript, false, false},
		{"GET", "/sign-in", a.servePortalSignIn, false, false},
		{"POST", "/sign-in", a.perIP(a.servePortalSignInPost), false, false},
		{"GET", "/sign-up", a.servePortalSignUp, false, false},
		{"POST", "/sign-up", a.perIP(a.servePortalSignUpPost), false, false},
		{"GET", "/user", a.servePortalProfile, true, false},
		{"POST", "/user", a.servePortalProfilePost, true, false},
		{"GET", "/reverify", a.servePortalReverify, true, false},
		{"POST", "/reverify", a.perIP(a.servePortalReverifyPost), true, false},
		{"POST", "/v1/switch-session", a.serveSwitchSession, false, false},
		{"GET", "/v1/bot_challenge", a.serveBotChallenge, false, false},
		{"GET", "/v1/pow.js", servePoWScript, false, false},
		{"POST", "/v1/verify", a.perIP(a.serveVerify), false, false},
		{"GET", "/v1/callback/{strategy}", a.serveCallback, false, false},
		{"POST", "/v1/callback/{strategy}", a.serveCallback, false, true},
		{"POST", callbackContinuePath, a.perIP(a.serveCallbackContinue), false, false},
		{"GET", callbackScriptPath, serveCallbackScript, false, false},

		{"GET", "/v1/me", a.serveMe, true, false},
		{"POST", "/v1/me", a.serveMeUpdate, true, false},
		{"POST", "/v1/me/password", a.serveMePassword, true, false},
		{"POST", "/v1/me/email_addresses", a.serveMeAddIdentifier(storage.KindEmailAddress), true, false},
		{"POST", "/v1/me/phone_numbers", a.serveMeAddIdentifier(storage.KindPhoneNumber), true, false},
		{"POST", "/v1/me/identifiers/{id}/prepare_verification", a.serveMeIdentifierPrepare, true, false},
		{"POST", "/v1/me/identifiers/{id}/attempt_verification", a.serveMeIdentifierAttempt, true, false},
		{"POST", "/v1/me/identifiers/{id}/primary", a.serveMeIdentifierPrimary, true, false},
		{"DELETE", "/v1/me/identifiers/{id}", a.serveMeIdentifierDelete, true, false},
		{"POST", "/v1/me/reverification", startFlow(a, a.startReverification), true, false},
		{"GET", "/v1/me/reverification/{id}", flowGet(a, flowKindReverify, a.reverifyView), true, false},
		{"POST", "/v1/me/reverification/{id}/prepare", a.perIP(flowStep(a, flowKindReverify, a.prepareReverification)), true, false},
		{"POST", "/v1/me/reverification/{id}/attempt", a.perIP(flowStep(a, flowKindReverify, a.attemptReverification)), true, false},
		{"GET", "/v1/me/sessions", a.serveMySessions, true, false},
		{"POST", "/v1/me/sessions/{id}/revoke", a.serveRevokeMine, true, false},
	}
}
