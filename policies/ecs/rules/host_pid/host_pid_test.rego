package ecs.rules.host_pid_test

import data.ecs.rules.host_pid
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# no pidMode
test_sample_pass if {
	sample := host_pid.samples.pass
	findings := host_pid.findings with input as sample.input
	testing.reports(findings, sample, "host_pid")
}

# an EC2 task definition with pidMode host
test_sample_host_pid_mode if {
	sample := host_pid.samples.host_pid_mode
	findings := host_pid.findings with input as sample.input
	testing.reports(findings, sample, "host_pid")
}

test_task_pid_mode_passes if {
	inp := testing.patched([{"op": "add", "path": "/taskDefinition/pidMode", "value": "task"}])
	count(host_pid.findings) == 0 with input as inp
}
