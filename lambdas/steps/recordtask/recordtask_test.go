package recordtask_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency"
	"github.com/ecs-compliance/ecs-compliance/lambdas/idempotency/idempotencytest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
	"github.com/ecs-compliance/ecs-compliance/lambdas/steps/recordtask"
)

const (
	account    = "123456789012"
	region     = "us-east-1"
	taskID     = "1b2c3d4e5f6a41829304b5c6d7e8f9a0"
	taskArn    = "arn:aws:ecs:us-east-1:123456789012:task/prod/" + taskID
	clusterArn = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	tdArn      = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"
	execID     = "arn:aws:states:us-east-1:123456789012:express:ecs-compliance-triage:5c1b7e2a:0f9e8d7c"
	otherExec  = "arn:aws:states:us-east-1:123456789012:express:ecs-compliance-triage:77aa77aa:11bb22cc"
)

var now = time.Date(2026, 11, 27, 9, 5, 3, 0, time.UTC)

// event builds an ECS Task State Change whose detail fields can be changed.
func event(change func(d map[string]any)) contract.Event {
	d := map[string]any{
		"taskArn":           taskArn,
		"clusterArn":        clusterArn,
		"taskDefinitionArn": tdArn,
		"group":             "service:api",
		"lastStatus":        "PENDING",
		"desiredStatus":     "RUNNING",
		"launchType":        "FARGATE",
		"containers":        []any{map[string]any{"name": "api", "image": "nginx:1.25", "taskArn": taskArn}},
	}
	if change != nil {
		change(d)
	}
	raw, _ := json.Marshal(d)
	return contract.Event{
		Version: "0", ID: "e1", Source: "aws.ecs", DetailType: "ECS Task State Change",
		Account: account, Region: region, Detail: raw,
	}
}

// envelope changes the envelope of an event.
func envelope(ev contract.Event, change func(ev *contract.Event)) contract.Event {
	change(&ev)
	return ev
}

// registration is the sample CloudTrail event, with its detail changed.
func registration(t testing.TB, change func(d map[string]any)) contract.Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "test", "events", "register-task-definition.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev contract.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		var d map[string]any
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatal(err)
		}
		change(d)
		ev.Detail, _ = json.Marshal(d)
	}
	return ev
}

// taskDef is the responseElements.taskDefinition of a registration's detail.
func taskDef(d map[string]any) map[string]any {
	return d["responseElements"].(map[string]any)["taskDefinition"].(map[string]any)
}

// want is the task the default event() parses to, changed.
func want(change func(t *contract.Task)) contract.Task {
	t := contract.Task{
		Kind: contract.KindTask, TaskArn: taskArn, ClusterArn: clusterArn, Cluster: "prod", TaskDefinitionArn: tdArn,
		Family: "api", Revision: 7, Group: "service:api", Service: "api", LaunchType: "FARGATE",
		LastStatus: "PENDING", Account: account, Region: region, TaskID: taskID,
	}
	if change != nil {
		change(&t)
	}
	return t
}

