// Package judgement is what makes cost and noise grow with what is judged
// rather than with task starts. A judgement is the policy's decision for one
// judgement key: the policy bundle's hash, the deployment's mode and approval
// setting, and the subject — everything the policy reads that is not
// per-task identity: the task definition revision (its ARN) and its tags, the
// service's configuration and tags, the task-level fields rules read (group,
// launch type, overrides, cluster, containers' names and images, platform),
// the account and the region. A task whose key was judged before needs no
// evaluation: the triage ends (compliant, report-only) or goes straight to
// remediation (a deny-level violation in enforce mode).
//
// The package is domain code: it imports no AWS SDK service package. Store
// (with its in-memory implementation, memory.go, and its DynamoDB one,
// package judgement/dynamo) keeps the judgements, what was reported per task definition revision, and
// the remediation incidents.
package judgement

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
)

// TaskFields are the members of the event's detail (input.task) that rules
// may read and that therefore belong to the judgement key. Everything else
// in the detail is per-task identity or run-time state (taskArn, times,
// version, attachments, container runtime ids, …) and must not change a
// decision: policies_test.go and the judgement tests check it for the
// library.
var TaskFields = []string{
	"capacityProviderName",
	"clusterArn",
	"containers",
	"group",
	"launchType",
	"overrides",
	"platformFamily",
	"platformVersion",
	"taskDefinitionArn",
}

// ContainerFields are the members of each of the detail's containers that
// belong to the key.
var ContainerFields = []string{"image", "name"}

// ServiceRunState are the members of a DescribeServices service that are its
// run-time state, not its configuration: input.service is given without
// them, and they are not part of the key — they change as the service
// starts tasks or rolls a deployment (the task definition it deploys now,
// its deployments, task sets, current revisions and their counts), and
// kept they would give every task its own judgement.
var ServiceRunState = []string{
	"createdAt", "createdBy", "currentServiceDeployment", "currentServiceRevisions", "deployments",
	"desiredCount", "events", "pendingCount", "runningCount", "status", "taskDefinition", "taskSets",
}

// Subject is what a judgement is about, minus the policy.
type Subject struct {
	Account            string            `json:"account"`
	Region             string            `json:"region"`
	TaskDefinitionArn  string            `json:"taskDefinitionArn"`
	TaskDefinitionTags map[string]string `json:"taskDefinitionTags"`
	// Service is the service's configuration (ServiceProjection), with its
	// tags; empty for a standalone task or a registration.
	Service     json.RawMessage   `json:"service,omitempty"`
	ServiceTags map[string]string `json:"serviceTags,omitempty"`
	// Task is the task-level projection of the event's detail
	// (TaskProjection); empty for a registration.
	Task json.RawMessage `json:"task,omitempty"`
}

