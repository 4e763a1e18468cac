package botcheck

import (
	"context"
	"crypto/sha256"
	"errors"
	"github.com/latchauth/latch/internal/fakeclock"
	mathrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func newFakeClock() *fakeclock.Clock {
	return fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
}

func testSecret(b byte) []byte {
	s := make([]byte, 32)
	for i := range s {
		s[i] = b + byte(i)
	}
	return s
}

func newTestPoW(t testing.TB, difficulty int, clock *fakeclock.Clock) *PoW {
	t.Helper()
	cfg := PoWConfig{Secret: testSecret(1), Difficulty: difficulty}
	if clock != nil {
		cfg.Clock = clock.Now
	}
	p, err := NewPoW(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func issueAndSolve(t testing.TB, p *PoW) (Challenge, string) {
	t.Helper()
	ch, err := p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	sol, err := Solve(ch.Value)
	if err != nil {
		t.Fatal(err)
	}
	return ch, sol
}

func TestNewPoWValidatesConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  PoWConfig
	}{
		{"no secret", PoWConfig{}},
		{"short secret", PoWConfig{Secret: make([]byte, 31)}},
		{"difficulty too low", PoWConfig{Secret: testSecret(1), Difficulty: 7}},
		{"difficulty too high", PoWConfig{Secret: testSecret(1), Difficulty: 31}},
		{"negative difficulty", PoWConfig{Secret: testSecret(1), Difficulty: -1}},
		{"negative ttl", PoWConfig{Secret: testSecret(1), TTL: -time.Second}},
		{"short previous secret", PoWConfig{Secret: testSecret(1), PreviousSecrets: [][]byte{make([]byte, 8)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewPoW(tc.cfg); err == nil {
				t.Fatal("NewPoW accepted an invalid config")
			}
		})
	}
	p, err := NewPoW(PoWConfig{Secret: testSecret(1)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Difficulty() != DefaultDifficulty || p.ttl != DefaultTTL {
		t.Fatalf("defaults: difficulty %d ttl %v", p.Difficulty(), p.ttl)
	}
}

func TestPoWChallengeShape(t *testing.T) {
	clock := newFakeClock()
	p := newTestPoW(t, 12, clock)
	a, err := p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Challenge()
	if a.Value == b.Value || a.ID == b.ID {
		t.Fatal("two challenges are identical")
	}
	if len(a.Value) > MaxChallengeLen {
		t.Fatalf("challenge is %d bytes, over MaxChallengeLen", len(a.Value))
	}
	if a.Difficulty != 12 || !a.Expires.Equal(clock.Now().Add(DefaultTTL)) || a.String() != a.Value {
		t.Fatalf("challenge fields: %+v", a)
	}
	if f := strings.Split(a.Value, "."); f[2] != "12" || f[4] != a.ID {
		t.Fatalf("difficulty or id not where the script expects them: %q", a.Value)
	}
	for _, r := range a.Value {
		if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", r) {
			t.Fatalf("challenge has %q, not HTML/URL safe", r)
		}
	}
}

func TestPoWAcceptedOnce(t *testing.T) {
	p := newTestPoW(t, 12, nil)
	ch, sol := issueAndSolve(t, p)
	id, err := p.Verify(ch.Value, sol)
	if err != nil {
		t.Fatalf("valid solution refused: %v", err)
	}
	if id != ch.ID {
		t.Fatalf("Verify id %q, want %q", id, ch.ID)
	}
	guard := NewMemoryReplayGuard(MemoryReplayGuardConfig{})
	if err := p.VerifyOnce(context.Background(), guard, ch.Value, sol); err != nil {
		t.Fatalf("first VerifyOnce refused: %v", err)
	}
	v := PoWVerifier{PoW: p, Guard: NewMemoryReplayGuard(MemoryReplayGuardConfig{})}
	if err := v.Verify(context.Background(), ch.Value+TokenSeparator+sol, "192.0.2.1"); err != nil {
		t.Fatalf("PoWVerifier refused a valid token: %v", err)
	}
}

func TestPoWReplayRefused(t *testing.T) {
	p := newTestPoW(t, 10, nil)
	ch, sol := issueAndSolve(t, p)
	ctx := context.Background()
	guard := NewMemoryReplayGuard(MemoryReplayGuardConfig{})
	if err := p.VerifyOnce(ctx, guard, ch.Value, sol); err != nil {
		t.Fatal(err)
	}
	err := p.VerifyOnce(ctx, guard, ch.Value, sol)
	if !errors.Is(err, ErrReplayed) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("replay: got %v, want ErrReplayed (and ErrInvalid)", err)
	}
	// A second, different solution to the same challenge is a replay too.
	other := ""
	for n := 0; ; n++ {
		s := "x" + strconv.Itoa(n)
		if _, err := p.Verify(ch.Value, s); err == nil {
			other = s
			break
		}
	}
	if err := p.VerifyOnce(ctx, guard, ch.Value, other); !errors.Is(err, ErrReplayed) {
		t.Fatalf("other solution to a used challenge: got %v, want ErrReplayed", err)
	}
	// Through the Verifier adapter as well.
	v := PoWVerifier{PoW: p, Guard: guard}
	if err := v.Verify(ctx, ch.Value+"."+sol, ""); !errors.Is(err, ErrReplayed) {
		t.Fatalf("adapter replay: got %v", err)
	}
	// Concurrent submissions of one fresh solution: exactly one wins.
	ch2, sol2 := issueAndSolve(t, p)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p.VerifyOnce(ctx, guard, ch2.Value, sol2) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent submissions accepted, want 1", wins)
	}
}

func TestPoWNilGuardFailsClosed(t *testing.T) {
	p := newTestPoW(t, 8, nil)
	ch, sol := issueAndSolve(t, p)
	if err := p.VerifyOnce(context.Background(), nil, ch.Value, sol); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("nil guard: got %v", err)
	}
	if err := (PoWVerifier{PoW: p}).Verify(context.Background(), ch.Value+"."+sol, ""); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("adapter without guard: got %v", err)
	}
	if err := (PoWVerifier{}).Verify(context.Background(), ch.Value+"."+sol, ""); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("adapter without PoW: got %v", err)
	}
}

