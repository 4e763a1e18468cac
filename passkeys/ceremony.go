package passkeys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/components"
	"github.com/latchauth/latch/storage"
)

// ceremony is what a challenge keeps server-side between the options and
// the answer: go-webauthn's session (the challenge itself, the RP ID, the
// user verification asked for, the credentials allowed) and, for a
// registration, the kind asked for and the user it is for.
type ceremony struct {
	Session webauthn.SessionData `json:"session"`
	Kind    string               `json:"kind,omitempty"`
	UserID  string               `json:"user_id,omitempty"`
}

// attemptState is what a strategy keeps in Attempt.State: only the ID of
// the challenge, so that nothing of the ceremony is in the flow.
type attemptState struct {
	Challenge string `json:"challenge"`
}

func challengeOf(state json.RawMessage) string {
	var st attemptState
	if len(state) == 0 || json.Unmarshal(state, &st) != nil {
		return ""
	}
	return st.Challenge
}

// store keeps c as a single-use challenge of at's flow and returns its ID.
func (p *Plugin) store(ctx context.Context, at *latch.Attempt, c ceremony) (string, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return p.h.NewChallenge(ctx, at, data, challengeTTL)
}

// redeem consumes the challenge id of at's flow: of concurrent callers
// exactly one gets it, and nobody after it expired.
func (p *Plugin) redeem(ctx context.Context, at *latch.Attempt, id string) (*ceremony, error) {
	if id == "" {
		return nil, errExpired
	}
	data, err := p.h.ConsumeChallenge(ctx, at, id)
	if err != nil {
		return nil, asExpired(err)
	}
	var c ceremony
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, errExpired
	}
	return &c, nil
}

// beginRegistration returns the creation options of a new credential of
// kind for at.UserID and the ID of the challenge that finishes it.
//
// A passkey must be discoverable (it names its user at sign-in) and verify
// the user (so that it is two factors on its own); a security key is a
// second factor, which a key without a PIN may be, and need not take a
// slot of the key's small storage for discoverable credentials.
func (p *Plugin) beginRegistration(ctx context.Context, at *latch.Attempt, kind string) (json.RawMessage, string, error) {
	u, creds, err := p.user(ctx, at.UserID)
	if err != nil {
		return nil, "", err
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, c := range creds {
		wc := toWebAuthn(c)
		exclude = append(exclude, wc.Descriptor())
	}
	sel := protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
		RequireResidentKey: protocol.ResidentKeyRequired(), UserVerification: protocol.VerificationRequired}
	opts := []webauthn.RegistrationOption{
		// An authenticator the user already registered says so instead of
		// making a second credential.
		webauthn.WithExclusions(exclude),
		// Nothing here checks attestation statements (there is no
		// metadata service): asking for none spares users the browser's
		// privacy prompt.
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	}
	if kind == KindSecurityKey {
		sel = protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementDiscouraged,
			RequireResidentKey: protocol.ResidentKeyNotRequired(), UserVerification: protocol.VerificationDiscouraged}
		opts = append(opts, webauthn.WithPublicKeyCredentialHints([]protocol.PublicKeyCredentialHints{protocol.PublicKeyCredentialHintSecurityKey}))
	}
	opts = append(opts, webauthn.WithAuthenticatorSelection(sel))
	creation, session, err := p.wa.BeginRegistration(u, opts...)
	if err != nil {
		return nil, "", err
	}
	id, err := p.store(ctx, at, ceremony{Session: *session, Kind: kind, UserID: at.UserID})
	if err != nil {
		return nil, "", err
	}
	options, err := json.Marshal(creation)
	return options, id, err
}

// registration is a finished registration's input: the answer to the
// creation options, the name the user gave, and the kind they asked for
// ("" for whichever the registration was begun as).
type registration struct {
	Challenge  string
	Credential json.RawMessage
	Name       string
	Kind       string
}

