package latch

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"time"
)

// Strategies that leave for another site and come back (Redirector). The
// kernel owns the way back: one callback route per strategy (so that an
// answer meant for one provider is never taken for another's), a
// single-use state bound to the flow and so to the browser that started
// it, and a second, same-origin step for answers that arrive by a
// cross-site POST (SAML's HTTP-POST binding, Sign in with Apple's
// form_post), which carry no SameSite=Lax cookie: the answer is checked
// and kept server-side, and the browser's own page then continues the
// flow with its client cookie.

const (
	// callbackLifetime bounds the time spent at the provider.
	callbackLifetime = 10 * time.Minute
	// callbackContinuePath is the same-origin step after a cross-site
	// answer.
	callbackContinuePath = "/v1/continue"
	// callbackScriptPath serves the script that takes that step at once.
	callbackScriptPath = "/v1/continue.js"
)

// callbackPurpose is the purpose of the state verifications of strategy.
func callbackPurpose(strategy string) string { return "callback:" + strategy }

// callbackPath is the kernel's callback route of strategy.
func callbackPath(strategy string) string { return "/v1/callback/" + url.PathEscape(strategy) }

// prepareCallback gives a Redirector's attempt its callback URL and a
// fresh single-use state, stored with the flow.
func (a *Auth) prepareCallback(ctx context.Context, s Strategy, at *Attempt) error {
	if _, ok := s.(Redirector); !ok {
		return nil
	}
	name := s.Info().Name
	tok, err := a.newLink(ctx, a.store, callbackPurpose(name), at.FlowID, "", "", callbackLifetime, nil)
	if err != nil {
		return err
	}
	at.CallbackState, at.CallbackURL = tok, a.link(callbackPath(name))
	at.ExpiresAt = a.now().Add(callbackLifetime)
	return nil
}

// serveCallback takes a provider's answer for the strategy in the path,
// by GET or by a cross-site POST. It spends the state, lets the strategy
// check the answer, and keeps what it proves with the flow. When the
// request carries the client cookie of the browser that started the flow
// (a top-level GET does), the flow goes on at once; otherwise (a
// cross-site POST, whose SameSite=Lax cookie stays home) a page of this
// origin continues it.
func (a *Auth) serveCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("strategy")
	s, _ := a.strategy(name, FirstFactor).(Redirector)
	if s == nil {
		a.renderCallback(w, http.StatusNotFound, callbackPage{Title: "Not found", Body: "There is no such sign-in method."})
		return
	}
	state := r.FormValue("state")
	if state == "" {
		state = r.FormValue("RelayState")
	}
	v, err := a.consumeLink(ctx, state, callbackPurpose(name))
	if err != nil {
		a.renderCallbackError(w, http.StatusBadRequest, "", ErrFlowExpired)
		return
	}
	f, err := readFlow[signInState](ctx, a, v.FlowID)
	if err != nil || f.rec.Kind != flowKindSignIn || !a.now().Before(f.rec.ExpiresAt) {
		a.renderCallbackError(w, http.StatusBadRequest, "", ErrFlowExpired)
		return
	}
	st := &f.state
	if f.rec.Status != SignInNeedsFirstFactor || st.First == nil || st.First.Strategy != name || st.First.Status != factorUnverified {
		a.renderCallbackError(w, http.StatusConflict, f.state.RedirectURL, ErrFlowStep)
		return
	}
	at := a.signInAttempt(f, r, name)
	at.CallbackURL = a.link(callbackPath(name)) // the redirect_uri the code was issued for
	proof, err := s.Callback(ctx, at, r)
	if err == nil && (proof == nil || (proof.UserID == "" && proof.Identity == nil) || (st.UserID != "" && proof.UserID != st.UserID)) {
		err = ErrCodeIncorrect
	}
	if err != nil {
		a.noteFailure(ctx, r, "sign_in.failed", st.UserID, name, err)
		st.First.Attempts++
		st.First.Status, st.First.State, st.First.External = factorFailed, nil, ""
		if serr := f.saveIn(ctx, a, a.store, SignInNeedsFirstFactor); serr != nil {
			err = serr
		}
		a.renderCallbackError(w, asError(err).Status, st.RedirectURL, err)
		return
	}
	if proof.Identity != nil {
		if verr := proof.Identity.validate(); verr != nil {
			a.renderCallbackError(w, http.StatusBadGateway, st.RedirectURL, verr)
			return
		}
		proof.Identity.Provider = name
	}
	st.First.Proof, st.First.State, st.First.External = proof, nil, ""
	if err := f.saveIn(ctx, a, a.store, SignInNeedsFirstFactor); err != nil {
		a.renderCallbackError(w, asError(err).Status, st.RedirectURL, err)
		return
	}
	if client := a.requestClient(ctx, r); client != "" && client == f.rec.ClientID {
		a.continueCallback(w, r, f)
		return
	}
	a.renderCallback(w, http.StatusOK, callbackPage{Title: "Continue to " + a.cfg.AppName, Body: "Press the button to finish signing in.",
		Action: callbackContinuePath, SignInID: f.rec.ID, Button: "Continue", Script: callbackScriptPath})
}

