package registry_test

import (
	"strings"
	"testing"

	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins"
	"github.com/ecs-compliance/ecs-compliance/lambdas/policy/builtins/registry"
)

const account = "123456789012"

// TestECREndpointFormsAreOneRegistry pins every endpoint form AWS documents
// for Docker and OCI clients of a private ECR registry (AWS General
// Reference, "Amazon ECR endpoints and quotas"; Amazon ECR User Guide,
// "Making requests to Amazon ECR registries" / dual-stack): each is the
// same registry as the IPv4 endpoint of its account, region and partition.
func TestECREndpointFormsAreOneRegistry(t *testing.T) {
	tests := []struct {
		name string
		host string
		want registry.ECR
		id   string
	}{
		{"IPv4", account + ".dkr.ecr.us-east-1.amazonaws.com",
			registry.ECR{Account: account, Region: "us-east-1", Partition: "aws"}, account + ".dkr.ecr.us-east-1.amazonaws.com"},
		{"IPv4 FIPS", account + ".dkr.ecr-fips.us-east-1.amazonaws.com",
			registry.ECR{Account: account, Region: "us-east-1", Partition: "aws", FIPS: true}, account + ".dkr.ecr.us-east-1.amazonaws.com"},
		{"dual-stack", account + ".dkr-ecr.us-east-1.on.aws",
			registry.ECR{Account: account, Region: "us-east-1", Partition: "aws", DualStack: true}, account + ".dkr.ecr.us-east-1.amazonaws.com"},
		{"dual-stack FIPS", account + ".dkr-ecr-fips.us-east-2.on.aws",
			registry.ECR{Account: account, Region: "us-east-2", Partition: "aws", FIPS: true, DualStack: true}, account + ".dkr.ecr.us-east-2.amazonaws.com"},
		{"China IPv4", account + ".dkr.ecr.cn-north-1.amazonaws.com.cn",
			registry.ECR{Account: account, Region: "cn-north-1", Partition: "aws-cn"}, account + ".dkr.ecr.cn-north-1.amazonaws.com.cn"},
		{"China dual-stack", account + ".dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn",
			registry.ECR{Account: account, Region: "cn-northwest-1", Partition: "aws-cn", DualStack: true}, account + ".dkr.ecr.cn-northwest-1.amazonaws.com.cn"},
		{"GovCloud IPv4", account + ".dkr.ecr.us-gov-west-1.amazonaws.com",
			registry.ECR{Account: account, Region: "us-gov-west-1", Partition: "aws-us-gov"}, account + ".dkr.ecr.us-gov-west-1.amazonaws.com"},
		{"GovCloud FIPS", account + ".dkr.ecr-fips.us-gov-east-1.amazonaws.com",
			registry.ECR{Account: account, Region: "us-gov-east-1", Partition: "aws-us-gov", FIPS: true}, account + ".dkr.ecr.us-gov-east-1.amazonaws.com"},
		{"GovCloud dual-stack FIPS", account + ".dkr-ecr-fips.us-gov-west-1.on.aws",
			registry.ECR{Account: account, Region: "us-gov-west-1", Partition: "aws-us-gov", FIPS: true, DualStack: true}, account + ".dkr.ecr.us-gov-west-1.amazonaws.com"},
		{"European Sovereign Cloud", account + ".dkr.ecr.eusc-de-east-1.amazonaws.eu",
			registry.ECR{Account: account, Region: "eusc-de-east-1", Partition: "aws-eusc"}, account + ".dkr.ecr.eusc-de-east-1.amazonaws.eu"},
		{"ISO", account + ".dkr.ecr.us-iso-east-1.c2s.ic.gov",
			registry.ECR{Account: account, Region: "us-iso-east-1", Partition: "aws-iso"}, account + ".dkr.ecr.us-iso-east-1.c2s.ic.gov"},
		{"ISO-B", account + ".dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
			registry.ECR{Account: account, Region: "us-isob-east-1", Partition: "aws-iso-b"}, account + ".dkr.ecr.us-isob-east-1.sc2s.sgov.gov"},
		{"ISO-E", account + ".dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk",
			registry.ECR{Account: account, Region: "eu-isoe-west-1", Partition: "aws-iso-e"}, account + ".dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk"},
		{"ISO-F", account + ".dkr.ecr.us-isof-south-1.csp.hci.ic.gov",
			registry.ECR{Account: account, Region: "us-isof-south-1", Partition: "aws-iso-f"}, account + ".dkr.ecr.us-isof-south-1.csp.hci.ic.gov"},
		{"upper case is the same host", strings.ToUpper(account + ".dkr-ecr-fips.us-east-1.on.aws"),
			registry.ECR{Account: account, Region: "us-east-1", Partition: "aws", FIPS: true, DualStack: true}, account + ".dkr.ecr.us-east-1.amazonaws.com"},
		{"the HTTPS port is the same endpoint", account + ".dkr.ecr.us-east-1.amazonaws.com:443",
			registry.ECR{Account: account, Region: "us-east-1", Partition: "aws"}, account + ".dkr.ecr.us-east-1.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := registry.ParseECRHost(tt.host)
			if !ok || got != tt.want {
				t.Errorf("ParseECRHost(%q) = %+v, %t; want %+v", tt.host, got, ok, tt.want)
			}
			if id := registry.ID(tt.host); id != tt.id {
				t.Errorf("RegistryID(%q) = %q, want %q", tt.host, id, tt.id)
			}
			img := builtins.ParseImage(strings.ToLower(tt.host) + "/team/web:1.4.2")
			if !img.Valid || img.RegistryID != tt.id {
				t.Errorf("image on %s: %+v, want registry_id %q", tt.host, img, tt.id)
			}
		})
	}
}

