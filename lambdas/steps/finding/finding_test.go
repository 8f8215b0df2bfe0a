package finding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report/reporttest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

var now = time.Date(2025, 6, 3, 9, 15, 30, 0, time.UTC)

func clock() time.Time { return now }

func state(t *testing.T, name string) contract.State { return reporttest.State(t, name) }

// manyRules is a state whose decision breaks n distinct rules.
func manyRules(t *testing.T, n int) contract.State {
	st := state(t, "warnings-only")
	w := st.Evaluation.Decision.Warnings[0]
	st.Evaluation.Decision.Warnings = nil
	for i := range n {
		w.Rule = fmt.Sprintf("rule-%03d", i)
		st.Evaluation.Decision.Warnings = append(st.Evaluation.Decision.Warnings, w)
	}
	return st
}

// fakeHub records each batch and answers from respond (success by default).
type fakeHub struct {
	batches [][]types.AwsSecurityFinding
	respond func(in *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error)
}

func (f *fakeHub) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	f.batches = append(f.batches, in.Findings)
	if f.respond != nil {
		return f.respond(in)
	}
	return &securityhub.BatchImportFindingsOutput{SuccessCount: aws.Int32(int32(len(in.Findings))), FailedCount: aws.Int32(0)}, nil
}

func TestHandleImportsOneFindingPerRevisionAndRule(t *testing.T) {
	tests := []struct {
		scenario string
		ids      []string
	}{
		{"remediated-service", []string{"privileged-container", "approved-registry", "image-tag-pinned"}},
		{"exempted", []string{"privileged-container"}},
		{"audit-only", []string{"privileged-container", "read-only-root-filesystem"}},
	}
	for _, tc := range tests {
		t.Run(tc.scenario, func(t *testing.T) {
			st := state(t, tc.scenario)
			hub := &fakeHub{}
			got, err := (&Handler{SecurityHub: hub, Now: clock}).Handle(context.Background(), st)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, rule := range tc.ids {
				want = append(want, report.FindingID(st.Task.TaskDefinitionArn, rule))
			}
			if !slices.Equal(got.IDs, want) {
				t.Errorf("ids = %q, want %q", got.IDs, want)
			}
			if len(hub.batches) != 1 || len(hub.batches[0]) != len(want) {
				t.Fatalf("batches = %d", len(hub.batches))
			}
			for _, f := range hub.batches[0] {
				if aws.ToString(f.UpdatedAt) != "2025-06-03T09:15:30.000Z" {
					t.Errorf("UpdatedAt = %s, want the handler's clock", aws.ToString(f.UpdatedAt))
				}
			}
		})
	}
}

func TestHandleSendsBatchesOfAtMost100(t *testing.T) {
	tests := []struct {
		rules   int
		batches []int
	}{
		{1, []int{1}},
		{100, []int{100}},
		{101, []int{100, 1}},
		{250, []int{100, 100, 50}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d findings", tc.rules), func(t *testing.T) {
			hub := &fakeHub{}
			got, err := (&Handler{SecurityHub: hub, Now: clock}).Handle(context.Background(), manyRules(t, tc.rules))
			if err != nil {
				t.Fatal(err)
			}
			var sizes []int
			for _, b := range hub.batches {
				sizes = append(sizes, len(b))
			}
			if !slices.Equal(sizes, tc.batches) {
				t.Errorf("batch sizes %v, want %v", sizes, tc.batches)
			}
			if len(got.IDs) != tc.rules {
				t.Errorf("%d ids, want %d", len(got.IDs), tc.rules)
			}
		})
	}
}

