// Package dynamo is the DynamoDB implementation of judgement.Store (apart
// from package judgement so that the domain code links no AWS SDK service).
package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// DynamoAPI is the part of the DynamoDB client a Table uses.
type DynamoAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Table keeps the store in one DynamoDB table whose partition key is "pk"
// (S) and whose TTL attribute is "expiresAt" (N, Unix seconds). Items:
//
//	judgement#<key>       status, owner, leaseUntil (pending) or policyHash,
//	                      subject, taskDefinitionArn, evaluation (JSON),
//	                      judgedAt; expiresAt
//	revision#<task definition ARN>  policyHash, digest, rules (list),
//	                      news, resolve (lists), noter, reportedAt;
//	                      expiresAt (a year after the report)
//	incident#<id>         taskDefinitionArn, policyHash, tasks, firstAt,
//	                      firstTaskArn, lastTaskArn, lastAt,
//	                      previousDesiredCount; expiresAt (a year)
type Table struct {
	API  DynamoAPI
	Name string
}

var _ judgement.Store = (*Table)(nil)

// Attribute names.
const (
	AttrPK         = "pk"
	AttrExpiresAt  = "expiresAt"
	attrStatus     = "status"
	attrOwner      = "owner"
	attrLease      = "leaseUntil"
	attrPolicy     = "policyHash"
	attrSubject    = "subject"
	attrTaskDef    = "taskDefinitionArn"
	attrEvaluation = "evaluation"
	attrJudgedAt   = "judgedAt"
	attrDigest     = "digest"
	attrRules      = "rules"
	attrReportedAt = "reportedAt"
	attrTasks      = "tasks"
	attrFirstAt    = "firstAt"
	attrFirstTask  = "firstTaskArn"
	attrNoter      = "noter"
	attrNews       = "news"
	attrResolve    = "resolve"
	attrLastTask   = "lastTaskArn"
	attrLastAt     = "lastAt"
	attrPrevious   = "previousDesiredCount"
)

// keepFor is how long revision and incident items live.
const keepFor = 365 * 24 * time.Hour

// pendingGrace keeps a pending item a day past its lease (then TTL).
const pendingGrace = 24 * time.Hour

func judgementPK(key string) string { return "judgement#" + key }
func revisionPK(td string) string   { return "revision#" + td }
func incidentPK(id string) string   { return "incident#" + id }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func (t *Table) check() error {
	if t == nil || t.API == nil || t.Name == "" {
		return step.Errorf(contract.ErrFailed, "judgement: table client or name not configured")
	}
	return nil
}

func (t *Table) pkOf(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: s(pk)}
}

// Get returns key's record.
func (t *Table) Get(ctx context.Context, key string) (judgement.Record, bool, error) {
	if err := t.check(); err != nil {
		return judgement.Record{}, false, err
	}
	out, err := t.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name), Key: t.pkOf(judgementPK(key)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return judgement.Record{}, false, step.AWSError("GetItem "+t.Name+" judgement "+key, err)
	}
	if len(out.Item) == 0 {
		return judgement.Record{}, false, nil
	}
	r, err := decodeRecord(key, out.Item)
	return r, err == nil, err
}

// beginCondition lets a new pending record replace nothing, an expired
// judgement, a pending record whose lease ran out, or the owner's own.
const beginCondition = "attribute_not_exists(#pk) OR (#status = :judged AND #expiresAt <= :now) OR " +
	"(#status = :pending AND (#owner = :owner OR #lease <= :now))"

