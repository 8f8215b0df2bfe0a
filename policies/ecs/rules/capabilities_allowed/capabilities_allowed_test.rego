package ecs.rules.capabilities_allowed_test

import data.ecs.rules.capabilities_allowed
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# drops ALL and adds back NET_BIND_SERVICE, which the default allow-list has
test_sample_pass if {
	sample := capabilities_allowed.samples.pass
	findings := capabilities_allowed.findings with input as sample.input
	testing.reports(findings, sample, "capabilities_allowed")
}

# adds SYS_ADMIN and CAP_NET_ADMIN (the CAP_ prefix is ignored)
test_sample_sys_admin if {
	sample := capabilities_allowed.samples.sys_admin
	findings := capabilities_allowed.findings with input as sample.input
	testing.reports(findings, sample, "capabilities_allowed")
}

test_allow_list_comes_from_data if {
	inp := testing.with_container({"linuxParameters": {"capabilities": {"add": ["SYS_PTRACE"], "drop": ["ALL"]}}})
	count(capabilities_allowed.findings) == 0 with input as inp
		with data.ecs.config.allowed_capabilities as ["cap_sys_ptrace"]
	findings := capabilities_allowed.findings with input as inp with data.ecs.config.allowed_capabilities as []
	testing.messages(findings) == {"container \"web\" adds Linux capabilities \"SYS_PTRACE\"; allowed to add: none"}
}
