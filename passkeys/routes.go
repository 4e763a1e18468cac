package passkeys

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// View is a credential as the JSON API shows it: never its key or ID at
// the authenticator.
type View struct {
	ID     string `json:"id"`
	Object string `json:"object"` // "passkey"
	Name   string `json:"name"`
	// Kind is KindPasskey or KindSecurityKey.
	Kind       string     `json:"kind"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// BackupEligible says the credential may be synced between devices
	// (by a password manager); BackedUp that it is.
	BackupEligible bool     `json:"backup_eligible"`
	BackedUp       bool     `json:"backed_up"`
	Transports     []string `json:"transports"`
}

func viewOf(c *storage.Credential) View {
	v := View{ID: c.ID, Object: "passkey", Name: c.Name, Kind: c.Kind, CreatedAt: c.CreatedAt, BackupEligible: c.BackupEligible,
		BackedUp: c.BackupState, Transports: c.Transports}
	if v.Transports == nil {
		v.Transports = []string{}
	}
	if !c.LastUsedAt.IsZero() {
		t := c.LastUsedAt
		v.LastUsedAt = &t
	}
	return v
}

// Registration is a registration begun: the options to pass to
// navigator.credentials.create and the ID that finishes it.
type Registration struct {
	ID      string          `json:"id"`
	Object  string          `json:"object"` // "passkey_registration"
	Kind    string          `json:"kind"`
	Options json.RawMessage `json:"options"`
}

// openAPI documents the routes, for the served OpenAPI document.
//
//go:embed openapi.json
var openAPI []byte

// routes lists the JSON API and the account page's form route, all for
// the signed-in user.
func (p *Plugin) routes() []latch.Route {
	return []latch.Route{
		{Method: "GET", Pattern: "/v1/me/passkeys", Handler: p.serveList},
		{Method: "POST", Pattern: "/v1/me/passkeys", Handler: p.serveBegin},
		{Method: "POST", Pattern: "/v1/me/passkeys/attempt_registration", Handler: p.serveFinish},
		{Method: "POST", Pattern: "/v1/me/passkeys/{id}", Handler: p.serveRename},
		{Method: "DELETE", Pattern: "/v1/me/passkeys/{id}", Handler: p.serveRemove},
		{Method: "POST", Pattern: formPath, Handler: p.serveForm},
	}
}

// enrollment is the Attempt of a registration from the account: bound to
// the session, so that only the session that began it can finish it.
func enrollment(r *http.Request, s *latch.Session) *latch.Attempt {
	return &latch.Attempt{Purpose: latch.PurposeEnrollment, FlowID: s.ID, UserID: s.UserID, Request: r}
}

func (p *Plugin) serveList(w http.ResponseWriter, r *http.Request) {
	s := latch.SessionFromContext(r.Context())
	creds, err := p.h.Store().ListCredentials(r.Context(), s.UserID)
	views := make([]View, 0, len(creds))
	for _, c := range creds {
		views = append(views, viewOf(c))
	}
	p.h.Respond(w, map[string]any{"passkeys": views}, err)
}

// BeginParams begins a registration.
type BeginParams struct {
	// Kind is KindPasskey (the default) or KindSecurityKey.
	Kind string `json:"kind"`
}

func (p *Plugin) serveBegin(w http.ResponseWriter, r *http.Request) {
	if !p.h.Reverified(w, r, latch.ReverificationWindow) {
		return
	}
	var in BeginParams
	if err := p.h.Decode(w, r, &in); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	reg, err := p.begin(r, in.Kind)
	p.h.Respond(w, reg, err)
}

// begin starts a registration of kind for the session of r.
func (p *Plugin) begin(r *http.Request, kind string) (*Registration, error) {
	if kind == "" {
		kind = KindPasskey
	}
	if !isKind(kind) {
		return nil, latch.ErrParamInvalid.WithMessage(`The kind is "passkey" or "security_key".`).WithField("kind")
	}
	options, id, err := p.beginRegistration(r.Context(), enrollment(r, latch.SessionFromContext(r.Context())), kind)
	if err != nil {
		return nil, err
	}
	return &Registration{ID: id, Object: "passkey_registration", Kind: kind, Options: options}, nil
}

// FinishParams finishes a registration.
type FinishParams struct {
	// ID is Registration.ID.
	ID string `json:"id"`
	// Credential is navigator.credentials.create's result as JSON (an
	// object, or a string holding one when a form posts it).
	Credential json.RawMessage `json:"credential"`
	// Name is the user's name for it; empty names it by its kind.
	Name string `json:"name"`
	// Kind, when given, must be the kind the registration was begun as.
	Kind string `json:"kind"`
}

func (p *Plugin) serveFinish(w http.ResponseWriter, r *http.Request) {
	if !p.h.Reverified(w, r, latch.ReverificationWindow) {
		return
	}
	var in FinishParams
	if err := p.h.Decode(w, r, &in); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	c, err := p.finish(w, r, in)
	if err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	p.h.Respond(w, viewOf(c), nil)
}

// finish stores the credential of a registration begun by the session of
// r. Creating a credential proves the user holds it, so the session records
// a second factor verified now (and w gets its renewed token).
func (p *Plugin) finish(w http.ResponseWriter, r *http.Request, in FinishParams) (*storage.Credential, error) {
	s := latch.SessionFromContext(r.Context())
	c, err := p.finishRegistration(r.Context(), enrollment(r, s), registration{Challenge: in.ID, Credential: in.Credential, Name: in.Name, Kind: in.Kind})
	if err != nil {
		return nil, err
	}
	if err := p.h.MarkSecondFactor(r.Context(), w, s); err != nil {
		return nil, err
	}
	return c, nil
}

// own returns a credential of the session's user; another user's is not
// found, as if it did not exist.
func (p *Plugin) own(ctx context.Context, s *latch.Session, id string) (*storage.Credential, error) {
	c, err := p.h.Store().GetCredential(ctx, id)
	if err != nil || c.UserID != s.UserID {
		return nil, latch.ErrNotFound
	}
	return c, nil
}

// RenameParams renames a credential.
type RenameParams struct {
	Name string `json:"name"`
}

func (p *Plugin) serveRename(w http.ResponseWriter, r *http.Request) {
	if !p.h.Reverified(w, r, latch.ReverificationWindow) {
		return
	}
	var in RenameParams
	if err := p.h.Decode(w, r, &in); err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	c, err := p.rename(r.Context(), latch.SessionFromContext(r.Context()), r.PathValue("id"), in.Name)
	if err != nil {
		p.h.Respond(w, nil, err)
		return
	}
	p.h.Respond(w, viewOf(c), nil)
}

func (p *Plugin) rename(ctx context.Context, s *latch.Session, id, name string) (*storage.Credential, error) {
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	var c *storage.Credential
	err = p.h.InTx(ctx, func(t *latch.Tx) error {
		var err error
		if c, err = t.GetCredential(ctx, id); err != nil || c.UserID != s.UserID {
			return latch.ErrNotFound
		}
		c.Name, c.UpdatedAt = name, p.h.Now()
		if err := t.RenameCredential(ctx, c.ID, name, c.UpdatedAt); err != nil {
			return storageErr(err)
		}
		return t.Emit(ctx, EventPasskeyUpdated, s.UserID, viewOf(c))
	})
	return c, err
}

func (p *Plugin) serveRemove(w http.ResponseWriter, r *http.Request) {
	if !p.h.Reverified(w, r, latch.ReverificationWindow) {
		return
	}
	err := p.remove(r, latch.SessionFromContext(r.Context()), r.PathValue("id"))
	p.h.Respond(w, map[string]bool{"deleted": true}, err)
}

// remove deletes a credential, unless it is the last second factor of a
// user a policy requires to keep one. Counting the credentials left and
// deleting happen in one transaction that holds the user (lockUser), so
// that two removals at once cannot both see another credential left.
func (p *Plugin) remove(r *http.Request, s *latch.Session, id string) error {
	ctx := r.Context()
	c, err := p.own(ctx, s, id)
	if err != nil {
		return err
	}
	u, err := p.h.Store().GetUser(ctx, s.UserID)
	if err != nil {
		return storageErr(err)
	}
	required, err := p.h.SecondFactorRequired(ctx, u)
	if err != nil {
		return err
	}
	others := false // another kind of second factor (an authenticator app; backup codes do not count)
	if required {
		names, err := p.h.OtherSecondFactors(ctx, s.UserID, StrategySecurityKey)
		if err != nil {
			return err
		}
		others = len(names) > 0
	}
	for range maxRemoveRetries {
		stale := false
		err = p.h.InTx(ctx, func(t *latch.Tx) error {
			if required && !others {
				var err error
				if stale, err = lockUser(ctx, t, s.UserID); err != nil {
					return err
				}
				creds, err := t.ListCredentials(ctx, s.UserID)
				if err != nil {
					return err
				}
				if len(creds) <= 1 {
					return ErrLastSecondFactor
				}
			}
			if err := t.DeleteCredential(ctx, c.ID); err != nil {
				return storageErr(err)
			}
			return t.Emit(ctx, EventPasskeyDeleted, s.UserID, map[string]string{"id": c.ID, "object": "passkey"})
		})
		if !stale {
			break
		}
		err = latch.ErrConflict
	}
	if err != nil {
		return err
	}
	p.notify(ctx, r, s.UserID, latch.MessageFactorRemoved, c)
	return nil
}

// maxRemoveRetries bounds how often remove starts again after a concurrent
// removal by the same user: each round lets at least one through.
const maxRemoveRetries = 8

// lockUser takes the user's row for the rest of t's transaction, by a
// version-checked write of the user that changes nothing but its Version:
// a concurrent transaction locking the same user waits for t to end and,
// if t committed, fails with ErrStale, which lockUser reports as stale for
// the caller to start again. Counting a user's credentials and deleting one
// is safe only under that lock: PostgreSQL runs transactions at read
// committed, where two removals would each count the credential that the
// other is deleting.
func lockUser(ctx context.Context, t *latch.Tx, userID string) (stale bool, err error) {
	u, err := t.GetUser(ctx, userID)
	if err != nil {
		return false, storageErr(err)
	}
	if err := t.UpdateUser(ctx, u); errors.Is(err, storage.ErrStale) {
		return true, err
	} else if err != nil {
		return false, storageErr(err)
	}
	return false, nil
}
