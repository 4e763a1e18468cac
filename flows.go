package latch

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/latchauth/latch/storage"
)

// Lifetimes of the things a flow creates (SECURITY.md 13, 14).
const (
	flowLifetime     = 30 * time.Minute
	codeLifetime     = 10 * time.Minute
	linkLifetime     = 10 * time.Minute
	ticketMaxTTL     = 30 * 24 * time.Hour
	maxCodeAttempts  = 5
	codeDigits       = 6
	flowKindSignIn   = "sign_in"
	flowKindSignUp   = "sign_up"
	maxFlowBodyBytes = 64 << 10
)

// flow is a stored sign-in or sign-up with its decoded state.
type flow[S any] struct {
	rec   *storage.Flow
	state S
	// bind, for a flow not yet bound to a client, finds or creates the
	// browser's client. It runs at the first save, not before, so that a
	// sign-in finished in its first request binds to the client its
	// session creates instead of making one more.
	bind func() (string, error)
}

// clientFor returns the client of the browser (or native app) of r,
// creating one and setting its cookie when there is none, so that every
// flow is bound to the browser that started it.
func (a *Auth) clientFor(ctx context.Context, rq *flowReq) (string, error) {
	c, err := a.provenClient(ctx, a.store, rq.r)
	if err == nil {
		return c.ID, nil
	}
	if !errors.Is(err, errSignedOut) {
		return "", err
	}
	secret, hash, err := a.newSecret()
	if err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	id, err := a.newID(PrefixClient)
	if err != nil {
		return "", err
	}
	now := a.now()
	if err := a.store.CreateClient(ctx, &storage.Client{ID: id, SecretHash: hash, LastActiveAt: now,
		ExpiresAt: now.Add(a.cfg.Session.MaxLifetime), CreatedAt: now, UpdatedAt: now}); err != nil {
		return "", storageError(err)
	}
	rq.fx.setClient(clientCookie{ClientID: id, Secret: secret})
	return id, nil
}

// provenClient reads, with q, the client whose cookie (or header) r
// carries, when the secret in it matches the stored hash. errSignedOut when
// there is no cookie, no such client or the wrong secret; a storage error
// otherwise. Every use of the client cookie but the refresh (which reads
// client and session together) goes through it.
func (a *Auth) provenClient(ctx context.Context, q storage.Querier, r *http.Request) (*storage.Client, error) {
	cc, ok := a.cookies.readClient(r)
	if !ok {
		return nil, errSignedOut
	}
	c, err := q.GetClient(ctx, cc.ClientID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, errSignedOut
	case err != nil:
		return nil, storageError(err)
	case !secretMatches(cc.Secret, c.SecretHash):
		return nil, errSignedOut
	}
	return c, nil
}

// requestClient returns the ID of the client that r proves it holds, or "".
func (a *Auth) requestClient(ctx context.Context, r *http.Request) string {
	c, err := a.provenClient(ctx, a.store, r)
	if err != nil {
		return ""
	}
	return c.ID
}

// newFlow makes a new flow of kind for the browser of r, in status. It is
// stored (and bound to the browser's client) at its first save, so that a
// sign-in completed in one request (a password sent with the identifier)
// costs one write transaction.
func newFlow[S any](ctx context.Context, a *Auth, rq *flowReq, kind, prefix, status string, state S) (*flow[S], error) {
	id, err := a.newID(prefix)
	if err != nil {
		return nil, err
	}
	now := a.now()
	return &flow[S]{
		rec:   &storage.Flow{ID: id, Kind: kind, Status: status, ExpiresAt: now.Add(flowLifetime), CreatedAt: now, UpdatedAt: now},
		state: state,
		bind:  func() (string, error) { return a.clientFor(ctx, rq) },
	}, nil
}

// loadFlow reads a flow for the client of r. A flow of another client, of
// another kind, or expired is not found: flows are bound to the browser
// that started them.
func loadFlow[S any](ctx context.Context, a *Auth, r *http.Request, kind, id string) (*flow[S], error) {
	rec, err := a.store.GetFlow(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, storageError(err)
	}
	client := a.requestClient(ctx, r)
	if rec.Kind != kind || client == "" || subtle.ConstantTimeCompare([]byte(client), []byte(rec.ClientID)) != 1 {
		return nil, ErrNotFound
	}
	if !a.now().Before(rec.ExpiresAt) {
		return nil, ErrFlowExpired
	}
	f := &flow[S]{rec: rec}
	if err := json.Unmarshal(rec.Data, &f.state); err != nil {
		return nil, ErrUnavailable.wrap(err)
	}
	return f, nil
}

// readFlow reads a flow without checking which browser asks: only for a
// flow the same request has just created.
func readFlow[S any](ctx context.Context, a *Auth, id string) (*flow[S], error) {
	rec, err := a.store.GetFlow(ctx, id)
	if err != nil {
		return nil, storageError(err)
	}
	f := &flow[S]{rec: rec}
	if err := json.Unmarshal(rec.Data, &f.state); err != nil {
		return nil, ErrUnavailable.wrap(err)
	}
	return f, nil
}

