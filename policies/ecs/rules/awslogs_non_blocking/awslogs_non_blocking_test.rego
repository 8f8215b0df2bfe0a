package ecs.rules.awslogs_non_blocking_test

import data.ecs.rules.awslogs_non_blocking
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# awslogs in non-blocking mode with a 25 MB buffer
test_sample_pass if {
	sample := awslogs_non_blocking.samples.pass
	findings := awslogs_non_blocking.findings with input as sample.input
	testing.reports(findings, sample, "awslogs_non_blocking")
}

# awslogs without a mode: the account default decides
test_sample_mode_unset if {
	sample := awslogs_non_blocking.samples.mode_unset
	findings := awslogs_non_blocking.findings with input as sample.input
	testing.reports(findings, sample, "awslogs_non_blocking")
}

# awslogs in blocking mode
test_sample_blocking if {
	sample := awslogs_non_blocking.samples.blocking
	findings := awslogs_non_blocking.findings with input as sample.input
	testing.reports(findings, sample, "awslogs_non_blocking")
}

# other drivers are out of scope (their buffering is their own)
test_other_log_drivers_are_not_judged if {
	inp := testing.with_container({"logConfiguration": {"logDriver": "awsfirelens", "options": {"Name": "cloudwatch"}}})
	count(awslogs_non_blocking.findings) == 0 with input as inp
}

test_awslogs_without_options_is_the_default_mode if {
	inp := testing.with_container({"logConfiguration": {"logDriver": "awslogs"}})
	testing.messages(awslogs_non_blocking.findings) == {concat("", [
		"container \"web\" sends its logs with awslogs in the account's default mode (\"mode\" unset); ",
		"allowed: \"mode\": \"non-blocking\" (with a \"max-buffer-size\") in logConfiguration.options",
	])} with input as inp
}
