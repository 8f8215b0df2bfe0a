# METADATA
# title: Services are tagged
# description: >-
#   Tags say who owns a service and what it costs, and attribute-based
#   access control keys on them. A service must carry at least one tag of
#   its own (keys starting with "aws:" are set by AWS and do not count).
#   Checked when the task belongs to a service (input.service).
# custom:
#   id: service_tags
#   severity: LOW
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.13
#     - NIST 800-53 CM-8
#   remediation: >-
#     Tag the service (aws ecs tag-resource --resource-arn <service ARN> --tags
#     key=owner,value=<team>), and create services with --tags and
#     --propagate-tags so that their tasks carry them too.
package ecs.rules.service_tags

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	service := lib.ecs_service
	count([tag | some tag in object.get(service, "tags", []); not startswith(tag.key, "aws:")]) == 0
	message := sprintf("service %q has no tags; allowed: at least one tag, e.g. %s", [
		lib.service_name,
		example,
	])
}

default example := "\"owner\""

example := lib.list(lib.config.required_tags) if count(lib.config.required_tags) > 0
