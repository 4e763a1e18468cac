package passkeys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// waUser is a Latch user as go-webauthn sees one. The user handle is the
// Latch user ID: random, stable, at most 64 bytes, and no personal data
// (the specification forbids an email address there).
type waUser struct {
	id, name, display string
	creds             []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.display }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// toWebAuthn is the stored credential as go-webauthn validates it.
func toWebAuthn(c *storage.Credential) webauthn.Credential {
	ts := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		ts[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:              c.CredentialID,
		PublicKey:       c.PublicKey,
		AttestationType: c.AttestationType,
		Transport:       ts,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: c.UserVerified,
			BackupEligible: c.BackupEligible, BackupState: c.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
}

// user loads the user with their credentials, for a registration or a
// second factor.
func (p *Plugin) user(ctx context.Context, userID string) (*waUser, []*storage.Credential, error) {
	st := p.h.Store()
	u, err := st.GetUser(ctx, userID)
	if err != nil {
		return nil, nil, storageErr(err)
	}
	creds, err := st.ListCredentials(ctx, userID)
	if err != nil {
		return nil, nil, storageErr(err)
	}
	wu := &waUser{id: u.ID}
	for _, c := range creds {
		wu.creds = append(wu.creds, toWebAuthn(c))
	}
	// The name is what a passkey manager lists the passkey under: the
	// address the user signs in with, else their username.
	if u.PrimaryEmailID != "" {
		if i, err := st.GetIdentifier(ctx, u.PrimaryEmailID); err == nil {
			wu.name = i.Value
		}
	}
	if wu.name == "" && u.PrimaryPhoneID != "" {
		if i, err := st.GetIdentifier(ctx, u.PrimaryPhoneID); err == nil {
			wu.name = i.Value
		}
	}
	if wu.name == "" {
		wu.name = u.Username
	}
	if wu.name == "" {
		wu.name = u.ID
	}
	wu.display = strings.TrimSpace(u.FirstName + " " + u.LastName)
	if wu.display == "" {
		wu.display = wu.name
	}
	return wu, creds, nil
}

// storageErr turns a storage failure into the kernel's answer: a missing
// record is not found, anything else a failure on our side.
func storageErr(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return latch.ErrNotFound
	}
	return err
}

// maxCredentialJSON bounds a WebAuthn response. Real ones are a few
// kilobytes (an attestation with a certificate chain is the largest).
const maxCredentialJSON = 32 << 10

// credentialJSON returns the PublicKeyCredential JSON a client sent. The
// JSON API carries it as an object; a form posts it as a string, which
// arrives as a JSON string to unwrap.
func credentialJSON(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errNotVerified
		}
		raw = bytes.TrimSpace([]byte(s))
	}
	if len(raw) == 0 || raw[0] != '{' {
		// Nothing was sent: the ceremony did not run (no JavaScript, or
		// the user cancelled it).
		return nil, errNotVerified
	}
	if len(raw) > maxCredentialJSON {
		return nil, errNotVerified
	}
	return raw, nil
}

// parseAssertion parses an assertion (navigator.credentials.get's result).
func parseAssertion(raw json.RawMessage) (*protocol.ParsedCredentialAssertionData, error) {
	b, err := credentialJSON(raw)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(b)
	if err != nil {
		return nil, errNotVerified
	}
	return parsed, nil
}

// parseAttestation parses a new credential (navigator.credentials.create's
// result).
func parseAttestation(raw json.RawMessage) (*protocol.ParsedCredentialCreationData, error) {
	b, err := credentialJSON(raw)
	if err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(b)
	if err != nil {
		return nil, errNotVerified
	}
	return parsed, nil
}

// cleanName returns a credential's name, trimmed, or errNameInvalid: it is
// shown in lists and quoted in security emails, so it is one short line.
func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > 64 {
		return "", errNameInvalid
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", errNameInvalid
		}
	}
	return name, nil
}
