package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// SchemaVersion is the ASFF version of the findings.
const SchemaVersion = "2018-10-08"

// ASFF limits (AWS Security Hub API reference, AwsSecurityFinding).
const (
	maxTitle          = 256
	maxDescription    = 1024
	maxRecommendation = 512
	maxNote           = 512
	maxID             = 512
	maxProductField   = 2048
	maxUserField      = 1024
	maxRequirements   = 32
	maxTypes          = 50
)

// Finding is one AWS Security Finding Format (ASFF) finding: the JSON names
// are ASFF's, so that json.Marshal of a Finding is the finding as Security
// Hub shows it. The finding step converts it to the SDK's AwsSecurityFinding.
type Finding struct {
	SchemaVersion     string            `json:"SchemaVersion"`
	ID                string            `json:"Id"`
	ProductArn        string            `json:"ProductArn"`
	GeneratorID       string            `json:"GeneratorId"`
	AwsAccountID      string            `json:"AwsAccountId"`
	Types             []string          `json:"Types"`
	FirstObservedAt   string            `json:"FirstObservedAt,omitempty"`
	LastObservedAt    string            `json:"LastObservedAt,omitempty"`
	CreatedAt         string            `json:"CreatedAt"`
	UpdatedAt         string            `json:"UpdatedAt"`
	Severity          Severity          `json:"Severity"`
	Title             string            `json:"Title"`
	Description       string            `json:"Description"`
	Remediation       *Remediation      `json:"Remediation,omitempty"`
	ProductFields     map[string]string `json:"ProductFields,omitempty"`
	UserDefinedFields map[string]string `json:"UserDefinedFields,omitempty"`
	Resources         []Resource        `json:"Resources"`
	Compliance        *Compliance       `json:"Compliance,omitempty"`
	Workflow          *Workflow         `json:"Workflow,omitempty"`
	RecordState       string            `json:"RecordState,omitempty"`
	Note              *Note             `json:"Note,omitempty"`
}

// Severity is the ASFF Severity object.
type Severity struct {
	Label    string `json:"Label"`
	Original string `json:"Original,omitempty"`
}

// Remediation is the ASFF Remediation object.
type Remediation struct {
	Recommendation Recommendation `json:"Recommendation"`
}

// Recommendation is the ASFF Remediation.Recommendation object.
type Recommendation struct {
	Text string `json:"Text,omitempty"`
	URL  string `json:"Url,omitempty"`
}

// Compliance is the ASFF Compliance object.
type Compliance struct {
	Status              string   `json:"Status"`
	RelatedRequirements []string `json:"RelatedRequirements,omitempty"`
}

// Workflow is the ASFF Workflow object.
type Workflow struct {
	Status string `json:"Status"`
}

// Note is the ASFF Note object.
type Note struct {
	Text      string `json:"Text"`
	UpdatedAt string `json:"UpdatedAt"`
	UpdatedBy string `json:"UpdatedBy"`
}

// Resource is one ASFF Resources entry.
type Resource struct {
	Type      string            `json:"Type"`
	ID        string            `json:"Id"`
	Partition string            `json:"Partition,omitempty"`
	Region    string            `json:"Region,omitempty"`
	Tags      map[string]string `json:"Tags,omitempty"`
	Details   *ResourceDetails  `json:"Details,omitempty"`
}

// ResourceDetails holds the details of the resource types the findings use.
type ResourceDetails struct {
	AwsEcsTask           *EcsTaskDetails           `json:"AwsEcsTask,omitempty"`
	AwsEcsTaskDefinition *EcsTaskDefinitionDetails `json:"AwsEcsTaskDefinition,omitempty"`
	AwsEcsService        *EcsServiceDetails        `json:"AwsEcsService,omitempty"`
}

// EcsTaskDetails is ASFF's AwsEcsTask.
type EcsTaskDetails struct {
	ClusterArn        string         `json:"ClusterArn,omitempty"`
	TaskDefinitionArn string         `json:"TaskDefinitionArn,omitempty"`
	Group             string         `json:"Group,omitempty"`
	StartedBy         string         `json:"StartedBy,omitempty"`
	CreatedAt         string         `json:"CreatedAt,omitempty"`
	StartedAt         string         `json:"StartedAt,omitempty"`
	Containers        []EcsContainer `json:"Containers,omitempty"`
}

// EcsContainer is ASFF's AwsEcsContainerDetails.
type EcsContainer struct {
	Name       string `json:"Name,omitempty"`
	Image      string `json:"Image,omitempty"`
	Privileged *bool  `json:"Privileged,omitempty"`
}

