// Package contract is the workflow's payload contract: the one document that
// flows through the state machine ($ in the ASL) and what each step returns
// into it. Every step, the local executor and the tests use these types; the
// ResultPath of each state in statemachine/workflow.asl.json is the JSON name
// of the State field that the step fills.
//
// The document starts as the EventBridge event (the execution's input) and
// each step adds one field:
//
//	Record task                 -> $.task
//	Load policy                 -> $.evaluation (bundle with files)
//	Describe task definition    -> $.described
//	Evaluate task against policy-> $.evaluation (bundle without files + decision)
//	Wait for approval           -> $.approval
//	Scale service to zero       -> $.remediation.service
//	Stop task                   -> $.remediation.task
//	Deregister task definition  -> $.remediation.taskDefinition
//	Report (parallel)           -> $.report
//	any Catch                   -> $.failure.<StepKey>
package contract

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Event is the EventBridge envelope of an "ECS Task State Change" event,
// exactly as EventBridge delivers it. Detail is kept raw: the policy sees it
// byte for byte as input.task.
type Event struct {
	Version    string          `json:"version,omitempty"`
	ID         string          `json:"id,omitempty"`
	DetailType string          `json:"detail-type,omitempty"`
	Source     string          `json:"source,omitempty"`
	Account    string          `json:"account,omitempty"`
	Time       string          `json:"time,omitempty"`
	Region     string          `json:"region,omitempty"`
	Resources  []string        `json:"resources,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

// TaskDetail is the part of the event's detail the steps read themselves.
// (The policy reads the whole raw detail.)
type TaskDetail struct {
	TaskArn           string      `json:"taskArn"`
	ClusterArn        string      `json:"clusterArn"`
	TaskDefinitionArn string      `json:"taskDefinitionArn"`
	Group             string      `json:"group,omitempty"`
	LastStatus        string      `json:"lastStatus,omitempty"`
	DesiredStatus     string      `json:"desiredStatus,omitempty"`
	LaunchType        string      `json:"launchType,omitempty"`
	StartedBy         string      `json:"startedBy,omitempty"`
	Containers        []Container `json:"containers,omitempty"`
}

// Container is one container of the event's detail.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
}

// State is the whole workflow document: the event plus what the steps add.
// Each Lambda step receives the whole State and returns the one field it owns.
type State struct {
	Event

	Task        *Task        `json:"task,omitempty"`
	Evaluation  *Evaluation  `json:"evaluation,omitempty"`
	Described   *Described   `json:"described,omitempty"`
	Approval    *Approval    `json:"approval,omitempty"`
	Remediation *Remediation `json:"remediation,omitempty"`
	Report      *Report      `json:"report,omitempty"`
	// Failure holds the {Error, Cause} a Catch stored, keyed by the StepKey of
	// the state that failed (see Step* constants). At most one key is set.
	Failure map[string]ErrorInfo `json:"failure,omitempty"`
}

// Task is what "Record task" returns ($.task): the task the workflow is about,
// parsed from the event, and whether this event is a duplicate.
type Task struct {
	TaskArn           string `json:"taskArn"`
	ClusterArn        string `json:"clusterArn"`
	Cluster           string `json:"cluster"` // cluster name
	TaskDefinitionArn string `json:"taskDefinitionArn"`
	Family            string `json:"family"`
	Revision          int    `json:"revision"`
	Group             string `json:"group,omitempty"`
	// Service is the service name when group is "service:NAME"; empty for a
	// standalone task.
	Service    string `json:"service,omitempty"`
	LaunchType string `json:"launchType,omitempty"`
	LastStatus string `json:"lastStatus,omitempty"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	// Duplicate is true when an earlier event already claimed this task.
	Duplicate bool `json:"duplicate"`
	// FirstSeen is when the task was first claimed (RFC 3339), ExpiresAt when
	// the claim expires (Unix seconds, the idempotency table's TTL).
	FirstSeen string `json:"firstSeen,omitempty"`
	ExpiresAt int64  `json:"expiresAt,omitempty"`
}

