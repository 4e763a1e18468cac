package botcheck

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Proof-of-work defaults and limits. See the package documentation for why.
const (
	// DefaultDifficulty is the number of leading zero bits a solution hash
	// must have when PoWConfig.Difficulty is zero: 2^15 ≈ 33,000 SHA-256
	// evaluations on average (23,000 at the median), which the browser
	// script does in well under 0.3 s on a mid-range phone. See the package
	// documentation for the measurements.
	DefaultDifficulty = 15
	// MinDifficulty is the lowest accepted PoWConfig.Difficulty; below it the
	// work is negligible.
	MinDifficulty = 8
	// MaxDifficulty is the highest accepted PoWConfig.Difficulty (about a
	// billion hashes: minutes in a browser).
	MaxDifficulty = 30
	// DefaultTTL is how long a challenge stays solvable when PoWConfig.TTL is
	// zero.
	DefaultTTL = 5 * time.Minute
	// MinSecretLen is the minimum length of PoWConfig.Secret in bytes.
	MinSecretLen = 32

	// MaxChallengeLen bounds the challenge Verify accepts; longer input is
	// refused before any hashing.
	MaxChallengeLen = 256
	// MaxSolutionLen bounds the solution Verify accepts; longer input is
	// refused before any hashing.
	MaxSolutionLen = 32

	// TokenSeparator joins a challenge and its solution into the single
	// token that the browser script writes into the form and that
	// [PoWVerifier] accepts: challenge + TokenSeparator + solution. Solutions
	// never contain it, so the token splits at its last occurrence.
	TokenSeparator = "."

	// PoWField is the suggested form field name for the hidden input that
	// carries data-latch-pow and receives the token.
	PoWField = "latch_pow"
)

const (
	powVersion  = "p1"
	powFields   = 6 // version, kid, difficulty, expiry, nonce, mac
	nonceBytes  = 16
	kidBytes    = 6
	macLabel    = "latch/botcheck/pow/v1/mac"
	kidLabel    = "latch/botcheck/pow/v1/kid"
	b64NonceLen = 22 // base64url, unpadded, of nonceBytes
	b64MACLen   = 43 // base64url, unpadded, of a SHA-256 HMAC
)

var b64 = base64.RawURLEncoding

// PoWConfig configures [NewPoW]. Only Secret is required.
type PoWConfig struct {
	// Secret signs challenges with HMAC-SHA256. At least 32 bytes from a
	// CSPRNG; every instance that verifies must share it. The signing and key
	// id keys are derived from it under a label, so reusing a secret that is
	// also used elsewhere does not let one use forge the other — but a
	// dedicated secret is still best.
	Secret []byte

	// PreviousSecrets are still accepted when verifying, never used to sign:
	// put the old secret here while rotating so challenges already on users'
	// screens stay valid for one TTL.
	PreviousSecrets [][]byte

	// Difficulty is the number of leading zero bits required of
	// SHA-256(challenge ":" solution). Zero means DefaultDifficulty (15);
	// otherwise it must be within MinDifficulty..MaxDifficulty. Each extra bit
	// doubles the average work.
	Difficulty int

	// TTL is how long a challenge can be solved and submitted. Zero means
	// DefaultTTL (5 minutes). It also bounds how long a ReplayGuard must
	// remember a used challenge.
	TTL time.Duration

	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time

	// Rand supplies nonces; nil means crypto/rand.Reader.
	Rand io.Reader
}

// PoW issues and verifies stateless, HMAC-signed proof-of-work challenges.
// Create it with [NewPoW]. It is safe for concurrent use and holds no mutable
// state; the only state needed for single use lives in a [ReplayGuard].
type PoW struct {
	difficulty int
	ttl        time.Duration
	clock      func() time.Time
	rand       io.Reader
	signer     powKey   // signs and verifies
	keys       []powKey // signer first, then previous secrets
}

type powKey struct {
	kid string
	mac []byte
}

func derivePoWKey(secret []byte) powKey {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(macLabel))
	macKey := m.Sum(nil)
	m = hmac.New(sha256.New, secret)
	m.Write([]byte(kidLabel))
	return powKey{kid: b64.EncodeToString(m.Sum(nil)[:kidBytes]), mac: macKey}
}

