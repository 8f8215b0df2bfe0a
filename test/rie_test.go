package test

// The deployable artefacts, smoke-tested: every Lambda under lambdas/*/main.go
// is built as it is deployed (buildLambdas: linux, CGO off, the deploy flags;
// amd64 here so that it runs on this machine), started under the AWS Lambda
// Runtime Interface Emulator and sent one rieSample invocation (the cold
// start benchmark, coldstart_test.go, sends the same). The AWS-calling steps
// talk to a fake AWS endpoint on 127.0.0.1 (AWS_ENDPOINT_URL) that answers
// the few calls they make, so each answer is a real result of the binary.
//
// The emulator comes from `make e2e` (RIE=.tools/bin/aws-lambda-rie); without
// it the test skips, unless RIE_REQUIRED=1.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/judgement"
)

const (
	rieAccount = "123456789012"
	rieRegion  = "us-east-1"
	topicArn   = "arn:aws:sns:us-east-1:123456789012:ecs-compliance"
	tableName  = "ecs-compliance-claims"
	policyPath = "/ecs-compliance/policy"
	// judgementsTable is the judgements table (JUDGEMENTS_TABLE): it holds
	// nothing yet, so the fake answers every GetItem on it with no item.
	judgementsTable = "ecs-compliance-judgements"
	// rieExecutionID is the triage execution that "Record task" claims for.
	rieExecutionID = "arn:aws:states:us-east-1:123456789012:express:ecs-compliance-triage:0b6a2f3e:5c1b7e2a"
)

// awsCall is one request the fake AWS endpoint received.
type awsCall struct {
	API   string         // "ecs:UpdateService", "sns:Publish", ...
	Input map[string]any // the JSON body, or the form of a query-protocol call
}

// rieSample is one Lambda's invocation and what its answer must be.
type rieSample struct {
	env map[string]string
	// payload is the invocation's event.
	payload func(t testing.TB) any
	// check inspects the answer (a result, or RIE's errorType body) and the
	// AWS calls made.
	check func(t testing.TB, answer []byte, calls []awsCall)
}

