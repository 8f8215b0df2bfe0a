package ecs.rules.approved_registries_test

import data.ecs.rules.approved_registries
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# images from the account's own ECR in its region (the default approved registry)
test_sample_pass if {
	sample := approved_registries.samples.pass
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# an image from Docker Hub: "nginx" normalizes to docker.io/library/nginx
test_sample_docker_hub if {
	sample := approved_registries.samples.docker_hub
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# a host that starts with the approved ECR host but is another domain (a prefix check would let it through)
test_sample_lookalike_host if {
	sample := approved_registries.samples.lookalike_host
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# the account's ECR in another region
test_sample_other_region if {
	sample := approved_registries.samples.other_region
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# the running task's image differs from the task definition's: both are checked
test_sample_running_image_differs if {
	sample := approved_registries.samples.running_image_differs
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# an image reference that does not parse (upper case repository)
test_sample_invalid_reference if {
	sample := approved_registries.samples.invalid_reference
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# the account's ECR through its FIPS endpoint is the account's ECR
test_sample_own_ecr_fips_endpoint if {
	sample := approved_registries.samples.own_ecr_fips_endpoint
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# the account's ECR through its dual-stack (IPv6) endpoint is the account's ECR
test_sample_own_ecr_dualstack_endpoint if {
	sample := approved_registries.samples.own_ecr_dualstack_endpoint
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# the account's ECR through its dual-stack FIPS endpoint is the account's ECR
test_sample_own_ecr_dualstack_fips_endpoint if {
	sample := approved_registries.samples.own_ecr_dualstack_fips_endpoint
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# another account's ECR in the same region
test_sample_other_account if {
	sample := approved_registries.samples.other_account
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

# the account's ECR host as the first path segment of another registry
test_sample_ecr_host_in_the_path if {
	sample := approved_registries.samples.ecr_host_in_the_path
	findings := approved_registries.findings with input as sample.input
	testing.reports(findings, sample, "approved_registries")
}

test_configured_registries_replace_the_account_default if {
	inp := testing.with_container({"image": "docker.io/library/nginx:1.25.3"})
	findings := approved_registries.findings with input as inp
		with data.ecs.config.registries as ["docker.io", "public.ecr.aws"]

	# the task definition's image is allowed; the event's ECR image is not,
	# since the list no longer holds the account's ECR.
	count(findings) == 1
	some finding in findings
	contains(finding.message, "\"123456789012.dkr.ecr.us-east-1.amazonaws.com\" (repository \"web\"), which is not")
	contains(finding.message, "approved registries: \"docker.io\", \"public.ecr.aws\"")
}

test_registry_hosts_compare_case_insensitively if {
	findings := approved_registries.findings with input as testing.hardened
		with data.ecs.config.registries as ["123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM"]
	count(findings) == 0
}

test_registry_with_port_must_match_port_too if {
	inp := testing.patched([
		{"op": "replace", "path": "/taskDefinition/containerDefinitions/0/image", "value": "registry.internal:5000/web:1"},
		{"op": "replace", "path": "/task/containers/0/image", "value": "registry.internal/web:1"},
	])
	findings := approved_registries.findings with input as inp
		with data.ecs.config.registries as ["registry.internal:5000"]
	testing.messages(findings) == {concat("", [
		"container \"web\" image \"registry.internal/web:1\" is from registry \"registry.internal\" ",
		"(repository \"web\"), which is not approved; approved registries: \"registry.internal:5000\"",
	])}
}

test_china_regions_use_the_cn_domain if {
	china_image := "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/web:1"
	inp := testing.patched([
		{"op": "replace", "path": "/context/region", "value": "cn-north-1"},
		{"op": "replace", "path": "/taskDefinition/containerDefinitions/0/image", "value": china_image},
		{"op": "replace", "path": "/task/containers/0/image", "value": china_image},
	])
	count(approved_registries.findings) == 0 with input as inp
}

test_without_account_nothing_is_approved if {
	inp := json.remove(testing.hardened, ["context"])
	findings := approved_registries.findings with input as inp
	count(findings) == 1
	some finding in findings
	endswith(finding.message, "approved registries: none")
}

test_finding_carries_the_rule_metadata if {
	some finding in approved_registries.findings with input as approved_registries.samples.docker_hub.input
	finding.rule == "approved_registries"
	finding.title == "Images come from approved registries"
	finding.severity == "HIGH"
	finding.default_enforcement == "deny"
	finding.platform == "any"
	"NIST 800-190 4.1.5" in finding.controls
	startswith(finding.remediation, "Push the image to an approved registry")
}

test_repository_path_entries_compare_segment_by_segment if {
	every ref in ["ghcr.io/acme/web:1", "ghcr.io/acme/team/web:1", "ghcr.io/acme:1", "GHCR.IO/acme/web:1"] {
		inp := testing.patched([
			{"op": "replace", "path": "/taskDefinition/containerDefinitions/0/image", "value": ref},
			{"op": "replace", "path": "/task/containers/0/image", "value": ref},
		])
		count(approved_registries.findings) == 0 with input as inp with data.ecs.config.registries as ["ghcr.io/acme"]
	}
	every ref in ["ghcr.io/acme-evil/web:1", "ghcr.io/other/acme:1", "ghcr.io/ac:1", "ghcr.io.evil.io/acme/web:1"] {
		inp := testing.patched([
			{"op": "replace", "path": "/taskDefinition/containerDefinitions/0/image", "value": ref},
			{"op": "replace", "path": "/task/containers/0/image", "value": ref},
		])
		count(approved_registries.findings) == 1 with input as inp with data.ecs.config.registries as ["ghcr.io/acme"]
	}
}

test_docker_hub_official_images_by_path if {
	inp := testing.patched([
		{"op": "replace", "path": "/taskDefinition/containerDefinitions/0/image", "value": "nginx:1.25"},
		{"op": "replace", "path": "/task/containers/0/image", "value": "acme/nginx:1.25"},
	])
	findings := approved_registries.findings with input as inp with data.ecs.config.registries as ["docker.io/library"]
	testing.messages(findings) == {concat("", [
		"container \"web\" image \"acme/nginx:1.25\" is from registry \"docker.io\" (repository \"acme/nginx\"), ",
		"which is not approved; ",
		"approved registries: \"docker.io/library\"",
	])}
}

# with_image is the hardened input running ref, in the task definition and
# the task, in region.
with_image(ref, region) := testing.patched([
	{"op": "replace", "path": "/context/region", "value": region},
	{"op": "replace", "path": "/taskDefinition/containerDefinitions/0/image", "value": ref},
	{"op": "replace", "path": "/task/containers/0/image", "value": ref},
])

# Every endpoint form AWS documents for the account's own ECR is the
# account's ECR (the default approved registry): IPv4, FIPS, dual-stack,
# dual-stack FIPS; China IPv4 and dual-stack; GovCloud IPv4, FIPS and
# dual-stack; any case.
test_every_documented_endpoint_of_the_account_ecr_is_approved if {
	every region, hosts in {
		"us-east-1": [
			"123456789012.dkr.ecr.us-east-1.amazonaws.com",
			"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com",
			"123456789012.dkr-ecr.us-east-1.on.aws",
			"123456789012.dkr-ecr-fips.us-east-1.on.aws",
			"123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM",
		],
		"cn-north-1": [
			"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
			"123456789012.dkr-ecr.cn-north-1.on.amazonwebservices.com.cn",
		],
		"us-gov-west-1": [
			"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com",
			"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
			"123456789012.dkr-ecr-fips.us-gov-west-1.on.aws",
		],
		"eusc-de-east-1": ["123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu"],
		"us-iso-east-1": ["123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov"],
	} {
		every host in hosts {
			count(approved_registries.findings) == 0 with input as with_image(concat("", [host, "/web:1.4.2"]), region)
		}
	}
}

# Spoofs and other registries stay refused, whatever they look like.
test_spoofs_of_the_account_ecr_are_refused if {
	every ref in [
		"123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.io/web:1",
		"123456789012.dkr-ecr.us-east-1.on.aws.evil.io/web:1",
		"x.123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1",
		"evil.io/123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1",
		"210987654321.dkr.ecr.us-east-1.amazonaws.com/web:1",
		"210987654321.dkr-ecr-fips.us-east-1.on.aws/web:1",
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1",
		"123456789012.dkr-ecr.eu-west-1.on.aws/web:1",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com:5000/web:1",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com/web:1",
		"public.ecr.aws/web:1",
	] {
		count(approved_registries.findings) == 1 with input as with_image(ref, "us-east-1")
	}
}

# A configured ECR entry in any endpoint form approves the others.
test_configured_ecr_entries_match_every_endpoint_form if {
	every ref in [
		"210987654321.dkr.ecr.eu-west-1.amazonaws.com/shared/base:1",
		"210987654321.dkr-ecr-fips.eu-west-1.on.aws/shared/base:1",
	] {
		findings := approved_registries.findings with input as with_image(ref, "us-east-1")
			with data.ecs.config.registries as ["210987654321.dkr-ecr.eu-west-1.on.aws/shared"]
		count(findings) == 0
	}
	other := with_image("210987654321.dkr.ecr.eu-west-1.amazonaws.com/other:1", "us-east-1")
	findings := approved_registries.findings with input as other
		with data.ecs.config.registries as ["210987654321.dkr-ecr.eu-west-1.on.aws/shared"]
	count(findings) == 1
}

# Registries compare as hosts: IPv6 literals in any spelling, with their port.
test_ipv6_registries_compare_as_addresses if {
	every ref in ["[::1]:5000/web:1", "[0:0:0:0:0:0:0:1]:5000/web:1"] {
		count(approved_registries.findings) == 0 with input as with_image(ref, "us-east-1")
			with data.ecs.config.registries as ["[::1]:5000"]
	}
	every ref in ["[::1]/web:1", "[::2]:5000/web:1"] {
		count(approved_registries.findings) == 1 with input as with_image(ref, "us-east-1")
			with data.ecs.config.registries as ["[::1]:5000"]
	}
}

# Docker Hub under its other names is Docker Hub.
test_docker_hub_aliases_are_docker_hub if {
	every ref in ["nginx:1.25", "index.docker.io/library/nginx:1.25", "registry-1.docker.io/library/nginx:1.25"] {
		count(approved_registries.findings) == 0 with input as with_image(ref, "us-east-1")
			with data.ecs.config.registries as ["docker.io/library"]
	}
}

# An invalid configured entry approves nothing (the configuration check
# refuses the bundle anyway).
test_invalid_entries_approve_nothing if {
	count(approved_registries.findings) == 1 with input as with_image("registry/web:1", "us-east-1")
		with data.ecs.config.registries as ["registry"]
}
