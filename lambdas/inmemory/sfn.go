package inmemory

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/ecs-compliance/ecs-compliance/statemachine/asl"
)

const serviceSFN = "SFN"

// TaskCallbacks is where the account's Step Functions callback calls go: the
// interpreter's *asl.Callbacks of the running execution.
type TaskCallbacks interface {
	SendTaskSuccess(token string, output json.RawMessage) error
	SendTaskFailure(token, errorName, cause string) error
}

// SetTaskCallbacks connects the account's Step Functions API to the
// callbacks of an execution (nil disconnects it: every token is then
// unknown).
func (a *Account) SetTaskCallbacks(cb TaskCallbacks) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.taskCallbacks = cb
}

// TaskAnswer is one SendTaskSuccess or SendTaskFailure the account accepted.
type TaskAnswer struct {
	API   string `json:"api"` // SendTaskSuccess or SendTaskFailure
	Token string `json:"token"`
	// Output (success) or Error and Cause (failure).
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// TaskAnswers are the callbacks delivered, in order.
func (a *Account) TaskAnswers() []TaskAnswer {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]TaskAnswer{}, a.taskAnswers...)
}

// SendTaskSuccess completes the token's waiting task with Output, as Step
// Functions does: TaskDoesNotExist for a token no task was given,
// TaskTimedOut for a task already answered or timed out, InvalidOutput for
// output that is not JSON.
func (a *Account) SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, _ ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error) {
	const op = "SendTaskSuccess"
	if in == nil || in.TaskToken == nil || in.Output == nil {
		return nil, paramsError(serviceSFN, op, "SendTaskSuccessInput", "TaskToken", "Output")
	}
	cb, err := a.beginCallback(ctx, op, *in.TaskToken)
	if err != nil {
		return nil, err
	}
	if err := cb.SendTaskSuccess(*in.TaskToken, json.RawMessage(*in.Output)); err != nil {
		return nil, opError(serviceSFN, op, callbackError(err))
	}
	a.answered(TaskAnswer{API: op, Token: *in.TaskToken, Output: *in.Output})
	return &sfn.SendTaskSuccessOutput{}, nil
}

// SendTaskFailure fails the token's waiting task with Error and Cause, with
// SendTaskSuccess's errors.
func (a *Account) SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, _ ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error) {
	const op = "SendTaskFailure"
	if in == nil || in.TaskToken == nil {
		return nil, paramsError(serviceSFN, op, "SendTaskFailureInput", "TaskToken")
	}
	cb, err := a.beginCallback(ctx, op, *in.TaskToken)
	if err != nil {
		return nil, err
	}
	if err := cb.SendTaskFailure(*in.TaskToken, aws.ToString(in.Error), aws.ToString(in.Cause)); err != nil {
		return nil, opError(serviceSFN, op, callbackError(err))
	}
	a.answered(TaskAnswer{API: op, Token: *in.TaskToken, Error: aws.ToString(in.Error), Cause: aws.ToString(in.Cause)})
	return &sfn.SendTaskFailureOutput{}, nil
}

// beginCallback starts a callback call; the callbacks are used outside the
// account's lock (they take their own).
func (a *Account) beginCallback(ctx context.Context, op, token string) (TaskCallbacks, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.begin(ctx, serviceSFN, op, token); err != nil {
		return nil, err
	}
	if a.taskCallbacks == nil {
		return nil, opError(serviceSFN, op, &types.TaskDoesNotExist{Message: aws.String("no execution is waiting for a task token")})
	}
	return a.taskCallbacks, nil
}

func (a *Account) answered(t TaskAnswer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.taskAnswers = append(a.taskAnswers, t)
}

// callbackError is the Step Functions error for an interpreter's answer.
func callbackError(err error) error {
	msg := aws.String(err.Error())
	switch {
	case errors.Is(err, asl.ErrTaskTimedOut):
		return &types.TaskTimedOut{Message: msg}
	case errors.Is(err, asl.ErrTaskDoesNotExist):
		return &types.TaskDoesNotExist{Message: msg}
	case errors.Is(err, asl.ErrInvalidToken):
		return &types.InvalidToken{Message: msg}
	case errors.Is(err, asl.ErrInvalidOutput):
		return &types.InvalidOutput{Message: msg}
	}
	return err
}
