# METADATA
# title: Containers have CPU and memory limits
# description: >-
#   A container without a memory limit or CPU allocation, in a task definition
#   without task-level ones, can starve every other task on the instance.
#   Either the container or the task definition must set cpu and memory.
# custom:
#   id: resource_limits
#   severity: LOW
#   enforcement: warn
#   platform: any
#   controls:
#     - NIST 800-190 4.4.3
#     - CIS Docker Benchmark 5.10
#     - CIS Docker Benchmark 5.11
#   remediation: >-
#     Set task-level cpu and memory (required on Fargate), or cpu and memory
#     (the hard limit, not only memoryReservation) on each container.
package ecs.rules.resource_limits

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	missing := [key | some key in ["cpu", "memory"]; not limited(container, key)]
	count(missing) > 0
	message := sprintf("container %q has no %s limit, neither on the container nor on task definition %q; %s", [
		container.name,
		concat(" or ", missing),
		lib.task_definition_name,
		sprintf("allowed: a positive %s on the container or the task", [concat(" and ", missing)]),
	])
}

limited(container, key) if positive(container[key])

limited(_, key) if positive(lib.task_definition[key])

positive(value) if {
	is_number(value)
	value > 0
}

# Task-level cpu and memory are strings ("256", "1 vCPU", "0.5 GB").
positive(value) if {
	is_string(value)
	not trim_space(value) in {"", "0"}
}
