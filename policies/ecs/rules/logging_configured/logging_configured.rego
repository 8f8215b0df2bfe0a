# METADATA
# title: Containers send their logs somewhere
# description: >-
#   Without a log configuration a container's output is lost with the task
#   (Fargate) or stays on the instance: incidents cannot be investigated.
# custom:
#   id: logging_configured
#   severity: HIGH
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.9
#     - NIST 800-53 AU-12
#   remediation: >-
#     Add a logConfiguration with a log driver, e.g. awslogs (CloudWatch Logs)
#     with awslogs-group, awslogs-region and awslogs-stream-prefix, or
#     awsfirelens.
package ecs.rules.logging_configured

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	object.get(container, ["logConfiguration", "logDriver"], "") == ""
	message := sprintf("container %q has no logConfiguration.logDriver, so its logs are not collected; %s", [
		container.name,
		"allowed: a log driver such as \"awslogs\" or \"awsfirelens\"",
	])
}