func TestHandleReportsRejectedFindings(t *testing.T) {
	tests := []struct {
		name    string
		respond func(in *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error)
		want    []string
	}{
		{
			name: "each failed finding is named with its reason",
			respond: func(in *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
				return &securityhub.BatchImportFindingsOutput{
					FailedCount: aws.Int32(1), SuccessCount: aws.Int32(int32(len(in.Findings) - 1)),
					FailedFindings: []types.ImportFindingsError{{Id: in.Findings[1].Id, ErrorCode: aws.String("InvalidInput"),
						ErrorMessage: aws.String("Finding does not adhere to Amazon Finding Format. data.Title should NOT be shorter than 1 characters.")}},
				}, nil
			},
			want: []string{"rejected 1 of 3 findings", "/approved-registry: InvalidInput Finding does not adhere"},
		},
		{
			name: "a failed count without details is still a failure",
			respond: func(in *securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
				return &securityhub.BatchImportFindingsOutput{FailedCount: aws.Int32(2)}, nil
			},
			want: []string{"2 more without details"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&Handler{SecurityHub: &fakeHub{respond: tc.respond}, Now: clock}).Handle(context.Background(), state(t, "remediated-service"))
			if step.Name(err) != contract.ErrFailed {
				t.Fatalf("error %v named %s, want %s (not retried)", err, step.Name(err), contract.ErrFailed)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q lacks %q", err, s)
				}
			}
		})
	}
}

func TestHandleRejectsAStateWithoutFindings(t *testing.T) {
	hub := &fakeHub{}
	st := state(t, "remediated-service")
	st.Evaluation.Decision = nil
	_, err := (&Handler{SecurityHub: hub, Now: clock}).Handle(context.Background(), st)
	if step.Name(err) != contract.ErrInvalidInput || len(hub.batches) != 0 {
		t.Fatalf("error %v (%s) after %d calls", err, step.Name(err), len(hub.batches))
	}
}

func TestErrorNames(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"limit exceeded is retried", &types.LimitExceededException{Message: aws.String("Rate exceeded")}, contract.ErrTransient},
		{"internal error is retried", &types.InternalException{}, contract.ErrTransient},
		{"Security Hub not enabled is access denied", &types.InvalidAccessException{Message: aws.String("Account is not subscribed to AWS Security Hub")}, contract.ErrAccessDenied},
		{"IAM denial is access denied", &smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient}, contract.ErrAccessDenied},
		{"invalid input is invalid input", &types.InvalidInputException{}, contract.ErrInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hub := &fakeHub{respond: func(*securityhub.BatchImportFindingsInput) (*securityhub.BatchImportFindingsOutput, error) {
				return nil, tc.err
			}}
			_, err := (&Handler{SecurityHub: hub, Now: clock}).Handle(context.Background(), state(t, "exempted"))
			if got := step.Name(err); got != tc.want {
				t.Errorf("%v named %s, want %s", err, got, tc.want)
			}
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), "BatchImportFindings (1 findings)") {
				t.Errorf("%v does not wrap the SDK error or name the call", err)
			}
		})
	}
}

// hubServer is a Security Hub endpoint (REST-JSON): it records each request
// and answers with status, error type header and body.
type request struct {
	method, path, contentType string
	body                      []byte
}

func hubServer(t *testing.T, status int, errorType, body string) (*securityhub.Client, *[]request) {
	t.Helper()
	var reqs []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		reqs = append(reqs, request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), b})
		w.Header().Set("Content-Type", "application/json")
		if errorType != "" {
			w.Header().Set("X-Amzn-ErrorType", errorType)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return securityhub.New(securityhub.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	}), &reqs
}

// TestImportOnTheWire checks that what the SDK sends is exactly the findings
// report.Findings builds: the ASFF JSON names of report.Finding and ToSDK's
// conversion agree field for field.
func TestImportOnTheWire(t *testing.T) {
	for _, scenario := range []string{"remediated-service", "remediated-standalone", "exempted", "failure-stop-task"} {
		t.Run(scenario, func(t *testing.T) {
			client, reqs := hubServer(t, http.StatusOK, "", `{"FailedCount":0,"SuccessCount":3,"FailedFindings":[]}`)
			st := state(t, scenario)
			if _, err := (&Handler{SecurityHub: client, Now: clock}).Handle(context.Background(), st); err != nil {
				t.Fatal(err)
			}
			if len(*reqs) != 1 {
				t.Fatalf("%d requests", len(*reqs))
			}
			r := (*reqs)[0]
			if r.method != http.MethodPost || r.path != "/findings/import" || r.contentType != "application/json" {
				t.Errorf("%s %s (%s), want POST /findings/import (application/json)", r.method, r.path, r.contentType)
			}
			var wire struct{ Findings []any }
			if err := json.Unmarshal(r.body, &wire); err != nil {
				t.Fatalf("request body: %v\n%s", err, r.body)
			}
			findings, err := report.Findings(st, now)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(findings)
			var want []any
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(wire.Findings, want) {
				got, _ := json.MarshalIndent(wire.Findings, "", " ")
				exp, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("wire findings differ from report.Findings\n--- wire ---\n%s\n--- want ---\n%s", got, exp)
			}
		})
	}
}

