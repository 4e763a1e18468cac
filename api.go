package latch

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/latchauth/latch/storage"
)

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

// openAPI is the kernel's part of the served OpenAPI document; New adds
// the plugins' fragments to it (host_openapi.go).
//
//go:embed openapi.json
var openAPI []byte

func (a *Auth) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(a.plugins.openAPI)
}

// decode reads the request's parameters into v: a JSON body, or an HTML
// form (application/x-www-form-urlencoded), so that the same handlers serve
// the JSON API and plain forms that work without JavaScript. Bodies are
// bounded in size.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "" && r.ContentLength == 0 {
		return nil // no body: a step that takes no parameters
	}
	switch ct {
	case "application/json":
		d := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFlowBodyBytes))
		if err := d.Decode(v); err != nil && !errors.Is(err, io.EOF) {
			return ErrInvalid.WithMessage("The request body is not valid JSON.").wrap(err)
		}
		return nil
	case "application/x-www-form-urlencoded":
		r.Body = http.MaxBytesReader(w, r.Body, maxFlowBodyBytes)
		if err := r.ParseForm(); err != nil {
			return ErrInvalid.WithMessage("The form could not be read.").wrap(err)
		}
		// Each field once, as the JSON value it stands for: checkboxes
		// ("on") and "true"/"false" are booleans, everything else a string.
		m := make(map[string]any, len(r.PostForm))
		for k, vs := range r.PostForm {
			switch val := vs[0]; val {
			case "on", "true":
				m[k] = true
			case "false":
				m[k] = false
			default:
				m[k] = val
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			return ErrInvalid.wrap(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			return ErrInvalid.WithMessage("A form field has the wrong form.").wrap(err)
		}
		return nil
	}
	return ErrInvalid.WithMessage("Send a JSON body or an HTML form.")
}

