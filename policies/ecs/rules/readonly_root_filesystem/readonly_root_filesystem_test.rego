package ecs.rules.readonly_root_filesystem_test

import data.ecs.rules.readonly_root_filesystem
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# readonlyRootFilesystem true
test_sample_pass if {
	sample := readonly_root_filesystem.samples.pass
	findings := readonly_root_filesystem.findings with input as sample.input
	testing.reports(findings, sample, "readonly_root_filesystem")
}

# readonlyRootFilesystem not set
test_sample_unset if {
	sample := readonly_root_filesystem.samples.unset
	findings := readonly_root_filesystem.findings with input as sample.input
	testing.reports(findings, sample, "readonly_root_filesystem")
}

# readonlyRootFilesystem false
test_sample_false if {
	sample := readonly_root_filesystem.samples.false
	findings := readonly_root_filesystem.findings with input as sample.input
	testing.reports(findings, sample, "readonly_root_filesystem")
}

test_only_true_counts if {
	findings := readonly_root_filesystem.findings with input as testing.with_container({"readonlyRootFilesystem": "true"})
	testing.messages(findings) == {concat("", [
		"container \"web\" has a writable root filesystem ",
		"(readonlyRootFilesystem: \"true\"); allowed: true",
	])}
}
