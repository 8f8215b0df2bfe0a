// Package contract is the payload contract of both state machines: the one
// document that flows through the triage (statemachine/triage.asl.json) and
// the workflow (statemachine/workflow.asl.json) — $ in the ASL — and what
// each step returns into it. Every step, the local executor and the tests use
// these types; the ResultPath of each Task state is the JSON name of the
// State field that its step fills.
//
// The document starts as the EventBridge event (the triage's input); the
// triage adds $.task and $.lookup and starts the workflow with that
// document; each step adds one field:
//
//	triage   Record task                  -> $.task
//	         Look up judgement            -> $.lookup
//	         Start compliance workflow    -> $.workflow
//	workflow Take the stored judgement    -> $.evaluation (from $.lookup)
//	         Load policy                  -> $.evaluation (bundle with files)
//	         Describe task definition     -> $.described
//	         Evaluate task against policy -> $ (the whole document: bundle
//	                                         without files, decision, and the
//	                                         task definition summarized)
//	         Record judgement             -> $.judgement
//	         Wait for approval            -> $.approval
//	         Scale service to zero        -> $.remediation.service
//	         Stop task                    -> $.remediation.task
//	         Deregister task definition   -> $.remediation.taskDefinition
//	         Count remediated task        -> $.incident
//	         Report (parallel)            -> $.report
//	         Update Security Hub findings -> $.report.findings
//	both     any Catch                    -> $.failure.<StepKey>
package contract

import (
	"encoding/json"
	"regexp"
	"strings"
	"sync"

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
	// Lookup is what the triage's "Look up judgement" found ($.lookup).
	Lookup *Lookup `json:"lookup,omitempty"`
	// Judgement is what "Record judgement" stored and what it means for the
	// reports ($.judgement).
	Judgement *Judgement `json:"judgement,omitempty"`
	// Incident is the remediation incident this task was counted in
	// ($.incident).
	Incident *Incident `json:"incident,omitempty"`
	// Failure holds the {Error, Cause} a Catch stored, keyed by the StepKey of
	// the state that failed (see Step* constants). At most one key is set.
	Failure map[string]ErrorInfo `json:"failure,omitempty"`
}

// Task is what "Record task" returns ($.task): the task the workflow is about,
// parsed from the event, and whether this event is a duplicate.
//
// Kind says which event it came from: KindTask (an ECS task state change:
// every field is set) or KindRegistration (CloudTrail's RegisterTaskDefinition:
// no task yet, so TaskArn, ClusterArn, Cluster, Group, Service, TaskID,
// LaunchType and LastStatus are empty, and RegisteredBy is set).
type Task struct {
	// Kind is KindTask or KindRegistration; "" (a payload written before
	// kinds existed) means KindTask.
	Kind              string `json:"kind,omitempty"`
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
	// TaskID is the task ARN's last path segment (the task's id).
	TaskID string `json:"taskId,omitempty"`
	// RegisteredBy is, for a registration, who registered the task definition:
	// the CloudTrail record's userIdentity ARN, made safe to show on one line.
	RegisteredBy string `json:"registeredBy,omitempty"`
	// Duplicate is true when another execution holds the task's claim (an
	// earlier event's): this execution goes no further.
	Duplicate bool `json:"duplicate"`
	// ClaimedBy is the id of the execution that holds the task's claim. A
	// retry of the same execution recognises its own claim (not a duplicate).
	ClaimedBy string `json:"claimedBy,omitempty"`
	// Attempt counts the claims of this task: 1 for the first, one more
	// after each release (a failed execution releases its claim so that a
	// later event gets a new try) or expiry. For a duplicate, the holder's.
	Attempt int `json:"attempt,omitempty"`
	// ExecutionName is the name of the Standard execution this task may
	// start: derived from the task id (family and revision for a
	// registration) and the attempt, so that Step Functions itself refuses a
	// second execution for one claim (recordtask.ExecutionName).
	ExecutionName string `json:"executionName,omitempty"`
	// FirstSeen is when the task was first claimed (RFC 3339), ExpiresAt when
	// the claim expires (Unix seconds, the idempotency table's TTL).
	FirstSeen string `json:"firstSeen,omitempty"`
	ExpiresAt int64  `json:"expiresAt,omitempty"`
}

