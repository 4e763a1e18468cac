package latch

import (
	"net/http"
)

// The sign-in, sign-up and reverification machines never see an
// http.ResponseWriter. They take a flowReq, the plain facts of whoever
// drives the flow (a browser, a native app, a provider's callback), read
// once at the HTTP edge, and record in its effects what must change
// outside the store: the client cookie, the session cookie, the device
// cookie. The edge applies the effects to the response before the first
// byte of it is written (effectWriter), so a step that fails after making
// a client still hands the browser its cookie, as a step that succeeds
// does.

// flowReq is what a flow step knows of the request that drives it.
type flowReq struct {
	// r is the request itself, kept for the strategies (Attempt.Request,
	// for a WebAuthn origin) and for the client cookie it carries.
	r *http.Request
	// ip is the client's address behind trusted proxies, device the
	// description of its user agent ("Firefox 133 on Windows"), locale the
	// language of messages.
	ip, userAgent, device, locale string
	// native is an app that keeps no cookies: its client travels in
	// ClientHeader.
	native bool
	// fx is what the step changed for the edge to apply.
	fx effects
}

// effects are the changes a step makes to what the browser holds; the
// last of each wins, as the browser would keep the last cookie set.
type effects struct {
	client       *clientCookie // set the client cookie (or header)
	sessionToken string        // set the session-token cookie
	rememberUser string        // record on the device cookie that this user signed in
	hasAny       bool
}

func (fx *effects) setClient(c clientCookie) { fx.client, fx.hasAny = &c, true }
func (fx *effects) setSession(token string)  { fx.sessionToken, fx.hasAny = token, true }
func (fx *effects) remember(userID string)   { fx.rememberUser, fx.hasAny = userID, true }

// newFlowReq reads r once for the machines.
func (a *Auth) newFlowReq(r *http.Request) *flowReq {
	return &flowReq{r: r, ip: a.proxies.ClientIP(r), userAgent: r.UserAgent(), device: a.devices.Describe(r.UserAgent()),
		locale: a.language(r), native: isNative(r)}
}

// apply writes rq's effects to w, once; later effects are applied by a
// later call.
func (a *Auth) apply(w http.ResponseWriter, rq *flowReq) error {
	fx := rq.fx
	rq.fx = effects{}
	if !fx.hasAny {
		return nil
	}
	if fx.client != nil {
		if err := a.cookies.setClient(w, rq.r, *fx.client); err != nil {
			return ErrUnavailable.wrap(err)
		}
	}
	if fx.sessionToken != "" {
		a.cookies.setSession(w, fx.sessionToken)
	}
	if fx.rememberUser != "" {
		a.rememberDevice(w, rq.r, fx.rememberUser)
	}
	return nil
}

// drive returns the request value for r and a writer that applies its
// effects before the response starts: the HTTP edge of every handler that
// runs a flow step.
func (a *Auth) drive(w http.ResponseWriter, r *http.Request) (*flowReq, http.ResponseWriter) {
	rq := a.newFlowReq(r)
	return rq, &effectWriter{ResponseWriter: w, a: a, rq: rq}
}

// effectWriter applies a flowReq's effects when the response starts.
type effectWriter struct {
	http.ResponseWriter
	a  *Auth
	rq *flowReq
}

func (ew *effectWriter) flush() {
	if err := ew.a.apply(ew.ResponseWriter, ew.rq); err != nil {
		ew.a.cfg.Logger.ErrorContext(ew.rq.r.Context(), "latch: setting a cookie", "err", err)
	}
}

func (ew *effectWriter) WriteHeader(code int) {
	ew.flush()
	ew.ResponseWriter.WriteHeader(code)
}

func (ew *effectWriter) Write(b []byte) (int, error) {
	ew.flush()
	return ew.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer underneath.
func (ew *effectWriter) Unwrap() http.ResponseWriter { return ew.ResponseWriter }