// NewPoW validates cfg and returns a PoW. It fails when Secret (or any of
// PreviousSecrets) is shorter than MinSecretLen bytes, when Difficulty is
// non-zero and outside MinDifficulty..MaxDifficulty, or when TTL is negative.
func NewPoW(cfg PoWConfig) (*PoW, error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("botcheck: PoWConfig.Secret must be at least %d bytes, got %d", MinSecretLen, len(cfg.Secret))
	}
	p := &PoW{difficulty: cfg.Difficulty, ttl: cfg.TTL, clock: cfg.Clock, rand: cfg.Rand}
	if p.difficulty == 0 {
		p.difficulty = DefaultDifficulty
	}
	if p.difficulty < MinDifficulty || p.difficulty > MaxDifficulty {
		return nil, fmt.Errorf("botcheck: PoWConfig.Difficulty must be within %d..%d, got %d", MinDifficulty, MaxDifficulty, cfg.Difficulty)
	}
	if p.ttl < 0 {
		return nil, fmt.Errorf("botcheck: PoWConfig.TTL must not be negative, got %v", cfg.TTL)
	}
	if p.ttl == 0 {
		p.ttl = DefaultTTL
	}
	if p.clock == nil {
		p.clock = time.Now
	}
	if p.rand == nil {
		p.rand = rand.Reader
	}
	p.signer = derivePoWKey(cfg.Secret)
	p.keys = []powKey{p.signer}
	for i, s := range cfg.PreviousSecrets {
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("botcheck: PoWConfig.PreviousSecrets[%d] must be at least %d bytes, got %d", i, MinSecretLen, len(s))
		}
		p.keys = append(p.keys, derivePoWKey(s))
	}
	return p, nil
}

// Difficulty reports the configured number of leading zero bits.
func (p *PoW) Difficulty() int { return p.difficulty }

// Challenge is one issued proof-of-work challenge.
type Challenge struct {
	// Value is the signed, self-contained challenge string. It is URL- and
	// HTML-attribute-safe (base64url, digits and dots). Put it in the
	// data-latch-pow attribute of the form's hidden input.
	Value string
	// ID is the challenge's unique id (its random 128-bit nonce, base64url);
	// Verify returns the same id.
	ID string
	// Difficulty is the number of leading zero bits the solution needs.
	Difficulty int
	// Expires is when the challenge stops being accepted (second precision).
	Expires time.Time
}

// String returns c.Value.
func (c Challenge) String() string { return c.Value }

// Challenge issues a new challenge. Nothing is stored: the challenge carries
// its own nonce, difficulty, expiry and key id, signed with HMAC-SHA256. The
// only error is a failure of the random source.
//
// Format (informative; clients need only the difficulty, the third field):
//
//	p1.<kid>.<difficulty>.<expiry unix seconds>.<nonce>.<hmac>
func (p *PoW) Challenge() (Challenge, error) {
	var nonce [nonceBytes]byte
	if _, err := io.ReadFull(p.rand, nonce[:]); err != nil {
		return Challenge{}, fmt.Errorf("botcheck: reading nonce: %w", err)
	}
	exp := p.clock().Add(p.ttl).Unix()
	id := b64.EncodeToString(nonce[:])
	body := powVersion + "." + p.signer.kid + "." + strconv.Itoa(p.difficulty) + "." +
		strconv.FormatInt(exp, 10) + "." + id
	m := hmac.New(sha256.New, p.signer.mac)
	m.Write([]byte(body))
	v := body + "." + b64.EncodeToString(m.Sum(nil))
	return Challenge{Value: v, ID: id, Difficulty: p.difficulty, Expires: time.Unix(exp, 0)}, nil
}

// parsedChallenge holds the fields of a syntactically valid challenge.
type parsedChallenge struct {
	kid        string
	difficulty int
	expires    int64
	id         string
	body       string // everything the MAC covers
	mac        string
}

