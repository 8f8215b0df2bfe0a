package ecs.rules.resource_limits_test

import data.ecs.rules.resource_limits
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# an EC2 task definition without task-level limits whose container sets cpu and memory
test_sample_pass if {
	sample := resource_limits.samples.pass
	findings := resource_limits.findings with input as sample.input
	testing.reports(findings, sample, "resource_limits")
}

# neither the task nor the container sets cpu or memory (memoryReservation is not a limit)
test_sample_no_limits if {
	sample := resource_limits.samples.no_limits
	findings := resource_limits.findings with input as sample.input
	testing.reports(findings, sample, "resource_limits")
}

# container cpu 0 and no task-level cpu
test_sample_cpu_zero if {
	sample := resource_limits.samples.cpu_zero
	findings := resource_limits.findings with input as sample.input
	testing.reports(findings, sample, "resource_limits")
}

test_task_level_limits_cover_containers if {
	inp := testing.patched([
		{"op": "remove", "path": "/taskDefinition/containerDefinitions/0/cpu"},
		{"op": "remove", "path": "/taskDefinition/containerDefinitions/0/memory"},
		{"op": "replace", "path": "/taskDefinition/cpu", "value": "1 vCPU"},
		{"op": "replace", "path": "/taskDefinition/memory", "value": "2 GB"},
	])
	count(resource_limits.findings) == 0 with input as inp
}

test_zero_task_level_values_are_no_limits if {
	inp := testing.patched([
		{"op": "remove", "path": "/taskDefinition/containerDefinitions/0/cpu"},
		{"op": "replace", "path": "/taskDefinition/cpu", "value": "0"},
	])
	testing.messages(resource_limits.findings) == {concat("", [
		"container \"web\" has no cpu allocation, neither on the container nor on task definition \"web:3\"; ",
		"allowed: a positive cpu on the container or the task",
	])} with input as inp
}

# memory is the memory_limit rule's: no double report
test_memory_is_not_this_rules if {
	inp := testing.patched([
		{"op": "remove", "path": "/taskDefinition/containerDefinitions/0/memory"},
		{"op": "remove", "path": "/taskDefinition/memory"},
	])
	count(resource_limits.findings) == 0 with input as inp
}