// Task kinds (Task.Kind).
const (
	// KindTask: an ECS Task State Change of a task starting.
	KindTask = "task"
	// KindRegistration: CloudTrail's RegisterTaskDefinition of a new revision.
	KindRegistration = "registration"
)

// ClaimKey is the key of the task's idempotency claim: the task ARN, or for
// a registration the task definition ARN. Both "Record task" (which claims it)
// and "Report failure" (which releases it) use it.
func (t *Task) ClaimKey() string {
	if t == nil {
		return ""
	}
	if t.Kind == KindRegistration {
		return t.TaskDefinitionArn
	}
	return t.TaskArn
}

// RecordTaskInput is what "Record task" receives (its Parameters): the
// EventBridge event that started the triage and the id of the triage
// execution, which the claim records as its owner.
type RecordTaskInput struct {
	Event       Event  `json:"event"`
	ExecutionID string `json:"executionId"`
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
	// "Evaluate task against policy" replaces it with a summary (the fields
	// the reports show: no environment, no secrets), so that the raw task
	// definition does not ride through the rest of the workflow.
	TaskDefinition json.RawMessage `json:"taskDefinition"`
	// Tags are the task definition's tags merged with the service's (the
	// service's value wins on a shared key): input.tags.
	Tags map[string]string `json:"tags"`
	// TaskDefinitionTags and ServiceTags are the two sets apart, for the
	// findings' resources.
	TaskDefinitionTags map[string]string `json:"taskDefinitionTags,omitempty"`
	ServiceTags        map[string]string `json:"serviceTags,omitempty"`
	// Service is the service's configuration (DescribeServices without its
	// run-time state): input.service. Empty for a standalone task.
	Service json.RawMessage `json:"service,omitempty"`
}

// Next steps the triage's lookup can decide.
const (
	// NextJudge: no valid judgement; this execution judges the key.
	NextJudge = "JUDGE"
	// NextRemediate: the key is judged REMEDIATE: the task must be stopped.
	NextRemediate = "REMEDIATE"
	// NextDone: the key is judged compliant or report-only (or, in audit
	// mode, being judged by another execution): nothing to do.
	NextDone = "DONE"
	// NextWait: another execution is judging the key (enforce mode): wait
	// and look again.
	NextWait = "WAIT"
)

// Lookup is what "Look up judgement" returns ($.lookup): the judgement key,
// what goes into it, and what is known under it.
type Lookup struct {
	// PolicyHash is the hash of the policy bundle in Parameter Store.
	PolicyHash string `json:"policyHash"`
	// Subject is the hash of what the policy reads that is not per-task
	// identity (see package judgement); Key combines it with the policy hash
	// and the deployment's settings.
	Subject string `json:"subject"`
	Key     string `json:"key"`
	// TaskDefinitionTags, ServiceTags and Service are what went into the
	// subject; the workflow evaluates with exactly these.
	TaskDefinitionTags map[string]string `json:"taskDefinitionTags"`
	ServiceTags        map[string]string `json:"serviceTags,omitempty"`
	Service            json.RawMessage   `json:"service,omitempty"`
	// Next is what the triage does: JUDGE, REMEDIATE, DONE or WAIT.
	Next string `json:"next"`
	// Reason says why, for people ("judged COMPLIANT at …").
	Reason string `json:"reason"`
	// Judgement is the stored judgement Next relies on, if any.
	Judgement *JudgementRef `json:"judgement,omitempty"`
	// Evaluation is the stored judgement's evaluation when Next is
	// REMEDIATE: the workflow remediates with it, without evaluating.
	Evaluation *Evaluation `json:"evaluation,omitempty"`
	// Waits counts the lookups that found the key being judged elsewhere.
	Waits int `json:"waits,omitempty"`
}

