package inmemory

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

type findingRecord = types.AwsSecurityFinding

// Security Hub limits.
const (
	maxFindingsPerBatch = 100
	maxTitle            = 256
	maxDescription      = 1024
	maxFindingID        = 512
	maxResources        = 32
)

// typeNamespaces are the namespaces a finding type may start with.
var typeNamespaces = map[string]bool{
	"Software and Configuration Checks": true,
	"TTPs":                              true,
	"Effects":                           true,
	"Unusual Behaviors":                 true,
	"Sensitive Data Identifications":    true,
}

var severityLabels = map[types.SeverityLabel]bool{
	types.SeverityLabelInformational: true, types.SeverityLabelLow: true, types.SeverityLabelMedium: true,
	types.SeverityLabelHigh: true, types.SeverityLabelCritical: true,
}

// BatchImportFindings imports up to 100 ASFF findings. A finding is keyed by
// Id and ProductArn: importing it again updates it in place. A finding that
// lacks a required ASFF field (SchemaVersion, Id, ProductArn, GeneratorId,
// AwsAccountId, Types, CreatedAt, UpdatedAt, Severity, Title, Description,
// Resources) or breaks the format comes back in FailedFindings (ErrorCode
// InvalidInput) and is not stored; the others are.
func (a *Account) BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	const op = "BatchImportFindings"
	if in == nil || in.Findings == nil {
		return nil, paramsError(serviceSecurityHub, op, "BatchImportFindingsInput", "Findings")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := make([]string, 0, len(in.Findings))
	for _, f := range in.Findings {
		ids = append(ids, aws.ToString(f.ProductArn)+"|"+aws.ToString(f.Id))
	}
	sort.Strings(ids)
	if err := a.begin(ctx, serviceSecurityHub, op, strings.Join(ids, ",")); err != nil {
		return nil, err
	}
	if len(in.Findings) == 0 || len(in.Findings) > maxFindingsPerBatch {
		return nil, opError(serviceSecurityHub, op, &types.InvalidInputException{
			Message: aws.String(fmt.Sprintf("Findings must contain between 1 and %d items; it has %d", maxFindingsPerBatch, len(in.Findings))),
			Code:    aws.String("InvalidInputException"),
		})
	}
	out := &securityhub.BatchImportFindingsOutput{FailedFindings: []types.ImportFindingsError{}}
	success := int32(0)
	for _, f := range in.Findings {
		if msg := checkFinding(f); msg != "" {
			out.FailedFindings = append(out.FailedFindings, types.ImportFindingsError{
				Id:           aws.String(aws.ToString(f.Id)),
				ErrorCode:    aws.String("InvalidInput"),
				ErrorMessage: aws.String("Finding does not adhere to Amazon Security Finding Format. " + msg),
			})
			continue
		}
		success++
		a.imports = append(a.imports, f)
		replaced := false
		for i := range a.findings {
			if aws.ToString(a.findings[i].Id) == *f.Id && aws.ToString(a.findings[i].ProductArn) == *f.ProductArn {
				a.findings[i] = f
				replaced = true
				break
			}
		}
		if !replaced {
			a.findings = append(a.findings, f)
		}
	}
	out.SuccessCount = aws.Int32(success)
	out.FailedCount = aws.Int32(int32(len(out.FailedFindings)))
	return out, nil
}

// checkFinding returns what is wrong with f in ASFF terms, or "".
func checkFinding(f types.AwsSecurityFinding) string {
	required := []struct {
		name string
		v    *string
	}{
		{"SchemaVersion", f.SchemaVersion}, {"Id", f.Id}, {"ProductArn", f.ProductArn},
		{"GeneratorId", f.GeneratorId}, {"AwsAccountId", f.AwsAccountId}, {"CreatedAt", f.CreatedAt},
		{"UpdatedAt", f.UpdatedAt}, {"Title", f.Title}, {"Description", f.Description},
	}
	for _, r := range required {
		if r.v == nil {
			return "data should have required property '" + r.name + "'"
		}
		if *r.v == "" {
			return "data." + r.name + " should NOT be shorter than 1 characters"
		}
	}
	if len(f.Types) == 0 {
		if f.Types == nil {
			return "data should have required property 'Types'"
		}
		return "data.Types should NOT have fewer than 1 items"
	}
	if f.Severity == nil {
		return "data should have required property 'Severity'"
	}
	if len(f.Resources) == 0 {
		if f.Resources == nil {
			return "data should have required property 'Resources'"
		}
		return "data.Resources should NOT have fewer than 1 items"
	}
	switch {
	case *f.SchemaVersion != "2018-10-08":
		return fmt.Sprintf("data.SchemaVersion %q should be equal to one of the allowed values: 2018-10-08", *f.SchemaVersion)
	case len(*f.Id) > maxFindingID:
		return fmt.Sprintf("data.Id should NOT be longer than %d characters", maxFindingID)
	case len(*f.Title) > maxTitle:
		return fmt.Sprintf("data.Title should NOT be longer than %d characters", maxTitle)
	case len(*f.Description) > maxDescription:
		return fmt.Sprintf("data.Description should NOT be longer than %d characters", maxDescription)
	case !isAccountID(*f.AwsAccountId):
		return fmt.Sprintf("data.AwsAccountId %q should match pattern ^[0-9]{12}$", *f.AwsAccountId)
	case len(f.Resources) > maxResources:
		return fmt.Sprintf("data.Resources should NOT have more than %d items", maxResources)
	}
	if p, err := arn.Parse(*f.ProductArn); err != nil || p.Service != "securityhub" || !strings.HasPrefix(p.Resource, "product/") {
		return fmt.Sprintf("data.ProductArn %q is not a Security Hub product ARN", *f.ProductArn)
	}
	for _, ts := range []struct{ name, v string }{{"CreatedAt", *f.CreatedAt}, {"UpdatedAt", *f.UpdatedAt}} {
		if _, err := time.Parse(time.RFC3339Nano, ts.v); err != nil {
			return fmt.Sprintf("data.%s %q should match format \"date-time\"", ts.name, ts.v)
		}
	}
	for i, t := range f.Types {
		parts := strings.Split(t, "/")
		if len(parts) > 3 || !typeNamespaces[parts[0]] {
			return fmt.Sprintf("data.Types[%d] %q should be namespace/category/classifier with a valid namespace", i, t)
		}
	}
	sev := f.Severity
	switch {
	case sev.Label == "" && sev.Normalized == nil:
		return "data.Severity should have required property 'Label'"
	case sev.Label != "" && !severityLabels[sev.Label]:
		return fmt.Sprintf("data.Severity.Label %q should be equal to one of the allowed values", sev.Label)
	case sev.Normalized != nil && (*sev.Normalized < 0 || *sev.Normalized > 100):
		return "data.Severity.Normalized should be between 0 and 100"
	}
	for i, r := range f.Resources {
		if aws.ToString(r.Type) == "" {
			return fmt.Sprintf("data.Resources[%d] should have required property 'Type'", i)
		}
		if aws.ToString(r.Id) == "" {
			return fmt.Sprintf("data.Resources[%d] should have required property 'Id'", i)
		}
	}
	return ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Findings are the findings Security Hub holds: one per Id and ProductArn,
// the latest import of each, in the order first imported.
func (a *Account) Findings() []types.AwsSecurityFinding {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]types.AwsSecurityFinding{}, a.findings...)
}

// FindingsSince are the findings imported after m, in order (a resend
// appears again: it is an import).
func (a *Account) FindingsSince(m Mark) []types.AwsSecurityFinding {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]types.AwsSecurityFinding{}, a.imports[min(m.imports, len(a.imports)):]...)
}
