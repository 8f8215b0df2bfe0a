package ecs.rules.privileged_container_test

import data.ecs.rules.privileged_container
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# a hardened task: every rule passes
test_sample_pass if {
	sample := privileged_container.samples.pass
	findings := privileged_container.findings with input as sample.input
	testing.reports(findings, sample, "privileged_container")
}

# a container with privileged: true
test_sample_privileged if {
	sample := privileged_container.samples.privileged
	findings := privileged_container.findings with input as sample.input
	testing.reports(findings, sample, "privileged_container")
}

test_privileged_false_or_unset_passes if {
	count(privileged_container.findings) == 0 with input as testing.with_container({"privileged": false})
	unset := json.remove(testing.hardened, ["taskDefinition/containerDefinitions/0/privileged"])
	count(privileged_container.findings) == 0 with input as unset
}

test_each_privileged_container_is_reported if {
	inp := testing.patched([{"op": "add", "path": "/taskDefinition/containerDefinitions/-", "value": {
		"name": "sidecar",
		"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sidecar:1",
		"privileged": true,
	}}])
	findings := privileged_container.findings with input as inp
	{finding.container | some finding in findings} == {"sidecar"}
}
