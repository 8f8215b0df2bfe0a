package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/golden"
)

// now is the fixed clock of the golden findings.
var now = time.Date(2025, 6, 3, 9, 15, 30, 250_000_000, time.UTC)

// loadState reads testdata/<name>.state.json.
func loadState(t testing.TB, name string) contract.State {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st contract.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return st
}

func scenarios(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.state.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in testdata (%v)", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".state.json"))
	}
	return names
}

// render is a message as its golden file shows it.
func render(m SNSMessage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Subject: %s\n", m.Subject)
	b.WriteString("Attributes:\n")
	names := make([]string, 0, len(m.Attributes))
	for k := range m.Attributes {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(&b, "  %s (%s) = %s\n", k, m.Attributes[k].DataType, m.Attributes[k].Value)
	}
	b.WriteString("----------------------------------------------------------------------\n")
	b.WriteString(m.Body)
	return b.String()
}

// TestGolden renders the message and the findings of every scenario in
// testdata/ and compares them byte for byte with the golden files.
func TestGolden(t *testing.T) {
	for _, name := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			st := loadState(t, name)
			m, err := Message(st)
			switch {
			case err != nil && st.Judgement != nil && st.Judgement.Report != contract.ReportFull:
				// Nothing to say (the workflow does not notify): the golden
				// file says so.
				golden.Check(t, filepath.Join("testdata", name+".message.golden"), []byte("(no message: "+err.Error()+")\n"))
			case err != nil:
				t.Fatalf("Message: %v", err)
			default:
				golden.Check(t, filepath.Join("testdata", name+".message.golden"), []byte(render(m)))
			}

			if st.Evaluation == nil || st.Evaluation.Decision == nil {
				return
			}
			fs, err := Findings(st, now)
			if err != nil {
				t.Fatalf("Findings: %v", err)
			}
			b, err := json.MarshalIndent(fs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", name+".findings.golden.json"), append(b, '\n'))
		})
	}
}

