package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/statemachine"
)

// The CDK tests synthesize two stacks once each (jsii starts a Node process
// and a synth takes seconds) and share them: "default" with no context, as
// a first deploy, and "configured" with every setting given.

var testAssetRoot string

// testASL is statemachine/workflow.asl.json.
var testASL = statemachine.Definition

func TestMain(m *testing.M) {
	os.Exit(func() int {
		if os.Getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION") == "" {
			os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
		}
		defer jsii.Close()
		defer func() {
			for _, d := range outdirs {
				os.RemoveAll(d)
			}
		}()
		dir, err := os.MkdirTemp("", "ecs-compliance-cdk-assets-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		// Fake bootstraps, distinct so that each function gets its own asset.
		for _, l := range append(slices.Clone(lambdaSpecs), approvalCallbackSpec) {
			if err := os.MkdirAll(filepath.Join(dir, l.Name), 0o755); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			if err := os.WriteFile(filepath.Join(dir, l.Name, "bootstrap"), []byte("fake bootstrap of "+l.Name+"\n"), 0o755); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		testAssetRoot = dir
		return m.Run()
	}())
}

// testPolicy is a small bundle: data.json, a module, a module over the
// Standard tier's 4 KB, and a test (not deployed).
var testPolicy = fstest.MapFS{
	"data.json":                    {Data: []byte(`{"ecs": {"config": {"registries": [], "enforcement": {"image_tag": "warn"}}}}`)},
	"ecs/compliance/decision.rego": {Data: []byte("package ecs.compliance\n\ndecision := {\"compliant\": true}\n")},
	"ecs/lib/lib.rego":             {Data: []byte("package ecs.lib\n\n" + strings.Repeat("# padding to pass the Standard tier's 4 KB\n", 110))},
	"ecs/lib/lib_test.rego":        {Data: []byte("package ecs.lib_test\n")},
}

type synthed struct {
	cs       *ComplianceStack
	app      awscdk.App
	outdir   string
	template assertions.Template
	res      map[string]map[string]any // logical id -> resource
	files    map[string]string
	env      stackEnv
}

// typed returns the resources of one type, by logical id.
func (s *synthed) typed(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.res {
		if r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// logicalID of an L2 construct's resource.
func (s *synthed) logicalID(c constructs.IConstruct) string {
	return *s.cs.Stack.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

var (
	defaultOnce, configuredOnce sync.Once
	defaultStack, configStack   *synthed
	defaultErr, configErr       error
)

var configuredContext = map[string]any{
	"mode":                   "enforce",
	"approval":               "on",
	"approvalTimeoutSeconds": float64(3600),
	"approvedRegistries":     []any{"ghcr.io/acme", "111122223333.dkr.ecr.eu-west-1.amazonaws.com"},
	"notificationEmail":      "secops@example.com",
	"excludedClusters":       "sandbox,arn:aws:ecs:eu-west-1:111122223333:cluster/ci",
	"logRetentionDays":       float64(90),
	"policyPath":             "/platform/ecs-policy",
}

// outdirs are the synthesized assemblies, removed after the tests.
var outdirs []string

func synth(ctx map[string]any, account, region string) (*synthed, error) {
	outdir, err := os.MkdirTemp("", "ecs-compliance-cdk-out-")
	if err != nil {
		return nil, err
	}
	outdirs = append(outdirs, outdir)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	settings, err := ParseSettings(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) })
	if err != nil {
		return nil, err
	}
	addNagChecks(app)
	cs, err := NewComplianceStack(app, "EcsCompliance", &StackProps{
		StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}},
		Settings:   settings,
		AssetRoot:  testAssetRoot,
		Policy:     testPolicy,
		Definition: testASL,
	})
	if err != nil {
		return nil, err
	}
	files, err := PolicyFiles(testPolicy, settings)
	if err != nil {
		return nil, err
	}
	tmpl := assertions.Template_FromStack(cs.Stack, nil)
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		return nil, err
	}
	var doc struct {
		Resources map[string]map[string]any
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	return &synthed{cs: cs, app: app, outdir: outdir, template: tmpl, res: doc.Resources, files: files,
		env: stackEnv{Partition: "aws", Region: region, Account: account}}, nil
}

