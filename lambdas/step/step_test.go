package step

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

func apiErr(code string, fault smithy.ErrorFault) error {
	return &smithy.GenericAPIError{Code: code, Message: "m", Fault: fault}
}

func TestAWSErrorNamesWhatTheStateMachineRetries(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"ECS throttling", apiErr("ThrottlingException", smithy.FaultClient), contract.ErrTransient},
		{"SNS throttling", apiErr("Throttled", smithy.FaultClient), contract.ErrTransient},
		{"KMS throttling behind SNS", apiErr("KMSThrottling", smithy.FaultClient), contract.ErrTransient},
		{"DynamoDB throughput", apiErr("ProvisionedThroughputExceededException", smithy.FaultClient), contract.ErrTransient},
		{"server error", apiErr("ServerException", smithy.FaultServer), contract.ErrTransient},
		{"deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), contract.ErrTransient},
		{"access denied", apiErr("AccessDeniedException", smithy.FaultClient), contract.ErrAccessDenied},
		{"SNS authorization", apiErr("AuthorizationError", smithy.FaultClient), contract.ErrAccessDenied},
		{"Security Hub not enabled", apiErr("InvalidAccessException", smithy.FaultClient), contract.ErrAccessDenied},
		{"service not found", apiErr("ServiceNotFoundException", smithy.FaultClient), contract.ErrNotFound},
		{"SSM parameter not found", apiErr("ParameterNotFound", smithy.FaultClient), contract.ErrNotFound},
		{"validation", apiErr("ValidationException", smithy.FaultClient), contract.ErrInvalidInput},
		{"invalid parameter", apiErr("InvalidParameterException", smithy.FaultClient), contract.ErrInvalidInput},
		{"client exception", apiErr("ClientException", smithy.FaultClient), contract.ErrFailed},
		{"plain error", errors.New("boom"), contract.ErrFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := AWSError("Op target", tc.err)
			if got := Name(err); got != tc.want {
				t.Fatalf("Name = %s, want %s", got, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "Op target: ") {
				t.Fatalf("message %q does not lead with the operation", err.Error())
			}
			if !errors.Is(err, tc.err) {
				t.Fatal("the AWS error is not wrapped")
			}
		})
	}
	if AWSError("op", nil) != nil {
		t.Fatal("AWSError(nil) is not nil")
	}
}

func TestNameOfWrappedAndForeignErrors(t *testing.T) {
	named := Errorf(contract.ErrPolicy, "bad %s", "bundle")
	if got := Name(fmt.Errorf("outer: %w", named)); got != contract.ErrPolicy {
		t.Fatalf("Name through wrapping = %s", got)
	}
	if got := Name(messages.InvokeResponse_Error{Type: "Custom.Error"}); got != "Custom.Error" {
		t.Fatalf("Name of an invoke error = %s", got)
	}
	if got := Name(errors.New("x")); got != contract.ErrFailed {
		t.Fatalf("Name of a plain error = %s", got)
	}
	if Wrap(contract.ErrFailed, nil) != nil {
		t.Fatal("Wrap(nil) is not nil")
	}
}

func TestInvokeRoundTripsJSONAndNamesDecodeErrors(t *testing.T) {
	h := Handler[contract.Task, contract.ActionResult](func(_ context.Context, in contract.Task) (contract.ActionResult, error) {
		if in.TaskArn == "" {
			return contract.ActionResult{}, Errorf(contract.ErrInvalidInput, "no task ARN")
		}
		return contract.ActionResult{API: contract.APIStopTask, Target: in.TaskArn, Changed: true}, nil
	})
	out, err := Invoke(context.Background(), h, []byte(`{"taskArn":"arn:t"}`))
	if err != nil || string(out) != `{"api":"StopTask","target":"arn:t","changed":true}` {
		t.Fatalf("Invoke = %s, %v", out, err)
	}
	if _, err := Invoke(context.Background(), h, []byte(`{"taskArn":`)); Name(err) != contract.ErrInvalidInput {
		t.Fatalf("bad JSON: Name = %s (%v)", Name(err), err)
	}
	if _, err := Invoke(context.Background(), h, []byte(`{}`)); Name(err) != contract.ErrInvalidInput {
		t.Fatalf("handler error: Name = %s", Name(err))
	}
}