// TestHostsThatAreNotTheRegistry pins the spoofs and near-misses: none is
// an ECR endpoint, and each keeps an identity of its own.
func TestHostsThatAreNotTheRegistry(t *testing.T) {
	own := account + ".dkr.ecr.us-east-1.amazonaws.com"
	tests := []struct{ name, host string }{
		{"a longer domain that starts with the ECR host", own + ".evil.io"},
		{"a label in front", "x." + own},
		{"another account", "210987654321.dkr.ecr.us-east-1.amazonaws.com"},
		{"another region", account + ".dkr.ecr.eu-west-1.amazonaws.com"},
		{"an 11-digit account", "12345678901.dkr.ecr.us-east-1.amazonaws.com"},
		{"the API endpoint, not the registry", "api.ecr.us-east-1.amazonaws.com"},
		{"a dual-stack label on the IPv4 domain", account + ".dkr-ecr.us-east-1.amazonaws.com"},
		{"an IPv4 label on the dual-stack domain", account + ".dkr.ecr.us-east-1.on.aws"},
		{"a China region on the global domain", account + ".dkr.ecr.cn-north-1.amazonaws.com"},
		{"a global region on the China domain", account + ".dkr.ecr.us-east-1.amazonaws.com.cn"},
		{"another port", own + ":5000"},
		{"ECR Public", "public.ecr.aws"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e, ok := registry.ParseECRHost(tt.host); ok && registry.ID(tt.host) == own {
				t.Errorf("%q is read as the account's registry (%+v)", tt.host, e)
			}
			if id := registry.ID(tt.host); id == own {
				t.Errorf("RegistryID(%q) = %q, the account's registry", tt.host, id)
			}
		})
	}
	// The spoof in the path: the registry is evil.io.
	if img := builtins.ParseImage("evil.io/" + own + "/web:1"); img.RegistryID != "evil.io" {
		t.Errorf("evil.io/<ECR host>/web: registry_id %q, want evil.io", img.RegistryID)
	}
}