// respond answers with v, or with err.
func respond[T any](w http.ResponseWriter, v T, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// NativeTokens give a native app (NativeHeader) the session token and a
// refresh token of a completed flow, since it keeps no cookies. They are
// empty for browsers.
type NativeTokens struct {
	SessionToken string `json:"session_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

func (t *NativeTokens) tokens() *NativeTokens { return t }

// flowView is the answer of a flow's step: a SignIn or a SignUp.
type flowView interface {
	createdSession() string
	tokens() *NativeTokens
}

// respondFlow answers a flow step with its view, adding the tokens a
// native app needs once the flow has created a session.
func (a *Auth) respondFlow(w http.ResponseWriter, r *http.Request, v flowView, err error) {
	if err == nil && v.createdSession() != "" && isNative(r) {
		err = a.nativeTokens(r, v.createdSession(), v.tokens())
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *Auth) nativeTokens(r *http.Request, sessionID string, t *NativeTokens) error {
	s, err := a.store.GetSession(r.Context(), sessionID)
	if err != nil {
		return storageError(err)
	}
	sess, err := a.mint(r.Context(), s)
	if err != nil {
		return err
	}
	t.SessionToken = sess.Token
	t.RefreshToken, err = a.NewRefreshToken(r.Context(), sessionID)
	return err
}

// startFlow serves the creation of a flow: decode p, start.
func startFlow[P any, V flowView](a *Auth, start func(context.Context, *flowReq, P) (V, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p P
		if err := decode(w, r, &p); err != nil {
			writeError(w, err)
			return
		}
		rq, w := a.drive(w, r)
		v, err := start(r.Context(), rq, p)
		a.respondFlow(w, r, v, err)
	}
}

// flowStep serves one step of a stored flow of this browser: decode p,
// load the flow named by {id}, run the step.
func flowStep[S, P any, V flowView](a *Auth, kind string, step func(context.Context, *flowReq, *flow[S], P) (V, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p P
		if err := decode(w, r, &p); err != nil {
			writeError(w, err)
			return
		}
		f, err := loadFlow[S](r.Context(), a, r, kind, r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		rq, w := a.drive(w, r)
		v, err := step(r.Context(), rq, f, p)
		a.respondFlow(w, r, v, err)
	}
}

// flowGet serves the current state of a stored flow of this browser.
func flowGet[S any, V flowView](a *Auth, kind string, view func(*flow[S]) V) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := loadFlow[S](r.Context(), a, r, kind, r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, view(f))
	}
}

// serveMe answers the signed-in user's own account, without its private
// metadata (ownView).
func (a *Auth) serveMe(w http.ResponseWriter, r *http.Request) {
	u, err := a.GetUser(r.Context(), SessionFromContext(r.Context()).UserID)
	respond(w, ownView(u), err)
}

// serveMeUpdate changes the signed-in user's names, username and unsafe
// metadata. Public and private metadata are the back end's to write
// (UpdateUserMetadata): a request that tries is refused, not half applied.
func (a *Auth) serveMeUpdate(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Username        *string         `json:"username"`
		FirstName       *string         `json:"first_name"`
		LastName        *string         `json:"last_name"`
		UnsafeMetadata  json.RawMessage `json:"unsafe_metadata"`
		PublicMetadata  json.RawMessage `json:"public_metadata"`
		PrivateMetadata json.RawMessage `json:"private_metadata"`
	}
	if err := decode(w, r, &p); err != nil {
		writeError(w, err)
		return
	}
	for field, v := range map[string]json.RawMessage{"public_metadata": p.PublicMetadata, "private_metadata": p.PrivateMetadata} {
		if v != nil {
			writeError(w, ErrForbidden.WithField(field).WithMessage("Only the application can change this; you may change unsafe_metadata."))
			return
		}
	}
	u, err := a.updateOwnUser(r.Context(), SessionFromContext(r.Context()).UserID,
		UpdateUserParams{Username: p.Username, FirstName: p.FirstName, LastName: p.LastName}, p.UnsafeMetadata)
	respond(w, u, err)
}

func (a *Auth) serveMePassword(w http.ResponseWriter, r *http.Request) {
	var p ChangePasswordParams
	if err := decode(w, r, &p); err != nil {
		writeError(w, err)
		return
	}
	err := a.changePassword(r.Context(), SessionFromContext(r.Context()), a.language(r), p)
	respond(w, map[string]bool{"password_changed": true}, err)
}

func (a *Auth) serveMeAddIdentifier(kind storage.IdentifierKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			EmailAddress string `json:"email_address"`
			PhoneNumber  string `json:"phone_number"`
		}
		if err := decode(w, r, &p); err != nil {
			writeError(w, err)
			return
		}
		v := p.EmailAddress
		if kind == storage.KindPhoneNumber {
			v = p.PhoneNumber
		}
		i, err := a.addOwnIdentifier(r.Context(), SessionFromContext(r.Context()), kind, v, a.language(r))
		respond(w, i, err)
	}
}

func (a *Auth) serveMeIdentifierPrepare(w http.ResponseWriter, r *http.Request) {
	err := a.prepareIdentifierVerification(r.Context(), SessionFromContext(r.Context()), r.PathValue("id"), a.language(r))
	respond(w, map[string]bool{"sent": true}, err)
}

func (a *Auth) serveMeIdentifierAttempt(w http.ResponseWriter, r *http.Request) {
	var p AttemptParams
	if err := decode(w, r, &p); err != nil {
		writeError(w, err)
		return
	}
	i, err := a.attemptIdentifierVerification(r.Context(), SessionFromContext(r.Context()), r.PathValue("id"), p.Code, a.language(r))
	respond(w, i, err)
}

func (a *Auth) serveMeIdentifierPrimary(w http.ResponseWriter, r *http.Request) {
	err := a.changeOwnIdentifier(r.Context(), SessionFromContext(r.Context()), r.PathValue("id"), false)
	respond(w, map[string]bool{"primary": true}, err)
}

func (a *Auth) serveMeIdentifierDelete(w http.ResponseWriter, r *http.Request) {
	err := a.changeOwnIdentifier(r.Context(), SessionFromContext(r.Context()), r.PathValue("id"), true)
	respond(w, map[string]bool{"deleted": true}, err)
}
