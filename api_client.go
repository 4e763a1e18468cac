package latch

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/latchauth/latch/storage"
)

// The JSON API of the browser's client and its sessions: tokens, touch,
// sign-out, refresh tokens, and the JWKS.

func (a *Auth) serveJWKS(w http.ResponseWriter, r *http.Request) {
	b, err := a.JWKS(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, _ = w.Write(b)
}

func (a *Auth) serveClient(w http.ResponseWriter, r *http.Request) {
	ss, err := a.ClientSessions(r.Context(), r)
	if err != nil {
		writeError(w, err)
		return
	}
	active := ""
	if s := SessionFromContext(r.Context()); s != nil {
		active = s.ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": ss, "last_active_session_id": active})
}

func (a *Auth) serveSessionToken(w http.ResponseWriter, r *http.Request) {
	if err := a.limitSessionTokens(r); err != nil {
		writeError(w, err)
		return
	}
	s, err := a.clientSession(r, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	var jwt string
	if name := r.PathValue("template"); name != "" {
		jwt, err = a.TemplateToken(r.Context(), name, s.ID)
	} else {
		var sess *Session
		if sess, err = a.mint(r.Context(), s); err == nil {
			jwt = sess.Token
		}
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"jwt": jwt})
}

// clientSession returns a live session of the browser of r, proving the
// browser holds it with the client cookie.
func (a *Auth) clientSession(r *http.Request, sid string) (*storage.Session, error) {
	cc, ok := a.cookies.readClient(r)
	if !ok {
		return nil, ErrSignedOut
	}
	c, s, err := a.store.GetClientSession(r.Context(), cc.ClientID, sid)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrSignedOut.wrap(err)
	}
	if err != nil {
		// An outage is not a sign-out: a client told "signed out" would
		// drop its session.
		return nil, storageError(err)
	}
	if !secretMatches(cc.Secret, c.SecretHash) || !a.live(s) || a.revoked.has(s.ID) {
		return nil, ErrSignedOut
	}
	return s, nil
}

func (a *Auth) serveTouch(w http.ResponseWriter, r *http.Request) {
	s, err := a.SetActiveSession(r.Context(), w, r, r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": s.ID, "jwt": s.Token})
}

func (a *Auth) serveEnd(w http.ResponseWriter, r *http.Request) {
	if err := a.SignOut(r.Context(), w, r, r.PathValue("id")); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"signed_out": true})
}

func (a *Auth) serveSignOutForm(w http.ResponseWriter, r *http.Request) {
	// Without a session_id, "sign out" ends the active session only; every
	// session of the browser ends with ?all=1.
	sid := r.PostFormValue("session_id")
	if s := SessionFromContext(r.Context()); sid == "" && s != nil && r.URL.Query().Get("all") != "1" {
		sid = s.ID
	}
	if err := a.SignOut(r.Context(), w, r, sid); err != nil {
		writeError(w, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *Auth) serveRefreshToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		writeError(w, ErrInvalid)
		return
	}
	jwt, rt, err := a.RefreshWithToken(r.Context(), in.RefreshToken)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"jwt": jwt, "refresh_token": rt})
}
