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
	// Definition is the workflow's ASL (statemachine.Definition).
	Definition string
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
	Topic         awssns.Topic
	TopicKey      awskms.Key
	Table         awsdynamodb.Table
	Rule          awsevents.Rule
	DeadLetters   awssqs.Queue
	// PolicyParameters are the bundle's parameters by file name.
	PolicyParameters map[string]awsssm.StringParameter
	// Approval is what approval=on adds (approval.go); nil with approval off.
	Approval *ApprovalResources
}

// parameterLanes is how many bundle parameters CloudFormation writes at once.
const parameterLanes = 3

// stackEnv is the stack's account, region and partition, all concrete: ARNs
// in policies are literal strings a reviewer can read.
type stackEnv struct{ Partition, Region, Account string }

func (e stackEnv) arn(service, resource string) string {
	return "arn:" + e.Partition + ":" + service + ":" + e.Region + ":" + e.Account + ":" + resource
}

// partitionOf is the AWS partition of a region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
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
	env = stackEnv{Partition: partitionOf(*props.Env.Region), Region: *props.Env.Region, Account: *props.Env.Account}
	if !accountPattern.MatchString(env.Account) {
		errs = append(errs, fmt.Errorf("account %q is not a 12-digit AWS account id", env.Account))
	}
	if !regionPattern.MatchString(env.Region) {
		errs = append(errs, fmt.Errorf("region %q is not an AWS region name", env.Region))
	}

	var doc map[string]any
	if err := json.Unmarshal([]byte(props.Definition), &doc); err != nil {
		errs = append(errs, fmt.Errorf("state machine definition: %w", err))
	}
	want := map[string]bool{}
	for _, l := range lambdaSpecs {
		want[l.Placeholder()] = true
	}
	for _, p := range statemachine.Placeholders(props.Definition) {
		if !want[p] {
			errs = append(errs, fmt.Errorf("state machine definition: ${%s} names no function of the stack", p))
		}
		delete(want, p)
	}
	for _, p := range slices.Sorted(maps.Keys(want)) {
		errs = append(errs, fmt.Errorf("state machine definition: no state uses ${%s}", p))
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

	// ---- notification topic, encrypted with its own key.
	cs.TopicKey = awskms.NewKey(stack, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("ecs-compliance: encrypts the compliance notification topic"),
		EnableKeyRotation: jsii.Bool(true),
		Policy:            topicKeyPolicy(),
	})
	cs.Topic = awssns.NewTopic(stack, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("ECS compliance"),
		MasterKey:   cs.TopicKey,
		EnforceSSL:  jsii.Bool(true),
	})
	if s.NotificationEmail != "" {
		cs.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(s.NotificationEmail), nil))
	}

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

	// ---- the policy bundle, one parameter per file under the path.
	bundleScope := constructs.NewConstruct(stack, jsii.String("PolicyBundle"))
	var chain []awsssm.StringParameter
	for i, name := range sortedFiles(files) {
		tier := awsssm.ParameterTier_STANDARD
		if len(files[name]) > bundle.StandardTierBytes {
			tier = awsssm.ParameterTier_ADVANCED
		}
		p := awsssm.NewStringParameter(bundleScope, jsii.String(parameterID(i, name)), &awsssm.StringParameterProps{
			ParameterName: jsii.String(bundle.ParameterName(s.PolicyPath, name)),
			StringValue:   jsii.String(files[name]),
			Tier:          tier,
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
	onClusters := clusterCondition(env, excluded)
	grants := map[string][]grant{
		"record-task": {{Actions: []string{"dynamodb:PutItem"}, Resources: []string{*tableArn}}},
		// GetParametersByPath is authorized on the path itself: access to
		// /p covers every parameter below it.
		"load-policy": {{Actions: []string{"ssm:GetParametersByPath"}, Resources: []string{env.arn("ssm", "parameter"+s.PolicyPath)}}},
		"describe-task-definition": {
			{Actions: []string{"ecs:DescribeTaskDefinition"}, Resources: []string{"*"},
				Wildcard: "ecs:DescribeTaskDefinition supports no resource-level permissions (ECS requires \"*\")"},
			{Actions: []string{"ecs:ListTagsForResource"}, Resources: []string{env.arn("ecs", "service/*")},
				Wildcard: "the service's tags are read for any service of this account and region whose task starts; service names are not known at deploy time"},
		},
		"evaluate": nil,
		"scale-service": {{Actions: []string{"ecs:DescribeServices", "ecs:UpdateService"}, Resources: []string{env.arn("ecs", "service/*")}, Conditions: onClusters,
			Wildcard: "any service of this account and region may run a violating task; the ecs:cluster condition keeps it to this account's clusters (minus the excluded ones)"}},
		"stop-task": {{Actions: []string{"ecs:DescribeTasks", "ecs:StopTask"}, Resources: []string{env.arn("ecs", "task/*")}, Conditions: onClusters,
			Wildcard: "task ARNs are random ids known only at run time; the ecs:cluster condition keeps it to this account's clusters (minus the excluded ones)"}},
		"deregister-task-definition": {{Actions: []string{"ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition"}, Resources: []string{"*"},
			Wildcard: "ecs:DescribeTaskDefinition and ecs:DeregisterTaskDefinition support no resource-level permissions (ECS requires \"*\")"}},
		"notify": publish,
		"record-finding": {{Actions: []string{"securityhub:BatchImportFindings"},
			Resources: []string{env.arn("securityhub", "product/"+env.Account+"/default")}}},
		"report-failure": append(slices.Clone(publish),
			grant{Actions: []string{"dynamodb:DeleteItem"}, Resources: []string{*tableArn}}),
		// Issue 6 (approval): the request step publishes the approval
		// request; the callback endpoint and its secret come with approvalSeam.
		"request-approval": publish,
	}
	envs := map[string]map[string]string{
		"record-task":      {"TABLE_NAME": *cs.Table.TableName(), "CLAIM_TTL_HOURS": "168"},
		"load-policy":      {"POLICY_PATH": s.PolicyPath},
		"evaluate":         {"MODE": s.Mode, "APPROVAL": s.Approval, "APPROVAL_TIMEOUT_SECONDS": strconv.Itoa(s.ApprovalTimeoutSeconds)},
		"notify":           {"TOPIC_ARN": *topicArn},
		"report-failure":   {"TOPIC_ARN": *topicArn, "TABLE_NAME": *cs.Table.TableName()},
		"request-approval": {"TOPIC_ARN": *topicArn},
	}

	for _, l := range lambdaSpecs {
		cs.Functions[l.Name], cs.Roles[l.Name] = cs.addFunction(l, props.AssetRoot, retention, grants[l.Name], envs[l.Name])
		cs.Substitutions[l.Placeholder()] = l.Name
	}

	// ---- the workflow: the ASL file, inline, with the functions' ARNs.
	workflowLogs := awslogs.NewLogGroup(stack, jsii.String("WorkflowLogs"), &awslogs.LogGroupProps{
		// Under /aws/vendedlogs/ CloudWatch Logs does not grow its account-wide
		// resource policy for every state machine that logs.
		LogGroupName: jsii.String("/aws/vendedlogs/states/" + id + "-workflow"),
		Retention:    retention,
	})
	subs := map[string]*string{}
	var fnArns []string
	for _, l := range lambdaSpecs {
		arn := cs.Functions[l.Name].FunctionArn()
		subs[l.Placeholder()] = arn
		fnArns = append(fnArns, *arn)
	}
	cs.StateMachine = awsstepfunctions.NewStateMachine(stack, jsii.String("Workflow"), &awsstepfunctions.StateMachineProps{
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(props.Definition)),
		DefinitionSubstitutions: &subs,
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		Logs: &awsstepfunctions.LogOptions{
			Destination:          workflowLogs,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
		TracingEnabled: jsii.Bool(true),
	})
	// Only its own functions (unqualified ARNs, as the ASL names them).
	cs.StateMachine.AddToRolePolicy(allow(grant{Actions: []string{"lambda:InvokeFunction"}, Resources: fnArns}))
	suppressStateMachineWildcards(cs.StateMachine)

	// ---- the trigger: every task that is about to start, but excluded clusters.
	cs.DeadLetters = awssqs.NewQueue(stack, jsii.String("EventsDeadLetterQueue"), &awssqs.QueueProps{
		// SSE-SQS: EventBridge can write to it without a key policy grant.
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	suppressDeadLetterQueue(cs.DeadLetters)
	cs.Rule = awsevents.NewRule(stack, jsii.String("TaskStartingRule"), &awsevents.RuleProps{
		Description:  jsii.String("ecs-compliance: starts the compliance workflow for every ECS task that is about to run"),
		EventPattern: EventPattern(excluded),
	})
	cs.Rule.AddTarget(awseventstargets.NewSfnStateMachine(cs.StateMachine, &awseventstargets.SfnStateMachineProps{
		DeadLetterQueue: cs.DeadLetters,
		// EventBridge's maximum: StartExecution throttling is transient, and
		// what still fails after a day lands in the dead-letter queue.
		RetryAttempts: jsii.Number(185),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(24)),
	}))

	approvalSeam(cs, s, props.AssetRoot, retention)

	out := func(id, value, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: jsii.String(value), Description: jsii.String(desc)})
	}
	out("StateMachineArn", *cs.StateMachine.StateMachineArn(), "The compliance workflow")
	out("TopicArn", *topicArn, "Compliance reports (subscribe here)")
	out("IdempotencyTableName", *cs.Table.TableName(), "One claim per task ARN")
	out("PolicyPath", s.PolicyPath, "Parameter Store path of the Rego bundle")
	out("PolicyBundleHash", bundle.Hash(files), "SHA-256 of the deployed bundle (the workflow reports it)")
	out("DeadLetterQueueUrl", *cs.DeadLetters.QueueUrl(), "Events the rule could not deliver to the workflow")
	out("Mode", s.Mode, "audit: report only; enforce: remediate deny-level violations")
	return cs, nil
}

// EventPattern is the rule's pattern: ECS task state changes of tasks that
// are meant to run, caught at their earliest status (the workflow's
// idempotency claim makes later events of the same task no-ops), minus
// the excluded clusters.
func EventPattern(excludedClusterArns []string) *awsevents.EventPattern {
	detail := map[string]any{
		"desiredStatus": []any{"RUNNING"},
		// PROVISIONING (awsvpc ENI being attached) and PENDING come before
		// the containers start; ACTIVATING and RUNNING catch a task whose
		// earlier events were missed.
		"lastStatus": []any{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"},
	}
	if len(excludedClusterArns) > 0 {
		list := make([]any, len(excludedClusterArns))
		for i, a := range excludedClusterArns {
			list[i] = a
		}
		detail["clusterArn"] = []any{map[string]any{"anything-but": list}}
	}
	return &awsevents.EventPattern{
		Source:     jsii.Strings("aws.ecs"),
		DetailType: jsii.Strings("ECS Task State Change"),
		Detail:     &detail,
	}
}

// addFunction adds one step's function with its own log group and role:
// the role may write to the log group and make the calls of grants, nothing
// else (cdk-nag's IAM5 is suppressed for exactly their wildcards).
func (cs *ComplianceStack) addFunction(l lambdaSpec, assetRoot string, retention awslogs.RetentionDays, grants []grant, env map[string]string) (awslambda.Function, awsiam.Role) {
	stack := cs.Stack
	logs := awslogs.NewLogGroup(stack, jsii.String(l.ID+"Logs"), &awslogs.LogGroupProps{Retention: retention})
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

// topicKeyPolicy is the topic key's policy. CDK's default grants the
// account "kms:*"; this one names what administrators need (the KMS
// console's key-administrator set) and delegates to IAM only the two
// calls that publishers make — the Lambda roles then get them on this key.
func topicKeyPolicy() awsiam.PolicyDocument {
	root := awsiam.NewAccountRootPrincipal()
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
	}})
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
