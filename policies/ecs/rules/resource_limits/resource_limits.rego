# METADATA
# title: Containers have a CPU allocation
# description: >-
#   A container without a CPU allocation, in a task definition without a
#   task-level one, competes for the whole instance's CPU and can starve
#   every other task on it. Either the container or the task definition must
#   set cpu. (Memory is the memory_limit rule, which knows where task-level
#   memory counts.)
# custom:
#   id: resource_limits
#   severity: LOW
#   enforcement: warn
#   platform: any
#   controls:
#     - NIST 800-190 4.4.3
#     - CIS Docker Benchmark 5.11
#   remediation: >-
#     Set task-level cpu (required on Fargate), or cpu (CPU units, 1024 per
#     vCPU) on each container.
package ecs.rules.resource_limits

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	not limited(container)
	message := sprintf("container %q has no cpu allocation, neither on the container nor on task definition %q; %s", [
		container.name,
		lib.task_definition_name,
		"allowed: a positive cpu on the container or the task",
	])
}

limited(container) if lib.positive(container.cpu)

limited(_) if lib.positive(lib.task_definition.cpu)
