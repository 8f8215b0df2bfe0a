package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/statemachine"
)

// StackProps is what the stack is built from. Everything is read before the
// first construct is made, so a bad input is an error, never a half-built
// stack.
type StackProps struct {
	awscdk.StackProps
	Settings Settings
	// AssetRoot holds <name>/bootstrap for every function (`make build`
	// writes .build/lambdas; tests point it at fake bootstraps).
	AssetRoot string
	// Policy is the policy folder (policies/).
	Policy fs.FS
	// Definition is the workflow's ASL (statemachine.Definition), Triage the
	// triage's (statemachine.Triage).
	Definition string
	Triage     string
}

// ComplianceStack is the deployed tool.
type ComplianceStack struct {
	awscdk.Stack
	Settings  Settings
	Functions map[string]awslambda.Function // by lambda name
	Roles     map[string]awsiam.Role        // by lambda name
	// Substitutions are the state machine's DefinitionSubstitutions keys,
	// mapped to the lambda name whose ARN they stand for.
	Substitutions map[string]string
	StateMachine  awsstepfunctions.StateMachine
	// Triage is the Express state machine the rules start.
	Triage awsstepfunctions.StateMachine
	Topic  awssns.Topic
	// TopicKey is the stack's key: it encrypts the topics and every log
	// group of the stack (its policy lets CloudWatch Logs use it for them,
	// and CloudWatch alarms publish to the topic with it).
	TopicKey awskms.Key
	Table    awsdynamodb.Table
	// Judgements keeps the judgements, the reports per revision and the
	// remediation incidents.
	Judgements awsdynamodb.Table
	Rule       awsevents.Rule
	// RegistrationRule sends CloudTrail's RegisterTaskDefinition to the
	// triage (setting judgeRegistrations, default on); nil when off.
	RegistrationRule awsevents.Rule
	DeadLetters      awssqs.Queue
	// PolicyParameters are the bundle's parameters by file name.
	PolicyParameters map[string]awsssm.StringParameter
	// Approval is what approval=on adds (approval.go); nil with approval off.
	Approval *ApprovalResources
}

// parameterLanes is how many bundle parameters CloudFormation writes at once.
const parameterLanes = 3

// parameterTier is every bundle parameter's tier. Intelligent-Tiering keeps
// a file of up to 4 KB in the free Standard tier and makes a larger one
// Advanced; Parameter Store never turns an Advanced parameter back into a
// Standard one, and an explicit Standard on it would fail the deploy — so a
// file that grows past 4 KB and later shrinks deploys every time (it stays
// Advanced: delete and redeploy to make it Standard again).
const parameterTier = awsssm.ParameterTier_INTELLIGENT_TIERING

// stackEnv is the stack's account, region and partition, all concrete: ARNs
// in policies are literal strings a reviewer can read.
type stackEnv struct{ Partition, Region, Account string }

func (e stackEnv) arn(service, resource string) string {
	return "arn:" + e.Partition + ":" + service + ":" + e.Region + ":" + e.Account + ":" + resource
}