// ServiceArn is the ARN of the task's service, or "" for a standalone task.
// It keeps the cluster ARN's partition (aws, aws-cn, aws-us-gov).
func (t *Task) ServiceArn() string {
	if t == nil || t.Service == "" {
		return ""
	}
	partition := "aws"
	if a, err := arn.Parse(t.ClusterArn); err == nil {
		partition = a.Partition
	}
	return arn.ARN{Partition: partition, Service: "ecs", Region: t.Region, AccountID: t.Account,
		Resource: "service/" + t.Cluster + "/" + t.Service}.String()
}

// Bundle is the policy bundle. "Load policy" returns it with Files; "Evaluate"
// returns it without Files, so the modules do not ride through the rest of the
// workflow (Step Functions payloads are limited to 256 KiB).
type Bundle struct {
	// Path is the Parameter Store path the bundle was read from.
	Path string `json:"path"`
	// Hash is the SHA-256 (hex) of the bundle's files; the evaluate step
	// compiles once per hash.
	Hash string `json:"hash"`
	// Versions maps each parameter name to its Parameter Store version.
	Versions map[string]int64 `json:"versions,omitempty"`
	// Files maps a file's path in the bundle ("rules/registry/registry.rego",
	// "data.json") to its content.
	Files map[string]string `json:"files,omitempty"`
}

// Described is what "Describe task definition" returns ($.described).
type Described struct {
	// TaskDefinition is the taskDefinition object of DescribeTaskDefinition in
	// the ECS API's JSON shape (as `aws ecs describe-task-definition` prints it).
	TaskDefinition json.RawMessage `json:"taskDefinition"`
	// Tags are the task definition's tags merged with the service's (the
	// service's value wins on a shared key).
	Tags map[string]string `json:"tags"`
}

// Outcome is the branch the workflow takes after evaluation.
type Outcome string

const (
	// OutcomeCompliant: nothing to report, nothing to do.
	OutcomeCompliant Outcome = "COMPLIANT"
	// OutcomeReport: warnings, exemptions, or violations in audit mode; report only.
	OutcomeReport Outcome = "REPORT"
	// OutcomeRemediate: deny-level violations in enforce mode.
	OutcomeRemediate Outcome = "REMEDIATE"
)

// Mode is the deployment's enforcement mode.
type Mode string

const (
	ModeAudit   Mode = "audit"
	ModeEnforce Mode = "enforce"
)

// Evaluation is $.evaluation: after "Load policy" only Policy (with Files) is
// set; after "Evaluate task against policy" everything is.
type Evaluation struct {
	Policy   Bundle    `json:"policy"`
	Decision *Decision `json:"decision,omitempty"`
	Mode     Mode      `json:"mode,omitempty"`
	Outcome  Outcome   `json:"outcome,omitempty"`
	// ApprovalRequired is true when the outcome is REMEDIATE and the
	// deployment requires a person's approval for it.
	ApprovalRequired bool `json:"approvalRequired"`
	// ApprovalTimeoutSeconds is how long "Wait for approval" waits
	// (its TimeoutSecondsPath); set when ApprovalRequired.
	ApprovalTimeoutSeconds int `json:"approvalTimeoutSeconds,omitempty"`
}

// Decision is data.ecs.compliance.decision, the policy's answer.
type Decision struct {
	// Compliant is true when there is no deny-level violation.
	Compliant  bool        `json:"compliant"`
	Violations []Violation `json:"violations"`
	Warnings   []Violation `json:"warnings"`
	Exempted   []Violation `json:"exempted"`
}

// Severity labels, as ASFF uses them.
const (
	SeverityCritical      = "CRITICAL"
	SeverityHigh          = "HIGH"
	SeverityMedium        = "MEDIUM"
	SeverityLow           = "LOW"
	SeverityInformational = "INFORMATIONAL"
)

// Violation is one broken rule for one container (or the task).
type Violation struct {
	Rule      string `json:"rule"`
	Title     string `json:"title"`
	Severity  string `json:"severity"`
	Container string `json:"container"`
	Message   string `json:"message"`
	// Controls are what the rule maps to: "AWS Security Hub ECS.4",
	// "NIST 800-190 4.1.1", "CIS Docker 5.4", "Pod Security Standards: Baseline".
	Controls    []string `json:"controls"`
	Remediation string   `json:"remediation,omitempty"`
	// Enforcement is the rule's configured level: deny, warn (or off, never reported).
	Enforcement string `json:"enforcement,omitempty"`
	// Exemption is set on exempted violations.
	Exemption *Exemption `json:"exemption,omitempty"`
}

