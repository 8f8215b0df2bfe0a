package inmemory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

const productArn = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"

func finding(id string) types.AwsSecurityFinding {
	return types.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"),
		Id:            aws.String(id),
		ProductArn:    aws.String(productArn),
		GeneratorId:   aws.String("registry"),
		AwsAccountId:  aws.String(acct),
		Types:         []string{"Software and Configuration Checks/Industry and Regulatory Standards"},
		CreatedAt:     aws.String("2026-11-27T09:05:00Z"),
		UpdatedAt:     aws.String("2026-11-27T09:05:00Z"),
		Severity:      &types.Severity{Label: types.SeverityLabelHigh},
		Title:         aws.String("Image from an unapproved registry"),
		Description:   aws.String("Container api uses docker.io/library/nginx:1.25."),
		Resources:     []types.Resource{{Type: aws.String("AwsEcsTask"), Id: aws.String(apiTask)}},
		Compliance:    &types.Compliance{Status: types.ComplianceStatusFailed},
		RecordState:   types.RecordStateActive,
	}
}

func TestBatchImportFindingsStoresAndUpdates(t *testing.T) {
	a := newAccount(t)
	ctx := context.Background()
	first, err := a.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{finding("f1"), finding("f2")}})
	if err != nil || aws.ToInt32(first.SuccessCount) != 2 || aws.ToInt32(first.FailedCount) != 0 || len(first.FailedFindings) != 0 {
		t.Fatalf("first import %+v %v", first, err)
	}
	mark := a.Mark()
	resend := finding("f1")
	resend.UpdatedAt = aws.String("2026-11-27T10:00:00Z")
	resend.RecordState = types.RecordStateArchived
	if _, err := a.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{resend}}); err != nil {
		t.Fatal(err)
	}
	got := a.Findings()
	if len(got) != 2 || aws.ToString(got[0].Id) != "f1" || got[0].RecordState != types.RecordStateArchived ||
		aws.ToString(got[0].UpdatedAt) != "2026-11-27T10:00:00Z" || aws.ToString(got[1].Id) != "f2" {
		t.Fatalf("a resend must update in place: %+v", got)
	}
	if since := a.FindingsSince(mark); len(since) != 1 || aws.ToString(since[0].Id) != "f1" {
		t.Fatalf("imports since the mark: %+v", since)
	}
	// The same Id under another product is another finding.
	other := finding("f1")
	other.ProductArn = aws.String("arn:aws:securityhub:us-east-1:123456789012:product/123456789012/other")
	if _, err := a.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{other}}); err != nil {
		t.Fatal(err)
	}
	if n := len(a.Findings()); n != 3 {
		t.Fatalf("%d findings, want 3", n)
	}
}

func TestBatchImportFindingsFailsInvalidFindings(t *testing.T) {
	cases := []struct {
		name   string
		change func(f *types.AwsSecurityFinding)
		want   string
	}{
		{"no SchemaVersion", func(f *types.AwsSecurityFinding) { f.SchemaVersion = nil }, "'SchemaVersion'"},
		{"no Id", func(f *types.AwsSecurityFinding) { f.Id = nil }, "'Id'"},
		{"no ProductArn", func(f *types.AwsSecurityFinding) { f.ProductArn = nil }, "'ProductArn'"},
		{"no GeneratorId", func(f *types.AwsSecurityFinding) { f.GeneratorId = nil }, "'GeneratorId'"},
		{"no AwsAccountId", func(f *types.AwsSecurityFinding) { f.AwsAccountId = nil }, "'AwsAccountId'"},
		{"no Types", func(f *types.AwsSecurityFinding) { f.Types = nil }, "'Types'"},
		{"empty Types", func(f *types.AwsSecurityFinding) { f.Types = []string{} }, "Types should NOT have fewer than 1"},
		{"no CreatedAt", func(f *types.AwsSecurityFinding) { f.CreatedAt = nil }, "'CreatedAt'"},
		{"no UpdatedAt", func(f *types.AwsSecurityFinding) { f.UpdatedAt = nil }, "'UpdatedAt'"},
		{"no Severity", func(f *types.AwsSecurityFinding) { f.Severity = nil }, "'Severity'"},
		{"no Title", func(f *types.AwsSecurityFinding) { f.Title = nil }, "'Title'"},
		{"an empty Title", func(f *types.AwsSecurityFinding) { f.Title = aws.String("") }, "Title should NOT be shorter"},
		{"no Description", func(f *types.AwsSecurityFinding) { f.Description = nil }, "'Description'"},
		{"no Resources", func(f *types.AwsSecurityFinding) { f.Resources = nil }, "'Resources'"},
		{"a resource without Id", func(f *types.AwsSecurityFinding) { f.Resources = []types.Resource{{Type: aws.String("AwsEcsTask")}} }, "Resources[0]"},
		{"another schema version", func(f *types.AwsSecurityFinding) { f.SchemaVersion = aws.String("2020-01-01") }, "SchemaVersion"},
		{"a time that is not ISO 8601", func(f *types.AwsSecurityFinding) { f.UpdatedAt = aws.String("yesterday") }, "date-time"},
		{"a type with an unknown namespace", func(f *types.AwsSecurityFinding) { f.Types = []string{"Compliance/ECS"} }, "valid namespace"},
		{"a severity without label or score", func(f *types.AwsSecurityFinding) { f.Severity = &types.Severity{} }, "Label"},
		{"a severity label ASFF does not have", func(f *types.AwsSecurityFinding) { f.Severity = &types.Severity{Label: "SEVERE"} }, "Label"},
		{"a title over 256 characters", func(f *types.AwsSecurityFinding) { f.Title = aws.String(strings.Repeat("t", 257)) }, "Title"},
		{"an account ID that is not 12 digits", func(f *types.AwsSecurityFinding) { f.AwsAccountId = aws.String("1234") }, "AwsAccountId"},
		{"a product ARN that is not Security Hub's", func(f *types.AwsSecurityFinding) { f.ProductArn = aws.String("arn:aws:sns:us-east-1:1:x") }, "ProductArn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAccount(t)
			bad := finding("bad")
			tc.change(&bad)
			out, err := a.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{finding("good"), bad}})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToInt32(out.SuccessCount) != 1 || aws.ToInt32(out.FailedCount) != 1 || len(out.FailedFindings) != 1 {
				t.Fatalf("output %+v", out)
			}
			f := out.FailedFindings[0]
			if aws.ToString(f.ErrorCode) != "InvalidInput" || !strings.Contains(aws.ToString(f.ErrorMessage), tc.want) ||
				!strings.HasPrefix(aws.ToString(f.ErrorMessage), "Finding does not adhere to Amazon Security Finding Format.") {
				t.Fatalf("failed finding %s: %s", aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage))
			}
			if got := a.Findings(); len(got) != 1 || aws.ToString(got[0].Id) != "good" {
				t.Fatalf("stored %d findings", len(got))
			}
		})
	}
}

func TestBatchImportFindingsBatchSize(t *testing.T) {
	cases := []struct {
		name string
		n    int
	}{{"an empty batch", 0}, {"more than 100 findings", 101}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := make([]types.AwsSecurityFinding, tc.n)
			for i := range fs {
				fs[i] = finding("f")
			}
			_, err := newAccount(t).BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: fs})
			wantAPIError(t, err, "InvalidInputException", "between 1 and 100")
		})
	}
}
