package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// The approval parts of the shared stacks: "configured" has approval=on,
// "default" approval off.

// approvalEnvWant is request-approval's environment: what approvalSeam
// gives it with approval on, nothing with approval off (it is never invoked
// then). No TOPIC_ARN: it never publishes to the report topic.
func approvalEnvWant(s *synthed) map[string]any {
	a := s.cs.Approval
	if a == nil {
		return nil
	}
	return map[string]any{
		"APPROVAL_TOPIC_ARN": map[string]any{"Ref": s.logicalID(a.Topic)},
		"APPROVALS_TABLE":    map[string]any{"Ref": s.logicalID(a.Table)},
		"SECRET_ARN":         map[string]any{"Ref": s.logicalID(a.Secret)},
		"CALLBACK_URL":       map[string]any{"Fn::GetAtt": []any{s.urlID(), "FunctionUrl"}},
	}
}

// approvalRequestGrants are request-approval's permissions: with approval on,
// publish to the approvers' topic (and its key), store the token, read the
// signing key; with approval off, none. Never the report topic.
func approvalRequestGrants(s *synthed) []string {
	a := s.cs.Approval
	if a == nil {
		return nil
	}
	key := s.logicalID(s.cs.TopicKey) + ".Arn"
	return []string{"sns:Publish " + s.logicalID(a.Topic), "kms:GenerateDataKey " + key, "kms:Decrypt " + key,
		"dynamodb:PutItem " + s.logicalID(a.Table) + ".Arn", "secretsmanager:GetSecretValue " + s.logicalID(a.Secret)}
}

// approvalResourceCounts are the resources approval=on adds, by type: the
// callback function (its role, default policy and log group), its SendTask
// policy, its URL and the URL's two permissions (lambda:InvokeFunctionUrl,
// and lambda:InvokeFunction only through the URL), the approvals table, the
// signing secret, the approvers' topic with its policy, and a subscription
// when approverEmail is set. TestResourceCounts checks them on every stack.
func approvalResourceCounts(s *synthed) map[string]float64 {
	a := s.cs.Approval
	if a == nil {
		return nil
	}
	subscriptions := 0.0
	if a.Settings.ApproverEmail != "" {
		subscriptions = 1
	}
	return map[string]float64{
		"AWS::Lambda::Function": 1, "AWS::IAM::Role": 1, "AWS::IAM::Policy": 2, "AWS::Logs::LogGroup": 1,
		"AWS::DynamoDB::Table": 1, "AWS::SecretsManager::Secret": 1, "AWS::Lambda::Url": 1,
		"AWS::Lambda::Permission": 2,
		"AWS::SNS::Topic":         1, "AWS::SNS::TopicPolicy": 1, "AWS::SNS::Subscription": subscriptions,
	}
}

// isApprovalPublishGuard reports whether st is the approvers' topic's Deny:
// sns:Publish by anyone but request-approval's role (TestNoWildcardActions
// allows it next to the TLS-only guards).
func isApprovalPublishGuard(s *synthed, st map[string]any) bool {
	a := s.cs.Approval
	if a == nil || st["Effect"] != "Deny" || st["Action"] != "sns:Publish" || ref(st["Resource"]) != s.logicalID(a.Topic) {
		return false
	}
	b, _ := json.Marshal(st["Condition"])
	want, _ := json.Marshal(map[string]any{"ArnNotEquals": map[string]any{
		"aws:PrincipalArn": map[string]any{"Fn::GetAtt": []any{s.logicalID(s.cs.Roles["request-approval"]), "Arn"}}}})
	return string(b) == string(want)
}

// urlID is the logical id of the function URL.
func (s *synthed) urlID() string {
	for id := range s.typed("AWS::Lambda::Url") {
		return id
	}
	return ""
}

