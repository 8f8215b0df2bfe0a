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
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Table keeps claims in a DynamoDB table whose partition key is taskArn (S)
// and whose TTL attribute is expiresAt.
type Table struct {
	API  DynamoAPI
	Name string
}

// ClaimCondition lets the put succeed when there is no claim or only an
// expired one (TTL deletion is lazy).
const ClaimCondition = "attribute_not_exists(#taskArn) OR #expiresAt < :now"

// Claim claims taskArn at now for ttl. An existing unexpired claim makes it a
// duplicate (Claimed false, with that claim's times), not an error. AWS errors
// are named with step.AWSError (throttling is Compliance.Transient).
func (t *Table) Claim(ctx context.Context, taskArn string, now time.Time, ttl time.Duration) (Claim, error) {
	if err := checkClaim(taskArn, ttl); err != nil {
		return Claim{}, err
	}
	if err := t.check(); err != nil {
		return Claim{}, err
	}
	firstSeen, expiresAt := claimTimes(now, ttl)
	_, err := t.API.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Name),
		Item: map[string]types.AttributeValue{
			AttrTaskArn:   &types.AttributeValueMemberS{Value: taskArn},
			AttrFirstSeen: &types.AttributeValueMemberS{Value: firstSeen.Format(time.RFC3339)},
			AttrExpiresAt: &types.AttributeValueMemberN{Value: strconv.FormatInt(expiresAt.Unix(), 10)},
		},
		ConditionExpression:      aws.String(ClaimCondition),
		ExpressionAttributeNames: map[string]string{"#taskArn": AttrTaskArn, "#expiresAt": AttrExpiresAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		c := Claim{}
		if s, ok := ccf.Item[AttrFirstSeen].(*types.AttributeValueMemberS); ok {
			c.FirstSeen, _ = time.Parse(time.RFC3339, s.Value)
		}
		if n, ok := ccf.Item[AttrExpiresAt].(*types.AttributeValueMemberN); ok {
			if sec, perr := strconv.ParseInt(n.Value, 10, 64); perr == nil {
				c.ExpiresAt = time.Unix(sec, 0).UTC()
			}
		}
		return c, nil
	case err != nil:
		return Claim{}, step.AWSError("PutItem "+t.Name+" "+taskArn, err)
	}
	return Claim{Claimed: true, FirstSeen: firstSeen, ExpiresAt: expiresAt}, nil
}

// Release deletes taskArn's claim, so that a later event of the task is taken
// on again. Releasing a task that has no claim is not an error.
func (t *Table) Release(ctx context.Context, taskArn string) error {
	if taskArn == "" {
		return step.Errorf(contract.ErrInvalidInput, "idempotency: empty task ARN")
	}
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(t.Name),
		Key:       map[string]types.AttributeValue{AttrTaskArn: &types.AttributeValueMemberS{Value: taskArn}},
	})
	return step.AWSError("DeleteItem "+t.Name+" "+taskArn, err)
}

func (t *Table) check() error {
	if t == nil || t.API == nil || t.Name == "" {
		return step.Errorf(contract.ErrFailed, "idempotency: table client or name not configured")
	}
	return nil
}
