package describetaskdef_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/ecs-compliance/ecs-compliance/lambdas/awsraw"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/describetaskdef"
)

const (
	tdArn      = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
	serviceArn = "arn:aws:ecs:us-east-1:123456789012:service/prod/api"
	// rawTD is a task definition in the ECS API's JSON shape with a field the
	// SDK does not model: it must reach the policy unchanged.
	rawTD = `{"taskDefinitionArn":"arn:aws:ecs:us-east-1:123456789012:task-definition/api:7","family":"api","revision":7,"status":"ACTIVE","registeredAt":1763827200.0,"containerDefinitions":[{"name":"api","image":"nginx:1.25","privileged":true,"user":"0","notYetModelled":{"a":[1,2]}}]}`
)

func serviceTask() *contract.Task {
	return &contract.Task{
		TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/abc", Cluster: "prod", Service: "api",
		TaskDefinitionArn: tdArn, Family: "api", Revision: 7, Account: "123456789012", Region: "us-east-1",
	}
}

func standaloneTask() *contract.Task {
	t := serviceTask()
	t.Service = ""
	return t
}

func apiErr(code, msg string) error {
	return &smithy.OperationError{ServiceID: "ECS", OperationName: "op", Err: &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}}
}

// fakeECS answers from fixed values and records the calls.
type fakeECS struct {
	body      []byte // raw DescribeTaskDefinition body; nil = not captured
	tdTags    map[string]string
	svcTags   map[string]string
	tdErr     error
	tagsErr   error
	describes []ecs.DescribeTaskDefinitionInput
	tagCalls  []string
}