func defaults(t *testing.T) *synthed {
	t.Helper()
	defaultOnce.Do(func() { defaultStack, defaultErr = synth(map[string]any{}, "123456789012", "us-east-1") })
	if defaultErr != nil {
		t.Fatalf("synth: %v", defaultErr)
	}
	return defaultStack
}

func configured(t *testing.T) *synthed {
	t.Helper()
	configuredOnce.Do(func() { configStack, configErr = synth(configuredContext, "111122223333", "eu-west-1") })
	if configErr != nil {
		t.Fatalf("synth: %v", configErr)
	}
	return configStack
}

// both runs f on both stacks as subtests.
func both(t *testing.T, f func(t *testing.T, s *synthed)) {
	t.Run("default", func(t *testing.T) { f(t, defaults(t)) })
	t.Run("configured", func(t *testing.T) { f(t, configured(t)) })
}

// assert turns a failed assertions-package check (a jsii panic) into a test
// error.
func assert(t *testing.T, what string, check func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	check()
}

func TestResourceCounts(t *testing.T) {
	n := float64(len(lambdaSpecs))
	both(t, func(t *testing.T, s *synthed) {
		subscriptions := 0.0
		if s.cs.Settings.NotificationEmail != "" {
			subscriptions = 1
		}
		// approval=on adds the callback function (its role, default policy
		// and log group), its SendTask policy, its URL and the URL's
		// permission, the approvals table and the signing secret.
		approval := 0.0
		if s.cs.Settings.Approval == "on" {
			approval = 1
		}
		for typ, want := range map[string]float64{
			"AWS::Lambda::Function":            n + approval,
			"AWS::IAM::Role":                   n + 2 + approval, // + the state machine's and the rule target's
			"AWS::IAM::Policy":                 n + 2 + 2*approval,
			"AWS::Logs::LogGroup":              n + 1 + approval, // + the workflow's
			"AWS::StepFunctions::StateMachine": 1,
			"AWS::Events::Rule":                1,
			"AWS::SQS::Queue":                  1,
			"AWS::SQS::QueuePolicy":            1,
			"AWS::SNS::Topic":                  1,
			"AWS::SNS::TopicPolicy":            1,
			"AWS::SNS::Subscription":           subscriptions,
			"AWS::KMS::Key":                    1,
			"AWS::DynamoDB::Table":             1 + approval,
			"AWS::SecretsManager::Secret":      approval,
			"AWS::Lambda::Url":                 approval,
			"AWS::SSM::Parameter":              float64(len(s.files)),
			"AWS::IAM::ManagedPolicy":          0,
			"AWS::Lambda::Permission":          approvalURLPermissions(s),
			"Custom::LogRetention":             0,
		} {
			assert(t, typ, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(want)) })
		}
	})
}

func TestRuleCatchesTasksAboutToRun(t *testing.T) {
	tests := []struct {
		name   string
		stack  func(*testing.T) *synthed
		detail map[string]any
	}{
		{"default: every cluster", defaults, map[string]any{
			"desiredStatus": []any{"RUNNING"},
			"lastStatus":    []any{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"},
		}},
		{"configured: excluded clusters by ARN, names resolved in the stack's account and region", configured, map[string]any{
			"desiredStatus": []any{"RUNNING"},
			"lastStatus":    []any{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"},
			"clusterArn": []any{map[string]any{"anything-but": []any{
				"arn:aws:ecs:eu-west-1:111122223333:cluster/ci",
				"arn:aws:ecs:eu-west-1:111122223333:cluster/sandbox",
			}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.stack(t)
			sm, dlq := s.logicalID(s.cs.StateMachine), s.logicalID(s.cs.DeadLetters)
			assert(t, "rule", func() {
				s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), &map[string]any{
					"State": "ENABLED",
					"EventPattern": assertions.Match_ObjectEquals(&map[string]any{
						"source":      []any{"aws.ecs"},
						"detail-type": []any{"ECS Task State Change"},
						"detail":      assertions.Match_ObjectEquals(&tt.detail),
					}),
					"Targets": []any{assertions.Match_ObjectLike(&map[string]any{
						"Arn":              map[string]any{"Ref": sm},
						"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": []any{dlq, "Arn"}}},
						"RetryPolicy":      map[string]any{"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
					})},
				})
			})
		})
	}
}

func TestDeadLetterQueueIsEncryptedAndSSLOnly(t *testing.T) {
	s := defaults(t)
	dlq := s.logicalID(s.cs.DeadLetters)
	assert(t, "queue", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), &map[string]any{"SqsManagedSseEnabled": true})
	})
	assert(t, "queue policy", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SQS::QueuePolicy"), &map[string]any{
			"Queues": []any{map[string]any{"Ref": dlq}},
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{
					"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				}),
				assertions.Match_ObjectLike(&map[string]any{
					"Effect": "Allow", "Action": "sqs:SendMessage", "Principal": map[string]any{"Service": "events.amazonaws.com"},
				}),
			})},
		})
	})
}

