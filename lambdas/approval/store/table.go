package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// DynamoAPI is the part of the DynamoDB client a Table uses. The request
// step only puts (dynamodb:PutItem); the callback only gets and updates
// (dynamodb:GetItem, dynamodb:UpdateItem).
type DynamoAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// Table keeps records in a DynamoDB table (partition key "reference", TTL
// attribute "deleteAt").
type Table struct {
	API  DynamoAPI
	Name string
}

// Conditions and updates, exported for the tests' DynamoDB fake. Attribute
// names go through placeholders: "status" and "reference" are reserved words.
const (
	PutCondition    = "attribute_not_exists(#ref)"
	DecideCondition = "attribute_exists(#ref) AND #status = :pending AND #expiresAt >= :now"
	DecideUpdate    = "SET #status = :decision, #approver = :approver, #reason = :reason, #decidedAt = :decidedAt, #decidedFrom = :from"
	// A decision carried by a confirmation form also requires that the
	// form's nonce was never recorded, and records it (a string set).
	DecideFormCondition = DecideCondition + " AND NOT contains(#formNonces, :nonce)"
	DecideFormUpdate    = DecideUpdate + " ADD #formNonces :nonces"
	ReopenCondition     = "#status = :decision AND #decidedAt = :decidedAt"
	ReopenUpdate        = "SET #status = :pending REMOVE #approver, #reason, #decidedAt, #decidedFrom"
	DeliveryCondition   = "attribute_exists(#ref)"
	DeliveryUpdate      = "SET #delivery = :delivery"
)

// Put stores a new PENDING record with a conditional put. A record already
// there for the same token is returned (the request step's retry); one for
// another token is an ErrConflict.
func (t *Table) Put(ctx context.Context, r approval.Record) (approval.Record, error) {
	if err := checkRecord(r); err != nil {
		return approval.Record{}, err
	}
	if err := t.check(); err != nil {
		return approval.Record{}, err
	}
	r = newRecord(r)
	summary, err := json.Marshal(r.Summary)
	if err != nil {
		return approval.Record{}, step.Errorf(contract.ErrFailed, "approval store: encode the summary: %v", err)
	}
	_, err = t.API.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Name),
		Item: map[string]types.AttributeValue{
			AttrReference: str(r.Reference),
			AttrTaskToken: str(r.TaskToken),
			AttrTaskArn:   str(r.TaskArn),
			AttrStatus:    str(r.Status),
			AttrCreatedAt: str(r.CreatedAt.Format(time.RFC3339)),
			AttrExpiresAt: num(r.ExpiresAt.Unix()),
			AttrDeleteAt:  num(r.DeleteAt().Unix()),
			AttrSummary:   str(string(summary)),
		},
		ConditionExpression:                 aws.String(PutCondition),
		ExpressionAttributeNames:            map[string]string{"#ref": AttrReference},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		old := decode(ccf.Item)
		if old.TaskToken == r.TaskToken {
			return old, nil
		}
		return approval.Record{}, &approval.StoreError{Err: approval.ErrConflict, Record: old}
	case err != nil:
		return approval.Record{}, step.AWSError("PutItem "+t.Name+" "+r.Reference, err)
	}
	return r, nil
}

// Get reads the record of ref (strongly consistent: a decision just made is
// seen).
func (t *Table) Get(ctx context.Context, ref string) (approval.Record, error) {
	if err := t.check(); err != nil {
		return approval.Record{}, err
	}
	out, err := t.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(t.Name),
		Key:            key(ref),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return approval.Record{}, step.AWSError("GetItem "+t.Name+" "+ref, err)
	}
	if len(out.Item) == 0 {
		return approval.Record{}, &approval.StoreError{Err: approval.ErrNotFound}
	}
	return decode(out.Item), nil
}