// Begin takes key for judging.
func (t *Table) Begin(ctx context.Context, key, owner string, now time.Time, lease time.Duration) (judgement.Record, bool, error) {
	if err := judgement.ValidateBegin(key, owner, lease); err != nil {
		return judgement.Record{}, false, err
	}
	if err := t.check(); err != nil {
		return judgement.Record{}, false, err
	}
	until := now.Add(lease).UTC().Truncate(time.Second)
	_, err := t.API.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Name),
		Item: map[string]types.AttributeValue{
			AttrPK: s(judgementPK(key)), attrStatus: s(string(judgement.StatusPending)), attrOwner: s(owner),
			attrLease: n(until.Unix()), AttrExpiresAt: n(until.Add(pendingGrace).Unix()),
		},
		ConditionExpression: aws.String(beginCondition),
		ExpressionAttributeNames: map[string]string{"#pk": AttrPK, "#status": attrStatus, "#expiresAt": AttrExpiresAt,
			"#owner": attrOwner, "#lease": attrLease},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":judged": s(string(judgement.StatusJudged)), ":pending": s(string(judgement.StatusPending)),
			":now": n(now.Unix()), ":owner": s(owner),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		r, derr := decodeRecord(key, ccf.Item)
		return r, false, derr
	case err != nil:
		return judgement.Record{}, false, step.AWSError("PutItem "+t.Name+" judgement "+key, err)
	}
	return judgement.Record{Key: key, Status: judgement.StatusPending, Owner: owner, LeaseUntil: until}, true, nil
}

// Put stores a judged record.
func (t *Table) Put(ctx context.Context, r judgement.Record) error {
	if err := judgement.ValidatePut(r); err != nil {
		return err
	}
	if err := t.check(); err != nil {
		return err
	}
	ev, err := json.Marshal(r.Evaluation)
	if err != nil {
		return step.Errorf(contract.ErrFailed, "judgement: put %s: %v", r.Key, err)
	}
	_, err = t.API.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(t.Name),
		Item: map[string]types.AttributeValue{
			AttrPK: s(judgementPK(r.Key)), attrStatus: s(string(judgement.StatusJudged)),
			attrPolicy: s(r.PolicyHash), attrSubject: s(r.Subject), attrTaskDef: s(r.TaskDefinitionArn),
			attrEvaluation: s(string(ev)), attrJudgedAt: s(r.JudgedAt.UTC().Format(time.RFC3339)),
			AttrExpiresAt: n(r.ExpiresAt.Unix()),
		},
	})
	return step.AWSError("PutItem "+t.Name+" judgement "+r.Key, err)
}