// functionsByName maps each lambda name to its function resource.
func (s *synthed) functionsByName(t *testing.T) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, l := range lambdaSpecs {
		id := s.logicalID(s.cs.Functions[l.Name])
		r, ok := s.res[id]
		if !ok || r["Type"] != "AWS::Lambda::Function" {
			t.Fatalf("no function %s (%s)", l.Name, id)
		}
		out[l.Name] = r
	}
	return out
}

func TestEveryFunction(t *testing.T) {
	both(t, func(t *testing.T, s *synthed) {
		fns := s.functionsByName(t)
		roles, logGroups, code := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, l := range lambdaSpecs {
			p := props(fns[l.Name])
			t.Run(l.Name, func(t *testing.T) {
				want := map[string]any{
					"Runtime":       "provided.al2023",
					"Architectures": []any{"arm64"},
					"Handler":       "bootstrap",
					"MemorySize":    l.MemoryMB,
					"Timeout":       l.TimeoutSeconds,
					"TracingConfig": map[string]any{"Mode": "Active"},
				}
				for k, v := range want {
					if !reflect.DeepEqual(p[k], v) {
						t.Errorf("%s = %v, want %v", k, p[k], v)
					}
				}
				lc, _ := p["LoggingConfig"].(map[string]any)
				if lc["LogFormat"] != "JSON" {
					t.Errorf("LoggingConfig = %v, want LogFormat JSON", lc)
				}
				lg := ref(lc["LogGroup"])
				if r := s.res[lg]; r == nil || r["Type"] != "AWS::Logs::LogGroup" || props(r)["RetentionInDays"] != float64(s.cs.Settings.LogRetentionDays) {
					t.Errorf("log group %s = %v, want retention %d", lg, r, s.cs.Settings.LogRetentionDays)
				}
				logGroups[lg] = true
				roles[getAtt(p["Role"])] = true
				key, _ := p["Code"].(map[string]any)["S3Key"].(string)
				code[key] = true
				if l.TimeoutSeconds >= 60 {
					t.Errorf("timeout %v is not under the ASL state's 60 s", l.TimeoutSeconds)
				}
			})
		}
		if len(roles) != len(lambdaSpecs) || len(logGroups) != len(lambdaSpecs) || len(code) != len(lambdaSpecs) {
			t.Errorf("want one role, log group and asset per function: %d roles, %d log groups, %d assets", len(roles), len(logGroups), len(code))
		}
		if fn := props(fns["evaluate"]); fn["MemorySize"].(float64) < 1024 {
			t.Errorf("evaluate has %v MB; OPA's compile wants CPU", fn["MemorySize"])
		}
	})
}

func TestFunctionEnvironment(t *testing.T) {
	tests := []struct {
		name  string
		stack func(*testing.T) *synthed
		want  func(s *synthed) map[string]map[string]any
	}{
		{"default", defaults, func(s *synthed) map[string]map[string]any {
			return envWant(s, "audit", "off", "86400", "/ecs-compliance/policy")
		}},
		{"configured", configured, func(s *synthed) map[string]map[string]any {
			return envWant(s, "enforce", "on", "3600", "/platform/ecs-policy")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.stack(t)
			fns := s.functionsByName(t)
			want := tt.want(s)
			for _, l := range lambdaSpecs {
				var got map[string]any
				if e, ok := props(fns[l.Name])["Environment"].(map[string]any); ok {
					got, _ = e["Variables"].(map[string]any)
				}
				if !reflect.DeepEqual(got, want[l.Name]) {
					t.Errorf("%s: environment = %v, want %v", l.Name, got, want[l.Name])
				}
			}
		})
	}
}