// dnsSuffix is the partition's domain, which regional service principals
// (logs.REGION.amazonaws.com) end with.
func (e stackEnv) dnsSuffix() string {
	if e.Partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

var (
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// checkInputs validates everything the stack reads, returning the policy
// files to deploy and the excluded clusters' ARNs.
func checkInputs(props *StackProps) (env stackEnv, files map[string]string, excluded []string, err error) {
	errs := []error{props.Settings.Validate()}
	if props.Env == nil || props.Env.Account == nil || props.Env.Region == nil {
		return env, nil, nil, errors.New("the stack needs a concrete account and region (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION)")
	}
	env = stackEnv{Partition: contract.Partition(*props.Env.Region), Region: *props.Env.Region, Account: *props.Env.Account}
	if !accountPattern.MatchString(env.Account) {
		errs = append(errs, fmt.Errorf("account %q is not a 12-digit AWS account id", env.Account))
	}
	if !regionPattern.MatchString(env.Region) {
		errs = append(errs, fmt.Errorf("region %q is not an AWS region name", env.Region))
	}

	want := map[string]bool{}
	for _, l := range lambdaSpecs {
		want[l.Placeholder()] = true
	}
	for _, d := range []struct{ name, doc string }{{"workflow", props.Definition}, {"triage", props.Triage}} {
		var doc map[string]any
		if err := json.Unmarshal([]byte(d.doc), &doc); err != nil {
			errs = append(errs, fmt.Errorf("%s definition: %w", d.name, err))
		}
		for _, p := range statemachine.Placeholders(d.doc) {
			if p == statemachine.WorkflowArnPlaceholder && d.name == "triage" {
				continue
			}
			if _, ok := want[p]; !ok {
				errs = append(errs, fmt.Errorf("%s definition: ${%s} names no function of the stack", d.name, p))
			}
			want[p] = false
		}
	}
	if !slices.Contains(statemachine.Placeholders(props.Triage), statemachine.WorkflowArnPlaceholder) {
		errs = append(errs, fmt.Errorf("triage definition: it never starts the workflow (${%s})", statemachine.WorkflowArnPlaceholder))
	}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if want[p] {
			errs = append(errs, fmt.Errorf("state machine definitions: no state uses ${%s}", p))
		}
	}

	for _, l := range append(slices.Clone(lambdaSpecs), approvalSpecs(props.Settings)...) {
		p := filepath.Join(props.AssetRoot, l.Name, "bootstrap")
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			errs = append(errs, fmt.Errorf("lambda %s: no bootstrap at %s (run `make build`)", l.Name, p))
		}
	}

	if props.Policy == nil {
		errs = append(errs, errors.New("no policy folder"))
	} else if files, err = PolicyFiles(props.Policy, props.Settings); err != nil {
		errs = append(errs, err)
	}
	if excluded, err = props.Settings.ClusterArns(env.Partition, env.Region, env.Account); err != nil {
		errs = append(errs, err)
	}
	return env, files, excluded, errors.Join(errs...)
}

