// Package secret reads the approval links' signing secret from AWS Secrets
// Manager (GetSecretValue) and keeps the derived approval.Key for a while, so
// that a warm Lambda does not call Secrets Manager on every invocation.
package secret

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

// API is the Secrets Manager call a Source makes.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// DefaultTTL is how long a Source keeps the key: a rotated secret (which
// revokes every link signed with the old one) takes effect within it.
const DefaultTTL = 5 * time.Minute

// Source reads the secret SecretID (a name or ARN) and derives the key.
// Safe for concurrent use.
type Source struct {
	API      API
	SecretID string
	// TTL is how long the key is kept (0: DefaultTTL).
	TTL time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	mu      sync.Mutex
	key     approval.Key
	fetched time.Time
	ok      bool
}

// Key returns the signing key, reading the secret when none is kept or the
// kept one is older than the TTL. The secret is the SecretString (or the
// SecretBinary) of the AWSCURRENT version.
func (s *Source) Key(ctx context.Context) (approval.Key, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ok && now().Sub(s.fetched) < ttl {
		return s.key, nil
	}
	if s.API == nil || s.SecretID == "" {
		return approval.Key{}, step.Errorf(contract.ErrFailed, "approval secret: Secrets Manager client or secret id not configured")
	}
	out, err := s.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.SecretID)})
	if err != nil {
		return approval.Key{}, step.AWSError("GetSecretValue "+s.SecretID, err)
	}
	raw := []byte(aws.ToString(out.SecretString))
	if out.SecretString == nil {
		raw = out.SecretBinary
	}
	k, err := approval.NewKey(raw)
	if err != nil {
		return approval.Key{}, step.Errorf(contract.ErrFailed, "secret %s: %v", s.SecretID, err)
	}
	s.key, s.fetched, s.ok = k, now(), true
	return k, nil
}