func envWant(s *synthed, mode, approval, timeout, path string) map[string]map[string]any {
	table := map[string]any{"Ref": s.logicalID(s.cs.Table)}
	topic := map[string]any{"Ref": s.logicalID(s.cs.Topic)}
	want := map[string]map[string]any{
		"record-task":      {"TABLE_NAME": table, "CLAIM_TTL_HOURS": "168"},
		"load-policy":      {"POLICY_PATH": path},
		"evaluate":         {"MODE": mode, "APPROVAL": approval, "APPROVAL_TIMEOUT_SECONDS": timeout},
		"notify":           {"TOPIC_ARN": topic},
		"report-failure":   {"TOPIC_ARN": topic, "TABLE_NAME": table},
		"request-approval": {"TOPIC_ARN": topic},
	}
	for k, v := range approvalEnvWant(s) {
		want["request-approval"][k] = v
	}
	return want
}

func ref(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Ref"].(string)
	return s
}

func getAtt(v any) string {
	m, _ := v.(map[string]any)
	a, _ := m["Fn::GetAtt"].([]any)
	if len(a) != 2 {
		return ""
	}
	return a[0].(string) + "." + a[1].(string)
}

// render shows a policy resource as a string: literal ARNs as they are,
// {"Ref": X} as X and {"Fn::GetAtt": [X, "Arn"]} as X.Arn.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if r := ref(v); r != "" {
			return r
		}
		if g := getAtt(v); g != "" {
			return g
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// grantsOf returns a role's permissions as sorted "action resource" lines
// (conditions after a "|"), from every AWS::IAM::Policy attached to it and
// its inline policies; managed policies are reported as such.
func (s *synthed) grantsOf(roleID string) []string {
	var lines []string
	add := func(doc map[string]any) {
		for _, st := range list(doc["Statement"]) {
			st := st.(map[string]any)
			cond := ""
			if c, ok := st["Condition"]; ok {
				b, _ := json.Marshal(c)
				cond = " | " + string(b)
			}
			for _, a := range list(st["Action"]) {
				for _, r := range list(st["Resource"]) {
					lines = append(lines, fmt.Sprintf("%s %s %s%s", st["Effect"], a, render(r), cond))
				}
			}
		}
	}
	for _, r := range s.typed("AWS::IAM::Policy") {
		for _, role := range list(props(r)["Roles"]) {
			if ref(role) == roleID {
				add(props(r)["PolicyDocument"].(map[string]any))
			}
		}
	}
	role := props(s.res[roleID])
	for _, p := range list(role["Policies"]) {
		add(p.(map[string]any)["PolicyDocument"].(map[string]any))
	}
	for _, m := range list(role["ManagedPolicyArns"]) {
		lines = append(lines, "managed policy "+render(m))
	}
	sort.Strings(lines)
	return lines
}

func TestEachRoleHasOnlyItsCalls(t *testing.T) {
	both(t, func(t *testing.T, s *synthed) {
		e := s.env
		table := s.logicalID(s.cs.Table) + ".Arn"
		topic := s.logicalID(s.cs.Topic)
		key := s.logicalID(s.cs.TopicKey) + ".Arn"
		clusters := `{"ArnLike":{"ecs:cluster":"` + e.arn("ecs", "cluster/*") + `"}}`
		if len(s.cs.Settings.ExcludedClusters) > 0 {
			clusters = `{"ArnLike":{"ecs:cluster":"` + e.arn("ecs", "cluster/*") + `"},"ArnNotEquals":{"ecs:cluster":["` +
				e.arn("ecs", "cluster/ci") + `","` + e.arn("ecs", "cluster/sandbox") + `"]}}`
		}
		publish := []string{"sns:Publish " + topic, "kms:GenerateDataKey " + key, "kms:Decrypt " + key}
		want := map[string][]string{
			"record-task":                {"dynamodb:PutItem " + table},
			"load-policy":                {"ssm:GetParametersByPath " + e.arn("ssm", "parameter"+s.cs.Settings.PolicyPath)},
			"describe-task-definition":   {"ecs:DescribeTaskDefinition *", "ecs:ListTagsForResource " + e.arn("ecs", "service/*")},
			"evaluate":                   nil,
			"request-approval":           append(slices.Clone(publish), approvalRequestGrants(s)...),
			"scale-service":              {"ecs:DescribeServices " + e.arn("ecs", "service/*") + " | " + clusters, "ecs:UpdateService " + e.arn("ecs", "service/*") + " | " + clusters},
			"stop-task":                  {"ecs:DescribeTasks " + e.arn("ecs", "task/*") + " | " + clusters, "ecs:StopTask " + e.arn("ecs", "task/*") + " | " + clusters},
			"deregister-task-definition": {"ecs:DescribeTaskDefinition *", "ecs:DeregisterTaskDefinition *"},
			"notify":                     publish,
			"record-finding":             {"securityhub:BatchImportFindings " + e.arn("securityhub", "product/"+e.Account+"/default")},
			"report-failure":             append(slices.Clone(publish), "dynamodb:DeleteItem "+table),
		}
		fns := s.functionsByName(t)
		for _, l := range lambdaSpecs {
			roleID := strings.TrimSuffix(getAtt(props(fns[l.Name])["Role"]), ".Arn")
			logs := ref(props(fns[l.Name])["LoggingConfig"].(map[string]any)["LogGroup"]) + ".Arn"
			lines := []string{
				"Allow logs:CreateLogStream " + logs, "Allow logs:PutLogEvents " + logs,
				"Allow xray:PutTraceSegments *", "Allow xray:PutTelemetryRecords *",
			}
			for _, w := range want[l.Name] {
				lines = append(lines, "Allow "+w)
			}
			sort.Strings(lines)
			if got := s.grantsOf(roleID); !reflect.DeepEqual(got, lines) {
				t.Errorf("%s role %s:\n got  %s\n want %s", l.Name, roleID, strings.Join(got, "\n      "), strings.Join(lines, "\n      "))
			}
			trust := props(s.res[roleID])["AssumeRolePolicyDocument"].(map[string]any)
			if b, _ := json.Marshal(trust["Statement"]); !strings.Contains(string(b), `"Service":"lambda.amazonaws.com"`) || len(list(trust["Statement"])) != 1 {
				t.Errorf("%s role trusts %s", l.Name, b)
			}
		}
	})
}

func TestStateMachineInvokesOnlyItsOwnFunctions(t *testing.T) {
	s := defaults(t)
	roleID := s.logicalID(s.cs.StateMachine.Role())
	var want []string
	for _, l := range lambdaSpecs {
		want = append(want, "Allow lambda:InvokeFunction "+s.logicalID(s.cs.Functions[l.Name])+".Arn")
	}
	var got []string
	for _, line := range s.grantsOf(roleID) {
		if strings.Contains(line, "lambda:") {
			got = append(got, line)
		} else if !strings.HasSuffix(line, " *") || !(strings.Contains(line, " logs:") || strings.Contains(line, " xray:")) {
			t.Errorf("state machine role has %q; want only lambda:InvokeFunction on its functions, log delivery and X-Ray", line)
		}
	}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("invoke grants:\n got  %v\n want %v", got, want)
	}
}

