package latch

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/latchauth/latch/botcheck"
	"github.com/latchauth/latch/ratelimit"
	"github.com/latchauth/latch/screen"
	"github.com/latchauth/latch/storage"
)

// ProtectionConfig configures abuse protection: rate limits, lockout, bot
// checks, who may sign up, and the client address behind proxies. The zero
// value is on and safe for one instance; an app on several instances sets
// Limiter to a shared one (ratelimit/redisrate).
type ProtectionConfig struct {
	// Limiter counts attempts. Default: in memory, per instance.
	Limiter ratelimit.Limiter
	// InsecureFailOpen lets auth requests through when the limiter fails
	// (Redis down). Default false: they are refused with 503, and the log
	// says why, since an attacker who can break the limiter must not gain
	// unlimited guesses.
	InsecureFailOpen bool
	// Limits overrides default limits; zero fields keep their default.
	Limits Limits
	// Proxies says which proxies may report the client's address.
	Proxies ProxyConfig
	// Bot configures bot checks on sign-up (and optionally sign-in).
	Bot BotConfig
	// Rules screens email addresses and phone numbers at sign-up and when
	// added to an account: disposable domains (blocked by default),
	// subaddresses, allow and block lists.
	Rules screen.Rules
	// CodeGuesses bounds wrong one-time codes per account and channel,
	// across flows and sign-ins.
	CodeGuesses CodeGuessBudget
}

// CodeGuessBudget is how many one-time codes (emailed or texted codes,
// authenticator-app codes, backup codes) an account may get wrong on one
// channel, whatever the number of flows, before each further attempt
// waits, longer after each wrong code. The user is told by mail when the
// budget runs out. A browser the user has signed in on before has its own
// budget, so an attacker spending the account's does not keep its owner
// out. Zero fields keep their default; the README works out what the
// defaults give an attacker in a year.
type CodeGuessBudget struct {
	// Free is how many wrong codes are allowed without a wait. Default 10.
	Free int
	// Forget is how long until one wrong code no longer counts. Default
	// 72 hours: about ten a month come back.
	Forget time.Duration
	// FirstDelay is the wait after the last free wrong code; each further
	// wrong code doubles it. Default one minute.
	FirstDelay time.Duration
	// MaxDelay caps the wait. Default 24 hours.
	MaxDelay time.Duration
}

func (b *CodeGuessBudget) withDefaults() {
	if b.Free <= 0 {
		b.Free = 10
	}
	if b.Forget <= 0 {
		b.Forget = 72 * time.Hour
	}
	if b.FirstDelay <= 0 {
		b.FirstDelay = time.Minute
	}
	if b.MaxDelay <= 0 {
		b.MaxDelay = 24 * time.Hour
	}
	b.MaxDelay = max(b.MaxDelay, b.FirstDelay)
	// The count is kept as a time Free+60 Forgets ahead at most, which
	// the limiters bound (ratelimit.Limit.Validate).
	b.Forget = min(b.Forget, 180*24*time.Hour)
}

// Limits are the rate limits of the auth routes. Each is a rate with a
// burst: Burst attempts at once, then Rate per Period.
type Limits struct {
	// PerIP bounds every auth request (sign-in, sign-up, verification,
	// refresh) from one address. Loose, since many people share
	// addresses. Default 60 per minute, burst 60.
	PerIP ratelimit.Limit
	// SignInPerIdentifier slows guessing at one account, wherever it comes
	// from: a few attempts at once, then one every 30 seconds.
	SignInPerIdentifier ratelimit.Limit
	// Lockout locks an account's password sign-in after Burst failed
	// passwords (NIST 800-63B: at most 100), counted on the canonical
	// identifier, so "Alice", "alice " and "ALICE" count as one. Only
	// passwords that were checked count: an attempt SignInPerIdentifier
	// or SignInPerIPIdentifier refused does not, so nobody can lock an
	// account faster than those delays allow. Signing in by an emailed
	// code (or a reset) unlocks it; so does UnlockUser. While locked,
	// User.Locked is true. Default 100 per hour.
	Lockout ratelimit.Limit
	// SignInPerIPIdentifier bounds attempts at one account from one
	// address. Default 10 per minute, burst 10.
	SignInPerIPIdentifier ratelimit.Limit
	// SendsPerIdentifier bounds codes and links sent to one address or
	// number. Default 10 per hour, burst 5.
	SendsPerIdentifier ratelimit.Limit
	// SendsPerIP bounds codes and links requested from one address.
	// Default 30 per hour, burst 10.
	SendsPerIP ratelimit.Limit
	// SMSPerPrefix bounds texts to one country and area prefix, against
	// toll fraud. Default 100 per hour, burst 20.
	SMSPerPrefix ratelimit.Limit
	// SignUpsPerIP bounds sign-ups started from one address. Default 20
	// per hour, burst 10.
	SignUpsPerIP ratelimit.Limit
}

