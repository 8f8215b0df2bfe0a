// Package idempotency records which ECS tasks the workflow has already taken
// on, so that it acts once per task although ECS sends several events per
// task and EventBridge delivers each at least once.
//
// A claim is one item per task ARN, written with a conditional put: the first
// writer wins, later ones learn that the task is a duplicate. The item carries
// an expiry (Unix seconds, the table's TTL attribute); an expired item no
// longer counts even before DynamoDB's TTL sweeper deletes it (that can take
// days), so the condition checks the expiry itself. A failed execution
// releases its claim (Release), so that a redelivered or later event of the
// task gets a new try.
//
// Table is the DynamoDB implementation, Memory the in-memory one that the
// local executor and tests use. Both behave the same.
package idempotency

import (
	"context"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Claim is the answer to a claim attempt.
type Claim struct {
	// Claimed is true when this call claimed the task; false when an earlier,
	// unexpired claim exists (the event is a duplicate).
	Claimed bool
	// FirstSeen is when the task was claimed (this call's now when Claimed,
	// the earlier claim's time otherwise), to the second, UTC.
	FirstSeen time.Time
	// ExpiresAt is when the claim expires (the TTL), to the second, UTC.
	ExpiresAt time.Time
}

// Store is what both implementations offer.
type Store interface {
	Claim(ctx context.Context, taskArn string, now time.Time, ttl time.Duration) (Claim, error)
	Release(ctx context.Context, taskArn string) error
}

// Item attribute names.
const (
	AttrTaskArn   = "taskArn"   // partition key, S
	AttrFirstSeen = "firstSeen" // S, RFC 3339
	AttrExpiresAt = "expiresAt" // N, Unix seconds: the table's TTL attribute
)

func checkClaim(taskArn string, ttl time.Duration) error {
	if taskArn == "" {
		return step.Errorf(contract.ErrInvalidInput, "idempotency: empty task ARN")
	}
	if ttl < time.Second {
		return step.Errorf(contract.ErrFailed, "idempotency: claim TTL %s is under a second", ttl)
	}
	return nil
}

// claimTimes are the item's times: to the second, as they are stored.
func claimTimes(now time.Time, ttl time.Duration) (firstSeen, expiresAt time.Time) {
	firstSeen = now.UTC().Truncate(time.Second)
	return firstSeen, time.Unix(now.Add(ttl).Unix(), 0).UTC()
}