// Abandon deletes key's pending record held by owner.
func (t *Table) Abandon(ctx context.Context, key, owner string) error {
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       t.pkOf(judgementPK(key)),
		ConditionExpression:       aws.String("#status = :pending AND #owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#status": attrStatus, "#owner": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": s(string(judgement.StatusPending)), ":owner": s(owner)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	return step.AWSError("DeleteItem "+t.Name+" judgement "+key, err)
}

// noteAttempts bounds NoteReport's optimistic retries under contention.
const noteAttempts = 5

// NoteReport records what a revision is judged to flag (read, then a write
// conditional on what was read).
func (t *Table) NoteReport(ctx context.Context, taskDefinitionArn, policyHash string, f judgement.Flagged, noter string, now time.Time) (bool, []string, error) {
	if taskDefinitionArn == "" {
		return false, nil, step.Errorf(contract.ErrInvalidInput, "judgement: note report: empty task definition ARN")
	}
	if err := t.check(); err != nil {
		return false, nil, err
	}
	for attempt := 0; attempt < noteAttempts; attempt++ {
		old, found, err := t.Revision(ctx, taskDefinitionArn)
		if err != nil {
			return false, nil, err
		}
		next, news, resolve := judgement.NextRevision(old, found, taskDefinitionArn, policyHash, f, noter, now)
		if found && noter != "" && old.Noter == noter {
			return news, resolve, nil // a retry of the same judgement: nothing to write
		}
		in := &dynamodb.PutItemInput{
			TableName: aws.String(t.Name),
			Item: map[string]types.AttributeValue{
				AttrPK: s(revisionPK(taskDefinitionArn)), attrTaskDef: s(taskDefinitionArn), attrPolicy: s(policyHash),
				attrDigest: s(next.Digest), attrRules: list(next.Rules),
				attrNoter: s(next.Noter), attrNews: &types.AttributeValueMemberBOOL{Value: next.News},
				attrResolve:    list(next.Resolve),
				attrReportedAt: s(now.UTC().Format(time.RFC3339)), AttrExpiresAt: n(now.Add(keepFor).Unix()),
			},
			// Written over nothing, or over exactly what was read.
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": AttrPK},
		}
		if found {
			in.ConditionExpression = aws.String("#digest = :digest AND #reportedAt = :reportedAt")
			in.ExpressionAttributeNames = map[string]string{"#digest": attrDigest, "#reportedAt": attrReportedAt}
			in.ExpressionAttributeValues = map[string]types.AttributeValue{
				":digest": s(old.Digest), ":reportedAt": s(old.ReportedAt.UTC().Format(time.RFC3339))}
		}
		_, err = t.API.PutItem(ctx, in)
		var ccf *types.ConditionalCheckFailedException
		if errors.As(err, &ccf) {
			continue // someone else wrote in between: read again
		}
		if err != nil {
			return false, nil, step.AWSError("PutItem "+t.Name+" revision "+taskDefinitionArn, err)
		}
		return news, resolve, nil
	}
	return false, nil, step.Errorf(contract.ErrTransient, "judgement: note report %s: %d concurrent writers in a row", taskDefinitionArn, noteAttempts)
}

// Revision returns what was last reported for a revision.
func (t *Table) Revision(ctx context.Context, taskDefinitionArn string) (judgement.Revision, bool, error) {
	if err := t.check(); err != nil {
		return judgement.Revision{}, false, err
	}
	out, err := t.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.Name),
		Key: t.pkOf(revisionPK(taskDefinitionArn)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return judgement.Revision{}, false, step.AWSError("GetItem "+t.Name+" revision "+taskDefinitionArn, err)
	}
	if len(out.Item) == 0 {
		return judgement.Revision{}, false, nil
	}
	r := judgement.Revision{TaskDefinitionArn: taskDefinitionArn, PolicyHash: str(out.Item, attrPolicy), Digest: str(out.Item, attrDigest),
		Noter: str(out.Item, attrNoter), Rules: strs(out.Item, attrRules), Resolve: strs(out.Item, attrResolve)}
	r.ReportedAt, _ = time.Parse(time.RFC3339, str(out.Item, attrReportedAt))
	if b, ok := out.Item[attrNews].(*types.AttributeValueMemberBOOL); ok {
		r.News = b.Value
	}
	return r, true, nil
}

func list(ss []string) types.AttributeValue {
	l := make([]types.AttributeValue, len(ss))
	for i, v := range ss {
		l[i] = s(v)
	}
	return &types.AttributeValueMemberL{Value: l}
}

func strs(item map[string]types.AttributeValue, name string) []string {
	var out []string
	if l, ok := item[name].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				out = append(out, sv.Value)
			}
		}
	}
	return out
}

