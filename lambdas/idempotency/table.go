package idempotency

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// DynamoAPI is the part of the DynamoDB client a Table uses.
type DynamoAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Table keeps claims in a DynamoDB table whose partition key is taskArn (S)
// and whose TTL attribute is expiresAt. Every call is one UpdateItem
// (IAM: dynamodb:UpdateItem on the table, for claims and releases).
type Table struct {
	API  DynamoAPI
	Name string
}

// The claim's expressions. A claim is one UpdateItem with ClaimCondition: a
// new item, or a released and unexpired one (which keeps its firstSeen);
// the attempt counts on. When the condition fails, the old item
// (ReturnValuesOnConditionCheckFailure ALL_OLD) tells the rest apart: held
// by the caller's execution (its own claim: nothing written), held by
// another (a duplicate), or expired, which a second UpdateItem
// (ReclaimCondition, conditioned on the expired item as it was read)
// claims anew with a new firstSeen.
const (
	ClaimUpdate    = "SET #claimedBy = :executionId, #firstSeen = if_not_exists(#firstSeen, :firstSeen), #expiresAt = :expiresAt, #attempt = if_not_exists(#attempt, :zero) + :one REMOVE #released"
	ClaimCondition = "attribute_not_exists(#key) OR (#released = :true AND #expiresAt >= :now)"

	ReclaimUpdate    = "SET #claimedBy = :executionId, #firstSeen = :firstSeen, #expiresAt = :expiresAt, #attempt = :next REMOVE #released"
	ReclaimCondition = "#expiresAt < :now AND #attempt = :attempt"
	// ReclaimConditionLegacy is for an expired item written before attempts
	// were recorded.
	ReclaimConditionLegacy = "#expiresAt < :now AND attribute_not_exists(#attempt)"

	ReleaseUpdate    = "SET #released = :true"
	ReleaseCondition = "#attempt = :attempt"
	// ReleaseConditionLegacy releases (attempt 0) an item written before
	// attempts were recorded, and never creates one.
	ReleaseConditionLegacy = "attribute_exists(#key) AND attribute_not_exists(#attempt)"
)

// maxClaimTries bounds the claim's UpdateItems when other writers keep
// changing the item between them (each try reads the item it failed on).
const maxClaimTries = 4

// Claim claims key for executionID at now for ttl: see the package
// documentation. A key held by another execution is a duplicate (Claimed
// false, with that claim's fields), not an error. AWS errors are named with
// step.AWSError (throttling is Compliance.Transient).
func (t *Table) Claim(ctx context.Context, key, executionID string, now time.Time, ttl time.Duration) (Claim, error) {
	if err := checkClaim(key, executionID, ttl); err != nil {
		return Claim{}, err
	}
	if err := t.check(); err != nil {
		return Claim{}, err
	}
	firstSeen, expiresAt := claimTimes(now, ttl)
	nowN := number(now.Unix())
	for range maxClaimTries {
		out, err := t.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:           aws.String(t.Name),
			Key:                 t.key(key),
			UpdateExpression:    aws.String(ClaimUpdate),
			ConditionExpression: aws.String(ClaimCondition),
			ExpressionAttributeNames: map[string]string{
				"#key": AttrKey, "#claimedBy": AttrClaimedBy, "#firstSeen": AttrFirstSeen,
				"#expiresAt": AttrExpiresAt, "#attempt": AttrAttempt, "#released": AttrReleased,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":executionId": &types.AttributeValueMemberS{Value: executionID},
				":firstSeen":   &types.AttributeValueMemberS{Value: firstSeen.Format(time.RFC3339)},
				":expiresAt":   number(expiresAt.Unix()),
				":zero":        number(0),
				":one":         number(1),
				":true":        &types.AttributeValueMemberBOOL{Value: true},
				":now":         nowN,
			},
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		claim, old, failed, err := t.outcome(key, out, err)
		if err != nil {
			return Claim{}, err
		}
		if !failed {
			return claim, nil
		}
		if old.Key == "" { // gone since the condition failed: try again
			continue
		}
		if !expired(old.ExpiresAt, now) {
			if old.Released { // released since the condition failed: try again
				continue
			}
			return claimOf(old, old.ClaimedBy == executionID, old.ClaimedBy == executionID), nil
		}

		// Expired: claim anew, if the item is still the expired one we read.
		names := map[string]string{
			"#claimedBy": AttrClaimedBy, "#firstSeen": AttrFirstSeen, "#expiresAt": AttrExpiresAt,
			"#attempt": AttrAttempt, "#released": AttrReleased,
		}
		values := map[string]types.AttributeValue{
			":executionId": &types.AttributeValueMemberS{Value: executionID},
			":firstSeen":   &types.AttributeValueMemberS{Value: firstSeen.Format(time.RFC3339)},
			":expiresAt":   number(expiresAt.Unix()),
			":next":        number(int64(old.Attempt) + 1),
			":now":         nowN,
		}
		cond := ReclaimConditionLegacy
		if old.Attempt > 0 {
			cond = ReclaimCondition
			values[":attempt"] = number(int64(old.Attempt))
		}
		out, err = t.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           aws.String(t.Name),
			Key:                                 t.key(key),
			UpdateExpression:                    aws.String(ReclaimUpdate),
			ConditionExpression:                 aws.String(cond),
			ExpressionAttributeNames:            names,
			ExpressionAttributeValues:           values,
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		claim, _, failed, err = t.outcome(key, out, err)
		if err != nil {
			return Claim{}, err
		}
		if !failed {
			return claim, nil
		}
		// Another writer changed the item in between: start over.
	}
	return Claim{}, step.Errorf(contract.ErrTransient, "UpdateItem %s %s: the claim changed under %d tries", t.Name, key, maxClaimTries)
}

