// Package report turns the workflow document (contract.State) into what people
// and other systems read: the SNS message of a report or of a failure, and the
// AWS Security Finding Format (ASFF) findings for Security Hub.
//
// It is a domain package: it imports no AWS SDK service package. The steps
// (lambdas/steps/notify, finding, reportfailure) send what it builds.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// Outcomes as reports show them (the "outcome" message attribute and the
// findings' ecs-compliance/Outcome product field).
const (
	// OutcomeRemediated: the remediation steps ran (service scaled to zero,
	// task stopped, task definition deregistered).
	OutcomeRemediated = "REMEDIATED"
	// OutcomeReported: nothing was changed (audit mode, warnings only,
	// exempted, approval rejected or timed out).
	OutcomeReported = "REPORTED"
	// OutcomeFailed: a step failed after its retries.
	OutcomeFailed = "FAILED"
)

// stepNames maps a step key ($.failure.<key>) to the name of its state in
// statemachine/workflow.asl.json, as the console's execution graph shows it.
var stepNames = map[string]string{
	contract.StepRecordTask:      "Record task",
	contract.StepLookUpJudgement: "Look up judgement",
	contract.StepStartWorkflow:   "Start compliance workflow",
	contract.StepRecordJudgement: "Record judgement",
	contract.StepCountIncident:   "Count remediated task",
	contract.StepLoadPolicy:      "Load policy from Parameter Store",
	contract.StepDescribe:        "Describe task definition",
	contract.StepPrepare:         "Load policy and describe task definition",
	contract.StepEvaluate:        "Evaluate task against policy",
	contract.StepApproval:        "Wait for approval",
	contract.StepScaleService:    "Scale service to zero",
	contract.StepStopTask:        "Stop task",
	contract.StepDeregister:      "Deregister task definition",
	contract.StepReport:          "Report to SNS and Security Hub",
	contract.StepReportFailure:   "Report failure",
}

// StepName is the state name of a step key ("stopTask" -> "Stop task"); an
// unknown key is returned as it is.
func StepName(key string) string {
	if n, ok := stepNames[key]; ok {
		return n
	}
	return key
}

// severityRank orders the ASFF severity labels, highest first.
var severityRank = map[string]int{
	contract.SeverityCritical:      5,
	contract.SeverityHigh:          4,
	contract.SeverityMedium:        3,
	contract.SeverityLow:           2,
	contract.SeverityInformational: 1,
}

// Kinds of decision items.
const (
	kindViolation = "violation"
	kindWarning   = "warning"
	kindExempted  = "exempted"
)

// item is one decision entry with the list it came from.
type item struct {
	contract.Violation
	Kind string
}

// taskInfo is what the reports say about the task: from $.task when the
// "Record task" step ran, else from the event.
type taskInfo struct {
	Partition, Account, Region string
	TaskArn, TaskID            string
	ClusterArn, Cluster        string
	TaskDefinitionArn          string
	Family                     string
	Revision                   int
	Group, Service             string
	LaunchType, StartedBy      string
	CreatedAt, StartedAt       string
	FirstSeen                  string
	Duplicate                  bool
	Containers                 []contract.Container
	// Registration is true for a task definition judged at registration
	// (no task); RegisteredBy is who registered it.
	Registration bool
	RegisteredBy string
}

// detail is the part of the event's detail the reports read.
type detail struct {
	contract.TaskDetail
	CreatedAt string `json:"createdAt,omitempty"`
	StartedAt string `json:"startedAt,omitempty"`
}

// ServiceArn is the task's service ARN, or "".
func (t taskInfo) ServiceArn() string {
	if t.Service == "" || t.Account == "" || t.Region == "" {
		return ""
	}
	return arn.ARN{Partition: t.Partition, Service: "ecs", Region: t.Region, AccountID: t.Account,
		Resource: "service/" + t.Cluster + "/" + t.Service}.String()
}

// TaskDefinition is "family:revision", or the ARN when it cannot be parsed.
func (t taskInfo) TaskDefinition() string {
	if t.Family != "" && t.Revision > 0 {
		return t.Family + ":" + strconv.Itoa(t.Revision)
	}
	return t.TaskDefinitionArn
}

// Where names the task for a subject or a title: "service prod/web",
// "standalone task prod/web:7", or for a registration "task definition
// web:7 (registration)".
func (t taskInfo) Where() string {
	if t.Registration {
		return "task definition " + t.TaskDefinition() + " (registration)"
	}
	cluster := t.Cluster
	if cluster == "" {
		cluster = "unknown-cluster"
	}
	if t.Service != "" {
		return "service " + cluster + "/" + t.Service
	}
	td := t.TaskDefinition()
	if td == "" {
		td = t.TaskID
	}
	if td == "" {
		return "cluster " + cluster
	}
	return "standalone task " + cluster + "/" + td
}