// rieSamples has one invocation per Lambda; a lambdas/<dir>/main.go without
// one fails the test.
var rieSamples = map[string]rieSample{
	"record-task": {
		// It looks up a claimed task's judgement too: look-up-judgement's
		// environment and calls follow the claim.
		env: map[string]string{"TABLE_NAME": tableName, "CLAIM_TTL_HOURS": "168", "ACCOUNT_ID": rieAccount,
			"POLICY_PATH": policyPath, "JUDGEMENTS_TABLE": judgementsTable, "MODE": "enforce", "APPROVAL": "off"},
		payload: func(t testing.TB) any {
			return contract.RecordTaskInput{Event: eventState(t).Event, ExecutionID: rieExecutionID}
		},
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var st contract.State
			decodeAnswer(t, answer, &st)
			want := sampleTask(t)
			got := st.Task
			if got == nil || got.TaskArn != want.TaskArn || got.Service != "api" || got.Duplicate || got.ExpiresAt <= time.Now().Unix() ||
				got.Kind != contract.KindTask || got.ClaimedBy != rieExecutionID || got.Attempt != 1 ||
				got.ExecutionName != "1b2c3d4e5f6a41829304b5c6d7e8f9a0-1" {
				t.Errorf("task = %+v", got)
			}
			if st.Source != "aws.ecs" || len(st.Detail) == 0 {
				t.Errorf("the event does not ride on: %+v", st.Event)
			}
			if st.Lookup == nil || st.Lookup.Next != contract.NextJudge || st.Lookup.PolicyHash != bundle.Hash(smallBundle) {
				t.Errorf("lookup = %+v; want JUDGE under the loaded policy", st.Lookup)
			}
			apis := apisOf(calls)
			if len(apis) < 5 || apis[0] != "dynamodb:UpdateItem" || apis[len(apis)-1] != "dynamodb:PutItem" ||
				!slices.Equal(slices.Sorted(slices.Values(apis[1:4])), []string{"ecs:DescribeServices", "ecs:ListTagsForResource", "ssm:GetParametersByPath"}) {
				t.Fatalf("AWS calls = %v, want the claim, then the look-up (the policy, the tags and the service at once; the key marked last)", apis)
			}
			if calls[0].Input["TableName"] != tableName || !strings.Contains(fmt.Sprint(calls[0].Input["ConditionExpression"]), "attribute_not_exists") ||
				!strings.Contains(fmt.Sprint(calls[0].Input["ExpressionAttributeValues"]), rieExecutionID) {
				t.Errorf("UpdateItem = %v", calls[0].Input)
			}
		},
	},
	"load-policy": {
		env:     map[string]string{"POLICY_PATH": policyPath},
		payload: func(t testing.TB) any { return eventState(t) },
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.Evaluation
			decodeAnswer(t, answer, &got)
			if !reflect.DeepEqual(got.Policy.Files, smallBundle) || got.Policy.Hash != bundle.Hash(smallBundle) || got.Policy.Path != policyPath {
				t.Errorf("policy = %+v", got.Policy)
			}
			wantCalls(t, calls, "ssm:GetParametersByPath")
		},
	},
	"describe-task-definition": {
		payload: func(t testing.TB) any {
			st := eventState(t)
			st.Task = sampleTask(t)
			return st
		},
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.Described
			decodeAnswer(t, answer, &got)
			var td struct{ Family string }
			if err := json.Unmarshal(got.TaskDefinition, &td); err != nil || td.Family != "api" {
				t.Errorf("taskDefinition = %s (%v)", got.TaskDefinition, err)
			}
			if got.Tags["owner"] != "team-api" || got.Tags["tier"] != "frontend" {
				t.Errorf("tags = %v, want the task definition's and the service's", got.Tags)
			}
			wantCalls(t, calls, "ecs:DescribeTaskDefinition", "ecs:ListTagsForResource")
		},
	},
	"evaluate": {
		env: map[string]string{"MODE": "audit", "APPROVAL": "off", "APPROVAL_TIMEOUT_SECONDS": "86400"},
		payload: func(t testing.TB) any {
			files, err := bundle.ReadFS(os.DirFS("../policies"))
			if err != nil {
				t.Fatalf("the real policy bundle: %v", err)
			}
			st := eventState(t)
			st.Task = sampleTask(t)
			st.Evaluation = &contract.Evaluation{Policy: contract.Bundle{Path: policyPath, Hash: bundle.Hash(files), Files: files}}
			st.Described = &contract.Described{TaskDefinition: worldTaskDefinition(t), Tags: map[string]string{"owner": "team-api"}}
			return st
		},
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var st contract.State
			decodeAnswer(t, answer, &st)
			if st.Evaluation == nil || st.Task == nil || st.Described == nil {
				t.Fatalf("answer = %s, want the whole document with the evaluation", answer)
			}
			got := *st.Evaluation
			// nginx:1.25 from Docker Hub is not the account's ECR: a
			// violation; audit mode only reports it.
			if got.Decision == nil || got.Decision.Compliant || len(got.Decision.Violations) == 0 {
				t.Fatalf("decision = %+v, want violations", got.Decision)
			}
			if got.Outcome != contract.OutcomeReport || got.Mode != contract.ModeAudit || len(got.Policy.Files) != 0 {
				t.Errorf("outcome %q, mode %q, %d files kept; want REPORT, audit, none", got.Outcome, got.Mode, len(got.Policy.Files))
			}
			wantCalls(t, calls)
		},
	},
	"scale-service": {
		payload: func(t testing.TB) any { return remediationState(t) },
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.ActionResult
			decodeAnswer(t, answer, &got)
			if got.API != contract.APIUpdateService || !got.Changed || got.PreviousDesiredCount == nil || *got.PreviousDesiredCount != 2 {
				t.Errorf("result = %+v", got)
			}
			// The task's startedBy names the service's deployment: verified,
			// no scalable target to suspend, then scaled.
			wantCalls(t, calls, "ecs:DescribeServices", "ecs:DescribeTasks", "application-autoscaling:DescribeScalableTargets", "ecs:UpdateService")
			if len(calls) == 4 && fmt.Sprint(calls[3].Input["desiredCount"]) != "0" {
				t.Errorf("UpdateService = %v", calls[3].Input)
			}
		},
	},
	"stop-task": {
		payload: func(t testing.TB) any { return remediationState(t) },
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.ActionResult
			decodeAnswer(t, answer, &got)
			if got.API != contract.APIStopTask || !got.Changed || got.Target != sampleTask(t).TaskArn {
				t.Errorf("result = %+v", got)
			}
			wantCalls(t, calls, "ecs:DescribeTasks", "ecs:StopTask")
		},
	},
	"deregister-task-definition": {
		payload: func(t testing.TB) any { return remediationState(t) },
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.ActionResult
			decodeAnswer(t, answer, &got)
			if got.API != contract.APIDeregisterTaskDefinition || !got.Changed {
				t.Errorf("result = %+v", got)
			}
			wantCalls(t, calls, "ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition")
		},
	},
	"notify": {
		env:     map[string]string{"TOPIC_ARN": topicArn},
		payload: func(t testing.TB) any { return remediationState(t) },
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.Notification
			decodeAnswer(t, answer, &got)
			if got.MessageID != "msg-1" || got.Subject == "" {
				t.Errorf("notification = %+v", got)
			}
			wantCalls(t, calls, "sns:Publish")
			if len(calls) == 1 && calls[0].Input["TopicArn"] != topicArn {
				t.Errorf("Publish = %v", calls[0].Input)
			}
		},
	},
	"record-finding": {
		payload: func(t testing.TB) any { return remediationState(t) },
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.FindingsSent
			decodeAnswer(t, answer, &got)
			if len(got.IDs) == 0 {
				t.Errorf("findings = %+v", got)
			}
			wantCalls(t, calls, "securityhub:BatchImportFindings")
		},
	},
	"report-failure": {
		env: map[string]string{"TOPIC_ARN": topicArn, "TABLE_NAME": tableName, "JUDGEMENTS_TABLE": judgementsTable},
		payload: func(t testing.TB) any {
			st := remediationState(t)
			st.Task.Kind, st.Task.ClaimedBy, st.Task.Attempt = contract.KindTask, rieExecutionID, 2
			st.Task.ExecutionName = "1b2c3d4e5f6a41829304b5c6d7e8f9a0-2"
			// This execution was judging the key: the report frees it.
			st.Lookup = &contract.Lookup{Next: contract.NextJudge, Key: "judgement-key-1"}
			st.Failure = map[string]contract.ErrorInfo{contract.StepStopTask: {
				Error: contract.ErrAccessDenied, Cause: "StopTask: AccessDeniedException: not authorized",
			}}
			return st
		},
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.Report
			decodeAnswer(t, answer, &got)
			if got.Notification == nil || got.Notification.MessageID != "msg-1" {
				t.Errorf("report = %+v", got)
			}
			apis := apisOf(calls)
			slices.Sort(apis)
			if !reflect.DeepEqual(apis, []string{"dynamodb:DeleteItem", "dynamodb:UpdateItem", "sns:Publish"}) {
				t.Errorf("calls = %v, want a Publish, the claim's release (UpdateItem) and the pending judgement's removal (DeleteItem)", apis)
			}
			for _, c := range calls {
				if c.API == "dynamodb:DeleteItem" && (c.Input["TableName"] != judgementsTable ||
					!strings.Contains(fmt.Sprint(c.Input["ExpressionAttributeValues"]), "1b2c3d4e5f6a41829304b5c6d7e8f9a0-2")) {
					t.Errorf("the abandon = %v, want the pending judgement this execution owns", c.Input)
				}
				if c.API == "dynamodb:UpdateItem" && (c.Input["TableName"] != tableName ||
					!strings.Contains(fmt.Sprint(c.Input["ExpressionAttributeValues"]), "map[N:2]") ||
					!strings.Contains(fmt.Sprint(c.Input["Key"]), sampleTask(t).TaskArn)) {
					t.Errorf("the release = %v, want attempt 2 of the task's claim", c.Input)
				}
			}
		},
	},
	// The approval request: the token goes to the approvals table under a
	// reference, and the message carries links signed with the secret.
	"request-approval": {
		env: map[string]string{"APPROVAL_TOPIC_ARN": approvalTopicArn, "APPROVALS_TABLE": approvalsTable, "SECRET_ARN": rieSecretArn, "CALLBACK_URL": rieCallbackURL},
		payload: func(t testing.TB) any {
			st := remediationState(t)
			st.Evaluation.ApprovalRequired = true
			st.Evaluation.ApprovalTimeoutSeconds = 86400
			return contract.ApprovalRequest{TaskToken: rieApprovalToken, State: *st}
		},
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got struct{ Reference, ExpiresAt, MessageID string }
			decodeAnswer(t, answer, &got)
			key := rieApprovalKey(t)
			if got.Reference != key.Reference(rieApprovalToken) || got.MessageID != "msg-1" {
				t.Errorf("result = %+v", got)
			}
			wantCalls(t, calls, "secretsmanager:GetSecretValue", "dynamodb:PutItem", "sns:Publish")
			if len(calls) != 3 {
				return
			}
			if calls[0].Input["SecretId"] != rieSecretArn {
				t.Errorf("GetSecretValue = %v", calls[0].Input)
			}
			item, _ := calls[1].Input["Item"].(map[string]any)
			if calls[1].Input["TableName"] != approvalsTable || fmt.Sprint(item["taskToken"]) != "map[S:"+rieApprovalToken+"]" ||
				fmt.Sprint(item["status"]) != "map[S:PENDING]" || calls[1].Input["ConditionExpression"] != "attribute_not_exists(#ref)" {
				t.Errorf("PutItem = %v", calls[1].Input)
			}
			msg, _ := calls[2].Input["Message"].(string)
			if calls[2].Input["TopicArn"] != approvalTopicArn || strings.Contains(msg, rieApprovalToken) {
				t.Errorf("Publish = %v", calls[2].Input)
			}
			links := regexp.MustCompile(regexp.QuoteMeta(rieCallbackURL)+`\?\S+`).FindAllString(msg, -1)
			if len(links) != 2 {
				t.Fatalf("the request has %d links to %s:\n%s", len(links), rieCallbackURL, msg)
			}
			for _, l := range links {
				u, _ := url.Parse(l)
				if _, err := key.Verify(approval.ParamsFrom(u.Query()), time.Now()); err != nil {
					t.Errorf("link %s does not verify with the secret: %v", l, err)
				}
			}
		},
	},
	// The approval endpoint behind its function URL: the confirmation form's
	// POST of a genuine approve link records the decision once and answers
	// the task token with SendTaskSuccess.
	"approval-callback": {
		env: map[string]string{"APPROVALS_TABLE": approvalsTable, "SECRET_ARN": rieSecretArn},
		payload: func(t testing.TB) any {
			key := rieApprovalKey(t)
			l, err := key.Link(rieCallbackURL, key.Reference(rieApprovalToken), approval.ActionApprove, time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(l)
			form := u.Query()
			// The confirmation page's one-time token, as the page served it.
			link, err := key.Verify(approval.ParamsFrom(form), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			token, err := key.FormToken(link, approval.NewNonce(), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			form.Set(approval.FieldToken, token)
			form.Set("approver", "rie-approver@example.com")
			return map[string]any{
				"version": "2.0", "rawPath": "/", "rawQueryString": "", "body": form.Encode(), "isBase64Encoded": false,
				"headers":        map[string]string{"content-type": "application/x-www-form-urlencoded"},
				"requestContext": map[string]any{"http": map[string]any{"method": "POST", "path": "/", "sourceIp": "198.51.100.7"}},
			}
		},
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got struct {
				StatusCode int               `json:"statusCode"`
				Headers    map[string]string `json:"headers"`
				Body       string            `json:"body"`
			}
			decodeAnswer(t, answer, &got)
			if got.StatusCode != http.StatusOK || got.Headers["X-Frame-Options"] != "DENY" || !strings.Contains(got.Body, "approved by rie-approver@example.com") {
				t.Errorf("answer %.600s", answer)
			}
			wantCalls(t, calls, "secretsmanager:GetSecretValue", "dynamodb:UpdateItem", "states:SendTaskSuccess", "dynamodb:UpdateItem")
			if len(calls) != 4 {
				return
			}
			if calls[1].Input["TableName"] != approvalsTable || !strings.Contains(fmt.Sprint(calls[1].Input["ConditionExpression"]), "#status = :pending") {
				t.Errorf("UpdateItem = %v", calls[1].Input)
			}
			var out contract.Approval
			_ = json.Unmarshal([]byte(fmt.Sprint(calls[2].Input["output"])), &out)
			if calls[2].Input["taskToken"] != rieApprovalToken || out.Decision != contract.ApprovalApproved || out.Approver != "rie-approver@example.com" {
				t.Errorf("SendTaskSuccess = %v", calls[2].Input)
			}
		},
	},
	// The triage's lookup of a task whose key nothing is known about: the
	// policy's hash from Parameter Store, the subject from ECS, then the key
	// looked up and marked as being judged by this task's execution.
	"look-up-judgement": {
		env: map[string]string{"POLICY_PATH": policyPath, "JUDGEMENTS_TABLE": judgementsTable, "MODE": "enforce", "APPROVAL": "off"},
		payload: func(t testing.TB) any {
			st := eventState(t)
			st.Task = claimedTask(t)
			return st
		},
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.Lookup
			decodeAnswer(t, answer, &got)
			policy := bundle.Hash(smallBundle)
			if got.Next != contract.NextJudge || got.PolicyHash != policy || got.Subject == "" ||
				got.Key != judgement.Key(policy, got.Subject, judgement.Settings{Mode: contract.ModeEnforce}) {
				t.Errorf("lookup = %+v; want JUDGE under the key of the loaded policy, enforce mode", got)
			}
			if got.TaskDefinitionTags["tier"] != "frontend" || !strings.Contains(string(got.Service), `"serviceName":"api"`) ||
				strings.Contains(string(got.Service), "desiredCount") {
				t.Errorf("tags %v, service %s; want the ECS answers, the service without its run-time state", got.TaskDefinitionTags, got.Service)
			}
			apis := apisOf(calls)
			if len(apis) < 5 || !slices.Equal(slices.Sorted(slices.Values(apis[:3])), []string{"ecs:DescribeServices", "ecs:ListTagsForResource", "ssm:GetParametersByPath"}) ||
				apis[len(apis)-1] != "dynamodb:PutItem" {
				t.Fatalf("AWS calls = %v, want the policy, the tags and the service (at once), then the table read and the key marked", apis)
			}
			for _, c := range calls[3 : len(calls)-1] {
				if c.API != "dynamodb:GetItem" || c.Input["TableName"] != judgementsTable || c.Input["ConsistentRead"] != true {
					t.Errorf("%s = %v, want consistent reads of the judgements table", c.API, c.Input)
				}
			}
			describe := calls[slices.Index(apis, "ecs:DescribeServices")]
			if fmt.Sprint(describe.Input["services"]) != "[api]" || fmt.Sprint(describe.Input["include"]) != "[TAGS]" || describe.Input["cluster"] != sampleCluster {
				t.Errorf("DescribeServices = %v", describe.Input)
			}
			put := calls[len(calls)-1].Input
			item, _ := put["Item"].(map[string]any)
			if put["TableName"] != judgementsTable || fmt.Sprint(item["pk"]) != "map[S:judgement#"+got.Key+"]" ||
				fmt.Sprint(item["status"]) != "map[S:PENDING]" || fmt.Sprint(item["owner"]) != "map[S:"+claimedTask(t).ExecutionName+"]" ||
				!strings.Contains(fmt.Sprint(put["ConditionExpression"]), "attribute_not_exists") {
				t.Errorf("PutItem = %v, want the key marked pending for the task's execution", put)
			}
		},
	},
	// The judgement of a first REPORT decision stored for JUDGEMENT_TTL_HOURS,
	// and the revision noted: the report is FULL.
	"record-judgement": {
		env: map[string]string{"JUDGEMENTS_TABLE": judgementsTable, "MODE": "audit", "APPROVAL": "off", "JUDGEMENT_TTL_HOURS": "48"},
		payload: func(t testing.TB) any {
			st := remediationState(t)
			st.Task = claimedTask(t)
			st.Evaluation.Mode, st.Evaluation.Outcome = contract.ModeAudit, contract.OutcomeReport
			policy := bundle.Hash(smallBundle)
			st.Lookup = &contract.Lookup{PolicyHash: policy, Subject: rieSubject, Next: contract.NextJudge,
				Key: judgement.Key(policy, rieSubject, judgement.Settings{Mode: contract.ModeAudit}), TaskDefinitionTags: map[string]string{"owner": "team-api"}}
			return st
		},
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.Judgement
			decodeAnswer(t, answer, &got)
			key := judgement.Key(bundle.Hash(smallBundle), rieSubject, judgement.Settings{Mode: contract.ModeAudit})
			judged := eventState(t).Time
			at, _ := time.Parse(time.RFC3339, judged)
			if got.Key != key || got.Report != contract.ReportFull || got.Outcome != contract.OutcomeReport ||
				got.JudgedAt != judged || got.ExpiresAt != at.Add(48*time.Hour).Format(time.RFC3339) {
				t.Errorf("judgement = %+v; want FULL under %s, judged at the event's time for 48 hours", got, key)
			}
			wantCalls(t, calls, "dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:PutItem")
			if len(calls) != 3 {
				return
			}
			item, _ := calls[0].Input["Item"].(map[string]any)
			if calls[0].Input["TableName"] != judgementsTable || fmt.Sprint(item["pk"]) != "map[S:judgement#"+key+"]" ||
				fmt.Sprint(item["status"]) != "map[S:JUDGED]" || fmt.Sprint(item["expiresAt"]) != fmt.Sprintf("map[N:%d]", at.Add(48*time.Hour).Unix()) ||
				strings.Contains(fmt.Sprint(item["evaluation"]), "decision.rego") {
				t.Errorf("the judgement's PutItem = %v", calls[0].Input)
			}
			rev, _ := calls[2].Input["Item"].(map[string]any)
			if fmt.Sprint(rev["pk"]) != "map[S:revision#"+sampleTD+"]" || !strings.Contains(fmt.Sprint(rev["rules"]), "approved_registries") ||
				calls[2].Input["ConditionExpression"] != "attribute_not_exists(#pk)" {
				t.Errorf("the revision's PutItem = %v", calls[2].Input)
			}
		},
	},
	// The first remediated task of a revision opens its incident.
	"count-incident": {
		env:     map[string]string{"JUDGEMENTS_TABLE": judgementsTable},
		payload: func(t testing.TB) any { return remediationState(t) },
		check: func(t testing.TB, answer []byte, calls []awsCall) {
			var got contract.Incident
			decodeAnswer(t, answer, &got)
			id := judgement.IncidentID(sampleTD, bundle.Hash(smallBundle))
			first, err := time.Parse(time.RFC3339, got.FirstAt)
			if got.ID != id || got.Tasks != 1 || !got.First || got.Report != contract.ReportFull || err != nil || time.Since(first) > time.Minute {
				t.Errorf("incident = %+v; want the first task of incident %s, now", got, id)
			}
			wantCalls(t, calls, "dynamodb:UpdateItem")
			if len(calls) == 1 && (calls[0].Input["TableName"] != judgementsTable || fmt.Sprint(calls[0].Input["Key"]) != "map[pk:map[S:incident#"+id+"]]" ||
				!strings.Contains(fmt.Sprint(calls[0].Input["ExpressionAttributeValues"]), sampleTask(t).TaskArn) ||
				calls[0].Input["ReturnValues"] != "ALL_NEW") {
				t.Errorf("UpdateItem = %v", calls[0].Input)
			}
		},
	},
}