// walkPolicies calls f for every policy statement anywhere in the template:
// identity policies, trust policies, key, topic and queue policies.
func walkPolicies(v any, f func(st map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		if sts, ok := v["Statement"]; ok {
			for _, st := range list(sts) {
				if m, ok := st.(map[string]any); ok {
					f(m)
				}
			}
		}
		for _, c := range v {
			walkPolicies(c, f)
		}
	case []any:
		for _, c := range v {
			walkPolicies(c, f)
		}
	}
}

func TestNoWildcardActions(t *testing.T) {
	both(t, func(t *testing.T, s *synthed) {
		statements := 0
		for id, r := range s.res {
			walkPolicies(r, func(st map[string]any) {
				statements++
				if _, ok := st["NotAction"]; ok {
					t.Errorf("%s: NotAction in %v", id, st)
				}
				if _, ok := st["NotResource"]; ok {
					t.Errorf("%s: NotResource in %v", id, st)
				}
				switch st["Effect"] {
				case "Allow":
					for _, a := range list(st["Action"]) {
						if a, _ := a.(string); a == "*" || strings.HasSuffix(a, ":*") {
							t.Errorf("%s allows %q: %v", id, a, st)
						}
					}
				case "Deny":
					// Only the SSL-only guards, which deny broadly on purpose.
					if b, _ := json.Marshal(st["Condition"]); string(b) != `{"Bool":{"aws:SecureTransport":"false"}}` {
						t.Errorf("%s: unexpected Deny %v", id, st)
					}
				default:
					t.Errorf("%s: statement without an Effect: %v", id, st)
				}
			})
		}
		// 13 roles' policies + 13 trust policies + key, topic and queue policies.
		if statements < 40 {
			t.Errorf("walked only %d statements; the walk is broken", statements)
		}
	})
}

