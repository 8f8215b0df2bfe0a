// Package ecstest is the test plumbing the remediation steps share: an
// httptest server that speaks ECS's JSON 1.1 protocol to the real
// aws-sdk-go-v2 client, a small stateful fake of the ECS API behind the
// steps' narrow interfaces, and workflow-state fixtures.
//
// It is imported by tests only (lambdas/internal keeps it inside the module's
// lambdas tree), so no Lambda binary links it.
package ecstest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// TargetPrefix is the X-Amz-Target prefix of ECS's operations.
const TargetPrefix = "AmazonEC2ContainerServiceV20141113."

// AutoScalingTargetPrefix is the X-Amz-Target prefix of Application Auto
// Scaling's operations (the same JSON 1.1 protocol).
const AutoScalingTargetPrefix = "AnyScaleFrontendService."

// Reply is one scripted HTTP answer.
type Reply struct {
	Status int
	Body   string
}

// OK is a 200 answer with a JSON body (as ECS sends it).
func OK(body string) Reply { return Reply{Status: http.StatusOK, Body: body} }

// Error is ECS's error answer: the error code in __type, as ECS sends it.
func Error(status int, code, message string) Reply {
	b, _ := json.Marshal(map[string]string{"__type": code, "message": message}) // strings always marshal
	return Reply{Status: status, Body: string(b)}
}

// The error answers ECS gives most often, with its real codes and messages.
var (
	Throttling   = Error(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
	AccessDenied = Error(http.StatusBadRequest, "AccessDeniedException",
		"User: arn:aws:sts::123456789012:assumed-role/ecs-compliance-remediate/fn is not authorized to perform this action")
	ServerError     = Error(http.StatusInternalServerError, "ServerException", "Service Unavailable. Please try again later.")
	ServiceNotFound = Error(http.StatusBadRequest, "ServiceNotFoundException", "Service not found.")
	ServiceInactive = Error(http.StatusBadRequest, "ServiceNotActiveException", "Service was not ACTIVE.")
	ClusterNotFound = Error(http.StatusBadRequest, "ClusterNotFoundException", "Cluster not found.")
	TaskNotFound    = Error(http.StatusBadRequest, "InvalidParameterException", "The referenced task was not found.")
	// TaskDefinitionNotFound is how ECS answers DescribeTaskDefinition for a
	// revision it does not know.
	TaskDefinitionNotFound = Error(http.StatusBadRequest, "ClientException", "Unable to describe task definition.")
)

// Request is one request the server received.
type Request struct {
	Op     string // the operation, from X-Amz-Target
	Header http.Header
	Body   []byte
}

// Server is an ECS (and Application Auto Scaling) endpoint on 127.0.0.1
// that answers each operation with the replies scripted for it, in order,
// and records every request. A request with no reply left fails the test.
type Server struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	replies  map[string][]Reply
	requests []Request
}

// NewServer starts a server; the test's cleanup closes it.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, replies: map[string][]Reply{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// On scripts the answers to the next calls of op, one per call.
func (s *Server) On(op string, replies ...Reply) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies[op] = append(s.replies[op], replies...)
	return s
}

// Client is the real ECS client, pointed at the server, without retries (a
// retryable error comes back at once, for the step to classify).
func (s *Server) Client() *ecs.Client {
	return ecs.New(ecs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
}

// AutoScalingClient is the real Application Auto Scaling client, pointed at
// the server, without retries.
func (s *Server) AutoScalingClient() *applicationautoscaling.Client {
	return applicationautoscaling.New(applicationautoscaling.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
}

// Requests are the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Ops are the operations called so far, in order.
func (s *Server) Ops() []string {
	var ops []string
	for _, r := range s.Requests() {
		ops = append(ops, r.Op)
	}
	return ops
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("read request body: %v", err)
	}
	target := r.Header.Get("X-Amz-Target")
	op, known := strings.CutPrefix(target, TargetPrefix)
	if !known {
		op, known = strings.CutPrefix(target, AutoScalingTargetPrefix)
	}
	// What every ECS (and Application Auto Scaling) request looks like on the wire.
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		s.t.Errorf("%s: request %s %s, want POST /", op, r.Method, r.URL.Path)
	case !known:
		s.t.Errorf("X-Amz-Target %q lacks the prefix %q or %q", target, TargetPrefix, AutoScalingTargetPrefix)
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		s.t.Errorf("%s: Content-Type %q, want application/x-amz-json-1.1", op, r.Header.Get("Content-Type"))
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKID/"):
		s.t.Errorf("%s: request not signed with SigV4: Authorization %q", op, r.Header.Get("Authorization"))
	case !json.Valid(body):
		s.t.Errorf("%s: request body is not JSON: %s", op, body)
	}

	s.mu.Lock()
	s.requests = append(s.requests, Request{Op: op, Header: r.Header.Clone(), Body: body})
	queue := s.replies[op]
	var reply Reply
	ok := len(queue) > 0
	if ok {
		reply, s.replies[op] = queue[0], queue[1:]
	}
	s.mu.Unlock()
	if !ok {
		s.t.Errorf("unexpected call %s %s", op, body)
		reply = Error(http.StatusBadRequest, "UnknownOperationException", "no reply scripted for "+op)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "11111111-2222-4333-8444-555555555555")
	w.WriteHeader(reply.Status)
	_, _ = w.Write([]byte(reply.Body))
}

// AssertBody fails the test unless the request's JSON body equals want (a
// JSON document; key order and spacing do not matter).
func AssertBody(t testing.TB, r Request, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("%s: request body %s: %v", r.Op, r.Body, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad expected body %s: %v", want, err)
	}
	if !reflect.DeepEqual(got, exp) {
		var pretty bytes.Buffer
		_ = json.Indent(&pretty, r.Body, "", "  ")
		t.Errorf("%s request body:\n%s\nwant %s", r.Op, pretty.String(), want)
	}
}

// Testdata is the content of testdata/name (a recorded ECS answer).
func Testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
