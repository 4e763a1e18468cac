package latch

import (
	"context"
	"fmt"
	"time"
)

// JanitorConfig configures the janitor, which deletes expired sign-in and
// sign-up flows and expired verifications (codes, links, challenges), so
// that abandoned attempts do not pile up. The zero value is the
// recommended setting.
type JanitorConfig struct {
	// Interval is the time between sweeps; the first comes one Interval
	// after New. Default 10 min.
	Interval time.Duration

	// Grace is how long an expired record is kept before deletion, so that
	// someone coming back to an expired sign-in is told it expired rather
	// than that it does not exist. Default 1 h.
	Grace time.Duration

	// Batch bounds each delete statement, so that a sweep of a large
	// backlog never holds locks for long. Default 500.
	Batch int

	// Disabled turns the background sweeps off (Sweep still works), for
	// tests and for deployments that run Sweep from a scheduled job.
	Disabled bool
}

func (c *JanitorConfig) withDefaults() []error {
	var errs []error
	if c.Interval == 0 {
		c.Interval = 10 * time.Minute
	}
	if c.Grace == 0 {
		c.Grace = time.Hour
	}
	if c.Batch == 0 {
		c.Batch = 500
	}
	if c.Interval < 0 || c.Grace < 0 || c.Batch < 0 {
		errs = append(errs, fmt.Errorf("Config.Janitor: Interval, Grace and Batch must not be negative"))
	}
	return errs
}

// SweepResult says what a sweep deleted.
type SweepResult struct {
	Flows         int // sign-in and sign-up flows
	Verifications int // codes, links, tickets and challenges
}

// Sweep deletes, in batches of Config.Janitor.Batch, the flows and
// verifications that expired more than Config.Janitor.Grace ago, as the
// janitor does every Config.Janitor.Interval. A verification is kept until
// it expires even once used, so that a replay is refused as used. Several
// instances may sweep at once.
func (a *Auth) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	before := a.now().Add(-a.cfg.Janitor.Grace)
	batch := a.cfg.Janitor.Batch
	for _, job := range []struct {
		n   *int
		del func(context.Context, time.Time, int) (int, error)
	}{
		{&res.Flows, a.store.DeleteExpiredFlows},
		{&res.Verifications, a.store.DeleteExpiredVerifications},
	} {
		for {
			n, err := job.del(ctx, before, batch)
			*job.n += n
			if err != nil {
				return res, storageError(err)
			}
			if n < batch {
				break
			}
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// runJanitor sweeps every Config.Janitor.Interval until ctx is done.
func (a *Auth) runJanitor(ctx context.Context) {
	t := time.NewTicker(a.cfg.Janitor.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := a.Sweep(ctx)
		if err != nil && ctx.Err() == nil {
			a.cfg.Logger.ErrorContext(ctx, "latch: janitor sweep", "err", err)
			continue
		}
		if res.Flows+res.Verifications > 0 {
			a.cfg.Logger.DebugContext(ctx, "latch: janitor swept", "flows", res.Flows, "verifications", res.Verifications)
		}
	}
}
