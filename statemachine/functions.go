package statemachine

// Function is one Lambda the workflow invokes: its folder under lambdas/
// (which is also its function name's suffix) and the ASL placeholder that
// receives its ARN.
type Function struct {
	Dir         string
	Placeholder string
}

// Functions are the Lambdas the ASL invokes, in workflow order. The CDK stack
// deploys one function per entry and substitutes its ARN; the local executor
// maps each placeholder to the step's handler in-process.
var Functions = []Function{
	{"record-task", "RecordTaskFunctionArn"},
	{"load-policy", "LoadPolicyFunctionArn"},
	{"describe-task-definition", "DescribeTaskDefinitionFunctionArn"},
	{"evaluate", "EvaluateFunctionArn"},
	{"request-approval", "RequestApprovalFunctionArn"},
	{"scale-service", "ScaleServiceFunctionArn"},
	{"stop-task", "StopTaskFunctionArn"},
	{"deregister-task-definition", "DeregisterTaskDefinitionFunctionArn"},
	{"notify", "NotifyFunctionArn"},
	{"record-finding", "RecordFindingFunctionArn"},
	{"report-failure", "ReportFailureFunctionArn"},
}
