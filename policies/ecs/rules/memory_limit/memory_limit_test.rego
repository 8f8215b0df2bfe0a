package ecs.rules.memory_limit_test

import data.ecs.rules.memory_limit
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# EC2: the container has a hard memory limit
test_sample_pass if {
	sample := memory_limit.samples.pass
	findings := memory_limit.findings with input as sample.input
	testing.reports(findings, sample, "memory_limit")
}

# EC2, no task memory, only a soft memoryReservation
test_sample_ec2_soft_limit_only if {
	sample := memory_limit.samples.ec2_soft_limit_only
	findings := memory_limit.findings with input as sample.input
	testing.reports(findings, sample, "memory_limit")
}

# Windows on EC2: task-level memory is ignored for Windows containers
test_sample_windows_task_memory_only if {
	sample := memory_limit.samples.windows_task_memory_only
	findings := memory_limit.findings with input as sample.input
	testing.reports(findings, sample, "memory_limit")
}

# Fargate enforces the task's memory: nothing more to ask
test_fargate_needs_no_container_memory if {
	inp := testing.patched([{"op": "remove", "path": "/taskDefinition/containerDefinitions/0/memory"}])
	count(memory_limit.findings) == 0 with input as inp
}

test_task_memory_covers_linux_containers_on_ec2 if {
	remove := {"op": "remove", "path": "/taskDefinition/containerDefinitions/0/memory"}
	inp := json.patch(memory_limit.samples.pass.input, [remove])
	count(memory_limit.findings) == 0 with input as inp
}

# the launch type comes from the task, else a Fargate capacity provider, the
# service, or the task definition's only compatibility
test_launch_type_sources if {
	no_memory := [
		{"op": "remove", "path": "/taskDefinition/containerDefinitions/0/memory"},
		{"op": "remove", "path": "/taskDefinition/memory"},
		{"op": "remove", "path": "/task/launchType"},
	]
	spot := {"op": "add", "path": "/task/capacityProviderName", "value": "FARGATE_SPOT"}
	fargate_spot := json.patch(testing.hardened, array.concat(no_memory, [spot]))
	count(memory_limit.findings) == 0 with input as fargate_spot
	asg := {"op": "add", "path": "/task/capacityProviderName", "value": "my-asg-provider"}
	ec2_provider := json.patch(testing.hardened, array.concat(no_memory, [asg]))
	testing.messages(memory_limit.findings) == {concat("", [
		"container \"web\" has no hard memory limit on launch type EC2; ",
		"allowed: a positive \"memory\" on the container or the task definition",
	])} with input as ec2_provider
	service_fargate := json.patch(testing.hardened, array.concat(no_memory, [{"op": "add", "path": "/service", "value": {
		"serviceName": "web",
		"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
	}}]))
	count(memory_limit.findings) == 0 with input as service_fargate
	both := {"op": "replace", "path": "/taskDefinition/requiresCompatibilities", "value": ["EC2", "FARGATE"]}
	unknown := json.patch(testing.hardened, array.concat(no_memory, [both]))
	testing.messages(memory_limit.findings) == {concat("", [
		"container \"web\" has no hard memory limit on EC2 or external instances (launch type not Fargate); ",
		"allowed: a positive \"memory\" on the container or the task definition",
	])} with input as unknown
}
