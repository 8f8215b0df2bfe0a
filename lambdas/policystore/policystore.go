// Package policystore reads the policy bundle from Parameter Store: one
// parameter per Rego module or data.json under one path, with each
// parameter's version and the bundle's content hash. The load-policy step
// returns the whole bundle; the triage's look-up step needs only its hash
// and keeps it for a short while (Cache), so that a busy account costs a
// few GetParametersByPath calls a minute, not one per event.
package policystore

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ecs-compliance/ecs-compliance/lambdas/bundle"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// MaxBundleBytes is the largest bundle (JSON-encoded, as it travels in
// $.evaluation) that Load returns. Step Functions limits the whole state to
// 256 KiB; the event, the task definition and the reports need the rest.
const MaxBundleBytes = 128 << 10

// Load reads the bundle under path (bundle.DefaultPath when empty); maxBytes
// overrides MaxBundleBytes when positive. Errors: Compliance.NotFound when
// there is no parameter under the path, Compliance.PolicyError when the
// files are not a valid bundle or too large, AWS errors named by
// step.AWSError.
func Load(ctx context.Context, api ssm.GetParametersByPathAPIClient, path string, maxBytes int) (contract.Bundle, error) {
	if path == "" {
		path = bundle.DefaultPath
	}
	if !strings.HasPrefix(path, "/") || len(path) < 2 {
		return contract.Bundle{}, step.Errorf(contract.ErrFailed, "load policy: POLICY_PATH %q must be a Parameter Store path such as %s", path, bundle.DefaultPath)
	}
	path = strings.TrimSuffix(path, "/")
	if api == nil {
		return contract.Bundle{}, step.Errorf(contract.ErrFailed, "load policy: no SSM client configured")
	}

	files := map[string]string{}
	versions := map[string]int64{}
	pages := ssm.NewGetParametersByPathPaginator(api, &ssm.GetParametersByPathInput{
		Path:           aws.String(path),
		Recursive:      aws.Bool(true),
		WithDecryption: aws.Bool(true),
		MaxResults:     aws.Int32(10),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return contract.Bundle{}, step.AWSError("GetParametersByPath "+path, err)
		}
		for _, p := range page.Parameters {
			name := aws.ToString(p.Name)
			file, err := bundle.FileName(path, name)
			if err != nil {
				return contract.Bundle{}, step.Errorf(contract.ErrFailed, "load policy: %v", err)
			}
			if _, dup := files[file]; dup {
				return contract.Bundle{}, step.Errorf(contract.ErrFailed, "load policy: parameter %s returned twice", name)
			}
			files[file] = aws.ToString(p.Value)
			versions[name] = p.Version
		}
	}
	if len(files) == 0 {
		return contract.Bundle{}, step.Errorf(contract.ErrNotFound,
			"load policy: no policy parameters under %s (deploy the bundle, or set POLICY_PATH to where it is)", path)
	}
	if err := bundle.Validate(files); err != nil {
		return contract.Bundle{}, step.Errorf(contract.ErrPolicy, "load policy from %s: %v", path, err)
	}

	b := contract.Bundle{Path: path, Hash: bundle.Hash(files), Versions: versions, Files: files}
	limit := maxBytes
	if limit <= 0 {
		limit = MaxBundleBytes
	}
	encoded, err := json.Marshal(b)
	if err != nil {
		return contract.Bundle{}, step.Errorf(contract.ErrFailed, "load policy: encode bundle: %v", err)
	}
	if len(encoded) > limit {
		return contract.Bundle{}, step.Errorf(contract.ErrPolicy,
			"load policy: the bundle under %s is %d bytes as JSON (%d files); the workflow carries it in its state, which Step Functions limits to 256 KiB, so it may be at most %d bytes: remove unused modules or data",
			path, len(encoded), len(files), limit)
	}
	return b, nil
}

// DefaultCacheTTL is how long Cache keeps a bundle's hash: a new policy
// version reaches the triage within this time.
const DefaultCacheTTL = time.Minute

// Cache keeps the hash of the bundle under Path for TTL. Safe for
// concurrent use.
type Cache struct {
	SSM  ssm.GetParametersByPathAPIClient
	Path string
	// TTL is DefaultCacheTTL when zero.
	TTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu     sync.Mutex
	bundle contract.Bundle
	at     time.Time
}

// Bundle returns the bundle without its files (path, hash, versions),
// loading it when the cached one is older than the TTL.
func (c *Cache) Bundle(ctx context.Context) (contract.Bundle, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bundle.Hash != "" && now().Sub(c.at) < ttl {
		return c.bundle, nil
	}
	b, err := Load(ctx, c.SSM, c.Path, 0)
	if err != nil {
		return contract.Bundle{}, err
	}
	b.Files = nil
	c.bundle, c.at = b, now()
	return b, nil
}