// NewComplianceStack builds the stack. It returns an error (and builds
// nothing) when a setting, the definition, a bootstrap or the policy bundle
// is not right.
func NewComplianceStack(scope constructs.Construct, id string, props *StackProps) (*ComplianceStack, error) {
	env, files, excluded, err := checkInputs(props)
	if err != nil {
		return nil, err
	}
	s := props.Settings
	sp := props.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("ecs-compliance: evaluates every new ECS task against a Rego policy and reports or remediates violations.")
	}
	stack := awscdk.NewStack(scope, &id, &sp)
	cs := &ComplianceStack{
		Stack:            stack,
		Settings:         s,
		Functions:        map[string]awslambda.Function{},
		Roles:            map[string]awsiam.Role{},
		Substitutions:    map[string]string{},
		PolicyParameters: map[string]awsssm.StringParameter{},
	}
	retention := retentionOf(s.LogRetentionDays)

	// ---- the stack's key: the topics and the log groups. It is kept when
	// the stack is deleted (CDK's default), because the log groups are kept
	// too and are unreadable without it.
	cs.TopicKey = awskms.NewKey(stack, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("ecs-compliance: encrypts the compliance topics and the stack's log groups"),
		EnableKeyRotation: jsii.Bool(true),
		Policy:            stackKeyPolicy(env, stack.StackName()),
	})
	cs.Topic = awssns.NewTopic(stack, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("ECS compliance"),
		MasterKey:   cs.TopicKey,
		EnforceSSL:  jsii.Bool(true),
	})
	if s.NotificationEmail != "" {
		cs.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(s.NotificationEmail), nil))
	}
	// The stack's alarms publish here (alarms.go); the topic policy that
	// EnforceSSL creates replaces SNS's default one, so CloudWatch needs a
	// statement of its own, kept to this stack's alarms.
	cs.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("StackAlarmsPublish"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*cs.Topic.TopicArn()),
		Conditions: alarmSourceConditions(env, stack.StackName()),
	}))

	// ---- idempotency table: one item per task ARN, expiring by TTL.
	cs.Table = awsdynamodb.NewTable(stack, jsii.String("IdempotencyTable"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String("taskArn"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String("expiresAt"),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// Claims only: losing them on `cdk destroy` means a task may be
		// evaluated again, nothing more.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	// ---- judgements: one item per judgement key, per reported revision and
	// per remediation incident, expiring by TTL.
	cs.Judgements = awsdynamodb.NewTable(stack, jsii.String("JudgementsTable"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String("expiresAt"),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		// Losing them on `cdk destroy` means revisions are judged (and
		// reported) again, nothing more.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})

	// ---- the policy bundle, one parameter per file under the path.
	bundleScope := constructs.NewConstruct(stack, jsii.String("PolicyBundle"))
	var chain []awsssm.StringParameter
	for i, name := range sortedFiles(files) {
		p := awsssm.NewStringParameter(bundleScope, jsii.String(parameterID(i, name)), &awsssm.StringParameterProps{
			ParameterName: jsii.String(bundle.ParameterName(s.PolicyPath, name)),
			StringValue:   jsii.String(files[name]),
			Tier:          parameterTier,
			Description:   jsii.String("ecs-compliance policy bundle file " + name),
		})
		// Parameter Store throttles PutParameter at a few calls a second and
		// CloudFormation would create every parameter at once: chain them
		// so that at most parameterLanes are written at a time.
		if i >= parameterLanes {
			p.Node().AddDependency(chain[i-parameterLanes])
		}
		chain = append(chain, p)
		cs.PolicyParameters[name] = p
	}

	// ---- one function per step, each with its own role and log group.
	tableArn := cs.Table.TableArn()
	topicArn := cs.Topic.TopicArn()
	keyArn := cs.TopicKey.KeyArn()
	publish := []grant{
		{Actions: []string{"sns:Publish"}, Resources: []string{*topicArn}},
		// SNS encrypts each message with a data key from the topic's key.
		{Actions: []string{"kms:GenerateDataKey", "kms:Decrypt"}, Resources: []string{*keyArn}},
	}
	judgementsArn := *cs.Judgements.TableArn()
	onClusters := clusterCondition(env, excluded)
	// GetParametersByPath is authorized on the path itself: access to /p
	// covers every parameter below it.
	readPolicy := grant{Actions: []string{"ssm:GetParametersByPath"}, Resources: []string{env.arn("ssm", "parameter"+s.PolicyPath)}}
	// What looking a judgement up calls: the policy's hash, the task
	// definition's and the service's tags, the service, the judgements
	// table. Record task looks up a task's judgement as soon as it has
	// claimed it; Look up judgement looks again after a wait.
	lookUp := []grant{
		readPolicy,
		{Actions: []string{"ecs:ListTagsForResource"}, Resources: []string{env.arn("ecs", "task-definition/*"), env.arn("ecs", "service/*")},
			Wildcard: "the tags of whichever task definition and service a starting task uses are read; their names are not known at deploy time"},
		{Actions: []string{"ecs:DescribeServices"}, Resources: []string{env.arn("ecs", "service/*")}, Conditions: onClusters,
			Wildcard: "the service of any task that starts in this account and region is described; the ecs:cluster condition keeps it to this account's clusters"},
		{Actions: []string{"dynamodb:GetItem", "dynamodb:PutItem"}, Resources: []string{judgementsArn}},
	}
	grants := map[string][]grant{
		"record-task":       append([]grant{{Actions: []string{"dynamodb:UpdateItem"}, Resources: []string{*tableArn}}}, lookUp...),
		"look-up-judgement": lookUp,
		"load-policy":       {readPolicy},
		"record-judgement":  {{Actions: []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}, Resources: []string{judgementsArn}}},
		"count-incident":    {{Actions: []string{"dynamodb:UpdateItem"}, Resources: []string{judgementsArn}}},
		"describe-task-definition": {
			{Actions: []string{"ecs:DescribeTaskDefinition"}, Resources: []string{"*"},
				Wildcard: "ecs:DescribeTaskDefinition supports no resource-level permissions (ECS requires \"*\")"},
			{Actions: []string{"ecs:ListTagsForResource"}, Resources: []string{env.arn("ecs", "service/*")},
				Wildcard: "the service's tags are read for any service of this account and region whose task starts; service names are not known at deploy time"},
		},
		"evaluate":      nil,
		"scale-service": scaleServiceGrants(env, onClusters),
		"stop-task": {{Actions: []string{"ecs:DescribeTasks", "ecs:StopTask"}, Resources: []string{env.arn("ecs", "task/*")}, Conditions: onClusters,
			Wildcard: "task ARNs are random ids known only at run time; the ecs:cluster condition keeps it to this account's clusters (minus the excluded ones)"}},
		"deregister-task-definition": deregisterGrants(env, excluded, s.ExcludedServices),
		"notify":                     publish,
		"record-finding": {{Actions: []string{"securityhub:BatchImportFindings"},
			Resources: []string{env.arn("securityhub", "product/"+env.Account+"/default")}}},
		"report-failure": append(slices.Clone(publish),
			grant{Actions: []string{"dynamodb:UpdateItem"}, Resources: []string{*tableArn}},
			grant{Actions: []string{"dynamodb:DeleteItem"}, Resources: []string{judgementsArn}}),
		// request-approval publishes only to the approvers' topic, never to
		// this one: approvalSeam adds that topic and its grants (approval on).
		"request-approval": nil,
	}
	lookUpEnv := exclusionsEnv(excluded, s.ExcludedServices)
	maps.Copy(lookUpEnv, map[string]string{
		"POLICY_PATH": s.PolicyPath, "JUDGEMENTS_TABLE": *cs.Judgements.TableName(), "MODE": s.Mode, "APPROVAL": s.Approval})
	recordTaskEnv := maps.Clone(lookUpEnv)
	maps.Copy(recordTaskEnv, map[string]string{"TABLE_NAME": *cs.Table.TableName(), "CLAIM_TTL_HOURS": "168", "ACCOUNT_ID": env.Account})
	envs := map[string]map[string]string{
		"record-task":       recordTaskEnv,
		"look-up-judgement": lookUpEnv,
		"record-judgement": {"JUDGEMENTS_TABLE": *cs.Judgements.TableName(), "MODE": s.Mode, "APPROVAL": s.Approval,
			"JUDGEMENT_TTL_HOURS": strconv.Itoa(s.JudgementTTLHours)},
		"count-incident":   {"JUDGEMENTS_TABLE": *cs.Judgements.TableName()},
		"load-policy":      {"POLICY_PATH": s.PolicyPath},
		"evaluate":         {"MODE": s.Mode, "APPROVAL": s.Approval, "APPROVAL_TIMEOUT_SECONDS": strconv.Itoa(s.ApprovalTimeoutSeconds)},
		"notify":           {"TOPIC_ARN": *topicArn},
		"report-failure":   {"TOPIC_ARN": *topicArn, "TABLE_NAME": *cs.Table.TableName(), "JUDGEMENTS_TABLE": *cs.Judgements.TableName()},
		"request-approval": nil, // approvalSeam sets it (approval on)
		// What it must not deregister a revision from under: the excluded
		// clusters (ARNs) and services (CLUSTER/SERVICE).
		"deregister-task-definition": exclusionsEnv(excluded, s.ExcludedServices),
	}

	for _, l := range lambdaSpecs {
		cs.Functions[l.Name], cs.Roles[l.Name] = cs.addFunction(l, props.AssetRoot, retention, grants[l.Name], envs[l.Name])
	}

	// ---- the state machines: the ASL files, inline, with the functions'
	// ARNs. The workflow first: the triage starts it by ARN.
	cs.StateMachine = cs.addStateMachine("Workflow", props.Definition, awsstepfunctions.StateMachineType_STANDARD, retention, nil)
	cs.Triage = cs.addStateMachine("Triage", props.Triage, awsstepfunctions.StateMachineType_EXPRESS, retention,
		map[string]*string{statemachine.WorkflowArnPlaceholder: cs.StateMachine.StateMachineArn()})
	// The triage may start the workflow, nothing else.
	cs.Triage.AddToRolePolicy(allow(grant{Actions: []string{"states:StartExecution"}, Resources: []string{*cs.StateMachine.StateMachineArn()}}))

	// ---- the triggers: every task that is about to start (but excluded
	// clusters), and every new task definition revision.
	cs.DeadLetters = awssqs.NewQueue(stack, jsii.String("EventsDeadLetterQueue"), &awssqs.QueueProps{
		// SSE-SQS: EventBridge can write to it without a key policy grant.
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	suppressDeadLetterQueue(cs.DeadLetters)
	target := awseventstargets.NewSfnStateMachine(cs.Triage, &awseventstargets.SfnStateMachineProps{
		DeadLetterQueue: cs.DeadLetters,
		// EventBridge's maximum: StartExecution throttling is transient, and
		// what still fails after a day lands in the dead-letter queue.
		RetryAttempts: jsii.Number(185),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(24)),
	})
	cs.Rule = awsevents.NewRule(stack, jsii.String("TaskStartingRule"), &awsevents.RuleProps{
		Description:  jsii.String("ecs-compliance: triages every ECS task that is about to run"),
		EventPattern: EventPattern(statemachine.TaskEventPattern(excluded)),
	})
	cs.Rule.AddTarget(target)
	if s.JudgeRegistrations == "on" {
		cs.RegistrationRule = awsevents.NewRule(stack, jsii.String("TaskDefinitionRegisteredRule"), &awsevents.RuleProps{
			Description:  jsii.String("ecs-compliance: judges every new task definition revision (CloudTrail RegisterTaskDefinition) before a task runs it"),
			EventPattern: EventPattern(statemachine.RegistrationEventPattern()),
		})
		cs.RegistrationRule.AddTarget(target)
	}

	approvalSeam(cs, s, props.AssetRoot, retention)
	cs.addAlarms()

	out := func(id, value, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: jsii.String(value), Description: jsii.String(desc)})
	}
	out("StateMachineArn", *cs.StateMachine.StateMachineArn(), "The compliance workflow (Standard)")
	out("TriageArn", *cs.Triage.StateMachineArn(), "The triage in front of it (Express), which the rules start")
	out("JudgementsTableName", *cs.Judgements.TableName(), "Judgements, reports per revision, remediation incidents")
	out("TopicArn", *topicArn, "Compliance reports (subscribe here)")
	out("IdempotencyTableName", *cs.Table.TableName(), "One claim per task ARN")
	out("PolicyPath", s.PolicyPath, "Parameter Store path of the Rego bundle")
	out("PolicyBundleHash", bundle.Hash(files), "SHA-256 of the deployed bundle (the workflow reports it)")
	out("DeadLetterQueueUrl", *cs.DeadLetters.QueueUrl(), "Events the rules could not deliver to the triage")
	out("Mode", s.Mode, "audit: report only; enforce: remediate deny-level violations")
	return cs, nil
}

// EventPattern turns an event pattern (statemachine.TaskEventPattern,
// RegistrationEventPattern: the one the local executor applies too) into
// CDK's.
func EventPattern(p map[string]any) *awsevents.EventPattern {
	strs := func(key string) *[]*string {
		list, _ := p[key].([]any)
		out := make([]*string, 0, len(list))
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, jsii.String(s))
			}
		}
		return &out
	}
	detail, _ := p["detail"].(map[string]any)
	return &awsevents.EventPattern{Source: strs("source"), DetailType: strs("detail-type"), Detail: &detail}
}

