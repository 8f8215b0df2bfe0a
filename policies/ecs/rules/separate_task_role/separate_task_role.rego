# METADATA
# title: The task role is not the execution role
# description: >-
#   The execution role is what the ECS agent uses to pull images, read the
#   task's secrets and write its logs; the task role is what the
#   application's code may do. One role for both gives the application every
#   permission the agent needs (all of the task's secrets, the registries)
#   and the agent every permission the application needs.
# custom:
#   id: separate_task_role
#   severity: MEDIUM
#   enforcement: warn
#   platform: any
#   controls:
#     - "Checkov: CKV_AWS_249"
#     - NIST 800-53 AC-6
#   remediation: >-
#     Create a separate task role with only the permissions the application
#     needs, set it as taskRoleArn, and keep executionRoleArn for the agent
#     (AmazonECSTaskExecutionRolePolicy plus the secrets it reads).
package ecs.rules.separate_task_role

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	role := lib.task_definition.taskRoleArn
	is_string(role)
	role != ""
	role == lib.task_definition.executionRoleArn
	message := sprintf("task definition %q uses role %q as both its task role and its execution role; %s", [
		lib.task_definition_name,
		role,
		"allowed: a task role other than the execution role",
	])
}
