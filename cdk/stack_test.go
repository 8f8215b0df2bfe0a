package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
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

// The CDK tests synthesize three stacks once each (jsii starts a Node
// process and a synth takes seconds) and share them: "default" with no
// context, as a first deploy; "configured" with every setting given
// (enforce, approval with an approvers' address and a callback concurrency,
// e-mail, excluded clusters and services); and
// "registrations off", with the shipped policy bundle and the
// RegisterTaskDefinition rule turned off. cfnlint_test.go lints all three.

var testAssetRoot string

// testASL is statemachine/workflow.asl.json, testTriage triage.asl.json.
var (
	testASL    = statemachine.Definition
	testTriage = statemachine.Triage
)

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
	defaultOnce, configuredOnce, registrationsOffOnce sync.Once
	defaultStack, configStack, registrationsOffStack  *synthed
	defaultErr, configErr, registrationsOffErr        error
)

var configuredContext = map[string]any{
	"mode":                        "enforce",
	"approval":                    "on",
	"approvalTimeoutSeconds":      float64(3600),
	"approverEmail":               "approvers@example.com",
	"approvalCallbackConcurrency": "3",
	"approvedRegistries":          []any{"ghcr.io/acme", "111122223333.dkr.ecr.eu-west-1.amazonaws.com"},
	"notificationEmail":           "secops@example.com",
	"excludedClusters":            "sandbox,arn:aws:ecs:eu-west-1:111122223333:cluster/ci",
	"excludedServices":            "prod/legacy-billing,prod/batch",
	"judgementTtlHours":           float64(48),
	"logRetentionDays":            float64(90),
	"policyPath":                  "/platform/ecs-policy",
}

// outdirs are the synthesized assemblies, removed after the tests.
var outdirs []string

func synth(ctx map[string]any, account, region string) (*synthed, error) {
	return synthWith(ctx, account, region, testPolicy)
}

// synthWith synthesizes the stack with a policy bundle of its own.
func synthWith(ctx map[string]any, account, region string, policy fs.FS) (*synthed, error) {
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
		Policy:     policy,
		Definition: testASL,
		Triage:     testTriage,
	})
	if err != nil {
		return nil, err
	}
	files, err := PolicyFiles(policy, settings)
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

// registrationsOff is judgeRegistrations=off with the shipped policy bundle
// (policies/), in another account and region. While the shipped bundle
// cannot be deployed, its tests are skipped and
// TestShippedPolicyBundleDeploys says why.
func registrationsOff(t *testing.T) *synthed {
	t.Helper()
	if _, err := PolicyFiles(policyFS(), DefaultSettings()); err != nil {
		t.Skipf("the shipped policy bundle does not deploy (see TestShippedPolicyBundleDeploys): %v", err)
	}
	registrationsOffOnce.Do(func() {
		registrationsOffStack, registrationsOffErr = synthWith(map[string]any{"judgeRegistrations": "off"}, "444455556666", "eu-central-1", policyFS())
	})
	if registrationsOffErr != nil {
		t.Fatalf("synth: %v", registrationsOffErr)
	}
	return registrationsOffStack
}

// both runs f on the default and the configured stack as subtests.
func both(t *testing.T, f func(t *testing.T, s *synthed)) {
	t.Run("default", func(t *testing.T) { f(t, defaults(t)) })
	t.Run("configured", func(t *testing.T) { f(t, configured(t)) })
}

// all runs f on the three stacks as subtests.
func all(t *testing.T, f func(t *testing.T, s *synthed)) {
	both(t, f)
	t.Run("registrations off", func(t *testing.T) { f(t, registrationsOff(t)) })
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
	all(t, func(t *testing.T, s *synthed) {
		subscriptions := 0.0
		if s.cs.Settings.NotificationEmail != "" {
			subscriptions = 1
		}
		rules := 2.0 // tasks and registrations
		if s.cs.Settings.JudgeRegistrations == "off" {
			rules = 1
		}
		want := map[string]float64{
			"AWS::Lambda::Function":            n,
			"AWS::IAM::Role":                   n + 3, // + the two state machines' and the rules' (one for both)
			"AWS::IAM::Policy":                 n + 3,
			"AWS::Logs::LogGroup":              n + 2, // + the two state machines'
			"AWS::StepFunctions::StateMachine": 2,
			"AWS::Events::Rule":                rules,
			"AWS::SQS::Queue":                  1,
			"AWS::SQS::QueuePolicy":            1,
			"AWS::SNS::Topic":                  1,
			"AWS::SNS::TopicPolicy":            1,
			"AWS::SNS::Subscription":           subscriptions,
			"AWS::KMS::Key":                    1,
			"AWS::DynamoDB::Table":             2, // idempotency, judgements
			"AWS::SecretsManager::Secret":      0,
			"AWS::Lambda::Url":                 0,
			"AWS::SSM::Parameter":              float64(len(s.files)),
			"AWS::IAM::ManagedPolicy":          0,
			"AWS::Lambda::Permission":          0,
			"Custom::LogRetention":             0,
			// Failed, timed-out and aborted executions of both state
			// machines, the dead-letter queue, every function's errors.
			"AWS::CloudWatch::Alarm": 3*2 + 1 + n,
		}
		// What approval=on adds (approval_test.go), and the callback's
		// errors alarm (alarms.go).
		for typ, more := range approvalResourceCounts(s) {
			want[typ] += more
		}
		if s.cs.Approval != nil {
			want["AWS::CloudWatch::Alarm"]++
		}
		total := 0.0
		for typ, want := range want {
			assert(t, typ, func() { s.template.ResourceCountIs(jsii.String(typ), jsii.Number(want)) })
			total += want
		}
		if float64(len(s.res)) != total {
			t.Errorf("%d resources, want %v: a resource of a type this test does not count", len(s.res), total)
		}
	})
}