// addStateMachine adds a state machine from its ASL, with the functions it
// names substituted and the right to invoke them and nothing else, logging
// errors only and without execution data (task definitions' environment
// values, overrides and task tokens stay out of CloudWatch Logs; each
// execution's history stays in Step Functions).
func (cs *ComplianceStack) addStateMachine(id, definition string, kind awsstepfunctions.StateMachineType, retention awslogs.RetentionDays, extra map[string]*string) awsstepfunctions.StateMachine {
	stack := cs.Stack
	// Under /aws/vendedlogs/ CloudWatch Logs does not grow its account-wide
	// resource policy for every state machine that logs.
	logs := cs.addLogGroup(id+"Logs", stateMachineLogPrefix, strings.ToLower(id), retention)
	subs := map[string]*string{}
	var fnArns []string
	for _, p := range statemachine.Placeholders(definition) {
		if v, ok := extra[p]; ok {
			subs[p] = v
			continue
		}
		for _, l := range lambdaSpecs {
			if l.Placeholder() == p {
				arn := cs.Functions[l.Name].FunctionArn()
				subs[p] = arn
				fnArns = append(fnArns, *arn)
				cs.Substitutions[p] = l.Name
			}
		}
	}
	sm := awsstepfunctions.NewStateMachine(stack, jsii.String(id), &awsstepfunctions.StateMachineProps{
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(definition)),
		DefinitionSubstitutions: &subs,
		StateMachineType:        kind,
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel_ERROR,
			IncludeExecutionData: jsii.Bool(false),
		},
		TracingEnabled: jsii.Bool(true),
	})
	// Only its own functions (unqualified ARNs, as the ASL names them).
	sm.AddToRolePolicy(allow(grant{Actions: []string{"lambda:InvokeFunction"}, Resources: fnArns}))
	suppressStateMachineWildcards(sm)
	suppressErrorLevelLogging(sm)
	return sm
}

