# METADATA
# title: Tasks do not share the host's process namespace
# description: >-
#   With pidMode "host" the containers see every process of the EC2 instance
#   and, with enough privilege, can signal or trace them.
# custom:
#   id: host_pid
#   severity: HIGH
#   enforcement: warn
#   platform: linux
#   controls:
#     - AWS Security Hub ECS.3
#     - NIST 800-190 4.4.3
#     - CIS Docker Benchmark 5.15
#     - "Pod Security Standards: Baseline (host namespaces)"
#   remediation: >-
#     Remove pidMode or set it to "task" (the task's containers share one
#     process namespace of their own).
package ecs.rules.host_pid

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	lib.task_definition.pidMode == "host"
	message := sprintf(
		"task definition %q shares the host's process namespace (pidMode \"host\"); allowed: \"task\" or unset",
		[lib.task_definition_name],
	)
}