// EcsTaskDefinitionDetails is ASFF's AwsEcsTaskDefinition.
type EcsTaskDefinitionDetails struct {
	Family                  string                   `json:"Family,omitempty"`
	Status                  string                   `json:"Status,omitempty"`
	NetworkMode             string                   `json:"NetworkMode,omitempty"`
	Cpu                     string                   `json:"Cpu,omitempty"`
	Memory                  string                   `json:"Memory,omitempty"`
	TaskRoleArn             string                   `json:"TaskRoleArn,omitempty"`
	ExecutionRoleArn        string                   `json:"ExecutionRoleArn,omitempty"`
	PidMode                 string                   `json:"PidMode,omitempty"`
	IpcMode                 string                   `json:"IpcMode,omitempty"`
	RequiresCompatibilities []string                 `json:"RequiresCompatibilities,omitempty"`
	ContainerDefinitions    []EcsContainerDefinition `json:"ContainerDefinitions,omitempty"`
}

// EcsContainerDefinition is ASFF's
// AwsEcsTaskDefinitionContainerDefinitionsDetails (the fields the rules read).
type EcsContainerDefinition struct {
	Name                   string `json:"Name,omitempty"`
	Image                  string `json:"Image,omitempty"`
	Essential              *bool  `json:"Essential,omitempty"`
	Privileged             *bool  `json:"Privileged,omitempty"`
	ReadonlyRootFilesystem *bool  `json:"ReadonlyRootFilesystem,omitempty"`
	User                   string `json:"User,omitempty"`
}

// EcsServiceDetails is ASFF's AwsEcsService.
type EcsServiceDetails struct {
	Cluster      string `json:"Cluster,omitempty"`
	ServiceName  string `json:"ServiceName,omitempty"`
	ServiceArn   string `json:"ServiceArn,omitempty"`
	DesiredCount *int32 `json:"DesiredCount,omitempty"`
}

// ASFF values.
const (
	ComplianceFailed   = "FAILED"
	RecordActive       = "ACTIVE"
	WorkflowNew        = "NEW"
	WorkflowSuppressed = "SUPPRESSED"

	ResourceEcsTask           = "AwsEcsTask"
	ResourceEcsTaskDefinition = "AwsEcsTaskDefinition"
	ResourceEcsService        = "AwsEcsService"
)

// ProductField keys (the "ecs-compliance/" namespace).
const (
	FieldRule                 = "ecs-compliance/Rule"
	FieldKind                 = "ecs-compliance/Kind"
	FieldEnforcement          = "ecs-compliance/Enforcement"
	FieldContainers           = "ecs-compliance/Containers"
	FieldCluster              = "ecs-compliance/Cluster"
	FieldService              = "ecs-compliance/Service"
	FieldOutcome              = "ecs-compliance/Outcome"
	FieldMode                 = "ecs-compliance/Mode"
	FieldActionsTaken         = "ecs-compliance/ActionsTaken"
	FieldPreviousDesiredCount = "ecs-compliance/PreviousDesiredCount"
	FieldApproval             = "ecs-compliance/Approval"
	FieldApprover             = "ecs-compliance/Approver"
	FieldApprovalReason       = "ecs-compliance/ApprovalReason"
	FieldApprovalDecidedAt    = "ecs-compliance/ApprovalDecidedAt"
	FieldFailedStep           = "ecs-compliance/FailedStep"
	FieldError                = "ecs-compliance/Error"
	FieldPolicyHash           = "ecs-compliance/PolicyHash"
	FieldPolicyPath           = "ecs-compliance/PolicyPath"
	FieldEventID              = "ecs-compliance/EventId"
)

// Base finding type of every finding.
const typeStandards = "Software and Configuration Checks/Industry and Regulatory Standards"

// timeLayout is how ASFF timestamps are written (RFC 3339, UTC, milliseconds).
const timeLayout = "2006-01-02T15:04:05.000Z"

// ProductArn is the ARN of the account's default product, the one a custom
// integration imports its findings under.
func ProductArn(partition, region, account string) string {
	return arn.ARN{Partition: partition, Service: "securityhub", Region: region, AccountID: account,
		Resource: "product/" + account + "/default"}.String()
}

// FindingID is the deterministic Id of the finding of rule for a task: a
// resend of the same task and rule updates the finding.
func FindingID(taskArn, rule string) string { return taskArn + "/" + rule }