// Where the stack's log groups live: the state machines' under
// /aws/vendedlogs/states/, the functions' under /aws/lambda/.
const (
	stateMachineLogPrefix = "/aws/vendedlogs/states/"
	functionLogPrefix     = "/aws/lambda/"
)

// addLogGroup adds one of the stack's log groups, encrypted with the stack's
// key, named PREFIX + STACK-WHAT-STACKID. Log groups are kept when the stack
// is deleted (the audit trail, expiring by its retention); the stack id in
// the name is unique per stack creation, so one left behind never blocks a
// new deploy of the same stack, and the key policy's logs statement can
// name the stack's log groups (STACK-*) and no others.
func (cs *ComplianceStack) addLogGroup(id, prefix, what string, retention awslogs.RetentionDays) awslogs.LogGroup {
	stack := cs.Stack
	stackUUID := awscdk.Fn_Select(jsii.Number(2), awscdk.Fn_Split(jsii.String("/"), stack.StackId(), nil))
	return awslogs.NewLogGroup(stack, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String(prefix), stack.StackName(), jsii.String("-" + what + "-"), stackUUID}),
		Retention:     retention,
		EncryptionKey: cs.TopicKey,
	})
}

// addFunction adds one step's function with its own log group and role:
// the role may write to the log group and make the calls of grants, nothing
// else (cdk-nag's IAM5 is suppressed for exactly their wildcards).
func (cs *ComplianceStack) addFunction(l lambdaSpec, assetRoot string, retention awslogs.RetentionDays, grants []grant, env map[string]string) (awslambda.Function, awsiam.Role) {
	stack := cs.Stack
	logs := cs.addLogGroup(l.ID+"Logs", functionLogPrefix, l.Name, retention)
	role := awsiam.NewRole(stack, jsii.String(l.ID+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("ecs-compliance " + l.Name + ": only the calls this step makes"),
	})
	role.AddToPrincipalPolicy(allow(grant{Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resources: []string{*logs.LogGroupArn()}}))
	for _, g := range grants {
		role.AddToPrincipalPolicy(allow(g))
	}
	fn := awslambda.NewFunction(stack, jsii.String(l.ID), &awslambda.FunctionProps{
		Description:           jsii.String(l.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String("bootstrap"),
		Code:                  awslambda.Code_FromAsset(jsii.String(filepath.Join(assetRoot, l.Name)), nil),
		MemorySize:            jsii.Number(l.MemoryMB),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(l.TimeoutSeconds)),
		Role:                  role,
		LogGroup:              logs,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_WARN,
		Tracing:               awslambda.Tracing_ACTIVE,
		Environment:           stringMap(env),
	})
	suppressRoleWildcards(role, grants)
	return fn, role
}

