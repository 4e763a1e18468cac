// Package ids makes the kernel's IDs: a prefix naming the record and a
// lower-case ULID (48 bits of milliseconds, 80 random bits), so that IDs
// sort by creation time and storage can list in ID order.
package ids

import (
	"io"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Generator makes IDs that are strictly increasing within one process
// (ULID's monotonic mode), so that events appended by one instance list in
// the order they happened even within one millisecond.
type Generator struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy // not safe for concurrent use: guarded by mu
}

// New returns a generator drawing its randomness from rand.
func New(rand io.Reader) *Generator {
	return &Generator{entropy: ulid.Monotonic(rand, 0)}
}

// New returns a fresh ID: prefix, an underscore and a lower-case ULID of
// now and 80 random bits.
func (g *Generator) New(prefix string, now time.Time) (string, error) {
	g.mu.Lock()
	id, err := ulid.New(ulid.Timestamp(now), g.entropy)
	g.mu.Unlock()
	if err != nil {
		return "", err
	}
	return prefix + "_" + strings.ToLower(id.String()), nil
}