// finishRegistration checks the new credential against the challenge and
// stores it for at.UserID.
func (p *Plugin) finishRegistration(ctx context.Context, at *latch.Attempt, reg registration) (*storage.Credential, error) {
	parsed, err := parseAttestation(reg.Credential)
	if err != nil {
		return nil, err
	}
	c, err := p.redeem(ctx, at, reg.Challenge)
	if err != nil {
		return nil, err
	}
	if c.UserID != at.UserID || !isKind(c.Kind) {
		return nil, errExpired
	}
	if reg.Kind != "" && reg.Kind != c.Kind {
		// The options asked for the other kind: a "passkey" made without
		// user verification must not be recorded as one.
		return nil, latch.ErrInvalid.WithMessage("The kind does not match the registration begun.").WithField("kind")
	}
	name := reg.Name
	if name == "" {
		name = components.T(p.locale(at.Request), "profile.passkeys.default_name."+c.Kind)
	}
	if name, err = cleanName(name); err != nil {
		return nil, err
	}
	wc, err := p.wa.CreateCredential(&waUser{id: at.UserID}, c.Session, parsed)
	if err != nil {
		return nil, errNotVerified
	}
	now := p.h.Now()
	id, err := p.h.NewID("cred")
	if err != nil {
		return nil, err
	}
	transports := make([]string, len(wc.Transport))
	for i, t := range wc.Transport {
		transports[i] = string(t)
	}
	cred := &storage.Credential{ID: id, UserID: at.UserID, Kind: c.Kind, Name: name, CredentialID: wc.ID, PublicKey: wc.PublicKey,
		AttestationType: wc.AttestationType, AAGUID: wc.Authenticator.AAGUID, SignCount: wc.Authenticator.SignCount, Transports: transports,
		UserVerified: wc.Flags.UserVerified, BackupEligible: wc.Flags.BackupEligible, BackupState: wc.Flags.BackupState,
		CreatedAt: now, UpdatedAt: now}
	err = p.h.InTx(ctx, func(t *latch.Tx) error {
		if err := t.CreateCredential(ctx, cred); errors.Is(err, storage.ErrConflict) {
			// Registered already, here or to another account: one
			// authenticator's credential must name one user only.
			return ErrCredentialExists
		} else if err != nil {
			return err
		}
		return t.Emit(ctx, EventPasskeyCreated, at.UserID, viewOf(cred))
	})
	if err != nil {
		return nil, err
	}
	p.notify(ctx, at.Request, at.UserID, latch.MessageFactorAdded, cred)
	return cred, nil
}

// Event types this plugin emits (with their audit records); Data is the
// credential as the JSON API shows it.
const (
	EventPasskeyCreated = "passkey.created"
	EventPasskeyUpdated = "passkey.updated"
	EventPasskeyDeleted = "passkey.deleted"
)

// beginAssertion returns request options and the challenge ID: for user,
// limited to their credentials; for nil, a discoverable sign-in that names
// nobody, so the options say nothing about any account. uv is the user
// verification asked for, and checked.
func (p *Plugin) beginAssertion(ctx context.Context, at *latch.Attempt, user *waUser, uv protocol.UserVerificationRequirement) (json.RawMessage, string, error) {
	var (
		assertion *protocol.CredentialAssertion
		session   *webauthn.SessionData
		err       error
	)
	if user == nil {
		assertion, session, err = p.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(uv))
	} else {
		assertion, session, err = p.wa.BeginLogin(user, webauthn.WithUserVerification(uv))
	}
	if err != nil {
		return nil, "", err
	}
	id, err := p.store(ctx, at, ceremony{Session: *session})
	if err != nil {
		return nil, "", err
	}
	options, err := json.Marshal(assertion)
	return options, id, err
}

