package mfa

import (
	"context"
	"net/http"

	"github.com/a-h/templ"
	"github.com/pquerna/otp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// What the external tests reach inside the package.

// NormalizeCode is normalizeCode.
func NormalizeCode(s string) string { return normalizeCode(s) }

// CodeAt is the code of seed at a time step, with digits digits and alg.
func CodeAt(seed []byte, step int64, digits int, alg otp.Algorithm) (string, error) {
	return codeAt(b32.EncodeToString(seed), step, otp.Digits(digits), alg)
}

// SetSeed stores seed, sealed, as userID's verified TOTP seed.
func (p *Plugin) SetSeed(ctx context.Context, userID string, seed []byte) error {
	h := p.host()
	sealed, keyID, err := h.Seal(seedPurpose, seed)
	if err != nil {
		return err
	}
	id, err := h.NewID("totp")
	if err != nil {
		return err
	}
	now := h.Now()
	return h.Store().PutTOTPSecret(ctx, &storage.TOTPSecret{ID: id, UserID: userID, Secret: sealed, KeyID: keyID,
		VerifiedAt: now, CreatedAt: now, UpdatedAt: now})
}

// OpenSeed opens a stored seed with the plugin's kernel.
func (p *Plugin) OpenSeed(s *storage.TOTPSecret) ([]byte, error) {
	return p.host().Open(seedPurpose, s.KeyID, s.Secret)
}

// ProfileSection renders the account page's section for s.
func (p *Plugin) ProfileSection(r *http.Request, s *latch.Session) (templ.Component, error) {
	return p.profileSection(r, s)
}