// Findings builds one ASFF finding per rule the task breaks (violations,
// warnings and exemptions; the containers of one rule merged). CreatedAt is
// when the task was first seen, so that a resend updates the finding instead
// of creating another; UpdatedAt is now.
func Findings(st contract.State, now time.Time) ([]Finding, error) {
	if st.Evaluation == nil || st.Evaluation.Decision == nil {
		return nil, fmt.Errorf("findings: the state has no decision ($.evaluation.decision)")
	}
	f, err := readFacts(st, true)
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	created, err := f.createdAt(now)
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	updated := now.UTC().Format(timeLayout)
	resources := f.resources()
	shared := f.sharedFields()

	var rules []string
	byRule := map[string][]item{}
	for _, it := range f.items {
		if _, ok := byRule[it.Rule]; !ok {
			rules = append(rules, it.Rule)
		}
		byRule[it.Rule] = append(byRule[it.Rule], it)
	}
	findings := make([]Finding, 0, len(rules))
	for _, rule := range rules {
		fd, err := f.finding(rule, byRule[rule], created, updated, resources, shared)
		if err != nil {
			return nil, fmt.Errorf("findings: %w", err)
		}
		findings = append(findings, fd)
	}
	return findings, nil
}

// createdAt is the task's first-seen time: $.task.firstSeen, else the event's
// time, else now.
func (f *facts) createdAt(now time.Time) (string, error) {
	for _, c := range []struct{ name, value string }{{"task firstSeen", f.task.FirstSeen}, {"event time", f.st.Time}} {
		if c.value == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, c.value)
		if err != nil {
			return "", fmt.Errorf("%s %q is not an RFC 3339 time", c.name, c.value)
		}
		return t.UTC().Format(timeLayout), nil
	}
	return now.UTC().Format(timeLayout), nil
}

func (f *facts) finding(rule string, items []item, created, updated string, resources []Resource, shared map[string]string) (Finding, error) {
	t := f.task
	id := FindingID(t.TaskArn, rule)
	if len(id) > maxID || len(rule) > maxID {
		return Finding{}, fmt.Errorf("rule %q: finding Id %q is longer than %d characters", rule, id, maxID)
	}
	var (
		sev                                        string
		title                                      string
		kinds, enforcement, containers, controls   []string
		fixes, messages, exemptions, exemptExpires []string
		allExempted                                = true
	)
	for _, it := range items {
		if severityRank[it.Severity] > severityRank[sev] {
			sev = it.Severity
		}
		title = firstNonEmpty(title, it.Title)
		kinds = appendNew(kinds, it.Kind)
		enforcement = appendNew(enforcement, it.Enforcement)
		containers = appendNew(containers, it.Container)
		for _, c := range it.Controls {
			controls = appendNew(controls, c)
		}
		fixes = appendNew(fixes, it.Remediation)
		msg := it.Message
		if msg == "" {
			msg = "rule " + rule + " failed"
		}
		if it.Container != "" && !strings.Contains(msg, it.Container) {
			msg = "container " + it.Container + ": " + msg
		}
		msg = strings.TrimRight(msg, ". ")
		if it.Kind == kindExempted {
			reason := "no reason given"
			if it.Exemption != nil {
				reason = firstNonEmpty(it.Exemption.Reason, reason)
				exemptExpires = appendNew(exemptExpires, it.Exemption.Expires)
			}
			exemptions = appendNew(exemptions, reason)
			msg += " (exempted: " + reason + ")"
		} else {
			allExempted = false
		}
		messages = appendNew(messages, msg+".")
	}
	title = firstNonEmpty(title, rule)

	desc := fmt.Sprintf("Rule %s (%s, %s) failed for ECS task %s in %s, task definition %s. %s %s",
		rule, sev, strings.Join(kinds, "/"), t.TaskID, t.Where(), t.TaskDefinition(),
		strings.Join(messages, " "), f.outcomeSentence())

	fix := strings.Join(fixes, " ")
	if fix == "" {
		fix = "Fix the task definition so that it passes rule " + rule + ", register the fixed revision and deploy it."
	}

	fields := map[string]string{
		FieldRule: rule,
		FieldKind: strings.Join(kinds, ","),
	}
	if len(enforcement) > 0 {
		fields[FieldEnforcement] = strings.Join(enforcement, ",")
	}
	if len(containers) > 0 {
		fields[FieldContainers] = strings.Join(containers, ",")
	}
	for k, v := range shared {
		fields[k] = v
	}
	for k, v := range fields {
		fields[k] = truncate(v, maxProductField)
	}

	workflow := WorkflowNew
	if allExempted {
		workflow = WorkflowSuppressed
	}
	var note *Note
	var userFields map[string]string
	if len(exemptions) > 0 {
		text := "Exempted: " + strings.Join(exemptions, "; ")
		if len(exemptExpires) > 0 {
			text += " (expires " + strings.Join(exemptExpires, ", ") + ")"
		}
		note = &Note{Text: truncate(text, maxNote), UpdatedAt: updated, UpdatedBy: "ecs-compliance"}
		userFields = map[string]string{"ExemptionReason": truncate(strings.Join(exemptions, "; "), maxUserField)}
		if len(exemptExpires) > 0 {
			userFields["ExemptionExpires"] = truncate(strings.Join(exemptExpires, ", "), maxUserField)
		}
	}
	if len(controls) > maxRequirements {
		controls = controls[:maxRequirements]
	}

	return Finding{
		SchemaVersion:     SchemaVersion,
		ID:                id,
		ProductArn:        ProductArn(t.Partition, t.Region, t.Account),
		GeneratorID:       rule,
		AwsAccountID:      t.Account,
		Types:             findingTypes(controls),
		FirstObservedAt:   created,
		LastObservedAt:    updated,
		CreatedAt:         created,
		UpdatedAt:         updated,
		Severity:          Severity{Label: sev, Original: sev},
		Title:             truncate(title+" ("+t.Where()+", "+t.TaskDefinition()+")", maxTitle),
		Description:       truncate(desc, maxDescription),
		Remediation:       &Remediation{Recommendation: Recommendation{Text: truncate(fix, maxRecommendation)}},
		ProductFields:     fields,
		UserDefinedFields: userFields,
		Resources:         resources,
		Compliance:        &Compliance{Status: ComplianceFailed, RelatedRequirements: controls},
		Workflow:          &Workflow{Status: workflow},
		RecordState:       RecordActive,
		Note:              note,
	}, nil
}

