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
