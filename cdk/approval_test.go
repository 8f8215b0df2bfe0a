package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The approval parts of the shared stacks: "configured" has approval=on,
// "default" approval off.

// approvalEnvWant is what approval=on adds to request-approval's environment.
func approvalEnvWant(s *synthed) map[string]any {
	a := s.cs.Approval
	if a == nil {
		return nil
	}
	return map[string]any{
		"APPROVALS_TABLE": map[string]any{"Ref": s.logicalID(a.Table)},
		"SECRET_ARN":      map[string]any{"Ref": s.logicalID(a.Secret)},
		"CALLBACK_URL":    map[string]any{"Fn::GetAtt": []any{s.urlID(), "FunctionUrl"}},
	}
}

// approvalRequestGrants is what approval=on adds to request-approval's role:
// store the token, read the signing key. (It publishes with approval off
// too: the topic and its key.)
func approvalRequestGrants(s *synthed) []string {
	a := s.cs.Approval
	if a == nil {
		return nil
	}
	return []string{"dynamodb:PutItem " + s.logicalID(a.Table) + ".Arn", "secretsmanager:GetSecretValue " + s.logicalID(a.Secret)}
}

// approvalURLPermissions counts the function URL's resource-policy
// statements: invoking through the URL needs lambda:InvokeFunctionUrl and
// lambda:InvokeFunction (the latter only via the URL).
func approvalURLPermissions(s *synthed) float64 {
	if s.cs.Approval == nil {
		return 0
	}
	return 2
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
		for _, a := range []string{"states:SendTask", "secretsmanager:", "dynamodb:GetItem", "dynamodb:UpdateItem"} {
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
