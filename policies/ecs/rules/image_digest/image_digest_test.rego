package ecs.rules.image_digest_test

import data.ecs.rules.image_digest
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# images pinned by digest
test_sample_pass if {
	sample := image_digest.samples.pass
	findings := image_digest.findings with input as sample.input
	testing.reports(findings, sample, "image_digest")
}

# an image with a version tag but no digest
test_sample_tag_only if {
	sample := image_digest.samples.tag_only
	findings := image_digest.findings with input as sample.input
	testing.reports(findings, sample, "image_digest")
}

test_invalid_reference_is_left_to_the_registry_rule if {
	findings := image_digest.findings with input as testing.with_container({"image": "Not A Reference"})
	count(findings) == 0
}

test_digest_without_tag_is_pinned if {
	ref := sprintf("123456789012.dkr.ecr.us-east-1.amazonaws.com/web@%s", [testing.digest])
	inp := testing.with_container({"image": ref})
	count(image_digest.findings) == 0 with input as inp
}
