package test

// Approval-gated remediation through the local executor, built as users run
// it: the simulated approver reads the approval request that the approvers'
// topic delivered, opens its link and submits the confirmation form (with
// its one-time token, as a browser posts it) to the real callback handler,
// which answers the workflow through the in-memory Step Functions.

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/inmemory"
	"github.com/ecs-compliance/ecs-compliance/statemachine/offline"
)

const (
	waitState     = "Wait for approval"
	approvalOut   = "APPROVAL_REQUESTED"
	localApprover = "local-approver"
)

// productFields are the ecs-compliance fields of the record's findings.
func productFields(t *testing.T, r record) []map[string]any {
	t.Helper()
	if len(r.Findings) == 0 {
		t.Fatal("no findings")
	}
	var out []map[string]any
	for _, f := range r.Findings {
		pf, _ := f["ProductFields"].(map[string]any)
		out = append(out, pf)
	}
	return out
}

// split returns the approval request and the report of a record.
func split(t *testing.T, r record) (request, report struct{ Subject, Message string }) {
	t.Helper()
	if len(r.Notifications) != 2 {
		t.Fatalf("%d notifications, want the approval request and the report: %+v", len(r.Notifications), r.Notifications)
	}
	req, rep := r.Notifications[0], r.Notifications[1]
	if req.Attributes["outcome"] != approvalOut {
		t.Fatalf("first message %q has outcome %q, want %s", req.Subject, req.Attributes["outcome"], approvalOut)
	}
	request.Subject, request.Message = req.Subject, req.Message
	report.Subject, report.Message = rep.Subject, rep.Message
	return
}

var requestLink = regexp.MustCompile(`https://\S+action=(approve|reject)\S*`)

// checkRequest: the request names what was found and what approving does,
// and carries two signed links with a reference, never a task token.
func checkRequest(t *testing.T, msg string, wantActions ...string) {
	t.Helper()
	links := requestLink.FindAllString(msg, -1)
	if len(links) != 2 {
		t.Fatalf("the request has %d links:\n%s", len(links), msg)
	}
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if len(q.Get("ref")) != 20 || q.Get("exp") == "" || len(q.Get("sig")) != 43 || len(q) != 4 {
			t.Errorf("link %s: want ref (20), action, exp, sig (43) and nothing else", l)
		}
	}
	for _, want := range append([]string{"What was found", "approved_registries", "What approving does", "TIMED_OUT"}, wantActions...) {
		if !strings.Contains(msg, want) {
			t.Errorf("the request lacks %q:\n%s", want, msg)
		}
	}
}

func TestApproveRemediatesAfterTheWait(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantActions []string
		wantPlan    []string
	}{
		{"a service task", []string{"--world", "worlds/demo.json", "events/dockerhub-service-task.json"}, remediation,
			[]string{"Scale service api in cluster prod to 0 tasks", "Stop task 1b2c3d4e5f6a41829304b5c6d7e8f9a0", "Deregister task definition api:7"}},
		{"a standalone task", []string{"events/standalone-task.json"}, []string{"StopTask", "DeregisterTaskDefinition"},
			[]string{"Stop task 2c3d4e5f6a7b42930415c6d7e8f9a0b1"}},
		{"a service task while every AWS call is throttled twice", []string{"--throttle-first", "2", "--world", "worlds/demo.json", "events/dockerhub-service-task.json"},
			remediation, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, 0, append([]string{"--mode", "enforce", "--approval", "approve"}, tt.args...)...)[0]
			if r.Status != "SUCCEEDED" || !reflect.DeepEqual(r.apis(), tt.wantActions) {
				t.Fatalf("status %s, actions %v, want %v (%s)", r.Status, r.apis(), tt.wantActions, r.Error)
			}
			wait := slices.Index(r.States, waitState)
			if wait < 0 {
				t.Fatalf("states %v: no %q", r.States, waitState)
			}
			for _, s := range []string{"Stop task", "Deregister task definition"} {
				if i := slices.Index(r.States, s); i < wait {
					t.Errorf("%q (%d) is not after %q (%d): %v", s, i, waitState, wait, r.States)
				}
			}
			req, rep := split(t, r)
			checkRequest(t, req.Message, tt.wantPlan...)
			if !strings.Contains(rep.Subject, "REMEDIATED") || !strings.Contains(rep.Message, "approved by "+localApprover) {
				t.Errorf("the report does not name the approver:\n%s\n%s", rep.Subject, rep.Message)
			}
			for _, pf := range productFields(t, r) {
				if pf["ecs-compliance/Approval"] != "APPROVED" || pf["ecs-compliance/Approver"] != localApprover || pf["ecs-compliance/ApprovalDecidedAt"] == nil {
					t.Errorf("finding fields: %v", pf)
				}
			}
		})
	}
}

