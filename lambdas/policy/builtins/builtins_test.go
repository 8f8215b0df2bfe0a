package builtins_test

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins"
)

func TestParseImage(t *testing.T) {
	const digest = "sha256:4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f"
	tests := []struct {
		name string
		ref  string
		want builtins.Image
	}{
		{
			name: "a bare name is a Docker Hub official image without tag",
			ref:  "nginx",
			want: builtins.Image{Valid: true, Registry: "docker.io", RegistryID: "docker.io", Repository: "library/nginx", Name: "nginx", Normalized: "docker.io/library/nginx"},
		},
		{
			name: "a tag is kept; latest is not added",
			ref:  "nginx:1.25",
			want: builtins.Image{Valid: true, Registry: "docker.io", RegistryID: "docker.io", Repository: "library/nginx", Name: "nginx", Tag: "1.25", Normalized: "docker.io/library/nginx:1.25"},
		},
		{
			name: "the legacy Docker Hub host normalizes to docker.io",
			ref:  "index.docker.io/acme/app:2",
			want: builtins.Image{Valid: true, Registry: "docker.io", RegistryID: "docker.io", Repository: "acme/app", Name: "index.docker.io/acme/app", Tag: "2", Normalized: "docker.io/acme/app:2"},
		},
		{
			name: "an ECR image with tag and digest",
			ref:  "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2@" + digest,
			want: builtins.Image{
				Valid: true, Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", RegistryID: "123456789012.dkr.ecr.us-east-1.amazonaws.com",
				Repository: "web", Name: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web", Tag: "1.4.2", Digest: digest,
				Normalized: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2@" + digest,
			},
		},
		{
			name: "a host that merely starts with the ECR host is another registry",
			ref:  "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io/x",
			want: builtins.Image{
				Valid: true, Registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io", RegistryID: "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io",
				Repository: "x", Name: "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io/x",
				Normalized: "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io/x",
			},
		},
		{
			name: "the port is part of the registry",
			ref:  "registry.internal:5000/team/app@" + digest,
			want: builtins.Image{
				Valid: true, Registry: "registry.internal:5000", RegistryID: "registry.internal:5000", Repository: "team/app",
				Name: "registry.internal:5000/team/app", Digest: digest,
				Normalized: "registry.internal:5000/team/app@" + digest,
			},
		},
		{
			name: "an upper-case repository is invalid, and the message names it",
			ref:  "Nginx",
			want: builtins.Image{Error: `the repository "Nginx" must be lower case`},
		},
		{
			name: "a digest of the wrong length is invalid",
			ref:  "nginx@sha256:" + digest[len("sha256:"):len("sha256:")+40],
			want: builtins.Image{Error: `the digest "sha256:4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f" is invalid (sha256 takes 64 hex characters, not 40)`},
		},
		{
			name: "a malformed digest is invalid",
			ref:  "nginx@sha256:abc",
			want: builtins.Image{Error: `the digest "sha256:abc" is invalid (sha256 takes 64 hex characters, not 3)`},
		},
		{
			name: "an empty reference is invalid",
			ref:  "",
			want: builtins.Image{Error: "the image reference is empty"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := builtins.ParseImage(tt.ref); got != tt.want {
				t.Errorf("ParseImage(%q) =\n%+v, want\n%+v", tt.ref, got, tt.want)
			}
		})
	}
}

func TestRegisterIsIdempotent(t *testing.T) {
	builtins.Register()
	builtins.Register()
	rs, err := rego.New(rego.Query(`x := image.parse("busybox").repository`)).Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Bindings["x"] != "library/busybox" {
		t.Fatalf("got %v", rs)
	}
}