// parseChallenge checks the shape of a challenge. It does not check the MAC.
func parseChallenge(c string) (parsedChallenge, error) {
	if len(c) == 0 || len(c) > MaxChallengeLen {
		return parsedChallenge{}, fmt.Errorf("%w: challenge length %d", ErrInvalid, len(c))
	}
	f := strings.Split(c, ".")
	if len(f) != powFields || f[0] != powVersion {
		return parsedChallenge{}, fmt.Errorf("%w: malformed challenge", ErrInvalid)
	}
	d, err := strconv.Atoi(f[2])
	if err != nil || d < 1 || d > MaxDifficulty {
		return parsedChallenge{}, fmt.Errorf("%w: malformed challenge difficulty", ErrInvalid)
	}
	exp, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil || exp <= 0 {
		return parsedChallenge{}, fmt.Errorf("%w: malformed challenge expiry", ErrInvalid)
	}
	if len(f[4]) != b64NonceLen || len(f[5]) != b64MACLen {
		return parsedChallenge{}, fmt.Errorf("%w: malformed challenge nonce or mac", ErrInvalid)
	}
	return parsedChallenge{
		kid: f[1], difficulty: d, expires: exp, id: f[4],
		body: c[:len(c)-len(f[5])-1], mac: f[5],
	}, nil
}

func validSolution(s string) bool {
	if len(s) == 0 || len(s) > MaxSolutionLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Verify checks that challenge was issued by this PoW (or under one of its
// PreviousSecrets), has not expired, was issued at no less than the
// configured difficulty, and that solution solves it:
// SHA-256(challenge ":" solution) has at least that many leading zero bits.
// A solution is 1..MaxSolutionLen characters of [0-9A-Za-z_-].
//
// On success it returns the challenge's unique id. Verify alone does not make
// a challenge single-use: pass the id to a ReplayGuard, or call VerifyOnce.
//
// Errors: ErrInvalid (malformed, unknown key, bad signature, wrong solution),
// ErrExpired, ErrTooEasy; all match ErrInvalid. The signature is compared in
// constant time and checked before anything else the challenge claims.
func (p *PoW) Verify(challenge, solution string) (id string, err error) {
	pc, err := p.verify(challenge, solution)
	if err != nil {
		return "", err
	}
	return pc.id, nil
}

func (p *PoW) verify(challenge, solution string) (parsedChallenge, error) {
	pc, err := parseChallenge(challenge)
	if err != nil {
		return parsedChallenge{}, err
	}
	if !validSolution(solution) {
		return parsedChallenge{}, fmt.Errorf("%w: malformed solution", ErrInvalid)
	}
	got, err := b64.DecodeString(pc.mac)
	if err != nil {
		return parsedChallenge{}, fmt.Errorf("%w: malformed challenge mac", ErrInvalid)
	}
	var key *powKey
	for i := range p.keys {
		if p.keys[i].kid == pc.kid {
			key = &p.keys[i]
			break
		}
	}
	if key == nil {
		return parsedChallenge{}, fmt.Errorf("%w: challenge signed with an unknown key", ErrInvalid)
	}
	m := hmac.New(sha256.New, key.mac)
	m.Write([]byte(pc.body))
	if !hmac.Equal(m.Sum(nil), got) {
		return parsedChallenge{}, fmt.Errorf("%w: bad challenge signature", ErrInvalid)
	}
	if now := p.clock().Unix(); now >= pc.expires {
		return parsedChallenge{}, fmt.Errorf("%w (%ds ago)", ErrExpired, now-pc.expires)
	}
	if pc.difficulty < p.difficulty {
		return parsedChallenge{}, fmt.Errorf("%w: issued at %d bits, %d required", ErrTooEasy, pc.difficulty, p.difficulty)
	}
	sum := powHash(challenge, solution)
	if leadingZeroBits(sum[:]) < pc.difficulty {
		return parsedChallenge{}, fmt.Errorf("%w: solution does not meet difficulty %d", ErrInvalid, pc.difficulty)
	}
	return pc, nil
}

// VerifyOnce is Verify followed by guard.Use of the challenge's id until its
// expiry: the first valid submission of a challenge is accepted, every later
// one fails with ErrReplayed. A nil guard or a guard error fails closed with an
// error matching ErrUnavailable.
func (p *PoW) VerifyOnce(ctx context.Context, guard ReplayGuard, challenge, solution string) error {
	if guard == nil {
		return fmt.Errorf("%w: nil ReplayGuard", ErrUnavailable)
	}
	pc, err := p.verify(challenge, solution)
	if err != nil {
		return err
	}
	fresh, err := guard.Use(ctx, pc.id, time.Unix(pc.expires, 0))
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			return err
		}
		return fmt.Errorf("%w: replay guard: %w", ErrUnavailable, err)
	}
	if !fresh {
		return ErrReplayed
	}
	return nil
}