func TestRejectChangesNothingAndSaysSo(t *testing.T) {
	r := run(t, 0, "--mode", "enforce", "--approval", "reject", "--world", "worlds/demo.json", "events/dockerhub-service-task.json")[0]
	if r.Status != "SUCCEEDED" || len(r.Actions) != 0 {
		t.Fatalf("status %s, actions %v", r.Status, r.apis())
	}
	if !slices.Contains(r.States, waitState) || slices.Contains(r.States, "Stop task") {
		t.Fatalf("states %v", r.States)
	}
	req, rep := split(t, r)
	checkRequest(t, req.Message)
	if !strings.Contains(rep.Subject, "approval rejected") || !strings.Contains(rep.Message, "REJECTED by "+localApprover) ||
		!strings.Contains(rep.Message, "rejected with --approval reject") {
		t.Errorf("the report does not say it was rejected, by whom and why:\n%s\n%s", rep.Subject, rep.Message)
	}
	for _, pf := range productFields(t, r) {
		if pf["ecs-compliance/Approval"] != "REJECTED" || pf["ecs-compliance/Approver"] != localApprover || pf["ecs-compliance/Outcome"] != "REPORTED" {
			t.Errorf("finding fields: %v", pf)
		}
	}
}

// The documented default: an unanswered request does not remediate; the
// violation is reported with approval TIMED_OUT.
func TestTimeoutChangesNothingAndReportsTimedOut(t *testing.T) {
	r := run(t, 0, "--mode", "enforce", "--approval", "timeout", "--world", "worlds/demo.json", "events/dockerhub-service-task.json")[0]
	if r.Status != "SUCCEEDED" || len(r.Actions) != 0 {
		t.Fatalf("status %s, actions %v", r.Status, r.apis())
	}
	if !slices.Contains(r.States, waitState) || !slices.Contains(r.States, "Report to SNS and Security Hub") {
		t.Fatalf("states %v", r.States)
	}
	_, rep := split(t, r)
	if !strings.Contains(rep.Subject, "approval timed out") || !strings.Contains(rep.Message, "TIMED OUT") {
		t.Errorf("the report does not say the request timed out:\n%s\n%s", rep.Subject, rep.Message)
	}
	for _, pf := range productFields(t, r) {
		if pf["ecs-compliance/Approval"] != "TIMED_OUT" || pf["ecs-compliance/ActionsTaken"] != "none" {
			t.Errorf("finding fields: %v", pf)
		}
	}
}

// Approval is asked only for a remediation: not in audit mode, not for a
// compliant task, and a later event of an approved task is a duplicate.
func TestApprovalIsAskedOnlyForARemediation(t *testing.T) {
	recs := run(t, 0, "--approval", "approve", "--world", "worlds/demo.json", "events/dockerhub-service-task.json")
	if r := recs[0]; slices.Contains(r.States, waitState) || len(r.Actions) != 0 || len(r.Notifications) != 1 {
		t.Errorf("audit mode: states %v, actions %v, %d messages", r.States, r.apis(), len(r.Notifications))
	}
	recs = run(t, 0, "--mode", "enforce", "--approval", "approve", "--world", "worlds/demo.json",
		"events/ecr-service-task.json", "events/dockerhub-service-task.json", "events/dockerhub-service-task-running.json")
	ok, bad, dup := recs[0], recs[1], recs[2]
	if slices.Contains(ok.States, waitState) || len(ok.Notifications) != 0 {
		t.Errorf("a compliant task: states %v", ok.States)
	}
	if !reflect.DeepEqual(bad.apis(), remediation) {
		t.Errorf("the violating task: actions %v", bad.apis())
	}
	if last(dup.Triage) != "Skip duplicate event" || len(dup.States) != 0 || len(dup.Notifications) != 0 {
		t.Errorf("the later event: triage %v, states %v, %d messages", dup.Triage, dup.States, len(dup.Notifications))
	}
}

