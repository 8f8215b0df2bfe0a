package approval

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/safe"
)

// MaxFindings is how many violations a request lists (the rest are counted):
// the request is a prompt to decide, the report after it lists everything.
const MaxFindings = 20

// Summary is what a request tells a person, in the SNS message and on the
// confirmation page: the task, what was found and what approving will do. The
// approvals table keeps it with the record (as JSON).
type Summary struct {
	// Where is "service prod/api" or "task batch/2c3d4e5f6a7b" (a standalone task).
	Where          string `json:"where"`
	Account        string `json:"account"`
	Region         string `json:"region"`
	Cluster        string `json:"cluster"`
	Service        string `json:"service,omitempty"`
	TaskArn        string `json:"taskArn"`
	TaskID         string `json:"taskId"`
	TaskDefinition string `json:"taskDefinition"` // family:revision
	TaskDefArn     string `json:"taskDefinitionArn"`
	// Findings are the deny-level violations, most severe first, at most
	// MaxFindings; MoreFindings counts the rest.
	Findings     []Finding `json:"findings"`
	MoreFindings int       `json:"moreFindings,omitempty"`
	// Warnings counts the warn-level findings (not enforced).
	Warnings int `json:"warnings,omitempty"`
	// Actions are what approving does, in order.
	Actions []string `json:"actions"`
	// Severity is the highest severity of the violations.
	Severity string `json:"severity"`
	// Rules are the violated rules' ids, in order of first appearance.
	Rules []string `json:"rules"`
}

// Finding is one violation as a request shows it.
type Finding struct {
	Severity  string `json:"severity"`
	Rule      string `json:"rule"`
	Title     string `json:"title,omitempty"`
	Container string `json:"container,omitempty"`
	Image     string `json:"image,omitempty"`
	Message   string `json:"message"`
}

var severityRank = map[string]int{
	contract.SeverityCritical: 5, contract.SeverityHigh: 4, contract.SeverityMedium: 3,
	contract.SeverityLow: 2, contract.SeverityInformational: 1,
}

// NewSummary summarizes the workflow document of a remediation that waits for
// approval. It needs $.task and a decision with at least one violation.
// Names, images and messages come from task definitions, which whoever may
// register one controls: every text of the summary is safe.Line (see Safe).
func NewSummary(st contract.State) (Summary, error) {
	t := st.Task
	if t == nil || t.TaskArn == "" {
		return Summary{}, fmt.Errorf("missing $.task: the Record task step puts the task there")
	}
	if st.Evaluation == nil || st.Evaluation.Decision == nil || len(st.Evaluation.Decision.Violations) == 0 {
		return Summary{}, fmt.Errorf("missing $.evaluation.decision.violations: approval is asked only for a remediation of violations")
	}
	d := st.Evaluation.Decision
	s := Summary{
		Account: t.Account, Region: t.Region, Cluster: t.Cluster, Service: t.Service,
		TaskArn: t.TaskArn, TaskID: lastPart(t.TaskArn), TaskDefArn: t.TaskDefinitionArn,
		TaskDefinition: t.TaskDefinitionArn, Warnings: len(d.Warnings),
	}
	if t.Family != "" && t.Revision > 0 {
		s.TaskDefinition = t.Family + ":" + strconv.Itoa(t.Revision)
	}
	if t.Service != "" {
		s.Where = "service " + t.Cluster + "/" + t.Service
	} else {
		s.Where = "task " + t.Cluster + "/" + shortID(s.TaskID)
	}

	images := map[string]string{}
	var detail contract.TaskDetail
	if json.Unmarshal(st.Detail, &detail) == nil {
		for _, c := range detail.Containers {
			images[c.Name] = c.Image
		}
	}
	vs := slices.Clone(d.Violations)
	slices.SortStableFunc(vs, func(a, b contract.Violation) int { return severityRank[b.Severity] - severityRank[a.Severity] })
	s.Severity = vs[0].Severity
	for _, v := range d.Violations {
		if !slices.Contains(s.Rules, v.Rule) {
			s.Rules = append(s.Rules, v.Rule)
		}
	}
	for i, v := range vs {
		if i == MaxFindings {
			s.MoreFindings = len(vs) - MaxFindings
			break
		}
		s.Findings = append(s.Findings, Finding{Severity: v.Severity, Rule: v.Rule, Title: v.Title,
			Container: v.Container, Image: images[v.Container], Message: v.Message})
	}

	if t.Service != "" {
		s.Actions = append(s.Actions, fmt.Sprintf("Scale service %s in cluster %s to 0 tasks (UpdateService desiredCount=0), so that its scheduler does not replace the stopped task; the report names the count it had, to restore it.",
			t.Service, t.Cluster))
	}
	s.Actions = append(s.Actions,
		fmt.Sprintf("Stop task %s (StopTask), with a reason naming the rules broken.", s.TaskID),
		fmt.Sprintf("Deregister task definition %s (DeregisterTaskDefinition): it becomes INACTIVE, and a deregistered revision cannot be reactivated; nothing new starts from it.", s.TaskDefinition))
	return s.Safe(), nil
}

// Safe is s with every text made safe to show on one line (safe.Line): no
// line break can forge a line of the request, no terminal escape can
// restyle a terminal, no bidirectional or invisible character can make a
// page say something else than what it decides. NewSummary returns a safe
// summary; the request message and the confirmation page apply Safe again,
// so that a record stored by an older version is shown safely too.
func (s Summary) Safe() Summary { return s.mapText(safe.Line) }

// mapText is s with f applied to every text.
func (s Summary) mapText(f func(string) string) Summary {
	s.Where, s.Account, s.Region, s.Cluster, s.Service = f(s.Where), f(s.Account), f(s.Region), f(s.Cluster), f(s.Service)
	s.TaskArn, s.TaskID, s.TaskDefinition, s.TaskDefArn = f(s.TaskArn), f(s.TaskID), f(s.TaskDefinition), f(s.TaskDefArn)
	s.Severity = f(s.Severity)
	s.Findings = slices.Clone(s.Findings)
	for i, x := range s.Findings {
		s.Findings[i] = Finding{Severity: f(x.Severity), Rule: f(x.Rule), Title: f(x.Title), Container: f(x.Container),
			Image: f(x.Image), Message: f(x.Message)}
	}
	s.Actions = slices.Clone(s.Actions)
	for i, a := range s.Actions {
		s.Actions[i] = f(a)
	}
	s.Rules = slices.Clone(s.Rules)
	for i, r := range s.Rules {
		s.Rules[i] = f(r)
	}
	return s
}

func lastPart(a string) string {
	if i := strings.LastIndex(a, "/"); i >= 0 {
		return a[i+1:]
	}
	return a
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