func tagList(m map[string]string) []types.Tag {
	var ts []types.Tag
	for k, v := range m {
		ts = append(ts, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return ts
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.describes = append(f.describes, *in)
	if f.tdErr != nil {
		return nil, f.tdErr
	}
	out := &ecs.DescribeTaskDefinitionOutput{
		TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(tdArn), Family: aws.String("api"), Revision: 7},
		Tags:           tagList(f.tdTags),
	}
	if f.body != nil {
		awsraw.WithBody(&out.ResultMetadata, f.body)
	}
	return out, nil
}

func (f *fakeECS) ListTagsForResource(_ context.Context, in *ecs.ListTagsForResourceInput, _ ...func(*ecs.Options)) (*ecs.ListTagsForResourceOutput, error) {
	f.tagCalls = append(f.tagCalls, aws.ToString(in.ResourceArn))
	if f.tagsErr != nil {
		return nil, f.tagsErr
	}
	return &ecs.ListTagsForResourceOutput{Tags: tagList(f.svcTags)}, nil
}

func describeBody(td string) []byte {
	return []byte(`{"taskDefinition": ` + td + `, "tags": [{"key":"owner","value":"team-api"}]}`)
}

func TestHandle(t *testing.T) {
	cases := []struct {
		name         string
		task         *contract.Task
		fake         fakeECS
		wantTags     map[string]string
		wantTagCalls []string
		wantErr      string
		wantMsg      string
	}{
		{"a service task gets the task definition verbatim and the merged tags, the service's winning",
			serviceTask(), fakeECS{
				body:    describeBody(rawTD),
				tdTags:  map[string]string{"owner": "team-api", "environment": "prod"},
				svcTags: map[string]string{"environment": "staging", "exempt": "registry"},
			}, map[string]string{"owner": "team-api", "environment": "staging", "exempt": "registry"}, []string{serviceArn}, "", ""},
		{"a standalone task asks for no service tags", standaloneTask(), fakeECS{
			body: describeBody(rawTD), tdTags: map[string]string{"owner": "team-api"},
		}, map[string]string{"owner": "team-api"}, nil, "", ""},
		{"no tags at all is an empty object, not null", standaloneTask(), fakeECS{body: describeBody(rawTD)},
			map[string]string{}, nil, "", ""},
		{"a service that is gone adds no tags", serviceTask(), fakeECS{
			body: describeBody(rawTD), tdTags: map[string]string{"owner": "team-api"},
			tagsErr: apiErr("ServiceNotFoundException", "Service not found."),
		}, map[string]string{"owner": "team-api"}, []string{serviceArn}, "", ""},
		{"a tagged resource that cannot be found adds no tags", serviceTask(), fakeECS{
			body: describeBody(rawTD), tagsErr: apiErr("InvalidParameterException", "The specified resource could not be found."),
		}, map[string]string{}, []string{serviceArn}, "", ""},
		{"a cluster that is gone adds no tags", serviceTask(), fakeECS{
			body: describeBody(rawTD), tagsErr: apiErr("ClusterNotFoundException", "Cluster not found."),
		}, map[string]string{}, []string{serviceArn}, "", ""},
		{"a throttled service tag lookup is retried", serviceTask(), fakeECS{
			body: describeBody(rawTD), tagsErr: apiErr("ThrottlingException", "Rate exceeded"),
		}, nil, []string{serviceArn}, contract.ErrTransient, "ListTagsForResource"},
		{"a denied service tag lookup is not retried", serviceTask(), fakeECS{
			body: describeBody(rawTD), tagsErr: apiErr("AccessDeniedException", "not authorized"),
		}, nil, []string{serviceArn}, contract.ErrAccessDenied, ""},
		{"an unknown task definition is not found", serviceTask(), fakeECS{
			tdErr: apiErr("ClientException", "Unable to describe task definition."),
		}, nil, nil, contract.ErrNotFound, tdArn},
		{"another client exception is a failure", serviceTask(), fakeECS{
			tdErr: apiErr("ClientException", "Something else."),
		}, nil, nil, contract.ErrFailed, ""},
		{"a throttled describe is retried", serviceTask(), fakeECS{
			tdErr: apiErr("ThrottlingException", "Rate exceeded"),
		}, nil, nil, contract.ErrTransient, ""},
		{"a server error is retried", serviceTask(), fakeECS{
			tdErr: &smithy.OperationError{Err: &types.ServerException{Message: aws.String("oops")}},
		}, nil, nil, contract.ErrTransient, ""},
		{"a client without awsraw.Capture is a clear failure", serviceTask(), fakeECS{},
			nil, nil, contract.ErrFailed, "awsraw.Capture"},
		{"a body without a taskDefinition object is a failure", serviceTask(), fakeECS{body: []byte(`{"taskDefinition":null}`)},
			nil, nil, contract.ErrFailed, "no taskDefinition"},
		{"a missing $.task is invalid input", nil, fakeECS{body: describeBody(rawTD)},
			nil, nil, contract.ErrInvalidInput, "$.task"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := tc.fake
			h := &describetaskdef.Handler{ECS: &fake}
			got, err := h.Handle(context.Background(), contract.State{Task: tc.task})
			if !reflect.DeepEqual(fake.tagCalls, tc.wantTagCalls) {
				t.Fatalf("ListTagsForResource calls %v, want %v", fake.tagCalls, tc.wantTagCalls)
			}
			if tc.wantErr != "" {
				if step.Name(err) != tc.wantErr || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("err = %v (%s), want %s containing %q", err, step.Name(err), tc.wantErr, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := fake.describes[0]; aws.ToString(d.TaskDefinition) != tdArn || !reflect.DeepEqual(d.Include, []types.TaskDefinitionField{types.TaskDefinitionFieldTags}) {
				t.Fatalf("describe input %+v", d)
			}
			if string(got.TaskDefinition) != rawTD {
				t.Fatalf("taskDefinition = %s\nwant %s", got.TaskDefinition, rawTD)
			}
			if got.Tags == nil || !reflect.DeepEqual(got.Tags, tc.wantTags) {
				t.Fatalf("tags = %#v, want %#v", got.Tags, tc.wantTags)
			}
			b, _ := json.Marshal(got)
			if !strings.Contains(string(b), `"notYetModelled":{"a":[1,2]}`) {
				t.Fatalf("encoded result lost the unmodelled field: %s", b)
			}
		})
	}
}

// TestThroughECSClient runs the step on the real ECS client, with
// awsraw.Capture as main.go adds it, against an ECS endpoint.
func TestThroughECSClient(t *testing.T) {
	mode := ""
	var targets []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonEC2ContainerServiceV20141113.")
		targets = append(targets, target)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fail := func(code, msg string) {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"`+code+`","message":"`+msg+`"}`)
		}
		switch target {
		case "DescribeTaskDefinition":
			var in struct {
				TaskDefinition string   `json:"taskDefinition"`
				Include        []string `json:"include"`
			}
			_ = json.Unmarshal(body, &in)
			switch {
			case mode == "throttle":
				fail("ThrottlingException", "Rate exceeded")
			case in.TaskDefinition != tdArn || len(in.Include) != 1 || in.Include[0] != "TAGS":
				fail("ClientException", "Unable to describe task definition.")
			default:
				_, _ = w.Write(describeBody(rawTD))
			}
		case "ListTagsForResource":
			var in struct {
				ResourceArn string `json:"resourceArn"`
			}
			_ = json.Unmarshal(body, &in)
			if mode == "service-gone" || in.ResourceArn != serviceArn {
				fail("InvalidParameterException", "The specified resource could not be found.")
				return
			}
			_, _ = io.WriteString(w, `{"tags":[{"key":"owner","value":"team-platform"},{"key":"tier","value":"web"}]}`)
		default:
			fail("UnknownOperationException", target)
		}
	}))
	defer srv.Close()
	client := ecs.New(ecs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1,
		APIOptions: append([]func(*middleware.Stack) error{}, awsraw.Capture),
	})
	h := &describetaskdef.Handler{ECS: client}

	cases := []struct {
		name        string
		mode        string
		task        *contract.Task
		wantTags    map[string]string
		wantTargets []string
		wantErr     string
	}{
		{"a service task: verbatim task definition, service tags win", "", serviceTask(),
			map[string]string{"owner": "team-platform", "tier": "web"}, []string{"DescribeTaskDefinition", "ListTagsForResource"}, ""},
		{"a service that is gone: the task definition's tags only", "service-gone", serviceTask(),
			map[string]string{"owner": "team-api"}, []string{"DescribeTaskDefinition", "ListTagsForResource"}, ""},
		{"an unknown task definition is not found", "", func() *contract.Task {
			t := serviceTask()
			t.TaskDefinitionArn = "arn:aws:ecs:us-east-1:123456789012:task-definition/gone:1"
			return t
		}(), nil, []string{"DescribeTaskDefinition"}, contract.ErrNotFound},
		{"throttling is retryable", "throttle", serviceTask(), nil, []string{"DescribeTaskDefinition"}, contract.ErrTransient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mode, targets = tc.mode, nil
			got, err := h.Handle(context.Background(), contract.State{Task: tc.task})
			if !reflect.DeepEqual(targets, tc.wantTargets) {
				t.Fatalf("calls %v, want %v", targets, tc.wantTargets)
			}
			if tc.wantErr != "" {
				if step.Name(err) != tc.wantErr {
					t.Fatalf("err = %v (%s), want %s", err, step.Name(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got.TaskDefinition) != rawTD || !reflect.DeepEqual(got.Tags, tc.wantTags) {
				t.Fatalf("got %s %v", got.TaskDefinition, got.Tags)
			}
		})
	}
}
