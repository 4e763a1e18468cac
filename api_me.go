package latch

import (
	"encoding/json"
	"net/http"

	"github.com/latchauth/latch/storage"
)

// The JSON API of the signed-in user's own account (/v1/me).

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

func (a *Auth) serveMySessions(w http.ResponseWriter, r *http.Request) {
	s := SessionFromContext(r.Context())
	ss, err := a.ListUserSessions(r.Context(), s.UserID, s.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": ss})
}

func (a *Auth) serveRevokeMine(w http.ResponseWriter, r *http.Request) {
	me := SessionFromContext(r.Context())
	target, err := a.store.GetSession(r.Context(), r.PathValue("id"))
	if err != nil || target.UserID != me.UserID {
		// Another user's session is as good as nonexistent to this caller.
		writeError(w, ErrNotFound)
		return
	}
	if err := a.RevokeSession(r.Context(), target.ID); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"revoked": true})
}