func TestStateMachine(t *testing.T) {
	s := defaults(t)
	logs := ""
	for id, r := range s.typed("AWS::Logs::LogGroup") {
		if name, _ := props(r)["LogGroupName"].(string); name == "/aws/vendedlogs/states/EcsCompliance-workflow" {
			logs = id
		}
	}
	if logs == "" {
		t.Fatal("no workflow log group")
	}
	assert(t, "state machine", func() {
		s.template.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), &map[string]any{
			"StateMachineType": "STANDARD",
			"LoggingConfiguration": map[string]any{
				"Level":                "ALL",
				"IncludeExecutionData": true,
				"Destinations":         []any{map[string]any{"CloudWatchLogsLogGroup": map[string]any{"LogGroupArn": map[string]any{"Fn::GetAtt": []any{logs, "Arn"}}}}},
			},
			"TracingConfiguration": map[string]any{"Enabled": true},
			"DefinitionS3Location": assertions.Match_Absent(),
		})
	})
	sm := props(s.res[s.logicalID(s.cs.StateMachine)])
	def, ok := sm["DefinitionString"].(string)
	if !ok {
		t.Fatalf("DefinitionString is %T, want the inline ASL string", sm["DefinitionString"])
	}
	var got, want any
	if err := json.Unmarshal([]byte(def), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(testASL), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("the inline definition is not statemachine/workflow.asl.json")
	}
}

func TestSubstitutionsAreTheASLPlaceholders(t *testing.T) {
	s := defaults(t)
	placeholders := statemachine.Placeholders(testASL)
	if len(placeholders) == 0 {
		t.Fatal("no ${…} placeholders found in the ASL")
	}
	subs, _ := props(s.res[s.logicalID(s.cs.StateMachine)])["DefinitionSubstitutions"].(map[string]any)
	keys := slices.Sorted(maps.Keys(subs))
	if !reflect.DeepEqual(keys, placeholders) {
		t.Errorf("substitution keys %v\nASL placeholders  %v", keys, placeholders)
	}
	for _, l := range lambdaSpecs {
		want := s.logicalID(s.cs.Functions[l.Name]) + ".Arn"
		if got := getAtt(subs[l.Placeholder()]); got != want {
			t.Errorf("${%s} = %v, want %s", l.Placeholder(), subs[l.Placeholder()], want)
		}
	}
}

func TestTopicIsEncryptedWithARotatedKey(t *testing.T) {
	both(t, func(t *testing.T, s *synthed) {
		key := s.logicalID(s.cs.TopicKey)
		assert(t, "topic", func() {
			s.template.HasResourceProperties(jsii.String("AWS::SNS::Topic"), &map[string]any{
				"KmsMasterKeyId": map[string]any{"Fn::GetAtt": []any{key, "Arn"}},
			})
		})
		assert(t, "key", func() {
			s.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), &map[string]any{"EnableKeyRotation": true})
		})
		assert(t, "topic policy", func() {
			s.template.HasResourceProperties(jsii.String("AWS::SNS::TopicPolicy"), &map[string]any{
				"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
					"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
				})})},
			})
		})
		subs := s.typed("AWS::SNS::Subscription")
		if email := s.cs.Settings.NotificationEmail; email != "" {
			assert(t, "subscription", func() {
				s.template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), &map[string]any{
					"Protocol": "email", "Endpoint": email, "TopicArn": map[string]any{"Ref": s.logicalID(s.cs.Topic)},
				})
			})
		} else if len(subs) != 0 {
			t.Errorf("subscriptions without an address: %v", subs)
		}
	})
}