// grant is one Allow statement of a role, and why its resources hold a
// wildcard where they do (the reason cdk-nag's IAM5 suppression carries).
type grant struct {
	Actions    []string
	Resources  []string
	Conditions map[string]any
	Wildcard   string
}

func allow(g grant) awsiam.PolicyStatement {
	props := &awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(g.Actions...),
		Resources: jsii.Strings(g.Resources...),
	}
	if len(g.Conditions) > 0 {
		props.Conditions = &g.Conditions
	}
	return awsiam.NewPolicyStatement(props)
}

// scaleServiceGrants: scale-service describes the service and the task
// (ECS must confirm the task is the service's before anything changes),
// suspends the service's scalable target (Application Auto Scaling) and
// sets the desired count to 0 — in this account's clusters but the
// excluded ones. RegisterScalableTarget only updates the service's existing
// target (the step never registers one), so the service-linked role exists
// already: no iam:CreateServiceLinkedRole, no iam:PassRole.
func scaleServiceGrants(env stackEnv, onClusters map[string]any) []grant {
	return []grant{
		{Actions: []string{"ecs:DescribeServices", "ecs:UpdateService"}, Resources: []string{env.arn("ecs", "service/*")}, Conditions: onClusters,
			Wildcard: "any service of this account and region may run a violating task; the ecs:cluster condition keeps it to this account's clusters (minus the excluded ones)"},
		{Actions: []string{"ecs:DescribeTasks"}, Resources: []string{env.arn("ecs", "task/*")}, Conditions: onClusters,
			Wildcard: "the task whose membership of the service is checked has a random id known only at run time; same ecs:cluster condition"},
		{Actions: []string{"application-autoscaling:DescribeScalableTargets"}, Resources: []string{"*"},
			Wildcard: "application-autoscaling:DescribeScalableTargets supports no resource-level permissions"},
		{Actions: []string{"application-autoscaling:RegisterScalableTarget"}, Resources: []string{env.arn("application-autoscaling", "scalable-target/*")},
			Conditions: map[string]any{"StringEquals": map[string]any{
				"application-autoscaling:service-namespace":  "ecs",
				"application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
			}},
			Wildcard: "scalable targets have random ids; the conditions keep it to ECS services' desired counts"},
	}
}

