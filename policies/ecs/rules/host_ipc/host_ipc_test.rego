package ecs.rules.host_ipc_test

import data.ecs.rules.host_ipc
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# ipcMode task (shared by the task's containers only)
test_sample_pass if {
	sample := host_ipc.samples.pass
	findings := host_ipc.findings with input as sample.input
	testing.reports(findings, sample, "host_ipc")
}

# an EC2 task definition with ipcMode host
test_sample_host_ipc_mode if {
	sample := host_ipc.samples.host_ipc_mode
	findings := host_ipc.findings with input as sample.input
	testing.reports(findings, sample, "host_ipc")
}

test_none_ipc_mode_passes if {
	inp := testing.patched([{"op": "add", "path": "/taskDefinition/ipcMode", "value": "none"}])
	count(host_ipc.findings) == 0 with input as inp
}
