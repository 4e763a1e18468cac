package mfa

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/storage"
)

// A backup code is 15 random bytes (120 bits; NIST SP 800-63B asks at least
// 112 of a look-up secret that is not rate limited), written as 24
// lowercase base32 letters in four groups of six: no 0/O or 1/I to confuse,
// short groups to copy by hand.
const (
	backupBytes = 15
	backupChars = 24
	backupGroup = 6
)

var backupEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// BackupCodes is the "backup_code" strategy: single-use codes, shown once
// when made, that stand in for the user's other second factor when it is
// lost. Only keyed hashes are stored. It is not an Enroller: codes are made
// once another factor is set up (or on request), never as the only one.
type BackupCodes struct{ p *Plugin }

// Info implements latch.Strategy.
func (b *BackupCodes) Info() latch.StrategyInfo {
	return latch.StrategyInfo{Name: StrategyBackupCode, Kind: latch.SecondFactor, Input: latch.InputCode, Label: "strategy.backup_code", Recovery: true}
}

// Enrolled implements latch.Strategy: the user has an unused code.
func (b *BackupCodes) Enrolled(ctx context.Context, userID string) (bool, error) {
	n, err := b.Remaining(ctx, userID)
	return n > 0, err
}

// Remaining returns how many of the user's codes are unused.
func (b *BackupCodes) Remaining(ctx context.Context, userID string) (int, error) {
	codes, err := b.p.host().Store().ListBackupCodes(ctx, userID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range codes {
		if c.UsedAt.IsZero() {
			n++
		}
	}
	return n, nil
}

// Prepare implements latch.Strategy: nothing to send.
func (b *BackupCodes) Prepare(context.Context, *latch.Attempt) (json.RawMessage, error) {
	return nil, nil
}

// Verify implements latch.Strategy: it uses the code up (of concurrent
// attempts with one code exactly one succeeds) and tells the user a code
// was used and how many remain.
func (b *BackupCodes) Verify(ctx context.Context, at *latch.Attempt, p latch.AttemptParams) (*latch.Proof, error) {
	code := normalizeCode(p.Code)
	if !validBackupCode(code) {
		return nil, latch.ErrCodeIncorrect
	}
	h := b.p.host()
	switch err := h.Store().ConsumeBackupCode(ctx, at.UserID, b.hash(at.UserID, code), h.Now()); {
	case errors.Is(err, storage.ErrConsumed), errors.Is(err, storage.ErrNotFound):
		return nil, latch.ErrCodeIncorrect
	case err != nil:
		return nil, err
	}
	if n, err := b.Remaining(ctx, at.UserID); err == nil {
		key := "mfa.notify.backup_remaining"
		switch n {
		case 0:
			key = "mfa.notify.backup_none"
		case 1:
			key = "mfa.notify.backup_one"
		}
		b.p.notify(ctx, at, latch.MessageBackupCodeUsed, b.p.text(at, key, n))
	}
	return &latch.Proof{AMR: []string{"otp"}}, nil
}

// Generate replaces all of userID's backup codes with a new set, in one
// transaction, and returns the codes: the only time they exist in clear.
func (b *BackupCodes) Generate(ctx context.Context, userID string) ([]string, error) {
	h := b.p.host()
	now := h.Now()
	codes := make([]string, b.p.cfg.BackupCodes)
	records := make([]*storage.BackupCode, len(codes))
	raw := make([]byte, backupBytes)
	for i := range codes {
		if _, err := io.ReadFull(h.Rand(), raw); err != nil {
			return nil, err
		}
		plain := backupEncoding.EncodeToString(raw)
		id, err := h.NewID("bkc")
		if err != nil {
			return nil, err
		}
		records[i] = &storage.BackupCode{ID: id, UserID: userID, CodeHash: b.hash(userID, plain), CreatedAt: now}
		codes[i] = groupCode(plain)
	}
	err := h.InTx(ctx, func(t *latch.Tx) error {
		if err := t.ReplaceBackupCodes(ctx, userID, records); err != nil {
			return storageErr(err)
		}
		return t.Emit(ctx, EventBackupCodesRegenerated, userID, factorEvent{UserID: userID, Strategy: StrategyBackupCode})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// hash is the stored form of a normalised code: SHA-256 over the user's ID
// and the code. A code carries 120 bits, beyond any offline guessing, so a
// fast unkeyed hash suffices (SECURITY.md 23: SHA-256 at 112 bits or more),
// and rotating Config.Secrets leaves the codes valid. The user ID makes one
// user's hash say nothing about another's.
func (b *BackupCodes) hash(userID, code string) []byte {
	m := sha256.New()
	m.Write([]byte(userID))
	m.Write([]byte{0}) // IDs hold no NUL: the pair is unambiguous
	m.Write([]byte(code))
	return m.Sum(nil)
}

// validBackupCode reports whether a normalised code is of the form
// Generate makes, so that nothing else costs a database round trip.
func validBackupCode(code string) bool {
	if len(code) != backupChars {
		return false
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// groupCode writes a code in dash-separated groups for reading.
func groupCode(code string) string {
	var sb strings.Builder
	for i := 0; i < len(code); i += backupGroup {
		if i > 0 {
			sb.WriteByte('-')
		}
		sb.WriteString(code[i:min(i+backupGroup, len(code))])
	}
	return sb.String()
}
