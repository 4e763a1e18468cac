package latch

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// ticketStrategy is a single-use sign-in token made by CreateSignInToken
// and handed to the user by the app: it stands in for the first factor
// only, so a second factor still applies. It is never listed among the
// factors a sign-in offers.
type ticketStrategy struct{ a *Auth }

func (ticketStrategy) Info() StrategyInfo {
	return StrategyInfo{Name: StrategyTicket, Kind: FirstFactor, Input: InputTicket}
}

func (ticketStrategy) Enrolled(context.Context, string) (bool, error) { return false, nil }

func (ticketStrategy) Prepare(context.Context, *Attempt) (json.RawMessage, error) {
	return nil, ErrStrategyNotAllowed
}

func (s ticketStrategy) Verify(ctx context.Context, _ *Attempt, p AttemptParams) (*Proof, error) {
	v, err := s.a.consumeLink(ctx, p.Ticket, purposeTicket)
	if err != nil {
		return nil, err
	}
	return &Proof{UserID: v.UserID, AMR: []string{"mca"}}, nil
}

func (ticketStrategy) boundsGuesses() {}

// CreateSignInToken returns a single-use sign-in token for a user, valid for
// ttl (at most 30 days; default 1 hour), and a link that signs them in. The
// token replaces the first factor only: a user with a second factor must
// still pass it.
func (a *Auth) CreateSignInToken(ctx context.Context, userID string, ttl time.Duration) (tok, link string, err error) {
	if ttl <= 0 {
		ttl = time.Hour
	}
	if ttl > ticketMaxTTL {
		return "", "", ErrParamInvalid.WithField("expires_in").WithMessage("Sign-in tokens last at most 30 days.")
	}
	if _, err := a.store.GetUser(ctx, userID); err != nil {
		return "", "", storageError(err)
	}
	tok, err = a.newLink(ctx, a.store, purposeTicket, "", userID, "", ttl, nil)
	if err != nil {
		return "", "", err
	}
	return tok, a.link(a.cfg.Session.SignInURL + "?__latch_ticket=" + url.QueryEscape(tok)), nil
}