// readTask gathers the task's identity. strict requires what the reports of a
// successful run need (task ARN, cluster, account, region); the failure
// report takes what it can get.
func readTask(st contract.State, strict bool) (taskInfo, error) {
	var t taskInfo
	var d detail
	if len(st.Detail) > 0 && string(st.Detail) != "null" {
		if err := json.Unmarshal(st.Detail, &d); err != nil && strict {
			return t, fmt.Errorf("event detail: %w", err)
		}
	}
	t.Containers = d.Containers
	t.LaunchType, t.StartedBy = d.LaunchType, d.StartedBy
	t.CreatedAt, t.StartedAt = d.CreatedAt, d.StartedAt
	if k := st.Task; k != nil {
		t.TaskArn, t.ClusterArn, t.Cluster = k.TaskArn, k.ClusterArn, k.Cluster
		t.TaskDefinitionArn, t.Family, t.Revision = k.TaskDefinitionArn, k.Family, k.Revision
		t.Group, t.Service, t.Account, t.Region = k.Group, k.Service, k.Account, k.Region
		t.FirstSeen, t.Duplicate = k.FirstSeen, k.Duplicate
		t.Registration, t.RegisteredBy = k.Kind == contract.KindRegistration, k.RegisteredBy
		if k.LaunchType != "" {
			t.LaunchType = k.LaunchType
		}
	} else {
		t.TaskArn, t.ClusterArn, t.TaskDefinitionArn, t.Group = d.TaskArn, d.ClusterArn, d.TaskDefinitionArn, d.Group
		t.Account, t.Region = st.Account, st.Region
		if name, ok := strings.CutPrefix(d.Group, "service:"); ok {
			t.Service = name
		}
	}
	// The partition, and the account and region when $.task lacks them,
	// from the task's ARN (a registration's: its task definition's).
	t.Partition = "aws"
	subject := t.TaskArn
	if t.Registration {
		subject = t.TaskDefinitionArn
	}
	if a, err := arn.Parse(subject); err == nil {
		t.Partition = a.Partition
		t.Account, t.Region = cmp.Or(t.Account, a.AccountID), cmp.Or(t.Region, a.Region)
		if !t.Registration {
			t.TaskID = a.Resource[strings.LastIndex(a.Resource, "/")+1:]
		}
	} else if strict && !t.Registration {
		return t, fmt.Errorf("task ARN %q: %w", t.TaskArn, err)
	}
	if t.Cluster == "" {
		if a, err := arn.Parse(t.ClusterArn); err == nil {
			t.Cluster = strings.TrimPrefix(a.Resource, "cluster/")
		}
	}
	if t.Family == "" {
		if a, err := arn.Parse(t.TaskDefinitionArn); err == nil {
			fam, rev, _ := strings.Cut(strings.TrimPrefix(a.Resource, "task-definition/"), ":")
			t.Family = fam
			t.Revision, _ = strconv.Atoi(rev)
		}
	}
	if strict && t.Registration {
		switch {
		case t.TaskDefinitionArn == "":
			return t, fmt.Errorf("registration: task definition ARN is missing")
		case t.Account == "" || t.Region == "":
			return t, fmt.Errorf("registration of %s: account or region is missing", t.TaskDefinitionArn)
		}
		return t, nil
	}
	if strict {
		switch {
		case t.Cluster == "" || t.ClusterArn == "":
			return t, fmt.Errorf("task %s: cluster is missing", t.TaskArn)
		case t.TaskDefinitionArn == "":
			return t, fmt.Errorf("task %s: task definition ARN is missing", t.TaskArn)
		case t.Account == "" || t.Region == "":
			return t, fmt.Errorf("task %s: account or region is missing", t.TaskArn)
		}
	}
	return t, nil
}

// image is the image of the named container: from the event, else from the
// task definition.
func (t taskInfo) image(container string, td *taskDefinition) string {
	for _, c := range t.Containers {
		if c.Name == container {
			return c.Image
		}
	}
	if td != nil {
		for _, c := range td.ContainerDefinitions {
			if c.Name == container {
				return c.Image
			}
		}
	}
	return ""
}

// taskDefinition is the part of the ECS API's taskDefinition JSON the
// findings carry.
type taskDefinition struct {
	TaskDefinitionArn       string   `json:"taskDefinitionArn"`
	Family                  string   `json:"family"`
	Revision                int      `json:"revision"`
	Status                  string   `json:"status"`
	NetworkMode             string   `json:"networkMode"`
	Cpu                     string   `json:"cpu"`
	Memory                  string   `json:"memory"`
	TaskRoleArn             string   `json:"taskRoleArn"`
	ExecutionRoleArn        string   `json:"executionRoleArn"`
	PidMode                 string   `json:"pidMode"`
	IpcMode                 string   `json:"ipcMode"`
	RequiresCompatibilities []string `json:"requiresCompatibilities"`
	ContainerDefinitions    []struct {
		Name                   string `json:"name"`
		Image                  string `json:"image"`
		Essential              *bool  `json:"essential"`
		Privileged             *bool  `json:"privileged"`
		User                   string `json:"user"`
		ReadonlyRootFilesystem *bool  `json:"readonlyRootFilesystem"`
	} `json:"containerDefinitions"`
}

