package secret_test

import (
	"context"
	"testing"
	"time"

	"github.com/ecs-compliance/ecs-compliance/lambdas/approval"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/approvaltest"
	"github.com/ecs-compliance/ecs-compliance/lambdas/approval/secret"
	"github.com/ecs-compliance/ecs-compliance/lambdas/contract"
	"github.com/ecs-compliance/ecs-compliance/lambdas/step"
)

func TestKeyIsReadOnceAndKeptForTheTTL(t *testing.T) {
	fake := approvaltest.New(t)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	s := &secret.Source{API: fake.SecretsManager(), SecretID: approvaltest.SecretID, TTL: time.Minute, Now: func() time.Time { return now }}
	ctx := context.Background()
	k1, err := s.Key(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := approval.NewKey([]byte(approvaltest.SecretVal))
	if k1.Sign("AAAAAAAAAAAAAAAAAAAA", "approve", 1) != want.Sign("AAAAAAAAAAAAAAAAAAAA", "approve", 1) {
		t.Fatal("the key is not derived from the secret's SecretString")
	}
	now = now.Add(59 * time.Second)
	if _, err := s.Key(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls()); n != 1 {
		t.Fatalf("%d GetSecretValue calls within the TTL, want 1", n)
	}
	// A rotated secret is picked up after the TTL.
	fake.SetSecret("a-rotated-secret-of-at-least-32-bytes-long")
	now = now.Add(2 * time.Second)
	k2, err := s.Key(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls()); n != 2 {
		t.Fatalf("%d calls after the TTL, want 2", n)
	}
	if k2.Sign("AAAAAAAAAAAAAAAAAAAA", "approve", 1) == k1.Sign("AAAAAAAAAAAAAAAAAAAA", "approve", 1) {
		t.Error("the rotated secret was not used")
	}
	if c := fake.Calls()[0]; c.Op != "GetSecretValue" || c.Input["SecretId"] != approvaltest.SecretID {
		t.Errorf("call = %+v", c)
	}
}

func TestKeyErrorsAreNamed(t *testing.T) {
	tests := []struct {
		name     string
		secretID string
		status   int
		code     string
		secret   string
		want     string
	}{
		{"an unknown secret is not found", "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope", 0, "", "", contract.ErrNotFound},
		{"access denied is not retried", approvaltest.SecretID, 400, "AccessDeniedException", "", contract.ErrAccessDenied},
		{"throttling is retried", approvaltest.SecretID, 400, "ThrottlingException", "", contract.ErrTransient},
		{"a server error is retried", approvaltest.SecretID, 500, "InternalServiceError", "", contract.ErrTransient},
		{"a secret too short to sign with is a failure", approvaltest.SecretID, 0, "", "short", contract.ErrFailed},
		{"no secret id is a failure", "", 0, "", "", contract.ErrFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := approvaltest.New(t)
			if tt.code != "" {
				fake.FailNext("GetSecretValue", 1, tt.status, tt.code)
			}
			if tt.secret != "" {
				fake.SetSecret(tt.secret)
			}
			s := &secret.Source{API: fake.SecretsManager(), SecretID: tt.secretID}
			_, err := s.Key(context.Background())
			if step.Name(err) != tt.want {
				t.Fatalf("err = %v (%s), want %s", err, step.Name(err), tt.want)
			}
			if tt.code != "" { // a failure is not kept: the next call reads again
				if _, err := s.Key(context.Background()); err != nil {
					t.Fatalf("after the failure: %v", err)
				}
			}
		})
	}
}
