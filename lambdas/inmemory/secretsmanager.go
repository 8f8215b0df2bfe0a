package inmemory

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

const serviceSecretsManager = "Secrets Manager"

// secret is one Secrets Manager secret (its AWSCURRENT version only).
type secret struct {
	name, arn, value, version string
	created                   time.Time
}

// PutSecret creates the secret name with value, or gives it a new current
// version, and returns its ARN (with the random suffix Secrets Manager adds).
func (a *Account) PutSecret(name, value string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.secrets == nil {
		a.secrets = map[string]*secret{}
	}
	s, ok := a.secrets[name]
	if !ok {
		s = &secret{name: name, arn: arn.ARN{Partition: a.partition, Service: "secretsmanager", Region: a.region, AccountID: a.account,
			Resource: fmt.Sprintf("secret:%s-%06d", name, len(a.secrets)+1)}.String()}
		a.secrets[name] = s
	}
	s.value, s.created = value, a.clock()
	s.version = fmt.Sprintf("00000000-0000-4000-8000-%012d", a.secretVersions+1)
	a.secretVersions++
	return s.arn
}

// GetSecretValue returns the current version of a secret named by its name
// or ARN; an unknown one is a ResourceNotFoundException, as in Secrets
// Manager.
func (a *Account) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	const op = "GetSecretValue"
	if in == nil || in.SecretId == nil {
		return nil, paramsError(serviceSecretsManager, op, "GetSecretValueInput", "SecretId")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	id := aws.ToString(in.SecretId)
	if err := a.begin(ctx, serviceSecretsManager, op, id); err != nil {
		return nil, err
	}
	for _, s := range a.secrets {
		if s.name == id || s.arn == id {
			return &secretsmanager.GetSecretValueOutput{
				ARN: aws.String(s.arn), Name: aws.String(s.name), SecretString: aws.String(s.value),
				VersionId: aws.String(s.version), VersionStages: []string{"AWSCURRENT"}, CreatedDate: aws.Time(s.created),
			}, nil
		}
	}
	return nil, opError(serviceSecretsManager, op, &types.ResourceNotFoundException{
		Message: aws.String("Secrets Manager can't find the specified secret."),
	})
}