// rieSubject is a judgement subject (hex SHA-256) as the lookup gives it.
const rieSubject = "3b094ac9514f33bcf12145c31c55579514adbd18b7d254a65c4c5e9b61647e69"

// claimedTask is sampleTask as "Record task" returns it for the triage's
// first claim of the task.
func claimedTask(t testing.TB) *contract.Task {
	task := sampleTask(t)
	task.Kind, task.TaskID, task.ClaimedBy, task.Attempt = contract.KindTask, "1b2c3d4e5f6a41829304b5c6d7e8f9a0", rieExecutionID, 1
	task.ExecutionName = "1b2c3d4e5f6a41829304b5c6d7e8f9a0-1"
	return task
}

// The approval fixtures: the fake Secrets Manager's secret, and the record
// the fake DynamoDB holds for the sample's task token.
const (
	approvalsTable   = "ecs-compliance-approvals"
	approvalTopicArn = "arn:aws:sns:us-east-1:123456789012:ecs-compliance-approvals"
	rieSecretArn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:approval-abc"
	rieSecret        = "rie-test-signing-key-0123456789abcdef"
	rieCallbackURL   = "https://abc123.lambda-url.us-east-1.on.aws/"
	rieApprovalToken = "AQCEAAAAKgAAAAMAAAAAAAAAAQ==rie"
)

