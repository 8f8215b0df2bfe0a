package inmemory_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
)

const (
	acct       = "123456789012"
	region     = "us-east-1"
	webTD      = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"
	apiTD6     = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:6"
	apiTD7     = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
	apiService = "arn:aws:ecs:us-east-1:123456789012:service/prod/api"
	webService = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
	apiTask    = "arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0"
	oldTask    = "arn:aws:ecs:us-east-1:123456789012:task/prod/0000aaaa"
	topic      = "arn:aws:sns:us-east-1:123456789012:ecs-compliance"
)

// worldJSON is a small account: web:3 (ECR, tagged), api:6 (INACTIVE) and
// api:7 (Docker Hub, registeredAt as the CLI prints it); services web (3),
// api (2) and old (DRAINING); one running api task and one stopped task.
const worldJSON = `{
  "account": "123456789012",
  "region": "us-east-1",
  "taskDefinitions": [
    {"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3", "family": "web", "revision": 3,
     "status": "ACTIVE", "containerDefinitions": [{"name": "web", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2",
     "privileged": false, "user": "10001", "futureField": {"kept": true}}], "networkMode": "awsvpc"},
    {"family": "api", "revision": 6, "status": "INACTIVE", "containerDefinitions": [{"name": "api", "image": "nginx:1.24"}]},
    {"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
     "containerDefinitions": [{"name": "api", "image": "nginx:1.25", "essential": true}],
     "registeredAt": "2026-11-20T10:00:00.000Z"}
  ],
  "services": [
    {"cluster": "prod", "serviceName": "web", "desiredCount": 3, "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3"},
    {"cluster": "prod", "serviceName": "api", "desiredCount": 2, "taskDefinition": "api:7"},
    {"cluster": "prod", "serviceName": "old", "desiredCount": 0, "status": "DRAINING"}
  ],
  "tasks": [
    {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/1b2c3d4e5f6a41829304b5c6d7e8f9a0",
     "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7", "group": "service:api", "launchType": "FARGATE"},
    {"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0000aaaa", "cluster": "prod", "lastStatus": "STOPPED", "group": "family:web"}
  ],
  "tags": {
    "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3": {"owner": "team-web", "environment": "prod"},
    "arn:aws:ecs:us-east-1:123456789012:service/prod/api": {"owner": "team-api", "tier": "edge"}
  }
}`

var clock = time.Date(2026, 11, 27, 9, 5, 0, 0, time.UTC)

func testWorld(t *testing.T) inmemory.World {
	t.Helper()
	w, err := inmemory.ReadWorld(strings.NewReader(worldJSON))
	if err != nil {
		t.Fatalf("ReadWorld: %v", err)
	}
	return w
}

func newAccount(t *testing.T) *inmemory.Account {
	t.Helper()
	a, err := inmemory.Load(testWorld(t))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	a.SetClock(func() time.Time { return clock })
	return a
}

// wantAPIError checks err's AWS error code and that its message contains msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want API error %s", err, code)
	}
	if apiErr.ErrorCode() != code || !strings.Contains(apiErr.ErrorMessage(), msg) {
		t.Fatalf("err = %s %q, want %s containing %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, msg)
	}
	var opErr *smithy.OperationError
	if !errors.As(err, &opErr) {
		t.Fatalf("err = %v is not wrapped in an OperationError as the SDK does", err)
	}
}

func event(t *testing.T, detail map[string]any) contract.Event {
	t.Helper()
	raw, err := json.Marshal(detail)
	if err != nil {
		t.Fatal(err)
	}
	return contract.Event{Source: "aws.ecs", DetailType: "ECS Task State Change", Detail: raw}
}
