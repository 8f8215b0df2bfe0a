package main

// lambdaSpec is one step's Lambda function: where its bootstrap is and how
// it is sized. What it may call (its IAM statements) and its environment are
// in stack.go, next to the resources they name.
type lambdaSpec struct {
	// Name is the folder under lambdas/ (its main) and under the asset root
	// (<root>/<name>/bootstrap, written by `make build`).
	Name string
	// ID is the construct id; the ASL's placeholder for the function's ARN
	// is ID + "FunctionArn".
	ID          string
	Description string
	// MemoryMB also sets the CPU share (1769 MB = one vCPU).
	MemoryMB float64
	// TimeoutSeconds stays under the state's TimeoutSeconds (60) in the ASL,
	// so that a hung invocation ends as Sandbox.Timedout, which the state
	// retries, rather than as States.Timeout of the state itself.
	TimeoutSeconds float64
}

// Placeholder is the ASL's DefinitionSubstitutions key for the function ARN.
func (l lambdaSpec) Placeholder() string { return l.ID + "FunctionArn" }

// Sizing. The steps are small Go binaries that make one or two AWS calls:
// at 128 MB a function gets about 1/14 of a vCPU, which makes the SDK's
// cold start (TLS handshake, SigV4 signing, JSON) several times slower, so
// the AWS-calling steps get 256 MB (1/7 vCPU) — billed by the millisecond,
// the faster cold start costs about the same. Their timeout of 30 s covers
// the SDK's own three attempts with backoff and leaves the ASL's 60 s state
// timeout as the outer bound.
const (
	awsStepMemoryMB = 256
	awsStepTimeout  = 30
)

// lambdaSpecs are the state machines' functions: the triage's, then the
// workflow's in order (statemachine.Functions).
// request-approval is deployed even with approval off (the ASL names it;
// it is never invoked then). The approval callback endpoint of issue 6 is
// not a workflow state and is added by approvalSeam.
var lambdaSpecs = []lambdaSpec{
	{Name: "record-task", ID: "RecordTask", Description: "Triage: validates the event and claims the task in the idempotency table (first event wins).",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "look-up-judgement", ID: "LookUpJudgement", Description: "Triage: computes the task's judgement key and looks up what is known under it.",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "load-policy", ID: "LoadPolicy", Description: "Reads the Rego policy bundle from Parameter Store.",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "describe-task-definition", ID: "DescribeTaskDefinition", Description: "Describes the task definition (with tags) and the service's tags.",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	// evaluate compiles the Rego bundle with OPA on a cold start or a new
	// bundle hash (CPU-bound: parse, type-check, plan) and then evaluates;
	// 1024 MB buys ~0.6 vCPU so that the compile takes tens of milliseconds
	// rather than hundreds, and room for OPA's AST and the prepared query
	// (the binary alone is tens of MB). No AWS call: the timeout only guards
	// a pathological policy.
	{Name: "evaluate", ID: "Evaluate", Description: "Evaluates the task against the Rego policy with OPA.",
		MemoryMB: 1024, TimeoutSeconds: 30},
	{Name: "record-judgement", ID: "RecordJudgement", Description: "Stores the judgement under its key and decides what the reports do for the revision.",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "request-approval", ID: "RequestApproval", Description: "Publishes an approval request and hands the task token over (approval on only).",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "scale-service", ID: "ScaleService", Description: "Scales the task's service to zero (remediation).",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "stop-task", ID: "StopTask", Description: "Stops the task (remediation).",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "deregister-task-definition", ID: "DeregisterTaskDefinition", Description: "Deregisters the task definition (remediation).",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "count-incident", ID: "CountIncident", Description: "Counts the remediated task in its remediation incident.",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "notify", ID: "Notify", Description: "Publishes the compliance report to the SNS topic.",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "record-finding", ID: "RecordFinding", Description: "Imports the findings into AWS Security Hub.",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
	{Name: "report-failure", ID: "ReportFailure", Description: "Reports a failed step and releases the task's claim.",
		MemoryMB: awsStepMemoryMB, TimeoutSeconds: awsStepTimeout},
}
