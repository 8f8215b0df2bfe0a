package ecs.rules.fargate_platform_version_test

import data.ecs.rules.fargate_platform_version
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# the Fargate service runs the LATEST platform version
test_sample_pass if {
	sample := fargate_platform_version.samples.pass
	findings := fargate_platform_version.findings with input as sample.input
	testing.reports(findings, sample, "fargate_platform_version")
}

# the Fargate service is pinned to platform version 1.3.0
test_sample_service_pinned_old if {
	sample := fargate_platform_version.samples.service_pinned_old
	findings := fargate_platform_version.findings with input as sample.input
	testing.reports(findings, sample, "fargate_platform_version")
}

# near-miss: pinned, but to the current version 1.4.0
test_sample_service_pinned_current if {
	sample := fargate_platform_version.samples.service_pinned_current
	findings := fargate_platform_version.findings with input as sample.input
	testing.reports(findings, sample, "fargate_platform_version")
}

# a standalone Fargate task on platform version 1.3.0
test_sample_standalone_task_old if {
	sample := fargate_platform_version.samples.standalone_task_old
	findings := fargate_platform_version.findings with input as sample.input
	testing.reports(findings, sample, "fargate_platform_version")
}

test_windows_services_compare_with_the_windows_version if {
	windows := data.ecs.rules.windows_non_admin_user.samples.pass.input
	service := object.union(fargate_platform_version.samples.pass.input.service, {
		"platformVersion": "1.0.0",
		"platformFamily": "WINDOWS_SERVER_2022_CORE",
	})
	count(fargate_platform_version.findings) == 0 with input as object.union(windows, {"service": service})
	testing.messages(fargate_platform_version.findings) == {concat("", [
		"service \"web\" runs on Fargate platform version \"1.0.0\" (windows); ",
		"allowed: \"LATEST\" or \"1.1.0\" and later",
	])} with input as object.union(windows, {"service": service})
		with data.ecs.config.fargate_platform_versions as {"linux": "1.4.0", "windows": "1.1.0"}
}

# EC2 services have no Fargate platform; a service without a platformVersion
# runs LATEST
test_only_fargate_with_a_version_is_judged if {
	ec2 := json.patch(fargate_platform_version.samples.service_pinned_old.input, [
		{"op": "replace", "path": "/service/launchType", "value": "EC2"},
		{"op": "replace", "path": "/task/launchType", "value": "EC2"},
	])
	count(fargate_platform_version.findings) == 0 with input as ec2
	unversioned := json.remove(fargate_platform_version.samples.service_pinned_old.input, ["service/platformVersion"])
	count(fargate_platform_version.findings) == 0 with input as unversioned
}