// outcome reads an UpdateItem's answer: the item written, as a held claim;
// or (failed) the old item of a failed condition; or a named error.
func (t *Table) outcome(key string, out *dynamodb.UpdateItemOutput, err error) (claim Claim, old Item, failed bool, _ error) {
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return Claim{}, parseItem(ccf.Item), true, nil
	case err != nil:
		return Claim{}, Item{}, false, step.AWSError("UpdateItem "+t.Name+" "+key, err)
	}
	if out == nil {
		out = &dynamodb.UpdateItemOutput{}
	}
	it := parseItem(out.Attributes)
	if it.Attempt < 1 || it.ClaimedBy == "" {
		return Claim{}, Item{}, false, step.Errorf(contract.ErrFailed, "UpdateItem %s %s: the answer lacks the claim written (attempt, claimedBy)", t.Name, key)
	}
	return claimOf(it, true, false), Item{}, false, nil
}

// Release marks key's claim released, so that a later event of the task is
// taken on again (with the next attempt), if the claim's attempt is attempt
// (0: a claim written before attempts were recorded). Releasing a key that
// has no such claim is not an error.
func (t *Table) Release(ctx context.Context, key string, attempt int) error {
	if err := checkRelease(key, attempt); err != nil {
		return err
	}
	if err := t.check(); err != nil {
		return err
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       t.key(key),
		UpdateExpression:          aws.String(ReleaseUpdate),
		ExpressionAttributeNames:  map[string]string{"#released": AttrReleased, "#attempt": AttrAttempt},
		ExpressionAttributeValues: map[string]types.AttributeValue{":true": &types.AttributeValueMemberBOOL{Value: true}},
	}
	if attempt > 0 {
		in.ConditionExpression = aws.String(ReleaseCondition)
		in.ExpressionAttributeValues[":attempt"] = number(int64(attempt))
	} else {
		in.ConditionExpression = aws.String(ReleaseConditionLegacy)
		in.ExpressionAttributeNames["#key"] = AttrKey
	}
	_, err := t.API.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // no claim, or another attempt's: nothing to release
	}
	return step.AWSError("UpdateItem "+t.Name+" "+key, err)
}

func (t *Table) check() error {
	if t == nil || t.API == nil || t.Name == "" {
		return step.Errorf(contract.ErrFailed, "idempotency: table client or name not configured")
	}
	return nil
}

func (t *Table) key(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrKey: &types.AttributeValueMemberS{Value: key}}
}

func number(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// parseItem reads a stored item; missing or malformed attributes stay zero
// (an item without a key is "no item").
func parseItem(m map[string]types.AttributeValue) Item {
	var it Item
	if s, ok := m[AttrKey].(*types.AttributeValueMemberS); ok {
		it.Key = s.Value
	}
	if s, ok := m[AttrClaimedBy].(*types.AttributeValueMemberS); ok {
		it.ClaimedBy = s.Value
	}
	if s, ok := m[AttrFirstSeen].(*types.AttributeValueMemberS); ok {
		if ts, err := time.Parse(time.RFC3339, s.Value); err == nil {
			it.FirstSeen = ts.UTC()
		}
	}
	if n, ok := m[AttrExpiresAt].(*types.AttributeValueMemberN); ok {
		if sec, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			it.ExpiresAt = time.Unix(sec, 0).UTC()
		}
	}
	if n, ok := m[AttrAttempt].(*types.AttributeValueMemberN); ok {
		if a, err := strconv.Atoi(n.Value); err == nil && a > 0 {
			it.Attempt = a
		}
	}
	if b, ok := m[AttrReleased].(*types.AttributeValueMemberBOOL); ok {
		it.Released = b.Value
	}
	return it
}