func rieApprovalKey(t testing.TB) approval.Key {
	k, err := approval.NewKey([]byte(rieSecret))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// rieApprovalItem is the approvals table's record of the sample's token,
// as DynamoDB returns it (ALL_NEW after the decision).
func rieApprovalItem(status string) map[string]any {
	k, _ := approval.NewKey([]byte(rieSecret))
	s := func(v string) map[string]string { return map[string]string{"S": v} }
	return map[string]any{
		"reference": s(k.Reference(rieApprovalToken)), "taskToken": s(rieApprovalToken), "status": s(status),
		"taskArn":   s("arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0"),
		"expiresAt": map[string]string{"N": fmt.Sprint(time.Now().Add(time.Hour).Unix())},
		"summary":   s(`{"where":"service prod/api","cluster":"prod","service":"api","findings":[],"actions":["Stop task"]}`),
		"approver":  s("rie-approver@example.com"), "decidedAt": s(time.Now().UTC().Format(time.RFC3339)),
	}
}

func TestLambdasUnderRIE(t *testing.T) {
	rie := os.Getenv("RIE")
	if rie == "" {
		rie = "../.tools/bin/aws-lambda-rie"
	}
	if _, err := os.Stat(rie); err != nil {
		if os.Getenv("RIE_REQUIRED") == "1" {
			t.Fatalf("the Lambda Runtime Interface Emulator is required (RIE_REQUIRED=1) but %s is missing: run `make e2e`, which installs it", rie)
		}
		t.Skipf("no Lambda Runtime Interface Emulator at %s (`make e2e` installs it; RIE=path to use another)", rie)
	}
	rie, _ = filepath.Abs(rie)

	names := lambdaNames(t)
	for _, name := range names {
		if _, ok := rieSamples[name]; !ok {
			t.Errorf("lambdas/%s has a main.go but no rieSample invocation in test/rie_test.go: add one", name)
		}
	}
	bin := buildLambdas(t, "amd64")

	for _, name := range slices.Sorted(maps.Keys(rieSamples)) {
		t.Run(name, func(t *testing.T) {
			if !slices.Contains(names, name) {
				t.Fatalf("rieSamples has %s, which has no lambdas/%s/main.go: remove the sample", name, name)
			}
			s := rieSamples[name]
			aws := newFakeAWS(t)
			answer := invokeUnderRIE(t, rie, filepath.Join(bin, name), aws.URL(), s.env, s.payload(t))
			t.Logf("answer: %.300s", answer)
			s.check(t, answer, aws.Calls())
		})
	}
}

// invokeUnderRIE starts the binary under the emulator, sends one
// invocation, stops the emulator and returns the answer.
func invokeUnderRIE(t *testing.T, rie, binary, endpoint string, env map[string]string, payload any) []byte {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	rieAddr, apiAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, rie,
		"--runtime-interface-emulator-address", rieAddr,
		"--runtime-api-address", apiAddr,
		binary)
	cmd.Env = append(lambdaEnv(filepath.Base(binary), endpoint, env), "AWS_EC2_METADATA_DISABLED=true", "AWS_LAMBDA_FUNCTION_TIMEOUT=30")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start the emulator: %v", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel() // kills the emulator (its runtime child goes with it)
		_ = cmd.Wait()
	}
	t.Cleanup(stop)
	defer func() {
		if t.Failed() {
			t.Logf("emulator and function output:\n%s", logs.String())
		}
	}()

	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", rieAddr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen on %s", rieAddr)
		}
		time.Sleep(50 * time.Millisecond)
	}

	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Post("http://"+rieAddr+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: HTTP %d: %s", resp.StatusCode, answer)
	}
	stop()
	return answer
}