// TestMessageFacts pins what each scenario's message must say, independently
// of the golden files' exact wording.
func TestMessageFacts(t *testing.T) {
	tests := []struct {
		scenario    string
		outcome     string
		severity    string
		rules       string
		subject     string
		bodyHas     []string
		bodyHasNot  []string
		noAttribute string
	}{
		{
			scenario: "remediated-service", outcome: OutcomeRemediated, severity: "CRITICAL",
			rules:   `["approved-registry","image-tag-pinned","privileged-container"]`,
			subject: "[ecs-compliance] REMEDIATED CRITICAL: 3 violations, 1 warning in service prod/web",
			bodyHas: []string{
				"aws ecs update-service --cluster prod --service web --task-definition web --desired-count 3",
				"The task breaks 2 rules (3 violations) enforced with deny",
				"cannot reactivate a revision", "Scaled service web to 0 tasks (desired count was 3)",
				"Stopped task 8f2e4c1a9b7d4e6f8a0b1c2d3e4f5a6b", "Deregistered task definition web:7",
				`Container: debug (ghcr.io/nicolaka/netshoot:v0.13)`, "sha256:9c1b7e0f", "/ecs-compliance/policy/data.json v4",
			},
		},
		{
			scenario: "remediated-standalone", outcome: OutcomeRemediated, severity: "HIGH", rules: `["non-root-user"]`,
			subject: "[ecs-compliance] REMEDIATED HIGH: 1 violation in standalone task batch/nightly-report:12",
			bodyHas: []string{"APPROVED by alice@example.com at 2025-06-03T09:31:40Z", "aws ecs run-task --cluster batch --task-definition nightly-report",
				"events-rule/nightly-report", "cannot reactivate a revision"},
			bodyHasNot:  []string{"update-service"},
			noAttribute: AttrService,
		},
		{
			scenario: "audit-only", outcome: OutcomeReported, severity: "HIGH", rules: `["privileged-container","read-only-root-filesystem"]`,
			subject: "[ecs-compliance] REPORTED HIGH (audit mode): 1 violation, 1 exempted in service staging/api",
			bodyHas: []string{"audit mode", "Nothing: no ECS resource was changed.", "Exempted: legacy app writes to /var/cache; fix tracked in SEC-1423 (expires 2025-12-31)"},
		},
		{
			scenario: "warnings-only", outcome: OutcomeReported, severity: "MEDIUM", rules: `["image-tag-pinned","task-role-required"]`,
			subject: "[ecs-compliance] REPORTED MEDIUM: 2 warnings in service prod/checkout",
			bodyHas: []string{"set to warn", "Scope: the whole task"},
		},
		{
			scenario: "exempted", outcome: OutcomeReported, severity: "HIGH", rules: `["privileged-container"]`,
			subject: "[ecs-compliance] REPORTED HIGH: 1 exempted in service prod/legacy-billing",
			bodyHas: []string{"exemption", "SEC-981", "expires 2025-09-30"},
		},
		{
			scenario: "approval-rejected", outcome: OutcomeReported, severity: "HIGH", rules: `["privileged-container"]`,
			subject: "[ecs-compliance] REPORTED HIGH (approval rejected): 1 violation in service prod/web",
			bodyHas: []string{"REJECTED by bob@example.com at 2025-06-03T10:20:45Z", "Black Friday change freeze", "still running"},
		},
		{
			scenario: "approval-timeout", outcome: OutcomeReported, severity: "HIGH", rules: `["privileged-container"]`,
			subject: "[ecs-compliance] REPORTED HIGH (approval timed out): 1 violation in service prod/web",
			bodyHas: []string{"TIMED OUT: no answer within 24h", "does not remediate"},
		},
		{
			scenario: "failure-stop-task", outcome: OutcomeFailed, severity: "HIGH", rules: `["privileged-container"]`,
			subject: "[ecs-compliance] FAILED at Stop task: service prod/web",
			bodyHas: []string{
				"Failed step: Stop task", "Error:       Compliance.AccessDenied",
				"is not authorized to perform: ecs:StopTask", "Scaled service web to 0 tasks (desired count was 2)",
				"aws ecs stop-task --cluster prod --task 8f2e4c1a9b7d4e6f8a0b1c2d3e4f5a6b",
				"aws ecs deregister-task-definition --task-definition web:7",
				"aws ecs update-service --cluster prod --service web --task-definition web --desired-count 2",
				"claim in the idempotency table is released",
			},
			bodyHasNot: []string{`"stackTrace"`, "was not scaled to zero"},
		},
		{
			scenario: "failure-record-task", outcome: OutcomeFailed, rules: "",
			subject: "[ecs-compliance] FAILED at Record task: service prod/web",
			bodyHas: []string{"Failed step: Record task", "Compliance.Transient", "ThrottlingException", "not evaluated",
				"Nothing: no change had taken effect"},
			noAttribute: AttrSeverity,
		},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			m, err := Message(loadState(t, tc.scenario))
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tc.subject)
			}
			if len(m.Subject) > MaxSubject {
				t.Errorf("subject has %d characters, SNS allows %d", len(m.Subject), MaxSubject)
			}
			if got := m.Attributes[AttrOutcome].Value; got != tc.outcome {
				t.Errorf("outcome attribute = %q, want %q", got, tc.outcome)
			}
			if got := m.Attributes[AttrSeverity].Value; got != tc.severity {
				t.Errorf("severity attribute = %q, want %q", got, tc.severity)
			}
			if got := m.Attributes[AttrRules]; got.Value != tc.rules || (tc.rules != "" && got.DataType != TypeStringArray) {
				t.Errorf("rules attribute = %+v, want String.Array %s", got, tc.rules)
			}
			if tc.noAttribute != "" {
				if _, ok := m.Attributes[tc.noAttribute]; ok {
					t.Errorf("attribute %s is set, want it absent", tc.noAttribute)
				}
			}
			for k, a := range m.Attributes {
				if a.Value == "" {
					t.Errorf("attribute %s is empty (SNS rejects empty values)", k)
				}
			}
			for _, s := range tc.bodyHas {
				if !strings.Contains(m.Body, s) {
					t.Errorf("body lacks %q", s)
				}
			}
			for _, s := range tc.bodyHasNot {
				if strings.Contains(m.Body, s) {
					t.Errorf("body has %q", s)
				}
			}
		})
	}
}

