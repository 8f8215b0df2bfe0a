package ecs.rules.logging_configured_test

import data.ecs.rules.logging_configured
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# awslogs
test_sample_pass if {
	sample := logging_configured.samples.pass
	findings := logging_configured.findings with input as sample.input
	testing.reports(findings, sample, "logging_configured")
}

# no logConfiguration
test_sample_no_log_configuration if {
	sample := logging_configured.samples.no_log_configuration
	findings := logging_configured.findings with input as sample.input
	testing.reports(findings, sample, "logging_configured")
}

test_empty_log_driver_counts_as_none if {
	inp := testing.with_container({"logConfiguration": {"logDriver": ""}})
	count(logging_configured.findings) == 1 with input as inp
}