// freeAddr returns a 127.0.0.1 address with a port free at the moment.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// errorType is the errorType of a handler error answer, or "".
func errorType(answer []byte) string {
	var e struct {
		ErrorType string `json:"errorType"`
	}
	_ = json.Unmarshal(answer, &e)
	return e.ErrorType
}

// decode reads a result answer into v; a handler error fails the test.
func decodeAnswer(t testing.TB, answer []byte, v any) {
	t.Helper()
	if name := errorType(answer); name != "" {
		t.Fatalf("the handler failed: %s", answer)
	}
	if err := json.Unmarshal(answer, v); err != nil {
		t.Fatalf("answer %s: %v", answer, err)
	}
}

func apisOf(calls []awsCall) []string {
	apis := make([]string, len(calls))
	for i, c := range calls {
		apis[i] = c.API
	}
	return apis
}

func wantCalls(t testing.TB, calls []awsCall, want ...string) {
	t.Helper()
	if got := apisOf(calls); !slices.Equal(got, want) {
		t.Errorf("AWS calls = %v, want %v", got, want)
	}
}

// ---------------------------------------------------------------- fixtures

// smallBundle is what the fake Parameter Store holds.
var smallBundle = map[string]string{
	"data.json":                    `{"ecs": {"config": {"registries": []}}}`,
	"ecs/compliance/decision.rego": "package ecs.compliance\n\ndecision := {\"compliant\": true, \"violations\": [], \"warnings\": [], \"exempted\": []}\n",
}

