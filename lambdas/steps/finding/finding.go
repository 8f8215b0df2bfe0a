// Package finding is the "Import Security Hub findings" step: it imports the
// ASFF findings of an evaluated task (report.Findings) with
// BatchImportFindings, in batches of at most 100.
package finding

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/report"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// MaxBatch is the most findings BatchImportFindings takes in one call.
const MaxBatch = 100

// SecurityHubAPI is the Security Hub call the step makes.
type SecurityHubAPI interface {
	BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

// Handler imports the findings of the workflow document.
type Handler struct {
	SecurityHub SecurityHubAPI
	// Now is the clock for UpdatedAt (time.Now when nil).
	Now func() time.Time
}

// Handle builds the findings of st and imports them. A finding Security Hub
// rejects (FailedFindings) is a permanent error naming its Id and reason.
func (h *Handler) Handle(ctx context.Context, st contract.State) (contract.FindingsSent, error) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	findings, err := report.Findings(st, now())
	if err != nil {
		return contract.FindingsSent{}, step.Wrap(contract.ErrInvalidInput, err)
	}
	ids := make([]string, 0, len(findings))
	var failed []string
	for start := 0; start < len(findings); start += MaxBatch {
		batch := findings[start:min(start+MaxBatch, len(findings))]
		in := &securityhub.BatchImportFindingsInput{Findings: make([]types.AwsSecurityFinding, len(batch))}
		for i, f := range batch {
			in.Findings[i] = ToSDK(f)
		}
		out, err := h.SecurityHub.BatchImportFindings(ctx, in)
		if err != nil {
			return contract.FindingsSent{}, step.AWSError(fmt.Sprintf("BatchImportFindings (%d findings)", len(batch)), err)
		}
		rejected := map[string]bool{}
		for _, ff := range out.FailedFindings {
			id := aws.ToString(ff.Id)
			rejected[id] = true
			failed = append(failed, fmt.Sprintf("%s: %s %s", id, aws.ToString(ff.ErrorCode), aws.ToString(ff.ErrorMessage)))
		}
		if n := int(aws.ToInt32(out.FailedCount)); n > len(out.FailedFindings) {
			failed = append(failed, fmt.Sprintf("%d more without details", n-len(out.FailedFindings)))
		}
		for _, f := range batch {
			if !rejected[f.ID] {
				ids = append(ids, f.ID)
			}
		}
	}
	if len(failed) > 0 {
		return contract.FindingsSent{}, step.Errorf(contract.ErrFailed, "Security Hub rejected %d of %d findings: %s",
			len(findings)-len(ids), len(findings), strings.Join(failed, "; "))
	}
	return contract.FindingsSent{IDs: ids}, nil
}

// ToSDK converts a finding to the SDK's type, field for field.
func ToSDK(f report.Finding) types.AwsSecurityFinding {
	out := types.AwsSecurityFinding{
		SchemaVersion:     aws.String(f.SchemaVersion),
		Id:                aws.String(f.ID),
		ProductArn:        aws.String(f.ProductArn),
		GeneratorId:       aws.String(f.GeneratorID),
		AwsAccountId:      aws.String(f.AwsAccountID),
		Types:             f.Types,
		FirstObservedAt:   str(f.FirstObservedAt),
		LastObservedAt:    str(f.LastObservedAt),
		CreatedAt:         aws.String(f.CreatedAt),
		UpdatedAt:         aws.String(f.UpdatedAt),
		Severity:          &types.Severity{Label: types.SeverityLabel(f.Severity.Label), Original: str(f.Severity.Original)},
		Title:             aws.String(f.Title),
		Description:       aws.String(f.Description),
		ProductFields:     f.ProductFields,
		UserDefinedFields: f.UserDefinedFields,
		RecordState:       types.RecordState(f.RecordState),
	}
	if r := f.Remediation; r != nil {
		out.Remediation = &types.Remediation{Recommendation: &types.Recommendation{
			Text: str(r.Recommendation.Text), Url: str(r.Recommendation.URL),
		}}
	}
	if c := f.Compliance; c != nil {
		out.Compliance = &types.Compliance{Status: types.ComplianceStatus(c.Status), RelatedRequirements: c.RelatedRequirements}
	}
	if w := f.Workflow; w != nil {
		out.Workflow = &types.Workflow{Status: types.WorkflowStatus(w.Status)}
	}
	if n := f.Note; n != nil {
		out.Note = &types.Note{Text: aws.String(n.Text), UpdatedAt: aws.String(n.UpdatedAt), UpdatedBy: aws.String(n.UpdatedBy)}
	}
	for _, r := range f.Resources {
		out.Resources = append(out.Resources, resource(r))
	}
	return out
}

func resource(r report.Resource) types.Resource {
	out := types.Resource{
		Type:      aws.String(r.Type),
		Id:        aws.String(r.ID),
		Partition: types.Partition(r.Partition),
		Region:    str(r.Region),
		Tags:      r.Tags,
	}
	d := r.Details
	if d == nil {
		return out
	}
	out.Details = &types.ResourceDetails{}
	if t := d.AwsEcsTask; t != nil {
		task := &types.AwsEcsTaskDetails{
			ClusterArn: str(t.ClusterArn), TaskDefinitionArn: str(t.TaskDefinitionArn), Group: str(t.Group),
			StartedBy: str(t.StartedBy), CreatedAt: str(t.CreatedAt), StartedAt: str(t.StartedAt),
		}
		for _, c := range t.Containers {
			task.Containers = append(task.Containers, types.AwsEcsContainerDetails{Name: str(c.Name), Image: str(c.Image), Privileged: c.Privileged})
		}
		out.Details.AwsEcsTask = task
	}
	if t := d.AwsEcsTaskDefinition; t != nil {
		def := &types.AwsEcsTaskDefinitionDetails{
			Family: str(t.Family), Status: str(t.Status), NetworkMode: str(t.NetworkMode), Cpu: str(t.Cpu), Memory: str(t.Memory),
			TaskRoleArn: str(t.TaskRoleArn), ExecutionRoleArn: str(t.ExecutionRoleArn), PidMode: str(t.PidMode), IpcMode: str(t.IpcMode),
			RequiresCompatibilities: t.RequiresCompatibilities,
		}
		for _, c := range t.ContainerDefinitions {
			def.ContainerDefinitions = append(def.ContainerDefinitions, types.AwsEcsTaskDefinitionContainerDefinitionsDetails{
				Name: str(c.Name), Image: str(c.Image), Essential: c.Essential, Privileged: c.Privileged,
				ReadonlyRootFilesystem: c.ReadonlyRootFilesystem, User: str(c.User),
			})
		}
		out.Details.AwsEcsTaskDefinition = def
	}
	if s := d.AwsEcsService; s != nil {
		out.Details.AwsEcsService = &types.AwsEcsServiceDetails{
			Cluster: str(s.Cluster), ServiceName: str(s.ServiceName), ServiceArn: str(s.ServiceArn), DesiredCount: s.DesiredCount,
		}
	}
	return out
}

// str is nil for "" (omitted on the wire, as omitempty omits it in JSON).
func str(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
