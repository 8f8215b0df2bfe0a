// Package loadpolicy is the "Load policy from Parameter Store" step: it reads
// the policy bundle (one parameter per Rego module or data.json under one
// path), checks it, and returns it with each parameter's version and the
// bundle's content hash, which the evaluate step compiles once per value of.
package loadpolicy

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policystore"
)

// Handler is the step.
type Handler struct {
	SSM ssm.GetParametersByPathAPIClient
	// Path is the Parameter Store path of the bundle; bundle.DefaultPath when
	// empty.
	Path string
	// MaxBytes overrides policystore.MaxBundleBytes (tests).
	MaxBytes int
}

// Handle loads the bundle. Errors: Compliance.NotFound when there is no
// parameter under the path, Compliance.PolicyError when the files are not a
// valid bundle or too large, AWS errors named by step.AWSError.
func (h *Handler) Handle(ctx context.Context, _ contract.State) (contract.Evaluation, error) {
	b, err := policystore.Load(ctx, h.SSM, h.Path, h.MaxBytes)
	if err != nil {
		return contract.Evaluation{}, err
	}
	slog.InfoContext(ctx, "policy loaded", "path", b.Path, "hash", b.Hash, "files", len(b.Files))
	return contract.Evaluation{Policy: b}, nil
}