// withoutBootstrap is a copy of the test assets without name's bootstrap.
func withoutBootstrap(t *testing.T, name string) string {
	dir := t.TempDir()
	for _, l := range append(slices.Clone(lambdaSpecs), approvalCallbackSpec) {
		if l.Name == name {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dir, l.Name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, l.Name, "bootstrap"), []byte("fake"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestApprovalOffAddsNothing(t *testing.T) {
	s := defaults(t)
	if s.cs.Approval != nil {
		t.Fatal("approval off built approval resources")
	}
	for _, typ := range []string{"AWS::SecretsManager::Secret", "AWS::Lambda::Url", "AWS::Lambda::Permission"} {
		if n := len(s.typed(typ)); n != 0 {
			t.Errorf("%d %s", n, typ)
		}
	}
	for id, r := range s.typed("AWS::Lambda::Function") {
		if d, _ := props(r)["Description"].(string); strings.Contains(d, "approval links") {
			t.Errorf("function %s is the approval endpoint", id)
		}
	}
	for _, r := range s.typed("AWS::IAM::Policy") {
		b, _ := json.Marshal(r)
		// (dynamodb:GetItem and UpdateItem are the judgement steps' too:
		// the request-approval role is checked below.)
		for _, a := range []string{"states:SendTask", "secretsmanager:", "ApprovalsTable"} {
			if strings.Contains(string(b), a) {
				t.Errorf("a policy allows %s with approval off: %s", a, b)
			}
		}
	}
	outputs := s.template.ToJSON()
	b, _ := json.Marshal((*outputs)["Outputs"])
	if strings.Contains(string(b), "Approval") {
		t.Errorf("approval outputs with approval off: %s", b)
	}
	if n := len(s.typed("AWS::SNS::Topic")); n != 1 {
		t.Errorf("%d topics with approval off, want the report topic only", n)
	}
	// request-approval is deployed (the workflow names it) but may do
	// nothing: it is never invoked.
	ra := s.cs.Functions["request-approval"]
	if env := props(s.res[s.logicalID(ra)])["Environment"]; env != nil {
		t.Errorf("request-approval environment with approval off: %v", env)
	}
	for _, line := range s.grantsOf(s.logicalID(s.cs.Roles["request-approval"])) {
		if !strings.Contains(line, " logs:") && !strings.Contains(line, " xray:") {
			t.Errorf("request-approval may %s with approval off", line)
		}
	}
}

func TestApprovalOnAddsTheEndpointTheSecretAndTheTable(t *testing.T) {
	s := configured(t)
	a := s.cs.Approval
	if a == nil {
		t.Fatal("approval on built no approval resources")
	}
	secret := props(s.res[s.logicalID(a.Secret)])
	if got, want := secret["GenerateSecretString"], map[string]any{"PasswordLength": float64(64), "ExcludePunctuation": true, "IncludeSpace": false}; !reflect.DeepEqual(got, want) {
		t.Errorf("secret generation = %v, want %v", got, want)
	}
	if _, ok := secret["SecretString"]; ok {
		t.Error("the secret's value is in the template")
	}

	table := props(s.res[s.logicalID(a.Table)])
	for k, want := range map[string]any{
		"KeySchema":                        []any{map[string]any{"AttributeName": "reference", "KeyType": "HASH"}},
		"AttributeDefinitions":             []any{map[string]any{"AttributeName": "reference", "AttributeType": "S"}},
		"BillingMode":                      "PAY_PER_REQUEST",
		"TimeToLiveSpecification":          map[string]any{"AttributeName": "deleteAt", "Enabled": true},
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
	} {
		if !reflect.DeepEqual(table[k], want) {
			t.Errorf("approvals table %s = %v, want %v", k, table[k], want)
		}
	}

	callback := s.logicalID(a.Callback)
	url := props(s.res[s.urlID()])
	if want := (map[string]any{"AuthType": "NONE", "InvokeMode": "BUFFERED", "TargetFunctionArn": map[string]any{"Fn::GetAtt": []any{callback, "Arn"}}}); !reflect.DeepEqual(url, want) {
		t.Errorf("function URL = %v, want %v (no CORS: only the page's own form posts)", url, want)
	}
	perms := s.typed("AWS::Lambda::Permission")
	actions := []string{}
	for _, p := range perms {
		pp := props(p)
		actions = append(actions, pp["Action"].(string))
		if getAtt(pp["FunctionName"]) != callback+".Arn" || pp["Principal"] != "*" {
			t.Errorf("permission %v is not the callback's public URL", pp)
		}
		if pp["Action"] == "lambda:InvokeFunctionUrl" && pp["FunctionUrlAuthType"] != "NONE" {
			t.Errorf("permission %v", pp)
		}
		if pp["Action"] == "lambda:InvokeFunction" && pp["InvokedViaFunctionUrl"] != true {
			t.Errorf("lambda:InvokeFunction for everyone, not only through the URL: %v", pp)
		}
	}
	sort.Strings(actions)
	if !reflect.DeepEqual(actions, []string{"lambda:InvokeFunction", "lambda:InvokeFunctionUrl"}) {
		t.Errorf("URL permissions %v", actions)
	}

	fn := props(s.res[callback])
	for k, want := range map[string]any{"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
		"MemorySize": approvalCallbackSpec.MemoryMB, "Timeout": approvalCallbackSpec.TimeoutSeconds, "TracingConfig": map[string]any{"Mode": "Active"}} {
		if !reflect.DeepEqual(fn[k], want) {
			t.Errorf("callback %s = %v, want %v", k, fn[k], want)
		}
	}
	env, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	if want := (map[string]any{"APPROVALS_TABLE": map[string]any{"Ref": s.logicalID(a.Table)}, "SECRET_ARN": map[string]any{"Ref": s.logicalID(a.Secret)}}); !reflect.DeepEqual(env, want) {
		t.Errorf("callback environment = %v, want %v", env, want)
	}
	lg := s.res[ref(fn["LoggingConfig"].(map[string]any)["LogGroup"])]
	if lg == nil || props(lg)["RetentionInDays"] != float64(s.cs.Settings.LogRetentionDays) {
		t.Errorf("callback log group = %v", lg)
	}

	outputs := s.template.ToJSON()
	out, _ := (*outputs)["Outputs"].(map[string]any)
	for id, want := range map[string]any{
		"ApprovalCallbackUrl": map[string]any{"Fn::GetAtt": []any{s.urlID(), "FunctionUrl"}},
		"ApprovalsTableName":  map[string]any{"Ref": s.logicalID(a.Table)},
		"ApprovalSecretArn":   map[string]any{"Ref": s.logicalID(a.Secret)},
	} {
		o, _ := out[id].(map[string]any)
		if !reflect.DeepEqual(o["Value"], want) {
			t.Errorf("output %s = %v, want %v", id, o["Value"], want)
		}
	}
}

// The callback's role has exactly: its log group, X-Ray, get and update on the
// approvals table, the signing secret, and SendTaskSuccess/SendTaskFailure on
// this state machine — the last in a policy of its own (the cycle).
func TestApprovalCallbackRoleIsLeastPrivilege(t *testing.T) {
	s := configured(t)
	a := s.cs.Approval
	roleID := s.logicalID(a.CallbackRole)
	fn := props(s.res[s.logicalID(a.Callback)])
	logs := ref(fn["LoggingConfig"].(map[string]any)["LogGroup"]) + ".Arn"
	table, secret, sm := s.logicalID(a.Table)+".Arn", s.logicalID(a.Secret), s.logicalID(s.cs.StateMachine)
	want := []string{
		"Allow logs:CreateLogStream " + logs, "Allow logs:PutLogEvents " + logs,
		"Allow xray:PutTraceSegments *", "Allow xray:PutTelemetryRecords *",
		"Allow dynamodb:GetItem " + table, "Allow dynamodb:UpdateItem " + table,
		"Allow secretsmanager:GetSecretValue " + secret,
		"Allow states:SendTaskSuccess " + sm, "Allow states:SendTaskFailure " + sm,
	}
	sort.Strings(want)
	if got := s.grantsOf(roleID); !reflect.DeepEqual(got, want) {
		t.Errorf("callback role:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	if getAtt(fn["Role"]) != roleID+".Arn" {
		t.Errorf("the callback runs as %v", fn["Role"])
	}

	policy := s.logicalID(a.SendTaskPolicy)
	b, _ := json.Marshal(props(s.res[policy]))
	if !strings.Contains(string(b), "states:SendTaskSuccess") || strings.Contains(string(b), "dynamodb:") {
		t.Errorf("the SendTask policy %s = %s", policy, b)
	}
	if deps := list(s.res[s.logicalID(a.Callback)]["DependsOn"]); slices.Contains(deps, any(policy)) {
		t.Errorf("the callback function waits for the SendTask policy (a cycle): %v", deps)
	}

	// Nobody else may read the secret, touch the approvals table or answer
	// the workflow's tokens.
	owners := map[string]bool{roleID: true, s.logicalID(s.cs.Roles["request-approval"]): true}
	for id, r := range s.typed("AWS::IAM::Policy") {
		b, _ := json.Marshal(props(r)["PolicyDocument"])
		if !strings.Contains(string(b), secret) && !strings.Contains(string(b), s.logicalID(a.Table)) && !strings.Contains(string(b), "states:SendTask") {
			continue
		}
		for _, role := range list(props(r)["Roles"]) {
			if !owners[ref(role)] {
				t.Errorf("policy %s gives role %s approval permissions: %s", id, ref(role), b)
			}
		}
	}
}

// CloudFormation refuses a template whose resources depend on each other in
// a circle; approval=on is where one could appear (see approvalSeam).
func TestTemplateHasNoDependencyCycle(t *testing.T) {
	both(t, func(t *testing.T, s *synthed) {
		deps := map[string][]string{}
		for id, r := range s.res {
			seen := map[string]bool{}
			var walk func(v any)
			walk = func(v any) {
				switch v := v.(type) {
				case map[string]any:
					if r, ok := v["Ref"].(string); ok && s.res[r] != nil {
						seen[r] = true
					}
					if g, ok := v["Fn::GetAtt"].([]any); ok && len(g) == 2 {
						if r, _ := g[0].(string); s.res[r] != nil {
							seen[r] = true
						}
					}
					if sub, ok := v["Fn::Sub"]; ok {
						str, _ := sub.(string)
						if l, ok := sub.([]any); ok && len(l) > 0 {
							str, _ = l[0].(string)
						}
						for other := range s.res {
							if strings.Contains(str, "${"+other+"}") || strings.Contains(str, "${"+other+".") {
								seen[other] = true
							}
						}
					}
					for _, c := range v {
						walk(c)
					}
				case []any:
					for _, c := range v {
						walk(c)
					}
				}
			}
			walk(r["Properties"])
			for _, d := range list(r["DependsOn"]) {
				seen[d.(string)] = true
			}
			for d := range seen {
				deps[id] = append(deps[id], d)
			}
		}
		if c := findCycle(deps); c != nil {
			t.Errorf("dependency cycle: %s", strings.Join(c, " -> "))
		}
		// The walk sees the edges that matter here.
		edge := func(from, to string) {
			if !slices.Contains(deps[from], to) {
				t.Errorf("no dependency %s -> %s found: the walk is broken", from, to)
			}
		}
		sm, ra := s.logicalID(s.cs.StateMachine), s.logicalID(s.cs.Functions["request-approval"])
		edge(sm, ra)
		if a := s.cs.Approval; a != nil {
			edge(ra, s.urlID())
			edge(s.logicalID(a.SendTaskPolicy), sm)
			edge(s.logicalID(a.SendTaskPolicy), s.logicalID(a.CallbackRole))
		}
	})
}

// findCycle returns a dependency cycle of deps (id -> what it depends on),
// or nil.
func findCycle(deps map[string][]string) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var path, cycle []string
	var visit func(id string) bool
	visit = func(id string) bool {
		color[id] = grey
		path = append(path, id)
		for _, d := range deps[id] {
			if color[d] == grey {
				cycle = append(slices.Clone(path[slices.Index(path, d):]), d)
				return true
			}
			if color[d] == white && visit(d) {
				return true
			}
		}
		path = path[:len(path)-1]
		color[id] = black
		return false
	}
	ids := make([]string, 0, len(deps))
	for id := range deps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if color[id] == white && visit(id) {
			return cycle
		}
	}
	return nil
}

func TestFindCycle(t *testing.T) {
	tests := []struct {
		name string
		deps map[string][]string
		want []string
	}{
		{"no cycle", map[string][]string{"A": {"B"}, "B": {"C"}, "D": {"C"}}, nil},
		{"the approval cycle", map[string][]string{"RequestApproval": {"Url"}, "Url": {"Callback"}, "Callback": {"CallbackPolicy"},
			"CallbackPolicy": {"Workflow"}, "Workflow": {"RequestApproval"}},
			[]string{"Callback", "CallbackPolicy", "Workflow", "RequestApproval", "Url", "Callback"}},
		{"a self-dependency", map[string][]string{"A": {"A"}}, []string{"A", "A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findCycle(tt.deps); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findCycle = %v, want %v", got, tt.want)
			}
		})
	}
}

