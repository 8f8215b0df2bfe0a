package inmemory_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

func TestSecretsManager(t *testing.T) {
	a := inmemory.New(inmemory.World{})
	arn := a.PutSecret("ecs-compliance/approval", "first-value")
	if !strings.HasPrefix(arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:ecs-compliance/approval-") {
		t.Fatalf("ARN = %s", arn)
	}
	ctx := context.Background()
	for _, id := range []string{"ecs-compliance/approval", arn} {
		out, err := a.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil || aws.ToString(out.SecretString) != "first-value" || aws.ToString(out.ARN) != arn {
			t.Fatalf("GetSecretValue(%s) = %+v, %v", id, out, err)
		}
	}
	if again := a.PutSecret("ecs-compliance/approval", "second-value"); again != arn {
		t.Errorf("a new version changed the ARN: %s", again)
	}
	out, _ := a.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if aws.ToString(out.SecretString) != "second-value" {
		t.Errorf("current version = %q", aws.ToString(out.SecretString))
	}
	_, err := a.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
	var nf *smtypes.ResourceNotFoundException
	if !errors.As(err, &nf) || step.Name(step.AWSError("GetSecretValue", err)) != contract.ErrNotFound {
		t.Errorf("unknown secret: %v", err)
	}
	a.ThrottleFirst(1)
	if _, err := a.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)}); step.Name(step.AWSError("x", err)) != contract.ErrTransient {
		t.Errorf("throttled: %v", err)
	}
	if _, err := a.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)}); err != nil {
		t.Errorf("after the throttled try: %v", err)
	}
}

// The in-memory Step Functions API answers the interpreter's tokens.
func TestStepFunctionsCallbacksReachTheExecution(t *testing.T) {
	def, err := asl.Parse([]byte(`{"StartAt": "Wait", "States": {"Wait": {"Type": "Task",
		"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "Parameters": {"FunctionName": "f", "Payload": {"t.$": "$$.Task.Token"}},
		"TimeoutSeconds": 60, "End": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name   string
		answer func(a *inmemory.Account, token string) error
		status string
		want   string // the output, or the error name
	}{
		{"SendTaskSuccess completes the task with its output", func(a *inmemory.Account, token string) error {
			_, err := a.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"decision":"APPROVED"}`)})
			return err
		}, "SUCCEEDED", `{"decision":"APPROVED"}`},
		{"SendTaskFailure fails it with its error", func(a *inmemory.Account, token string) error {
			_, err := a.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String(contract.ErrApprovalRejected), Cause: aws.String("{}")})
			return err
		}, "FAILED", contract.ErrApprovalRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := inmemory.New(inmemory.World{})
			cb := asl.NewCallbacks()
			a.SetTaskCallbacks(cb)
			var token string
			res, err := asl.Run(ctx, def, []byte(`{}`), asl.Options{Callbacks: cb, Task: func(_ context.Context, call asl.TaskCall) (json.RawMessage, error) {
				token = call.Token
				return json.RawMessage(`{}`), tt.answer(a, call.Token)
			}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status || (res.Status == "SUCCEEDED" && string(res.Output) != tt.want) || (res.Status == "FAILED" && res.Error != tt.want) {
				t.Fatalf("result = %+v", res)
			}
			// The token is closed: a second answer is TaskTimedOut.
			_, err = a.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
			var to *sfntypes.TaskTimedOut
			if !errors.As(err, &to) || step.ErrorCode(err) != "TaskTimedOut" {
				t.Errorf("second answer: %v", err)
			}
			if n := len(a.TaskAnswers()); n != 1 {
				t.Errorf("%d answers recorded", n)
			}
		})
	}
}

func TestStepFunctionsErrors(t *testing.T) {
	ctx := context.Background()
	a := inmemory.New(inmemory.World{})
	_, err := a.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("t"), Output: aws.String(`{}`)})
	if step.ErrorCode(err) != "TaskDoesNotExist" {
		t.Errorf("no execution: %v", err)
	}
	a.SetTaskCallbacks(asl.NewCallbacks())
	_, err = a.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String("never-issued")})
	if step.ErrorCode(err) != "TaskDoesNotExist" {
		t.Errorf("unknown token: %v", err)
	}
	_, err = a.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("")})
	if err == nil {
		t.Error("a call without output was accepted")
	}
	if a.Calls()["SFN.SendTaskSuccess"] != 1 || a.Calls()["SFN.SendTaskFailure"] != 1 {
		t.Errorf("calls = %v", a.Calls())
	}
}

func TestApprovalsStoreIsThrottledLikeTheTable(t *testing.T) {
	a := inmemory.New(inmemory.World{})
	s := a.Approvals()
	ctx := context.Background()
	ref := strings.Repeat("A", 20)
	rec := approval.Record{Reference: ref, TaskToken: "tok", CreatedAt: clock, ExpiresAt: clock.Add(time.Hour)}
	a.ThrottleFirst(1)
	if _, err := s.Put(ctx, rec); step.Name(err) != contract.ErrTransient || !strings.Contains(err.Error(), "PutItem "+inmemory.ApprovalsTable) {
		t.Fatalf("first put: %v", err)
	}
	if _, err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	d := approval.Decision{Status: approval.StatusApproved, Approver: "ann", At: clock}
	if _, err := s.Decide(ctx, ref, d); step.Name(err) != contract.ErrTransient {
		t.Fatalf("first decide: %v", err)
	}
	// Reopen is another call than Decide, although both are UpdateItem.
	if err := s.Reopen(ctx, ref, d); step.Name(err) != contract.ErrTransient {
		t.Fatalf("first reopen: %v", err)
	}
	if _, err := s.Decide(ctx, ref, d); err != nil {
		t.Fatal(err)
	}
	if r, ok := a.Approval(ref); !ok || r.Status != approval.StatusApproved || len(a.ApprovalRecords()) != 1 {
		t.Fatalf("record = %+v", r)
	}
	if c := a.Calls(); c["DynamoDB.PutItem"] != 2 || c["DynamoDB.UpdateItem"] != 3 {
		t.Errorf("calls = %v", c)
	}
}