// Per-severity approval is data: ecs.config.approval.severities lists the
// severities that need a person; a remediation of other severities goes on
// without asking. (approved_registries is HIGH.)
func TestApprovalPerSeverity(t *testing.T) {
	tests := []struct {
		name       string
		severities []string
		wantWait   bool
	}{
		{"an empty list asks for every severity", []string{}, true},
		{"a listed severity asks", []string{"CRITICAL", "HIGH"}, true},
		{"an unlisted severity remediates without asking", []string{"CRITICAL"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := policyWithApprovalSeverities(t, tt.severities)
			// timeout: a wait entered would end without remediation.
			r := run(t, 0, "--mode", "enforce", "--approval", "timeout", "--policy", dir, "--world", "worlds/demo.json", "events/dockerhub-service-task.json")[0]
			if got := slices.Contains(r.States, waitState); got != tt.wantWait {
				t.Fatalf("wait entered %t, want %t: %v", got, tt.wantWait, r.States)
			}
			if tt.wantWait {
				if len(r.Actions) != 0 {
					t.Errorf("actions %v after an unanswered request", r.apis())
				}
				return
			}
			if !reflect.DeepEqual(r.apis(), remediation) || len(r.Notifications) != 1 {
				t.Errorf("actions %v, %d messages", r.apis(), len(r.Notifications))
			}
			for _, pf := range productFields(t, r) {
				if pf["ecs-compliance/Approval"] != "NOT_REQUIRED" {
					t.Errorf("finding fields: %v", pf)
				}
			}
		})
	}
}

// policyWithApprovalSeverities copies policies/ with
// ecs.config.approval.severities set.
func policyWithApprovalSeverities(t *testing.T, severities []string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "policies")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if !strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, ".json") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]any
	if err := json.Unmarshal(b, &data); err != nil {
		t.Fatal(err)
	}
	cfg := data["ecs"].(map[string]any)["config"].(map[string]any)
	cfg["approval"] = map[string]any{"severities": severities}
	b, _ = json.MarshalIndent(data, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// In process, where the SNS outbox shows each message's topic: the request
// goes to the approvers' topic only, the report to the report topic only,
// and the simulated person decided with the confirmation page's form (its
// one-time token's nonce is recorded with the decision).
func TestTheRequestGoesOnlyToTheApproversTopic(t *testing.T) {
	for _, answer := range []string{offline.ApprovalApprove, offline.ApprovalReject, offline.ApprovalTimeout} {
		t.Run(answer, func(t *testing.T) {
			world, err := inmemory.ReadWorldFile("worlds/demo.json")
			if err != nil {
				t.Fatal(err)
			}
			ev, err := os.ReadFile("events/dockerhub-service-task.json")
			if err != nil {
				t.Fatal(err)
			}
			events := []offline.Event{{Name: "dockerhub-service-task.json", JSON: ev}}
			r, err := offline.New(offline.Options{World: &world, Policy: os.DirFS("../policies"), Mode: contract.ModeEnforce, Approval: answer}, events)
			if err != nil {
				t.Fatal(err)
			}
			// (What Run returns is the --json record; the outbox is what counts here.)
			r.Run(context.Background(), events[0])
			msgs := r.Account.Notifications()
			if len(msgs) != 2 {
				t.Fatalf("%d messages, want the request and the report", len(msgs))
			}
			req, rep := msgs[0], msgs[1]
			if !strings.HasSuffix(req.TopicArn, ":ecs-compliance-approvals") || req.Attributes["outcome"] != approvalOut {
				t.Errorf("the request went to %s (outcome %q), want the approvers' topic", req.TopicArn, req.Attributes["outcome"])
			}
			if rep.TopicArn == req.TopicArn || strings.Contains(rep.Message, "action=approve") {
				t.Errorf("the report went to %s with the approvers' links:\n%s", rep.TopicArn, rep.Message)
			}
			recs := r.Account.ApprovalRecords()
			if len(recs) != 1 {
				t.Fatalf("%d approval records", len(recs))
			}
			if want := map[string]int{offline.ApprovalApprove: 1, offline.ApprovalReject: 1, offline.ApprovalTimeout: 0}[answer]; len(recs[0].FormNonces) != want {
				t.Errorf("form nonces recorded %v, want %d (the page's form decided)", recs[0].FormNonces, want)
			}
		})
	}
}
