# METADATA
# title: Task definitions carry the required tags
# description: >-
#   The tags in ecs.config.required_tags (by default owner) tell who to call
#   about a task. They are read from the task definition's tags and, for a
#   service's task, the service's tags.
# custom:
#   id: required_tags
#   severity: LOW
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.15
#     - NIST 800-53 CM-8
#   remediation: >-
#     Tag the task definition (or the service) with every required key and a
#     non-empty value, e.g. with the CDK's Tags.of(taskDefinition).add, or
#     `aws ecs tag-resource`.
package ecs.rules.required_tags

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	missing := {key | some key in lib.config.required_tags; not tagged(key)}
	count(missing) > 0
	message := sprintf(
		"task definition %q lacks required tags %s (it has: %s); allowed: all of %s, with non-empty values",
		[lib.task_definition_name, lib.list(missing), lib.list(object.keys(present)), lib.list(lib.config.required_tags)],
	)
}

default present := {}

present := input.tags

tagged(key) if trim_space(present[key]) != ""
