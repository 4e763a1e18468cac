package storage

import "errors"

// Sentinel errors returned (wrapped) by every adapter. Test for them with
// errors.Is.
var (
	// ErrNotFound means the record addressed by an ID or a unique key does
	// not exist (or, for lookups documented as "verified only", exists but is
	// not verified).
	ErrNotFound = errors.New("storage: not found")

	// ErrConflict means a create or update would break a uniqueness rule:
	// an ID already in use, a verified identifier or username already taken,
	// an external account already linked, a slug already used.
	ErrConflict = errors.New("storage: conflict")

	// ErrStale means an update of a versioned record lost an
	// optimistic-concurrency race: the record's Version is no longer the one
	// the caller read. Read the record again and retry.
	ErrStale = errors.New("storage: stale version")

	// ErrConsumed means a single-use record (a verification, backup code,
	// TOTP step, WebAuthn signature count, invitation, event dispatch) has
	// already been used, has expired, or has no attempts left. Exactly one of several concurrent
	// consumers gets success; the others get ErrConsumed.
	ErrConsumed = errors.New("storage: already consumed")
)