func powHash(challenge, solution string) [sha256.Size]byte {
	buf := make([]byte, 0, len(challenge)+1+len(solution))
	buf = append(buf, challenge...)
	buf = append(buf, ':')
	buf = append(buf, solution...)
	return sha256.Sum256(buf)
}

func leadingZeroBits(b []byte) int {
	n := 0
	for _, c := range b {
		if c != 0 {
			return n + bits.LeadingZeros8(c)
		}
		n += 8
	}
	return n
}

// Solve finds a solution to challenge by brute force and returns it (decimal
// digits): the smallest n for which SHA-256(challenge ":" n) has the
// challenge's difficulty in leading zero bits, as the browser script finds
// it. It reads the difficulty from the challenge without checking the
// signature, so it works for any well-formed challenge. It is the solver for
// Go clients (a native app, a load test, a test of a form) that call
// GET /v1/bot_challenge and send challenge + TokenSeparator + solution as
// the bot_token (SolveToken builds it); expect about 2^difficulty hashes
// (BenchmarkPoWSolve: 5–20 ms of one core at the default). The only error
// is ErrInvalid for a malformed challenge.
func Solve(challenge string) (string, error) {
	pc, err := parseChallenge(challenge)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 0, len(challenge)+1+20)
	buf = append(buf, challenge...)
	buf = append(buf, ':')
	prefix := len(buf)
	for n := uint64(0); ; n++ {
		buf = strconv.AppendUint(buf[:prefix], n, 10)
		sum := sha256.Sum256(buf)
		if leadingZeroBits(sum[:]) >= pc.difficulty {
			return string(buf[prefix:]), nil
		}
	}
}

// SolveToken solves challenge and returns the token a form or JSON request
// carries (in Latch, the bot_token field): challenge + TokenSeparator +
// solution, as the browser script writes it. Errors are Solve's.
func SolveToken(challenge string) (string, error) {
	solution, err := Solve(challenge)
	if err != nil {
		return "", err
	}
	return challenge + TokenSeparator + solution, nil
}

// PoWVerifier adapts a PoW to the Verifier interface, so proof of work can be
// configured wherever a captcha can. The token is challenge + TokenSeparator +
// solution — exactly what the browser script writes into the form's
// data-latch-pow input. Each challenge is accepted once through Guard, which
// is required (nil fails closed with ErrUnavailable). remoteIP is ignored.
type PoWVerifier struct {
	PoW   *PoW
	Guard ReplayGuard
}

var _ Verifier = PoWVerifier{}

// Verify splits token at its last TokenSeparator and calls PoW.VerifyOnce.
// Errors match ErrInvalid (refused, including ErrExpired, ErrReplayed and
// ErrTooEasy) or ErrUnavailable (no PoW or Guard, or the Guard failed).
func (v PoWVerifier) Verify(ctx context.Context, token, remoteIP string) error {
	if v.PoW == nil {
		return fmt.Errorf("%w: PoWVerifier.PoW is nil", ErrUnavailable)
	}
	if token == "" || len(token) > MaxChallengeLen+len(TokenSeparator)+MaxSolutionLen {
		return fmt.Errorf("%w: token length %d", ErrInvalid, len(token))
	}
	i := strings.LastIndex(token, TokenSeparator)
	if i < 0 {
		return fmt.Errorf("%w: token has no separator", ErrInvalid)
	}
	return v.PoW.VerifyOnce(ctx, v.Guard, token[:i], token[i+len(TokenSeparator):])
}
