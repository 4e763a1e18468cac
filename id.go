package latch

import (
	"io"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// ID prefixes. An ID is the prefix, an underscore and a lower-case ULID: 48
// bits of milliseconds then 80 random bits, so that IDs sort by creation
// time (storage lists in ID order) and say what they name.
const (
	PrefixUser         = "user"
	PrefixIdentifier   = "idn"
	PrefixClient       = "client"
	PrefixSession      = "sess"
	PrefixVerification = "ver"
	PrefixEvent        = "evt"
	PrefixAudit        = "aud"
	PrefixOrganization = "org"
	PrefixMembership   = "mem"
	PrefixInvitation   = "inv"
	// PrefixExternalAccount names a user's account at an identity
	// provider.
	PrefixExternalAccount = "eac"
)

// idGenerator makes IDs that are strictly increasing within one process
// (ULID's monotonic mode), so that events appended by one instance list in
// the order they happened even within one millisecond.
type idGenerator struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy // not safe for concurrent use: guarded by mu
}

func newIDGenerator(rand io.Reader) *idGenerator {
	return &idGenerator{entropy: ulid.Monotonic(rand, 0)}
}

func (g *idGenerator) new(prefix string, now time.Time) (string, error) {
	g.mu.Lock()
	id, err := ulid.New(ulid.Timestamp(now), g.entropy)
	g.mu.Unlock()
	if err != nil {
		return "", err
	}
	return prefix + "_" + strings.ToLower(id.String()), nil
}