func TestRulesCatchTasksAboutToRunAndNewRevisions(t *testing.T) {
	tasks := func(excluded ...any) map[string]any {
		detail := map[string]any{
			"desiredStatus": []any{"RUNNING"},
			"lastStatus":    []any{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"},
		}
		if len(excluded) > 0 {
			detail["clusterArn"] = []any{map[string]any{"anything-but": excluded}}
		}
		return map[string]any{"source": []any{"aws.ecs"}, "detail-type": []any{"ECS Task State Change"}, "detail": detail}
	}
	// A successful RegisterTaskDefinition only: a refused call (errorCode)
	// registered nothing.
	registrations := map[string]any{
		"source":      []any{"aws.ecs"},
		"detail-type": []any{"AWS API Call via CloudTrail"},
		"detail": map[string]any{
			"eventSource": []any{"ecs.amazonaws.com"},
			"eventName":   []any{"RegisterTaskDefinition"},
			"errorCode":   []any{map[string]any{"exists": false}},
		},
	}
	tests := []struct {
		name          string
		stack         func(*testing.T) *synthed
		tasks         map[string]any
		registrations map[string]any // nil: no registration rule
	}{
		{"default: every cluster, and every new revision", defaults, tasks(), registrations},
		{"configured: excluded clusters by ARN, names resolved in the stack's account and region", configured, tasks(
			"arn:aws:ecs:eu-west-1:111122223333:cluster/ci",
			"arn:aws:ecs:eu-west-1:111122223333:cluster/sandbox",
		), registrations},
		{"judgeRegistrations=off: no registration rule", registrationsOff, tasks(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.stack(t)
			triage, dlq := s.logicalID(s.cs.Triage), s.logicalID(s.cs.DeadLetters)
			rules := map[string]map[string]any{"tasks": tt.tasks}
			ids := map[string]string{"tasks": s.logicalID(s.cs.Rule)}
			if tt.registrations != nil {
				if s.cs.RegistrationRule == nil {
					t.Fatal("no registration rule")
				}
				rules["registrations"] = tt.registrations
				ids["registrations"] = s.logicalID(s.cs.RegistrationRule)
			} else if s.cs.RegistrationRule != nil {
				t.Fatal("a registration rule with judgeRegistrations=off")
			}
			if len(s.typed("AWS::Events::Rule")) != len(rules) {
				t.Fatalf("%d rules, want %d", len(s.typed("AWS::Events::Rule")), len(rules))
			}
			roles := map[string]bool{}
			for name, pattern := range rules {
				p := props(s.res[ids[name]])
				if p["State"] != "ENABLED" || !reflect.DeepEqual(p["EventPattern"], pattern) {
					t.Errorf("%s rule: state %v, pattern %v\nwant %v", name, p["State"], p["EventPattern"], pattern)
				}
				target := list(p["Targets"])
				if len(target) != 1 {
					t.Fatalf("%s rule has %d targets, want the triage only", name, len(target))
				}
				tg := target[0].(map[string]any)
				// Both rules start the triage, never the workflow; what
				// EventBridge cannot deliver in a day goes to the DLQ.
				if ref(tg["Arn"]) != triage || getAtt(tg["DeadLetterConfig"].(map[string]any)["Arn"]) != dlq+".Arn" ||
					!reflect.DeepEqual(tg["RetryPolicy"], map[string]any{"MaximumRetryAttempts": float64(185), "MaximumEventAgeInSeconds": float64(86400)}) {
					t.Errorf("%s rule target = %v, want the triage with the dead-letter queue and a day of retries", name, tg)
				}
				roles[strings.TrimSuffix(getAtt(tg["RoleArn"]), ".Arn")] = true
			}
			// The rules' role may start the triage and nothing else.
			for role := range roles {
				if got, want := s.grantsOf(role), []string{"Allow states:StartExecution " + triage}; !reflect.DeepEqual(got, want) {
					t.Errorf("rule role %s: %v, want %v", role, got, want)
				}
			}
			// The deployed patterns are exactly the ones the local executor
			// applies (EventPattern loses nothing on the way to CDK).
			excluded, _ := s.cs.Settings.ClusterArns(s.env.Partition, s.env.Region, s.env.Account)
			local := map[string]map[string]any{"tasks": statemachine.TaskEventPattern(excluded), "registrations": statemachine.RegistrationEventPattern()}
			for name := range rules {
				var want any
				b, _ := json.Marshal(local[name])
				_ = json.Unmarshal(b, &want)
				if got := props(s.res[ids[name]])["EventPattern"]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s rule pattern %v, the local executor's %v", name, got, want)
				}
			}
		})
	}
}