// Approval requests go to the approvers' topic only: a topic of its own,
// encrypted, TLS-only, that only request-approval may publish to (a Deny in
// the topic's policy binds the whole account), and request-approval may
// publish nowhere else.
func TestApprovalRequestsGoOnlyToTheApproversTopic(t *testing.T) {
	s := configured(t)
	a := s.cs.Approval
	topic, reports := s.logicalID(a.Topic), s.logicalID(s.cs.Topic)
	tp := props(s.res[topic])
	if getAtt(tp["KmsMasterKeyId"]) != s.logicalID(s.cs.TopicKey)+".Arn" {
		t.Errorf("approvers' topic encryption = %v", tp["KmsMasterKeyId"])
	}
	var policy map[string]any
	for _, r := range s.typed("AWS::SNS::TopicPolicy") {
		if topics := list(props(r)["Topics"]); len(topics) == 1 && ref(topics[0]) == topic {
			policy = props(r)["PolicyDocument"].(map[string]any)
		}
	}
	if policy == nil {
		t.Fatal("the approvers' topic has no policy")
	}
	tls, guard := false, false
	for _, st := range list(policy["Statement"]) {
		st := st.(map[string]any)
		b, _ := json.Marshal(st["Condition"])
		switch {
		case st["Effect"] == "Deny" && string(b) == `{"Bool":{"aws:SecureTransport":"false"}}`:
			tls = true
		case isApprovalPublishGuard(s, st):
			guard = true
			if !reflect.DeepEqual(st["Principal"], map[string]any{"AWS": "*"}) {
				t.Errorf("the guard binds %v, want every principal", st["Principal"])
			}
		default:
			t.Errorf("unexpected statement on the approvers' topic: %v", st)
		}
	}
	if !tls || !guard {
		t.Errorf("approvers' topic policy: TLS-only %t, only request-approval publishes %t", tls, guard)
	}

	// Who may publish where: request-approval to the approvers' topic only;
	// nobody else to it.
	requestRole := s.logicalID(s.cs.Roles["request-approval"])
	for id, r := range s.typed("AWS::IAM::Role") {
		for _, line := range s.grantsOf(id) {
			if !strings.Contains(line, "sns:Publish") {
				continue
			}
			switch {
			case id == requestRole && line != "Allow sns:Publish "+topic:
				t.Errorf("request-approval may %s", line)
			case id != requestRole && strings.HasSuffix(line, " "+topic):
				t.Errorf("role %s may publish approval requests: %s (%v)", id, line, props(r)["Description"])
			}
		}
	}
	env := props(s.res[s.logicalID(s.cs.Functions["request-approval"])])["Environment"].(map[string]any)["Variables"].(map[string]any)
	if ref(env["APPROVAL_TOPIC_ARN"]) != topic || env["TOPIC_ARN"] != nil {
		t.Errorf("request-approval environment = %v, want APPROVAL_TOPIC_ARN and no report topic", env)
	}
	// approverEmail on the approvers' topic only, notificationEmail on the
	// report topic only.
	subscribed := map[string]string{}
	for _, r := range s.typed("AWS::SNS::Subscription") {
		p := props(r)
		if p["Protocol"] != "email" {
			t.Errorf("subscription %v", p)
		}
		subscribed[fmt.Sprint(p["Endpoint"])] = ref(p["TopicArn"])
	}
	if want := (map[string]string{a.Settings.ApproverEmail: topic, s.cs.Settings.NotificationEmail: reports}); a.Settings.ApproverEmail == "" ||
		!reflect.DeepEqual(subscribed, want) {
		t.Errorf("subscriptions (address: topic) %v, want %v", subscribed, want)
	}
	out, _ := (*s.template.ToJSON())["Outputs"].(map[string]any)
	if o, _ := out["ApprovalTopicArn"].(map[string]any); ref(o["Value"]) != topic {
		t.Errorf("output ApprovalTopicArn = %v", o)
	}
}

