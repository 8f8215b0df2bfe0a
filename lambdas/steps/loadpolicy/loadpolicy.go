// Package loadpolicy is the "Load policy from Parameter Store" step: it reads
// the policy bundle (one parameter per Rego module or data.json under one
// path), checks it, and returns it with each parameter's version and the
// bundle's content hash, which the evaluate step compiles once per value of.
package loadpolicy

import (
	"context"
	"encoding/json"

	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// MaxBundleBytes is the largest bundle (JSON-encoded, as it travels in
// $.evaluation) the step returns. Step Functions limits the whole state to
// 256 KiB; the event, the task definition and the reports need the rest.
const MaxBundleBytes = 128 << 10

// Handler is the step.
type Handler struct {
	SSM ssm.GetParametersByPathAPIClient
	// Path is the Parameter Store path of the bundle; bundle.DefaultPath when
	// empty.
	Path string
	// MaxBytes overrides MaxBundleBytes (tests).
	MaxBytes int
}

// Handle loads the bundle. Errors: Compliance.NotFound when there is no
// parameter under the path, Compliance.PolicyError when the files are not a
// valid bundle or too large, AWS errors named by step.AWSError.
func (h *Handler) Handle(ctx context.Context, _ contract.State) (contract.Evaluation, error) {
	path := h.Path
	if path == "" {
		path = bundle.DefaultPath
	}
	if !strings.HasPrefix(path, "/") || len(path) < 2 {
		return contract.Evaluation{}, step.Errorf(contract.ErrFailed, "load policy: POLICY_PATH %q must be a Parameter Store path such as %s", path, bundle.DefaultPath)
	}
	path = strings.TrimSuffix(path, "/")
	if h.SSM == nil {
		return contract.Evaluation{}, step.Errorf(contract.ErrFailed, "load policy: no SSM client configured")
	}

	files := map[string]string{}
	versions := map[string]int64{}
	pages := ssm.NewGetParametersByPathPaginator(h.SSM, &ssm.GetParametersByPathInput{
		Path:           aws.String(path),
		Recursive:      aws.Bool(true),
		WithDecryption: aws.Bool(true),
		MaxResults:     aws.Int32(10),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return contract.Evaluation{}, step.AWSError("GetParametersByPath "+path, err)
		}
		for _, p := range page.Parameters {
			name := aws.ToString(p.Name)
			file, err := bundle.FileName(path, name)
			if err != nil {
				return contract.Evaluation{}, step.Errorf(contract.ErrFailed, "load policy: %v", err)
			}
			if _, dup := files[file]; dup {
				return contract.Evaluation{}, step.Errorf(contract.ErrFailed, "load policy: parameter %s returned twice", name)
			}
			files[file] = aws.ToString(p.Value)
			versions[name] = p.Version
		}
	}
	if len(files) == 0 {
		return contract.Evaluation{}, step.Errorf(contract.ErrNotFound,
			"load policy: no policy parameters under %s (deploy the bundle, or set POLICY_PATH to where it is)", path)
	}
	if err := bundle.Validate(files); err != nil {
		return contract.Evaluation{}, step.Errorf(contract.ErrPolicy, "load policy from %s: %v", path, err)
	}

	b := contract.Bundle{Path: path, Hash: bundle.Hash(files), Versions: versions, Files: files}
	limit := h.MaxBytes
	if limit <= 0 {
		limit = MaxBundleBytes
	}
	encoded, err := json.Marshal(b)
	if err != nil {
		return contract.Evaluation{}, step.Errorf(contract.ErrFailed, "load policy: encode bundle: %v", err)
	}
	if len(encoded) > limit {
		return contract.Evaluation{}, step.Errorf(contract.ErrPolicy,
			"load policy: the bundle under %s is %d bytes as JSON (%d files); the workflow carries it in its state, which Step Functions limits to 256 KiB, so it may be at most %d bytes: remove unused modules or data",
			path, len(encoded), len(files), limit)
	}
	slog.InfoContext(ctx, "policy loaded", "path", path, "hash", b.Hash, "files", len(files), "bytes", len(encoded))
	return contract.Evaluation{Policy: b}, nil
}