type failingGuard struct{}

func (failingGuard) Use(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("redis: connection refused")
}

func TestPoWGuardErrorIsUnavailable(t *testing.T) {
	p := newTestPoW(t, 8, nil)
	ch, sol := issueAndSolve(t, p)
	err := p.VerifyOnce(context.Background(), failingGuard{}, ch.Value, sol)
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrInvalid) {
		t.Fatalf("guard failure: got %v, want ErrUnavailable only", err)
	}
}

func TestPoWWrongSolutionRefused(t *testing.T) {
	p := newTestPoW(t, 16, nil)
	ch, sol := issueAndSolve(t, p)
	// Find a syntactically fine solution that misses the difficulty.
	wrong := ""
	for n := 0; ; n++ {
		s := strconv.Itoa(n)
		if sum := sha256.Sum256([]byte(ch.Value + ":" + s)); leadingZeroBits(sum[:]) < 16 {
			wrong = s
			break
		}
	}
	for _, tc := range []struct{ name, sol string }{
		{"insufficient work", wrong},
		{"empty", ""},
		{"too long", strings.Repeat("1", MaxSolutionLen+1)},
		{"bad characters", "12 34"},
		{"separator inside", "1.2"},
		{"right solution with suffix", sol + "0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.sol == sol {
				t.Skip("collided with the real solution")
			}
			_, err := p.Verify(ch.Value, tc.sol)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
	// A solution to one challenge does not solve another.
	ch2, _ := p.Challenge()
	if sum := sha256.Sum256([]byte(ch2.Value + ":" + sol)); leadingZeroBits(sum[:]) < 16 {
		if _, err := p.Verify(ch2.Value, sol); !errors.Is(err, ErrInvalid) {
			t.Fatalf("solution moved to another challenge: got %v", err)
		}
	}
}

func TestPoWExpired(t *testing.T) {
	clock := newFakeClock()
	p, err := NewPoW(PoWConfig{Secret: testSecret(1), Difficulty: 8, TTL: time.Minute, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ch, sol := issueAndSolve(t, p)
	clock.Advance(time.Minute - time.Second)
	if _, err := p.Verify(ch.Value, sol); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	clock.Advance(time.Second)
	_, err = p.Verify(ch.Value, sol)
	if !errors.Is(err, ErrExpired) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("at expiry: got %v, want ErrExpired (and ErrInvalid)", err)
	}
	clock.Advance(time.Hour)
	guard := NewMemoryReplayGuard(MemoryReplayGuardConfig{Clock: clock.Now})
	if err := p.VerifyOnce(context.Background(), guard, ch.Value, sol); !errors.Is(err, ErrExpired) {
		t.Fatalf("VerifyOnce after expiry: got %v", err)
	}
}

// tamper replaces field i of a challenge.
func tamper(c string, i int, v string) string {
	f := strings.Split(c, ".")
	f[i] = v
	return strings.Join(f, ".")
}

func TestPoWTamperedChallengeRefused(t *testing.T) {
	clock := newFakeClock()
	p := newTestPoW(t, 20, clock)
	ch, err := p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	exp, _ := strconv.ParseInt(strings.Split(ch.Value, ".")[3], 10, 64)
	other, err := NewPoW(PoWConfig{Secret: testSecret(99), Difficulty: 20, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	otherCh, _ := other.Challenge()
	easy, _ := NewPoW(PoWConfig{Secret: testSecret(1), Difficulty: 8, Clock: clock.Now})
	easyCh, _ := easy.Challenge()
	mac := strings.Split(ch.Value, ".")[5]
	flipped := "A" + mac[1:]
	if flipped == mac {
		flipped = "B" + mac[1:]
	}
	for _, tc := range []struct {
		name      string
		challenge string
		want      error
	}{
		{"difficulty lowered", tamper(ch.Value, 2, "8"), ErrInvalid},
		{"difficulty lowered with leading zero", tamper(ch.Value, 2, "08"), ErrInvalid},
		{"expiry extended", tamper(ch.Value, 3, strconv.FormatInt(exp+3600, 10)), ErrInvalid},
		{"nonce changed", tamper(ch.Value, 4, strings.Repeat("A", b64NonceLen)), ErrInvalid},
		{"mac changed", tamper(ch.Value, 5, flipped), ErrInvalid},
		{"version changed", tamper(ch.Value, 0, "p2"), ErrInvalid},
		{"other key", otherCh.Value, ErrInvalid},
		{"other key, our kid", tamper(otherCh.Value, 1, strings.Split(ch.Value, ".")[1]), ErrInvalid},
		{"extra field", ch.Value + ".x", ErrInvalid},
		{"truncated", ch.Value[:len(ch.Value)-1], ErrInvalid},
		// Authentic, but issued before the difficulty was raised.
		{"issued at lower difficulty", easyCh.Value, ErrTooEasy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sol, err := Solve(tc.challenge)
			if err != nil {
				sol = "0" // malformed challenges cannot be solved; verify anyway
			}
			_, err = p.Verify(tc.challenge, sol)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPoWPreviousSecretAccepted(t *testing.T) {
	old := newTestPoW(t, 8, nil)
	ch, sol := issueAndSolve(t, old)
	rotated, err := NewPoW(PoWConfig{Secret: testSecret(50), PreviousSecrets: [][]byte{testSecret(1)}, Difficulty: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Verify(ch.Value, sol); err != nil {
		t.Fatalf("challenge under the previous secret refused during rotation: %v", err)
	}
	fresh, _ := rotated.Challenge()
	if strings.Split(fresh.Value, ".")[1] == strings.Split(ch.Value, ".")[1] {
		t.Fatal("new challenges still signed with the previous key")
	}
	if _, err := old.Verify(fresh.Value, "0"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("old instance accepted a new key: %v", err)
	}
}

func TestPoWVerifierTokenFormat(t *testing.T) {
	p := newTestPoW(t, 8, nil)
	v := PoWVerifier{PoW: p, Guard: NewMemoryReplayGuard(MemoryReplayGuardConfig{})}
	for _, tok := range []string{"", "nodot", strings.Repeat("a", 400), "p1.x.8.1.a.b.c"} {
		if err := v.Verify(context.Background(), tok, ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("token %q: got %v, want ErrInvalid", tok, err)
		}
	}
}

func TestMemoryReplayGuardBoundedAndEvicts(t *testing.T) {
	clock := newFakeClock()
	g := NewMemoryReplayGuard(MemoryReplayGuardConfig{MaxEntries: 3, Clock: clock.Now})
	ctx := context.Background()
	use := func(id string, ttl time.Duration) (bool, error) { return g.Use(ctx, id, clock.Now().Add(ttl)) }
	for i, id := range []string{"a", "b", "c"} {
		if fresh, err := use(id, time.Duration(i+1)*time.Minute); !fresh || err != nil {
			t.Fatalf("%s: fresh=%v err=%v", id, fresh, err)
		}
	}
	if fresh, err := use("a", time.Minute); fresh || err != nil {
		t.Fatalf("reused id: fresh=%v err=%v", fresh, err)
	}
	// Full of unexpired ids: refuse rather than forget one.
	if _, err := use("d", time.Minute); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("full guard: got %v, want ErrUnavailable", err)
	}
	// After "a" expires it is evicted, making room; "a" is fresh again (its
	// challenge has expired, so PoW refuses it on its own).
	clock.Advance(time.Minute)
	if fresh, err := use("d", time.Minute); !fresh || err != nil {
		t.Fatalf("after eviction: fresh=%v err=%v", fresh, err)
	}
	if g.Len() != 3 {
		t.Fatalf("Len %d, want 3", g.Len())
	}
	clock.Advance(time.Hour)
	if fresh, err := use("a", time.Minute); !fresh || err != nil {
		t.Fatalf("expired id: fresh=%v err=%v", fresh, err)
	}
	if g.Len() != 1 {
		t.Fatalf("expired entries not evicted: Len %d", g.Len())
	}
	if fresh, _ := g.Use(ctx, "past", clock.Now().Add(-time.Second)); !fresh || g.Len() != 1 {
		t.Fatal("an already-expired id should be fresh and not stored")
	}
	if _, err := g.Use(ctx, "", clock.Now().Add(time.Minute)); err == nil {
		t.Fatal("empty id accepted")
	}
}

// FuzzPoWVerify checks that arbitrary input never panics and that nothing is
// accepted unless it is a challenge this PoW issued together with a solution
// meeting its difficulty.
func FuzzPoWVerify(f *testing.F) {
	// Fixed clock and nonces: every fuzz worker process must issue the same
	// challenges as the one that built the seed corpus.
	clock := newFakeClock()
	var seed [32]byte
	p, err := NewPoW(PoWConfig{Secret: testSecret(1), Difficulty: 8, Clock: clock.Now, Rand: mathrand.NewChaCha8(seed)})
	if err != nil {
		f.Fatal(err)
	}
	issued := map[string]bool{}
	for range 3 {
		ch, sol := issueAndSolve(f, p)
		issued[ch.Value] = true
		f.Add(ch.Value, sol)
		f.Add(ch.Value, sol+"0")
		f.Add(tamper(ch.Value, 2, "1"), sol)
		f.Add(tamper(ch.Value, 3, "99999999999999999999"), sol)
		f.Add(ch.Value+"."+sol, "")
	}
	f.Add("", "")
	f.Add("p1.....", "0")
	f.Add("p1.a.-1.0.b.c", "\x00")
	f.Add(strings.Repeat(".", 300), strings.Repeat("9", 40))
	f.Fuzz(func(t *testing.T, challenge, solution string) {
		id, err := p.Verify(challenge, solution)
		if err != nil {
			if id != "" {
				t.Fatalf("id %q returned with error %v", id, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("rejection %v does not match ErrInvalid", err)
			}
			return
		}
		if !issued[challenge] {
			t.Fatalf("accepted a challenge this PoW never issued: %q", challenge)
		}
		if sum := sha256.Sum256([]byte(challenge + ":" + solution)); leadingZeroBits(sum[:]) < 8 {
			t.Fatalf("accepted insufficient work: %q %q", challenge, solution)
		}
		if len(solution) == 0 || len(solution) > MaxSolutionLen || strings.Contains(solution, ".") {
			t.Fatalf("accepted malformed solution %q", solution)
		}
		if id != strings.Split(challenge, ".")[4] {
			t.Fatalf("id %q is not the nonce", id)
		}
	})
}

// BenchmarkPoWSolve is what one solution costs a bot with native code, at
// the default difficulty: ns/op is the CPU time of one sign-up's proof of
// work on one core, hashes/s the rate of the solver (BenchmarkPoWSolveAt
// has other difficulties).
func BenchmarkPoWSolve(b *testing.B) { benchmarkSolve(b, DefaultDifficulty) }

func BenchmarkPoWSolveAt(b *testing.B) {
	for _, d := range []int{14, 16, 18, 20} {
		b.Run(strconv.Itoa(d), func(b *testing.B) { benchmarkSolve(b, d) })
	}
}

func benchmarkSolve(b *testing.B, difficulty int) {
	p := newTestPoW(b, difficulty, nil)
	b.ReportAllocs()
	var hashes float64
	for b.Loop() {
		ch, err := p.Challenge()
		if err != nil {
			b.Fatal(err)
		}
		sol, err := Solve(ch.Value)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := strconv.ParseUint(sol, 10, 64)
		hashes += float64(n + 1)
	}
	b.ReportMetric(hashes/b.Elapsed().Seconds(), "hashes/s")
	b.ReportMetric(hashes/float64(b.N), "hashes/op")
}

func BenchmarkPoWVerify(b *testing.B) {
	p := newTestPoW(b, 18, nil)
	ch, sol := issueAndSolve(b, p)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Verify(ch.Value, sol); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSolveTokenAccepted(t *testing.T) {
	p := newTestPoW(t, 12, nil)
	v := PoWVerifier{PoW: p, Guard: NewMemoryReplayGuard(MemoryReplayGuardConfig{})}
	ch, err := p.Challenge()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := SolveToken(ch.Value)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(context.Background(), tok, ""); err != nil {
		t.Fatalf("SolveToken's token refused: %v", err)
	}
	if _, err := SolveToken("not a challenge"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("malformed challenge: %v", err)
	}
}
