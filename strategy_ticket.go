package latch

import (
	"context"
	"encoding/json"
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