// verifyDiscoverable checks a passkey assertion and returns the credential
// it used, with its new state recorded.
func (p *Plugin) verifyDiscoverable(ctx context.Context, at *latch.Attempt, raw json.RawMessage) (*storage.Credential, error) {
	parsed, err := parseAssertion(raw)
	if err != nil {
		return nil, err
	}
	c, err := p.redeem(ctx, at, challengeOf(at.State))
	if err != nil {
		return nil, err
	}
	stored, err := p.h.Store().FindCredential(ctx, parsed.RawID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errNotVerified
	} else if err != nil {
		return nil, err
	}
	// The user handle is who the authenticator says the passkey is for;
	// it must be who registered it, or a key could sign in as anyone it
	// was (or claims to have been) registered for.
	if !bytes.Equal(parsed.Response.UserHandle, []byte(stored.UserID)) {
		return nil, errNotVerified
	}
	owner := &waUser{id: stored.UserID, creds: []webauthn.Credential{toWebAuthn(stored)}}
	_, wc, err := p.wa.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return owner, nil }, c.Session, parsed)
	if err != nil {
		return nil, errNotVerified
	}
	return stored, p.recordUse(ctx, stored, wc)
}

// verifyAllowed checks an assertion by one of at.UserID's credentials.
func (p *Plugin) verifyAllowed(ctx context.Context, at *latch.Attempt, raw json.RawMessage) (*storage.Credential, error) {
	parsed, err := parseAssertion(raw)
	if err != nil {
		return nil, err
	}
	c, err := p.redeem(ctx, at, challengeOf(at.State))
	if err != nil {
		return nil, err
	}
	if string(c.Session.UserID) != at.UserID || at.UserID == "" {
		return nil, errExpired
	}
	u, creds, err := p.user(ctx, at.UserID)
	if err != nil {
		return nil, err
	}
	wc, err := p.wa.ValidateLogin(u, c.Session, parsed)
	if err != nil {
		return nil, errNotVerified
	}
	for _, stored := range creds {
		if bytes.Equal(stored.CredentialID, wc.ID) {
			return stored, p.recordUse(ctx, stored, wc)
		}
	}
	return nil, errNotVerified
}

// recordUse refuses an assertion whose signature counter did not move
// forward (a cloned authenticator: go-webauthn flags it against the counter
// read with the credential, and leaves the decision to the relying party),
// and records the new counter, backup state and time of use. The store
// checks the counter again in the one conditional write that advances it,
// so that of two assertions with the same counter at most one passes, on
// any store and at any isolation level.
func (p *Plugin) recordUse(ctx context.Context, stored *storage.Credential, wc *webauthn.Credential) error {
	// A counter that went back is the one sign of a copied key: the user
	// sees only "could not be verified", the operator a warning.
	if wc.Authenticator.CloneWarning {
		p.h.Logger().WarnContext(ctx, "passkeys: signature counter did not advance; the authenticator may be cloned",
			"credential", stored.ID, "user_id", stored.UserID, "stored", stored.SignCount, "presented", wc.Authenticator.SignCount)
		return errNotVerified
	}
	now := p.h.Now()
	count, backedUp := wc.Authenticator.SignCount, wc.Flags.BackupState
	switch err := p.h.Store().RecordCredentialUse(ctx, stored.ID, count, backedUp, now); {
	case errors.Is(err, storage.ErrConsumed):
		p.h.Logger().WarnContext(ctx, "passkeys: signature counter already used; a replay or a cloned authenticator",
			"credential", stored.ID, "user_id", stored.UserID, "presented", count)
		return errNotVerified
	case err != nil:
		return storageErr(err)
	}
	stored.SignCount, stored.BackupState, stored.LastUsedAt, stored.UpdatedAt = count, backedUp, now, now
	return nil
}

// locale is the string table for r, English without a request.
func (p *Plugin) locale(r *http.Request) components.Locale {
	if r == nil {
		return components.English
	}
	return p.h.Locale(r)
}

// notify tells the user a credential was added or removed. It runs after
// the change is made, and its failure does not undo it: the change is what
// the user asked for, the message only tells them.
func (p *Plugin) notify(ctx context.Context, r *http.Request, userID string, kind latch.MessageKind, c *storage.Credential) {
	loc := p.locale(r)
	factor := components.T(loc, "profile.passkeys.factor."+c.Kind, c.Name)
	_ = p.h.Notify(ctx, userID, kind, components.T(loc, "meta.lang"), latch.MessageData{Factor: factor})
}