func TestMessageRejectsBadInput(t *testing.T) {
	base := loadState(t, "warnings-only")
	tests := []struct {
		name   string
		mutate func(*contract.State)
		want   string
	}{
		{"no evaluation", func(st *contract.State) { st.Evaluation = nil }, "no decision"},
		{"compliant task has nothing to report", func(st *contract.State) {
			st.Evaluation.Decision = &contract.Decision{Compliant: true}
		}, "compliant"},
		{"severity that is not an ASFF label", func(st *contract.State) {
			st.Evaluation.Decision.Warnings[0].Severity = "SEVERE"
		}, `severity "SEVERE"`},
		{"violation without a rule id", func(st *contract.State) {
			st.Evaluation.Decision.Warnings[0].Rule = " "
		}, "no rule id"},
		{"task ARN that is not an ARN", func(st *contract.State) { st.Task.TaskArn = "task-1" }, `task ARN "task-1"`},
		{"malformed event detail", func(st *contract.State) { st.Detail = json.RawMessage(`[1]`) }, "event detail"},
		{"task without a cluster", func(st *contract.State) { st.Task.Cluster, st.Task.ClusterArn = "", "" }, "cluster is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := clone(t, base)
			tc.mutate(&st)
			_, err := Message(st)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Message error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSubjectStaysValidForSNS(t *testing.T) {
	tests := []struct {
		name    string
		cluster string
		service string
	}{
		{"long cluster and service names are cut to 99 characters", strings.Repeat("c", 255), strings.Repeat("s", 255)},
		{"non-ASCII and line breaks are replaced", "prod-é", "web\nnext"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := loadState(t, "warnings-only")
			st.Task.Cluster, st.Task.Service = tc.cluster, tc.service
			m, err := Message(st)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Subject) > MaxSubject {
				t.Errorf("subject has %d bytes", len(m.Subject))
			}
			for _, r := range m.Subject {
				if r < 0x20 || r > 0x7e {
					t.Errorf("subject has %q", r)
				}
			}
			if !strings.HasPrefix(m.Subject, "[ecs-compliance] REPORTED MEDIUM") {
				t.Errorf("subject lost its start: %q", m.Subject)
			}
		})
	}
}

func TestMessageBodyFitsSNS(t *testing.T) {
	st := loadState(t, "warnings-only")
	w := st.Evaluation.Decision.Warnings[0]
	w.Message = strings.Repeat("x", 4096)
	for range 100 {
		st.Evaluation.Decision.Warnings = append(st.Evaluation.Decision.Warnings, w)
	}
	m, err := Message(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Body) > MaxBody || !utf8.ValidString(m.Body) {
		t.Fatalf("body has %d bytes (max %d), valid UTF-8: %t", len(m.Body), MaxBody, utf8.ValidString(m.Body))
	}
	if !strings.Contains(m.Body, "[message truncated:") {
		t.Error("a cut body does not say it was cut")
	}
}

func TestFailureMessage(t *testing.T) {
	tests := []struct {
		name    string
		state   func(*contract.State)
		failure map[string]contract.ErrorInfo
		want    []string
		notWant []string
	}{
		{
			name:    "a plain cause is shown as it is",
			failure: map[string]contract.ErrorInfo{contract.StepDeregister: {Error: "States.Timeout", Cause: "Task timed out after 60.00 seconds"}},
			want:    []string{"Failed step: Deregister task definition", "Cause:       Task timed out after 60.00 seconds", "timed out"},
		},
		{
			name: "a Lambda error shows its errorMessage and errorType",
			failure: map[string]contract.ErrorInfo{contract.StepReport: {Error: "States.TaskFailed",
				Cause: `{"errorMessage":"BatchImportFindings: rejected","errorType":"Compliance.Failed","stackTrace":[]}`}},
			want:    []string{"Failed step: Report to SNS and Security Hub", "Cause:       BatchImportFindings: rejected", "Error type:  Compliance.Failed", "the report failed"},
			notWant: []string{"stackTrace"},
		},
		{
			name: "with two keys the earlier step is reported",
			failure: map[string]contract.ErrorInfo{
				contract.StepReport:   {Error: "B", Cause: "b"},
				contract.StepStopTask: {Error: "A", Cause: "a"},
			},
			want: []string{"Failed step: Stop task", "Error:       A"},
		},
		{
			name: "a suspended scalable target is put back after the service, as in the report of a success",
			state: func(st *contract.State) {
				st.Remediation.Service.ScalableTarget = &contract.ScalableTarget{ResourceID: "service/prod/web", Changed: true,
					Previous: contract.Scaling{MinCapacity: 2, MaxCapacity: 10},
					Now:      contract.Scaling{DynamicScalingInSuspended: true, DynamicScalingOutSuspended: true, ScheduledScalingSuspended: true}}
			},
			failure: map[string]contract.ErrorInfo{contract.StepStopTask: {Error: "States.Timeout", Cause: "x"}},
			want: []string{"aws ecs update-service --cluster prod --service web --task-definition web --desired-count 2\n" +
				"  - Then put back the Application Auto Scaling target of service web as it was (min 2, max 10, scaling not suspended)",
				"aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ecs:service:DesiredCount --resource-id service/prod/web --min-capacity 2 --max-capacity 10"},
		},
		{
			// The workflow scales the service and stops the task at the same
			// time: the scaling failed, the stop took effect.
			name: "a failed scaling beside a stop that took effect: the stop is done, the scaling is left to do",
			state: func(st *contract.State) {
				st.Remediation.Service = nil
				st.Remediation.Task = &contract.ActionResult{API: contract.APIStopTask, Target: st.Task.TaskArn, Changed: true}
			},
			failure: map[string]contract.ErrorInfo{contract.StepScaleService: {Error: contract.ErrAccessDenied, Cause: "UpdateService: denied"}},
			want:    []string{"Failed step: Scale service to zero", "StopTask " + "arn:aws:ecs:", "was not scaled to zero", "aws ecs update-service"},
			notWant: []string{"The task may still be running"},
		},
		{
			name: "both failed side by side: the scaling is reported, and both are left to do",
			state: func(st *contract.State) {
				st.Remediation.Service, st.Remediation.Task = nil, nil
			},
			failure: map[string]contract.ErrorInfo{
				contract.StepStopTask:     {Error: contract.ErrAccessDenied, Cause: "StopTask: denied"},
				contract.StepScaleService: {Error: contract.ErrAccessDenied, Cause: "UpdateService: denied"},
			},
			want: []string{"Failed step: Scale service to zero", "Also failed: Stop task (Compliance.AccessDenied): StopTask: denied",
				"Nothing: no change had taken effect", "was not scaled to zero", "The task may still be running"},
		},
		{
			name:    "an unknown step key is shown as it is",
			failure: map[string]contract.ErrorInfo{"mystery": {Error: "X", Cause: ""}},
			want:    []string{"Failed step: mystery", "Cause:       (none)"},
		},
		{
			name:    "a multi-line cause keeps its lines indented",
			failure: map[string]contract.ErrorInfo{contract.StepEvaluate: {Error: contract.ErrPolicy, Cause: "rego_parse_error: x.rego:3\nunexpected }"}},
			want:    []string{"Cause:       rego_parse_error: x.rego:3\n             unexpected }", "in /ecs-compliance/policy does not compile"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := loadState(t, "failure-stop-task")
			st.Failure = tc.failure
			if tc.state != nil {
				tc.state(&st)
			}
			m, err := FailureMessage(st)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.want {
				if !strings.Contains(m.Body, s) {
					t.Errorf("body lacks %q:\n%s", s, m.Body)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(m.Body, s) {
					t.Errorf("body has %q", s)
				}
			}
			if m.Attributes[AttrOutcome].Value != OutcomeFailed {
				t.Errorf("outcome = %v", m.Attributes[AttrOutcome])
			}
		})
	}
}

func TestFailureMessageGoesOutWhateverTheState(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*contract.State)
	}{
		{"a severity that is not an ASFF label", func(st *contract.State) { st.Evaluation.Decision.Violations[0].Severity = "SEVERE" }},
		{"a violation without a rule id", func(st *contract.State) { st.Evaluation.Decision.Violations[0].Rule = "" }},
		{"a malformed event detail", func(st *contract.State) { st.Detail = json.RawMessage(`"x"`) }},
		{"a malformed task definition", func(st *contract.State) { st.Described.TaskDefinition = json.RawMessage(`[]`) }},
		{"no task and no event", func(st *contract.State) { st.Task, st.Detail, st.Evaluation = nil, nil, nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := clone(t, loadState(t, "failure-stop-task"))
			tc.mutate(&st)
			m, err := FailureMessage(st)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Body, "Failed step: Stop task") || m.Attributes[AttrOutcome].Value != OutcomeFailed {
				t.Errorf("message does not report the failure:\n%s", m.Body)
			}
			for k, a := range m.Attributes {
				if a.Value == "" || a.Value == "[]" {
					t.Errorf("attribute %s = %q", k, a.Value)
				}
			}
		})
	}
}

