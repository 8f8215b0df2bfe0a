package ecs.rules.windows_non_admin_user_test

import data.ecs.rules.windows_non_admin_user
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# a Windows task running as ContainerUser; Linux-only rules do not apply
test_sample_pass if {
	sample := windows_non_admin_user.samples.pass
	findings := windows_non_admin_user.findings with input as sample.input
	testing.reports(findings, sample, "windows_non_admin_user")
}

# a Windows container without a user
test_sample_unset if {
	sample := windows_non_admin_user.samples.unset
	findings := windows_non_admin_user.findings with input as sample.input
	testing.reports(findings, sample, "windows_non_admin_user")
}

# a Windows container running as ContainerAdministrator
test_sample_container_administrator if {
	sample := windows_non_admin_user.samples.container_administrator
	findings := windows_non_admin_user.findings with input as sample.input
	testing.reports(findings, sample, "windows_non_admin_user")
}

test_linux_tasks_are_not_its_business if {
	# the rule reports whatever it sees; the decision applies it to Windows
	# tasks only (platform windows in its METADATA).
	some finding in windows_non_admin_user.findings with input as windows_non_admin_user.samples.unset.input
	finding.platform == "windows"
}