// readTaskDefinition parses $.described.taskDefinition; nil when absent.
func readTaskDefinition(st contract.State) (*taskDefinition, error) {
	if st.Described == nil || len(st.Described.TaskDefinition) == 0 || string(st.Described.TaskDefinition) == "null" {
		return nil, nil
	}
	var td taskDefinition
	if err := json.Unmarshal(st.Described.TaskDefinition, &td); err != nil {
		return nil, fmt.Errorf("described task definition: %w", err)
	}
	return &td, nil
}

// readItems lists the decision's entries (violations, then warnings, then
// exemptions); strict checks that each has a rule and an ASFF severity (the
// failure report takes them as they are: it must go out whatever the state).
func readItems(d *contract.Decision, strict bool) ([]item, error) {
	if d == nil {
		return nil, nil
	}
	var items []item
	for _, l := range []struct {
		kind string
		vs   []contract.Violation
	}{{kindViolation, d.Violations}, {kindWarning, d.Warnings}, {kindExempted, d.Exempted}} {
		for i, v := range l.vs {
			if strings.TrimSpace(v.Rule) == "" && strict {
				return nil, fmt.Errorf("decision: %s %d has no rule id", l.kind, i+1)
			}
			v.Severity = strings.ToUpper(strings.TrimSpace(v.Severity))
			if !strict {
				items = append(items, item{Violation: v, Kind: l.kind})
				continue
			}
			if _, ok := severityRank[v.Severity]; !ok {
				return nil, fmt.Errorf("decision: rule %s: severity %q is not an ASFF label (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL)", v.Rule, v.Severity)
			}
			items = append(items, item{Violation: v, Kind: l.kind})
		}
	}
	return items, nil
}

// highest is the highest severity of the items that are not exempted, or of
// the exempted ones when there is nothing else; "" for no items.
func highest(items []item) string {
	best := ""
	for _, exempted := range []bool{false, true} {
		for _, it := range items {
			if (it.Kind == kindExempted) == exempted && severityRank[it.Severity] > severityRank[best] {
				best = it.Severity
			}
		}
		if best != "" {
			return best
		}
	}
	return best
}

// ruleIDs are the distinct rule ids of the items, sorted.
func ruleIDs(items []item) []string {
	var ids []string
	for _, it := range items {
		ids = appendNew(ids, strings.TrimSpace(it.Rule))
	}
	slices.Sort(ids)
	return ids
}

func count(items []item, kind string) int {
	n := 0
	for _, it := range items {
		if it.Kind == kind {
			n++
		}
	}
	return n
}

// approvalInfo is $.approval as the reports tell it.
type approvalInfo struct {
	// Status is "" (no approval was asked), APPROVED, REJECTED, TIMED_OUT, or
	// the error name of any other answer.
	Status    string
	Approver  string
	Reason    string
	DecidedAt string
	// Cause is the error's cause when it is not the callback's JSON.
	Cause string
}

func readApproval(a *contract.Approval) approvalInfo {
	if a == nil {
		return approvalInfo{}
	}
	info := approvalInfo{Approver: a.Approver, DecidedAt: a.DecidedAt}
	if a.Error == nil {
		info.Status = strings.ToUpper(a.Decision)
		if info.Status == "" {
			info.Status = contract.ApprovalApproved
		}
		return info
	}
	switch a.Error.Error {
	case "States.Timeout":
		info.Status = contract.ApprovalTimedOut
	case contract.ErrApprovalRejected:
		info.Status = contract.ApprovalRejected
	default:
		info.Status = a.Error.Error
	}
	// The callback fails the task token with a JSON cause such as
	// {"approver": "...", "reason": "...", "decidedAt": "..."}.
	var cause map[string]any
	if err := json.Unmarshal([]byte(a.Error.Cause), &cause); err == nil {
		str := func(keys ...string) string {
			for _, k := range keys {
				if s, ok := cause[k].(string); ok && s != "" {
					return s
				}
			}
			return ""
		}
		info.Approver = cmp.Or(str("approver", "approvedBy", "rejectedBy", "by"), info.Approver)
		info.Reason = str("reason", "comment", "errorMessage", "message")
		info.DecidedAt = cmp.Or(str("decidedAt", "at"), info.DecidedAt)
	} else {
		info.Cause = strings.TrimSpace(a.Error.Cause)
	}
	return info
}

// outcomeOf is REMEDIATED, REPORTED or FAILED.
func outcomeOf(st contract.State) string {
	switch {
	case len(st.Failure) > 0:
		return OutcomeFailed
	case st.Remediation != nil && (st.Remediation.Service != nil || st.Remediation.Task != nil || st.Remediation.TaskDefinition != nil):
		return OutcomeRemediated
	default:
		return OutcomeReported
	}
}

// actions are the remediation results in the order the workflow runs them.
func actions(r *contract.Remediation) []contract.ActionResult {
	if r == nil {
		return nil
	}
	var out []contract.ActionResult
	for _, a := range []*contract.ActionResult{r.Service, r.Task, r.TaskDefinition} {
		if a != nil {
			out = append(out, *a)
		}
	}
	return out
}
