package ecs.rules.network_mode_awsvpc_test

import data.ecs.rules.network_mode_awsvpc
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# awsvpc: the task has its own network interface and security groups
test_sample_pass if {
	sample := network_mode_awsvpc.samples.pass
	findings := network_mode_awsvpc.findings with input as sample.input
	testing.reports(findings, sample, "network_mode_awsvpc")
}

# bridge mode on EC2: the tasks share the instance's security groups
test_sample_bridge if {
	sample := network_mode_awsvpc.samples.bridge
	findings := network_mode_awsvpc.findings with input as sample.input
	testing.reports(findings, sample, "network_mode_awsvpc")
}

# networkMode unset on EC2: bridge
test_sample_unset if {
	sample := network_mode_awsvpc.samples.unset
	findings := network_mode_awsvpc.findings with input as sample.input
	testing.reports(findings, sample, "network_mode_awsvpc")
}

test_windows_default_mode_is_not_awsvpc if {
	windows := data.ecs.rules.windows_non_admin_user.samples.pass.input
	inp := json.patch(windows, [{"op": "replace", "path": "/taskDefinition/networkMode", "value": "default"}])
	want := "task definition \"web:3\" uses networkMode \"default\"; allowed: \"awsvpc\""
	testing.messages(network_mode_awsvpc.findings) == {want} with input as inp
}

# nothing to judge without a task definition
test_no_task_definition_no_finding if {
	count(network_mode_awsvpc.findings) == 0 with input as {"task": testing.hardened.task}
}
