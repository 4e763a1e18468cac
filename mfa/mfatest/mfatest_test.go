package mfatest_test

import (
	"testing"
	"time"

	"github.com/latchauth/latch/latchtest"
	"github.com/latchauth/latch/mfa/mfatest"
)

// TestCodeMatchesRFC6238: the SHA-1 vectors of RFC 6238 Appendix B, cut to
// the six digits authenticator apps show.
func TestCodeMatchesRFC6238(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // "12345678901234567890"
	for _, v := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		if got := mfatest.Code(t, secret, time.Unix(v.unix, 0)); got != v.want {
			t.Errorf("Code at %d = %s, want %s", v.unix, got, v.want)
		}
	}
}

// TestNextStepLandsOnAStepBoundary: after NextStep the clock is at the start
// of the following 30-second step, from anywhere inside a step.
func TestNextStepLandsOnAStepBoundary(t *testing.T) {
	for _, start := range []time.Time{time.Unix(60, 0), time.Unix(61, 500), time.Unix(89, 999_999_999)} {
		c := latchtest.NewClock(start)
		mfatest.NextStep(c)
		if want := time.Unix(90, 0); !c.Now().Equal(want) {
			t.Errorf("from %v: at %v, want %v", start, c.Now(), want)
		}
	}
}