// Hash is the SHA-256 (hex) of the subject's canonical JSON.
func (s Subject) Hash() (string, error) {
	if s.TaskDefinitionArn == "" || s.Account == "" || s.Region == "" {
		return "", fmt.Errorf("judgement subject: the task definition ARN, account and region are required")
	}
	doc := map[string]any{
		"account":            s.Account,
		"region":             s.Region,
		"taskDefinitionArn":  s.TaskDefinitionArn,
		"taskDefinitionTags": tagsOrEmpty(s.TaskDefinitionTags),
		"serviceTags":        tagsOrEmpty(s.ServiceTags),
	}
	for name, raw := range map[string]json.RawMessage{"service": s.Service, "task": s.Task} {
		v, err := decode(raw)
		if err != nil {
			return "", fmt.Errorf("judgement subject: %s: %w", name, err)
		}
		doc[name] = v
	}
	b, err := json.Marshal(doc) // maps marshal with sorted keys: canonical
	if err != nil {
		return "", fmt.Errorf("judgement subject: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func tagsOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// decode parses raw JSON keeping numbers exact; empty or null is nil.
func decode(raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// Settings are the deployment's settings that change what a decision leads
// to: part of the key, so that redeploying in another mode judges again.
type Settings struct {
	Mode     contract.Mode
	Approval bool
}

// Key is the judgement key of a subject (its Hash) under a policy bundle
// (its hash) and the deployment's settings.
func Key(policyHash, subjectHash string, s Settings) string {
	mode := s.Mode
	if mode == "" {
		mode = contract.ModeAudit
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("ecs-compliance judgement v1\npolicy %s\nmode %s\napproval %t\nsubject %s\n",
		policyHash, mode, s.Approval, subjectHash)))
	return hex.EncodeToString(sum[:])
}

// TaskProjection keeps the members of an event's detail that belong to the
// key (TaskFields; of each container, ContainerFields).
func TaskProjection(detail json.RawMessage) (json.RawMessage, error) {
	var d map[string]json.RawMessage
	if err := json.Unmarshal(detail, &d); err != nil {
		return nil, fmt.Errorf("task projection: the detail is not a JSON object: %w", err)
	}
	out := map[string]json.RawMessage{}
	for _, f := range TaskFields {
		v, ok := d[f]
		if !ok {
			continue
		}
		if f == "containers" {
			var cs []map[string]json.RawMessage
			if err := json.Unmarshal(v, &cs); err != nil {
				return nil, fmt.Errorf("task projection: containers is not a list of objects: %w", err)
			}
			kept := make([]map[string]json.RawMessage, 0, len(cs))
			for _, c := range cs {
				k := map[string]json.RawMessage{}
				for _, cf := range ContainerFields {
					if cv, ok := c[cf]; ok {
						k[cf] = cv
					}
				}
				kept = append(kept, k)
			}
			// Container order is not meaningful to a rule; sort by name.
			sort.SliceStable(kept, func(i, j int) bool { return string(kept[i]["name"]) < string(kept[j]["name"]) })
			b, err := json.Marshal(kept)
			if err != nil {
				return nil, err
			}
			v = b
		}
		out[f] = v
	}
	return json.Marshal(out)
}

// ServiceProjection is a DescribeServices service without its run-time
// state (ServiceRunState): what input.service holds. Empty in, nil out.
func ServiceProjection(service json.RawMessage) (json.RawMessage, error) {
	if trimmed := bytes.TrimSpace(service); len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}
	var s map[string]json.RawMessage
	if err := json.Unmarshal(service, &s); err != nil {
		return nil, fmt.Errorf("service projection: the service is not a JSON object: %w", err)
	}
	for _, f := range ServiceRunState {
		delete(s, f)
	}
	if raw, ok := s["tags"]; ok {
		// Tag order means nothing: sort them by key, so that it changes
		// nothing either.
		var tags []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &tags); err == nil {
			sort.SliceStable(tags, func(i, j int) bool { return string(tags[i]["key"]) < string(tags[j]["key"]) })
			if b, err := json.Marshal(tags); err == nil {
				s["tags"] = b
			}
		}
	}
	return json.Marshal(s)
}

// Status of a stored judgement.
type Status string

const (
	// StatusPending: an execution is judging the key (Owner, until LeaseUntil).
	StatusPending Status = "PENDING"
	// StatusJudged: the decision is known.
	StatusJudged Status = "JUDGED"
)

// Record is one stored judgement.
type Record struct {
	Key    string
	Status Status
	// Owner is the execution judging a PENDING key; LeaseUntil when another
	// execution may take over if it has not finished.
	Owner      string
	LeaseUntil time.Time

	PolicyHash        string
	Subject           string
	TaskDefinitionArn string
	// Evaluation is what the evaluate step returned (the bundle without its
	// files, the decision, mode, outcome and approval).
	Evaluation *contract.Evaluation
	JudgedAt   time.Time
	// ExpiresAt is when the judgement stops counting (and the table's TTL
	// deletes it): the default lifetime, or earlier when an exemption that
	// the decision relies on expires before.
	ExpiresAt time.Time
}

// Valid tells whether a judged record can stand in for an evaluation at t.
func (r Record) Valid(t time.Time) bool {
	return r.Status == StatusJudged && r.Evaluation != nil && r.Evaluation.Decision != nil && t.Before(r.ExpiresAt)
}

// Ref names a judged record in the workflow's document.
func (r Record) Ref() contract.JudgementRef {
	ref := contract.JudgementRef{Key: r.Key, PolicyHash: r.PolicyHash,
		JudgedAt: r.JudgedAt.UTC().Format(time.RFC3339), ExpiresAt: r.ExpiresAt.UTC().Format(time.RFC3339)}
	if r.Evaluation != nil {
		ref.Outcome = r.Evaluation.Outcome
	}
	return ref
}

// Owner is who "Look up judgement" marks a task's key as being judged for
// (Store.Begin), and so who frees it (Store.Abandon): the task's execution
// name or, for a task without one, its task and task definition ARNs.
func Owner(t *contract.Task) string {
	if t.ExecutionName != "" {
		return t.ExecutionName
	}
	return t.TaskArn + t.TaskDefinitionArn
}

// EventTime is the judgements' clock for a document: its event's time (the
// policy's clock: exemptions expire against it), else now (time.Now when
// nil); UTC, to the second, as the stores keep times.
func EventTime(st contract.State, now func() time.Time) time.Time {
	t, err := time.Parse(time.RFC3339, st.Time)
	if err != nil {
		if now == nil {
			now = time.Now
		}
		t = now()
	}
	return t.UTC().Truncate(time.Second)
}

// DefaultTTL is how long a judgement holds when nothing bounds it earlier.
const DefaultTTL = 30 * 24 * time.Hour

// Expiry is when a judgement made at judgedAt stops counting: judgedAt+ttl,
// or the end of the earliest expiry day of the exemptions the decision uses
// (an exemption applies up to the end of its YYYY-MM-DD day, UTC), whichever
// comes first. An exemption date that does not parse ends the judgement at
// once: the policy decides again.
func Expiry(d *contract.Decision, judgedAt time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	end := judgedAt.Add(ttl)
	if d == nil {
		return end
	}
	for _, v := range d.Exempted {
		if v.Exemption == nil || v.Exemption.Expires == "" {
			continue
		}
		day, err := time.Parse("2006-01-02", v.Exemption.Expires)
		if err != nil {
			return judgedAt
		}
		if e := day.Add(24 * time.Hour); e.Before(end) {
			end = e
		}
	}
	return end
}

// Flagged is what a decision reports for a task definition revision.
type Flagged struct {
	// Rules are the rule ids with a finding (violation, warning or
	// exemption), sorted: one Security Hub finding each.
	Rules []string
	// Digest identifies the content of the report (each item's kind, rule,
	// severity, container and message): a new judgement whose digest equals
	// the one reported last for the revision is not news.
	Digest string
}

// FlaggedBy summarises a decision.
func FlaggedBy(d *contract.Decision) Flagged {
	if d == nil {
		return Flagged{}
	}
	var rules, lines []string
	for _, l := range []struct {
		kind string
		vs   []contract.Violation
	}{{"violation", d.Violations}, {"warning", d.Warnings}, {"exempted", d.Exempted}} {
		for _, v := range l.vs {
			if !slices.Contains(rules, v.Rule) {
				rules = append(rules, v.Rule)
			}
			lines = append(lines, strings.Join([]string{l.kind, v.Rule, v.Severity, v.Container, v.Message}, "\x00"))
		}
	}
	if len(lines) == 0 {
		return Flagged{}
	}
	sort.Strings(rules)
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return Flagged{Rules: rules, Digest: hex.EncodeToString(sum[:])}
}

// Revision is what was last reported for a task definition revision.
type Revision struct {
	TaskDefinitionArn string
	PolicyHash        string
	// Digest and Rules are the last reported Flagged: the rules whose
	// findings are active in Security Hub.
	Digest     string
	Rules      []string
	ReportedAt time.Time
	// Noter is the judgement that noted this (key@judgedAt), News and
	// Resolve what it was told: a retry of the same judgement gets them.
	Noter   string
	News    bool
	Resolve []string
}

// Incident is one remediation incident: a task definition revision
// remediated under a policy version, and how many tasks it covered.
type Incident struct {
	ID                string
	TaskDefinitionArn string
	PolicyHash        string
	Tasks             int
	FirstAt           time.Time
	FirstTaskArn      string
	LastTaskArn       string
	LastAt            time.Time
	// PreviousDesiredCount is the service's desired count before the
	// incident's remediation scaled it to zero (nil: no service scaled yet):
	// kept from the first task that scaled one, so that every later report
	// still says what to restore.
	PreviousDesiredCount *int32
	// First is true for the call that opened the incident.
	First bool
}

// IncidentID is the id of the incident of a revision under a policy.
func IncidentID(taskDefinitionArn, policyHash string) string {
	sum := sha256.Sum256([]byte("incident\n" + taskDefinitionArn + "\n" + policyHash))
	return hex.EncodeToString(sum[:16])
}

// SettingsFromEnv reads the deployment's settings from a Lambda's
// environment: MODE (audit | enforce, default audit) and APPROVAL (off | on,
// default off). Every Lambda that needs them reads them this way.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{Mode: contract.ModeAudit}
	switch m := strings.TrimSpace(getenv("MODE")); m {
	case "", "audit":
	case "enforce":
		s.Mode = contract.ModeEnforce
	default:
		return Settings{}, fmt.Errorf("MODE is %q; allowed: audit (report only, the default) or enforce (remediate deny-level violations)", m)
	}
	switch a := strings.TrimSpace(getenv("APPROVAL")); a {
	case "", "off":
	case "on":
		s.Approval = true
	default:
		return Settings{}, fmt.Errorf("APPROVAL is %q; allowed: off (the default) or on", a)
	}
	return s, nil
}

// TTLFromEnv reads JUDGEMENT_TTL_HOURS: empty means DefaultTTL; otherwise a
// whole number of hours from 1 to 8760.
func TTLFromEnv(value string) (time.Duration, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return DefaultTTL, nil
	}
	var h int
	if _, err := fmt.Sscanf(value, "%d", &h); err != nil || fmt.Sprint(h) != value || h < 1 || h > 8760 {
		return 0, fmt.Errorf("JUDGEMENT_TTL_HOURS is %q; allowed: a whole number of hours from 1 to 8760 (default %d)", value, int(DefaultTTL.Hours()))
	}
	return time.Duration(h) * time.Hour, nil
}