func readFixture(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// eventState is the workflow's input: the event of a Docker Hub image in
// service "api" of cluster "prod".
func eventState(t testing.TB) *contract.State {
	var st contract.State
	readFixture(t, "events/dockerhub-service-task.json", &st.Event)
	return &st
}

// sampleTask is what "Record task" makes of that event.
func sampleTask(t testing.TB) *contract.Task {
	var d contract.TaskDetail
	if err := json.Unmarshal(eventState(t).Detail, &d); err != nil {
		t.Fatal(err)
	}
	return &contract.Task{
		TaskArn: d.TaskArn, ClusterArn: d.ClusterArn, Cluster: "prod", TaskDefinitionArn: d.TaskDefinitionArn,
		Family: "api", Revision: 7, Group: d.Group, Service: "api", LaunchType: d.LaunchType, LastStatus: d.LastStatus,
		Account: rieAccount, Region: rieRegion, FirstSeen: "2026-11-27T09:00:00Z", ExpiresAt: 1795338000,
	}
}

// worldTaskDefinition is the api:7 task definition of the demo world.
func worldTaskDefinition(t testing.TB) json.RawMessage {
	var w struct {
		TaskDefinitions []json.RawMessage `json:"taskDefinitions"`
	}
	readFixture(t, "worlds/demo.json", &w)
	for _, td := range w.TaskDefinitions {
		var h struct{ TaskDefinitionArn string }
		_ = json.Unmarshal(td, &h)
		if h.TaskDefinitionArn == "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7" {
			return td
		}
	}
	t.Fatal("no api:7 in test/worlds/demo.json")
	return nil
}

// remediationState is the document as the remediation and report steps get
// it: evaluated in enforce mode, with a deny-level violation.
func remediationState(t testing.TB) *contract.State {
	st := eventState(t)
	st.Task = sampleTask(t)
	st.Described = &contract.Described{TaskDefinition: worldTaskDefinition(t), Tags: map[string]string{"owner": "team-api"}}
	st.Evaluation = &contract.Evaluation{
		Policy: contract.Bundle{Path: policyPath, Hash: bundle.Hash(smallBundle)},
		Decision: &contract.Decision{
			Compliant: false,
			Violations: []contract.Violation{{
				Rule: "approved_registries", Title: "Images come from approved registries", Severity: contract.SeverityHigh,
				Container: "api", Message: `container "api" uses nginx:1.25 from docker.io; allowed: 123456789012.dkr.ecr.us-east-1.amazonaws.com`,
				Controls: []string{"NIST 800-190 4.1.1"}, Remediation: "Push the image to the account's ECR.", Enforcement: "deny",
			}},
			Warnings: []contract.Violation{},
			Exempted: []contract.Violation{},
		},
		Mode:    contract.ModeEnforce,
		Outcome: contract.OutcomeRemediate,
	}
	return st
}

// ---------------------------------------------------------------- fake AWS

// fakeAWS answers, on 127.0.0.1, the calls the steps make: DynamoDB, SSM,
// ECS and Secrets Manager (JSON 1.1, by X-Amz-Target), SNS (query protocol)
// and Security Hub (REST). Anything else is an UnknownOperationException.
type fakeAWS struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []awsCall
}