func TestFailureMessageWithoutFailureIsAnError(t *testing.T) {
	if _, err := FailureMessage(loadState(t, "remediated-service")); err == nil {
		t.Fatal("FailureMessage of a state without $.failure succeeded")
	}
}

func TestFailureMessageListsOnlyChangesThatTookEffect(t *testing.T) {
	st := loadState(t, "failure-stop-task")
	st.Remediation.Service.Changed = false
	st.Remediation.Service.Detail = "service already at 0"
	m, err := FailureMessage(st)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Body, "Nothing: no change had taken effect") || strings.Contains(m.Body, "Scaled service") {
		t.Errorf("unchanged service reported as a change:\n%s", m.Body)
	}
}

func TestApprovalCause(t *testing.T) {
	tests := []struct {
		name string
		in   *contract.Approval
		want approvalInfo
	}{
		{"no approval asked", nil, approvalInfo{}},
		{"approved by the callback", &contract.Approval{Decision: "APPROVED", Approver: "a@x", DecidedAt: "T"},
			approvalInfo{Status: contract.ApprovalApproved, Approver: "a@x", DecidedAt: "T"}},
		{"rejected with a JSON cause", &contract.Approval{Error: &contract.ErrorInfo{Error: contract.ErrApprovalRejected,
			Cause: `{"approver":"b@x","reason":"freeze","decidedAt":"T2"}`}},
			approvalInfo{Status: contract.ApprovalRejected, Approver: "b@x", Reason: "freeze", DecidedAt: "T2"}},
		{"rejected with a plain cause", &contract.Approval{Error: &contract.ErrorInfo{Error: contract.ErrApprovalRejected, Cause: "rejected by b"}},
			approvalInfo{Status: contract.ApprovalRejected, Cause: "rejected by b"}},
		{"timed out", &contract.Approval{Error: &contract.ErrorInfo{Error: "States.Timeout"}},
			approvalInfo{Status: contract.ApprovalTimedOut}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := readApproval(tc.in); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFindings(t *testing.T) {
	st := loadState(t, "remediated-service")
	fs, err := Findings(st, now)
	if err != nil {
		t.Fatal(err)
	}
	byRule := map[string]Finding{}
	for _, f := range fs {
		byRule[f.GeneratorID] = f
	}
	td := st.Task.TaskDefinitionArn

	t.Run("one finding per rule with the containers of a rule merged", func(t *testing.T) {
		if len(fs) != 3 {
			t.Fatalf("%d findings, want 3 (privileged-container, approved-registry, image-tag-pinned)", len(fs))
		}
		if got := byRule["approved-registry"].ProductFields[FieldContainers]; got != "app,debug" {
			t.Errorf("containers = %q", got)
		}
	})
	t.Run("Id is the task definition revision and the rule id, never the task", func(t *testing.T) {
		for rule, f := range byRule {
			if f.ID != td+"/"+rule {
				t.Errorf("Id = %q", f.ID)
			}
		}
		other := st
		other.Task = &contract.Task{}
		*other.Task = *st.Task
		other.Task.TaskArn = "arn:aws:ecs:us-east-1:111122223333:task/prod/ffffffffffffffffffffffffffffffff"
		again, err := Findings(other, now)
		if err != nil {
			t.Fatal(err)
		}
		for i := range again {
			if again[i].ID != fs[i].ID {
				t.Errorf("another task of the revision gets another Id: %q, %q", fs[i].ID, again[i].ID)
			}
		}
	})
	t.Run("a deregistered revision's findings are resolved", func(t *testing.T) {
		for _, f := range fs {
			if f.Compliance.Status != CompliancePassed || f.RecordState != RecordArchived {
				t.Errorf("%s: compliance %s, record %s; want PASSED, ARCHIVED", f.ID, f.Compliance.Status, f.RecordState)
			}
		}
	})
	t.Run("ProductArn is the account's default product", func(t *testing.T) {
		want := "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
		for _, f := range fs {
			if f.ProductArn != want {
				t.Errorf("ProductArn = %q", f.ProductArn)
			}
		}
	})
	t.Run("a warning is a finding too", func(t *testing.T) {
		f, ok := byRule["image-tag-pinned"]
		if !ok || f.Workflow.Status != WorkflowNew || f.ProductFields[FieldKind] != kindWarning {
			t.Errorf("warning finding = %+v", f)
		}
	})
	t.Run("CreatedAt is the first-seen time and UpdatedAt is now", func(t *testing.T) {
		later, err := Findings(st, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for i := range fs {
			if fs[i].CreatedAt != "2025-06-03T09:14:03.000Z" || later[i].CreatedAt != fs[i].CreatedAt {
				t.Errorf("CreatedAt %q then %q", fs[i].CreatedAt, later[i].CreatedAt)
			}
			if fs[i].UpdatedAt != "2025-06-03T09:15:30.250Z" || later[i].UpdatedAt != "2025-06-03T10:15:30.250Z" {
				t.Errorf("UpdatedAt %q then %q", fs[i].UpdatedAt, later[i].UpdatedAt)
			}
			if later[i].ID != fs[i].ID {
				t.Errorf("Id changed between sends: %q, %q", fs[i].ID, later[i].ID)
			}
		}
	})
	t.Run("severity is the rule's highest", func(t *testing.T) {
		if got := byRule["approved-registry"].Severity.Label; got != "CRITICAL" {
			t.Errorf("severity = %q", got)
		}
	})
	t.Run("actions taken and the previous desired count are product fields", func(t *testing.T) {
		pf := byRule["privileged-container"].ProductFields
		if !strings.Contains(pf[FieldActionsTaken], "UpdateService arn:aws:ecs:us-east-1:111122223333:service/prod/web (desired count 3 -> 0)") ||
			pf[FieldPreviousDesiredCount] != "3" || pf[FieldOutcome] != OutcomeRemediated || pf[FieldApproval] != "NOT_REQUIRED" {
			t.Errorf("product fields = %v", pf)
		}
	})
	t.Run("resources are the task, its task definition and its service", func(t *testing.T) {
		r := fs[0].Resources
		if len(r) != 3 || r[0].Type != ResourceEcsTask || r[1].Type != ResourceEcsTaskDefinition || r[2].Type != ResourceEcsService {
			t.Fatalf("resources = %+v", r)
		}
		if r[0].Details.AwsEcsTask.Containers[0].Image != "docker.io/library/nginx:latest" || !*r[0].Details.AwsEcsTask.Containers[0].Privileged {
			t.Errorf("task containers = %+v", r[0].Details.AwsEcsTask.Containers)
		}
		if r[1].Details.AwsEcsTaskDefinition.Status != "INACTIVE" {
			t.Errorf("deregistered task definition status = %q", r[1].Details.AwsEcsTaskDefinition.Status)
		}
	})
	t.Run("every required ASFF field is set", func(t *testing.T) {
		for _, f := range fs {
			assertRequired(t, f)
		}
	})
}

func assertRequired(t *testing.T, f Finding) {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types",
		"CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources"} {
		if v, ok := m[k]; !ok || v == "" || v == nil {
			t.Errorf("finding %s: required field %s missing", f.ID, k)
		}
	}
	for _, r := range f.Resources {
		if r.ID == "" || r.Type == "" {
			t.Errorf("finding %s: resource without Id or Type: %+v", f.ID, r)
		}
	}
}

func TestFindingsWorkflowAndNotes(t *testing.T) {
	tests := []struct {
		scenario string
		rule     string
		workflow string
		exempted string
		approval string
		approver string
		outcome  string
	}{
		{"exempted", "privileged-container", WorkflowSuppressed, "vendor monitoring agent needs privileged mode; accepted by security in SEC-981", "", "", OutcomeReported},
		{"audit-only", "read-only-root-filesystem", WorkflowSuppressed, "legacy app writes to /var/cache; fix tracked in SEC-1423", "", "", OutcomeReported},
		{"audit-only", "privileged-container", WorkflowNew, "", "", "", OutcomeReported},
		{"approval-rejected", "privileged-container", WorkflowNew, "", contract.ApprovalRejected, "bob@example.com", OutcomeReported},
		{"approval-timeout", "privileged-container", WorkflowNew, "", contract.ApprovalTimedOut, "", OutcomeReported},
		{"remediated-standalone", "non-root-user", WorkflowNew, "", contract.ApprovalApproved, "alice@example.com", OutcomeRemediated},
		{"failure-stop-task", "privileged-container", WorkflowNew, "", "NOT_REQUIRED", "", OutcomeFailed},
	}
	for _, tc := range tests {
		t.Run(tc.scenario+"/"+tc.rule, func(t *testing.T) {
			fs, err := Findings(loadState(t, tc.scenario), now)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(fs, func(f Finding) bool { return f.GeneratorID == tc.rule })
			if i < 0 {
				t.Fatalf("no finding for %s", tc.rule)
			}
			f := fs[i]
			if f.Workflow.Status != tc.workflow {
				t.Errorf("workflow = %s, want %s", f.Workflow.Status, tc.workflow)
			}
			// Note and UserDefinedFields are the customer's: exemptions are
			// said in provider-owned product fields.
			if f.Note != nil || f.UserDefinedFields != nil {
				t.Errorf("note %+v, user fields %v: customer-owned fields set", f.Note, f.UserDefinedFields)
			}
			if got := f.ProductFields[FieldExemptionReason]; got != tc.exempted {
				t.Errorf("exemption reason = %q, want %q", got, tc.exempted)
			}
			if got := f.ProductFields[FieldApproval]; got != tc.approval {
				t.Errorf("approval = %q, want %q", got, tc.approval)
			}
			if got := f.ProductFields[FieldApprover]; got != tc.approver {
				t.Errorf("approver = %q, want %q", got, tc.approver)
			}
			if got := f.ProductFields[FieldOutcome]; got != tc.outcome {
				t.Errorf("outcome = %q, want %q", got, tc.outcome)
			}
			wantCompliance, wantRecord := ComplianceFailed, RecordActive
			if st := loadState(t, tc.scenario); st.Remediation != nil && st.Remediation.TaskDefinition != nil && st.Remediation.TaskDefinition.Reason == "" {
				wantCompliance, wantRecord = CompliancePassed, RecordArchived
			}
			if f.Compliance.Status != wantCompliance || f.RecordState != wantRecord {
				t.Errorf("compliance %q record %q, want %q %q", f.Compliance.Status, f.RecordState, wantCompliance, wantRecord)
			}
			assertRequired(t, f)
		})
	}
}

func TestFindingsRespectASFFLimits(t *testing.T) {
	st := loadState(t, "warnings-only")
	w := &st.Evaluation.Decision.Warnings[0]
	w.Title = strings.Repeat("é", 300)
	w.Message = strings.Repeat("ü", 2000)
	w.Remediation = strings.Repeat("r", 600)
	w.Controls = nil
	for i := range 40 {
		w.Controls = append(w.Controls, fmt.Sprintf("CIS Docker %d", i))
	}
	fs, err := Findings(st, now)
	if err != nil {
		t.Fatal(err)
	}
	f := fs[0]
	for name, c := range map[string]struct {
		s   string
		max int
	}{
		"Title": {f.Title, maxTitle}, "Description": {f.Description, maxDescription},
		"Remediation": {f.Remediation.Recommendation.Text, maxRecommendation},
	} {
		if len(c.s) > c.max || !utf8.ValidString(c.s) || !strings.HasSuffix(c.s, "...") {
			t.Errorf("%s: %d bytes (max %d), valid UTF-8 %t, cut mark %t", name, len(c.s), c.max, utf8.ValidString(c.s), strings.HasSuffix(c.s, "..."))
		}
	}
	if len(f.Compliance.RelatedRequirements) != maxRequirements {
		t.Errorf("%d related requirements, ASFF allows %d", len(f.Compliance.RelatedRequirements), maxRequirements)
	}
}

func TestFindingsRejectBadInput(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*contract.State)
		want   string
	}{
		{"no decision", func(st *contract.State) { st.Evaluation.Decision = nil }, "no decision"},
		{"first-seen time that is not RFC 3339", func(st *contract.State) { st.Task.FirstSeen = "yesterday" }, `"yesterday"`},
		{"malformed described task definition", func(st *contract.State) {
			st.Described.TaskDefinition = json.RawMessage(`"web:7"`)
		}, "described task definition"},
		{"no account", func(st *contract.State) { st.Task.Account = ""; st.Task.TaskArn = "arn:aws:ecs:us-east-1::task/prod/1" }, "account or region"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := clone(t, loadState(t, "remediated-service"))
			tc.mutate(&st)
			_, err := Findings(st, now)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestFindingsFallBackToTheEventTimeWithoutFirstSeen(t *testing.T) {
	st := loadState(t, "remediated-service")
	st.Task.FirstSeen = ""
	fs, err := Findings(st, now)
	if err != nil {
		t.Fatal(err)
	}
	if fs[0].CreatedAt != "2025-06-03T09:14:02.000Z" {
		t.Errorf("CreatedAt = %q, want the event time", fs[0].CreatedAt)
	}
}

func TestFindingTypes(t *testing.T) {
	tests := []struct {
		name     string
		controls []string
		want     []string
	}{
		{"no controls gives the standards category", nil, []string{typeStandards}},
		{"Security Hub and CIS controls add their classifiers once", []string{"AWS Security Hub ECS.4", "CIS Docker 5.4", "AWS Security Hub ECS.5"},
			[]string{typeStandards, typeStandards + "/AWS Foundational Security Best Practices", typeStandards + "/CIS Host Hardening Benchmarks"}},
		{"controls without an ASFF classifier add nothing", []string{"NIST 800-190 4.4.3", "Pod Security Standards: Baseline"}, []string{typeStandards}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := findingTypes(tc.controls); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStepName(t *testing.T) {
	for key, want := range map[string]string{
		contract.StepStopTask:     "Stop task",
		contract.StepScaleService: "Scale service to zero",
		contract.StepRecordTask:   "Record task",
		"somethingElse":           "somethingElse",
	} {
		if got := StepName(key); got != want {
			t.Errorf("StepName(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short text is kept", "abc", 5, "abc"},
		{"long text is cut with a mark", "abcdefgh", 6, "abc..."},
		{"a cut never splits a character", "ééééé", 7, "éé..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := truncate(tc.in, tc.max); got != tc.want {
				t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

// clone deep-copies a state through JSON so that a test can change it.
func clone(t testing.TB, st contract.State) contract.State {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out contract.State
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func BenchmarkMessage(b *testing.B) {
	st := loadState(b, "remediated-service")
	for b.Loop() {
		if _, err := Message(st); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFindings(b *testing.B) {
	st := loadState(b, "remediated-service")
	for b.Loop() {
		if _, err := Findings(st, now); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHostileNamesCannotForgeReports: names, images and messages come from
// task definitions anyone allowed to register one controls. A line break,
// a terminal escape or a bidirectional override in them must not reach the
// SNS message, its subject or the findings.
func TestHostileNamesCannotForgeReports(t *testing.T) {
	st := loadState(t, "hostile-names")
	m, err := Message(st)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := Findings(st, now)
	if err != nil {
		t.Fatal(err)
	}
	fj, _ := json.Marshal(fs)
	var decoded []Finding
	_ = json.Unmarshal(fj, &decoded)
	var texts []string
	for _, f := range decoded {
		texts = append(texts, f.Title, f.Description)
		for _, v := range f.ProductFields {
			texts = append(texts, v)
		}
	}
	for _, c := range []struct {
		where, text string
	}{{"subject", m.Subject}, {"body", m.Body}, {"findings", strings.Join(texts, "\x00")}} {
		for _, bad := range []string{"\x1b", "\u202e", "\x07", "\r"} {
			if strings.Contains(c.text, bad) {
				t.Errorf("%s keeps %q", c.where, bad)
			}
		}
	}
	for _, line := range strings.Split(m.Body, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "Outcome: COMPLIANT") {
			t.Errorf("a container name forged a line of the message: %q", line)
		}
	}
}
