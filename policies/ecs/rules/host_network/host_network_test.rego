package ecs.rules.host_network_test

import data.ecs.rules.host_network
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# network mode awsvpc
test_sample_pass if {
	sample := host_network.samples.pass
	findings := host_network.findings with input as sample.input
	testing.reports(findings, sample, "host_network")
}

# an EC2 task definition with networkMode host
test_sample_host_mode if {
	sample := host_network.samples.host_mode
	findings := host_network.findings with input as sample.input
	testing.reports(findings, sample, "host_network")
}

test_bridge_and_none_pass if {
	every mode in ["bridge", "none", "awsvpc"] {
		inp := testing.patched([{"op": "replace", "path": "/taskDefinition/networkMode", "value": mode}])
		count(host_network.findings) == 0 with input as inp
	}
}
