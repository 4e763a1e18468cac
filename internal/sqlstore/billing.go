package sqlstore

import (
	"context"

	"github.com/latchauth/latch/storage"
)

var planCols = columns{
	"id", "key", "name", "payer_type", "features", "amount", "currency", "billing_interval",
	"public_metadata", "created_at", "updated_at",
}

var (
	planSelect = `SELECT ` + planCols.list() + ` FROM latch_plans`
	// An upsert on the ID; a clash on the key is still a unique violation.
	planPut = `INSERT INTO latch_plans (` + planCols.list() + `) VALUES (` + planCols.marks() +
		`) ON CONFLICT (id) DO UPDATE SET ` + planCols[1:].excluded()
)

func scanPlan(sc scanner) (*storage.Plan, error) {
	p := new(storage.Plan)
	err := sc.Scan(&p.ID, &p.Key, &p.Name, &p.PayerType, strsCol{&p.Features}, &p.Amount, &p.Currency, &p.Interval,
		jsonCol{&p.PublicMetadata}, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt})
	return p, err
}

// PutPlan implements storage.BillingStore.
func (q *querier) PutPlan(ctx context.Context, p *storage.Plan) error {
	if err := checkJSON(p.PublicMetadata); err != nil {
		return err
	}
	_, err := q.exec(ctx, planPut, p.ID, p.Key, p.Name, p.PayerType, strs(p.Features), p.Amount, p.Currency, p.Interval,
		js(p.PublicMetadata), q.tm(p.CreatedAt), q.tm(p.UpdatedAt))
	return err
}

// GetPlan implements storage.BillingStore.
func (q *querier) GetPlan(ctx context.Context, key string) (*storage.Plan, error) {
	return getOne(ctx, q, scanPlan, planSelect+` WHERE key = ?`, key)
}

// ListPlans implements storage.BillingStore.
func (q *querier) ListPlans(ctx context.Context) ([]*storage.Plan, error) {
	return getAll(ctx, q, scanPlan, planSelect+` ORDER BY id`)
}

var subCols = columns{"id", "payer_id", "plan_id", "status", "external_id", "current_period_end", "canceled_at", "created_at", "updated_at"}

var subPut = `INSERT INTO latch_subscriptions (` + subCols.list() + `) VALUES (` + subCols.marks() +
	`) ON CONFLICT (id) DO UPDATE SET ` + subCols[1:].excluded()

func scanSub(sc scanner) (*storage.Subscription, error) {
	s := new(storage.Subscription)
	err := sc.Scan(&s.ID, &s.PayerID, &s.PlanID, &s.Status, &s.ExternalID, timeCol{&s.CurrentPeriodEnd},
		timeCol{&s.CanceledAt}, timeCol{&s.CreatedAt}, timeCol{&s.UpdatedAt})
	return s, err
}

// PutSubscription implements storage.BillingStore.
func (q *querier) PutSubscription(ctx context.Context, s *storage.Subscription) error {
	_, err := q.exec(ctx, subPut, s.ID, s.PayerID, s.PlanID, s.Status, s.ExternalID, q.tm(s.CurrentPeriodEnd),
		q.tm(s.CanceledAt), q.tm(s.CreatedAt), q.tm(s.UpdatedAt))
	return err
}

// ListSubscriptions implements storage.BillingStore.
func (q *querier) ListSubscriptions(ctx context.Context, payerID string) ([]*storage.Subscription, error) {
	return getAll(ctx, q, scanSub, `SELECT `+subCols.list()+` FROM latch_subscriptions WHERE payer_id = ? ORDER BY id`, payerID)
}
