package latch

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with err as JSON: {"errors":[{"code","message","field"}]}.
// Anything that is not an *Error is answered as ErrUnavailable, so internals
// never reach the client.
func writeError(w http.ResponseWriter, err error) {
	serveRetryAfter(w, err)
	le := asError(err)
	writeJSON(w, le.Status, map[string]any{"errors": []*Error{le}})
}