// JudgementRef names a stored judgement.
type JudgementRef struct {
	Key        string  `json:"key"`
	PolicyHash string  `json:"policyHash"`
	JudgedAt   string  `json:"judgedAt"`
	ExpiresAt  string  `json:"expiresAt,omitempty"`
	Outcome    Outcome `json:"outcome,omitempty"`
}

// What the reports do for a judgement.
const (
	// ReportFull: an SNS message and the Security Hub findings.
	ReportFull = "FULL"
	// ReportFindings: the findings only (updated counts, resolutions).
	ReportFindings = "FINDINGS"
	// ReportNone: nothing new to report.
	ReportNone = "NONE"
)

// Judgement is what "Record judgement" returns ($.judgement).
type Judgement struct {
	JudgementRef
	// Report is FULL (news: a first judgement with findings, or findings
	// that changed), FINDINGS (nothing new to say, but findings to resolve)
	// or NONE.
	Report string `json:"report"`
	// Resolve are the rules flagged for this revision before and not now:
	// their findings are resolved.
	Resolve []string `json:"resolve,omitempty"`
}

// Incident is what "Count remediated task" returns ($.incident).
type Incident struct {
	ID string `json:"id"`
	// Tasks is how many tasks the incident covered so far.
	Tasks   int    `json:"tasks"`
	FirstAt string `json:"firstAt"`
	// First is true for the task that opened the incident: it gets the SNS
	// message; later ones only update the findings.
	First bool `json:"first"`
	// Report is FULL for the first task, FINDINGS for later ones.
	Report string `json:"report"`
	// PreviousDesiredCount is the desired count of the service the
	// incident's first scaling changed (nil: none scaled): what a later
	// task's report still gives to restore.
	PreviousDesiredCount *int32 `json:"previousDesiredCount,omitempty"`
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
	// HoldsForEveryTask is true for a decision made at registration (no
	// task) that remediates whatever task runs the revision: some violation
	// is of a rule no exemption scoped to a cluster or service can lift.
	// Later tasks of the revision are then remediated without evaluating.
	HoldsForEveryTask bool `json:"holdsForEveryTask,omitempty"`
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

// AWS APIs a remediation step calls: ActionResult.API, and the API of an
// in-memory account's recorded action.
const (
	APIUpdateService            = "UpdateService"
	APIStopTask                 = "StopTask"
	APIDeregisterTaskDefinition = "DeregisterTaskDefinition"
	// APIRegisterScalableTarget is Application Auto Scaling's call that the
	// scale step makes to suspend a service's scaling (ScalableTarget).
	APIRegisterScalableTarget = "RegisterScalableTarget"
)

// Reasons a remediation step deliberately changed nothing (ActionResult.Reason).
const (
	// ReasonUnverifiedMembership: ECS does not confirm that the task belongs
	// to the service its group names (the task's task definition and
	// startedBy match none of the service's deployments or task sets, or the
	// task is gone), so the service was not scaled. The task is still stopped.
	ReasonUnverifiedMembership = "UNVERIFIED_MEMBERSHIP"
	// ReasonSharedWithExcluded: the task definition is used by an excluded
	// cluster's services or tasks, or by an excluded service (SharedWith), so
	// it was not deregistered.
	ReasonSharedWithExcluded = "SHARED_WITH_EXCLUDED"
)

// ActionResult is what a remediation step returns.
type ActionResult struct {
	API    string `json:"api"`
	Target string `json:"target"`
	// Changed is false when there was nothing to do (the task was already
	// stopped, the service already at 0 or gone, the task definition already
	// INACTIVE, or the task has no service) or when the step refused on
	// purpose (Reason). For the scale step it is true when the service's
	// desired count or its scalable target changed.
	Changed bool   `json:"changed"`
	Detail  string `json:"detail,omitempty"`
	// Reason is set when the step changed nothing on purpose: one of the
	// Reason* constants (Detail says it in words).
	Reason string `json:"reason,omitempty"`
	// PreviousDesiredCount is the service's desired count before it was
	// scaled to zero, so that an operator can restore it.
	PreviousDesiredCount *int32 `json:"previousDesiredCount,omitempty"`
	// ScalableTarget is the service's Application Auto Scaling target, when
	// it has one (scale step only): what it was and whether the step
	// suspended it.
	ScalableTarget *ScalableTarget `json:"scalableTarget,omitempty"`
	// SharedWith are the excluded services and tasks (ARNs) that use the
	// task definition (deregister step, Reason SHARED_WITH_EXCLUDED).
	SharedWith []string `json:"sharedWith,omitempty"`
}

// ScalableTarget is a service's Application Auto Scaling target (namespace
// ecs, dimension ecs:service:DesiredCount) as the scale step found and left
// it. The step suspends its scaling and sets its capacity to 0..0, so that
// nothing scales the service up again; Previous is what to put back.
type ScalableTarget struct {
	// ResourceID is "service/CLUSTER/NAME".
	ResourceID string `json:"resourceId"`
	// Changed is true when this execution changed the target
	// (RegisterScalableTarget).
	Changed bool `json:"changed"`
	// Previous is the target before this execution changed it.
	Previous Scaling `json:"previous"`
	// Now is the target as the step left it.
	Now Scaling `json:"now"`
}

// Scaling is a scalable target's capacity range and suspended state.
type Scaling struct {
	MinCapacity                int32 `json:"minCapacity"`
	MaxCapacity                int32 `json:"maxCapacity"`
	DynamicScalingInSuspended  bool  `json:"dynamicScalingInSuspended"`
	DynamicScalingOutSuspended bool  `json:"dynamicScalingOutSuspended"`
	ScheduledScalingSuspended  bool  `json:"scheduledScalingSuspended"`
}

// Suspended reports whether all of the target's scaling is suspended.
func (s Scaling) Suspended() bool {
	return s.DynamicScalingInSuspended && s.DynamicScalingOutSuspended && s.ScheduledScalingSuspended
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
	StepRecordTask      = "recordTask"
	StepLookUpJudgement = "lookUpJudgement"
	StepStartWorkflow   = "startWorkflow"
	StepRecordJudgement = "recordJudgement"
	StepCountIncident   = "countIncident"
	StepLoadPolicy      = "loadPolicy"
	StepDescribe        = "describeTaskDefinition"
	// StepPrepare is the Parallel that loads the policy and describes the
	// task definition at once (its Catch: either branch failed).
	StepPrepare       = "prepare"
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

// Partition is the AWS partition of a region: aws-cn for cn-*, aws-us-gov
// for us-gov-*, the isolated partitions for their regions, aws otherwise.
func Partition(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"cn-", "aws-cn"},
		{"us-gov-", "aws-us-gov"},
		{"us-iso-", "aws-iso"},
		{"us-isob-", "aws-iso-b"},
		{"eu-isoe-", "aws-iso-e"},
		{"us-isof-", "aws-iso-f"},
		{"eusc-", "aws-eusc"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// MaxNameLength is the longest cluster, service or task definition family
// name ECS accepts.
const MaxNameLength = 255

// ValidName tells whether s is what ECS accepts as a cluster, service or
// task definition family name: 1 to MaxNameLength letters, digits, hyphens
// and underscores. (A byte loop rather than a regular expression: compiling
// `[…]{1,255}` costs a Lambda about a millisecond of its cold start.)
func ValidName(s string) bool {
	return validChars(s, MaxNameLength)
}

// validChars: 1 to max letters, digits, hyphens and underscores.
func validChars(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ValidExecutionName tells whether s is a Step Functions execution name
// the workflow uses: 1 to 80 letters, digits, hyphens and underscores.
func ValidExecutionName(s string) bool {
	return validChars(s, 80)
}

// ValidAccount tells whether s is an AWS account id: 12 digits.
func ValidAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// regionPattern is the shape of an AWS Region's name (us-east-1,
// cn-north-1, us-gov-west-1, eu-isoe-west-1), compiled on first use.
var regionPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z]{2,4}(?:-[a-z]+){1,3}-[0-9]{1,2}$`)
})

// ValidRegion tells whether s has the shape of an AWS Region's name.
func ValidRegion(s string) bool { return regionPattern().MatchString(s) }