// deregisterGrants: deregister-task-definition reads and deregisters the
// revision (ECS allows no resource for either). With exclusions it first
// looks for the revision's users there, and may read only there: the
// excluded clusters' services and tasks (ecs:cluster), and the excluded
// services themselves (their ARNs).
func deregisterGrants(env stackEnv, excludedClusters, excludedServices []string) []grant {
	grants := []grant{{Actions: []string{"ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition"}, Resources: []string{"*"},
		Wildcard: "ecs:DescribeTaskDefinition and ecs:DeregisterTaskDefinition support no resource-level permissions (ECS requires \"*\")"}}
	if len(excludedClusters) > 0 {
		inExcluded := map[string]any{"ArnEquals": map[string]any{"ecs:cluster": excludedClusters}}
		grants = append(grants,
			grant{Actions: []string{"ecs:ListServices", "ecs:ListTasks"}, Resources: []string{"*"}, Conditions: inExcluded,
				Wildcard: "ecs:ListServices and ecs:ListTasks support no resource-level permissions; the ecs:cluster condition keeps them to the excluded clusters"},
			grant{Actions: []string{"ecs:DescribeServices"}, Resources: []string{env.arn("ecs", "service/*")}, Conditions: inExcluded,
				Wildcard: "the excluded clusters' services, whatever their names (ecs:cluster condition)"},
			grant{Actions: []string{"ecs:DescribeTasks"}, Resources: []string{env.arn("ecs", "task/*")}, Conditions: inExcluded,
				Wildcard: "the excluded clusters' running tasks, random ids (ecs:cluster condition)"},
		)
	}
	var services []string
	for _, svc := range excludedServices {
		cluster, _, _ := strings.Cut(svc, "/")
		if !slices.Contains(excludedClusters, env.arn("ecs", "cluster/"+cluster)) {
			services = append(services, env.arn("ecs", "service/"+svc))
		}
	}
	if len(services) > 0 {
		grants = append(grants, grant{Actions: []string{"ecs:DescribeServices"}, Resources: services})
	}
	return grants
}