// The dead-letter queue: SSE-SQS, TLS only, 14 days, and written only by
// EventBridge for the stack's own rules.
func TestDeadLetterQueueIsEncryptedAndSSLOnly(t *testing.T) {
	s := defaults(t)
	dlq := s.logicalID(s.cs.DeadLetters)
	assert(t, "queue", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), &map[string]any{
			"SqsManagedSseEnabled": true, "MessageRetentionPeriod": float64(14 * 24 * 3600)})
	})
	var senders []string
	for _, r := range s.typed("AWS::SQS::QueuePolicy") {
		walkPolicies(props(r), func(st map[string]any) {
			if st["Effect"] == "Allow" {
				cond, _ := st["Condition"].(map[string]any)
				eq, _ := cond["ArnEquals"].(map[string]any)
				senders = append(senders, getAtt(eq["aws:SourceArn"]))
			}
		})
	}
	sort.Strings(senders)
	want := []string{s.logicalID(s.cs.RegistrationRule) + ".Arn", s.logicalID(s.cs.Rule) + ".Arn"}
	sort.Strings(want)
	if !reflect.DeepEqual(senders, want) {
		t.Errorf("the queue accepts messages for %v, want the stack's rules %v only", senders, want)
	}
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
	stateTimeouts := taskStateTimeouts(t)
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
				if lc["LogFormat"] != "JSON" || lc["ApplicationLogLevel"] != "INFO" || lc["SystemLogLevel"] != "WARN" {
					t.Errorf("LoggingConfig = %v, want JSON logs, INFO, system WARN", lc)
				}
				lg := ref(lc["LogGroup"])
				if r := s.res[lg]; r == nil || r["Type"] != "AWS::Logs::LogGroup" || props(r)["RetentionInDays"] != float64(s.cs.Settings.LogRetentionDays) {
					t.Errorf("log group %s = %v, want retention %d", lg, r, s.cs.Settings.LogRetentionDays)
				}
				logGroups[lg] = true
				roles[getAtt(p["Role"])] = true
				key, _ := p["Code"].(map[string]any)["S3Key"].(string)
				code[key] = true
				// A hung call ends in the function's timeout, an error its
				// state retries, before the state's own timeout.
				if len(stateTimeouts[l.Placeholder()]) == 0 {
					t.Errorf("no Task state invokes ${%s}", l.Placeholder())
				}
				for _, st := range stateTimeouts[l.Placeholder()] {
					if st.seconds != 0 && l.TimeoutSeconds >= st.seconds {
						t.Errorf("timeout %v s is not under the %q state's TimeoutSeconds %v", l.TimeoutSeconds, st.state, st.seconds)
					}
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

// stateTimeout is a Task state's TimeoutSeconds.
type stateTimeout struct {
	state   string
	seconds float64
}

// taskStateTimeouts are the TimeoutSeconds of both machines' Task states
// (Parallel branches included), by the ${…FunctionArn} placeholder the state
// invokes. A state that waits for a task token (Wait for approval) times out
// by its own path, not a fixed TimeoutSeconds: its seconds are 0.
func taskStateTimeouts(t *testing.T) map[string][]stateTimeout {
	t.Helper()
	out := map[string][]stateTimeout{}
	var walk func(states map[string]map[string]any)
	walk = func(states map[string]map[string]any) {
		for name, st := range states {
			for _, b := range list(st["Branches"]) {
				var branch struct{ States map[string]map[string]any }
				raw, _ := json.Marshal(b)
				_ = json.Unmarshal(raw, &branch)
				walk(branch.States)
			}
			if st["Type"] != "Task" {
				continue
			}
			seconds, _ := st["TimeoutSeconds"].(float64)
			raw, _ := json.Marshal(st)
			for _, p := range statemachine.Placeholders(string(raw)) {
				out[p] = append(out[p], stateTimeout{name, seconds})
			}
		}
	}
	for _, asl := range []string{testASL, testTriage} {
		var def struct{ States map[string]map[string]any }
		if err := json.Unmarshal([]byte(asl), &def); err != nil {
			t.Fatal(err)
		}
		walk(def.States)
	}
	return out
}

func TestFunctionEnvironment(t *testing.T) {
	tests := []struct {
		name  string
		stack func(*testing.T) *synthed
		want  envSettings
	}{
		{"default", defaults, envSettings{mode: "audit", approval: "off", timeout: "86400", path: "/ecs-compliance/policy", judgementTTL: "720"}},
		{"configured", configured, envSettings{mode: "enforce", approval: "on", timeout: "3600", path: "/platform/ecs-policy", judgementTTL: "48"}},
		{"registrations off", registrationsOff, envSettings{mode: "audit", approval: "off", timeout: "86400", path: "/ecs-compliance/policy", judgementTTL: "720"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.stack(t)
			fns := s.functionsByName(t)
			want := envWant(s, tt.want)
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

// envSettings are the settings that reach the functions' environments.
type envSettings struct{ mode, approval, timeout, path, judgementTTL string }

func envWant(s *synthed, e envSettings) map[string]map[string]any {
	table := map[string]any{"Ref": s.logicalID(s.cs.Table)}
	judgements := map[string]any{"Ref": s.logicalID(s.cs.Judgements)}
	topic := map[string]any{"Ref": s.logicalID(s.cs.Topic)}
	lookUp := map[string]any{"POLICY_PATH": e.path, "JUDGEMENTS_TABLE": judgements, "MODE": e.mode, "APPROVAL": e.approval}
	maps.Copy(lookUp, remediationEnvWant(s))
	recordTask := maps.Clone(lookUp)
	maps.Copy(recordTask, map[string]any{"TABLE_NAME": table, "CLAIM_TTL_HOURS": "168", "ACCOUNT_ID": s.env.Account})
	want := map[string]map[string]any{
		// Lambda sets AWS_REGION; the account is the stack's.
		// Record task looks up a claimed task's judgement too.
		"record-task":              recordTask,
		"look-up-judgement":        lookUp,
		"load-policy":              {"POLICY_PATH": e.path},
		"describe-task-definition": nil,
		"evaluate":                 {"MODE": e.mode, "APPROVAL": e.approval, "APPROVAL_TIMEOUT_SECONDS": e.timeout},
		"record-judgement": {"JUDGEMENTS_TABLE": judgements, "MODE": e.mode, "APPROVAL": e.approval,
			"JUDGEMENT_TTL_HOURS": e.judgementTTL},
		"request-approval":           approvalEnvWant(s), // approval_test.go
		"scale-service":              nil,
		"stop-task":                  nil,
		"deregister-task-definition": remediationEnvWant(s),
		"count-incident":             {"JUDGEMENTS_TABLE": judgements},
		"notify":                     {"TOPIC_ARN": topic},
		"record-finding":             nil,
		"report-failure":             {"TOPIC_ARN": topic, "TABLE_NAME": table, "JUDGEMENTS_TABLE": judgements},
	}
	return want
}

// remediationEnvWant is the exclusions' environment (look-up-judgement and
// deregister-task-definition): the excluded clusters (ARNs) and services
// (CLUSTER/SERVICE) whose task definitions are never deregistered.
func remediationEnvWant(s *synthed) map[string]any {
	env := map[string]any{}
	if clusters, _ := s.cs.Settings.ClusterArns(s.env.Partition, s.env.Region, s.env.Account); len(clusters) > 0 {
		env["EXCLUDED_CLUSTERS"] = strings.Join(clusters, ",")
	}
	if services := s.cs.Settings.ExcludedServices; len(services) > 0 {
		env["EXCLUDED_SERVICES"] = strings.Join(services, ",")
	}
	if len(env) == 0 {
		return nil
	}
	return env
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

// grantsWant are each function's permissions beyond its log group and
// X-Ray, as grantsOf renders them (without the "Allow ").
func grantsWant(s *synthed) map[string][]string {
	e := s.env
	table := s.logicalID(s.cs.Table) + ".Arn"
	judgements := s.logicalID(s.cs.Judgements) + ".Arn"
	topic := s.logicalID(s.cs.Topic)
	key := s.logicalID(s.cs.TopicKey) + ".Arn"
	clusters := `{"ArnLike":{"ecs:cluster":"` + e.arn("ecs", "cluster/*") + `"}}`
	if len(s.cs.Settings.ExcludedClusters) > 0 {
		clusters = `{"ArnLike":{"ecs:cluster":"` + e.arn("ecs", "cluster/*") + `"},"ArnNotEquals":{"ecs:cluster":["` +
			e.arn("ecs", "cluster/ci") + `","` + e.arn("ecs", "cluster/sandbox") + `"]}}`
	}
	policy := "ssm:GetParametersByPath " + e.arn("ssm", "parameter"+s.cs.Settings.PolicyPath)
	publish := []string{"sns:Publish " + topic, "kms:GenerateDataKey " + key, "kms:Decrypt " + key}
	lookUp := []string{
		policy,
		"ecs:ListTagsForResource " + e.arn("ecs", "task-definition/*"), "ecs:ListTagsForResource " + e.arn("ecs", "service/*"),
		"ecs:DescribeServices " + e.arn("ecs", "service/*") + " | " + clusters,
		"dynamodb:GetItem " + judgements, "dynamodb:PutItem " + judgements,
	}
	want := map[string][]string{
		// Record task claims the task and looks up its judgement.
		"record-task":              append([]string{"dynamodb:UpdateItem " + table}, lookUp...),
		"look-up-judgement":        lookUp,
		"load-policy":              {policy},
		"describe-task-definition": {"ecs:DescribeTaskDefinition *", "ecs:ListTagsForResource " + e.arn("ecs", "service/*")},
		"evaluate":                 nil,
		"record-judgement":         {"dynamodb:GetItem " + judgements, "dynamodb:PutItem " + judgements, "dynamodb:DeleteItem " + judgements},
		"request-approval":         approvalRequestGrants(s), // approval_test.go
		"count-incident":           {"dynamodb:UpdateItem " + judgements},
		"notify":                   publish,
		"record-finding":           {"securityhub:BatchImportFindings " + e.arn("securityhub", "product/"+e.Account+"/default")},
		// Report failure releases the task's claim (an update that keeps
		// the record of the failure) and frees the judgement key.
		"report-failure": append(slices.Clone(publish), "dynamodb:UpdateItem "+table, "dynamodb:DeleteItem "+judgements),
	}
	for name, grants := range remediationGrantsWant(s, clusters) {
		want[name] = grants
	}
	return want
}

// remediationGrantsWant are the remediation steps' permissions. scale-service
// verifies the task's membership (DescribeTasks) and suspends the service's
// scalable target before it scales; deregister-task-definition, with
// exclusions, looks for the revision's users there and only there.
func remediationGrantsWant(s *synthed, clusters string) map[string][]string {
	e := s.env
	target := e.arn("application-autoscaling", "scalable-target/*") +
		` | {"StringEquals":{"application-autoscaling:scalable-dimension":"ecs:service:DesiredCount","application-autoscaling:service-namespace":"ecs"}}`
	want := map[string][]string{
		"scale-service": {
			"ecs:DescribeServices " + e.arn("ecs", "service/*") + " | " + clusters, "ecs:UpdateService " + e.arn("ecs", "service/*") + " | " + clusters,
			"ecs:DescribeTasks " + e.arn("ecs", "task/*") + " | " + clusters,
			"application-autoscaling:DescribeScalableTargets *", "application-autoscaling:RegisterScalableTarget " + target,
		},
		"stop-task":                  {"ecs:DescribeTasks " + e.arn("ecs", "task/*") + " | " + clusters, "ecs:StopTask " + e.arn("ecs", "task/*") + " | " + clusters},
		"deregister-task-definition": {"ecs:DescribeTaskDefinition *", "ecs:DeregisterTaskDefinition *"},
	}
	if len(s.cs.Settings.ExcludedClusters) > 0 {
		excluded := `{"ArnEquals":{"ecs:cluster":["` + e.arn("ecs", "cluster/ci") + `","` + e.arn("ecs", "cluster/sandbox") + `"]}}`
		want["deregister-task-definition"] = append(want["deregister-task-definition"],
			"ecs:ListServices * | "+excluded, "ecs:ListTasks * | "+excluded,
			"ecs:DescribeServices "+e.arn("ecs", "service/*")+" | "+excluded, "ecs:DescribeTasks "+e.arn("ecs", "task/*")+" | "+excluded)
	}
	for _, svc := range s.cs.Settings.ExcludedServices {
		want["deregister-task-definition"] = append(want["deregister-task-definition"], "ecs:DescribeServices "+e.arn("ecs", "service/"+svc))
	}
	return want
}

func TestEachRoleHasOnlyItsCalls(t *testing.T) {
	all(t, func(t *testing.T, s *synthed) {
		want := grantsWant(s)
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

// The triage invokes its three functions (Report failure serves both), the
// workflow the rest; the triage may start the workflow and nothing else.
// Beyond that each role has only what CDK gives a logging, tracing state
// machine: the log delivery calls and X-Ray's, on "*".
func TestEachStateMachineInvokesOnlyItsOwnFunctions(t *testing.T) {
	s := defaults(t)
	triageFns := []string{"record-task", "look-up-judgement", "report-failure"}
	var workflowFns []string
	for _, l := range lambdaSpecs {
		if l.Name == "report-failure" || !slices.Contains(triageFns, l.Name) {
			workflowFns = append(workflowFns, l.Name)
		}
	}
	// The README's "three" and "twelve".
	if len(triageFns) != 3 || len(workflowFns) != 12 {
		t.Errorf("the triage invokes %d functions, the workflow %d: update README.md and cdk/README.md", len(triageFns), len(workflowFns))
	}
	for _, tt := range []struct {
		name      string
		machine   constructs.IConstruct
		role      constructs.IConstruct
		functions []string
		more      []string
	}{
		{"triage", s.cs.Triage, s.cs.Triage.Role(), triageFns, []string{"Allow states:StartExecution " + s.logicalID(s.cs.StateMachine)}},
		{"workflow", s.cs.StateMachine, s.cs.StateMachine.Role(), workflowFns, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := slices.Clone(tt.more)
			for _, name := range tt.functions {
				want = append(want, "Allow lambda:InvokeFunction "+s.logicalID(s.cs.Functions[name])+".Arn")
			}
			sort.Strings(want)
			var got []string
			for _, line := range s.grantsOf(s.logicalID(tt.role)) {
				if strings.Contains(line, " lambda:") || strings.Contains(line, " states:") {
					got = append(got, line)
				} else if !strings.HasSuffix(line, " *") || !(strings.Contains(line, " logs:") || strings.Contains(line, " xray:")) {
					t.Errorf("%s role has %q; want only its functions, log delivery and X-Ray", tt.name, line)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s grants:\n got  %s\n want %s", tt.name, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
			}
			// The ASL names exactly these functions.
			subs, _ := props(s.res[s.logicalID(tt.machine)])["DefinitionSubstitutions"].(map[string]any)
			var named []string
			for key, v := range subs {
				if key != statemachine.WorkflowArnPlaceholder {
					named = append(named, "Allow lambda:InvokeFunction "+getAtt(v))
				}
			}
			sort.Strings(named)
			invoke := slices.DeleteFunc(slices.Clone(want), func(l string) bool { return !strings.Contains(l, " lambda:") })
			if !reflect.DeepEqual(named, invoke) {
				t.Errorf("%s substitutes %v, may invoke %v", tt.name, named, invoke)
			}
		})
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
	all(t, func(t *testing.T, s *synthed) {
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
					// Only the SSL-only guards, which deny broadly on purpose,
					// and the approvers' topic's guard (approval_test.go).
					if b, _ := json.Marshal(st["Condition"]); string(b) != `{"Bool":{"aws:SecureTransport":"false"}}` && !isApprovalPublishGuard(s, st) {
						t.Errorf("%s: unexpected Deny %v", id, st)
					}
				default:
					t.Errorf("%s: statement without an Effect: %v", id, st)
				}
			})
		}
		// 17 roles' policies + 17 trust policies + key, topic and queue policies.
		if statements < 50 {
			t.Errorf("walked only %d statements; the walk is broken", statements)
		}
	})
}

// Both state machines: the ASL file inline (the template shows it), every
// ${…} of it substituted, X-Ray on, and logging chosen so that the logs
// never copy task definitions' environment values, task overrides or task
// tokens: ERROR events only, without execution data, to a log group of
// their own encrypted with the stack's key.
func TestStateMachines(t *testing.T) {
	s := defaults(t)
	for _, tt := range []struct {
		name    string
		machine constructs.IConstruct
		asl     string
		kind    string
	}{
		{"workflow", s.cs.StateMachine, testASL, "STANDARD"},
		{"triage", s.cs.Triage, testTriage, "EXPRESS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sm := props(s.res[s.logicalID(tt.machine)])
			lc, _ := sm["LoggingConfiguration"].(map[string]any)
			dest := list(lc["Destinations"])
			if lc["Level"] != "ERROR" || lc["IncludeExecutionData"] != false || len(dest) != 1 {
				t.Errorf("logging = %v, want ERROR without execution data, to one log group", lc)
			}
			logs := ""
			if len(dest) == 1 {
				logs = strings.TrimSuffix(getAtt(dest[0].(map[string]any)["CloudWatchLogsLogGroup"].(map[string]any)["LogGroupArn"]), ".Arn")
			}
			lg := props(s.res[logs])
			if name, _ := json.Marshal(lg["LogGroupName"]); !strings.Contains(string(name), `"/aws/vendedlogs/states/EcsCompliance-`+tt.name+`-"`) ||
				!strings.Contains(string(name), "AWS::StackId") {
				t.Errorf("log group name = %s, want /aws/vendedlogs/states/EcsCompliance-%s-STACKID", name, tt.name)
			}
			if getAtt(lg["KmsKeyId"]) != s.logicalID(s.cs.TopicKey)+".Arn" {
				t.Errorf("log group %s is not encrypted with the stack's key: %v", logs, lg["KmsKeyId"])
			}
			if sm["StateMachineType"] != tt.kind || !reflect.DeepEqual(sm["TracingConfiguration"], map[string]any{"Enabled": true}) || sm["DefinitionS3Location"] != nil {
				t.Errorf("type %v, tracing %v, S3 definition %v", sm["StateMachineType"], sm["TracingConfiguration"], sm["DefinitionS3Location"])
			}

			def, ok := sm["DefinitionString"].(string)
			if !ok {
				t.Fatalf("DefinitionString is %T, want the inline ASL string", sm["DefinitionString"])
			}
			var got, want any
			if err := json.Unmarshal([]byte(def), &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.asl), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the inline definition is not statemachine/%s.asl.json", tt.name)
			}

			placeholders := statemachine.Placeholders(tt.asl)
			subs, _ := sm["DefinitionSubstitutions"].(map[string]any)
			if keys := slices.Sorted(maps.Keys(subs)); len(placeholders) == 0 || !reflect.DeepEqual(keys, placeholders) {
				t.Errorf("substitution keys %v\nASL placeholders  %v", keys, placeholders)
			}
			for _, l := range lambdaSpecs {
				if v, ok := subs[l.Placeholder()]; ok {
					if want := s.logicalID(s.cs.Functions[l.Name]) + ".Arn"; getAtt(v) != want {
						t.Errorf("${%s} = %v, want %s", l.Placeholder(), v, want)
					}
				}
			}
			if tt.name == "triage" && ref(subs[statemachine.WorkflowArnPlaceholder]) != s.logicalID(s.cs.StateMachine) {
				t.Errorf("${%s} = %v, want the workflow", statemachine.WorkflowArnPlaceholder, subs[statemachine.WorkflowArnPlaceholder])
			}
		})
	}
	// Between them, the two definitions name every function.
	seen := map[string]bool{}
	for _, p := range append(statemachine.Placeholders(testASL), statemachine.Placeholders(testTriage)...) {
		seen[p] = true
	}
	for _, l := range lambdaSpecs {
		if !seen[l.Placeholder()] {
			t.Errorf("no state machine names ${%s}", l.Placeholder())
		}
	}
}

// The approval wait ends before the workflow's own TimeoutSeconds, so that
// an unanswered request ends in the reported TIMED_OUT branch rather than
// in a silent execution timeout.
func TestApprovalWaitEndsBeforeTheWorkflowTimesOut(t *testing.T) {
	var asl struct{ TimeoutSeconds int }
	if err := json.Unmarshal([]byte(testASL), &asl); err != nil {
		t.Fatal(err)
	}
	// A day for everything before and after the wait: the retries of the
	// steps before it and the remediation and reports after it.
	if margin := asl.TimeoutSeconds - MaxApprovalTimeoutSeconds; asl.TimeoutSeconds == 0 || margin < 24*3600 {
		t.Errorf("workflow TimeoutSeconds %d leaves %d s after the longest approval wait (%d s); want at least a day",
			asl.TimeoutSeconds, margin, MaxApprovalTimeoutSeconds)
	}
	if err := (Settings{ApprovalTimeoutSeconds: MaxApprovalTimeoutSeconds + 1}).Validate(); err == nil || !strings.Contains(err.Error(), ctxApprovalTimeoutSeconds) {
		t.Errorf("an approval timeout past the maximum is accepted: %v", err)
	}
}

// The report topic's encryption, key rotation and TLS guard:
// TestStackKeyAndTopicLetOnlyThisStacksAlarmsAndLogsIn (alarms_test.go).
func TestReportTopicSubscription(t *testing.T) {
	both(t, func(t *testing.T, s *synthed) {
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

// The idempotency table (one claim per task) and the judgements table (one
// item per judgement key, reported revision and remediation incident):
// on-demand, expiring by TTL, recoverable, and deleted with the stack (they
// hold claims and caches: losing them means tasks are judged again).
func TestTables(t *testing.T) {
	s := defaults(t)
	for _, tt := range []struct {
		name  string
		table constructs.IConstruct
		key   string
	}{
		{"idempotency", s.cs.Table, "taskArn"},
		{"judgements", s.cs.Judgements, "pk"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := s.res[s.logicalID(tt.table)]
			p := props(r)
			for k, want := range map[string]any{
				"KeySchema":                        []any{map[string]any{"AttributeName": tt.key, "KeyType": "HASH"}},
				"AttributeDefinitions":             []any{map[string]any{"AttributeName": tt.key, "AttributeType": "S"}},
				"BillingMode":                      "PAY_PER_REQUEST",
				"TimeToLiveSpecification":          map[string]any{"AttributeName": "expiresAt", "Enabled": true},
				"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
			} {
				if !reflect.DeepEqual(p[k], want) {
					t.Errorf("%s = %v, want %v", k, p[k], want)
				}
			}
			if r["DeletionPolicy"] != "Delete" || p["TableName"] != nil {
				t.Errorf("deletion policy %v, name %v: want a generated name, deleted with the stack", r["DeletionPolicy"], p["TableName"])
			}
		})
	}
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
			// Standard up to 4 KB, Advanced above, never downgraded (which
			// Parameter Store refuses: an explicit Standard on a parameter
			// that once was Advanced would fail the deploy).
			if p["Value"] != content || p["Tier"] != "Intelligent-Tiering" || p["Type"] != "String" {
				t.Errorf("%s: tier %v type %v, value equal %v; want Intelligent-Tiering", file, p["Tier"], p["Type"], p["Value"] == content)
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

// The bundle in policies/ is one CloudFormation can deploy: every file
// passes the bundle's own checks, holds no dynamic reference, and fits an
// Advanced parameter (8 KB).
func TestShippedPolicyBundleDeploys(t *testing.T) {
	files, err := PolicyFiles(policyFS(), DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if len(content) > 8192 {
			t.Errorf("%s has %d bytes; a parameter holds at most 8192", name, len(content))
		}
	}
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

// Every log group of the stack — each function's and each state
// machine's — keeps the configured retention, is encrypted with the stack's
// key, and is named PREFIX/STACK-WHAT-STACKID: the stack's key policy lets
// CloudWatch Logs use the key for those names only, and a log group kept
// after `cdk destroy` never collides with the next deploy's.
func TestLogGroupsAreEncryptedAndNamedPerStackCreation(t *testing.T) {
	all(t, func(t *testing.T, s *synthed) {
		key := s.logicalID(s.cs.TopicKey) + ".Arn"
		for id, r := range s.typed("AWS::Logs::LogGroup") {
			p := props(r)
			if got := p["RetentionInDays"]; got != float64(s.cs.Settings.LogRetentionDays) {
				t.Errorf("%s retention = %v, want %d", id, got, s.cs.Settings.LogRetentionDays)
			}
			if getAtt(p["KmsKeyId"]) != key {
				t.Errorf("%s is not encrypted with the stack's key: %v", id, p["KmsKeyId"])
			}
			join, _ := p["LogGroupName"].(map[string]any)["Fn::Join"].([]any)
			if len(join) != 2 {
				t.Errorf("%s name = %v, want a join with the stack id", id, p["LogGroupName"])
				continue
			}
			parts := list(join[1])
			prefix, _ := parts[0].(string)
			stackID, _ := json.Marshal(parts[len(parts)-1])
			if !(strings.HasPrefix(prefix, "/aws/lambda/EcsCompliance-") || strings.HasPrefix(prefix, "/aws/vendedlogs/states/EcsCompliance-")) ||
				!strings.Contains(string(stackID), `"AWS::StackId"`) {
				t.Errorf("%s name = %v, want /aws/lambda/ or /aws/vendedlogs/states/, the stack's name and its id", id, join)
			}
		}
		// Each function logs to its own group, named for it.
		for name, fn := range s.cs.Functions {
			lg := props(s.res[ref(props(s.res[s.logicalID(fn)])["LoggingConfig"].(map[string]any)["LogGroup"])])
			if b, _ := json.Marshal(lg["LogGroupName"]); !strings.Contains(string(b), `"/aws/lambda/EcsCompliance-`+name+`-"`) {
				t.Errorf("%s logs to %s", name, b)
			}
		}
	})
}

// nameProperties are the properties that give a resource a fixed physical
// name, by resource type (every named type the stack uses).
var nameProperties = map[string]string{
	"AWS::Logs::LogGroup": "LogGroupName", "AWS::DynamoDB::Table": "TableName", "AWS::SSM::Parameter": "Name",
	"AWS::SNS::Topic": "TopicName", "AWS::SQS::Queue": "QueueName", "AWS::KMS::Key": "", "AWS::KMS::Alias": "AliasName",
	"AWS::SecretsManager::Secret": "Name", "AWS::Lambda::Function": "FunctionName", "AWS::IAM::Role": "RoleName",
	"AWS::StepFunctions::StateMachine": "StateMachineName", "AWS::Events::Rule": "Name", "AWS::CloudWatch::Alarm": "AlarmName",
}

// A redeploy after `cdk destroy` works: whatever the destroy leaves behind
// (DeletionPolicy Retain: the log groups, the key) has no fixed name a new
// deploy could collide with — a generated one, or one that contains the
// stack's id (unique per stack creation). Resources with fixed names
// (parameters, alarms) are deleted with the stack.
func TestNothingRetainedBlocksARedeploy(t *testing.T) {
	all(t, func(t *testing.T, s *synthed) {
		retained := map[string]bool{}
		for id, r := range s.res {
			typ, _ := r["Type"].(string)
			nameProp, known := nameProperties[typ]
			policy, _ := r["DeletionPolicy"].(string)
			if policy == "" || policy == "Delete" {
				continue
			}
			retained[typ] = true
			if !known {
				t.Errorf("%s (%s) is kept by %s: add its name property to nameProperties", id, typ, policy)
				continue
			}
			if nameProp == "" {
				continue
			}
			name, ok := props(r)[nameProp]
			if b, _ := json.Marshal(name); ok && !strings.Contains(string(b), `"AWS::StackId"`) {
				t.Errorf("%s (%s) is kept by %s under the fixed name %s: a redeploy after cdk destroy would collide with it", id, typ, policy, b)
			}
		}
		// What is kept, on purpose: the audit trail and the key it needs.
		if want := (map[string]bool{"AWS::Logs::LogGroup": true, "AWS::KMS::Key": true}); !reflect.DeepEqual(retained, want) {
			t.Errorf("kept after cdk destroy: %v, want %v", retained, want)
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
			Triage:     testTriage,
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
			p.Definition = strings.ReplaceAll(testASL, "${RecordFindingFunctionArn}", "arn:aws:lambda:us-east-1:123456789012:function:x")
		}, "no state uses ${RecordFindingFunctionArn}"},
		{"a definition that is not JSON", func(p *StackProps) { p.Definition = "{" }, "workflow definition"},
		{"a triage that is not JSON", func(p *StackProps) { p.Triage = "{" }, "triage definition"},
		{"a triage that never starts the workflow", func(p *StackProps) {
			p.Triage = strings.Replace(testTriage, "${WorkflowArn}", "arn:aws:states:us-east-1:123456789012:stateMachine:x", 1)
		}, "never starts the workflow"},
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