// save writes the flow (creating it the first time); a concurrent change of
// the same flow gives ErrConflict.
func (f *flow[S]) save(ctx context.Context, a *Auth, status string) error {
	if f.rec.ClientID == "" && f.bind != nil {
		id, err := f.bind()
		if err != nil {
			return err
		}
		f.rec.ClientID = id
	}
	return f.saveIn(ctx, a, a.store, status)
}

// completeIn saves the flow's completion with q. The caller has just
// redeemed the flow's proof, so it owns the outcome: a concurrent request
// that saved the flow in between (a failed guess counting an attempt) must
// not undo the completion, so its version is taken over.
func (f *flow[S]) completeIn(ctx context.Context, a *Auth, q storage.Querier, status string) error {
	err := f.saveIn(ctx, a, q, status)
	if !errors.Is(err, storage.ErrStale) || f.rec.Version == 0 {
		return err
	}
	cur, gerr := q.GetFlow(ctx, f.rec.ID)
	if gerr != nil {
		return storageError(gerr)
	}
	f.rec.Version = cur.Version
	return f.saveIn(ctx, a, q, status)
}

// saveIn writes the flow with q, inside a transaction of the caller's.
func (f *flow[S]) saveIn(ctx context.Context, a *Auth, q storage.Querier, status string) error {
	data, err := json.Marshal(f.state)
	if err != nil {
		return ErrUnavailable.wrap(err)
	}
	f.rec.Data, f.rec.Status, f.rec.UpdatedAt = data, status, a.now()
	if f.rec.Version == 0 {
		return storageError(q.CreateFlow(ctx, f.rec))
	}
	return storageError(q.UpdateFlow(ctx, f.rec))
}

// factorState is the progress of one factor of a flow.
type factorState struct {
	Strategy       string    `json:"strategy"`
	Status         string    `json:"status"` // unverified, verified, failed, expired
	VerificationID string    `json:"verification_id,omitempty"`
	IdentifierID   string    `json:"identifier_id,omitempty"`
	Attempts       int       `json:"attempts"`
	ExpiresAt      time.Time `json:"expire_at,omitempty"`
	// State is a plugin strategy's memory between prepare and attempt;
	// Options what its prepare gave the client.
	State   json.RawMessage `json:"state,omitempty"`
	Options json.RawMessage `json:"options,omitempty"`
	// External is where a Redirector sends the browser to answer.
	External string `json:"external,omitempty"`
	// Proof is what a Redirector's callback proved, kept server-side
	// until the browser that started the flow continues it.
	Proof *Proof `json:"proof,omitempty"`
	// SealedOptions holds Options encrypted under Config.Secrets (key
	// OptionsKey) when they carry a secret: an authenticator app's seed
	// while it is being set up.
	SealedOptions []byte `json:"sealed_options,omitempty"`
	OptionsKey    string `json:"options_key,omitempty"`
}

// optionsPurpose binds sealed factor options to their use.
const optionsPurpose = "factor-options"

// sealOptions moves the factor's Options into SealedOptions.
func (a *Auth) sealOptions(f *factorState) error {
	if len(f.Options) == 0 {
		return nil
	}
	sealed, kid, err := a.secrets.seal(a.cfg.Rand, optionsPurpose, f.Options)
	if err != nil {
		return ErrUnavailable.wrap(err)
	}
	f.SealedOptions, f.OptionsKey, f.Options = sealed, kid, nil
	return nil
}

// openOptions returns the factor's options, opening sealed ones.
func (a *Auth) openOptions(f *factorState) json.RawMessage {
	if len(f.SealedOptions) == 0 {
		return f.Options
	}
	plain, err := a.secrets.open(optionsPurpose, f.OptionsKey, f.SealedOptions)
	if err != nil {
		return nil // a retired secret: the user starts the set-up again
	}
	return plain
}

// Factor statuses.
const (
	factorUnverified = "unverified"
	factorVerified   = "verified"
	factorFailed     = "failed"
)

// newCode creates a verification holding a fresh one-time code and returns
// the code. attempts carries the failures of earlier codes of the same flow
// over, so that asking for a new code never buys more guesses.
func (a *Auth) newCode(ctx context.Context, q storage.Querier, purpose, flowID, userID, identID string, attempts int) (*storage.Verification, string, error) {
	code, err := randomDigits(a.cfg.Rand, codeDigits)
	if err != nil {
		return nil, "", ErrUnavailable.wrap(err)
	}
	id, err := a.newID(PrefixVerification)
	if err != nil {
		return nil, "", err
	}
	now := a.now()
	v := &storage.Verification{ID: id, Purpose: purpose, FlowID: flowID, UserID: userID, IdentifierID: identID,
		SecretHash: a.codeHash(id, code), Attempts: attempts, MaxAttempts: maxCodeAttempts, ExpiresAt: now.Add(codeLifetime), CreatedAt: now}
	if err := q.CreateVerification(ctx, v); err != nil {
		return nil, "", storageError(err)
	}
	return v, code, nil
}