func newFakeAWS(t testing.TB) *fakeAWS {
	f := &fakeAWS{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAWS) URL() string { return f.srv.URL }

func (f *fakeAWS) Calls() []awsCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeAWS) record(api string, in map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, awsCall{API: api, Input: in})
}

const (
	sampleCluster = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	sampleService = "arn:aws:ecs:us-east-1:123456789012:service/prod/api"
	sampleTD      = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
	// sampleDeployment is the service's deployment that started the task.
	sampleDeployment = "ecs-svc/1234567890123456789"
)

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	target := r.Header.Get("X-Amz-Target")
	jsonAnswer := func(v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(v)
	}
	if target != "" {
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		svc, op, _ := strings.Cut(target, ".")
		prefix := map[string]string{
			"DynamoDB_20120810": "dynamodb", "AmazonSSM": "ssm",
			"AmazonEC2ContainerServiceV20141113": "ecs", "secretsmanager": "secretsmanager", "AWSStepFunctions": "states",
			"AnyScaleFrontendService": "application-autoscaling",
		}[svc]
		f.record(prefix+":"+op, in)
		switch prefix + ":" + op {
		case "dynamodb:PutItem", "dynamodb:DeleteItem":
			jsonAnswer(map[string]any{})
		case "dynamodb:GetItem":
			if in["TableName"] == judgementsTable {
				jsonAnswer(map[string]any{})
				return
			}
			jsonAnswer(map[string]any{"Item": rieApprovalItem("PENDING")})
		case "dynamodb:UpdateItem":
			if in["TableName"] == tableName && in["ReturnValues"] == "ALL_NEW" {
				values, _ := in["ExpressionAttributeValues"].(map[string]any)
				jsonAnswer(map[string]any{"Attributes": map[string]any{
					"taskArn": in["Key"].(map[string]any)["taskArn"], "claimedBy": values[":executionId"],
					"firstSeen": values[":firstSeen"], "expiresAt": values[":expiresAt"], "attempt": map[string]string{"N": "1"}}})
				return
			}
			if in["TableName"] == judgementsTable && in["ReturnValues"] == "ALL_NEW" {
				// A new incident: the update's values, one task.
				values, _ := in["ExpressionAttributeValues"].(map[string]any)
				jsonAnswer(map[string]any{"Attributes": map[string]any{
					"pk": in["Key"].(map[string]any)["pk"], "tasks": map[string]string{"N": "1"},
					"lastTaskArn": values[":task"], "lastAt": values[":now"], "firstAt": values[":now"],
					"taskDefinitionArn": values[":td"], "policyHash": values[":policy"], "expiresAt": values[":exp"]}})
				return
			}
			if in["ReturnValues"] == "ALL_NEW" {
				jsonAnswer(map[string]any{"Attributes": rieApprovalItem("APPROVED")})
				return
			}
			jsonAnswer(map[string]any{})
		case "ssm:GetParametersByPath":
			var params []map[string]any
			for name, value := range smallBundle {
				params = append(params, map[string]any{"Name": bundle.ParameterName(policyPath, name), "Value": value, "Type": "String", "Version": 3})
			}
			jsonAnswer(map[string]any{"Parameters": params})
		case "ecs:DescribeTaskDefinition":
			var td map[string]any
			_ = json.Unmarshal(worldTD, &td)
			jsonAnswer(map[string]any{"taskDefinition": td, "tags": []any{map[string]string{"key": "owner", "value": "team-api"}}})
		case "ecs:ListTagsForResource":
			jsonAnswer(map[string]any{"tags": []any{map[string]string{"key": "tier", "value": "frontend"}}})
		case "ecs:DescribeServices":
			jsonAnswer(map[string]any{"services": []any{fakeService(2)}, "failures": []any{}})
		case "ecs:UpdateService":
			jsonAnswer(map[string]any{"service": fakeService(0)})
		case "ecs:DescribeTasks":
			jsonAnswer(map[string]any{"tasks": []any{fakeTask("RUNNING")}, "failures": []any{}})
		case "ecs:StopTask":
			jsonAnswer(map[string]any{"task": fakeTask("STOPPED")})
		case "ecs:DeregisterTaskDefinition":
			var td map[string]any
			_ = json.Unmarshal(worldTD, &td)
			td["status"] = "INACTIVE"
			jsonAnswer(map[string]any{"taskDefinition": td})
		case "secretsmanager:GetSecretValue":
			jsonAnswer(map[string]any{"ARN": rieSecretArn, "Name": "approval", "SecretString": rieSecret, "VersionId": "v1"})
		case "states:SendTaskSuccess", "states:SendTaskFailure":
			jsonAnswer(map[string]any{})
		case "application-autoscaling:DescribeScalableTargets":
			jsonAnswer(map[string]any{"ScalableTargets": []any{}})
		default:
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"__type": "UnknownOperationException", "message": "fake AWS does not answer " + target})
		}
		return
	}
	if r.URL.Path == "/findings/import" {
		var in struct{ Findings []any }
		var raw map[string]any
		_ = json.Unmarshal(body, &in)
		_ = json.Unmarshal(body, &raw)
		f.record("securityhub:BatchImportFindings", raw)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"FailedCount": 0, "SuccessCount": len(in.Findings), "FailedFindings": []any{}})
		return
	}
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") == "Publish" {
		in := map[string]any{}
		for k := range form {
			in[k] = form.Get(k)
		}
		f.record("sns:Publish", in)
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>msg-1</MessageId></PublishResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></PublishResponse>`)
		return
	}
	f.record("unknown:"+r.Method+" "+r.URL.Path, nil)
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"fake AWS does not answer %s %s"}`, r.Method, r.URL.Path)
}

