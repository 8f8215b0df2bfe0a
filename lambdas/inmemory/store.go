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
// the account's throttling (a claim is the call PutItem on the task ARN, a
// release DeleteItem), with errors named as idempotency.Table names them.
func (a *Account) Idempotency() idempotency.Store { return idemStore{a} }

// Claimed returns the stored claim of a task (expired or not) and whether
// there is one.
func (a *Account) Claimed(taskArn string) (idempotency.Claim, bool) { return a.idem.Lookup(taskArn) }

type idemStore struct{ a *Account }

func (s idemStore) Claim(ctx context.Context, taskArn string, now time.Time, ttl time.Duration) (idempotency.Claim, error) {
	if err := s.a.call(ctx, serviceDynamoDB, "PutItem", taskArn); err != nil {
		return idempotency.Claim{}, step.AWSError("PutItem "+IdempotencyTable+" "+taskArn, err)
	}
	return s.a.idem.Claim(ctx, taskArn, now, ttl)
}

func (s idemStore) Release(ctx context.Context, taskArn string) error {
	if err := s.a.call(ctx, serviceDynamoDB, "DeleteItem", taskArn); err != nil {
		return step.AWSError("DeleteItem "+IdempotencyTable+" "+taskArn, err)
	}
	return s.a.idem.Release(ctx, taskArn)
}

// call is begin under the lock, for calls whose state lives elsewhere.
func (a *Account) call(ctx context.Context, svc, op, key string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.begin(ctx, svc, op, key)
}