// Exemption says why a violation is exempted.
type Exemption struct {
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"`
}

// Approval is $.approval: the answer of "Wait for approval". On approval the
// callback's output fills Decision/Approver/DecidedAt; on rejection or timeout
// the Catch stores the error in Error ($.approval.error).
type Approval struct {
	Decision  string     `json:"decision,omitempty"` // APPROVED
	Approver  string     `json:"approver,omitempty"`
	DecidedAt string     `json:"decidedAt,omitempty"`
	Error     *ErrorInfo `json:"error,omitempty"`
}

// ApprovalRequest is the payload of "Wait for approval": the task token to
// answer and the workflow document.
type ApprovalRequest struct {
	TaskToken string `json:"taskToken"`
	State     State  `json:"state"`
}

// Approval outcomes as reports show them.
const (
	ApprovalApproved = "APPROVED"
	ApprovalRejected = "REJECTED"
	ApprovalTimedOut = "TIMED_OUT"
)

// Remediation is $.remediation: one field per remediation step.
type Remediation struct {
	Service        *ActionResult `json:"service,omitempty"`
	Task           *ActionResult `json:"task,omitempty"`
	TaskDefinition *ActionResult `json:"taskDefinition,omitempty"`
}

// ECS APIs a remediation step calls.
const (
	APIUpdateService            = "UpdateService"
	APIStopTask                 = "StopTask"
	APIDeregisterTaskDefinition = "DeregisterTaskDefinition"
)

// ActionResult is what a remediation step returns.
type ActionResult struct {
	API    string `json:"api"`
	Target string `json:"target"`
	// Changed is false when there was nothing to do (the task was already
	// stopped, the service already at 0 or gone, the task definition already
	// INACTIVE, or the task has no service).
	Changed bool   `json:"changed"`
	Detail  string `json:"detail,omitempty"`
	// PreviousDesiredCount is the service's desired count before it was
	// scaled to zero, so that an operator can restore it.
	PreviousDesiredCount *int32 `json:"previousDesiredCount,omitempty"`
}

// Report is $.report: what the report steps sent.
type Report struct {
	Notification *Notification `json:"notification,omitempty"`
	Findings     *FindingsSent `json:"findings,omitempty"`
}

// Notification is what the SNS step (and the failure report) published.
type Notification struct {
	MessageID string `json:"messageId"`
	Subject   string `json:"subject"`
}

// FindingsSent is what the Security Hub step imported.
type FindingsSent struct {
	IDs []string `json:"ids"`
}

// ErrorInfo is what a Catch stores: the error name and its cause.
type ErrorInfo struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Step keys: where each state's Catch stores its error ($.failure.<key>).
const (
	StepRecordTask    = "recordTask"
	StepLoadPolicy    = "loadPolicy"
	StepDescribe      = "describeTaskDefinition"
	StepEvaluate      = "evaluate"
	StepApproval      = "approval"
	StepScaleService  = "scaleService"
	StepStopTask      = "stopTask"
	StepDeregister    = "deregisterTaskDefinition"
	StepReport        = "report"
	StepReportFailure = "reportFailure"
)

// Error names that steps return (the Lambda errorType, the ASL's ErrorEquals).
const (
	// ErrTransient: throttling, server errors, conflicts: the ASL retries it.
	ErrTransient = "Compliance.Transient"
	// ErrInvalidInput: the step's input is malformed; not retried.
	ErrInvalidInput = "Compliance.InvalidInput"
	// ErrAccessDenied: the role lacks a permission; not retried.
	ErrAccessDenied = "Compliance.AccessDenied"
	// ErrNotFound: a resource the step needs does not exist; not retried.
	ErrNotFound = "Compliance.NotFound"
	// ErrPolicy: the bundle does not compile or the decision has the wrong shape.
	ErrPolicy = "Compliance.PolicyError"
	// ErrFailed: any other permanent failure; not retried.
	ErrFailed = "Compliance.Failed"
	// ErrApprovalRejected: a person rejected the remediation.
	ErrApprovalRejected = "Compliance.ApprovalRejected"
)