// codeHash keys the hash of a short code with a server secret and binds it
// to its verification, so a stolen database does not give codes away to a
// million-guess brute force.
func (a *Auth) codeHash(verificationID, code string) []byte {
	m := hmac.New(sha256.New, derive(a.cfg.Secrets[0], "one-time-code"))
	io.WriteString(m, verificationID)
	m.Write([]byte{0})
	io.WriteString(m, code)
	return m.Sum(nil)
}

// checkCode counts an attempt at a verification and consumes it when code
// is right. It returns ErrCodeIncorrect, ErrCodeExpired (expired, used or out
// of attempts) or nil.
func (a *Auth) checkCode(ctx context.Context, verificationID, code string) (*storage.Verification, error) {
	code = normalizeCode(code)
	now := a.now()
	v, err := a.store.RecordVerificationAttempt(ctx, verificationID, now)
	switch {
	case errors.Is(err, storage.ErrConsumed), errors.Is(err, storage.ErrNotFound):
		return nil, ErrCodeExpired
	case err != nil:
		return nil, storageError(err)
	}
	if len(code) != codeDigits || !hmac.Equal(a.codeHash(v.ID, code), v.SecretHash) {
		// The attempt was counted first, so concurrent guesses cannot
		// exceed the limit.
		return v, ErrCodeIncorrect
	}
	if _, err := a.store.ConsumeVerification(ctx, v.ID, now); err != nil {
		if errors.Is(err, storage.ErrConsumed) {
			return nil, ErrCodeExpired // another request used it first
		}
		return nil, storageError(err)
	}
	return v, nil
}

// normalizeCode drops the spaces and dashes people type inside codes, and
// any non-ASCII digit, before the code is compared.
func normalizeCode(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if r != ' ' && r != '-' {
			return "" // anything else cannot be a code
		}
	}
	return b.String()
}

func randomDigits(r io.Reader, n int) (string, error) {
	max := big.NewInt(1)
	for range n {
		max.Mul(max, big.NewInt(10))
	}
	v, err := rand.Int(r, max)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", n, v), nil
}

// newLink creates a verification for a link (magic link, reset link,
// sign-in ticket) and returns its token: the verification ID and a 256-bit
// secret. Only the secret's hash is stored.
func (a *Auth) newLink(ctx context.Context, q storage.Querier, purpose, flowID, userID, identID string, ttl time.Duration, data json.RawMessage) (string, error) {
	secret, hash, err := a.newSecret()
	if err != nil {
		return "", ErrUnavailable.wrap(err)
	}
	id, err := a.newID(PrefixVerification)
	if err != nil {
		return "", err
	}
	now := a.now()
	if err := q.CreateVerification(ctx, &storage.Verification{ID: id, Purpose: purpose, FlowID: flowID, UserID: userID,
		IdentifierID: identID, SecretHash: hash, Data: data, ExpiresAt: now.Add(ttl), CreatedAt: now}); err != nil {
		return "", storageError(err)
	}
	return id + "." + secret, nil
}

// findLink returns the verification a link token (or refresh token) names,
// consumed or not, when its secret matches and its purpose is one of
// purposes; ErrTokenInvalid otherwise. It is the one place such tokens are
// parsed and checked.
func (a *Auth) findLink(ctx context.Context, tok string, purposes ...string) (*storage.Verification, error) {
	id, secret, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 256 {
		return nil, ErrTokenInvalid
	}
	v, err := a.store.GetVerification(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, storageError(err)
	}
	if !slices.Contains(purposes, v.Purpose) || !secretMatches(secret, v.SecretHash) {
		return nil, ErrTokenInvalid
	}
	return v, nil
}

// consumeLink redeems a link token once. ErrTokenInvalid for anything but
// a live token of one of the purposes.
func (a *Auth) consumeLink(ctx context.Context, tok string, purposes ...string) (*storage.Verification, error) {
	v, err := a.findLink(ctx, tok, purposes...)
	if err != nil {
		return nil, err
	}
	v, err = a.store.ConsumeVerification(ctx, v.ID, a.now())
	if errors.Is(err, storage.ErrConsumed) || errors.Is(err, storage.ErrNotFound) {
		return nil, ErrTokenInvalid
	}
	return v, storageError(err)
}

// link builds an absolute URL on the configured base URL, never on the
// request's Host or X-Forwarded-* headers (CVE-2017-8295).
func (a *Auth) link(path string) string { return a.cfg.BaseURL + path }