// outcomeSentence says what happened to the task, for a finding's description.
func (f *facts) outcomeSentence() string {
	switch f.outcome {
	case OutcomeRemediated:
		s := "Outcome: REMEDIATED, ecs-compliance " + f.actionSummary() + "."
		if f.approval.Status == contract.ApprovalApproved {
			s += " Approved" + by(f.approval.Approver) + "."
		}
		return s
	case OutcomeFailed:
		key, info, _ := failure(f.st)
		return "Outcome: FAILED at " + StepName(key) + " (" + info.Error + "); see the failure report."
	}
	switch f.approval.Status {
	case contract.ApprovalRejected:
		return "Outcome: REPORTED, remediation rejected" + by(f.approval.Approver) + "; the task was not changed."
	case contract.ApprovalTimedOut:
		return "Outcome: REPORTED, the approval request timed out; the task was not changed."
	}
	switch {
	case count(f.items, kindViolation) > 0 && f.st.Evaluation != nil && f.st.Evaluation.Mode == contract.ModeAudit:
		return "Outcome: REPORTED (audit mode); the task was not changed."
	case count(f.items, kindViolation) > 0:
		return "Outcome: REPORTED; the task was not changed."
	case count(f.items, kindWarning) > 0:
		return "Outcome: REPORTED (warning only); the task was not changed."
	default:
		return "Outcome: REPORTED (exempted); the task was not changed."
	}
}

// sharedFields are the product fields every finding of the task carries.
func (f *facts) sharedFields() map[string]string {
	ev := f.st.Evaluation
	m := map[string]string{
		FieldOutcome: f.outcome,
		FieldCluster: f.task.Cluster,
	}
	if f.task.Service != "" {
		m[FieldService] = f.task.Service
	}
	if ev.Mode != "" {
		m[FieldMode] = string(ev.Mode)
	}
	var taken []string
	for _, a := range actions(f.st.Remediation) {
		if !a.Changed {
			continue
		}
		s := a.API + " " + a.Target
		if a.API == contract.APIUpdateService && a.PreviousDesiredCount != nil {
			s += fmt.Sprintf(" (desired count %d -> 0)", *a.PreviousDesiredCount)
		}
		taken = append(taken, s)
	}
	m[FieldActionsTaken] = firstNonEmpty(strings.Join(taken, "; "), "none")
	if r := f.st.Remediation; r != nil && r.Service != nil && r.Service.PreviousDesiredCount != nil {
		m[FieldPreviousDesiredCount] = strconv.Itoa(int(*r.Service.PreviousDesiredCount))
	}
	switch {
	case f.approval.Status != "":
		m[FieldApproval] = f.approval.Status
	case ev.Outcome == contract.OutcomeRemediate && !ev.ApprovalRequired:
		m[FieldApproval] = "NOT_REQUIRED"
	}
	for k, v := range map[string]string{
		FieldApprover:          f.approval.Approver,
		FieldApprovalReason:    f.approval.Reason,
		FieldApprovalDecidedAt: f.approval.DecidedAt,
		FieldPolicyHash:        ev.Policy.Hash,
		FieldPolicyPath:        ev.Policy.Path,
		FieldEventID:           f.st.ID,
	} {
		if v != "" {
			m[k] = v
		}
	}
	if key, info, ok := failure(f.st); ok {
		m[FieldFailedStep] = StepName(key)
		m[FieldError] = info.Error
	}
	return m
}

