package main

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// What README.md and cdk/README.md state about the stack, in numbers: a
// change that makes one of them wrong fails here, naming the README to fix.
func TestStackFiguresInTheREADMEs(t *testing.T) {
	if len(lambdaSpecs) != 14 {
		t.Errorf("%d Lambda functions, the READMEs say fourteen (fifteen with approval on)", len(lambdaSpecs))
	}
	// "96 resources plus one parameter per policy file": the first deploy
	// (no context).
	s := defaults(t)
	if n := len(s.res) - len(s.files); n != 96 {
		t.Errorf("%d resources besides the policy parameters, the READMEs say 96", n)
	}
	if n, c := len(s.typed("AWS::CloudWatch::Alarm")), len(configured(t).typed("AWS::CloudWatch::Alarm")); n != 21 || c != 22 {
		t.Errorf("%d alarms, %d with approval on; cdk/README.md says 21 and 22", n, c)
	}
	outputs, _ := (*s.template.ToJSON())["Outputs"].(map[string]any)
	if got, want := slices.Sorted(maps.Keys(outputs)), []string{"DeadLetterQueueUrl", "IdempotencyTableName", "JudgementsTableName",
		"Mode", "PolicyBundleHash", "PolicyPath", "StateMachineArn", "TopicArn", "TriageArn"}; !reflect.DeepEqual(got, want) {
		t.Errorf("outputs %v, cdk/README.md lists %v", got, want)
	}
	// The machines' own limits: the triage's 240 s (Express allows 300),
	// the workflow's 35 days (TestApprovalWaitEndsBeforeTheWorkflowTimesOut
	// checks the margin).
	for _, m := range []struct {
		name, asl string
		want      float64
	}{{"triage", testTriage, 240}, {"workflow", testASL, 35 * 24 * 3600}} {
		var def struct{ TimeoutSeconds float64 }
		if err := json.Unmarshal([]byte(m.asl), &def); err != nil {
			t.Fatal(err)
		}
		if def.TimeoutSeconds != m.want {
			t.Errorf("the %s's TimeoutSeconds is %v, cdk/README.md says %v", m.name, def.TimeoutSeconds, m.want)
		}
	}
	// "134 with the 38-file bundle shipped today": the registrations-off
	// stack deploys the shipped bundle, without the registration rule.
	if r := registrationsOff(t); len(r.files) != 38 || len(r.res)+1 != 134 {
		t.Errorf("the shipped bundle has %d files, the default stack would have %d resources: README.md and cdk/README.md say 38 and 134",
			len(r.files), len(r.res)+1)
	}
}

// The threat model (README.md): the stack's roles are assumed only by their
// service, and "nothing in the stack can create, delete or modify IAM, run
// tasks, register task definitions, delete services or task definitions, or
// reach another account or region". Every Allow statement of every policy
// document, identity and resource policies alike.
func TestNoRoleCanChangeIAMRunTasksOrReachElsewhere(t *testing.T) {
	forbidden := []string{"iam:", "sts:", "ecs:RunTask", "ecs:StartTask", "ecs:RegisterTaskDefinition", "ecs:CreateService",
		"ecs:DeleteService", "ecs:DeleteTaskDefinitions", "ecs:DeleteCluster", "lambda:UpdateFunction", "states:UpdateStateMachine"}
	all(t, func(t *testing.T, s *synthed) {
		own := ":" + s.env.Region + ":" + s.env.Account + ":"
		allows := 0
		for id, r := range s.res {
			// Trust policies (sts:AssumeRole for a service) are checked below.
			p := maps.Clone(props(r))
			delete(p, "AssumeRolePolicyDocument")
			walkPolicies(p, func(st map[string]any) {
				if st["Effect"] != "Allow" {
					return
				}
				allows++
				for _, a := range list(st["Action"]) {
					a, _ := a.(string)
					for _, f := range forbidden {
						if strings.HasPrefix(a, f) {
							t.Errorf("%s allows %s", id, a)
						}
					}
				}
				for _, res := range list(st["Resource"]) {
					// Literal ARNs are this account's and region's (a
					// resource of the stack is a Ref or GetAtt).
					if arn, ok := res.(string); ok && arn != "*" && !strings.Contains(arn, own) {
						t.Errorf("%s reaches %s, outside %s", id, arn, own)
					}
				}
			})
		}
		// 17 roles' policies, the key's, topics' and queue's: a walk that
		// finds fewer is broken.
		if allows < 40 {
			t.Errorf("walked %d Allow statements: the walk is broken", allows)
		}
		roles := s.typed("AWS::IAM::Role")
		if len(roles) < len(lambdaSpecs)+3 {
			t.Errorf("%d roles", len(roles))
		}
		for id, r := range roles {
			trust := props(r)["AssumeRolePolicyDocument"].(map[string]any)
			for _, st := range list(trust["Statement"]) {
				st := st.(map[string]any)
				p, _ := st["Principal"].(map[string]any)
				svc, _ := p["Service"].(string)
				if len(p) != 1 || !slices.Contains([]string{"lambda.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com"}, svc) {
					t.Errorf("role %s may be assumed by %v, not only by its service", id, st["Principal"])
				}
			}
		}
	})
}

