// Package step is the glue every Lambda shares: JSON logging, typed handlers,
// and the error names the state machine's Retry and Catch match on.
package step

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// Handler is a step: it reads the workflow document (or its own input type)
// and returns its result.
type Handler[In, Out any] func(ctx context.Context, in In) (Out, error)

// Error is an error with a name the state machine matches on (ErrorEquals).
type Error struct {
	Name string
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a named error.
func Errorf(name, format string, args ...any) error {
	return &Error{Name: name, Err: fmt.Errorf(format, args...)}
}

// Wrap names err; a nil err stays nil.
func Wrap(name string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Name: name, Err: err}
}

// Name is the error name the state machine sees for err: the Name of the
// first *Error in its chain, or the Go type name as the Lambda runtime would
// report it.
func Name(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Name
	}
	var ive messages.InvokeResponse_Error
	if errors.As(err, &ive) {
		return ive.Type
	}
	return contract.ErrFailed
}

// Logger returns the JSON logger every Lambda uses (Lambda's JSON log format
// takes its level from AWS_LAMBDA_LOG_LEVEL).
func Logger() *slog.Logger {
	level := slog.LevelInfo
	_ = level.UnmarshalText([]byte(os.Getenv("AWS_LAMBDA_LOG_LEVEL")))
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level}))
}

// Start runs h as the Lambda's handler: errors reach Step Functions with their
// step error name as the errorType.
func Start[In, Out any](h Handler[In, Out]) {
	slog.SetDefault(Logger())
	lambda.Start(func(ctx context.Context, in In) (Out, error) {
		out, err := h(ctx, in)
		if err != nil {
			slog.ErrorContext(ctx, "step failed", "error", Name(err), "cause", err.Error())
			return out, messages.InvokeResponse_Error{Type: Name(err), Message: err.Error()}
		}
		return out, nil
	})
}

// Env returns the environment variable key, or an error naming it when unset.
func Env(key string) (string, error) {
	v := os.Getenv(key)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set", key)
	}
	return v, nil
}

// Invoke runs h on a JSON payload and returns its JSON result, as the Lambda
// runtime would: the local executor and the end-to-end tests call steps
// through it so that the payload contract is exercised byte for byte.
func Invoke[In, Out any](ctx context.Context, h Handler[In, Out], payload []byte) ([]byte, error) {
	var in In
	if err := json.Unmarshal(payload, &in); err != nil {
		return nil, &Error{Name: contract.ErrInvalidInput, Err: fmt.Errorf("decode input: %w", err)}
	}
	out, err := h(ctx, in)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode output: %w", err)
	}
	return b, nil
}

// ErrorName makes *Error satisfy the local executor's named-error interface.
func (e *Error) ErrorName() string { return e.Name }
