# METADATA
# title: Tasks use the awsvpc network mode
# description: >-
#   In the awsvpc network mode each task gets its own elastic network
#   interface, private IP address and security groups, so network access is
#   controlled per task. In "bridge" (the default on Linux EC2 when
#   networkMode is unset), "host", "none" or Windows "default" mode, the
#   tasks of an instance share its security groups, and "host" shares its
#   network stack.
# custom:
#   id: network_mode_awsvpc
#   severity: MEDIUM
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Control Tower CT.ECS.PR.4
#     - "AWS Config: ecs-awsvpc-networking-enabled"
#     - "KICS: ECS Task Definition Network Mode Not Recommended"
#     - NIST 800-190 4.4.2
#   remediation: >-
#     Set "networkMode": "awsvpc" in the task definition and give the service
#     or run-task a networkConfiguration (subnets and security groups).
package ecs.rules.network_mode_awsvpc

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	count(lib.containers) > 0
	mode := object.get(lib.task_definition, "networkMode", null)
	mode != "awsvpc"
	message := sprintf("task definition %q uses networkMode %s; allowed: \"awsvpc\"", [
		lib.task_definition_name,
		described(mode),
	])
}

described(null) := "unset (bridge on Linux EC2, default on Windows)"

described(mode) := sprintf("%q", [mode]) if mode != null
