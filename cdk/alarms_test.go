package main

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// alarmWant is one alarm the stack must have: its metric and the resource
// its dimension names.
type alarmWant struct {
	namespace, metric, statistic, dimension, value string
}

// wantAlarms are the stack's alarms by name: failed, timed-out and aborted
// executions of both state machines, the dead-letter queue's depth, and
// every function's errors (the approval endpoint's too).
func wantAlarms(s *synthed) map[string]alarmWant {
	want := map[string]alarmWant{}
	for name, sm := range map[string]string{"workflow": s.logicalID(s.cs.StateMachine), "triage": s.logicalID(s.cs.Triage)} {
		for suffix, metric := range map[string]string{"failed": "ExecutionsFailed", "timed-out": "ExecutionsTimedOut", "aborted": "ExecutionsAborted"} {
			want["EcsCompliance-"+name+"-executions-"+suffix] = alarmWant{"AWS/States", metric, "Sum", "StateMachineArn", sm}
		}
	}
	want["EcsCompliance-events-dead-letters"] = alarmWant{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "QueueName",
		s.logicalID(s.cs.DeadLetters) + ".QueueName"}
	for name, fn := range s.cs.Functions {
		want["EcsCompliance-"+name+"-errors"] = alarmWant{"AWS/Lambda", "Errors", "Sum", "FunctionName", s.logicalID(fn)}
	}
	if a := s.cs.Approval; a != nil {
		want["EcsCompliance-approval-callback-errors"] = alarmWant{"AWS/Lambda", "Errors", "Sum", "FunctionName", s.logicalID(a.Callback)}
	}
	return want
}

// Nothing fails silently: every alarm the issue lists exists, goes off at
// the first occurrence in five minutes, treats missing data as fine, and
// notifies the report topic.
func TestAlarmsWatchEveryFailureAndNotifyTheReportTopic(t *testing.T) {
	all(t, func(t *testing.T, s *synthed) {
		want := wantAlarms(s)
		got := map[string]bool{}
		for id, r := range s.typed("AWS::CloudWatch::Alarm") {
			p := props(r)
			name, _ := p["AlarmName"].(string)
			got[name] = true
			w, ok := want[name]
			if !ok {
				t.Errorf("unexpected alarm %s (%s)", name, id)
				continue
			}
			dims := list(p["Dimensions"])
			value := ""
			if len(dims) == 1 {
				d := dims[0].(map[string]any)
				if d["Name"] == w.dimension {
					value = render(d["Value"])
				}
			}
			if p["Namespace"] != w.namespace || p["MetricName"] != w.metric || p["Statistic"] != w.statistic || value != w.value {
				t.Errorf("%s watches %v %v %v %v, want %+v", name, p["Namespace"], p["MetricName"], p["Statistic"], dims, w)
			}
			for k, v := range map[string]any{
				"ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": float64(1),
				"EvaluationPeriods": float64(1), "DatapointsToAlarm": float64(1), "Period": float64(alarmPeriod * 60),
				"TreatMissingData": "notBreaching",
				"AlarmActions":     []any{map[string]any{"Ref": s.logicalID(s.cs.Topic)}},
			} {
				if !reflect.DeepEqual(p[k], v) {
					t.Errorf("%s: %s = %v, want %v", name, k, p[k], v)
				}
			}
			if d, _ := p["AlarmDescription"].(string); len(d) < 40 {
				t.Errorf("%s: description %q does not say what to do", name, d)
			}
		}
		for name := range want {
			if !got[name] {
				t.Errorf("no alarm %s", name)
			}
		}
	})
}