// Decide records d with a conditional update: the record must exist, be
// PENDING and not be expired at d.At, and d's form nonce must not be
// recorded (it is recorded with the decision, in the same write).
func (t *Table) Decide(ctx context.Context, ref string, d approval.Decision) (approval.Record, error) {
	if err := checkDecision(ref, d); err != nil {
		return approval.Record{}, err
	}
	if err := t.check(); err != nil {
		return approval.Record{}, err
	}
	in := &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Name),
		Key:                 key(ref),
		UpdateExpression:    aws.String(DecideUpdate),
		ConditionExpression: aws.String(DecideCondition),
		ExpressionAttributeNames: map[string]string{
			"#ref": AttrReference, "#status": AttrStatus, "#expiresAt": AttrExpiresAt, "#approver": AttrApprover,
			"#reason": AttrReason, "#decidedAt": AttrDecidedAt, "#decidedFrom": AttrDecidedFrom,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending":   str(approval.StatusPending),
			":now":       num(d.At.Unix()),
			":decision":  str(d.Status),
			":approver":  str(d.Approver),
			":reason":    str(d.Reason),
			":decidedAt": str(seconds(d.At).Format(time.RFC3339)),
			":from":      str(d.From),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if d.Nonce != "" {
		// DynamoDB refuses names and values that no expression uses: these
		// are added only with the expressions that use them.
		in.UpdateExpression, in.ConditionExpression = aws.String(DecideFormUpdate), aws.String(DecideFormCondition)
		in.ExpressionAttributeNames["#formNonces"] = AttrFormNonces
		in.ExpressionAttributeValues[":nonce"] = str(d.Nonce)
		in.ExpressionAttributeValues[":nonces"] = &types.AttributeValueMemberSS{Value: []string{d.Nonce}}
	}
	out, err := t.API.UpdateItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		if len(ccf.Item) == 0 {
			return approval.Record{}, &approval.StoreError{Err: approval.ErrNotFound}
		}
		old := decode(ccf.Item)
		why := approval.DecisionRefusal(old, d)
		if why == nil { // changed between the check and now: it was answered
			why = approval.ErrAnswered
		}
		return approval.Record{}, &approval.StoreError{Err: why, Record: old}
	case err != nil:
		return approval.Record{}, step.AWSError("UpdateItem "+t.Name+" "+ref, err)
	}
	return decode(out.Attributes), nil
}

// Reopen undoes the decision d with a conditional update on its status and
// time, so that it never undoes another decision.
func (t *Table) Reopen(ctx context.Context, ref string, d approval.Decision) error {
	if err := checkDecision(ref, d); err != nil {
		return err
	}
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(t.Name),
		Key:                 key(ref),
		UpdateExpression:    aws.String(ReopenUpdate),
		ConditionExpression: aws.String(ReopenCondition),
		ExpressionAttributeNames: map[string]string{
			"#status": AttrStatus, "#approver": AttrApprover, "#reason": AttrReason,
			"#decidedAt": AttrDecidedAt, "#decidedFrom": AttrDecidedFrom,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending":   str(approval.StatusPending),
			":decision":  str(d.Status),
			":decidedAt": str(seconds(d.At).Format(time.RFC3339)),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return &approval.StoreError{Err: approval.ErrAnswered, Record: decode(ccf.Item)}
	}
	return step.AWSError("UpdateItem "+t.Name+" "+ref, err)
}

// SetDelivery records how the delivery of the decision ended.
func (t *Table) SetDelivery(ctx context.Context, ref, delivery string) error {
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       key(ref),
		UpdateExpression:          aws.String(DeliveryUpdate),
		ConditionExpression:       aws.String(DeliveryCondition),
		ExpressionAttributeNames:  map[string]string{"#ref": AttrReference, "#delivery": AttrDelivery},
		ExpressionAttributeValues: map[string]types.AttributeValue{":delivery": str(delivery)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return &approval.StoreError{Err: approval.ErrNotFound}
	}
	return step.AWSError("UpdateItem "+t.Name+" "+ref, err)
}

func (t *Table) check() error {
	if t == nil || t.API == nil || t.Name == "" {
		return step.Errorf(contract.ErrFailed, "approval store: table client or name not configured")
	}
	return nil
}

func key(ref string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrReference: str(ref)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// decode reads an item; attributes it lacks stay zero.
func decode(item map[string]types.AttributeValue) approval.Record {
	s := func(name string) string {
		if v, ok := item[name].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	unix := func(name string) time.Time {
		if v, ok := item[name].(*types.AttributeValueMemberN); ok {
			if n, err := strconv.ParseInt(v.Value, 10, 64); err == nil {
				return time.Unix(n, 0).UTC()
			}
		}
		return time.Time{}
	}
	rfc := func(name string) time.Time {
		t, _ := time.Parse(time.RFC3339, s(name))
		return t.UTC()
	}
	r := approval.Record{
		Reference: s(AttrReference), TaskToken: s(AttrTaskToken), TaskArn: s(AttrTaskArn), Status: s(AttrStatus),
		CreatedAt: rfc(AttrCreatedAt), ExpiresAt: unix(AttrExpiresAt),
		Approver: s(AttrApprover), Reason: s(AttrReason), DecidedFrom: s(AttrDecidedFrom), Delivery: s(AttrDelivery),
	}
	if s(AttrDecidedAt) != "" {
		r.DecidedAt = rfc(AttrDecidedAt)
	}
	if v, ok := item[AttrFormNonces].(*types.AttributeValueMemberSS); ok {
		r.FormNonces = slices.Sorted(slices.Values(v.Value))
	}
	if js := s(AttrSummary); js != "" {
		_ = json.Unmarshal([]byte(js), &r.Summary) // a summary that does not decode shows as empty
	}
	return r
}