// worldTD is the api:7 task definition the fake ECS describes, on the wire:
// the world file has timestamps as the CLI prints them (RFC 3339), the ECS
// API sends epoch seconds.
var worldTD = func() json.RawMessage {
	var w struct {
		TaskDefinitions []map[string]any `json:"taskDefinitions"`
	}
	b, err := os.ReadFile("worlds/demo.json")
	if err == nil {
		_ = json.Unmarshal(b, &w)
	}
	for _, td := range w.TaskDefinitions {
		if td["taskDefinitionArn"] != sampleTD {
			continue
		}
		for _, k := range []string{"registeredAt", "deregisteredAt"} {
			if s, ok := td[k].(string); ok {
				if ts, err := time.Parse(time.RFC3339, s); err == nil {
					td[k] = float64(ts.UnixMilli()) / 1000
				}
			}
		}
		out, _ := json.Marshal(td)
		return out
	}
	return json.RawMessage(`{}`)
}()

func fakeService(desired int) map[string]any {
	return map[string]any{
		"serviceArn": sampleService, "serviceName": "api", "clusterArn": sampleCluster, "status": "ACTIVE",
		"desiredCount": desired, "runningCount": 2, "pendingCount": 0, "taskDefinition": sampleTD,
		"deployments": []any{map[string]any{"id": sampleDeployment, "status": "PRIMARY", "taskDefinition": sampleTD,
			"desiredCount": desired, "runningCount": 2}},
	}
}

func fakeTask(desired string) map[string]any {
	return map[string]any{
		"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0", "clusterArn": sampleCluster,
		"taskDefinitionArn": sampleTD, "group": "service:api", "lastStatus": "RUNNING", "desiredStatus": desired,
		"startedBy": sampleDeployment,
	}
}
