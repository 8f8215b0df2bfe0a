package contract

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestServiceArnKeepsThePartition(t *testing.T) {
	for _, tc := range []struct {
		name string
		task *Task
		want string
	}{
		{"standalone task", &Task{Cluster: "c", ClusterArn: "arn:aws:ecs:us-east-1:1:cluster/c"}, ""},
		{"nil task", nil, ""},
		{"aws", &Task{Service: "web", Cluster: "prod", Region: "us-east-1", Account: "123456789012",
			ClusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/prod"},
			"arn:aws:ecs:us-east-1:123456789012:service/prod/web"},
		{"aws-cn", &Task{Service: "web", Cluster: "prod", Region: "cn-north-1", Account: "123456789012",
			ClusterArn: "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod"},
			"arn:aws-cn:ecs:cn-north-1:123456789012:service/prod/web"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.task.ServiceArn(); got != tc.want {
				t.Fatalf("ServiceArn = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSummarizeTaskDefinitionKeepsNoSecrets(t *testing.T) {
	raw := json.RawMessage(`{"family": "api", "revision": 7, "networkMode": "awsvpc", "cpu": "256",
	  "volumes": [{"name": "v", "host": {"sourcePath": "/var/run/docker.sock"}}],
	  "containerDefinitions": [{"name": "api", "image": "nginx:1.25", "privileged": true, "user": "0",
	    "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}], "secrets": [{"name": "K", "valueFrom": "arn:x"}],
	    "command": ["--token", "abc"], "readonlyRootFilesystem": false, "essential": true}]}`)
	got, err := SummarizeTaskDefinition(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"hunter2", "DB_PASSWORD", "valueFrom", "--token", "docker.sock", "environment", "command"} {
		if strings.Contains(string(got), leak) {
			t.Errorf("summary keeps %q: %s", leak, got)
		}
	}
	for _, kept := range []string{`"family":"api"`, `"revision":7`, `"image":"nginx:1.25"`, `"privileged":true`, `"user":"0"`, `"networkMode":"awsvpc"`} {
		if !strings.Contains(string(got), kept) {
			t.Errorf("summary lost %s: %s", kept, got)
		}
	}
	if _, err := SummarizeTaskDefinition(json.RawMessage(`[]`)); err == nil {
		t.Error("a list: want an error")
	}
	if _, err := SummarizeTaskDefinition(json.RawMessage(`{"containerDefinitions": {}}`)); err == nil {
		t.Error("containerDefinitions not a list: want an error")
	}
}

func TestValidName(t *testing.T) {
	for s, want := range map[string]bool{
		"prod": true, "web-api_2": true, "A": true, strings.Repeat("a", 255): true,
		"": false, strings.Repeat("a", 256): false, "a b": false, "a/b": false, "a.b": false, "é": false, "a\n": false,
	} {
		if got := ValidName(s); got != want {
			t.Errorf("ValidName(%.20q) = %v, want %v", s, got, want)
		}
	}
	if !ValidExecutionName(strings.Repeat("x", 80)) || ValidExecutionName(strings.Repeat("x", 81)) || ValidExecutionName("a:b") {
		t.Error("ValidExecutionName: 1 to 80 letters, digits, hyphens and underscores")
	}
}

func TestValidAccountAndRegion(t *testing.T) {
	for s, want := range map[string]bool{"123456789012": true, "12345678901": false, "1234567890123": false, "12345678901a": false, "": false} {
		if ValidAccount(s) != want {
			t.Errorf("ValidAccount(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{"us-east-1": true, "cn-north-1": true, "us-gov-west-1": true, "eu-isoe-west-1": true,
		"US-EAST-1": false, "us-east": false, "useast1": false, "": false, "us-east-1\n": false} {
		if ValidRegion(s) != want {
			t.Errorf("ValidRegion(%q) = %v", s, !want)
		}
	}
}
