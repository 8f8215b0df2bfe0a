package awsraw_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
)

// A DescribeTaskDefinition answer in the ECS API's JSON shape, with a field
// the SDK does not model ("futureField") and odd spacing: the raw body must
// come back byte for byte.
const describeBody = `{"taskDefinition": {"taskDefinitionArn":"arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
 "family":"api","revision":7,"status":"ACTIVE","registeredAt":1.7638272E9,
 "containerDefinitions":[{"name":"api","image":"nginx:1.25","privileged":true,"futureField":{"x":1}}]},
 "tags":[{"key":"owner","value":"team-api"}]}`

func newServer(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the request before answering, as AWS does: answering first
		// races the client's request writer.
		_, _ = io.Copy(io.Discard, r.Body)
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition" {
			http.Error(w, "unexpected target "+got, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newClient retries as the SDK's default retryer does, without waiting. A
// retry matters here: on a loaded machine the SDK can lose a large response
// to a closed connection (it closes the request body as soon as the headers
// arrive, which can make net/http's writer close the connection; see
// aws/aws-sdk-go-v2#2737), and its retryer retries net.ErrClosed.
func newClient(srv *httptest.Server, apiOptions ...func(*middleware.Stack) error) *ecs.Client {
	return ecs.New(ecs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:      fastRetryer(3),
		APIOptions:   apiOptions,
	})
}

func fastRetryer(attempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

func describe(t *testing.T, c *ecs.Client) (*ecs.DescribeTaskDefinitionOutput, error) {
	t.Helper()
	return c.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"),
		Include:        []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
}

func TestCaptureThroughRealClient(t *testing.T) {
	large := strings.Replace(describeBody, `"futureField":{"x":1}`,
		`"futureField":"`+strings.Repeat("x", 200_000)+`"`, 1)
	cases := []struct {
		name       string
		body       string
		apiOptions []func(*middleware.Stack) error
		wantBody   bool
	}{
		{"keeps the body byte for byte and still fills the typed output", describeBody, []func(*middleware.Stack) error{awsraw.Capture}, true},
		{"adding Capture twice keeps one copy and works", describeBody, []func(*middleware.Stack) error{awsraw.Capture, awsraw.Capture}, true},
		{"keeps a body larger than the SDK's read buffer", large, []func(*middleware.Stack) error{awsraw.Capture}, true},
		{"without Capture there is no body", describeBody, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := describe(t, newClient(newServer(t, 200, tc.body), tc.apiOptions...))
			if err != nil {
				t.Fatalf("DescribeTaskDefinition: %v", err)
			}
			got := awsraw.Body(out.ResultMetadata)
			if tc.wantBody && !bytes.Equal(got, []byte(tc.body)) {
				t.Fatalf("body = %.200q\nwant %.200q", got, tc.body)
			}
			if !tc.wantBody && got != nil {
				t.Fatalf("body = %q, want none", got)
			}
			td := out.TaskDefinition
			if td == nil || aws.ToString(td.Family) != "api" || td.Revision != 7 || len(td.ContainerDefinitions) != 1 ||
				!aws.ToBool(td.ContainerDefinitions[0].Privileged) {
				t.Fatalf("typed output not filled: %+v", td)
			}
			if len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "owner" {
				t.Fatalf("tags = %+v", out.Tags)
			}
		})
	}
}

func TestCaptureLeavesErrorsIntact(t *testing.T) {
	body := `{"__type":"ClientException","message":"Unable to describe task definition."}`
	_, err := describe(t, newClient(newServer(t, 400, body), awsraw.Capture))
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ClientException" ||
		apiErr.ErrorMessage() != "Unable to describe task definition." {
		t.Fatalf("err = %v, want ClientException with its message", err)
	}
}

func TestBodyAndWithBody(t *testing.T) {
	cases := []struct {
		name string
		set  []byte
		want []byte
	}{
		{"an empty metadata has no body", nil, nil},
		{"WithBody stores what Body returns", []byte(`{"a":1}`), []byte(`{"a":1}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var md middleware.Metadata
			if tc.set != nil {
				awsraw.WithBody(&md, tc.set)
			}
			if got := awsraw.Body(md); !bytes.Equal(got, tc.want) {
				t.Fatalf("Body = %q, want %q", got, tc.want)
			}
		})
	}
	awsraw.WithBody(nil, []byte("x")) // must not panic
}

func TestCaptureOnABareStack(t *testing.T) {
	cases := []struct {
		name  string
		stack *middleware.Stack
		err   bool
	}{
		{"nil stack is an error, not a panic", nil, true},
		{"a stack without an operation deserializer still gets the middleware", middleware.NewStack("op", func() interface{} { return nil }), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := awsraw.Capture(tc.stack)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if tc.stack != nil {
				if _, ok := tc.stack.Deserialize.Get(awsraw.ID); !ok {
					t.Fatalf("middleware not added")
				}
			}
		})
	}
}

// TestCaptureKeepsTheLastAttemptsBody: after a throttled first attempt the
// SDK retries; the body kept is the successful answer's.
func TestCaptureKeepsTheLastAttemptsBody(t *testing.T) {
	attempts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		attempts++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if attempts == 1 {
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
			return
		}
		_, _ = w.Write([]byte(describeBody))
	}))
	defer srv.Close()
	client := ecs.New(ecs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:      fastRetryer(2),
		APIOptions:   []func(*middleware.Stack) error{awsraw.Capture},
	})
	out, err := describe(t, client)
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || !bytes.Equal(awsraw.Body(out.ResultMetadata), []byte(describeBody)) {
		t.Fatalf("%d attempts, body %.80q", attempts, awsraw.Body(out.ResultMetadata))
	}
}

// failingBody returns some bytes, then the error a closed connection gives.
type failingBody struct{ r io.Reader }

func (b *failingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	}
	return n, err
}
func (b *failingBody) Close() error { return nil }

// TestReadErrorStaysRetryable: when the body cannot be read, the error
// Capture returns keeps the cause, so the SDK's retryer still retries a
// closed connection, and the deserializer gets the bytes that were read.
func TestReadErrorStaysRetryable(t *testing.T) {
	stack := middleware.NewStack("op", func() interface{} { return nil })
	if err := awsraw.Capture(stack); err != nil {
		t.Fatal(err)
	}
	var seen []byte
	stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("reader", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
		middleware.DeserializeOutput, middleware.Metadata, error,
	) {
		out, md, err := next.HandleDeserialize(ctx, in)
		seen, _ = io.ReadAll(out.RawResponse.(*smithyhttp.Response).Body)
		return out, md, err
	}), middleware.Before)
	transport := middleware.HandlerFunc(func(ctx context.Context, in interface{}) (interface{}, middleware.Metadata, error) {
		resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: &failingBody{strings.NewReader(`{"taskDe`)}}
		return &smithyhttp.Response{Response: resp}, middleware.Metadata{}, nil
	})
	_, _, err := middleware.DecorateHandler(transport, stack).Handle(context.Background(), nil)
	if !errors.Is(err, net.ErrClosed) || retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary {
		t.Fatalf("err = %v, want a retryable closed-connection error", err)
	}
	if string(seen) != `{"taskDe` {
		t.Fatalf("the deserializer saw %q", seen)
	}
}
