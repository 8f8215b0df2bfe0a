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

test_docker_hub_short_name_suggests_its_repository if {
	findings := image_tag.findings with input as testing.with_container({"image": "nginx"})
	testing.messages(findings) == {concat("", [
		"container \"web\" image \"nginx\" has no tag, so it runs whatever \"latest\" is; ",
		"allowed: a version tag (e.g. library/nginx:1.4.2) or a digest (@sha256:...)",
	])}
}

test_latest_pinned_by_digest_is_allowed if {
	inp := testing.with_container({"image": sprintf("nginx:latest@%s", [testing.digest])})
	count(image_tag.findings) == 0 with input as inp
}