// The "done when": the template reserves concurrency for the
// callback (approvalCallbackConcurrency, 3 in the configured stack; the
// default 5 is TestParseApprovalSettings'), so that a flood on its public
// URL gets 429 instead of the account's concurrency.
func TestApprovalCallbackHasReservedConcurrency(t *testing.T) {
	s := configured(t)
	fn := props(s.res[s.logicalID(s.cs.Approval.Callback)])
	if want := s.cs.Approval.Settings.CallbackConcurrency; want != 3 || fn["ReservedConcurrentExecutions"] != float64(want) {
		t.Errorf("callback ReservedConcurrentExecutions = %v, want %d (configuredContext's 3)", fn["ReservedConcurrentExecutions"], want)
	}
	for name, f := range s.cs.Functions {
		if r := props(s.res[s.logicalID(f)])["ReservedConcurrentExecutions"]; r != nil {
			t.Errorf("%s reserves %v: only the public endpoint needs a cap", name, r)
		}
	}
}

func TestParseApprovalSettings(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want ApprovalSettings
		err  string
	}{
		{"defaults", map[string]any{}, ApprovalSettings{CallbackConcurrency: DefaultApprovalCallbackConcurrency}, ""},
		{"an approvers' address and a concurrency from -c", map[string]any{"approverEmail": " approvers@example.com ", "approvalCallbackConcurrency": "3"},
			ApprovalSettings{ApproverEmail: "approvers@example.com", CallbackConcurrency: 3}, ""},
		{"a concurrency from cdk.json", map[string]any{"approvalCallbackConcurrency": float64(10)},
			ApprovalSettings{CallbackConcurrency: 10}, ""},
		{"an address with a display name", map[string]any{"approverEmail": "Approvers <approvers@example.com>"}, ApprovalSettings{}, `"approverEmail"`},
		{"not an address", map[string]any{"approverEmail": "approvers"}, ApprovalSettings{}, `"approverEmail"`},
		{"a concurrency of 0 would turn the endpoint off", map[string]any{"approvalCallbackConcurrency": "0"}, ApprovalSettings{}, `"approvalCallbackConcurrency"`},
		{"a concurrency above the cap", map[string]any{"approvalCallbackConcurrency": "101"}, ApprovalSettings{}, "outside 1..100"},
		{"a concurrency that is not a number", map[string]any{"approvalCallbackConcurrency": "five"}, ApprovalSettings{}, "whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseApprovalSettings(func(k string) any { return tt.ctx[k] })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("= %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// A bad approval setting fails the synth (an error annotation: `cdk synth`
// and `cdk deploy` stop on it), naming each bad setting; approverEmail with
// approval off is a warning. Good ones reach the template with no error:
// the configured stack (TestApprovalCallbackHasReservedConcurrency,
// TestApprovalRequestsGoOnlyToTheApproversTopic, TestNagReportsNoUnsuppressedFinding).
func TestBadApprovalSettingsFailTheSynth(t *testing.T) {
	bad, err := synth(map[string]any{"approval": "off", "approverEmail": "approvers", "approvalCallbackConcurrency": "0"}, "123456789012", "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	errs := *assertions.Annotations_FromStack(bad.cs.Stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("approverEmail")))
	if len(errs) != 1 {
		t.Fatalf("want one error naming the bad approval settings, got %d", len(errs))
	}
	b, _ := json.Marshal(errs[0])
	if !strings.Contains(string(b), "approvalCallbackConcurrency") {
		t.Errorf("the error does not name approvalCallbackConcurrency: %s", b)
	}
	warnings := *assertions.Annotations_FromStack(bad.cs.Stack).FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("approverEmail.*approval is off")))
	if len(warnings) != 1 {
		t.Errorf("want one warning that approverEmail is set with approval off, got %d", len(warnings))
	}
}
