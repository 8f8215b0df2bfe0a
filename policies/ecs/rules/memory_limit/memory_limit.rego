# METADATA
# title: Containers have a memory limit where the launch type needs one
# description: >-
#   A container without a hard memory limit can take the memory of every
#   other task on its instance. On Fargate the task-level memory is required
#   and enforced, so nothing more is needed. On EC2 and external instances
#   (or when the launch type is not known) a Linux container needs its own
#   "memory" or a task-level memory; Windows containers ignore task-level
#   memory and need their own. memoryReservation is a soft limit and does not
#   count.
# custom:
#   id: memory_limit
#   severity: LOW
#   enforcement: warn
#   platform: any
#   controls:
#     - CIS Docker Benchmark 5.10
#     - NIST 800-190 4.4.3
#     - "Kyverno: require-requests-limits"
#   remediation: >-
#     Set "memory" (the hard limit, in MiB) on the container, or a task-level
#     memory on Linux; on Fargate set the task's memory.
package ecs.rules.memory_limit

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	lib.launch_type != "FARGATE"
	some container in lib.containers
	not limited(container)
	message := sprintf("container %q has no hard memory limit on %s; allowed: %s", [
		container.name,
		where,
		allowed,
	])
}

limited(container) if lib.positive(container.memory)

limited(_) if {
	not lib.windows
	lib.positive(lib.task_definition.memory)
}

default where := "EC2 or external instances (launch type not Fargate)"

where := sprintf("launch type %s", [lib.launch_type]) if lib.launch_type != ""

default allowed := "a positive \"memory\" on the container or the task definition"

allowed := concat("", [
	"a positive \"memory\" on the container ",
	"(task-level memory is ignored for Windows containers)",
]) if {
	lib.windows
}
