# METADATA
# title: Tasks do not share the host's IPC namespace
# description: >-
#   With ipcMode "host" the containers share the EC2 instance's System V IPC
#   and POSIX shared memory, so they can read or corrupt other processes'
#   shared memory.
# custom:
#   id: host_ipc
#   severity: HIGH
#   enforcement: warn
#   platform: linux
#   controls:
#     - NIST 800-190 4.4.3
#     - CIS Docker Benchmark 5.16
#     - "Pod Security Standards: Baseline (host namespaces)"
#   remediation: >-
#     Remove ipcMode, or set it to "task" (shared by the task's containers
#     only) or "none".
package ecs.rules.host_ipc

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	lib.task_definition.ipcMode == "host"
	message := sprintf(
		"task definition %q shares the host's IPC namespace (ipcMode \"host\"); allowed: \"task\", \"none\" or unset",
		[lib.task_definition_name],
	)
}