func TestParseEvent(t *testing.T) {
	long := strings.Repeat("a", 256)
	cases := []struct {
		name    string
		event   contract.Event
		want    contract.Task
		wantErr string // substring of the message; the error name is InvalidInput
	}{
		// Accepted.
		{"a service task names its cluster, family, revision, service and task id", event(nil), want(nil), ""},
		{"a family group is not a service", event(func(d map[string]any) { d["group"] = "family:api" }),
			want(func(t *contract.Task) { t.Group, t.Service = "family:api", "" }), ""},
		{"a custom group is kept and is not a service", event(func(d map[string]any) { d["group"] = "nightly batch" }),
			want(func(t *contract.Task) { t.Group, t.Service = "nightly batch", "" }), ""},
		{"every status of the rule's set is taken", event(func(d map[string]any) { d["lastStatus"] = "ACTIVATING" }),
			want(func(t *contract.Task) { t.LastStatus = "ACTIVATING" }), ""},
		{"an old-format task ARN with a UUID task id is accepted", event(func(d map[string]any) {
			d["taskArn"] = "arn:aws:ecs:us-east-1:123456789012:task/0b6a2f3e-1c1d-4b0e-9a51-0123456789ab"
			d["containers"] = []any{}
			d["group"] = ""
		}), want(func(t *contract.Task) {
			t.TaskArn, t.TaskID = "arn:aws:ecs:us-east-1:123456789012:task/0b6a2f3e-1c1d-4b0e-9a51-0123456789ab", "0b6a2f3e-1c1d-4b0e-9a51-0123456789ab"
			t.Group, t.Service = "", ""
		}), ""},
		{"a task in the China partition is accepted", envelope(event(func(d map[string]any) {
			d["taskArn"] = "arn:aws-cn:ecs:cn-north-1:123456789012:task/prod/" + taskID
			d["clusterArn"] = "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod"
			d["taskDefinitionArn"] = "arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/my-app_v2:12"
			delete(d, "containers")
		}), func(ev *contract.Event) { ev.Region = "cn-north-1" }), want(func(t *contract.Task) {
			t.TaskArn, t.ClusterArn = "arn:aws-cn:ecs:cn-north-1:123456789012:task/prod/"+taskID, "arn:aws-cn:ecs:cn-north-1:123456789012:cluster/prod"
			t.TaskDefinitionArn, t.Family, t.Revision = "arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/my-app_v2:12", "my-app_v2", 12
			t.Region = "cn-north-1"
		}), ""},
		{"the sample registration gives the revision and who registered it", registration(t, nil), contract.Task{
			Kind: contract.KindRegistration, TaskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8",
			Family: "api", Revision: 8, Account: account, Region: region,
			RegisteredBy: "arn:aws:sts::123456789012:assumed-role/github-actions-deploy/deploy-pipeline",
		}, ""},
		{"a registration's registeredBy is made safe to show", registration(t, func(d map[string]any) {
			d["userIdentity"].(map[string]any)["arn"] = "arn:aws:iam::123456789012:user/eve\n\x1b[2JSUBJECT: all clear\u202e"
		}), contract.Task{
			Kind: contract.KindRegistration, TaskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8",
			Family: "api", Revision: 8, Account: account, Region: region,
			RegisteredBy: "arn:aws:iam::123456789012:user/eve SUBJECT: all clear",
		}, ""},
		{"a registration by an AWS service names the service", registration(t, func(d map[string]any) {
			d["userIdentity"] = map[string]any{"type": "AWSService", "invokedBy": "ecs.amazonaws.com"}
		}), contract.Task{
			Kind: contract.KindRegistration, TaskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8",
			Family: "api", Revision: 8, Account: account, Region: region, RegisteredBy: "ecs.amazonaws.com",
		}, ""},

		// The envelope.
		{"another source is rejected", envelope(event(nil), func(ev *contract.Event) { ev.Source = "aws.ec2" }), contract.Task{}, "not an ECS event the rules send"},
		{"another detail type is rejected", envelope(event(nil), func(ev *contract.Event) { ev.DetailType = "ECS Container Instance State Change" }),
			contract.Task{}, `detail-type "ECS Container Instance State Change"`},
		{"an event without detail is rejected", envelope(event(nil), func(ev *contract.Event) { ev.Detail = nil }), contract.Task{}, "no detail"},
		{"a detail that is not an object is rejected", envelope(event(nil), func(ev *contract.Event) { ev.Detail = json.RawMessage(`[1]`) }), contract.Task{}, "not a task"},
		{"an envelope without account is rejected", envelope(event(nil), func(ev *contract.Event) { ev.Account = "" }), contract.Task{}, `account "" is not a 12-digit`},
		{"an envelope account that is not 12 digits is rejected", envelope(event(nil), func(ev *contract.Event) { ev.Account = "12345678901x" }), contract.Task{}, "12-digit"},
		{"an envelope region that is not a region is rejected", envelope(event(nil), func(ev *contract.Event) { ev.Region = "US East" }), contract.Task{}, `region "US East" is not an AWS region`},
		{"a detail over the limit is refused with its size", envelope(event(nil), func(ev *contract.Event) {
			ev.Detail = json.RawMessage(`{"pad":"` + strings.Repeat("x", recordtask.MaxDetailBytes) + `"}`)
		}), contract.Task{}, fmt.Sprintf("detail is %d bytes, over the 65536-byte limit", recordtask.MaxDetailBytes+10)},

		// The rule's set.
		{"a desired status other than RUNNING is rejected", event(func(d map[string]any) { d["desiredStatus"] = "STOPPED" }),
			contract.Task{}, `desiredStatus "STOPPED" is not the rule's RUNNING`},
		{"a missing desired status is rejected", event(func(d map[string]any) { delete(d, "desiredStatus") }),
			contract.Task{}, `desiredStatus "" is not the rule's RUNNING`},
		{"a last status outside the rule's set is rejected", event(func(d map[string]any) { d["lastStatus"] = "DEPROVISIONING" }),
			contract.Task{}, `lastStatus "DEPROVISIONING" is not one of the rule's PROVISIONING, PENDING, ACTIVATING, RUNNING`},

		// The ARNs, with each other and the envelope.
		{"a missing taskArn is rejected", event(func(d map[string]any) { delete(d, "taskArn") }), contract.Task{}, "no taskArn"},
		{"a missing clusterArn is rejected", event(func(d map[string]any) { delete(d, "clusterArn") }), contract.Task{}, "no clusterArn"},
		{"a missing taskDefinitionArn is rejected", event(func(d map[string]any) { delete(d, "taskDefinitionArn") }), contract.Task{}, "no taskDefinitionArn"},
		{"a taskArn that is not an ARN is rejected", event(func(d map[string]any) { d["taskArn"] = "1b2c3d4e" }), contract.Task{}, `taskArn "1b2c3d4e" is not an ARN`},
		{"a taskArn of another resource is rejected", event(func(d map[string]any) { d["taskArn"] = clusterArn }), contract.Task{}, "not an ECS task ARN"},
		{"a taskArn of another account than the envelope's is rejected", event(func(d map[string]any) {
			d["taskArn"] = "arn:aws:ecs:us-east-1:999999999999:task/prod/" + taskID
		}), contract.Task{}, `taskArn account "999999999999" is not the event's account "123456789012"`},
		{"a taskArn of another region than the envelope's is rejected", event(func(d map[string]any) {
			d["taskArn"] = "arn:aws:ecs:eu-west-1:123456789012:task/prod/" + taskID
		}), contract.Task{}, `taskArn region "eu-west-1" is not the event's region "us-east-1"`},
		{"a cluster in another account is rejected", event(func(d map[string]any) {
			d["clusterArn"] = "arn:aws:ecs:us-east-1:999999999999:cluster/prod"
		}), contract.Task{}, `clusterArn account "999999999999" is not the event's account "123456789012"`},
		{"a task definition in another region is rejected", event(func(d map[string]any) {
			d["taskDefinitionArn"] = "arn:aws:ecs:us-west-2:123456789012:task-definition/api:7"
		}), contract.Task{}, `taskDefinitionArn region "us-west-2" is not the event's region "us-east-1"`},
		{"an ARN of another partition than the region's is rejected", event(func(d map[string]any) {
			d["clusterArn"] = "arn:aws-cn:ecs:us-east-1:123456789012:cluster/prod"
		}), contract.Task{}, `clusterArn partition "aws-cn" is not region "us-east-1"'s partition "aws"`},
		{"an aws partition ARN in a China region is rejected", envelope(event(func(d map[string]any) {
			for _, k := range []string{"taskArn", "clusterArn", "taskDefinitionArn"} {
				d[k] = strings.Replace(d[k].(string), "us-east-1", "cn-north-1", 1)
			}
			delete(d, "containers")
		}), func(ev *contract.Event) { ev.Region = "cn-north-1" }), contract.Task{}, `taskArn partition "aws" is not region "cn-north-1"'s partition "aws-cn"`},
		{"a container of another task is rejected", event(func(d map[string]any) {
			d["containers"] = []any{map[string]any{"name": "api", "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/ffffffffffffffffffffffffffffffff"}}
		}), contract.Task{}, `containers[0].taskArn "arn:aws:ecs:us-east-1:123456789012:task/prod/ffffffffffffffffffffffffffffffff" is not the task's taskArn`},

		// Names.
		{"a task in another cluster than clusterArn is rejected", event(func(d map[string]any) {
			d["taskArn"] = "arn:aws:ecs:us-east-1:123456789012:task/staging/" + taskID
			delete(d, "containers")
		}), contract.Task{}, `in cluster "staging", but clusterArn names "prod"`},
		{"a task id that is neither hex nor a UUID is rejected", event(func(d map[string]any) {
			d["taskArn"] = "arn:aws:ecs:us-east-1:123456789012:task/prod/x1"
			delete(d, "containers")
		}), contract.Task{}, `task id "x1" is neither 32 hex digits nor a UUID`},
		{"a task ARN with a deeper path is rejected", event(func(d map[string]any) {
			d["taskArn"] = "arn:aws:ecs:us-east-1:123456789012:task/prod/a/" + taskID
			delete(d, "containers")
		}), contract.Task{}, "resource is not task/CLUSTER/ID"},
		{"a cluster name with a dot is rejected", event(func(d map[string]any) {
			d["clusterArn"] = "arn:aws:ecs:us-east-1:123456789012:cluster/prod.eu"
		}), contract.Task{}, `cluster name "prod.eu" is not 1-255 letters`},
		{"a task definition ARN without revision is rejected", event(func(d map[string]any) {
			d["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/api"
		}), contract.Task{}, "FAMILY:REVISION"},
		{"a task definition revision 0 is rejected", event(func(d map[string]any) {
			d["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:0"
		}), contract.Task{}, `revision "0" is not a whole number from 1`},
		{"a signed task definition revision is rejected", event(func(d map[string]any) {
			d["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:+7"
		}), contract.Task{}, `revision "+7"`},
		{"a task definition revision with a leading zero is rejected", event(func(d map[string]any) {
			d["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:07"
		}), contract.Task{}, `revision "07"`},
		{"a family name with a slash is rejected", event(func(d map[string]any) {
			d["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:123456789012:task-definition/team/api:7"
		}), contract.Task{}, `family "team/api" is not 1-255 letters`},
		{"a service group without a name is rejected", event(func(d map[string]any) { d["group"] = "service:" }),
			contract.Task{}, `service name "" is not 1-255 letters`},
		{"a service name with a space is rejected", event(func(d map[string]any) { d["group"] = "service:api v2" }),
			contract.Task{}, `service name "api v2"`},
		{"a service name over 255 characters is rejected", event(func(d map[string]any) { d["group"] = "service:" + long }),
			contract.Task{}, "is not 1-255 letters"},

		// Registrations.
		{"a failed registration is rejected", registration(t, func(d map[string]any) {
			d["errorCode"] = "ClientException"
			delete(d, "responseElements")
		}), contract.Task{}, `call failed (errorCode "ClientException")`},
		{"another API call is rejected", registration(t, func(d map[string]any) { d["eventName"] = "DeregisterTaskDefinition" }),
			contract.Task{}, `the CloudTrail record is "ecs.amazonaws.com" "DeregisterTaskDefinition", not ecs.amazonaws.com RegisterTaskDefinition`},
		{"another service's call is rejected", registration(t, func(d map[string]any) { d["eventSource"] = "ec2.amazonaws.com" }),
			contract.Task{}, `"ec2.amazonaws.com"`},
		{"a record of another account than the envelope's is rejected", registration(t, func(d map[string]any) { d["recipientAccountId"] = "999999999999" }),
			contract.Task{}, `detail.recipientAccountId "999999999999" is not the event's account "123456789012"`},
		{"a record of another region than the envelope's is rejected", registration(t, func(d map[string]any) { d["awsRegion"] = "eu-west-1" }),
			contract.Task{}, `detail.awsRegion "eu-west-1" is not the event's region "us-east-1"`},
		{"a record without the response is rejected", registration(t, func(d map[string]any) { delete(d, "responseElements") }),
			contract.Task{}, "no detail.responseElements.taskDefinition.taskDefinitionArn"},
		{"a registered ARN of another account is rejected", registration(t, func(d map[string]any) {
			taskDef(d)["taskDefinitionArn"] = "arn:aws:ecs:us-east-1:999999999999:task-definition/api:8"
		}), contract.Task{}, `responseElements.taskDefinition.taskDefinitionArn account "999999999999" is not the event's account`},
		{"a response whose family is not the ARN's is rejected", registration(t, func(d map[string]any) { taskDef(d)["family"] = "web" }),
			contract.Task{}, `responseElements.taskDefinition.family "web" is not the ARN's family "api"`},
		{"a response whose revision is not the ARN's is rejected", registration(t, func(d map[string]any) { taskDef(d)["revision"] = 9 }),
			contract.Task{}, "responseElements.taskDefinition.revision 9 is not the ARN's revision 8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := recordtask.ParseEvent(tc.event)
			if tc.wantErr != "" {
				if err == nil || step.Name(err) != contract.ErrInvalidInput || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v (%s), want InvalidInput containing %q", err, step.Name(err), tc.wantErr)
				}
				if len(err.Error()) > 1024 {
					t.Fatalf("error message of %d bytes: a failure report quotes it", len(err.Error()))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("task =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestTheSampleEventsParse: every event under test/events (the demo's and
// the end-to-end tests') is one Record task takes on.
func TestTheSampleEventsParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "test", "events", "*.json"))
	if len(files) == 0 {
		t.Fatal("no sample events")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var ev contract.Event
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			task, err := recordtask.ParseEvent(ev)
			if err != nil {
				t.Fatal(err)
			}
			if recordtask.ExecutionName(task, 1) == "" || task.ClaimKey() == "" {
				t.Fatalf("task %+v has no claim key or execution name", task)
			}
		})
	}
}

func TestParseEventQuotesOnlyAPrefixOfAHugeValue(t *testing.T) {
	huge := "arn:aws:ecs:us-east-1:123456789012:task/prod/" + strings.Repeat("f", 60<<10)
	_, err := recordtask.ParseEvent(event(func(d map[string]any) { d["taskArn"] = huge; delete(d, "containers") }))
	if step.Name(err) != contract.ErrInvalidInput || len(err.Error()) > 1024 || !strings.Contains(err.Error(), fmt.Sprintf("(%d bytes)", len(huge))) {
		t.Fatalf("err (%d bytes) = %.300v", len(err.Error()), err)
	}
}

func TestTheRulesSet(t *testing.T) {
	if recordtask.DesiredStatus != "RUNNING" ||
		strings.Join(recordtask.LastStatuses, ",") != "PROVISIONING,PENDING,ACTIVATING,RUNNING" {
		t.Fatalf("the rule's set changed: %s %v (the CDK pattern and the README follow it)", recordtask.DesiredStatus, recordtask.LastStatuses)
	}
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

func TestExecutionName(t *testing.T) {
	longFamily := strings.Repeat("payments-service_", 15) // 255 characters
	cases := []struct {
		name    string
		task    contract.Task
		attempt int
		want    string // exact; "~prefix" for a shortened name that starts so
	}{
		{"a task is its id and attempt", want(nil), 1, taskID + "-1"},
		{"a later attempt gets a new name", want(nil), 2, taskID + "-2"},
		{"an old UUID task id fits", contract.Task{TaskID: "0b6a2f3e-1c1d-4b0e-9a51-0123456789ab"}, 12, "0b6a2f3e-1c1d-4b0e-9a51-0123456789ab-12"},
		{"a task written before kinds existed is a task", contract.Task{TaskID: taskID}, 3, taskID + "-3"},
		{"no attempt, no name", want(nil), 0, ""},
		{"a task without id has no name", contract.Task{Kind: contract.KindTask}, 1, ""},
		{"a registration is register, family, revision and attempt",
			contract.Task{Kind: contract.KindRegistration, Family: "api", Revision: 8}, 1, "register-api-8-1"},
		{"a registration without revision has no name", contract.Task{Kind: contract.KindRegistration, Family: "api"}, 1, ""},
		{"a long family is cut and followed by a hash under another prefix",
			contract.Task{Kind: contract.KindRegistration, Family: longFamily, Revision: 1234567}, 99, "~register_payments-service_"},
		{"a task id with characters Step Functions refuses is cleaned and hashed",
			contract.Task{TaskID: "a b/c:d"}, 1, "~task_a_b_c_d-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := recordtask.ExecutionName(tc.task, tc.attempt)
			if prefix, ok := strings.CutPrefix(tc.want, "~"); ok {
				if !strings.HasPrefix(got, prefix) || !validName.MatchString(got) || !strings.HasSuffix(got, fmt.Sprintf("-%d", tc.attempt)) {
					t.Fatalf("ExecutionName = %q (%d characters), want a valid name starting %q", got, len(got), prefix)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("ExecutionName = %q, want %q", got, tc.want)
			}
		})
	}

	reg := func(family string) contract.Task {
		return contract.Task{Kind: contract.KindRegistration, Family: family, Revision: 3}
	}
	a, b := recordtask.ExecutionName(reg(longFamily), 1), recordtask.ExecutionName(reg(longFamily[:251]+"-v2"), 1)
	if a == b || len(a) != 80 || len(b) != 80 {
		t.Fatalf("long families sharing a prefix: %q and %q", a, b)
	}
	// A family shaped like a shortened name's pieces still gets another name.
	crafted := strings.TrimSuffix(strings.TrimPrefix(a, "register_"), "-3-1")
	if c := recordtask.ExecutionName(reg(crafted), 1); c == a || !validName.MatchString(c) {
		t.Fatalf("family %q takes the name %q of the long family", crafted, c)
	}
}

func FuzzExecutionName(f *testing.F) {
	f.Add("api", 8, 1, true)
	f.Add(taskID, 0, 3, false)
	f.Add(strings.Repeat("é", 200), 1, 1<<62, true)
	f.Fuzz(func(t *testing.T, id string, revision, attempt int, isRegistration bool) {
		task := contract.Task{TaskID: id}
		if isRegistration {
			task = contract.Task{Kind: contract.KindRegistration, Family: id, Revision: revision}
		}
		got := recordtask.ExecutionName(task, attempt)
		if got != "" && !validName.MatchString(got) {
			t.Fatalf("ExecutionName(%+v, %d) = %q: not a valid execution name", task, attempt, got)
		}
		if got == "" && attempt >= 1 && id != "" && (!isRegistration || revision >= 1) {
			t.Fatalf("ExecutionName(%+v, %d) is empty", task, attempt)
		}
	})
}

// FuzzParseEvent: no input panics; an error is InvalidInput with a short
// message; an accepted event gives a task consistent with its envelope
// that has a valid execution name.
func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "test", "events", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var ev contract.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			f.Fatal(err)
		}
		f.Add(ev.Source, ev.DetailType, ev.Account, ev.Region, []byte(ev.Detail))
	}
	ev := event(nil)
	f.Add(ev.Source, ev.DetailType, ev.Account, ev.Region, []byte(ev.Detail))
	f.Add("aws.ecs", "ECS Task State Change", account, region, []byte(`{"taskArn":1}`))
	f.Add("aws.ecs", "AWS API Call via CloudTrail", account, region, []byte(`{"responseElements":{"taskDefinition":null}}`))
	f.Fuzz(func(t *testing.T, source, detailType, acct, reg string, detail []byte) {
		ev := contract.Event{Source: source, DetailType: detailType, Account: acct, Region: reg, Detail: detail}
		task, err := recordtask.ParseEvent(ev)
		if err != nil {
			if step.Name(err) != contract.ErrInvalidInput || len(err.Error()) > 4096 {
				t.Fatalf("error %s of %d bytes: %.200v", step.Name(err), len(err.Error()), err)
			}
			return
		}
		if task.Account != acct || task.Region != reg || task.ClaimKey() == "" {
			t.Fatalf("task %+v from an event of %q %q", task, acct, reg)
		}
		if name := recordtask.ExecutionName(task, 1); !validName.MatchString(name) {
			t.Fatalf("execution name %q of %+v", name, task)
		}
	})
}

// fakeClaimer records the claims it is asked for.
type fakeClaimer struct {
	mu     sync.Mutex
	keys   []string
	execs  []string
	ttls   []time.Duration
	nows   []time.Time
	answer idempotency.Claim
	err    error
}

func (f *fakeClaimer) Claim(_ context.Context, key, executionID string, now time.Time, ttl time.Duration) (idempotency.Claim, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys, f.execs, f.ttls, f.nows = append(f.keys, key), append(f.execs, executionID), append(f.ttls, ttl), append(f.nows, now)
	return f.answer, f.err
}

func TestHandle(t *testing.T) {
	first := now.Add(-time.Hour)
	cases := []struct {
		name    string
		ttl     time.Duration
		answer  idempotency.Claim
		err     error
		wantTTL time.Duration
		want    func(t *contract.Task) // on want(nil); nil for an error
		wantErr string
	}{
		{"the first event claims the task with the default TTL and names its execution", 0,
			idempotency.Claim{Claimed: true, ClaimedBy: execID, Attempt: 1, FirstSeen: now, ExpiresAt: now.Add(recordtask.DefaultTTL)}, nil,
			recordtask.DefaultTTL, func(tk *contract.Task) {
				tk.ClaimedBy, tk.Attempt, tk.ExecutionName = execID, 1, taskID+"-1"
				tk.FirstSeen, tk.ExpiresAt = "2026-11-27T09:05:03Z", now.Add(recordtask.DefaultTTL).Unix()
			}, ""},
		{"a retry of the claiming execution gets its own claim back, not a duplicate", 0,
			idempotency.Claim{Claimed: true, Own: true, ClaimedBy: execID, Attempt: 2, FirstSeen: first, ExpiresAt: first.Add(recordtask.DefaultTTL)}, nil,
			recordtask.DefaultTTL, func(tk *contract.Task) {
				tk.ClaimedBy, tk.Attempt, tk.ExecutionName = execID, 2, taskID+"-2"
				tk.FirstSeen, tk.ExpiresAt = "2026-11-27T08:05:03Z", first.Add(recordtask.DefaultTTL).Unix()
			}, ""},
		{"a later event is a duplicate carrying the holder's claim", 2 * time.Hour,
			idempotency.Claim{ClaimedBy: otherExec, Attempt: 3, FirstSeen: first, ExpiresAt: first.Add(2 * time.Hour)}, nil,
			2 * time.Hour, func(tk *contract.Task) {
				tk.Duplicate, tk.ClaimedBy, tk.Attempt, tk.ExecutionName = true, otherExec, 3, taskID+"-3"
				tk.FirstSeen, tk.ExpiresAt = "2026-11-27T08:05:03Z", first.Add(2*time.Hour).Unix()
			}, ""},
		{"a duplicate of a claim written before attempts existed has no execution name", 0,
			idempotency.Claim{FirstSeen: first, ExpiresAt: first.Add(time.Hour)}, nil,
			recordtask.DefaultTTL, func(tk *contract.Task) {
				tk.Duplicate = true
				tk.FirstSeen, tk.ExpiresAt = "2026-11-27T08:05:03Z", first.Add(time.Hour).Unix()
			}, ""},
		{"a named store error passes through", 0, idempotency.Claim{},
			step.Errorf(contract.ErrTransient, "throttled"), recordtask.DefaultTTL, nil, contract.ErrTransient},
		{"an unnamed store error is named", 0, idempotency.Claim{},
			errors.New("boom"), recordtask.DefaultTTL, nil, contract.ErrFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeClaimer{answer: tc.answer, err: tc.err}
			h := &recordtask.Handler{Store: store, TTL: tc.ttl, Now: func() time.Time { return now }, Account: account, Region: region}
			got, err := h.Handle(context.Background(), contract.RecordTaskInput{Event: event(nil), ExecutionID: execID})
			if len(store.keys) != 1 || store.keys[0] != taskArn || store.execs[0] != execID || store.ttls[0] != tc.wantTTL || !store.nows[0].Equal(now) {
				t.Fatalf("claims %v by %v ttl %v now %v", store.keys, store.execs, store.ttls, store.nows)
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
			if w := want(tc.want); got != w {
				t.Fatalf("task =\n%+v\nwant\n%+v", got, w)
			}
		})
	}
}

func TestHandleClaimsARegistrationByItsTaskDefinition(t *testing.T) {
	store := &fakeClaimer{answer: idempotency.Claim{Claimed: true, ClaimedBy: execID, Attempt: 1, FirstSeen: now, ExpiresAt: now.Add(time.Hour)}}
	h := &recordtask.Handler{Store: store, Now: func() time.Time { return now }, Account: account, Region: region}
	got, err := h.Handle(context.Background(), contract.RecordTaskInput{Event: registration(t, nil), ExecutionID: execID})
	if err != nil {
		t.Fatal(err)
	}
	const td8 = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8"
	if len(store.keys) != 1 || store.keys[0] != td8 || got.Kind != contract.KindRegistration ||
		got.ExecutionName != "register-api-8-1" || got.TaskArn != "" || got.Duplicate {
		t.Fatalf("claimed %v; task %+v", store.keys, got)
	}
}

func TestHandleRefusesBeforeClaiming(t *testing.T) {
	cases := []struct {
		name    string
		h       recordtask.Handler
		in      contract.RecordTaskInput
		wantErr string
	}{
		{"an invalid event", recordtask.Handler{},
			contract.RecordTaskInput{Event: event(func(d map[string]any) { delete(d, "taskArn") }), ExecutionID: execID}, "no taskArn"},
		{"no execution id", recordtask.Handler{}, contract.RecordTaskInput{Event: event(nil)}, "no executionId"},
		{"an event of another account than the deployment's", recordtask.Handler{Account: "210987654321", Region: region},
			contract.RecordTaskInput{Event: event(nil), ExecutionID: execID}, `account "123456789012" is not this deployment's account "210987654321"`},
		{"an event of another region than the deployment's", recordtask.Handler{Account: account, Region: "eu-west-1"},
			contract.RecordTaskInput{Event: event(nil), ExecutionID: execID}, `region "us-east-1" is not this deployment's region "eu-west-1"`},
		{"a registration of another account than the deployment's", recordtask.Handler{Account: "210987654321"},
			contract.RecordTaskInput{Event: registration(t, nil), ExecutionID: execID}, `account "123456789012" is not this deployment's`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := &fakeClaimer{}
			tc.h.Store = store
			_, err := tc.h.Handle(context.Background(), tc.in)
			if step.Name(err) != contract.ErrInvalidInput || !strings.Contains(err.Error(), tc.wantErr) || len(store.keys) != 0 {
				t.Fatalf("err = %v (%s), claims %v; want InvalidInput containing %q and no claim", err, step.Name(err), store.keys, tc.wantErr)
			}
		})
	}
	in := contract.RecordTaskInput{Event: event(nil), ExecutionID: execID}
	if _, err := (&recordtask.Handler{}).Handle(context.Background(), in); step.Name(err) != contract.ErrFailed {
		t.Fatalf("no store: err = %v", err)
	}
	store := &fakeClaimer{answer: idempotency.Claim{Claimed: true, ClaimedBy: execID, Attempt: 1}}
	if _, err := (&recordtask.Handler{Store: store}).Handle(context.Background(), in); err != nil || len(store.keys) != 1 {
		t.Fatalf("without a deployment account and region nothing is checked: %v, %v", err, store.keys)
	}
}

func TestTTLFromEnv(t *testing.T) {
	cases := []struct {
		name  string
		value string
		want  time.Duration
		err   bool
	}{
		{"unset is a week", "", 168 * time.Hour, false},
		{"a number of hours", "24", 24 * time.Hour, false},
		{"zero is refused", "0", 0, true},
		{"a negative number is refused", "-3", 0, true},
		{"a unit suffix is refused", "24h", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := recordtask.TTLFromEnv(tc.value)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("TTLFromEnv(%q) = %v, %v", tc.value, got, err)
			}
		})
	}
}