// resources are the task, its task definition and (for a service task) its
// service.
func (f *facts) resources() []Resource {
	t := f.task
	task := &EcsTaskDetails{
		ClusterArn:        t.ClusterArn,
		TaskDefinitionArn: t.TaskDefinitionArn,
		Group:             t.Group,
		StartedBy:         t.StartedBy,
		CreatedAt:         t.CreatedAt,
		StartedAt:         t.StartedAt,
	}
	privileged := map[string]*bool{}
	if f.td != nil {
		for _, c := range f.td.ContainerDefinitions {
			privileged[c.Name] = c.Privileged
		}
	}
	for _, c := range t.Containers {
		task.Containers = append(task.Containers, EcsContainer{Name: c.Name, Image: c.Image, Privileged: privileged[c.Name]})
	}
	if len(task.Containers) == 0 && f.td != nil {
		for _, c := range f.td.ContainerDefinitions {
			task.Containers = append(task.Containers, EcsContainer{Name: c.Name, Image: c.Image, Privileged: c.Privileged})
		}
	}

	def := &EcsTaskDefinitionDetails{Family: t.Family}
	if td := f.td; td != nil {
		def = &EcsTaskDefinitionDetails{
			Family: firstNonEmpty(td.Family, t.Family), Status: td.Status, NetworkMode: td.NetworkMode,
			Cpu: td.Cpu, Memory: td.Memory, TaskRoleArn: td.TaskRoleArn, ExecutionRoleArn: td.ExecutionRoleArn,
			PidMode: td.PidMode, IpcMode: td.IpcMode, RequiresCompatibilities: td.RequiresCompatibilities,
		}
		for _, c := range td.ContainerDefinitions {
			def.ContainerDefinitions = append(def.ContainerDefinitions, EcsContainerDefinition{
				Name: c.Name, Image: c.Image, Essential: c.Essential, Privileged: c.Privileged,
				ReadonlyRootFilesystem: c.ReadonlyRootFilesystem, User: c.User,
			})
		}
	}
	if r := f.st.Remediation; r != nil && r.TaskDefinition != nil {
		def.Status = "INACTIVE"
	}
	var tags map[string]string
	if f.st.Described != nil && len(f.st.Described.Tags) > 0 {
		tags = f.st.Described.Tags
	}

	out := []Resource{
		{Type: ResourceEcsTask, ID: t.TaskArn, Partition: t.Partition, Region: t.Region,
			Details: &ResourceDetails{AwsEcsTask: task}},
		{Type: ResourceEcsTaskDefinition, ID: t.TaskDefinitionArn, Partition: t.Partition, Region: t.Region,
			Tags: tags, Details: &ResourceDetails{AwsEcsTaskDefinition: def}},
	}
	if svc := t.ServiceArn(); svc != "" {
		details := &EcsServiceDetails{Cluster: t.ClusterArn, ServiceName: t.Service, ServiceArn: svc}
		if r := f.st.Remediation; r != nil && r.Service != nil && r.Service.Changed {
			zero := int32(0)
			details.DesiredCount = &zero
		}
		out = append(out, Resource{Type: ResourceEcsService, ID: svc, Partition: t.Partition, Region: t.Region,
			Details: &ResourceDetails{AwsEcsService: details}})
	}
	return out
}

// findingTypes maps the rule's controls to ASFF finding types
// (namespace/category/classifier, with the classifiers ASFF defines).
func findingTypes(controls []string) []string {
	types := []string{typeStandards}
	for _, c := range controls {
		lc := strings.ToLower(c)
		switch {
		case strings.Contains(lc, "security hub") || strings.HasPrefix(lc, "ecs."):
			types = appendNew(types, typeStandards+"/AWS Foundational Security Best Practices")
		case strings.HasPrefix(lc, "cis"):
			types = appendNew(types, typeStandards+"/CIS Host Hardening Benchmarks")
		case strings.Contains(lc, "nist 800-53") || strings.Contains(lc, "nist sp 800-53"):
			types = appendNew(types, typeStandards+"/NIST 800-53 Controls (USA)")
		case strings.Contains(lc, "pci"):
			types = appendNew(types, typeStandards+"/PCI-DSS")
		}
	}
	if len(types) > maxTypes {
		types = types[:maxTypes]
	}
	return types
}

// appendNew appends s unless it is empty or already there.
func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
