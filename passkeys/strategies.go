package passkeys

import (
	"context"
	"encoding/json"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/latchauth/latch"
)

// passkeyStrategy is "passkey": a first factor that names its user.
type passkeyStrategy struct{ p *Plugin }

func (s *passkeyStrategy) Info() latch.StrategyInfo {
	return latch.StrategyInfo{Name: StrategyPasskey, Kind: latch.FirstFactor, Input: latch.InputWebAuthn,
		PhishingResistant: true, Label: "strategy.passkey"}
}

// Enrolled reports whether the user has a credential. The kernel asks it of
// second factors only; it is here for completeness.
func (s *passkeyStrategy) Enrolled(ctx context.Context, userID string) (bool, error) {
	return s.p.enrolled(ctx, userID)
}

// Prepare issues a discoverable challenge. It names no user and allows no
// credential, so the options are the same whoever asks: nothing in them
// tells whether an account exists or has a passkey. When the user is known
// already (a reverification of a signed-in session) it allows their
// credentials, so that the browser offers the right one. Either way the
// user must be verified: with the PIN or biometric that unlocks it, a
// passkey is two factors.
func (s *passkeyStrategy) Prepare(ctx context.Context, at *latch.Attempt) (json.RawMessage, error) {
	var user *waUser
	if at.UserID != "" {
		u, creds, err := s.p.user(ctx, at.UserID)
		if err != nil {
			return nil, err
		}
		if len(creds) == 0 {
			return nil, latch.ErrStrategyNotAllowed
		}
		user = u
	}
	options, id, err := s.p.beginAssertion(ctx, at, user, protocol.VerificationRequired)
	if err != nil {
		return nil, err
	}
	at.State, err = json.Marshal(attemptState{Challenge: id})
	return options, err
}

// Verify checks the assertion and names its user.
func (s *passkeyStrategy) Verify(ctx context.Context, at *latch.Attempt, p latch.AttemptParams) (*latch.Proof, error) {
	verify := s.p.verifyDiscoverable
	if at.UserID != "" {
		verify = s.p.verifyAllowed
	}
	c, err := verify(ctx, at, p.Credential)
	if err != nil {
		return nil, err
	}
	return &latch.Proof{UserID: c.UserID, AMR: []string{keyAMR(c.BackupEligible), "user"}, MultiFactor: true}, nil
}

// keyAMR is RFC 8176's name for the key: a credential that can be backed
// up (a synced passkey) lives in software that can copy it ("swk"); one
// that cannot is bound to its device ("hwk").
func keyAMR(backupEligible bool) string {
	if backupEligible {
		return "swk"
	}
	return "hwk"
}

// securityKeyStrategy is "security_key": any of the user's WebAuthn
// credentials as a second factor. It is also how a user sets one up in the
// middle of a sign-in that a policy holds until they have a second factor.
type securityKeyStrategy struct{ p *Plugin }

func (s *securityKeyStrategy) Info() latch.StrategyInfo {
	return latch.StrategyInfo{Name: StrategySecurityKey, Kind: latch.SecondFactor, Input: latch.InputWebAuthn,
		PhishingResistant: true, Label: "strategy.security_key"}
}

// Enrolled reports whether the user has any WebAuthn credential: a passkey
// serves as a second factor too.
func (s *securityKeyStrategy) Enrolled(ctx context.Context, userID string) (bool, error) {
	return s.p.enrolled(ctx, userID)
}

// Prepare issues a challenge that allows the user's credentials only.
func (s *securityKeyStrategy) Prepare(ctx context.Context, at *latch.Attempt) (json.RawMessage, error) {
	u, creds, err := s.p.user(ctx, at.UserID)
	if err != nil {
		return nil, err
	}
	if len(creds) == 0 {
		return nil, latch.ErrStrategyNotAllowed
	}
	// A second factor after a first: presence is enough, and asking for
	// verification would shut out keys without a PIN.
	options, id, err := s.p.beginAssertion(ctx, at, u, protocol.VerificationDiscouraged)
	if err != nil {
		return nil, err
	}
	at.State, err = json.Marshal(attemptState{Challenge: id})
	return options, err
}

// Verify checks the assertion by one of the user's credentials.
func (s *securityKeyStrategy) Verify(ctx context.Context, at *latch.Attempt, p latch.AttemptParams) (*latch.Proof, error) {
	if _, err := s.p.verifyAllowed(ctx, at, p.Credential); err != nil {
		return nil, err
	}
	return &latch.Proof{UserID: at.UserID, AMR: []string{"hwk"}}, nil
}

// BeginEnrollment returns the creation options of a security key.
func (s *securityKeyStrategy) BeginEnrollment(ctx context.Context, at *latch.Attempt) (json.RawMessage, error) {
	options, id, err := s.p.beginRegistration(ctx, at, KindSecurityKey)
	if err != nil {
		return nil, err
	}
	at.State, err = json.Marshal(attemptState{Challenge: id})
	return options, err
}

// FinishEnrollment stores the new security key; creating it proved the
// user holds it, which is the second factor of this sign-in.
func (s *securityKeyStrategy) FinishEnrollment(ctx context.Context, at *latch.Attempt, p latch.AttemptParams) (*latch.Proof, error) {
	if _, err := s.p.finishRegistration(ctx, at, registration{Challenge: challengeOf(at.State), Credential: p.Credential}); err != nil {
		return nil, err
	}
	return &latch.Proof{UserID: at.UserID, AMR: []string{"hwk"}}, nil
}

// enrolled reports whether the user has at least one credential.
func (p *Plugin) enrolled(ctx context.Context, userID string) (bool, error) {
	creds, err := p.h.Store().ListCredentials(ctx, userID)
	return len(creds) > 0, err
}
