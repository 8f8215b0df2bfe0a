package builtins_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins"
)

// Fake credentials in the formats detect-secrets' plugins look for (none is
// a real one: EXAMPLE spelled into each).
const (
	jwtExample = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

func TestScanSecretsFindsEachFormat(t *testing.T) {
	tests := []struct {
		name, value string
		want        []builtins.Credential
	}{
		{"AWS access key ID", "AKIAIOSFODNN7EXAMPLE", []builtins.Credential{{"an AWS access key ID", "AKIA... 20 characters"}}},
		{"AWS temporary key ID inside a value", "id=ASIAIOSFODNN7EXAMPLE;region=us-east-1", []builtins.Credential{{"an AWS access key ID", "ASIA... 20 characters"}}},
		{"GitHub classic token", "ghp_EXAMPLE0example0EXAMPLE0example0EXAM", []builtins.Credential{{"a GitHub token", "ghp_... 40 characters"}}},
		{"GitHub fine-grained token", "github_pat_11EXAMPLE0example0EXAM_EXAMPLEexampleEXAMPLEexampleEXAMPLEexampleEXAMPLEexampleEXA",
			[]builtins.Credential{{"a GitHub token", "gith... 93 characters"}}},
		{"GitLab personal token", "glpat-EXAMPLEexample000000", []builtins.Credential{{"a GitLab token", "glpa... 26 characters"}}},
		{"GitLab runner registration token", "GR1348941EXAMPLEexample000000", []builtins.Credential{{"a GitLab token", "GR13... 29 characters"}}},
		{"Slack bot token", "xoxb-000000000000-0000000000000-EXAMPLEexampleEXAMPLEex", []builtins.Credential{{"a Slack token", "xoxb... 55 characters"}}},
		{"Slack webhook", "https://hooks.slack.com/services/T00000000/B00000000/EXAMPLEexampleEXAMPLEexa",
			[]builtins.Credential{{"a Slack webhook URL", "http... 77 characters"}}},
		{"Stripe live secret key", "sk_live_EXAMPLEexample0000000000", []builtins.Credential{{"a Stripe live key", "sk_l... 32 characters"}}},
		{"Stripe restricted key", "rk_live_EXAMPLEexample0000000000", []builtins.Credential{{"a Stripe live key", "rk_l... 32 characters"}}},
		{"JSON Web Token after a scheme", "Bearer " + jwtExample, []builtins.Credential{{"a JSON Web Token", "eyJh... 155 characters"}}},
		{"credentials in a URL", "postgres://app:Tr0ub4dor-3@db.internal:5432/app",
			[]builtins.Credential{{"credentials in a URL", "postgres://<credentials>@db.internal:5432"}}},
		{"RSA private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
			[]builtins.Credential{{"a private key", "BEGIN RSA PRIVATE KEY header"}}},
		{"PKCS#8 private key", "-----BEGIN PRIVATE KEY-----\nMIIE", []builtins.Credential{{"a private key", "BEGIN PRIVATE KEY header"}}},
		{"EC private key", "-----BEGIN EC PRIVATE KEY-----", []builtins.Credential{{"a private key", "BEGIN EC PRIVATE KEY header"}}},
		{"OpenSSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----", []builtins.Credential{{"a private key", "BEGIN OPENSSH PRIVATE KEY header"}}},
		{"SSH2 private key", "---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", []builtins.Credential{{"a private key", "BEGIN SSH2 ENCRYPTED PRIVATE KEY header"}}},
		{"PGP private key", "-----BEGIN PGP PRIVATE KEY BLOCK-----", []builtins.Credential{{"a private key", "BEGIN PGP PRIVATE KEY BLOCK header"}}},
		{"PuTTY private key", "PuTTY-User-Key-File-3: ssh-ed25519", []builtins.Credential{{"a private key", "PuTTY-User-Key-File-3 header"}}},
		{"two kinds in one value, ordered by kind", "AKIAIOSFODNN7EXAMPLE https://u:s3cr3t-EXAMPLE@h.example",
			[]builtins.Credential{{"an AWS access key ID", "AKIA... 20 characters"}, {"credentials in a URL", "https://<credentials>@h.example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := builtins.ScanSecrets(tt.value)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ScanSecrets(%q) =\n%+v, want\n%+v", tt.value, got, tt.want)
			}
			for _, c := range got {
				if len(tt.value) > 8 && strings.Contains(c.Redacted, tt.value) {
					t.Errorf("the redacted form %q holds the value", c.Redacted)
				}
			}
		})
	}
}

// TestScanSecretsIgnoresNearMisses: strings shaped like a credential that
// are not one.
func TestScanSecretsIgnoresNearMisses(t *testing.T) {
	for _, value := range []string{
		"",
		"8080",
		"akiaiosfodnn7example",                  // lower case
		"XAKIAIOSFODNN7EXAMPLE",                 // inside a word
		"AKIA1234",                              // too short
		"ghp_short",                             // a prefix without a token
		"sk_test_EXAMPLEexample0000000000",      // Stripe test mode
		"xoxb-",                                 // a prefix without a token
		"eyJub3QiOiJhIHRva2VuIn0.bm90LWpzb24.x", // payload does not decode to JSON
		"eyJhbGciOiJub25lIn0",                   // one segment
		"-----BEGIN PUBLIC KEY-----\nMFkw",      // a public key
		"-----BEGIN CERTIFICATE-----\nMIID",     // a certificate
		"https://api.example.com/v1/items",      // a URL without credentials
		"postgres://${DB_USER}:${DB_PASSWORD}@db.internal:5432/app", // a template
		"postgres://user:password@localhost/db",                     // the documentation placeholder
		"redis://:****@cache:6379",                                  // a mask
		"user@example.com",                                          // an e-mail address
		"3f2c1b0a-9e8d-4c7b-a6f5-e4d3c2b1a098",                      // a UUID
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",                  // a commit hash
	} {
		if got := builtins.ScanSecrets(value); len(got) != 0 {
			t.Errorf("ScanSecrets(%q) = %+v, want nothing", value, got)
		}
	}
}

func TestSecretScanInRego(t *testing.T) {
	opts := append([]func(*rego.Rego){
		rego.Query(`x := secret.scan("token ghp_EXAMPLE0example0EXAMPLE0example0EXAM")[0].kind; y := count(secret.scan("8080"))`),
	}, builtins.Options()...)
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Bindings["x"] != "a GitHub token" || rs[0].Bindings["y"].(interface{ String() string }).String() != "0" {
		t.Fatalf("got %v", rs)
	}
}

func BenchmarkScanSecrets(b *testing.B) {
	values := []string{"8080", "/ecs/web", "true", "0123456789abcdef0123456789abcdef", "https://api.example.com/v1", "AKIAIOSFODNN7EXAMPLE"}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range values {
			builtins.ScanSecrets(v)
		}
	}
}