// serveCallbackContinue is the same-origin step after a cross-site answer:
// the flow is read for the client cookie this request carries, so only the
// browser that started it continues it.
func (a *Auth) serveCallbackContinue(w http.ResponseWriter, r *http.Request) {
	f, err := loadFlow[signInState](r.Context(), a, r, flowKindSignIn, r.PostFormValue("sign_in_id"))
	if err != nil {
		a.renderCallbackError(w, http.StatusBadRequest, "", ErrFlowExpired.WithMessage("This sign-in was started in another browser, or has expired. Start again here."))
		return
	}
	a.continueCallback(w, r, f)
}

// continueCallback passes the first factor whose proof a callback kept,
// then sends the browser where the flow goes next: the app, the sign-in
// page (a second factor), or the sign-up page (fields still missing).
func (a *Auth) continueCallback(w http.ResponseWriter, r *http.Request, f *flow[signInState]) {
	ctx := r.Context()
	rq, w := a.drive(w, r)
	st := &f.state
	if f.rec.Status != SignInNeedsFirstFactor || st.First == nil || st.First.Proof == nil {
		a.renderCallbackError(w, http.StatusConflict, st.RedirectURL, ErrFlowStep)
		return
	}
	si, err := a.passFirstFactor(ctx, rq, f, st.First.Strategy, st.First.Proof)
	if err != nil {
		a.renderCallbackError(w, asError(err).Status, st.RedirectURL, err)
		return
	}
	redirect := st.RedirectURL
	switch {
	case si.Status == SignInComplete:
		if redirect == "" {
			redirect = "/"
		}
	case si.SignUpID != "":
		q := url.Values{"sign_up_id": {si.SignUpID}}
		if redirect != "" {
			q.Set("redirect_url", redirect)
		}
		redirect = a.cfg.Session.SignUpURL + "?" + q.Encode()
	default:
		if si.Status == SignInNeedsSecondFactor && si.SecondFactorVerification == nil {
			a.askSecondFactor(ctx, rq, si.ID)
		}
		redirect = a.signInPageURL(si.ID, redirect)
	}
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// callbackPage is the page a callback answers with when it cannot send
// the browser on at once.
type callbackPage struct {
	Title, Body                  string
	Action, SignInID, Button     string // the form that continues, if any
	Script, RetryURL, RetryLabel string
}

var callbackTemplate = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.4rem;background:#2f3cff;color:#fff;cursor:pointer}</style>
{{with .Script}}<script src="{{.}}" defer></script>{{end}}</head>
<body><h1>{{.Title}}</h1><p>{{.Body}}</p>
{{if .Action}}<form method="post" action="{{.Action}}" id="latch-continue"><input type="hidden" name="sign_in_id" value="{{.SignInID}}">
<noscript><button type="submit">{{.Button}}</button></noscript></form>{{end}}
{{with .RetryURL}}<p><a href="{{.}}">{{$.RetryLabel}}</a></p>{{end}}
</body></html>`))

// callbackScript submits the continue form as soon as the page loads; the
// <noscript> button does it without scripts.
const callbackScript = `document.getElementById("latch-continue").submit();`

func serveCallbackScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(callbackScript))
}

func (a *Auth) renderCallback(w http.ResponseWriter, status int, p callbackPage) {
	writeStandalonePage(w, status, "script-src 'self'", callbackTemplate, p)
}

// renderCallbackError tells the browser what went wrong, in the words of
// the kernel's errors (never a provider's), with a way to start again.
func (a *Auth) renderCallbackError(w http.ResponseWriter, status int, redirect string, err error) {
	retry := a.cfg.Session.SignInURL
	if redirect != "" {
		retry += "?redirect_url=" + url.QueryEscape(redirect)
	}
	a.renderCallback(w, status, callbackPage{Title: "Sign-in did not finish", Body: asError(err).Message, RetryURL: retry, RetryLabel: "Start again"})
}

// errIdentityInvalid: a strategy returned an identity without issuer or
// subject, which can be neither found nor linked.
var errIdentityInvalid = ErrUnavailable.WithMessage("The sign-in provider's answer was incomplete.")

func (id *Identity) validate() error {
	if id.Issuer == "" || id.Subject == "" {
		return errIdentityInvalid
	}
	return nil
}

// leaveTemplate sends the browser on to a provider from the answer to the
// sign-in form. A redirect would do it, but browsers hold the redirect of a
// form submission to the page's form-action ('self'), which a provider's
// origin is not; a page that refreshes to the provider (and links to it,
// for a browser that does not refresh) is a navigation of its own.
var leaveTemplate = template.Must(template.New("leave").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url={{.}}"><title>Continue to sign in</title></head>
<body><p><a id="latch-leave" href="{{.}}">Continue to sign in</a></p></body></html>`))

func (a *Auth) renderLeave(w http.ResponseWriter, external string) {
	writeStandalonePage(w, http.StatusOK, "", leaveTemplate, external)
}