// statementsBySid are a policy document's statements by Sid.
func statementsBySid(t *testing.T, doc any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, st := range list(doc.(map[string]any)["Statement"]) {
		st := st.(map[string]any)
		sid, _ := st["Sid"].(string)
		if _, dup := out[sid]; dup || sid == "" {
			t.Errorf("statement without a unique Sid: %v", st)
		}
		out[sid] = st
	}
	return out
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The stack's key: administrators manage it, IAM may delegate the two
// publishing calls, and two services may use it for this stack only —
// CloudWatch for the stack's alarms publishing to the encrypted topic, and
// CloudWatch Logs for the stack's log groups. The report topic's policy
// lets the same alarms publish, over TLS only.
func TestStackKeyAndTopicLetOnlyThisStacksAlarmsAndLogsIn(t *testing.T) {
	all(t, func(t *testing.T, s *synthed) {
		e := s.env
		alarms := `{"ArnLike":{"aws:SourceArn":"` + e.arn("cloudwatch", "alarm:EcsCompliance-*") + `"},"StringEquals":{"aws:SourceAccount":"` + e.Account + `"}}`
		key := s.res[s.logicalID(s.cs.TopicKey)]
		sts := statementsBySid(t, props(key)["KeyPolicy"])
		if got := slices.Sorted(maps.Keys(sts)); !reflect.DeepEqual(got, []string{"KeyAdministration", "PublishersThroughIAM", "StackAlarmsPublishToTheTopic", "StackLogGroups"}) {
			t.Errorf("key policy statements %v", got)
		}
		if st := sts["StackAlarmsPublishToTheTopic"]; jsonOf(st["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` ||
			jsonOf(st["Action"]) != `["kms:Decrypt","kms:GenerateDataKey*"]` || jsonOf(st["Condition"]) != alarms {
			t.Errorf("CloudWatch's key statement = %s\nwant its condition %s", jsonOf(st), alarms)
		}
		logGroups := `{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":["` + e.arn("logs", "log-group:/aws/lambda/EcsCompliance-*") + `","` +
			e.arn("logs", "log-group:/aws/vendedlogs/states/EcsCompliance-*") + `"]}}`
		if st := sts["StackLogGroups"]; jsonOf(st["Principal"]) != `{"Service":"logs.`+e.Region+`.amazonaws.com"}` || jsonOf(st["Condition"]) != logGroups {
			t.Errorf("CloudWatch Logs' key statement = %s\nwant its condition %s", jsonOf(st), logGroups)
		}
		if st := sts["PublishersThroughIAM"]; jsonOf(st["Action"]) != `["kms:GenerateDataKey","kms:Decrypt"]` {
			t.Errorf("IAM delegation = %s", jsonOf(st))
		}
		if key["DeletionPolicy"] != "Retain" || props(key)["EnableKeyRotation"] != true {
			t.Errorf("key: deletion %v, rotation %v: want kept (the kept log groups need it) and rotated", key["DeletionPolicy"], props(key)["EnableKeyRotation"])
		}

		topic := s.logicalID(s.cs.Topic)
		if getAtt(props(s.res[topic])["KmsMasterKeyId"]) != s.logicalID(s.cs.TopicKey)+".Arn" {
			t.Errorf("report topic key = %v", props(s.res[topic])["KmsMasterKeyId"])
		}
		var policy any
		for _, r := range s.typed("AWS::SNS::TopicPolicy") {
			if topics := list(props(r)["Topics"]); len(topics) == 1 && ref(topics[0]) == topic {
				policy = props(r)["PolicyDocument"]
			}
		}
		if policy == nil {
			t.Fatal("the report topic has no policy")
		}
		sts = statementsBySid(t, policy)
		if sids := slices.Sorted(maps.Keys(sts)); !reflect.DeepEqual(sids, []string{"AllowPublishThroughSSLOnly", "StackAlarmsPublish"}) {
			t.Errorf("report topic policy statements %v", sids)
		}
		if st := sts["StackAlarmsPublish"]; st["Effect"] != "Allow" || jsonOf(st["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` ||
			st["Action"] != "sns:Publish" || ref(st["Resource"]) != topic || jsonOf(st["Condition"]) != alarms {
			t.Errorf("CloudWatch's topic statement = %s", jsonOf(st))
		}
		if st := sts["AllowPublishThroughSSLOnly"]; st["Effect"] != "Deny" || !strings.Contains(jsonOf(st["Condition"]), `"aws:SecureTransport":"false"`) {
			t.Errorf("TLS guard = %s", jsonOf(st))
		}
	})
}
