// Package awsraw keeps the raw HTTP response body of an AWS call in the
// output's ResultMetadata, so that a step can hand on an API response in the
// service's own JSON shape (the describe step gives OPA the taskDefinition
// object exactly as ECS sent it, fields the SDK does not model included).
//
//	ecs.NewFromConfig(cfg, func(o *ecs.Options) {
//		o.APIOptions = append(o.APIOptions, awsraw.Capture)
//	})
//	out, err := client.DescribeTaskDefinition(ctx, in)
//	body := awsraw.Body(out.ResultMetadata)
//
// Capture adds a Deserialize-step middleware placed inside the operation
// deserializer: it runs on the raw response before the SDK reads it, copies
// the body and puts back an identical reader, so the typed output is filled
// as usual.
package awsraw

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ID is the middleware's ID in the stack.
const ID = "awsraw.Capture"

// operationDeserializer is the ID the SDK gives every operation's response
// deserializer.
const operationDeserializer = "OperationDeserializer"

type bodyKey struct{}

// Capture is an APIOptions entry (func(*middleware.Stack) error) that keeps
// the raw response body of every call made with it. Adding it twice is
// harmless.
func Capture(stack *middleware.Stack) error {
	if stack == nil {
		return fmt.Errorf("awsraw: nil middleware stack")
	}
	if _, ok := stack.Deserialize.Get(ID); ok {
		return nil
	}
	if _, ok := stack.Deserialize.Get(operationDeserializer); ok {
		// After the deserializer in the list = inside it: on the way back
		// from the transport this middleware runs first.
		return stack.Deserialize.Insert(captureMiddleware{}, operationDeserializer, middleware.After)
	}
	return stack.Deserialize.Add(captureMiddleware{}, middleware.After)
}

// Body is the raw response body Capture kept, or nil when there is none
// (the client was built without Capture, or a fake did not set it).
func Body(md middleware.Metadata) []byte {
	b, _ := md.Get(bodyKey{}).([]byte)
	return b
}

// WithBody stores body as the raw response body in md, as Capture does. Test
// doubles and the in-memory account use it to answer like the real client.
func WithBody(md *middleware.Metadata, body []byte) {
	if md == nil {
		return
	}
	md.Set(bodyKey{}, body)
}

type captureMiddleware struct{}

func (captureMiddleware) ID() string { return ID }

func (captureMiddleware) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok || resp == nil || resp.Body == nil {
		return out, md, err
	}
	body, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	// Whatever was read goes back, so the deserializer sees the same bytes
	// (and reports a truncated body itself).
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if readErr != nil {
		if err == nil {
			err = fmt.Errorf("awsraw: read response body: %w", readErr)
		}
		return out, md, err
	}
	WithBody(&md, body)
	return out, md, err
}