// exclusionsEnv is the exclusions' environment (look-up-judgement leaves
// the excluded services' tasks alone, deregister-task-definition keeps what
// they use): EXCLUDED_CLUSTERS (ARNs) and EXCLUDED_SERVICES
// (CLUSTER/SERVICE), each set only when there is one.
func exclusionsEnv(excludedClusters, excludedServices []string) map[string]string {
	env := map[string]string{}
	if len(excludedClusters) > 0 {
		env["EXCLUDED_CLUSTERS"] = strings.Join(excludedClusters, ",")
	}
	if len(excludedServices) > 0 {
		env["EXCLUDED_SERVICES"] = strings.Join(excludedServices, ",")
	}
	return env
}

// clusterCondition keeps ECS mutations to this account's and region's
// clusters, and away from the excluded ones even when a step is invoked by
// hand.
func clusterCondition(env stackEnv, excluded []string) map[string]any {
	c := map[string]any{"ArnLike": map[string]any{"ecs:cluster": env.arn("ecs", "cluster/*")}}
	if len(excluded) > 0 {
		c["ArnNotEquals"] = map[string]any{"ecs:cluster": excluded}
	}
	return c
}

// stackKeyPolicy is the stack key's policy. CDK's default grants the
// account "kms:*"; this one names what administrators need (the KMS
// console's key-administrator set), delegates to IAM only the two calls
// that publishers make — the Lambda roles then get them on this key — and
// lets two services use it for this stack only: CloudWatch alarms
// publishing to the encrypted topic (aws:SourceAccount, aws:SourceArn of
// the stack's alarms) and CloudWatch Logs encrypting the stack's log groups
// (kms:EncryptionContext:aws:logs:arn of the stack's log groups).
func stackKeyPolicy(env stackEnv, stackName *string) awsiam.PolicyDocument {
	root := awsiam.NewAccountRootPrincipal()
	logGroups := make([]*string, 0, 2)
	for _, prefix := range []string{functionLogPrefix, stateMachineLogPrefix} {
		logGroups = append(logGroups, awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String(env.arn("logs", "log-group:"+prefix)), stackName, jsii.String("-*")}))
	}
	return awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("KeyAdministration"),
			Principals: &[]awsiam.IPrincipal{root},
			Actions: jsii.Strings("kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
				"kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
				"kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand"),
			Resources: jsii.Strings("*"),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("PublishersThroughIAM"),
			Principals: &[]awsiam.IPrincipal{root},
			Actions:    jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
			Resources:  jsii.Strings("*"),
		}),
		// SNS documents these two for CloudWatch alarms publishing to a
		// topic with a customer managed key.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("StackAlarmsPublishToTheTopic"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
			Resources:  jsii.Strings("*"),
			Conditions: alarmSourceConditions(env, stackName),
		}),
		// CloudWatch Logs documents these for a log group's key; the
		// condition keeps it to the stack's log groups.
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("StackLogGroups"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+env.Region+"."+env.dnsSuffix()), nil)},
			Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"ArnLike": map[string]any{"kms:EncryptionContext:aws:logs:arn": logGroups}},
		}),
	}})
}

// alarmSourceConditions keep a grant to cloudwatch.amazonaws.com to this
// stack's alarms (named STACK-…, alarms.go): the confused-deputy guard.
func alarmSourceConditions(env stackEnv, stackName *string) *map[string]any {
	return &map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": env.Account},
		"ArnLike": map[string]any{"aws:SourceArn": awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String(env.arn("cloudwatch", "alarm:")), stackName, jsii.String("-*")})},
	}
}

// parameterID is a construct id for a bundle file: readable and unique.
func parameterID(i int, name string) string {
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	return fmt.Sprintf("File%02d-%s", i, b.String())
}

func stringMap(m map[string]string) *map[string]*string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = jsii.String(v)
	}
	return &out
}

// retentionOf maps a validated number of days to CDK's enum.
func retentionOf(days int) awslogs.RetentionDays {
	return map[int]awslogs.RetentionDays{
		1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
		7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
		60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
		150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
		400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
		1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
		2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
		3653: awslogs.RetentionDays_TEN_YEARS,
	}[days]
}
