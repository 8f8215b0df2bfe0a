package builtins_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins"
)

const account = "123456789012"

// TestInvalidReferencesSayWhichPartIsInvalid: the message names the part a
// person has to fix.
func TestInvalidReferencesSayWhichPartIsInvalid(t *testing.T) {
	tests := []struct{ name, ref, want string }{
		{"upper-case repository on a registry", "ghcr.io/Acme/web:1", `the repository "Acme/web" must be lower case`},
		{"invalid tag", "nginx:-1", `the tag "-1" is invalid`},
		{"tag too long", "nginx:" + strings.Repeat("a", 129), `the tag "aaaa`},
		{"invalid registry host", "registry_internal.io/web:1", `the registry host "registry_internal.io" is invalid`},
		{"bad path component", "ghcr.io/acme/-web:1", `the repository path component "-web" is invalid`},
		{"uppercase digest hex", "nginx@sha256:" + strings.Repeat("A", 64), `the digest "sha256:AAAA`},
		{"not a digest", "nginx@latest", `the digest "latest" is invalid`},
		{"whitespace", "nginx :1", "the image reference contains whitespace"},
		{"empty name", ":1", "the repository name is empty"},
		{"a 64-hex name", strings.Repeat("a", 64), "cannot specify 64-byte hexadecimal strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := builtins.ParseImage(tt.ref)
			if img.Valid || !strings.Contains(img.Error, tt.want) {
				t.Errorf("ParseImage(%q) = %+v, want an error containing %q", tt.ref, img, tt.want)
			}
		})
	}
}

func TestImageNameKeepsTheHostAsWritten(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"nginx", "nginx"},
		{"nginx:latest", "nginx"},
		{"docker.io/library/nginx:1.25@sha256:" + strings.Repeat("4f", 32), "docker.io/library/nginx"},
		{"registry.internal:5000/team/app", "registry.internal:5000/team/app"},
		{"[::1]:5000/app:2", "[::1]:5000/app"},
		{account + ".dkr.ecr.us-east-1.amazonaws.com/web-migrate:latest", account + ".dkr.ecr.us-east-1.amazonaws.com/web-migrate"},
	}
	for _, tt := range tests {
		if got := builtins.ParseImage(tt.ref).Name; got != tt.want {
			t.Errorf("ParseImage(%q).Name = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestEntropy(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want float64
	}{
		{"empty", "", 0},
		{"one symbol", "aaaaaaaa", 0},
		{"two symbols, equally often", "abababab", 1},
		{"sixteen hex digits once each", "0123456789abcdef", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := builtins.Entropy(tt.s); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Entropy(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

// TestBuiltinsInRego calls the built-ins through OPA, as policies do.
func TestBuiltinsInRego(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  any // nil: undefined
	}{
		{"image.parse returns the registry", `x := image.parse("nginx:1.25").registry`, "docker.io"},
		{"image.parse reports validity", `x := image.parse("Nginx").valid`, false},
		{"image.parse compares hosts exactly", `x := image.parse("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io/x").registry == "123456789012.dkr.ecr.us-east-1.amazonaws.com"`, false},
		{"a non-string argument leaves image.parse undefined", `x := image.parse(input.n)`, nil},
		{"image.registry returns the identity", `x := image.registry("123456789012.dkr-ecr-fips.us-east-1.on.aws/team").registry_id`, account + ".dkr.ecr.us-east-1.amazonaws.com"},
		{"image.registry returns the path", `x := image.registry("ghcr.io/acme").path`, "acme"},
		{"image.registry reports invalid entries", `x := image.registry("registry").valid`, false},
		{"image.parse identity matches the entry's", `x := image.parse("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/web:1").registry_id == image.registry("123456789012.dkr.ecr.us-east-1.amazonaws.com").registry_id`, true},
		{"secret.entropy", `x := secret.entropy("abababab")`, "1"},
		{"a non-string entry leaves image.registry undefined", `x := image.registry(input.n)`, nil},
		{"a non-string leaves secret.entropy undefined", `x := secret.entropy(input.n)`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]func(*rego.Rego){rego.Query(tt.query), rego.Input(map[string]any{"n": 7})}, builtins.Options()...)
			rs, err := rego.New(opts...).Eval(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if len(rs) != 0 {
					t.Fatalf("got %v, want undefined", rs)
				}
				return
			}
			if len(rs) != 1 {
				t.Fatalf("got %v, want x = %v", rs, tt.want)
			}
			got := rs[0].Bindings["x"]
			if n, ok := got.(interface{ String() string }); ok {
				got = n.String()
			}
			if got != tt.want {
				t.Fatalf("got x = %v (%T), want %v", got, got, tt.want)
			}
		})
	}
}
