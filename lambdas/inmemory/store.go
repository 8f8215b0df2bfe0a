package inmemory

import (
	"context"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// IdempotencyTable is the table name the in-memory store's errors name.
const IdempotencyTable = "in-memory-claims"

// Idempotency is the account's idempotency store: idempotency.Memory behind
// the account's throttling (a claim and a release are each the call
// UpdateItem on the key, distinct from each other), with errors named as
// idempotency.Table names them.
func (a *Account) Idempotency() idempotency.Store { return idemStore{a} }

// Claimed returns the stored claim item of a key (a task ARN, or a task
// definition ARN for a registration; expired or released or not) and
// whether there is one.
func (a *Account) Claimed(key string) (idempotency.Item, bool) { return a.idem.Lookup(key) }

type idemStore struct{ a *Account }

func (s idemStore) Claim(ctx context.Context, key, executionID string, now time.Time, ttl time.Duration) (idempotency.Claim, error) {
	if err := s.a.call(ctx, serviceDynamoDB, "UpdateItem", "claim\x00"+key); err != nil {
		return idempotency.Claim{}, step.AWSError("UpdateItem "+IdempotencyTable+" "+key, err)
	}
	return s.a.idem.Claim(ctx, key, executionID, now, ttl)
}

func (s idemStore) Release(ctx context.Context, key string, attempt int) error {
	if err := s.a.call(ctx, serviceDynamoDB, "UpdateItem", "release\x00"+key); err != nil {
		return step.AWSError("UpdateItem "+IdempotencyTable+" "+key, err)
	}
	return s.a.idem.Release(ctx, key, attempt)
}

// call is begin under the lock, for calls whose state lives elsewhere.
func (a *Account) call(ctx context.Context, svc, op, key string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.begin(ctx, svc, op, key)
}