func (l *Limits) withDefaults() {
	def := func(v *ratelimit.Limit, d ratelimit.Limit) {
		if v.Rate == 0 {
			*v = d
		}
	}
	def(&l.PerIP, ratelimit.Limit{Rate: 60, Period: time.Minute, Burst: 60})
	def(&l.SignInPerIdentifier, ratelimit.Limit{Rate: 1, Period: 30 * time.Second, Burst: 5})
	def(&l.Lockout, ratelimit.Limit{Rate: 100, Period: time.Hour, Burst: 100})
	def(&l.SignInPerIPIdentifier, ratelimit.Limit{Rate: 10, Period: time.Minute, Burst: 10})
	def(&l.SendsPerIdentifier, ratelimit.Limit{Rate: 10, Period: time.Hour, Burst: 5})
	def(&l.SendsPerIP, ratelimit.Limit{Rate: 30, Period: time.Hour, Burst: 10})
	def(&l.SMSPerPrefix, ratelimit.Limit{Rate: 100, Period: time.Hour, Burst: 20})
	def(&l.SignUpsPerIP, ratelimit.Limit{Rate: 20, Period: time.Hour, Burst: 10})
}

// BotConfig configures bot checks.
type BotConfig struct {
	// Disabled turns bot checks off.
	Disabled bool
	// OnSignIn checks sign-ins too. Default: sign-ups only.
	OnSignIn bool
	// Verifier is a CAPTCHA service (botcheck.Turnstile,
	// botcheck.HCaptcha) used instead of the built-in proof of work.
	Verifier botcheck.Verifier
	// Difficulty of the built-in proof of work in leading zero bits.
	// Default botcheck.DefaultDifficulty (15): about 0.2 s on a mid-range
	// phone, and a real cost for an attacker making thousands of sign-ups.
	Difficulty int
}

// ErrRateLimited: too many requests; retry after the Retry-After header.
var ErrRateLimited = &Error{Code: "rate_limited", Message: "Too many attempts. Please wait a moment and try again.", Status: http.StatusTooManyRequests}

// ErrLocked: too many failed password attempts on this account. Its
// message says how to unlock: the same answer for every identifier, known
// or not, since the count is kept per identifier either way.
var ErrLocked = &Error{Code: "identifier_locked", Message: "Too many failed attempts. Try again later, or sign in with a code sent to your email to unlock your account.", Status: http.StatusTooManyRequests}

// ErrBotCheck: the bot check (proof of work, CAPTCHA or honeypot) failed.
var ErrBotCheck = &Error{Code: "bot_check_failed", Message: "We could not tell that you are not a bot. Please try again.", Status: http.StatusForbidden, Field: "bot_token"}

// rateError carries the wait of a refused request, for Retry-After.
type rateError struct {
	err        *Error
	retryAfter time.Duration
}

func (e *rateError) Error() string { return e.err.Error() }
func (e *rateError) Unwrap() error { return e.err }

// limit consumes one attempt of each key; the first refusal wins. A
// failing limiter refuses (503) unless InsecureFailOpen.
func (a *Auth) limit(ctx context.Context, refusal *Error, checks ...limitCheck) error {
	for _, c := range checks {
		res, err := a.limiter.Allow(ctx, c.key, c.limit)
		if err != nil {
			a.cfg.Logger.ErrorContext(ctx, "latch: rate limiter unavailable", "fail_open", a.cfg.Protection.InsecureFailOpen, "err", err)
			if a.cfg.Protection.InsecureFailOpen {
				continue
			}
			return ErrUnavailable.wrap(err)
		}
		if !res.Allowed {
			return &rateError{err: refusal, retryAfter: res.RetryAfter}
		}
	}
	return nil
}

type limitCheck struct {
	key   string
	limit ratelimit.Limit
}

// identifierKey is the key of an identifier in rate limits: its canonical
// form, so that variants share one count (CVE-2025-6004).
func identifierKey(kind, value string) string {
	return kind + ":" + storage.Canonical(storage.IdentifierKind(kind), value)
}

