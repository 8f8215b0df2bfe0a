package statemachine

// Function is one Lambda a state machine invokes: its folder under lambdas/
// (which is also its function name's suffix) and the ASL placeholder that
// receives its ARN.
type Function struct {
	Dir         string
	Placeholder string
}

// Functions are the Lambdas the two state machines invoke, triage first,
// then the workflow's in order. The CDK stack deploys one function per
// entry and substitutes its ARN; the local executor maps each placeholder to
// the step's handler in-process. (report-failure serves both.)
var Functions = []Function{
	{"record-task", "RecordTaskFunctionArn"},
	{"look-up-judgement", "LookUpJudgementFunctionArn"},
	{"load-policy", "LoadPolicyFunctionArn"},
	{"describe-task-definition", "DescribeTaskDefinitionFunctionArn"},
	{"evaluate", "EvaluateFunctionArn"},
	{"record-judgement", "RecordJudgementFunctionArn"},
	{"request-approval", "RequestApprovalFunctionArn"},
	{"scale-service", "ScaleServiceFunctionArn"},
	{"stop-task", "StopTaskFunctionArn"},
	{"deregister-task-definition", "DeregisterTaskDefinitionFunctionArn"},
	{"count-incident", "CountIncidentFunctionArn"},
	{"notify", "NotifyFunctionArn"},
	{"record-finding", "RecordFindingFunctionArn"},
	{"report-failure", "ReportFailureFunctionArn"},
}