func TestImportErrorsOnTheWire(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		errorType string
		body      string
		want      string
		wantText  string
	}{
		{"limit exceeded is retried", http.StatusTooManyRequests, "LimitExceededException", `{"Message":"Rate exceeded","Code":"LimitExceededException"}`, contract.ErrTransient, "Rate exceeded"},
		{"an internal error is retried", http.StatusInternalServerError, "InternalException", `{"Message":"Internal error","Code":"InternalException"}`, contract.ErrTransient, "Internal error"},
		{"Security Hub not enabled is access denied", http.StatusUnauthorized, "InvalidAccessException", `{"Message":"Account 111122223333 is not subscribed to AWS Security Hub","Code":"InvalidAccessException"}`, contract.ErrAccessDenied, "not subscribed to AWS Security Hub"},
		{"an IAM denial is access denied", http.StatusForbidden, "AccessDeniedException", `{"Message":"User is not authorized to perform: securityhub:BatchImportFindings"}`, contract.ErrAccessDenied, "securityhub:BatchImportFindings"},
		{"invalid input is not retried", http.StatusBadRequest, "InvalidInputException", `{"Message":"Invalid finding","Code":"InvalidInputException"}`, contract.ErrInvalidInput, "Invalid finding"},
		{"rejected findings are a permanent failure", http.StatusOK, "",
			`{"FailedCount":1,"SuccessCount":0,"FailedFindings":[{"Id":"arn:aws:ecs:us-east-1:111122223333:task/prod/9d9d9d9d8e8e8e8e7f7f7f7f6a6a6a6a/privileged-container","ErrorCode":"InvalidInput","ErrorMessage":"Finding does not adhere to Amazon Finding Format."}]}`,
			contract.ErrFailed, "9d9d9d9d8e8e8e8e7f7f7f7f6a6a6a6a/privileged-container: InvalidInput Finding does not adhere"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client, reqs := hubServer(t, tc.status, tc.errorType, tc.body)
			_, err := (&Handler{SecurityHub: client, Now: clock}).Handle(context.Background(), state(t, "exempted"))
			if got := step.Name(err); got != tc.want {
				t.Errorf("%v named %s, want %s", err, got, tc.want)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %v lacks %q", err, tc.wantText)
			}
			if len(*reqs) != 1 {
				t.Errorf("%d requests, want 1 (the state machine retries, not the step)", len(*reqs))
			}
		})
	}
}

// A revision no longer flagged under a new policy: only the resolutions are
// imported (PASSED, ARCHIVED), updated in place under the revision's Ids.
func TestHandleImportsResolutionsOnly(t *testing.T) {
	st := state(t, "resolved-compliant")
	hub := &fakeHub{}
	got, err := (&Handler{SecurityHub: hub, Now: clock}).Handle(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{report.FindingID(st.Task.TaskDefinitionArn, "image-tag-pinned"), report.FindingID(st.Task.TaskDefinitionArn, "read-only-root-filesystem")}
	if !slices.Equal(got.IDs, want) {
		t.Fatalf("ids = %q, want %q", got.IDs, want)
	}
	for _, f := range hub.batches[0] {
		if f.Compliance == nil || f.Compliance.Status != "PASSED" || f.RecordState != "ARCHIVED" {
			t.Errorf("%s: compliance %+v, record state %s; want PASSED, ARCHIVED", aws.ToString(f.Id), f.Compliance, f.RecordState)
		}
	}
}
