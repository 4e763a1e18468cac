package mfa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/draw"
	"image/png"
	"io"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// seedPurpose binds sealed TOTP seeds to their use: a ciphertext sealed for
// anything else does not open as a seed.
const seedPurpose = "totp-seed"

// seedBytes is the length of a TOTP seed: 160 bits, the length RFC 4226
// recommends and the HMAC-SHA1 block authenticator apps expect.
const seedBytes = 20

// qrSize is the side of the QR code image, and qrMargin the white margin
// inside it, in pixels: pages show it at 200 by 200.
const (
	qrSize   = 200
	qrMargin = 16
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTP is the "totp" strategy: a code from an authenticator app (RFC 6238,
// HMAC-SHA1, 6 digits, 30-second steps, one step of clock skew either
// way). It is an Enroller, so a user who must have a second factor can set
// it up in the middle of sign-in.
type TOTP struct{ p *Plugin }

// Info implements latch.Strategy.
func (t *TOTP) Info() latch.StrategyInfo {
	return latch.StrategyInfo{Name: StrategyTOTP, Kind: latch.SecondFactor, Input: latch.InputCode, Label: "strategy.totp"}
}

// Enrolled implements latch.Strategy: the user finished setting an app up.
func (t *TOTP) Enrolled(ctx context.Context, userID string) (bool, error) {
	s, err := t.p.host().Store().GetTOTPSecret(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !s.VerifiedAt.IsZero(), nil
}

// Prepare implements latch.Strategy: the app makes the code, nothing is
// sent.
func (t *TOTP) Prepare(context.Context, *latch.Attempt) (json.RawMessage, error) { return nil, nil }

// Enrollment is what a user needs to add their account to an authenticator
// app. Its JSON is the options the sign-in page renders for code-based
// enrolment; keep the names.
type Enrollment struct {
	// ID is the stored secret's ID; it is not part of the options JSON.
	ID string `json:"-"`
	// Secret is the seed in base32, for typing by hand.
	Secret string `json:"secret"`
	// URI is the otpauth:// URI the QR code holds.
	URI string `json:"uri"`
	// QRCode is a data: URL of a PNG of the QR code.
	QRCode string `json:"qr_code"`
}

// enrollState is what BeginEnrollment keeps for FinishEnrollment.
type enrollState struct {
	ID string `json:"id"`
}

// BeginEnrollment implements latch.Enroller: it makes a new seed, stores it
// sealed and unverified (replacing an unfinished set-up), and returns the
// secret, otpauth URI and QR code.
func (t *TOTP) BeginEnrollment(ctx context.Context, at *latch.Attempt) (json.RawMessage, error) {
	e, err := t.Begin(ctx, at)
	if err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

// Begin is BeginEnrollment returning the Enrollment itself.
func (t *TOTP) Begin(ctx context.Context, at *latch.Attempt) (*Enrollment, error) {
	h := t.p.host()
	store := h.Store()
	if old, err := store.GetTOTPSecret(ctx, at.UserID); err == nil && !old.VerifiedAt.IsZero() {
		return nil, ErrTOTPExists
	} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return nil, err
	}
	account, err := t.accountName(ctx, at.UserID)
	if err != nil {
		return nil, err
	}
	seed := make([]byte, seedBytes)
	if _, err := io.ReadFull(h.Rand(), seed); err != nil {
		return nil, err
	}
	sealed, keyID, err := h.Seal(seedPurpose, seed)
	if err != nil {
		return nil, err
	}
	id, err := h.NewID("totp")
	if err != nil {
		return nil, err
	}
	now := h.Now()
	if err := store.PutTOTPSecret(ctx, &storage.TOTPSecret{ID: id, UserID: at.UserID, Secret: sealed, KeyID: keyID,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		return nil, storageErr(err)
	}
	e, err := t.enrollment(seed, account)
	if err != nil {
		return nil, err
	}
	e.ID = id
	at.State, err = json.Marshal(enrollState{ID: id})
	return e, err
}

// Pending returns the set-up in progress of userID (one begun and not yet
// finished), to show it again, or ErrNotFound.
func (t *TOTP) Pending(ctx context.Context, userID string) (*Enrollment, error) {
	s, err := t.p.host().Store().GetTOTPSecret(ctx, userID)
	if err != nil {
		return nil, storageErr(err)
	}
	if !s.VerifiedAt.IsZero() {
		return nil, latch.ErrNotFound
	}
	seed, err := t.p.host().Open(seedPurpose, s.KeyID, s.Secret)
	if err != nil {
		return nil, err
	}
	account, err := t.accountName(ctx, userID)
	if err != nil {
		return nil, err
	}
	e, err := t.enrollment(seed, account)
	if err != nil {
		return nil, err
	}
	e.ID = s.ID
	return e, nil
}

// enrollment renders seed as an authenticator app takes it.
func (t *TOTP) enrollment(seed []byte, account string) (*Enrollment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: t.p.cfg.Issuer, AccountName: account, Period: totpPeriod,
		Secret: seed, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(qrSize-2*qrMargin, qrSize-2*qrMargin)
	if err != nil {
		return nil, err
	}
	// A QR code needs a light margin (its quiet zone) to be read; the
	// image has none, and on a dark page the code would touch dark
	// pixels. The margin goes into the image, so every page gets it.
	framed := image.NewGray(image.Rect(0, 0, qrSize, qrSize))
	draw.Draw(framed, framed.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(framed, img.Bounds().Add(image.Pt(qrMargin, qrMargin)), img, img.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, framed); err != nil {
		return nil, err
	}
	return &Enrollment{Secret: key.Secret(), URI: key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// accountName is how the app lists the account: the primary email
// address, else the primary phone number, else the username, else the ID.
func (t *TOTP) accountName(ctx context.Context, userID string) (string, error) {
	store := t.p.host().Store()
	u, err := store.GetUser(ctx, userID)
	if err != nil {
		return "", storageErr(err)
	}
	for _, id := range []string{u.PrimaryEmailID, u.PrimaryPhoneID} {
		if id == "" {
			continue
		}
		if i, err := store.GetIdentifier(ctx, id); err == nil {
			return i.Value, nil
		}
	}
	if u.Username != "" {
		return u.Username, nil
	}
	return u.ID, nil
}

// FinishEnrollment implements latch.Enroller: a right code completes the
// set-up and uses up its time step, so the code that proved the set-up
// cannot also sign in.
func (t *TOTP) FinishEnrollment(ctx context.Context, at *latch.Attempt, p latch.AttemptParams) (*latch.Proof, error) {
	h := t.p.host()
	store := h.Store()
	s, err := store.GetTOTPSecret(ctx, at.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, latch.ErrCodeExpired
	}
	if err != nil {
		return nil, err
	}
	if !s.VerifiedAt.IsZero() {
		return nil, ErrTOTPExists
	}
	if len(at.State) > 0 {
		// The set-up this flow began must be the one finished: another tab
		// may have begun a newer one, whose QR code this user never saw.
		var st enrollState
		if json.Unmarshal(at.State, &st) != nil || st.ID != s.ID {
			return nil, latch.ErrCodeExpired
		}
	}
	step, err := t.match(s, p.Code, h.Now())
	if err != nil {
		return nil, err
	}
	err = h.InTx(ctx, func(tx *latch.Tx) error {
		if err := tx.VerifyTOTPSecret(ctx, at.UserID, step, h.Now()); err != nil {
			if errors.Is(err, storage.ErrConsumed) {
				return latch.ErrCodeIncorrect
			}
			return storageErr(err)
		}
		return tx.Emit(ctx, EventFactorAdded, at.UserID, factorEvent{UserID: at.UserID, Strategy: StrategyTOTP})
	})
	if err != nil {
		return nil, err
	}
	t.p.notify(ctx, at, latch.MessageFactorAdded, t.p.text(at, "mfa.notify.totp"))
	proof := &latch.Proof{AMR: []string{"otp"}}
	if at.Purpose == latch.PurposeEnrollment {
		// Set up in the middle of a sign-in: the user gets backup codes
		// now, shown once by the kernel, as they would from their account.
		n, err := t.p.backup.Remaining(ctx, at.UserID)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			if proof.BackupCodes, err = t.p.backup.Generate(ctx, at.UserID); err != nil {
				return nil, err
			}
		}
	}
	return proof, nil
}

// Verify implements latch.Strategy: the code must be that of the current
// step or one either side, and of a step later than any used before, which
// it then uses up. Of concurrent attempts with one code exactly one
// succeeds.
func (t *TOTP) Verify(ctx context.Context, at *latch.Attempt, p latch.AttemptParams) (*latch.Proof, error) {
	h := t.p.host()
	s, err := h.Store().GetTOTPSecret(ctx, at.UserID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, latch.ErrCodeIncorrect
	}
	if err != nil {
		return nil, err
	}
	if s.VerifiedAt.IsZero() {
		return nil, latch.ErrCodeIncorrect
	}
	now := h.Now()
	step, err := t.match(s, p.Code, now)
	if err != nil {
		return nil, err
	}
	switch err := h.Store().AdvanceTOTPStep(ctx, at.UserID, step, now); {
	case errors.Is(err, storage.ErrConsumed), errors.Is(err, storage.ErrNotFound):
		// Used already (a replay, or the loser of a race), or removed
		// meanwhile: to the person typing, a code that does not work.
		return nil, latch.ErrCodeIncorrect
	case err != nil:
		return nil, err
	}
	return &latch.Proof{AMR: []string{"otp"}}, nil
}

// match returns the time step whose code is code, among now's and one
// either side, later than the last step used. Every candidate is computed
// and compared in constant time, so the answer's timing does not tell
// which step (or how much of the code) was right.
func (t *TOTP) match(s *storage.TOTPSecret, code string, now time.Time) (int64, error) {
	code = normalizeCode(code)
	if !allDigits(code, totpDigits) {
		return 0, latch.ErrCodeIncorrect
	}
	seed, err := t.p.host().Open(seedPurpose, s.KeyID, s.Secret)
	if err != nil {
		return 0, err
	}
	secret := b32.EncodeToString(seed)
	current := now.Unix() / totpPeriod
	found := int64(-1)
	for step := current - totpSkew; step <= current+totpSkew; step++ {
		want, err := codeAt(secret, step, otp.DigitsSix, otp.AlgorithmSHA1)
		if err != nil {
			return 0, err
		}
		// A code of a step already used fails exactly like a wrong one.
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > s.LastUsedStep && found < 0 {
			found = step
		}
	}
	if found < 0 {
		return 0, latch.ErrCodeIncorrect
	}
	return found, nil
}

// codeAt is the code of a base32 secret at a time step.
func codeAt(secret string, step int64, digits otp.Digits, alg otp.Algorithm) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totp.ValidateOpts{Period: totpPeriod, Digits: digits, Algorithm: alg})
}