func TestIdempotencyTable(t *testing.T) {
	s := defaults(t)
	assert(t, "table", func() {
		s.template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), &map[string]any{
			"KeySchema":                        []any{map[string]any{"AttributeName": "taskArn", "KeyType": "HASH"}},
			"AttributeDefinitions":             []any{map[string]any{"AttributeName": "taskArn", "AttributeType": "S"}},
			"BillingMode":                      "PAY_PER_REQUEST",
			"TimeToLiveSpecification":          map[string]any{"AttributeName": "expiresAt", "Enabled": true},
			"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
		})
	})
}

func TestPolicyBundleParameters(t *testing.T) {
	both(t, func(t *testing.T, s *synthed) {
		got := map[string]map[string]any{}
		for _, r := range s.typed("AWS::SSM::Parameter") {
			p := props(r)
			got[p["Name"].(string)] = p
		}
		if len(got) != len(s.files) {
			t.Errorf("%d parameters for %d files", len(got), len(s.files))
		}
		for file, content := range s.files {
			p := got[bundle.ParameterName(s.cs.Settings.PolicyPath, file)]
			if p == nil {
				t.Errorf("no parameter for %s under %s", file, s.cs.Settings.PolicyPath)
				continue
			}
			wantTier := "Standard"
			if len(content) > bundle.StandardTierBytes {
				wantTier = "Advanced"
			}
			if p["Value"] != content || p["Tier"] != wantTier || p["Type"] != "String" {
				t.Errorf("%s: tier %v type %v, value equal %v; want tier %s", file, p["Tier"], p["Type"], p["Value"] == content, wantTier)
			}
		}
		if _, ok := s.files["ecs/lib/lib_test.rego"]; ok {
			t.Error("a _test.rego is deployed")
		}
		var data struct {
			Ecs struct {
				Config struct {
					Registries  []string          `json:"registries"`
					Enforcement map[string]string `json:"enforcement"`
				} `json:"config"`
			} `json:"ecs"`
		}
		if err := json.Unmarshal([]byte(s.files["data.json"]), &data); err != nil {
			t.Fatal(err)
		}
		want := s.cs.Settings.ApprovedRegistries
		if want == nil {
			want = []string{}
		}
		if !reflect.DeepEqual(data.Ecs.Config.Registries, want) || data.Ecs.Config.Enforcement["image_tag"] != "warn" {
			t.Errorf("data.json config = %+v, want registries %v and the enforcement kept", data.Ecs.Config, want)
		}
	})
}

func TestPolicyParametersAreWrittenAFewAtATime(t *testing.T) {
	s := defaults(t)
	params := s.typed("AWS::SSM::Parameter")
	independent := 0
	for _, r := range params {
		if len(list(r["DependsOn"])) == 0 {
			independent++
		}
	}
	if want := min(parameterLanes, len(params)); independent != want {
		t.Errorf("%d parameters start at once, want %d", independent, want)
	}
}

func TestLogGroupsKeepTheConfiguredRetention(t *testing.T) {
	both(t, func(t *testing.T, s *synthed) {
		for id, r := range s.typed("AWS::Logs::LogGroup") {
			if got := props(r)["RetentionInDays"]; got != float64(s.cs.Settings.LogRetentionDays) {
				t.Errorf("%s retention = %v, want %d", id, got, s.cs.Settings.LogRetentionDays)
			}
		}
	})
}

func TestNagReportsNoUnsuppressedFinding(t *testing.T) {
	both(t, func(t *testing.T, s *synthed) {
		annotations := assertions.Annotations_FromStack(s.cs.Stack)
		for _, m := range *annotations.FindError(jsii.String("*"), assertions.Match_AnyValue()) {
			b, _ := json.Marshal(m)
			t.Errorf("error: %s", b)
		}
		for _, m := range *annotations.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))) {
			b, _ := json.Marshal(m)
			t.Errorf("cdk-nag warning: %s", b)
		}
		// The pack did run: its report is in the assembly, every rule it
		// applied is compliant or suppressed with a reason.
		reports, _ := filepath.Glob(filepath.Join(s.outdir, "AwsSolutions-*EcsCompliance-NagReport.csv"))
		if len(reports) != 1 {
			t.Fatalf("cdk-nag reports in %s: %v", s.outdir, reports)
		}
		report, err := os.ReadFile(reports[0])
		if err != nil {
			t.Fatal(err)
		}
		rows := strings.Split(strings.TrimSpace(string(report)), "\n")[1:]
		suppressed := 0
		for _, row := range rows {
			switch {
			case strings.Contains(row, `"Suppressed"`):
				suppressed++
				if strings.Contains(row, `"Suppressed",""`) {
					t.Errorf("suppression without a reason: %s", row)
				}
			case strings.Contains(row, `"Compliant"`), strings.Contains(row, `"Not Applicable"`):
			default:
				t.Errorf("not compliant: %s", row)
			}
		}
		if len(rows) < 20 || suppressed == 0 {
			t.Errorf("report has %d rows, %d suppressed: did the pack run?", len(rows), suppressed)
		}
	})
}

