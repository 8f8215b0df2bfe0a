package step

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// AWSError names an error returned by an AWS call so that the state machine
// retries what is transient (throttling, server errors, timeouts) and sends
// the rest to the failure report. op describes the call ("UpdateService
// cluster/web"); it leads the message.
func AWSError(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Name: awsErrorName(err), Err: fmt.Errorf("%s: %w", op, err)}
}

func awsErrorName(err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return contract.ErrTransient
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.ErrorCode()
		switch {
		case code == "Throttled", code == "KMSThrottling": // SNS's names for throttling
			return contract.ErrTransient
		case strings.Contains(code, "AccessDenied"), code == "UnauthorizedOperation",
			code == "UnrecognizedClientException", code == "InvalidClientTokenId",
			code == "ExpiredTokenException", code == "AuthorizationError", // SNS
			code == "InvalidAccessException": // Security Hub not enabled in the account/region
			return contract.ErrAccessDenied
		case strings.Contains(code, "NotFound"), code == "ParameterNotFound":
			return contract.ErrNotFound
		}
		if apiErr.ErrorFault() == smithy.FaultServer {
			return contract.ErrTransient
		}
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary ||
		retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return contract.ErrTransient
	}
	if apiErr != nil {
		code := apiErr.ErrorCode()
		if strings.Contains(code, "Validation") || strings.Contains(code, "InvalidParameter") ||
			strings.HasPrefix(code, "Invalid") {
			return contract.ErrInvalidInput
		}
	}
	return contract.ErrFailed
}

// ErrorCode is the AWS error code of err ("ServiceNotFoundException"), or "".
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}