func TestRegistryIDOfOtherHosts(t *testing.T) {
	tests := []struct{ name, host, want string }{
		{"Docker Hub", "docker.io", "docker.io"},
		{"Docker Hub's index alias", "index.docker.io", "docker.io"},
		{"Docker Hub's registry host", "registry-1.docker.io", "docker.io"},
		{"case is ignored", "GHCR.io", "ghcr.io"},
		{"the port is kept", "registry.internal:5000", "registry.internal:5000"},
		{"an IPv6 literal is canonical", "[0:0:0:0:0:0:0:1]:5000", "[::1]:5000"},
		{"IPv6 hex case is ignored", "[FE80::1]", "[fe80::1]"},
		{"an IPv4 address", "10.0.0.1:5000", "10.0.0.1:5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.ID(tt.host); got != tt.want {
				t.Errorf("RegistryID(%q) = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

func TestParseEntry(t *testing.T) {
	tests := []struct {
		name  string
		entry string
		want  registry.Entry
	}{
		{"an ECR host", account + ".dkr.ecr.us-east-1.amazonaws.com",
			registry.Entry{Valid: true, Host: account + ".dkr.ecr.us-east-1.amazonaws.com", RegistryID: account + ".dkr.ecr.us-east-1.amazonaws.com"}},
		{"an ECR dual-stack host is the same registry", account + ".dkr-ecr.us-east-1.on.aws",
			registry.Entry{Valid: true, Host: account + ".dkr-ecr.us-east-1.on.aws", RegistryID: account + ".dkr.ecr.us-east-1.amazonaws.com"}},
		{"a host with a repository path", "ghcr.io/acme",
			registry.Entry{Valid: true, Host: "ghcr.io", Path: "acme", RegistryID: "ghcr.io"}},
		{"a deeper path", "docker.io/library",
			registry.Entry{Valid: true, Host: "docker.io", Path: "library", RegistryID: "docker.io"}},
		{"a host with a port", "registry.internal:5000/team",
			registry.Entry{Valid: true, Host: "registry.internal:5000", Path: "team", RegistryID: "registry.internal:5000"}},
		{"an IPv6 literal with a port", "[::1]:5000",
			registry.Entry{Valid: true, Host: "[::1]:5000", RegistryID: "[::1]:5000"}},
		{"localhost", "localhost",
			registry.Entry{Valid: true, Host: "localhost", RegistryID: "localhost"}},
		{"upper case host", "GHCR.IO",
			registry.Entry{Valid: true, Host: "ghcr.io", RegistryID: "ghcr.io"}},
		{"a bare word is never a registry in an image reference", "registry",
			registry.Entry{Error: `the registry host "registry" has no dot and no port, so an image reference never reads it as a registry ("registry/app" is Docker Hub's repository "docker.io/registry/app")`}},
		{"a scheme is not a host", "https://ghcr.io",
			registry.Entry{Error: `the registry host "https:" is not a host name, IPv4 or [IPv6] address with an optional :port`}},
		{"an empty entry", "", registry.Entry{Error: "the registry host is empty"}},
		{"whitespace", " ghcr.io", registry.Entry{Error: "a registry has no whitespace"}},
		{"a trailing slash", "ghcr.io/", registry.Entry{Error: `the repository path after "ghcr.io/" is empty`}},
		{"an upper-case path", "ghcr.io/Acme",
			registry.Entry{Error: `the repository path component "Acme" is invalid (lower-case letters and digits, separated by '.', '_', '__' or '-')`}},
		{"a wildcard", "ghcr.io/*",
			registry.Entry{Error: `the repository path component "*" is invalid (lower-case letters and digits, separated by '.', '_', '__' or '-')`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := registry.ParseEntry(tt.entry); got != tt.want {
				t.Errorf("ParseRegistryEntry(%q) =\n%+v, want\n%+v", tt.entry, got, tt.want)
			}
		})
	}
}
