package main

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// addNagChecks runs cdk-nag's AwsSolutions pack on every synth of the app.
// Its findings are synth annotations (errors fail `cdk synth`/`deploy`) and
// its report lands in the cloud assembly (cdk.out/AwsSolutions-*-NagReport.*).
func addNagChecks(app awscdk.App) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose:       jsii.Bool(true),
		Reports:       jsii.Bool(true),
		ReportFormats: &[]cdknag.NagReportFormat{cdknag.NagReportFormat_CSV, cdknag.NagReportFormat_JSON},
	}), nil)
}

// xrayReason: Lambda's and Step Functions' active tracing add these X-Ray
// calls, which have no resource-level permissions.
const xrayReason = "xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no resource-level permissions"

// suppressRoleWildcards suppresses IAM5 for exactly the wildcard resources of
// a step's role: X-Ray's "*" and those its grants explain.
func suppressRoleWildcards(role awsiam.Role, grants []grant) {
	reasons := []string{xrayReason}
	appliesTo := []string{"Resource::*"}
	for _, g := range grants {
		for _, r := range g.Resources {
			if !strings.Contains(r, "*") {
				continue
			}
			if !slices.Contains(appliesTo, "Resource::"+r) {
				appliesTo = append(appliesTo, "Resource::"+r)
			}
			if g.Wildcard != "" && !slices.Contains(reasons, g.Wildcard) {
				reasons = append(reasons, g.Wildcard)
			}
		}
	}
	suppressIAM5(role, appliesTo, strings.Join(reasons, "; "))
}

// suppressStateMachineWildcards: CDK gives the state machine's role the
// CloudWatch Logs delivery calls and X-Ray's calls on "*".
func suppressStateMachineWildcards(sm awsstepfunctions.StateMachine) {
	suppressIAM5(sm.Role(), []string{"Resource::*"},
		"logging to CloudWatch Logs goes through log deliveries (logs:CreateLogDelivery, logs:GetLogDelivery, logs:UpdateLogDelivery, "+
			"logs:DeleteLogDelivery, logs:ListLogDeliveries, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups), "+
			"which support no resource-level permissions; so do X-Ray's PutTraceSegments, PutTelemetryRecords, GetSamplingRules and GetSamplingTargets "+
			"(tracing). Its only other permission is lambda:InvokeFunction on the stack's own functions")
}

// suppressErrorLevelLogging: SF1 wants every state machine to log ALL
// events. These log ERROR events without execution data on purpose: ALL
// with data would copy task definitions' environment values, task
// overrides and approval task tokens into CloudWatch Logs. Each
// execution's full history stays in Step Functions (the console, or
// GetExecutionHistory), and the alarms report failures.
func suppressErrorLevelLogging(sm awsstepfunctions.StateMachine) {
	cdknag.NagSuppressions_AddResourceSuppressions(sm, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SF1"),
		Reason: jsii.String("logs ERROR events without execution data on purpose: ALL events with data would copy task definitions' environment values, " +
			"task overrides and approval task tokens into CloudWatch Logs; each execution's history stays in Step Functions, and CloudWatch alarms report failed, timed-out and aborted executions"),
	}}, jsii.Bool(false))
}

func suppressIAM5(construct any, appliesTo []string, reason string) {
	list := make([]any, len(appliesTo))
	for i, a := range appliesTo {
		list[i] = a
	}
	cdknag.NagSuppressions_AddResourceSuppressions(construct, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(reason),
		AppliesTo: &list,
	}}, jsii.Bool(true))
}

// suppressDeadLetterQueue: SQS3 wants every queue to have a DLQ unless it is
// one; cdk-nag only recognises queues that are DLQs of other queues.
func suppressDeadLetterQueue(q awssqs.Queue) {
	cdknag.NagSuppressions_AddResourceSuppressions(q, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("this queue is itself the dead-letter queue of the EventBridge rule's target; a DLQ of a DLQ would only move the same undeliverable events"),
	}}, jsii.Bool(false))
}