// README.md, "Retries": every Task state of both machines retries up to 6 (Record task 10)
// times, 1 s doubling to at most 30 s, with full jitter — a Lambda's
// service errors, its timeouts and the steps' Compliance.Transient — and
// anything else goes to Report failure (Report failure itself to the
// machine's Fail state; a Parallel branch's states through their Parallel).
func TestEveryTaskStateRetriesAndReportsFailures(t *testing.T) {
	lambdaErrors := []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
		"Lambda.TooManyRequestsException", "Compliance.Transient"}
	type state struct {
		Type, Resource string
		Retry          []struct {
			ErrorEquals                  []string
			IntervalSeconds, BackoffRate float64
			MaxAttempts, MaxDelaySeconds float64
			JitterStrategy               string
		}
		Catch []struct {
			ErrorEquals []string
			Next        string
		}
		Branches []struct{ States map[string]json.RawMessage }
	}
	tasks := 0
	var walk func(machine string, states map[string]json.RawMessage, inBranch bool)
	walk = func(machine string, states map[string]json.RawMessage, inBranch bool) {
		for name, raw := range states {
			var st state
			if err := json.Unmarshal(raw, &st); err != nil {
				t.Fatal(err)
			}
			for _, b := range st.Branches {
				walk(machine, b.States, true)
			}
			if st.Type != "Task" && st.Type != "Parallel" {
				continue
			}
			where := machine + ": " + name
			if !inBranch {
				last := st.Catch[max(len(st.Catch)-1, 0):]
				want := "Report failure"
				if name == "Report failure" {
					want = map[string]string{"workflow": "Workflow failed", "triage": "Triage failed"}[machine]
				}
				if len(last) != 1 || !reflect.DeepEqual(last[0].ErrorEquals, []string{"States.ALL"}) || last[0].Next != want {
					t.Errorf("%s: last Catch %+v, want States.ALL to %s", where, last, want)
				}
			}
			if st.Type != "Task" {
				continue
			}
			tasks++
			if len(st.Retry) != 1 {
				t.Errorf("%s: %d Retry entries, want one", where, len(st.Retry))
				continue
			}
			r := st.Retry[0]
			// Record task makes about six AWS calls (the claim and the
			// judgement's look-up): 10 attempts, as the README says.
			attempts := 6.0
			if where == "triage: Record task" {
				attempts = 10
			}
			if r.IntervalSeconds != 1 || r.BackoffRate != 2 || r.MaxAttempts != attempts || r.MaxDelaySeconds != 30 || r.JitterStrategy != "FULL" {
				t.Errorf("%s: Retry %+v, want %v attempts, 1 s doubling to 30 s, full jitter", where, r, attempts)
			}
			lambda := strings.Contains(string(raw), "FunctionArn}")
			for _, e := range lambdaErrors {
				if lambda && !slices.Contains(r.ErrorEquals, e) {
					t.Errorf("%s does not retry %s", where, e)
				}
			}
			// A wait for a person times out by design (the approval's
			// TIMED_OUT branch); every other Task's timeout is retried.
			if !strings.HasSuffix(st.Resource, ".waitForTaskToken") && !slices.Contains(r.ErrorEquals, "States.Timeout") {
				t.Errorf("%s does not retry States.Timeout", where)
			}
		}
	}
	for machine, asl := range map[string]string{"workflow": testASL, "triage": testTriage} {
		var def struct{ States map[string]json.RawMessage }
		if err := json.Unmarshal([]byte(asl), &def); err != nil {
			t.Fatal(err)
		}
		walk(machine, def.States, false)
	}
	if tasks < 15 {
		t.Errorf("walked %d Task states: the walk is broken", tasks)
	}
}
