package latch

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchauth/latch/ratelimit"
)

// Channels of one-time codes, each with its own budget of wrong guesses
// per account: the mailbox, the phone, the authenticator app and the
// backup codes.
const (
	guessEmail  = "email"
	guessPhone  = "phone"
	guessTOTP   = "totp"
	guessBackup = "backup_code"
)

// guessChannels are the channels UnlockUser resets.
var guessChannels = []string{guessEmail, guessPhone, guessTOTP, guessBackup}

// guessChannel is the channel a code of strategy reaches: a first-factor
// emailed code and a second-factor one draw on one budget, since both are
// guesses at what the mailbox received.
func guessChannel(strategy string) string {
	switch strategy {
	case StrategyEmailCode, StrategyResetPasswordEmailCode:
		return guessEmail
	case StrategyPhoneCode:
		return guessPhone
	}
	return strategy
}

// codeGuess says whose budget a guess draws on: a user, or, for an
// identifier that names nobody, that identifier, so that unknown
// identifiers wait and answer exactly like known ones.
type codeGuess struct {
	channel          string
	userID           string
	kind, identifier string // when userID is ""
	locale           string
}

func guessKeyOf(channel, account, device string) string {
	k := "guess:" + channel + ":" + account
	if device != "" {
		k += "|" + device
	}
	return k
}

// key is the budget's key for the browser of r: a browser the user has
// signed in on before has a budget of its own.
func (a *Auth) guessKey(r *http.Request, g codeGuess) string {
	if g.userID == "" {
		return guessKeyOf(g.channel, "i:"+identifierKey(g.kind, g.identifier), "")
	}
	return guessKeyOf(g.channel, "u:"+g.userID, a.knownDevice(r, g.userID))
}

// guessCap bounds the count of wrong codes kept: beyond it the wait is at
// MaxDelay anyway (FirstDelay·2⁶⁰ overflows any cap).
const guessCap = 60

// delay is the wait after the n-th wrong code: none before the budget is
// spent, then FirstDelay doubling up to MaxDelay.
func (b CodeGuessBudget) delay(n int) time.Duration {
	if n < b.Free {
		return 0
	}
	d := b.FirstDelay
	for i := b.Free; i < n && d < b.MaxDelay; i++ {
		d *= 2
	}
	return min(d, b.MaxDelay)
}

// counter is the Limit of the count of wrong codes: each takes a token,
// and one comes back per Forget.
func (b CodeGuessBudget) counter() ratelimit.Limit {
	return ratelimit.Limit{Rate: 1, Period: b.Forget, Burst: b.Free + guessCap}
}

// count reads the number of wrong codes from the ResetAfter of the
// counter's key, which is how long until its count is back to zero: a
// Forget per wrong code, less the time since. Each peek moves the key on
// by a microsecond; the second of slack keeps a million peeks from
// reading as one more wrong code.
func (b CodeGuessBudget) count(resetAfter time.Duration) int {
	left := resetAfter - time.Second
	if left <= 0 {
		return 0
	}
	return int((left + b.Forget - 1) / b.Forget)
}

// peek is a Limit under which Allow on the counter's key consumes a
// microsecond and never refuses, so that its ResetAfter reads how many
// wrong codes the counter holds without adding one.
func (b CodeGuessBudget) peek() ratelimit.Limit {
	span := time.Duration(b.Free+guessCap+1) * b.Forget
	return ratelimit.Limit{Rate: 1, Period: time.Microsecond, Burst: int(span/time.Microsecond) + 1000}
}

// tryCode runs check, one guess at a one-time code, under the account's
// budget of wrong codes for the channel. Once the budget is spent, a guess
// must wait the delay the last wrong one set; the wait is claimed before
// check runs, so of concurrent guesses one gets through. Only a wrong code
// (ErrCodeIncorrect) counts: not an expired one, nor one refused here. The
// user is told by mail when the budget runs out.
func (a *Auth) tryCode(ctx context.Context, r *http.Request, g codeGuess, check func() error) error {
	b := a.cfg.Protection.CodeGuesses
	key := a.guessKey(r, g)
	countKey, waitKey := key+":n", key+":w"
	res, err := a.allowOrOpen(ctx, countKey, b.peek())
	if err != nil {
		return err
	}
	n := b.count(res.ResetAfter - time.Microsecond)
	gated := n >= b.Free
	if gated {
		res, err := a.allowOrOpen(ctx, waitKey, ratelimit.Limit{Rate: 1, Period: b.delay(n + 1), Burst: 1})
		if err != nil {
			return err
		}
		if !res.Allowed {
			return &rateError{err: ErrRateLimited, retryAfter: res.RetryAfter}
		}
	}
	err = check()
	if err == nil {
		if gated {
			// Whoever proved the code owes no wait afterwards.
			a.resetLimit(ctx, waitKey)
		}
		return nil
	}
	if !errors.Is(err, ErrCodeIncorrect) {
		return err
	}
	res, lerr := a.allowOrOpen(ctx, countKey, b.counter())
	if lerr != nil {
		return err
	}
	switch {
	case !res.Allowed:
		n = b.Free + guessCap // the count is full: the longest wait
	case res.ResetAfter <= 0:
		n = 0 // a limiter that keeps no state (latchtest's) counts nothing
	default:
		n = b.count(res.ResetAfter)
	}
	if !gated && n >= b.Free {
		// The budget ran out with this guess: the next one waits.
		a.resetLimit(ctx, waitKey)
		_, _ = a.allowOrOpen(ctx, waitKey, ratelimit.Limit{Rate: 1, Period: b.delay(n), Burst: 1})
	}
	if n == b.Free && g.userID != "" {
		_ = a.notifyUser(ctx, g.userID, MessageCodeGuesses, g.locale, MessageData{Factor: channelName(g.channel, g.locale)})
	}
	return err
}

// allowOrOpen is one Allow that fails closed (ErrUnavailable) when the
// limiter does, unless InsecureFailOpen, when it allows.
func (a *Auth) allowOrOpen(ctx context.Context, key string, l ratelimit.Limit) (ratelimit.Result, error) {
	res, err := a.limiter.Allow(ctx, key, l)
	if err == nil {
		return res, nil
	}
	a.cfg.Logger.ErrorContext(ctx, "latch: rate limiter unavailable", "fail_open", a.cfg.Protection.InsecureFailOpen, "err", err)
	if a.cfg.Protection.InsecureFailOpen {
		return ratelimit.Result{Allowed: true, Remaining: l.BurstSize()}, nil
	}
	return res, ErrUnavailable.wrap(err)
}

func (a *Auth) resetLimit(ctx context.Context, key string) {
	if err := a.limiter.Reset(ctx, key); err != nil {
		a.cfg.Logger.WarnContext(ctx, "latch: resetting a rate limit", "err", err)
	}
}

// channelName names a channel in the mail that tells a user its budget ran
// out.
func channelName(channel, locale string) string {
	names := channelNames["en"]
	if n, ok := channelNames[locale]; ok {
		names = n
	}
	if n, ok := names[channel]; ok {
		return n
	}
	return channel
}

var channelNames = map[string]map[string]string{
	"en": {guessEmail: "codes sent to your email", guessPhone: "codes sent to your phone", guessTOTP: "authenticator app codes", guessBackup: "backup codes"},
	"fr": {guessEmail: "codes envoyés à votre adresse e-mail", guessPhone: "codes envoyés à votre téléphone", guessTOTP: "codes d'application d'authentification", guessBackup: "codes de secours"},
}