// checkSignInAttempt applies the limits of one password attempt. The
// progressive delays come first: an attempt they refuse is never checked
// and so never counts toward the lockout, which only a checked password
// draws on. It returns when the account locks if this password is wrong
// (zero while attempts remain).
func (a *Auth) checkSignInAttempt(ctx context.Context, r *http.Request, kind, identifier string) (lockIfWrong time.Time, err error) {
	id, ip := identifierKey(kind, identifier), a.proxies.ClientIP(r)
	l := a.cfg.Protection.Limits
	if err := a.limit(ctx, ErrRateLimited, limitCheck{"slow:" + id, l.SignInPerIdentifier}, limitCheck{"ipid:" + ip + "|" + id, l.SignInPerIPIdentifier}); err != nil {
		return time.Time{}, err
	}
	res, err := a.limiter.Allow(ctx, "lock:"+id, l.Lockout)
	switch {
	case err != nil:
		a.cfg.Logger.ErrorContext(ctx, "latch: rate limiter unavailable", "fail_open", a.cfg.Protection.InsecureFailOpen, "err", err)
		if a.cfg.Protection.InsecureFailOpen {
			return time.Time{}, nil
		}
		return time.Time{}, ErrUnavailable.wrap(err)
	case !res.Allowed:
		return time.Time{}, &rateError{err: ErrLocked, retryAfter: res.RetryAfter}
	case res.Remaining > 0 || res.ResetAfter <= 0:
		// Attempts remain (or the limiter keeps no state: latchtest's).
		return time.Time{}, nil
	}
	// This was the last attempt the lockout allows: if it fails, the next
	// is allowed when one comes back (GCRA: ResetAfter + T - Burst·T).
	t := l.Lockout.Interval()
	wait := res.ResetAfter + t - time.Duration(l.Lockout.BurstSize())*t
	return a.now().Add(max(wait, time.Second)), nil
}

// signedIn clears the failure counts of an identifier after a successful
// first factor: a password, or a code or link, which is how a locked
// account unlocks itself.
func (a *Auth) signedIn(ctx context.Context, r *http.Request, kind, identifier string) {
	if identifier == "" {
		return
	}
	id := identifierKey(kind, identifier)
	for _, k := range []string{"lock:" + id, "slow:" + id, "ipid:" + a.proxies.ClientIP(r) + "|" + id} {
		if err := a.limiter.Reset(ctx, k); err != nil {
			a.cfg.Logger.WarnContext(ctx, "latch: resetting a rate limit", "err", err)
		}
	}
}

// clearLock forgets, on the user record, a lockout and failed attempts
// that a successful sign-in has just ended. It writes only when there is
// something to clear.
func (a *Auth) clearLock(ctx context.Context, u *storage.User) {
	if u.LockedUntil.IsZero() && u.FailedAttempts == 0 {
		return
	}
	if _, err := a.updateUser(ctx, u.ID, func(_ *tx, cur *storage.User) error {
		cur.LockedUntil, cur.FailedAttempts = time.Time{}, 0
		return nil
	}); err != nil {
		a.cfg.Logger.WarnContext(ctx, "latch: clearing a lockout after sign-in", "user_id", u.ID, "err", err)
	}
}

// UnlockUser ends a lockout (an admin's unlock): it clears the failed
// sign-in counts of every identifier of a user, the budgets of wrong
// one-time codes of the account, and User.Locked.
func (a *Auth) UnlockUser(ctx context.Context, userID string) error {
	u, err := a.GetUser(ctx, userID)
	if err != nil {
		return err
	}
	for _, ch := range guessChannels {
		key := guessKeyOf(ch, "u:"+userID, "")
		for _, k := range []string{key + ":n", key + ":w"} {
			if err := a.limiter.Reset(ctx, k); err != nil {
				return ErrUnavailable.wrap(err)
			}
		}
	}
	if _, err := a.updateUser(ctx, userID, func(_ *tx, cur *storage.User) error {
		cur.LockedUntil, cur.FailedAttempts = time.Time{}, 0
		return nil
	}); err != nil {
		return err
	}
	var keys []string
	for _, i := range append(append([]Identifier(nil), u.EmailAddresses...), u.PhoneNumbers...) {
		keys = append(keys, identifierKey(string(i.Kind), i.Value))
	}
	if u.Username != "" {
		keys = append(keys, identifierKey("username", u.Username))
	}
	for _, id := range keys {
		for _, k := range []string{"lock:" + id, "slow:" + id} {
			if err := a.limiter.Reset(ctx, k); err != nil {
				return ErrUnavailable.wrap(err)
			}
		}
	}
	return nil
}

// checkSend applies the limits of sending a code or link.
func (a *Auth) checkSend(ctx context.Context, r *http.Request, to Recipient) error {
	return a.checkSendFrom(ctx, r, to, "")
}

