package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// SchemaVersion is the ASFF version of the findings.
const SchemaVersion = "2018-10-08"

// ASFF limits (AWS Security Hub API reference, AwsSecurityFinding).
const (
	maxTitle          = 256
	maxDescription    = 1024
	maxRecommendation = 512
	maxID             = 512
	maxProductField   = 2048
	maxRequirements   = 32
	maxTypes          = 50
	maxTags           = 50
	maxTagKey         = 128
	maxTagValue       = 256
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
	CompliancePassed   = "PASSED"
	RecordActive       = "ACTIVE"
	RecordArchived     = "ARCHIVED"
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
	FieldTaskCount            = "ecs-compliance/TaskCount"
	FieldLatestTask           = "ecs-compliance/LatestTask"
	FieldIncident             = "ecs-compliance/Incident"
	FieldJudgementKey         = "ecs-compliance/JudgementKey"
	FieldJudgedAt             = "ecs-compliance/JudgedAt"
	FieldExemptionReason      = "ecs-compliance/ExemptionReason"
	FieldExemptionExpires     = "ecs-compliance/ExemptionExpires"
	FieldResolution           = "ecs-compliance/Resolution"
	FieldRegisteredBy         = "ecs-compliance/RegisteredBy"
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

// FindingID is the deterministic Id of the finding of a rule for a task
// definition revision: one finding per (revision, rule), updated in place by
// every later report of the revision (whatever task it came from), never
// one per task.
func FindingID(taskDefinitionArn, rule string) string { return taskDefinitionArn + "/" + rule }

// Findings builds the ASFF findings a report imports (one per rule, the
// containers of a rule merged):
//
//   - a report of news (FULL): one finding per rule the decision flags, plus
//     the resolutions of rules flagged before and not now;
//   - a judgement with only resolutions ($.judgement.report FINDINGS): the
//     resolutions;
//   - a later task of a remediation incident ($.incident.report FINDINGS):
//     the violations' findings again, with the task count and the latest
//     task, updated in place.
//
// A resolved finding — a rule no longer flagged, or every finding of a
// revision that the remediation deregistered — is Compliance.Status PASSED
// and RecordState ARCHIVED: what a finding provider owns (Security Hub
// ignores a provider's Workflow updates after creation).
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

	items := f.items
	switch {
	case st.Incident != nil && st.Incident.Report == contract.ReportFindings:
		items = nil
		for _, it := range f.items {
			if it.Kind == kindViolation {
				items = append(items, it)
			}
		}
	case st.Incident == nil && st.Judgement != nil && st.Judgement.Report == contract.ReportFindings:
		items = nil
	}
	var rules []string
	byRule := map[string][]item{}
	for _, it := range items {
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
	if st.Judgement != nil {
		for _, rule := range st.Judgement.Resolve {
			if _, flagged := byRule[rule]; flagged {
				continue
			}
			fd, err := f.resolution(safe.Line(rule), created, updated, resources, shared)
			if err != nil {
				return nil, fmt.Errorf("findings: %w", err)
			}
			findings = append(findings, fd)
		}
	}
	return findings, nil
}

// createdAt is when what the finding reports began: the incident's first
// task, else the judgement's time, else the task's first-seen time, else the
// event's time, else now — stable across the updates of one incident or
// judgement.
func (f *facts) createdAt(now time.Time) (string, error) {
	var incident, judged string
	if in := f.st.Incident; in != nil {
		incident = in.FirstAt
	}
	if j := f.judgement(); j != nil {
		judged = j.JudgedAt
	}
	for _, c := range []struct{ name, value string }{{"incident firstAt", incident}, {"judgedAt", judged},
		{"task firstSeen", f.task.FirstSeen}, {"event time", f.st.Time}} {
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

// judgement is the judgement the report stands for: $.judgement (just
// recorded), else the stored one the triage relied on; nil when neither.
func (f *facts) judgement() *contract.JudgementRef {
	switch {
	case f.st.Judgement != nil:
		return &f.st.Judgement.JudgementRef
	case f.st.Lookup != nil:
		return f.st.Lookup.Judgement
	}
	return nil
}

// resolution is the finding of a rule the revision is no longer flagged
// for: PASSED and ARCHIVED.
func (f *facts) resolution(rule, created, updated string, resources []Resource, shared map[string]string) (Finding, error) {
	t := f.task
	id := FindingID(t.TaskDefinitionArn, rule)
	if len(id) > maxID || rule == "" {
		return Finding{}, fmt.Errorf("rule %q: no valid finding Id", rule)
	}
	fields := map[string]string{FieldRule: rule, FieldResolution: "no longer flagged"}
	for k, v := range shared {
		fields[k] = truncate(v, maxProductField)
	}
	policy := ""
	if ev := f.st.Evaluation; ev != nil && ev.Policy.Hash != "" {
		policy = " (policy sha256:" + ev.Policy.Hash[:min(12, len(ev.Policy.Hash))] + ")"
	}
	return Finding{
		SchemaVersion: SchemaVersion, ID: id, ProductArn: ProductArn(t.Partition, t.Region, t.Account),
		GeneratorID: rule, AwsAccountID: t.Account, Types: []string{typeStandards},
		FirstObservedAt: created, LastObservedAt: updated, CreatedAt: created, UpdatedAt: updated,
		Severity: Severity{Label: contract.SeverityInformational, Original: contract.SeverityInformational},
		Title:    truncate("Rule "+rule+" no longer flags task definition "+t.TaskDefinition(), maxTitle),
		Description: truncate(fmt.Sprintf("Rule %s no longer flags task definition %s under the current policy%s: the finding is resolved.",
			rule, t.TaskDefinition(), policy), maxDescription),
		ProductFields: fields,
		Resources:     resources,
		Compliance:    &Compliance{Status: CompliancePassed},
		RecordState:   RecordArchived,
	}, nil
}

func (f *facts) finding(rule string, items []item, created, updated string, resources []Resource, shared map[string]string) (Finding, error) {
	t := f.task
	id := FindingID(t.TaskDefinitionArn, rule)
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
		title = cmp.Or(title, it.Title)
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
				reason = cmp.Or(it.Exemption.Reason, reason)
				exemptExpires = appendNew(exemptExpires, it.Exemption.Expires)
			}
			exemptions = appendNew(exemptions, reason)
			msg += " (exempted: " + reason + ")"
		} else {
			allExempted = false
		}
		messages = appendNew(messages, msg+".")
	}
	title = cmp.Or(title, rule)

	desc := fmt.Sprintf("Rule %s (%s, %s) flags task definition %s (%s). %s %s",
		rule, sev, strings.Join(kinds, "/"), t.TaskDefinition(), f.judgedFor(),
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

	// Workflow is the customer's: Security Hub takes a provider's value at
	// creation only. Exemptions are said in provider-owned fields.
	workflow := WorkflowNew
	if allExempted {
		workflow = WorkflowSuppressed
	}
	if len(exemptions) > 0 {
		fields[FieldExemptionReason] = truncate(strings.Join(exemptions, "; "), maxProductField)
		if len(exemptExpires) > 0 {
			fields[FieldExemptionExpires] = truncate(strings.Join(exemptExpires, ", "), maxProductField)
		}
	}
	if len(controls) > maxRequirements {
		controls = controls[:maxRequirements]
	}
	compliance, record := ComplianceFailed, RecordActive
	if f.deregistered() {
		// The remediation deregistered the revision: the finding is
		// resolved (the resource can no longer start tasks).
		compliance, record = CompliancePassed, RecordArchived
		fields[FieldResolution] = "task definition deregistered by the remediation"
	}

	return Finding{
		SchemaVersion:   SchemaVersion,
		ID:              id,
		ProductArn:      ProductArn(t.Partition, t.Region, t.Account),
		GeneratorID:     rule,
		AwsAccountID:    t.Account,
		Types:           findingTypes(controls),
		FirstObservedAt: created,
		LastObservedAt:  updated,
		CreatedAt:       created,
		UpdatedAt:       updated,
		Severity:        Severity{Label: sev, Original: sev},
		Title:           truncate(title+" (task definition "+t.TaskDefinition()+")", maxTitle),
		Description:     truncate(desc, maxDescription),
		Remediation:     &Remediation{Recommendation: Recommendation{Text: truncate(fix, maxRecommendation)}},
		ProductFields:   fields,
		Resources:       resources,
		Compliance:      &Compliance{Status: compliance, RelatedRequirements: controls},
		Workflow:        &Workflow{Status: workflow},
		RecordState:     record,
	}, nil
}

// deregistered: the remediation left the task definition INACTIVE (it
// deregistered it, or found it so), rather than refusing on purpose.
func (f *facts) deregistered() bool {
	r := f.st.Remediation
	return r != nil && r.TaskDefinition != nil && r.TaskDefinition.Reason == ""
}

// judgedFor says what the report came from: a registration, or the task
// that the revision was judged (or remediated) for.
func (f *facts) judgedFor() string {
	t := f.task
	if t.Registration {
		s := "judged at registration, before any task ran it"
		if t.RegisteredBy != "" {
			s += "; registered by " + t.RegisteredBy
		}
		return s
	}
	s := "latest task " + t.TaskID + " in " + t.Where()
	if in := f.st.Incident; in != nil && in.Tasks > 0 {
		s += fmt.Sprintf("; %d task(s) of this revision remediated under this policy version so far", in.Tasks)
	}
	return s
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
	unchanged := "the task was not changed."
	if f.task.Registration {
		unchanged = "the task definition was not changed."
	}
	switch f.approval.Status {
	case contract.ApprovalRejected:
		return "Outcome: REPORTED, remediation rejected" + by(f.approval.Approver) + "; " + unchanged
	case contract.ApprovalTimedOut:
		return "Outcome: REPORTED, the approval request timed out; " + unchanged
	}
	switch {
	case count(f.items, kindViolation) > 0 && f.st.Evaluation != nil && f.st.Evaluation.Mode == contract.ModeAudit:
		return "Outcome: REPORTED (audit mode); " + unchanged
	case count(f.items, kindViolation) > 0:
		return "Outcome: REPORTED; " + unchanged
	case count(f.items, kindWarning) > 0:
		return "Outcome: REPORTED (warning only); " + unchanged
	default:
		return "Outcome: REPORTED (exempted); " + unchanged
	}
}

// sharedFields are the product fields every finding of the task carries.
func (f *facts) sharedFields() map[string]string {
	ev := f.st.Evaluation
	m := map[string]string{
		FieldOutcome: f.outcome,
	}
	if f.task.Cluster != "" {
		m[FieldCluster] = f.task.Cluster
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
		if st := a.ScalableTarget; st != nil && st.Changed {
			taken = append(taken, fmt.Sprintf("%s %s (min %d, max %d -> 0, 0; scaling suspended)", contract.APIRegisterScalableTarget,
				st.ResourceID, st.Previous.MinCapacity, st.Previous.MaxCapacity))
		}
		s := a.API + " " + a.Target
		if a.API == contract.APIUpdateService && a.PreviousDesiredCount != nil {
			s += fmt.Sprintf(" (desired count %d -> 0)", *a.PreviousDesiredCount)
		}
		taken = append(taken, s)
	}
	m[FieldActionsTaken] = cmp.Or(strings.Join(taken, "; "), "none")
	// The count to restore: what this task's scaling changed, else what the
	// incident's first scaling did (a later task finds the service at 0).
	switch r, in := f.st.Remediation, f.st.Incident; {
	case r != nil && r.Service != nil && r.Service.Changed && r.Service.PreviousDesiredCount != nil:
		m[FieldPreviousDesiredCount] = strconv.Itoa(int(*r.Service.PreviousDesiredCount))
	case in != nil && in.PreviousDesiredCount != nil:
		m[FieldPreviousDesiredCount] = strconv.Itoa(int(*in.PreviousDesiredCount))
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
	if f.task.TaskArn != "" {
		m[FieldLatestTask] = f.task.TaskArn
	}
	if f.task.RegisteredBy != "" {
		m[FieldRegisteredBy] = f.task.RegisteredBy
	}
	if in := f.st.Incident; in != nil {
		m[FieldIncident] = in.ID
		m[FieldTaskCount] = strconv.Itoa(in.Tasks)
	}
	if j := f.judgement(); j != nil {
		m[FieldJudgementKey], m[FieldJudgedAt] = j.Key, j.JudgedAt
	}
	for k, v := range m {
		if v == "" {
			delete(m, k)
		}
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
			Family: cmp.Or(td.Family, t.Family), Status: td.Status, NetworkMode: td.NetworkMode,
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
	if f.deregistered() {
		def.Status = "INACTIVE"
	}
	// Each resource carries its own tags.
	tdTags, svcTags := f.tags()

	var out []Resource
	if !t.Registration {
		out = append(out, Resource{Type: ResourceEcsTask, ID: t.TaskArn, Partition: t.Partition, Region: t.Region,
			Details: &ResourceDetails{AwsEcsTask: task}})
	}
	out = append(out, Resource{Type: ResourceEcsTaskDefinition, ID: t.TaskDefinitionArn, Partition: t.Partition, Region: t.Region,
		Tags: tdTags, Details: &ResourceDetails{AwsEcsTaskDefinition: def}})
	if svc := t.ServiceArn(); svc != "" {
		details := &EcsServiceDetails{Cluster: t.ClusterArn, ServiceName: t.Service, ServiceArn: svc}
		if r := f.st.Remediation; r != nil && r.Service != nil && r.Service.Changed {
			zero := int32(0)
			details.DesiredCount = &zero
		}
		out = append(out, Resource{Type: ResourceEcsService, ID: svc, Partition: t.Partition, Region: t.Region,
			Tags: svcTags, Details: &ResourceDetails{AwsEcsService: details}})
	}
	return out
}

// tags are the task definition's and the service's tags, each its own
// (safe to show, within ASFF's limits): from $.described, else from the
// triage's lookup; a document from before they were kept apart has only
// the merged input.tags, which then go to the task definition.
func (f *facts) tags() (taskDefinition, service map[string]string) {
	d, l := f.st.Described, f.st.Lookup
	switch {
	case d != nil && (d.TaskDefinitionTags != nil || d.ServiceTags != nil):
		taskDefinition, service = d.TaskDefinitionTags, d.ServiceTags
	case l != nil && (l.TaskDefinitionTags != nil || l.ServiceTags != nil):
		taskDefinition, service = l.TaskDefinitionTags, l.ServiceTags
	case d != nil:
		taskDefinition = d.Tags
	}
	return resourceTags(taskDefinition), resourceTags(service)
}

// resourceTags fits tags to ASFF (at most 50, key ≤ 128, value ≤ 256),
// safe to show; nil when empty.
func resourceTags(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := map[string]string{}
	for _, k := range keys {
		if len(out) == maxTags {
			break
		}
		out[truncate(safe.Line(k), maxTagKey)] = truncate(safe.Line(m[k]), maxTagValue)
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