// TestThroughDynamoDBClient runs the handler with idempotency.Table on the
// real DynamoDB client against a fake that applies the claim's conditional
// updates: the first execution claims the task, its retry finds its own
// claim, another execution's event is a duplicate; a throttled write is
// retryable, a denied one is not.
func TestThroughDynamoDBClient(t *testing.T) {
	fake := idempotencytest.New(t)
	clock := now
	h := &recordtask.Handler{Store: &idempotency.Table{API: fake.Client(), Name: "claims"}, Now: func() time.Time { return clock },
		Account: account, Region: region}

	steps := []struct {
		name          string
		fail          string
		exec          string
		wantDuplicate bool
		wantErr       string
	}{
		{"a throttled write is retryable", "ThrottlingException", execID, false, contract.ErrTransient},
		{"the first event claims the task", "", execID, false, ""},
		{"a retry of the same execution finds its own claim", "", execID, false, ""},
		{"another execution's event is a duplicate", "", otherExec, true, ""},
		{"a denied write is not retried", "AccessDeniedException", execID, false, contract.ErrAccessDenied},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			fake.FailWith(400, s.fail)
			got, err := h.Handle(context.Background(), contract.RecordTaskInput{Event: event(nil), ExecutionID: s.exec})
			if s.wantErr != "" {
				if step.Name(err) != s.wantErr {
					t.Fatalf("err = %v (%s), want %s", err, step.Name(err), s.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Duplicate != s.wantDuplicate || got.ClaimedBy != execID || got.Attempt != 1 || got.ExecutionName != taskID+"-1" ||
				got.FirstSeen != "2026-11-27T09:05:03Z" || got.ExpiresAt != now.Add(recordtask.DefaultTTL).Unix() {
				t.Fatalf("task = %+v", got)
			}
			clock = clock.Add(time.Minute)
		})
	}
	if it := fake.Item(taskArn); it["claimedBy"]["S"] != execID || it["attempt"]["N"] != "1" {
		t.Fatalf("item %v", it)
	}
}

// fakeLookUp answers the judgement's look-up and records what it was asked.
type fakeLookUp struct {
	asked []contract.State
	err   error
}

func (f *fakeLookUp) Handle(_ context.Context, st contract.State) (contract.Lookup, error) {
	f.asked = append(f.asked, st)
	if f.err != nil {
		return contract.Lookup{}, f.err
	}
	return contract.Lookup{Key: "k-" + st.Task.TaskDefinitionArn, Next: contract.NextRemediate}, nil
}

// Triage, the deployed "Record task": a claimed task's judgement is looked
// up in the same invocation; a duplicate's is not; a failed look-up fails
// the invocation, and its retry (the same execution) looks up again.
func TestTriage(t *testing.T) {
	in := contract.RecordTaskInput{Event: event(nil), ExecutionID: execID}
	t.Run("the first event: the task, then its lookup", func(t *testing.T) {
		look := &fakeLookUp{}
		store := &fakeClaimer{answer: idempotency.Claim{Claimed: true, ClaimedBy: execID, Attempt: 1, FirstSeen: now, ExpiresAt: now.Add(time.Hour)}}
		h := &recordtask.Handler{Store: store, Now: func() time.Time { return now }, Account: account, Region: region, LookUp: look}
		st, err := h.Triage(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		if st.Task == nil || st.Task.TaskArn != taskArn || st.Task.Duplicate || st.Task.ExecutionName != taskID+"-1" {
			t.Fatalf("task %+v", st.Task)
		}
		if st.Lookup == nil || st.Lookup.Key != "k-"+tdArn || st.Lookup.Next != contract.NextRemediate {
			t.Fatalf("lookup %+v", st.Lookup)
		}
		// The look-up gets the document as Look up judgement does: the event
		// and the claimed task.
		if len(look.asked) != 1 || look.asked[0].Task == nil || look.asked[0].Task.ExecutionName != taskID+"-1" ||
			string(look.asked[0].Detail) != string(in.Event.Detail) || look.asked[0].Lookup != nil {
			t.Fatalf("look-up asked %+v", look.asked)
		}
		// The result is the whole document: the event rides on.
		if st.Source != "aws.ecs" || st.DetailType != "ECS Task State Change" || string(st.Detail) != string(in.Event.Detail) {
			t.Fatalf("event %+v", st.Event)
		}
	})
	t.Run("a duplicate is not looked up", func(t *testing.T) {
		look := &fakeLookUp{}
		store := &fakeClaimer{answer: idempotency.Claim{ClaimedBy: otherExec, Attempt: 1, FirstSeen: now, ExpiresAt: now.Add(time.Hour)}}
		h := &recordtask.Handler{Store: store, Now: func() time.Time { return now }, LookUp: look}
		st, err := h.Triage(context.Background(), in)
		if err != nil || st.Task == nil || !st.Task.Duplicate || st.Lookup != nil || len(look.asked) != 0 {
			t.Fatalf("err %v, task %+v, lookup %+v, asked %d", err, st.Task, st.Lookup, len(look.asked))
		}
	})
	t.Run("a failed look-up fails the invocation with its error name; the retry looks up again", func(t *testing.T) {
		look := &fakeLookUp{err: step.Errorf(contract.ErrTransient, "look up judgement: DescribeServices: throttled")}
		store := &fakeClaimer{answer: idempotency.Claim{Claimed: true, ClaimedBy: execID, Attempt: 1, FirstSeen: now, ExpiresAt: now.Add(time.Hour)}}
		h := &recordtask.Handler{Store: store, Now: func() time.Time { return now }, LookUp: look}
		if _, err := h.Triage(context.Background(), in); step.Name(err) != contract.ErrTransient {
			t.Fatalf("err = %v (%s), want %s", err, step.Name(err), contract.ErrTransient)
		}
		look.err = nil
		store.answer.Own = true
		st, err := h.Triage(context.Background(), in)
		if err != nil || st.Lookup == nil || st.Task.Duplicate || len(look.asked) != 2 || len(store.keys) != 2 {
			t.Fatalf("retry: err %v, state %+v, asked %d, claims %d", err, st, len(look.asked), len(store.keys))
		}
	})
	t.Run("a refused event is neither claimed nor looked up", func(t *testing.T) {
		look := &fakeLookUp{}
		store := &fakeClaimer{}
		h := &recordtask.Handler{Store: store, LookUp: look}
		_, err := h.Triage(context.Background(), contract.RecordTaskInput{Event: event(func(d map[string]any) { d["taskArn"] = "not an arn" }), ExecutionID: execID})
		if step.Name(err) != contract.ErrInvalidInput || len(store.keys) != 0 || len(look.asked) != 0 {
			t.Fatalf("err %v, claims %d, asked %d", err, len(store.keys), len(look.asked))
		}
	})
}
