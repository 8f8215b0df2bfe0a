// Package store keeps approval records (approval.Record): Table in a DynamoDB
// table, Memory in memory for the local executor and tests. Both behave the
// same; every change is a conditional write, so that a link works once even
// when two people press its button at the same moment.
//
// The table's partition key is "reference" (S) and its TTL attribute
// "deleteAt" (N, Unix seconds: the link's expiry plus approval.Retention).
package store

import (
	"context"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// Store is what both implementations offer.
type Store interface {
	// Put stores a new PENDING record. A record already stored under the
	// reference for the same task token (a retried request) is returned as
	// it is, without error; one for another token is an ErrConflict.
	Put(ctx context.Context, r approval.Record) (approval.Record, error)
	// Get returns the record of ref, or approval.ErrNotFound.
	Get(ctx context.Context, ref string) (approval.Record, error)
	// Decide records d on ref if, at d.At, the record is PENDING and not
	// expired and d's form nonce (when it has one) was never recorded, and
	// returns the record as it is now (with the nonce recorded). Otherwise
	// nothing changes and the error (an *approval.StoreError) wraps
	// ErrNotFound, ErrAnswered, ErrRecordExpired or ErrFormUsed.
	Decide(ctx context.Context, ref string, d approval.Decision) (approval.Record, error)
	// Reopen undoes Decide(ref, d) — only that decision — so that the link
	// works again (its delivery to the workflow failed for a passing reason).
	// The form nonce stays recorded: the person reloads the page for a new
	// form.
	Reopen(ctx context.Context, ref string, d approval.Decision) error
	// SetDelivery records how the decision's delivery to the workflow ended.
	SetDelivery(ctx context.Context, ref, delivery string) error
}

// Item attribute names.
const (
	AttrReference   = "reference" // partition key, S
	AttrTaskToken   = "taskToken" // S
	AttrTaskArn     = "taskArn"   // S
	AttrStatus      = "status"    // S: PENDING, APPROVED, REJECTED
	AttrCreatedAt   = "createdAt" // S, RFC 3339
	AttrExpiresAt   = "expiresAt" // N, Unix seconds: the links' expiry
	AttrDeleteAt    = "deleteAt"  // N, Unix seconds: the table's TTL attribute
	AttrSummary     = "summary"   // S, JSON of approval.Summary
	AttrApprover    = "approver"
	AttrReason      = "reason"
	AttrDecidedAt   = "decidedAt" // S, RFC 3339
	AttrDecidedFrom = "decidedFrom"
	AttrDelivery    = "delivery"
	AttrFormNonces  = "formNonces" // SS: the nonces of the form tokens that decided
)

func checkRecord(r approval.Record) error {
	switch {
	case !approval.ValidReference(r.Reference):
		return step.Errorf(contract.ErrInvalidInput, "approval store: reference %q is not a reference", r.Reference)
	case r.TaskToken == "":
		return step.Errorf(contract.ErrInvalidInput, "approval store: empty task token")
	case r.ExpiresAt.IsZero():
		return step.Errorf(contract.ErrInvalidInput, "approval store: no expiry")
	}
	return nil
}

func checkDecision(ref string, d approval.Decision) error {
	if !approval.ValidReference(ref) {
		return step.Errorf(contract.ErrInvalidInput, "approval store: reference %q is not a reference", ref)
	}
	if d.Status != approval.StatusApproved && d.Status != approval.StatusRejected {
		return step.Errorf(contract.ErrInvalidInput, "approval store: decision %q is neither %s nor %s", d.Status, approval.StatusApproved, approval.StatusRejected)
	}
	if d.At.IsZero() {
		return step.Errorf(contract.ErrInvalidInput, "approval store: decision without a time")
	}
	if d.Nonce != "" && !approval.ValidNonce(d.Nonce) {
		return step.Errorf(contract.ErrInvalidInput, "approval store: form nonce %q is not a nonce", d.Nonce)
	}
	return nil
}

// seconds truncates to the second in UTC, as the table keeps times.
func seconds(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// normalize is r as the table would give it back.
func normalize(r approval.Record) approval.Record {
	r.CreatedAt, r.ExpiresAt = seconds(r.CreatedAt), seconds(r.ExpiresAt)
	if !r.DecidedAt.IsZero() {
		r.DecidedAt = seconds(r.DecidedAt)
	}
	if r.Status == "" {
		r.Status = approval.StatusPending
	}
	return r
}