// CountIncident counts a task in an incident.
func (t *Table) CountIncident(ctx context.Context, id, taskDefinitionArn, policyHash, taskArn string, previousDesiredCount *int32, now time.Time) (judgement.Incident, error) {
	if err := judgement.ValidateIncident(id, taskArn); err != nil {
		return judgement.Incident{}, err
	}
	if err := t.check(); err != nil {
		return judgement.Incident{}, err
	}
	now = now.UTC().Truncate(time.Second)
	update := "SET #tasks = if_not_exists(#tasks, :zero) + :one, #last = :task, #lastAt = :now, " +
		"#firstAt = if_not_exists(#firstAt, :now), #first = if_not_exists(#first, :task), #td = :td, #policy = :policy, #exp = :exp"
	names := map[string]string{"#tasks": attrTasks, "#last": attrLastTask, "#lastAt": attrLastAt,
		"#firstAt": attrFirstAt, "#first": attrFirstTask, "#td": attrTaskDef, "#policy": attrPolicy, "#exp": AttrExpiresAt}
	values := map[string]types.AttributeValue{
		":zero": n(0), ":one": n(1), ":task": s(taskArn), ":now": s(now.Format(time.RFC3339)),
		":td": s(taskDefinitionArn), ":policy": s(policyHash), ":exp": n(now.Add(keepFor).Unix()),
	}
	if previousDesiredCount != nil {
		update += ", #prev = if_not_exists(#prev, :prev)"
		names["#prev"], values[":prev"] = attrPrevious, n(int64(*previousDesiredCount))
	}
	out, err := t.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(t.Name),
		Key:              t.pkOf(incidentPK(id)),
		UpdateExpression: aws.String(update),
		// A retry counts nothing: the last task again, or the first one.
		ConditionExpression:                 aws.String("attribute_not_exists(#last) OR (#last <> :task AND #first <> :task)"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf): // the same task again: a retry
		in := decodeIncident(id, ccf.Item)
		in.First = in.FirstTaskArn == taskArn
		return in, nil
	case err != nil:
		return judgement.Incident{}, step.AWSError("UpdateItem "+t.Name+" incident "+id, err)
	}
	in := decodeIncident(id, out.Attributes)
	in.First = in.Tasks == 1
	return in, nil
}

func decodeIncident(id string, item map[string]types.AttributeValue) judgement.Incident {
	in := judgement.Incident{ID: id, TaskDefinitionArn: str(item, attrTaskDef), PolicyHash: str(item, attrPolicy),
		FirstTaskArn: str(item, attrFirstTask), LastTaskArn: str(item, attrLastTask)}
	in.Tasks = int(num(item, attrTasks))
	if _, ok := item[attrPrevious]; ok {
		prev := int32(num(item, attrPrevious))
		in.PreviousDesiredCount = &prev
	}
	in.FirstAt, _ = time.Parse(time.RFC3339, str(item, attrFirstAt))
	in.LastAt, _ = time.Parse(time.RFC3339, str(item, attrLastAt))
	return in
}

func decodeRecord(key string, item map[string]types.AttributeValue) (judgement.Record, error) {
	r := judgement.Record{Key: key, Status: judgement.Status(str(item, attrStatus)), Owner: str(item, attrOwner),
		PolicyHash: str(item, attrPolicy), Subject: str(item, attrSubject), TaskDefinitionArn: str(item, attrTaskDef)}
	if v := num(item, attrLease); v > 0 {
		r.LeaseUntil = time.Unix(v, 0).UTC()
	}
	if v := num(item, AttrExpiresAt); v > 0 {
		r.ExpiresAt = time.Unix(v, 0).UTC()
	}
	r.JudgedAt, _ = time.Parse(time.RFC3339, str(item, attrJudgedAt))
	if ev := str(item, attrEvaluation); ev != "" {
		var e contract.Evaluation
		if err := json.Unmarshal([]byte(ev), &e); err != nil {
			return judgement.Record{}, step.Errorf(contract.ErrFailed, "judgement %s: stored evaluation is not JSON: %v", key, err)
		}
		r.Evaluation = &e
	}
	if r.Status != judgement.StatusJudged && r.Status != judgement.StatusPending {
		return judgement.Record{}, step.Errorf(contract.ErrFailed, "judgement %s: stored status %q is neither %s nor %s", key, r.Status, judgement.StatusJudged, judgement.StatusPending)
	}
	return r, nil
}

func str(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func num(item map[string]types.AttributeValue, name string) int64 {
	if v, ok := item[name].(*types.AttributeValueMemberN); ok {
		i, err := strconv.ParseInt(v.Value, 10, 64)
		if err == nil {
			return i
		}
	}
	return 0
}