// checkSendFrom is checkSend for a browser that device names, one the
// user has signed in on before (or ""): it has its own count of sends to
// the address, so that someone asking for codes to it from elsewhere
// cannot keep its owner from getting one.
func (a *Auth) checkSendFrom(ctx context.Context, r *http.Request, to Recipient, device string) error {
	l := a.cfg.Protection.Limits
	ip := a.proxies.ClientIP(r)
	checks := []limitCheck{{"sendip:" + ip, l.SendsPerIP}}
	suffix := ""
	if device != "" {
		suffix = "|" + device
	}
	if to.Phone != "" {
		checks = append(checks, limitCheck{"send:" + identifierKey(string(storage.KindPhoneNumber), to.Phone) + suffix, l.SendsPerIdentifier})
		if len(to.Phone) >= 5 {
			checks = append(checks, limitCheck{"smsprefix:" + to.Phone[:5], l.SMSPerPrefix})
		}
	} else if to.Email != "" {
		checks = append(checks, limitCheck{"send:" + identifierKey(string(storage.KindEmailAddress), to.Email) + suffix, l.SendsPerIdentifier})
	}
	return a.limit(ctx, ErrRateLimited, checks...)
}

// perIP bounds every request to the routes it wraps by client address.
func (a *Auth) perIP(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := a.limit(r.Context(), ErrRateLimited, limitCheck{"ip:" + a.proxies.ClientIP(r), a.cfg.Protection.Limits.PerIP}); err != nil {
			writeError(w, err)
			return
		}
		next(w, r)
	}
}

// checkBot verifies the bot token of a sign-up (or sign-in) request: a
// solved proof of work, or the CAPTCHA's token; and that the honeypot field
// is empty.
func (a *Auth) checkBot(ctx context.Context, r *http.Request, token string, signIn bool) error {
	b := a.cfg.Protection.Bot
	if b.Disabled || (signIn && !b.OnSignIn) {
		return nil
	}
	if botcheck.HoneypotTripped(r) {
		return ErrBotCheck
	}
	var err error
	if b.Verifier != nil {
		err = b.Verifier.Verify(ctx, token, a.proxies.ClientIP(r))
	} else {
		err = botcheck.PoWVerifier{PoW: a.pow, Guard: a.powGuard}.Verify(ctx, token, "")
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, botcheck.ErrUnavailable):
		a.cfg.Logger.ErrorContext(ctx, "latch: bot check service unavailable", "err", err)
		return ErrUnavailable.wrap(err)
	}
	return ErrBotCheck.wrap(err)
}

// storeReplayGuard makes each proof-of-work solution single-use across
// instances: its ID is stored as a verification, and a second use
// conflicts.
type storeReplayGuard struct{ a *Auth }

func (g storeReplayGuard) Use(ctx context.Context, id string, until time.Time) (bool, error) {
	now := g.a.now()
	err := g.a.store.CreateVerification(ctx, &storage.Verification{ID: "pow_" + id, Purpose: "bot_check", SecretHash: []byte{0}, ExpiresAt: until, ConsumedAt: now, CreatedAt: now})
	if errors.Is(err, storage.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

func (a *Auth) serveBotChallenge(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Protection.Bot.Disabled || a.cfg.Protection.Bot.Verifier != nil {
		writeJSON(w, http.StatusOK, map[string]any{"challenge": nil})
		return
	}
	c, err := a.pow.Challenge()
	if err != nil {
		writeError(w, ErrUnavailable.wrap(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"challenge": c.Value, "difficulty": a.cfg.Protection.Bot.Difficulty, "script": "/v1/pow.js"})
}

func serveRetryAfter(w http.ResponseWriter, err error) {
	var re *rateError
	if errors.As(err, &re) {
		secs := int(re.retryAfter.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
}

// screenIdentifier applies the sign-up rules to an email address or phone number.
func (a *Auth) screenIdentifier(kind storage.IdentifierKind, value string) error {
	var err error
	if kind == storage.KindPhoneNumber {
		err = a.cfg.Protection.Rules.CheckPhone(value)
	} else {
		err = a.cfg.Protection.Rules.CheckEmail(value)
	}
	var rej *screen.Rejection
	if errors.As(err, &rej) {
		return (&Error{Code: "form_" + rej.Code, Message: rej.Message, Status: http.StatusUnprocessableEntity, Field: string(kind)}).wrap(err)
	}
	if err != nil {
		return ErrUnavailable.wrap(err)
	}
	return nil
}

// servePoWScript serves the browser's proof-of-work solver, from this
// origin, so pages need no outside script.
func servePoWScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(botcheck.Script())
}
