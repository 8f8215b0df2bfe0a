package ecs.rules.image_tag_test

import data.ecs.rules.image_tag
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# a version tag and a digest
test_sample_pass if {
	sample := image_tag.samples.pass
	findings := image_tag.findings with input as sample.input
	testing.reports(findings, sample, "image_tag")
}

# the latest tag (and so no digest either)
test_sample_latest if {
	sample := image_tag.samples.latest
	findings := image_tag.findings with input as sample.input
	testing.reports(findings, sample, "image_tag")
}

# no tag at all, which means latest
test_sample_no_tag if {
	sample := image_tag.samples.no_tag
	findings := image_tag.findings with input as sample.input
	testing.reports(findings, sample, "image_tag")
}

test_docker_hub_short_name_suggests_its_own_spelling if {
	findings := image_tag.findings with input as testing.with_container({"image": "nginx"})
	testing.messages(findings) == {concat("", [
		"container \"web\" image \"nginx\" has no tag, so it runs whatever \"latest\" is; ",
		"allowed: a version tag (e.g. \"nginx:1.4.2\") or a digest (e.g. \"nginx@sha256:<digest>\")",
	])}
}

# A suggestion a person can paste: the registry host (and port) and the
# repository stay; "web:1.4.2" alone would be Docker Hub's library/web.
test_suggested_references_keep_the_registry_host if {
	ecr := "123456789012.dkr.ecr.us-east-1.amazonaws.com/web-migrate"
	every ref, suggested in {
		concat(":", [ecr, "latest"]): concat(":", [ecr, "1.4.2"]),
		"registry.internal:5000/team/app": "registry.internal:5000/team/app:1.4.2",
		"ghcr.io/acme/web:latest": "ghcr.io/acme/web:1.4.2",
	} {
		findings := image_tag.findings with input as testing.with_container({"image": ref})
		some finding in findings
		contains(finding.message, sprintf("e.g. %q)", [suggested]))
	}
}

test_latest_pinned_by_digest_is_allowed if {
	inp := testing.with_container({"image": sprintf("nginx:latest@%s", [testing.digest])})
	count(image_tag.findings) == 0 with input as inp
}