// TestNagCatchesAViolation is the control for the test above: the same
// checks on a stack with an unencrypted, HTTP-accepting queue report errors.
func TestNagCatchesAViolation(t *testing.T) {
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	addNagChecks(app)
	stack := awscdk.NewStack(app, jsii.String("Control"), nil)
	awssqs.NewQueue(stack, jsii.String("Plain"), &awssqs.QueueProps{Encryption: awssqs.QueueEncryption_UNENCRYPTED})
	errs := assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-SQS[234]")))
	if len(*errs) != 3 {
		t.Errorf("want SQS2, SQS3 and SQS4 errors, got %d", len(*errs))
	}
}

func TestStackRefusesBadInputs(t *testing.T) {
	good := func() *StackProps {
		return &StackProps{
			StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("123456789012"), Region: jsii.String("us-east-1")}},
			Settings:   DefaultSettings(),
			AssetRoot:  testAssetRoot,
			Policy:     testPolicy,
			Definition: testASL,
		}
	}
	tests := []struct {
		name   string
		change func(p *StackProps)
		want   string
	}{
		{"a missing bootstrap asks for make build", func(p *StackProps) { p.AssetRoot = t.TempDir() }, "no bootstrap at"},
		{"approval on needs the callback's bootstrap", func(p *StackProps) {
			p.Settings.Approval = "on"
			p.AssetRoot = withoutBootstrap(t, approvalCallbackSpec.Name)
		}, "lambda approval-callback: no bootstrap at"},
		{"an ASL placeholder without a function", func(p *StackProps) {
			p.Definition = strings.Replace(testASL, "${NotifyFunctionArn}", "${NotifierFunctionArn}", 1)
		}, "${NotifierFunctionArn} names no function"},
		{"a function no state uses", func(p *StackProps) {
			p.Definition = strings.Replace(testASL, "${RecordFindingFunctionArn}", "arn:aws:lambda:us-east-1:123456789012:function:x", 1)
		}, "no state uses ${RecordFindingFunctionArn}"},
		{"a definition that is not JSON", func(p *StackProps) { p.Definition = "{" }, "state machine definition"},
		{"no account", func(p *StackProps) { p.Env = nil }, "concrete account and region"},
		{"an account that is not 12 digits", func(p *StackProps) { p.Env.Account = jsii.String("12345") }, "12-digit"},
		{"invalid settings", func(p *StackProps) { p.Settings.Mode = "strict" }, `"mode"`},
		{"registries without data.json", func(p *StackProps) {
			p.Settings.ApprovedRegistries = []string{"ghcr.io"}
			p.Policy = fstest.MapFS{"m.rego": {Data: []byte("package m\n")}}
		}, "no top-level data.json"},
		{"an excluded cluster of another account", func(p *StackProps) {
			p.Settings.ExcludedClusters = []string{"arn:aws:ecs:us-east-1:999999999999:cluster/x"}
		}, "not in this stack's account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good()
			tt.change(p)
			// checkInputs is what NewComplianceStack runs before any construct.
			_, _, _, err := checkInputs(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, _, _, err := checkInputs(good()); err != nil {
		t.Errorf("good inputs: %v", err)
	}
}

func TestLambdaSpecsAreTheWorkflowsFunctions(t *testing.T) {
	var got, want []string
	for _, l := range lambdaSpecs {
		got = append(got, l.Name+" "+l.Placeholder())
	}
	for _, f := range statemachine.Functions {
		want = append(want, f.Dir+" "+f.Placeholder)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stack functions %v\nstatemachine.Functions %v", got, want)
	}
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{"us-east-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "eu-central-2": "aws"} {
		if got := partitionOf(region); got != want {
			t.Errorf("partitionOf(%s) = %s, want %s", region, got, want)
		}
	}
}
