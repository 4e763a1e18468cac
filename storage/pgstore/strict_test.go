package pgstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/latchtest"
)

// TestStrictModeRevocationReachesOtherInstance runs two instances of one app
// on one PostgreSQL database, each with its own pool (as two processes
// would), broadcasting revocations with LISTEN/NOTIFY.
func TestStrictModeRevocationReachesOtherInstance(t *testing.T) {
	dsn := freshSchema(t)
	ctx := context.Background()
	instance := func() *latch.Auth {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		a, err := latch.New(latch.Config{Store: s, BaseURL: "https://app.example", Secrets: [][]byte{[]byte(strings.Repeat("s", 32))},
			Session: latch.SessionConfig{Broadcaster: s}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close(); s.Close() })
		return a
	}
	a, b := instance(), instance()
	d := latchtest.RevocationLatency(t, a, b, time.Second)
	t.Logf("revocation reached the other instance in %v", d)
}
