// Package idempotency records which ECS tasks (and task definition
// registrations) the workflow has already taken on, so that it acts once per
// task although ECS sends several events per task and EventBridge delivers
// each at least once.
//
// A claim is one item per key (a task ARN, or a task definition ARN for a
// registration), written with a conditional update:
//
//   - the first claim of a key wins (attempt 1); a later claim by another
//     execution learns that the key is held (a duplicate);
//   - a claim belongs to the execution that made it: the same execution
//     claiming again (a retried Lambda whose first answer was lost) gets its
//     own claim back (Own), unchanged;
//   - the item carries an expiry (Unix seconds, the table's TTL attribute);
//     an expired item no longer counts even before DynamoDB's TTL sweeper
//     deletes it (that can take days), so the condition checks the expiry
//     itself;
//   - a failed execution releases its claim (Release): the item is marked
//     released, not deleted, so that the next claim gets the next attempt
//     number (and so a new Standard execution name: names are unique for 90
//     days). A release names the attempt it releases, so that a stale
//     failure report cannot release a newer claim.
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
	// Claimed is true when the caller holds the claim: this call claimed the
	// key, or (Own) the caller's execution had claimed it before. False when
	// another execution holds an unexpired, unreleased claim: the event is a
	// duplicate.
	Claimed bool
	// Own is true when the claim was already the caller's (same execution
	// id): nothing was written, and Attempt is the claim's attempt.
	Own bool
	// ClaimedBy is the id of the execution that holds the claim (the
	// caller's when Claimed).
	ClaimedBy string
	// Attempt is the claim's attempt number: 1 for the first claim of the
	// key, one more for each claim after a release or an expiry. 0 only for
	// a claim written before attempts were recorded.
	Attempt int
	// FirstSeen is when the key was first claimed (to the second, UTC). A
	// claim after a release keeps it; a claim after an expiry starts anew.
	FirstSeen time.Time
	// ExpiresAt is when the claim expires (the TTL), to the second, UTC.
	ExpiresAt time.Time
}

// Item is a stored claim, as Memory.Lookup shows it.
type Item struct {
	Key       string
	ClaimedBy string
	Attempt   int
	FirstSeen time.Time
	ExpiresAt time.Time
	Released  bool
}

// Store is what both implementations offer.
type Store interface {
	// Claim claims key for the execution executionID at now, for ttl.
	Claim(ctx context.Context, key, executionID string, now time.Time, ttl time.Duration) (Claim, error)
	// Release marks key's claim released if its attempt is attempt; it is a
	// no-op (not an error) when there is no such claim.
	Release(ctx context.Context, key string, attempt int) error
}

// Item attribute names. The partition key keeps its historical name
// "taskArn"; for a registration it holds the task definition ARN.
const (
	AttrKey       = "taskArn"   // partition key, S: the task ARN, or the task definition ARN
	AttrFirstSeen = "firstSeen" // S, RFC 3339, UTC, to the second
	AttrExpiresAt = "expiresAt" // N, Unix seconds: the table's TTL attribute
	AttrClaimedBy = "claimedBy" // S, the execution id that holds the claim
	AttrAttempt   = "attempt"   // N, 1 for the first claim, +1 per claim after a release or expiry
	AttrReleased  = "released"  // BOOL true once released; absent while held
)

// MaxExecutionIDBytes bounds the execution id (a Step Functions execution
// ARN is far shorter).
const MaxExecutionIDBytes = 2048

func checkClaim(key, executionID string, ttl time.Duration) error {
	if key == "" {
		return step.Errorf(contract.ErrInvalidInput, "idempotency: empty claim key")
	}
	if executionID == "" {
		return step.Errorf(contract.ErrInvalidInput, "idempotency: empty execution id")
	}
	if len(executionID) > MaxExecutionIDBytes {
		return step.Errorf(contract.ErrInvalidInput, "idempotency: execution id is %d bytes, over %d", len(executionID), MaxExecutionIDBytes)
	}
	if ttl < time.Second {
		return step.Errorf(contract.ErrFailed, "idempotency: claim TTL %s is under a second", ttl)
	}
	return nil
}

func checkRelease(key string, attempt int) error {
	if key == "" {
		return step.Errorf(contract.ErrInvalidInput, "idempotency: empty claim key")
	}
	if attempt < 0 {
		return step.Errorf(contract.ErrInvalidInput, "idempotency: attempt %d is negative", attempt)
	}
	return nil
}

// claimTimes are the item's times: to the second, as they are stored.
func claimTimes(now time.Time, ttl time.Duration) (firstSeen, expiresAt time.Time) {
	firstSeen = now.UTC().Truncate(time.Second)
	return firstSeen, time.Unix(now.Add(ttl).Unix(), 0).UTC()
}

// expired says whether a claim expiring at expiresAt has lapsed at now: a
// claim still holds during its expiry second.
func expired(expiresAt, now time.Time) bool { return expiresAt.Unix() < now.Unix() }
