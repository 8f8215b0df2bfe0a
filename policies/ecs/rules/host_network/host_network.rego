# METADATA
# title: Tasks do not use the host's network
# description: >-
#   In network mode "host" the containers share the EC2 instance's network
#   stack: they can bind any of its ports, reach services bound to localhost
#   (including the instance metadata service) and sniff its traffic.
# custom:
#   id: host_network
#   severity: MEDIUM
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.17
#     - NIST 800-190 4.4.2
#     - CIS Docker Benchmark 5.9
#     - "Pod Security Standards: Baseline (host namespaces)"
#   remediation: >-
#     Use networkMode "awsvpc" (each task gets its own network interface and
#     security groups) or "bridge".
package ecs.rules.host_network

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	lib.task_definition.networkMode == "host"
	message := sprintf(
		"task definition %q uses networkMode \"host\"; allowed: \"awsvpc\", \"bridge\" or \"none\"",
		[lib.task_definition_name],
	)
}
